#include "release/journal.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/release.h"

#define NONE "-"

static char *journal_path(const char *state_dir)
{
	return xasprintf("%s/journal", state_dir);
}

int journal_begin(const char *state_dir, const struct journal *j,
		  char **cause)
{
	char *path = journal_path(state_dir);
	char *line = xasprintf("begin %s %s %s %s %s %ld %s\n", j->kind,
			       j->digest, j->ref,
			       j->previous ? j->previous : NONE,
			       j->previous_container ? j->previous_container : NONE,
			       j->started, j->operator);
	int rc = file_write_atomic(path, line, strlen(line), 0644, cause);

	free(line);
	free(path);
	return rc;
}

int journal_append(const char *state_dir, const char *name,
		   const char *phase, const char *arg, char **cause)
{
	char *path = xasprintf("%s/%s", state_dir, name);
	char *line = xasprintf("phase %s%s%s\n", phase, arg ? " " : "",
			       arg ? arg : "");
	int rc = log_append_redacted(path, line, cause);

	free(line);
	free(path);
	return rc;
}

int journal_phase(const char *state_dir, const char *phase, const char *arg,
		  char **cause)
{
	return journal_append(state_dir, "journal", phase, arg, cause);
}

static char *field(const char *s)
{
	return strcmp(s, NONE) ? xstrdup(s) : NULL;
}

static int parse_begin(struct journal *j, const char *line)
{
	char kind[16], digest[80], ref[512], prev[80], prevc[256], op[256];
	long started;

	/* The operator comes last: it may hold spaces. */
	if (sscanf(line, "begin %15s %79s %511s %79s %255s %ld %255[^\n]", kind,
		   digest, ref, prev, prevc, &started, op) != 7 ||
	    !release_digest_valid(digest) ||
	    (strcmp(prev, NONE) && !release_digest_valid(prev)))
		return -1;
	j->kind = xstrdup(kind);
	j->digest = xstrdup(digest);
	j->ref = xstrdup(ref);
	j->previous = field(prev);
	j->previous_container = field(prevc);
	j->operator = xstrdup(op);
	j->started = started;
	return 0;
}

static void parse_phase(struct journal *j, char *line)
{
	char *name = line, *arg = strchr(name, ' ');

	if (arg)
		*arg++ = '\0';
	free(j->last_phase);
	j->last_phase = xstrdup(name);
	if (!strcmp(name, "candidate") && arg) {
		char *sp = strchr(arg, ' ');

		j->candidate_reused = sp && !strcmp(sp, " reused");
		free(j->candidate);
		j->candidate = sp ? xstrndup(arg, (size_t)(sp - arg)) :
				    xstrdup(arg);
	}
	if (!strcmp(name, "switch"))
		j->switched = 1;
	if (!strcmp(name, "maintenance"))
		j->maintenance = 1;
	if (!strcmp(name, "backup") && arg) {
		free(j->backup);
		j->backup = xstrdup(arg);
	}
	if (!strcmp(name, "point"))
		j->point = 1;
	if (!strcmp(name, "pointed"))
		j->pointed = 1;
	if (!strcmp(name, "upgrade"))
		j->upgrading = 1;
	if (!strcmp(name, "restored"))
		j->restored = 1;
	if (!strcmp(name, "commit"))
		j->committed = 1;
}

int journal_read(const char *state_dir, const char *name,
		 const struct journal_parser *p, void *ctx, int *exists,
		 int *corrupted, char **cause)
{
	char *path = xasprintf("%s/%s", state_dir, name);
	char *data = file_read(path, 1 << 20, NULL, cause);
	char *line, *save = NULL;
	int first = 1;

	free(path);
	*exists = *corrupted = 0;
	if (!data) {
		if (errno != ENOENT)
			return -1;
		free(*cause);
		*cause = NULL;
		return 0;
	}
	*exists = 1;
	for (line = strtok_r(data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (first && p->begin(ctx, line) < 0)
			*corrupted = 1;
		else if (!first && str_starts_with(line, "phase "))
			p->phase(ctx, line + 6);
		first = 0;
	}
	free(data);
	*corrupted |= first;
	return 0;
}

static int on_begin(void *ctx, const char *line)
{
	return parse_begin(ctx, line);
}

static void on_phase(void *ctx, char *line)
{
	parse_phase(ctx, line);
}

int journal_load(const char *state_dir, struct journal *j, int *exists,
		 char **cause)
{
	static const struct journal_parser p = { on_begin, on_phase };

	memset(j, 0, sizeof(*j));
	return journal_read(state_dir, "journal", &p, j, exists, &j->corrupted,
			    cause);
}

int journal_remove(const char *state_dir, const char *name, char **cause)
{
	char *path = xasprintf("%s/%s", state_dir, name);
	int rc = 0;

	if (unlink(path) < 0 && errno != ENOENT) {
		*cause = xasprintf("cannot remove '%s': %s", path,
				   strerror(errno));
		rc = -1;
	} else {
		fsync_dir_of(path);
	}
	free(path);
	return rc;
}

int journal_end(const char *state_dir, char **cause)
{
	return journal_remove(state_dir, "journal", cause);
}

void journal_release(struct journal *j)
{
	free(j->kind);
	free(j->digest);
	free(j->ref);
	free(j->previous);
	free(j->previous_container);
	free(j->operator);
	free(j->candidate);
	free(j->last_phase);
	free(j->backup);
	memset(j, 0, sizeof(*j));
}
