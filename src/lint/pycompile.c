#include "lint/pycompile.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lint/manifest.h"
#include "core/proc.h"
#include "core/util.h"

#define PYCOMPILE_OUTPUT_MAX (256u << 10)

struct files {
	char **v;
	size_t n, cap;
};

struct run {
	const char *python;
	char **envp;
	struct buf out;
	struct lint_report *r;
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static void push(struct files *f, char *path)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	f->v[f->n++] = path;
}

/* The .py files under dir; hidden and byte-code directories are skipped. */
static void collect(const char *dir, int top, struct files *f)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *path;
		struct stat st;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, "__pycache__") ||
		    !strcmp(e->d_name, "node_modules"))
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			collect(path, 0, f);
		if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".py") &&
		    !(top && !strcmp(e->d_name, MANIFEST_NAME)))
			push(f, path);
		else
			free(path);
	}
	if (d)
		closedir(d);
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *find_python(void)
{
	const char *path = getenv("PATH");
	char *copy = xstrdup(path && *path ? path : "/usr/bin:/bin"), *save;

	for (char *d = strtok_r(copy, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/python3", *d ? d : ".");

		if (access(p, X_OK) == 0) {
			free(copy);
			return p;
		}
		free(p);
	}
	free(copy);
	return NULL;
}

/* The environment, with byte code sent to prefix. */
static char **make_env(const char *prefix)
{
	static const char *const ours[] = { "PYTHONPYCACHEPREFIX=",
					    "PYTHONDONTWRITEBYTECODE=", NULL };
	size_t k;
	char **env = proc_environ(ours, 1, &k);

	env[k] = xasprintf("PYTHONPYCACHEPREFIX=%s", prefix);
	return env;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Runs py_compile on n files: 0 when all compile, 1 when one does not. */
static int compile(struct run *run, char *const *files, size_t n,
		   char **cause)
{
	const char **argv = xcalloc(n + 4, sizeof(*argv));
	int status = 0, rc;

	argv[0] = run->python;
	argv[1] = "-m";
	argv[2] = "py_compile";
	for (size_t i = 0; i < n; i++)
		argv[3 + i] = files[i];
	buf_reset(&run->out);
	rc = proc_run(argv, run->envp, &run->out, &status, cause);
	free(argv);
	if (rc < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* What py_compile printed about the file that did not compile. */
struct failure {
	char *path;		/* SyntaxError: File "PATH", line N */
	char *base;		/* other errors: "Sorry: ... (BASE, line N)" */
	int line, col;
	char *msg;
};

static char *last_line(const char *s)
{
	const char *end = s + strlen(s), *start;

	while (end > s && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	start = end;
	while (start > s && start[-1] != '\n')
		start--;
	return xstrndup(start, (size_t)(end - start));
}

/* SyntaxError: File "p", line N / code / caret / "SyntaxError: msg". */
static void parse_traceback(const char *out, struct failure *fl)
{
	const char *f = NULL, *end, *code, *caret, *hat;

	for (const char *p = out; (p = strstr(p, "  File \"")); p++)
		f = p;
	if (!f || !(end = strstr(f + 8, "\", line ")))
		return;
	fl->path = xstrndup(f + 8, (size_t)(end - f - 8));
	fl->line = atoi(end + 8);
	code = strchr(f, '\n');
	caret = code ? strchr(code + 1, '\n') : NULL;
	if (!caret)
		return;
	caret++;
	hat = strchr(caret, '^');
	if (hat && hat - caret >= 4 &&
	    !memchr(caret, '\n', (size_t)(hat - caret)))
		fl->col = (int)(hat - caret) - 3;
}

/* Sorry: IndentationError: unexpected indent (name.py, line 3) */
static void parse_sorry(const char *out, struct failure *fl)
{
	const char *s = strstr(out, "Sorry: "), *eol, *open;
	char *line;

	if (!s)
		return;
	s += 7;
	eol = s + strcspn(s, "\n");
	line = xstrndup(s, (size_t)(eol - s));
	open = strrchr(line, '(');
	if (open && strstr(open, ", line ")) {
		fl->base = xstrndup(open + 1, (size_t)(strstr(open, ", line ") -
						       open - 1));
		fl->line = atoi(strstr(open, ", line ") + 7);
		while (open > line && open[-1] == ' ')
			open--;
		line[open - line] = '\0';
	}
	free(fl->msg);
	fl->msg = line;
}

/* The blanks traceback strips before its caret line (' ' and '\f'). */
static int leading_blanks(const char *path, int lineno)
{
	size_t len;
	char *why = NULL, *s = file_read(path, 16u << 20, &len, &why), *p = s;
	int n = 0;

	free(why);
	for (int l = 1; p && l < lineno && (p = strchr(p, '\n')); l++)
		p++;
	while (p && (p[n] == ' ' || p[n] == '\f'))
		n++;
	free(s);
	return n;
}

/* Which of files failed: named by path, else compiled one by one. */
static long failing_index(struct run *run, char *const *files, size_t n,
			  const struct failure *fl, const char *out,
			  char **cause)
{
	for (size_t i = 0; fl->path && i < n; i++)
		if (!strcmp(files[i], fl->path))
			return (long)i;
	for (size_t i = 0; i < n; i++) {
		const char *b = strrchr(files[i], '/');
		int rc;

		b = b ? b + 1 : files[i];
		if (fl->base ? strcmp(b, fl->base) != 0 :
		    !strstr(out, files[i]))
			continue;
		rc = compile(run, &files[i], 1, cause);
		if (rc != 0)
			return rc < 0 ? -2 : (long)i;
	}
	return -1;
}

/* Adds the finding; returns the index of the failed file, -1 (*cause). */
static long report_failure(struct run *run, char *const *files, size_t n,
			   char **cause)
{
	struct failure fl = { .line = 1, .col = 1 };
	char *out = xstrdup(run->out.data ? run->out.data : "");
	long i;

	fl.msg = last_line(out);
	parse_traceback(out, &fl);
	parse_sorry(out, &fl);
	i = failing_index(run, files, n, &fl, out, cause);
	if (i >= 0) {
		if (fl.path)
			fl.col += leading_blanks(files[i], fl.line);
		lint_add(run->r, LINT_ERROR, files[i],
			 fl.line > 0 ? fl.line : 1, fl.col, "python-syntax",
			 "%s", fl.msg);
	} else if (i == -1) {
		*cause = xasprintf("python3 -m py_compile failed: %s",
				   *fl.msg ? fl.msg : "no message");
	}
	free(fl.path);
	free(fl.base);
	free(fl.msg);
	free(out);
	return i < 0 ? -1 : i;
}

static long compile_all(struct run *run, const struct files *f, char **cause)
{
	size_t i = 0;

	while (i < f->n) {
		size_t k = f->n - i < PYCOMPILE_BATCH ? f->n - i :
			   PYCOMPILE_BATCH;
		int rc = compile(run, f->v + i, k, cause);
		long bad;

		if (rc < 0)
			return -2;
		if (rc == 0) {
			i += k;
			continue;
		}
		bad = report_failure(run, f->v + i, k, cause);
		if (bad < 0)
			return -2;
		i += (size_t)bad + 1;
	}
	return (long)f->n;
}

long pycompile_addons(const char *const *dirs, size_t n,
		      struct lint_report *r, char **cause)
{
	struct files f = { 0 };
	struct run run = { .r = r };
	const char *tmp = getenv("TMPDIR");
	char *python = find_python(), *prefix;
	long rc = 0;

	if (!python)
		return -1;
	for (size_t i = 0; i < n; i++)
		collect(dirs[i], 1, &f);
	if (f.n)
		qsort(f.v, f.n, sizeof(*f.v), cmp_path);
	prefix = xasprintf("%s/odooctl-pycache-XXXXXX", tmp && *tmp ? tmp :
			   "/tmp");
	if (f.n && !mkdtemp(prefix)) {
		*cause = xasprintf("cannot make a directory for byte code "
				   "('%s'): %s", prefix, strerror(errno));
		rc = -2;
	} else if (f.n) {
		run.python = python;
		run.envp = make_env(prefix);
		buf_init(&run.out, PYCOMPILE_OUTPUT_MAX);
		rc = compile_all(&run, &f, cause);
		nftw(prefix, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		proc_environ_free(run.envp);
		buf_release(&run.out);
	}
	for (size_t i = 0; i < f.n; i++)
		free(f.v[i]);
	free(f.v);
	free(prefix);
	free(python);
	return rc;
}
