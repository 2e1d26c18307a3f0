#include "engine/buildctx.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The patterns of a .dockerignore, in order; later ones win. */
struct ignore {
	char **pat;
	int *neg;
	size_t n;
	int any_neg;
};

/* A [...] class at *pp against c; leaves *pp on its ']'. */
static int class_match(const char **pp, char c)
{
	const char *p = *pp + 1;
	int neg = (*p == '!' || *p == '^'), hit = 0;

	p += neg;
	do {
		if (p[1] == '-' && p[2] && p[2] != ']') {
			hit |= (c >= p[0] && c <= p[2]);
			p += 3;
		} else {
			hit |= (c == *p++);
		}
	} while (*p && *p != ']');
	*pp = *p ? p : p - 1;
	return hit != neg && c != '/';
}

/* Docker's patterns: '*' and '?' stay within a component, '**' does not. */
static int glob_match(const char *p, const char *s)
{
	for (; *p; p++, s++) {
		if (p[0] == '*' && p[1] == '*' && p[2] == '/') {
			for (p += 3;; s++) {
				if (glob_match(p, s))
					return 1;
				if (!(s = strchr(s, '/')))
					return 0;
			}
		}
		if (p[0] == '*' && p[1] == '*') {
			for (p += 2;; s++) {
				if (glob_match(p, s))
					return 1;
				if (!*s)
					return 0;
			}
		}
		if (*p == '*') {
			for (p++;; s++) {
				if (glob_match(p, s))
					return 1;
				if (!*s || *s == '/')
					return 0;
			}
		}
		if (!*s || (*p == '?' && *s == '/'))
			return 0;
		if (*p == '?')
			continue;
		if (*p == '[') {
			if (!class_match(&p, *s))
				return 0;
			continue;
		}
		if (*p == '\\' && p[1])
			p++;
		if (*p != *s)
			return 0;
	}
	return !*s;
}

/* Whether path or one of its parent directories matches pat. */
static int match_or_parent(const char *pat, const char *path)
{
	char *p = xstrdup(path), *slash;
	int m = glob_match(pat, p);

	while (!m && (slash = strrchr(p, '/'))) {
		*slash = '\0';
		m = glob_match(pat, p);
	}
	free(p);
	return m;
}

static int ignored(const struct ignore *ig, const char *path)
{
	int out = 0;

	for (size_t i = 0; i < ig->n; i++)
		if (match_or_parent(ig->pat[i], path))
			out = !ig->neg[i];
	return out;
}

static void ignore_add(struct ignore *ig, char *line)
{
	char *p = strtrim(line);
	int neg = (*p == '!');
	size_t len;

	if (*line == '#')
		return;
	p = strtrim(p + neg);
	while (*p == '/' || (p[0] == '.' && p[1] == '/'))
		p += (*p == '/') ? 1 : 2;
	len = strlen(p);
	while (len && p[len - 1] == '/')
		p[--len] = '\0';
	if (!len)
		return;
	ig->pat = xrealloc(ig->pat, (ig->n + 1) * sizeof(*ig->pat));
	ig->neg = xrealloc(ig->neg, (ig->n + 1) * sizeof(*ig->neg));
	ig->pat[ig->n] = xstrdup(p);
	ig->neg[ig->n++] = neg;
	ig->any_neg |= neg;
}

static void ignore_load(struct ignore *ig, const char *dir)
{
	char *path = xasprintf("%s/.dockerignore", dir), *line = NULL;
	FILE *f = fopen(path, "r");
	size_t cap = 0;

	memset(ig, 0, sizeof(*ig));
	while (f && getline(&line, &cap, f) >= 0)
		ignore_add(ig, line);
	if (f)
		fclose(f);
	free(line);
	free(path);
}

static void ignore_release(struct ignore *ig)
{
	for (size_t i = 0; i < ig->n; i++)
		free(ig->pat[i]);
	free(ig->pat);
	free(ig->neg);
}

static la_ssize_t tar_write(struct archive *a, void *arg, const void *p,
			    size_t n)
{
	struct buf *tar = arg;

	if (buf_append(tar, p, n) == 0)
		return (la_ssize_t)n;
	archive_set_error(a, EFBIG, "larger than %zu bytes", tar->max);
	return -1;
}

/* Writes one file system entry, as root-owned, named rel. */
static int tar_entry(struct archive *disk, struct archive *w,
		     struct archive_entry *e, const char *rel)
{
	mode_t type = archive_entry_filetype(e);
	char data[65536];
	la_ssize_t n;

	archive_entry_set_pathname(e, rel);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, NULL);
	archive_entry_set_gname(e, NULL);
	if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
		return 0;	/* sockets, fifos, devices: nothing to build */
	if (archive_write_header(w, e) < ARCHIVE_WARN)
		return -1;
	if (type != AE_IFREG)
		return 0;
	while ((n = archive_read_data(disk, data, sizeof(data))) > 0)
		if (archive_write_data(w, data, (size_t)n) != n)
			return -1;
	return n < 0 ? -1 : 0;
}

/* Walks root into w, leaving out what .dockerignore excludes. */
static int tar_walk(struct archive *disk, struct archive *w, const char *root,
		    const char *dockerfile, const struct ignore *ig)
{
	size_t rlen = strlen(root);
	struct archive_entry *e;
	int r = ARCHIVE_OK;

	while (r == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *path, *rel;
		int skip;

		e = archive_entry_new();
		r = archive_read_next_header2(disk, e);
		path = archive_entry_pathname(e);
		if ((r != ARCHIVE_OK && r != ARCHIVE_WARN) || !path ||
		    strncmp(path, root, rlen))
			goto next;
		rel = path + rlen + (path[rlen] == '/');
		skip = *rel && ignored(ig, rel) && strcmp(rel, dockerfile) &&
		       strcmp(rel, ".dockerignore");
		if (archive_entry_filetype(e) == AE_IFDIR &&
		    (!skip || ig->any_neg))
			archive_read_disk_descend(disk);
		if (*rel && !skip && tar_entry(disk, w, e, rel) < 0)
			r = ARCHIVE_FATAL;
next:
		archive_entry_free(e);
	}
	return r == ARCHIVE_EOF ? 0 : -1;
}

static int check_dir(const char *dir, char **cause)
{
	struct stat sb;
	const char *why;

	if (stat(dir, &sb) < 0)
		why = strerror(errno);
	else if (!S_ISDIR(sb.st_mode))
		why = "not a directory";
	else
		return 0;
	*cause = xasprintf("cannot pack the build context '%s': %s", dir, why);
	return -1;
}

int buildctx_tar(const char *dir, const char *dockerfile, struct buf *tar,
		 char **cause)
{
	struct archive *disk, *w;
	char *root;
	size_t len;
	struct ignore ig;
	int rc = -1;

	if (check_dir(dir, cause) < 0)
		return -1;
	disk = archive_read_disk_new();
	w = archive_write_new();
	root = xstrdup(dir);
	len = strlen(root);
	while (len > 1 && root[len - 1] == '/')
		root[--len] = '\0';
	ignore_load(&ig, root);
	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_XATTR |
					     ARCHIVE_READDISK_NO_ACL |
					     ARCHIVE_READDISK_NO_FFLAGS);
	archive_write_set_format_pax_restricted(w);
	archive_write_set_bytes_in_last_block(w, 1);
	if (archive_write_open(w, tar, NULL, tar_write, NULL) != ARCHIVE_OK ||
	    archive_read_disk_open(disk, root) != ARCHIVE_OK ||
	    tar_walk(disk, w, root, dockerfile, &ig) < 0 ||
	    archive_write_close(w) != ARCHIVE_OK) {
		const char *why = archive_error_string(w);

		if (!why)
			why = archive_error_string(disk);
		*cause = xasprintf("cannot pack the build context '%s': %s",
				   dir, why ? why : "unknown error");
		goto out;
	}
	rc = 0;
out:
	ignore_release(&ig);
	archive_read_free(disk);
	archive_write_free(w);
	free(root);
	return rc;
}

