#include "lint/lint.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

#include "lint/lint_assets.h"
#include "lint/manifest.h"
#include "odoo/odoo19.h"
#include "lint/pycompile.h"
#include "core/util.h"

/* ---- finding the addons ------------------------------------------------- */

struct addons {
	unsigned flags;		/* lint_paths' */
	struct manifest *m;	/* linted */
	size_t n, cap;
	char **known;		/* every addon name seen */
	size_t nknown, capknown;
};

static int is_addon(const char *dir)
{
	char *path = xasprintf("%s/" MANIFEST_NAME, dir);
	struct stat st;
	int rc = stat(path, &st) == 0 && S_ISREG(st.st_mode);

	free(path);
	return rc;
}

static void know(struct addons *a, const char *name)
{
	if (a->nknown == a->capknown) {
		a->capknown = a->capknown ? 2 * a->capknown : 64;
		a->known = xrealloc(a->known, a->capknown * sizeof(*a->known));
	}
	a->known[a->nknown++] = xstrdup(name);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of one directory come sorted: then sorting them is a scan. */
static void sort_names(char **v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i - 1], v[i]) > 0) {
			qsort(v, n, sizeof(*v), cmp_name);
			return;
		}
}

static int maybe_dir(const struct dirent *e)
{
	return e->d_name[0] != '.' && (e->d_type == DT_DIR ||
				       e->d_type == DT_LNK ||
				       e->d_type == DT_UNKNOWN);
}

/*
 * The directories in dir that may be addons, sorted by name (whether they
 * hold a manifest is seen when it is read); -1 with *cause when dir is
 * unreadable.
 */
static int list_dirs(const char *dir, char ***names, size_t *n, char **cause)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (!d) {
		*cause = xasprintf("cannot read addons directory '%s': %s",
				   dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (!maybe_dir(e))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			*names = xrealloc(*names, cap * sizeof(**names));
		}
		(*names)[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	sort_names(*names, *n);
	return 0;
}

static void reserve(struct addons *a, size_t more)
{
	if (a->n + more <= a->cap)
		return;
	while (a->n + more > a->cap)
		a->cap = a->cap ? 2 * a->cap : 64;
	a->m = xrealloc(a->m, a->cap * sizeof(*a->m));
}

/* Lints dir when it is an addon; 0 when it is not. */
static int lint_one(struct addons *a, const char *dir, struct lint_report *r)
{
	reserve(a, 1);
	if (manifest_lint(&a->m[a->n], dir, a->flags, r) < 0)
		return 0;
	know(a, a->m[a->n].name);
	a->n++;
	return 1;
}

/*
 * The addons of one directory are linted by up to LINT_THREADS threads:
 * most of the time goes to the kernel (a read per manifest, a stat per data
 * file), which runs in parallel. The threads take LINT_CHUNK names at a
 * time from a shared counter (so neither waits on the other, and no two
 * write to the same cache line of m and is); each has its own report,
 * moved into the caller's afterwards and sorted with it.
 */
#define LINT_THREADS	8
#define LINT_PER_THREAD	256	/* fewer addons than this: one thread */
#define LINT_CHUNK	64

struct batch {
	unsigned flags;
	const char *dir;
	char **names;
	size_t n;
	atomic_size_t *next;	/* the first name no thread has taken */
	struct manifest *m;	/* one per name */
	char *is;		/* 1: m[i] is an addon */
	struct lint_report r;
};

static void *lint_batch(void *arg)
{
	struct batch *b = arg;
	size_t i;

	while ((i = atomic_fetch_add(b->next, LINT_CHUNK)) < b->n) {
		size_t end = b->n - i < LINT_CHUNK ? b->n : i + LINT_CHUNK;

		for (; i < end; i++) {
			char *sub = xasprintf("%s/%s", b->dir, b->names[i]);

			b->is[i] = manifest_lint(&b->m[i], sub, b->flags,
						 &b->r) == 0;
			free(sub);
		}
	}
	return NULL;
}

static void report_move(struct lint_report *to, struct lint_report *from)
{
	for (size_t i = 0; i < from->n; i++) {
		if (to->n == to->cap) {
			to->cap = to->cap ? 2 * to->cap : 16;
			to->v = xrealloc(to->v, to->cap * sizeof(*to->v));
		}
		to->v[to->n++] = from->v[i];
	}
	free(from->v);
}

static int threads_for(size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t t = n / LINT_PER_THREAD;

	if (cpus > 0 && t > (size_t)cpus)
		t = (size_t)cpus;
	return t < 1 ? 1 : t > LINT_THREADS ? LINT_THREADS : (int)t;
}

/* Lints every addon among names in dir; how many there were. */
static int lint_dir(struct addons *a, const char *dir, char **names, size_t n,
		    struct lint_report *r)
{
	struct batch b[LINT_THREADS];
	pthread_t tid[LINT_THREADS];
	int own[LINT_THREADS];	/* 1: batch t has its own thread */
	struct manifest *m = xcalloc(n ? n : 1, sizeof(*m));
	char *is = xcalloc(n ? n : 1, 1);
	int nt = threads_for(n), found = 0;
	atomic_size_t next = 0;

	for (int t = 0; t < nt; t++) {
		b[t] = (struct batch){ .flags = a->flags, .dir = dir,
				       .names = names, .n = n, .next = &next,
				       .m = m, .is = is };
		own[t] = t > 0 &&
			 pthread_create(&tid[t], NULL, lint_batch, &b[t]) == 0;
	}
	for (int t = 0; t < nt; t++)	/* no thread of its own: here */
		if (!own[t])
			lint_batch(&b[t]);
	for (int t = 0; t < nt; t++) {
		if (own[t])
			pthread_join(tid[t], NULL);
		report_move(r, &b[t].r);
	}
	reserve(a, n);
	for (size_t i = 0; i < n; i++) {
		if (!is[i])
			continue;
		a->m[a->n++] = m[i];
		know(a, m[i].name);
		found++;
	}
	free(m);
	free(is);
	return found;
}

static char *parent_of(const char *path)
{
	char *p = xstrdup(path), *slash;

	while (strlen(p) > 1 && p[strlen(p) - 1] == '/')
		p[strlen(p) - 1] = '\0';
	slash = strrchr(p, '/');
	if (!slash) {
		free(p);
		return xstrdup(".");
	}
	slash[slash == p] = '\0';
	return p;
}

/* One PATH: an addon (its siblings become known) or an addons directory. */
static int add_path(struct addons *a, const char *path, struct lint_report *r,
		    char **cause)
{
	struct stat st;
	int single, found = 0;
	char *dir, **names, *why = NULL;
	size_t n;

	if (stat(path, &st) < 0) {
		*cause = xasprintf("cannot lint '%s': %s", path,
				   strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		*cause = xasprintf("cannot lint '%s': not a directory (give an "
				   "addons directory or an addon's)", path);
		return -1;
	}
	single = is_addon(path);
	dir = single ? parent_of(path) : xstrdup(path);
	if (list_dirs(dir, &names, &n, &why) < 0 && !single) {
		*cause = why;
		free(dir);
		return -1;
	}
	free(why);
	if (!single)
		found = lint_dir(a, dir, names, n, r);
	for (size_t i = 0; i < n; i++) {
		char *sub = xasprintf("%s/%s", dir, names[i]);

		if (single && is_addon(sub))
			know(a, names[i]);
		free(sub);
		free(names[i]);
	}
	if (single)
		found = lint_one(a, path, r);
	free(names);
	free(dir);
	if (found)
		return 0;
	*cause = xasprintf("no addon in '%s' (an addon is a directory "
			   "holding a " MANIFEST_NAME ")", path);
	return -1;
}

/* ---- dependencies ------------------------------------------------------- */

/*
 * Names to indexes, by hash (open addressing): the dependencies of 5000
 * addons are looked up without a string comparison per step of a
 * binary search. The first index added for a name stays.
 */
struct names {
	const char **name;
	size_t *index;
	size_t mask;
};

static void names_init(struct names *t, size_t n)
{
	size_t size = 16;

	while (size < 2 * n)
		size *= 2;
	t->name = xcalloc(size, sizeof(*t->name));
	t->index = xcalloc(size, sizeof(*t->index));
	t->mask = size - 1;
}

static void names_release(struct names *t)
{
	free(t->name);
	free(t->index);
}

/* name's slot: where it is, or the free one where it would go. */
static size_t names_slot(const struct names *t, const char *name)
{
	size_t i = (size_t)str_hash(name) & t->mask;

	while (t->name[i] && strcmp(t->name[i], name))
		i = (i + 1) & t->mask;
	return i;
}

static void names_add(struct names *t, const char *name, size_t index)
{
	size_t i = names_slot(t, name);

	if (!t->name[i]) {
		t->name[i] = name;
		t->index[i] = index;
	}
}

static long names_find(const struct names *t, const char *name)
{
	size_t i = names_slot(t, name);

	return t->name[i] ? (long)t->index[i] : -1;
}

static void check_depends(const struct addons *a, struct lint_report *r)
{
	struct names known;

	names_init(&known, a->nknown);
	for (size_t i = 0; i < a->nknown; i++)
		names_add(&known, a->known[i], i);
	for (size_t i = 0; i < a->n; i++) {
		const struct manifest *m = &a->m[i];

		for (size_t j = 0; j < m->ndeps; j++)
			if (!odoo19_module(m->deps[j].name) &&
			    names_find(&known, m->deps[j].name) < 0)
				lint_add(r, LINT_ERROR, m->path,
					 m->deps[j].line, m->deps[j].col,
					 "depends", "'%s' is neither on the "
					 "addons path nor a module of Odoo 19: "
					 "Odoo 19 skips this module "
					 "(module_graph.py:262) and refuses to "
					 "install it (ir_module.py:380)",
					 m->deps[j].name);
	}
	names_release(&known);
}

struct graph {
	const struct addons *a;
	struct names by_name;	/* the first linted addon of each name */
	int *color;		/* 0 new, 1 on the stack, 2 done */
	size_t *stack, depth;
	struct lint_report *r;
};

/* The linted addon called name (the first, as Odoo takes the first). */
static long addon_index(const struct graph *g, const char *name)
{
	return names_find(&g->by_name, name);
}

static void report_cycle(struct graph *g, size_t from, size_t to,
			 const struct manifest_dep *at)
{
	struct buf b;
	size_t k = g->depth;

	while (k > 0 && g->stack[k - 1] != to)
		k--;
	buf_init(&b, 1u << 20);
	for (k = k ? k - 1 : 0; k < g->depth; k++)
		buf_printf(&b, "%s -> ", g->a->m[g->stack[k]].name);
	buf_printf(&b, "%s", g->a->m[to].name);
	lint_add(g->r, LINT_ERROR, g->a->m[from].path, at->line, at->col,
		 "depends-cycle", "dependency cycle: %s: Odoo 19 skips these "
		 "modules (module_graph.py:272)", b.data);
	buf_release(&b);
}

static void visit(struct graph *g, size_t i)
{
	const struct manifest *m = &g->a->m[i];

	g->color[i] = 1;
	g->stack[g->depth++] = i;
	for (size_t j = 0; j < m->ndeps; j++) {
		long t = addon_index(g, m->deps[j].name);

		if (t >= 0 && g->color[t] == 1)
			report_cycle(g, i, (size_t)t, &m->deps[j]);
		else if (t >= 0 && g->color[t] == 0)
			visit(g, (size_t)t);
	}
	g->depth--;
	g->color[i] = 2;
}

static void check_cycles(const struct addons *a, struct lint_report *r)
{
	struct graph g = { a, { 0 }, xcalloc(a->n, sizeof(int)),
			   xcalloc(a->n, sizeof(size_t)), 0, r };

	names_init(&g.by_name, a->n);
	for (size_t i = 0; i < a->n; i++)
		names_add(&g.by_name, a->m[i].name, i);
	for (size_t i = 0; i < a->n; i++)
		if (!g.color[i])
			visit(&g, i);
	names_release(&g.by_name);
	free(g.color);
	free(g.stack);
}

/* ---- all of it ---------------------------------------------------------- */

static void addons_release(struct addons *a)
{
	for (size_t i = 0; i < a->n; i++)
		manifest_release(&a->m[i]);
	for (size_t i = 0; i < a->nknown; i++)
		free(a->known[i]);
	free(a->m);
	free(a->known);
}

int lint_paths(const char *const *paths, size_t n, unsigned flags,
	       struct lint_report *r, char **cause)
{
	struct addons a = { .flags = flags };
	const char **dirs;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		rc = add_path(&a, paths[i], r, cause);
	if (rc == 0) {
		check_depends(&a, r);
		check_cycles(&a, r);
		lint_assets(a.m, a.n, flags, r);
		r->addons = a.n;
		dirs = xcalloc(a.n, sizeof(*dirs));
		for (size_t i = 0; i < a.n; i++)
			dirs[i] = a.m[i].dir;
		r->py_files = flags & LINT_PYTHON ?
			      pycompile_addons(dirs, a.n, r, cause) : 0;
		rc = r->py_files < -1 ? -2 : 0;
		free(dirs);
	}
	addons_release(&a);
	return rc;
}
