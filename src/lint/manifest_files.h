/*
 * Whether the data and demo files a manifest lists exist, in few system
 * calls (internal to manifest.c). A directory from which the manifest lists
 * at least MANIFEST_FILES_LIST_MIN files is read once (open, getdents64,
 * close: about the price of three stats of files in one directory here)
 * instead of a stat per file. What the listing does not settle (a name it
 * lacks, a symbolic link, a type it does not give) is stat'ed as before,
 * so the answers are stat's.
 */
#ifndef ODOOCTL_MANIFEST_FILES_H
#define ODOOCTL_MANIFEST_FILES_H

#include <stddef.h>

#define MANIFEST_FILES_LIST_MIN 4

struct manifest_file {
	const char *path;	/* borrowed: the manifest's str */
	size_t dir_len;		/* path[0..dir_len) is its directory */
	int kind;		/* MANIFEST_FILE_* */
};

enum {
	MANIFEST_FILE_UNKNOWN,	/* stat it */
	MANIFEST_FILE_REGULAR,
	MANIFEST_FILE_DIRECTORY,
};

struct manifest_files {
	const char *dir;	/* the addon's directory (borrowed) */
	struct manifest_file *v;
	size_t n, cap;
};

void manifest_files_init(struct manifest_files *f, const char *dir);
void manifest_files_release(struct manifest_files *f);
/* path (relative to the addon, kept by pointer) will be asked about. */
void manifest_files_want(struct manifest_files *f, const char *path);
/* Reads the directories that hold enough of the wanted files. */
void manifest_files_list(struct manifest_files *f);
/*
 * What stat(dir/path) says: -1 nothing there (or it cannot be reached),
 * 0 a regular file, 1 something else.
 */
int manifest_files_stat(const struct manifest_files *f, const char *path);

#endif
