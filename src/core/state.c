#include "core/state.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/release.h"

static char *state_path(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

int state_init(const char *state_dir, char **cause)
{
	char *proxy = state_path(state_dir, "proxy");
	int rc = mkdir_p(proxy, 0755, cause);

	free(proxy);
	return rc;
}

int history_field_valid(const char *s)
{
	return *s && !strpbrk(s, "|\n\r") && strlen(s) <= 200;
}

int history_append(const char *state_dir, const char *version, const char *env,
		   const char *status, const char *operator, char **cause)
{
	char ts[21], *line;
	int rc;

	time_iso8601((long)time(NULL), ts);
	line = xasprintf("%s | %s | %s | %s | %s\n", ts, version, env, status,
			 operator);
	rc = audit_append(state_dir, line, cause);
	free(line);
	return rc;
}

static int history_parse_line(char *line, struct history_entry *e)
{
	char *f[5], *save = NULL, *tok = strtok_r(line, "|", &save);
	int n = 0;

	while (tok && n < 5) {
		f[n++] = strtrim(tok);
		tok = strtok_r(NULL, "|", &save);
	}
	if (n != 5 || tok)
		return -1;
	e->time = time_parse_iso8601(f[0]);
	if (e->time < 0)
		return -1;
	e->version = xstrdup(f[1]);
	e->env = xstrdup(f[2]);
	e->status = xstrdup(f[3]);
	e->operator = xstrdup(f[4]);
	return 0;
}

int history_load(const char *state_dir, struct history *h, size_t *skipped,
		 char **cause)
{
	char *path = state_path(state_dir, "history.log");
	char *data, *line, *save = NULL;

	h->e = NULL;
	h->n = 0;
	*skipped = 0;
	data = file_read(path, HISTORY_MAX_BYTES, NULL, cause);
	if (!data && errno == ENOENT) {
		free(*cause);
		*cause = NULL;
		free(path);
		return 0;
	}
	free(path);
	if (!data)
		return -1;
	for (line = strtok_r(data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct history_entry e;

		if (history_parse_line(line, &e) < 0) {
			(*skipped)++;
			continue;
		}
		h->e = xrealloc(h->e, (h->n + 1) * sizeof(*h->e));
		h->e[h->n++] = e;
	}
	free(data);
	return 0;
}

void history_release(struct history *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->e[i].version);
		free(h->e[i].env);
		free(h->e[i].status);
		free(h->e[i].operator);
	}
	free(h->e);
	h->e = NULL;
	h->n = 0;
}

/* Reads a small state file; *data NULL when it does not exist. */
static int state_read(const char *state_dir, const char *name, char **data,
		      char **cause)
{
	char *path = state_path(state_dir, name);

	*data = file_read(path, 4096, NULL, cause);
	free(path);
	if (!*data && errno == ENOENT) {
		free(*cause);
		*cause = NULL;
		return 0;
	}
	return *data ? 0 : -1;
}

int state_read_last_good(const char *state_dir, char **digest, char **cause)
{
	char *data;

	*digest = NULL;
	if (state_read(state_dir, "last_good_sha", &data, cause) < 0)
		return -1;
	if (!data)
		return 0;
	data[strcspn(data, "\n")] = '\0';
	if (!release_digest_valid(data)) {
		*cause = xasprintf("corrupted '%s/last_good_sha': not a digest",
				   state_dir);
		free(data);
		return -1;
	}
	*digest = data;
	return 0;
}

int state_write_last_good(const char *state_dir, const char *digest,
			  char **cause)
{
	char *path = state_path(state_dir, "last_good_sha");
	char *line = xasprintf("%s\n", digest);
	int rc = file_write_atomic(path, line, strlen(line), 0644, cause);

	free(line);
	free(path);
	return rc;
}

int state_read_current(const char *state_dir, struct current *cur,
		       char **cause)
{
	char *data, digest[80], container[256];
	long since;

	memset(cur, 0, sizeof(*cur));
	if (state_read(state_dir, "current", &data, cause) < 0)
		return -1;
	if (!data)
		return 0;
	if (sscanf(data, "%79s %255s %ld", digest, container, &since) != 3 ||
	    !release_digest_valid(digest)) {
		*cause = xasprintf("corrupted '%s/current'", state_dir);
		free(data);
		return -1;
	}
	free(data);
	cur->digest = xstrdup(digest);
	cur->container = xstrdup(container);
	cur->since = since;
	return 0;
}

int state_write_current(const char *state_dir, const struct current *cur,
			char **cause)
{
	char *path = state_path(state_dir, "current");
	char *line = xasprintf("%s %s %ld\n", cur->digest, cur->container,
			       cur->since);
	int rc = file_write_atomic(path, line, strlen(line), 0644, cause);

	free(line);
	free(path);
	return rc;
}

void current_release(struct current *cur)
{
	free(cur->digest);
	free(cur->container);
	memset(cur, 0, sizeof(*cur));
}

int state_write_last_deploy(const char *state_dir, json_t *info,
			    char **cause)
{
	char *path = state_path(state_dir, "last_deploy.json");
	char *text = json_dumps(info, JSON_INDENT(2) | JSON_SORT_KEYS);
	char *line = xasprintf("%s\n", text ? text : "{}");
	int rc = file_write_atomic(path, line, strlen(line), 0644, cause);

	free(line);
	free(text);
	free(path);
	return rc;
}

json_t *state_read_last_deploy(const char *state_dir)
{
	char *path = state_path(state_dir, "last_deploy.json");
	json_t *o = json_load_file(path, 0, NULL);

	free(path);
	if (o && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

int state_lock(const char *state_dir, char **cause)
{
	return state_lock_named(state_dir, "deploy.lock", cause);
}

int state_lock_named(const char *state_dir, const char *name, char **cause)
{
	char *path = state_path(state_dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	char pid[32] = "";

	if (fd < 0) {
		*cause = xasprintf("cannot open lock '%s': %s", path,
				   strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		*cause = xasprintf("'%s' is held by another odooctl (pid %s)",
				   path, *pid ? pid : "unknown");
		close(fd);
		free(path);
		return -2;
	}
	free(path);
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, strlen(pid), 0) < 0)
		pid[0] = '\0';
	return fd;
}

void state_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
