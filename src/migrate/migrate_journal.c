/*
 * The journal of an unfinished migration: state_dir/migrate.journal, a
 * begin line (the release, the unit and how it was, who) and one line per
 * phase, each appended and fsync'd before the phase acts. Beside the
 * deploy's own journal, which the deploy inside a migration writes and
 * ends: this one says that the systemd unit is down and who must bring it
 * back.
 */
#include "migrate/migrate.h"
#include "release/journal.h"
#include "core/release.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MJOURNAL "migrate.journal"

/* A unit name as systemctl takes it: no space, no newline, no '|'. */
static int unit_valid(const char *s)
{
	return *s && strlen(s) < 256 && !strpbrk(s, " \t\n|");
}

int mjournal_begin(const char *state_dir, const struct mjournal *j,
		   char **cause)
{
	char *path, *line;
	int rc;

	if (!unit_valid(j->service)) {
		*cause = xasprintf("unit name '%s' is not one systemctl takes",
				   j->service);
		return -1;
	}
	path = xasprintf("%s/%s", state_dir, MJOURNAL);
	line = xasprintf("begin migrate %s %s %d %d %ld %s\n", j->digest,
			 j->service, j->active, j->enabled, j->started,
			 j->operator);
	rc = file_write_atomic(path, line, strlen(line), 0644, cause);
	free(line);
	free(path);
	return rc;
}

int mjournal_phase(const char *state_dir, const char *phase,
		   const char *arg, char **cause)
{
	return journal_append(state_dir, MJOURNAL, phase, arg, cause);
}

static int parse_begin(void *ctx, const char *line)
{
	struct mjournal *j = ctx;
	char digest[80], unit[256], op[256];
	int active, enabled;
	long started;

	/* The operator comes last: it may hold spaces. */
	if (sscanf(line, "begin migrate %79s %255s %d %d %ld %255[^\n]",
		   digest, unit, &active, &enabled, &started, op) != 6 ||
	    !release_digest_valid(digest) || !unit_valid(unit))
		return -1;
	j->digest = xstrdup(digest);
	j->service = xstrdup(unit);
	j->active = active != 0;
	j->enabled = enabled != 0;
	j->started = started;
	j->operator = xstrdup(op);
	return 0;
}

static void parse_phase(void *ctx, char *line)
{
	struct mjournal *j = ctx;
	char *name = line, *arg = strchr(name, ' ');

	if (arg)
		*arg++ = '\0';
	free(j->last_phase);
	j->last_phase = xstrdup(name);
	if (!strcmp(name, "backup") && arg) {
		free(j->backup);
		j->backup = xstrdup(arg);
	}
	if (!strcmp(name, "serving") && arg) {
		free(j->container);
		j->container = xstrdup(arg);
	}
	if (!strcmp(name, "commit"))
		j->committed = 1;
}

int mjournal_load(const char *state_dir, struct mjournal *j, int *exists,
		  char **cause)
{
	static const struct journal_parser p = { parse_begin, parse_phase };

	memset(j, 0, sizeof(*j));
	return journal_read(state_dir, MJOURNAL, &p, j, exists, &j->corrupted,
			    cause);
}

int mjournal_end(const char *state_dir, char **cause)
{
	return journal_remove(state_dir, MJOURNAL, cause);
}

void mjournal_release(struct mjournal *j)
{
	free(j->digest);
	free(j->service);
	free(j->operator);
	free(j->backup);
	free(j->container);
	free(j->last_phase);
	memset(j, 0, sizeof(*j));
}
