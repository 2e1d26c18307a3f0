#include "lint/lint_version.h"
#include "lint/addon_meta.h"
#include "lint/manifest.h"
#include "core/proc.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GIT_OUT_MAX (16u << 20)
#define NAMED_MAX 3	/* changed files a finding names */

/*
 * git -C dir ARGS...: its output (stdout and stderr) NUL-terminated in
 * out; 0 when it exited 0, 1 when it ran and failed, -1 with *cause when
 * it could not run.
 */
static int git(const char *dir, const char *const *args, struct buf *out,
	       char **cause)
{
	const char *argv[16] = { "git", "-C", dir, "-c", "core.quotePath=off" };
	size_t n = 5;
	int status = 0;

	for (; *args && n < ARRAY_SIZE(argv) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	buf_reset(out);
	if (proc_run(argv, environ, out, &status, cause) < 0)
		return -1;
	buf_append(out, "", 1);
	out->len--;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* The changed files (relative to the addon) that matter to the database. */
static void db_changes(const char *list, const struct addon_meta *now,
		       const struct addon_meta *was, struct buf *names,
		       size_t *count)
{
	for (const char *l = list, *next; *l; l = next) {
		size_t len = strcspn(l, "\n");
		char *f = xstrndup(l, len);

		next = l + len + (l[len] == '\n');
		if (*f && (addon_meta_db_file(now, f) ||
			   addon_meta_db_file(was, f))) {
			if (*count < NAMED_MAX)
				buf_printf(names, "%s%s", *count ? ", " : "",
					   f);
			(*count)++;
		}
		free(f);
	}
}

/* The version rule on one addon; 1 when it was judged. */
static int check_addon(const char *dir, const char *ref,
		       struct lint_report *r, char **cause)
{
	const char *diff[] = { "diff", "--name-only", "--relative", ref, "--",
			       ".", NULL };
	const char *others[] = { "ls-files", "--others", "--exclude-standard",
				 "--", ".", NULL };
	char *show = xasprintf("%s:./" MANIFEST_NAME, ref), *why = NULL;
	const char *old[] = { "show", show, NULL };
	struct addon_meta now, was;
	struct buf out, names;
	size_t count = 0;
	int rc;

	buf_init(&out, GIT_OUT_MAX);
	buf_init(&names, 4096);
	rc = git(dir, old, &out, cause);
	free(show);
	if (rc != 0) {		/* -1, or 1: a new addon */
		buf_release(&out);
		buf_release(&names);
		return rc < 0 ? -1 : 0;
	}
	if (addon_meta_parse(out.data, out.len, &was, &why) < 0 ||
	    addon_meta_read(dir, &now, &why) < 0) {
		free(why);	/* the manifest rules say what is wrong */
		addon_meta_release(&was);
		buf_release(&out);
		buf_release(&names);
		return 0;
	}
	rc = git(dir, diff, &out, cause);
	if (rc == 0)
		db_changes(out.data, &now, &was, &names, &count);
	if (rc == 0 && (rc = git(dir, others, &out, cause)) == 0)
		db_changes(out.data, &now, &was, &names, &count);
	if (rc > 0)
		*cause = xasprintf("git diff in '%s': %.200s", dir, out.data);
	if (rc == 0 && count && now.version && was.version &&
	    !strcmp(now.version, was.version)) {
		char *file = xasprintf("%s/" MANIFEST_NAME, dir);

		lint_add(r, LINT_WARNING, file,
			 now.version_line ? now.version_line : 1,
			 now.version_col ? now.version_col : 1,
			 LINT_VERSION_RULE, "models, data or views changed "
			 "since %s (%s%s) but version %s did not: under "
			 "upgrade_trigger = version a deploy does not upgrade "
			 "this addon; bump its version", ref, names.data,
			 count > NAMED_MAX ? ", ..." : "", now.version);
		free(file);
	}
	addon_meta_release(&now);
	addon_meta_release(&was);
	buf_release(&out);
	buf_release(&names);
	return rc == 0 ? 1 : -1;
}

static int is_addon(const char *dir)
{
	char *m = xasprintf("%s/" MANIFEST_NAME, dir);
	int yes = access(m, F_OK) == 0;

	free(m);
	return yes;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The addons of path: itself, or the directories in it, sorted. */
static int addons_of(const char *path, char ***v, size_t *n, char **cause)
{
	DIR *d;
	struct dirent *de;

	*v = NULL;
	*n = 0;
	if (is_addon(path)) {
		*v = xmalloc(sizeof(**v));
		(*v)[(*n)++] = xstrdup(path);
		return 0;
	}
	if (!(d = opendir(path))) {
		*cause = xasprintf("cannot read '%s': %s", path,
				   strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		char *dir = xasprintf("%s/%s", path, de->d_name);

		if (de->d_name[0] != '.' && is_addon(dir)) {
			*v = xrealloc(*v, (*n + 1) * sizeof(**v));
			(*v)[(*n)++] = dir;
		} else {
			free(dir);
		}
	}
	closedir(d);
	if (*n > 1)
		qsort(*v, *n, sizeof(**v), cmp_str);
	return 0;
}

/* REF must name a commit, seen from path's work tree. */
static int check_ref(const char *path, const char *ref, char **cause)
{
	char *spec = xasprintf("%s^{commit}", ref);
	const char *args[] = { "rev-parse", "--verify", "--quiet", spec,
			       NULL };
	struct buf out;
	int rc;

	buf_init(&out, 1 << 16);
	rc = git(path, args, &out, cause);
	if (rc > 0)
		*cause = xasprintf("--since %s: not a commit of the git work "
				   "tree of '%s'", ref, path);
	free(spec);
	buf_release(&out);
	return rc == 0 ? 0 : -1;
}

int lint_version_since(const char *const *paths, size_t n, const char *ref,
		       struct lint_report *r, char **cause)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		char **addons;
		size_t na;

		if (check_ref(paths[i], ref, cause) < 0 ||
		    addons_of(paths[i], &addons, &na, cause) < 0)
			return -1;
		for (size_t j = 0; j < na; j++) {
			if (rc == 0 && check_addon(addons[j], ref, r,
						   cause) < 0)
				rc = -1;
			free(addons[j]);
		}
		free(addons);
	}
	return rc;
}
