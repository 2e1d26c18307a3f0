#include "lint/manifest_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

/* dir/path[0..len) into out (PATH_MAX bytes); 0 when it does not fit. */
static int join(char *out, const char *dir, const char *path, size_t len)
{
	size_t n = strlen(dir);

	if (n + 1 + len >= PATH_MAX)
		return 0;
	memcpy(out, dir, n);
	out[n] = '/';
	memcpy(out + n + 1, path, len);
	out[n + 1 + len] = '\0';
	return 1;
}

void manifest_files_init(struct manifest_files *f, const char *dir)
{
	memset(f, 0, sizeof(*f));
	f->dir = dir;
}

void manifest_files_release(struct manifest_files *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

void manifest_files_want(struct manifest_files *f, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 16;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	f->v[f->n++] = (struct manifest_file){
		.path = path, .dir_len = slash ? (size_t)(slash - path) : 0,
		.kind = MANIFEST_FILE_UNKNOWN };
}

static int same_dir(const struct manifest_file *a,
		    const struct manifest_file *b)
{
	return a->dir_len == b->dir_len &&
	       !memcmp(a->path, b->path, a->dir_len);
}

static const char *base_of(const struct manifest_file *e)
{
	return e->dir_len ? e->path + e->dir_len + 1 : e->path;
}

/*
 * Marks the wanted files of first's directory (from first on) that the
 * entry name is. How many of them it settled.
 */
static size_t match(struct manifest_files *f, size_t first, const char *name,
		    unsigned char type)
{
	size_t settled = 0;

	for (size_t i = first; i < f->n; i++) {
		struct manifest_file *e = &f->v[i];

		if (!same_dir(e, &f->v[first]) || strcmp(base_of(e), name))
			continue;
		e->kind = type == DT_REG ? MANIFEST_FILE_REGULAR :
			  type == DT_DIR ? MANIFEST_FILE_DIRECTORY :
			  MANIFEST_FILE_UNKNOWN;
		settled++;
	}
	return settled;
}

/* Reads the directory of f->v[first], which wanted files are in it. */
static void list_dir(struct manifest_files *f, size_t first, size_t wanted)
{
	const struct manifest_file *e = &f->v[first];
	char path[PATH_MAX];
	_Alignas(struct dirent64) char buf[32768];
	int fd = -1;
	ssize_t n;

	if (join(path, f->dir, e->path, e->dir_len))
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;		/* stat each, as without the listing */
	/* a directory we may read but not search: its names are listed,
	 * yet stat (and Odoo) cannot reach the files; stat each */
	if (faccessat(fd, ".", X_OK, AT_EACCESS) < 0) {
		close(fd);
		return;
	}
	/* until each wanted name is seen: no read that would say "end" */
	while (wanted > 0 && (n = getdents64(fd, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n && wanted > 0;) {
			const struct dirent64 *d = (void *)(buf + off);

			wanted -= match(f, first, d->d_name, d->d_type);
			off += d->d_reclen;
		}
	close(fd);
}

void manifest_files_list(struct manifest_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		size_t count = 0, seen_before = 0;

		for (size_t j = 0; j < f->n && !seen_before; j++) {
			if (!same_dir(&f->v[i], &f->v[j]))
				continue;
			seen_before = j < i;
			count++;
		}
		if (!seen_before && count >= MANIFEST_FILES_LIST_MIN)
			list_dir(f, i, count);
	}
}

int manifest_files_stat(const struct manifest_files *f, const char *path)
{
	struct stat st;
	char stack[PATH_MAX], *full = stack;
	int found;

	for (size_t i = 0; i < f->n; i++) {
		if (f->v[i].path != path)
			continue;
		if (f->v[i].kind == MANIFEST_FILE_REGULAR)
			return 0;
		if (f->v[i].kind == MANIFEST_FILE_DIRECTORY)
			return 1;
		break;
	}
	if (!join(stack, f->dir, path, strlen(path)))
		full = xasprintf("%s/%s", f->dir, path);	/* ENAMETOOLONG */
	found = stat(full, &st) == 0;
	if (full != stack)
		free(full);
	return !found ? -1 : !S_ISREG(st.st_mode);
}
