#include "release/upgrade.h"
#include "lint/addons.h"
#include "stack/compose.h"
#include "core/log.h"
#include "stack/stack.h"

#include <stdlib.h>
#include <string.h>

/* The most output of an upgrade kept (its log file and the judge). */
#define UPGRADE_LOG_MAX (64L << 20)
#define UPGRADE_LOG_LINES 100000000
#define UPGRADE_STOP_S 10

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort(char **v, size_t n)
{
	if (n > 1)	/* qsort(NULL, 0, ...) is undefined */
		qsort(v, n, sizeof(char *), cmp_str);
}

static void push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

/* The addon name of a checksum label, or NULL. */
static const char *addon_of(const char *key)
{
	size_t n = strlen(ADDON_LABEL_PREFIX);

	return strncmp(key, ADDON_LABEL_PREFIX, n) || !key[n] ? NULL : key + n;
}

void upgrade_diff(json_t *old_labels, json_t *new_labels,
		  struct addon_diff *diff)
{
	const char *key, *name;
	json_t *v;
	size_t n_old = 0;

	memset(diff, 0, sizeof(*diff));
	json_object_foreach(old_labels, key, v)
		n_old += addon_of(key) != NULL;
	diff->unknown = n_old == 0;
	json_object_foreach(new_labels, key, v) {
		json_t *was;

		if (!(name = addon_of(key)))
			continue;
		was = json_object_get(old_labels, key);
		if (diff->unknown)
			push(&diff->changed, &diff->nchanged, name);
		else if (!was)
			push(&diff->added, &diff->nadded, name);
		else if (!json_equal(was, v))
			push(&diff->changed, &diff->nchanged, name);
	}
	json_object_foreach(old_labels, key, v)
		if ((name = addon_of(key)) && !json_object_get(new_labels, key))
			push(&diff->removed, &diff->nremoved, name);
	sort(diff->changed, diff->nchanged);
	sort(diff->added, diff->nadded);
	sort(diff->removed, diff->nremoved);
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void addon_diff_release(struct addon_diff *diff)
{
	free_list(diff->changed, diff->nchanged);
	free_list(diff->added, diff->nadded);
	free_list(diff->removed, diff->nremoved);
	free_list(diff->why, diff->why ? diff->nchanged : 0);
	free_list(diff->held, diff->nheld);
	free_list(diff->stale, diff->nstale);
	memset(diff, 0, sizeof(*diff));
}

int upgrade_needed(const struct addon_diff *diff)
{
	return diff->nchanged > 0 || diff->nadded > 0;
}

char *upgrade_modules(const struct addon_diff *diff)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	for (size_t i = 0; i < diff->nchanged; i++)
		buf_printf(&b, "%s%s", b.len ? "," : "", diff->changed[i]);
	for (size_t i = 0; i < diff->nadded; i++)
		buf_printf(&b, "%s%s", b.len ? "," : "", diff->added[i]);
	return buf_detach(&b, NULL);
}

/*
 * The level of an Odoo log line, "2026-11-27 01:02:03,123 7 ERROR db
 * logger: message": the fourth field, when the line has that shape.
 */
static int line_level(const char *line, const char **level, size_t *len)
{
	const char *p = line;

	if (strlen(line) < 24 || line[4] != '-' || line[10] != ' ' ||
	    line[13] != ':' || line[19] != ',')
		return 0;
	p = line + 20;
	p += strspn(p, "0123456789");		/* milliseconds */
	if (*p++ != ' ')
		return 0;
	if (strspn(p, "0123456789") == 0)	/* pid */
		return 0;
	p += strspn(p, "0123456789");
	if (*p++ != ' ')
		return 0;
	*level = p;
	*len = strcspn(p, " ");
	return 1;
}

static const char *const BAD_PHRASES[] = {
	"invalid module names, ignored",
	"Some modules are not loaded",
	"inconsistent states",
	"Traceback (most recent call last)",
};

/* A short excerpt of line for a message (at most 200 bytes). */
static char *excerpt(const char *line, size_t len)
{
	return xasprintf("%.*s%s", len > 200 ? 200 : (int)len, line,
			 len > 200 ? "..." : "");
}

/*
 * Odoo's reason, from the first traceback: its exception line ("Runtime
 * Error: ...", "odoo.tools.convert.ParseError: while parsing FILE:LINE")
 * and the next lines of its message that are prose, not the XML or the
 * context it quotes (a view's "Field "x" does not exist in model "y"").
 * The log line before a traceback says only "Failed to load registry".
 */
#define REASON_LINES 3

struct reason {
	int state;	/* 0 none yet, 1 in the frames, 2 in the message, 3 done */
	int lines;
	struct buf b;
};

static void reason_line(struct reason *r, const char *l, size_t len)
{
	const char *level;
	size_t llen;

	if (r->state == 0 || r->state == 3) {
		if (r->state == 0 && !strncmp(l, "Traceback (most recent", 22))
			r->state = 1;
		return;
	}
	if (r->state == 1 && (!len || l[0] == ' '))
		return;
	if (line_level(l, &level, &llen) || !strncmp(l, "Traceback ", 10) ||
	    !strncmp(l, "The above exception", 19) ||
	    !strncmp(l, "During handling", 15)) {
		r->state = 3;
		return;
	}
	r->state = 2;
	if (!len || strchr(" \t<{}'", l[0]) || l[len - 1] == ':' ||
	    r->lines == REASON_LINES)
		return;
	buf_printf(&r->b, "%s%.*s%s", r->lines++ ? " / " : "",
		   len > 200 ? 200 : (int)len, l, len > 200 ? "..." : "");
}

int upgrade_judge(const char *output, int exit_code, char **cause)
{
	const char *line = output ? output : "", *next;
	char *first_bad = NULL, *why;
	struct reason r = { 0 };
	int loaded = 0;

	buf_init(&r.b, 4096);
	for (; *line; line = next) {
		size_t len = strcspn(line, "\n");
		const char *level;
		size_t llen;
		char *l = xstrndup(line, len);

		next = line + len + (line[len] == '\n');
		if (strstr(l, "odoo.modules.loading: Modules loaded."))
			loaded = 1;
		if (!first_bad && line_level(l, &level, &llen) &&
		    ((llen == 5 && !strncmp(level, "ERROR", 5)) ||
		     (llen == 8 && !strncmp(level, "CRITICAL", 8))))
			first_bad = excerpt(level, strlen(level));
		for (size_t i = 0; !first_bad && i < ARRAY_SIZE(BAD_PHRASES);
		     i++)
			if (strstr(l, BAD_PHRASES[i]))
				first_bad = excerpt(l, len);
		reason_line(&r, l, len);
		free(l);
	}
	if (r.lines) {	/* a bare "Traceback" line says nothing more */
		why = first_bad && strncmp(first_bad, "Traceback", 9) ?
			xasprintf("%s; Odoo: %s", first_bad, r.b.data) :
			xasprintf("Odoo: %s", r.b.data);
		free(first_bad);
		first_bad = why;
	}
	buf_release(&r.b);
	if (exit_code != 0) {
		*cause = xasprintf("the upgrade exited with status %d%s%s",
				   exit_code, first_bad ? ": " : "",
				   first_bad ? first_bad : "");
	} else if (first_bad) {
		*cause = xasprintf("the upgrade exited 0 but its output says "
				   "it failed: %s", first_bad);
	} else if (!loaded) {
		*cause = xstrdup("the upgrade exited 0 without saying "
				 "\"Modules loaded.\"");
	} else {
		return 0;
	}
	free(first_bad);
	return -1;
}

char *upgrade_container_name(const struct config_env *env)
{
	return xasprintf("%s-upgrade", env->compose_project);
}

int upgrade_remove(struct docker *d, const struct config_env *env,
		   char **cause)
{
	char *name = upgrade_container_name(env);
	struct container_state st;
	int found = 0, rc = 0;

	if (stack_inspect(d, name, &st, &found, cause) < 0) {
		free(name);
		return -1;
	}
	if (found) {
		if (st.running)
			rc = docker_container_stop(d, name, UPGRADE_STOP_S,
						   cause);
		if (rc == 0)
			rc = docker_container_remove(d, name, cause);
		container_state_release(&st);
	}
	free(name);
	return rc;
}

/* Waits until name exits: its exit code, or -1 (timeout, cancel, error). */
static int wait_exit(struct docker *d, const struct config_env *env,
		     const char *name, int *exit_code, char **cause)
{
	long long deadline = clock_ms() + env->upgrade_timeout * 1000;

	for (;;) {
		struct container_state st;
		char *action = NULL;
		long long left;
		int found = 0;

		if (stack_inspect(d, name, &st, &found, cause) < 0)
			return -1;
		if (!found) {
			*cause = xasprintf("the upgrade container '%s' "
					   "vanished", name);
			return -1;
		}
		if (!st.running) {
			*exit_code = st.exit_code;
			container_state_release(&st);
			return 0;
		}
		container_state_release(&st);
		left = deadline - clock_ms();
		if (left <= 0) {
			*cause = xasprintf("the upgrade did not finish within "
					   "upgrade_timeout (%ld s)",
					   env->upgrade_timeout);
			return -1;
		}
		log_progress("upgrading: %lld s", (env->upgrade_timeout *
						    1000 - left) / 1000);
		if (docker_container_wait_event(d, name, left > 5000 ? 5 :
						(int)(left / 1000) + 1,
						&action, cause) < 0)
			return -1;
		free(action);
	}
}

/* Keeps the output in path; a failure to write it only warns. */
static void keep_log(const char *path, const struct buf *out)
{
	char *why = NULL;

	if (!path)
		return;
	if (file_write_atomic(path, out->data ? out->data : "", out->len,
			      0600, &why) < 0) {
		log_warn("cannot keep the upgrade's output: %s", why);
		free(why);
		return;
	}
	log_info("the upgrade's output: %s", path);
}

int upgrade_run(struct docker *d, const struct config_env *env,
		const struct release *rel, const char *modules,
		const char *log_path, char **cause)
{
	char *name = upgrade_container_name(env);
	char *label = xasprintf("%s=%s", LABEL_UPGRADE, env->name);
	const char *args[] = { "run", "-d", "--no-deps", "--name", name,
			       "-l", label, env->odoo_service, "odoo",
			       "-d", env->db_name, "-u", modules,
			       "--stop-after-init", "--no-http",
			       "--max-cron-threads=0", NULL };
	volatile sig_atomic_t *cancel = docker_get_cancel(d);
	struct buf out;
	char *why = NULL;
	int exit_code = -1, rc;

	buf_init(&out, UPGRADE_LOG_MAX);
	rc = upgrade_remove(d, env, cause);
	if (rc == 0)
		rc = compose_exec(env, rel->ref, args, NULL, cause);
	if (rc == 0) {
		log_info("container %s: odoo -d %s -u %s --stop-after-init "
			 "--no-http", name, env->db_name, modules);
		rc = wait_exit(d, env, name, &exit_code, cause);
		log_progress_done();
		/* even after a signal: what it printed, then it goes */
		docker_set_cancel(d, NULL);
		if (docker_container_logs(d, name, UPGRADE_LOG_LINES, &out,
					  &why) < 0) {
			log_warn("%s", why);
			free(why);
			why = NULL;
		}
		keep_log(log_path, &out);
		if (upgrade_remove(d, env, &why) < 0) {
			log_warn("%s", why);
			free(why);
		}
		docker_set_cancel(d, cancel);
	}
	if (rc == 0) {
		buf_append(&out, "", 1);
		rc = upgrade_judge(out.data, exit_code, cause);
	}
	buf_release(&out);
	free(label);
	free(name);
	return rc;
}
