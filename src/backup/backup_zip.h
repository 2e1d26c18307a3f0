/*
 * The zip side of backups (libarchive), shared by backup.c,
 * backup_restore.c and backup_verify.c: a writer that hashes and counts
 * what it writes to a .partial file, a reader, and the checks a zip gets
 * before anything is restored from it.
 */
#ifndef ODOOCTL_BACKUP_ZIP_H
#define ODOOCTL_BACKUP_ZIP_H

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/evp.h>

struct zipw {
	struct archive *a;
	int fd;
	EVP_MD_CTX *sha;
	long long bytes;
	long long synced;	/* writeback started up to here */
	int level;		/* deflate level; 0 stores every entry */
};

/* The deflate level of backup_compression: store 0, fast 1, default 6. */
int zipw_level(const char *compression);
/*
 * Whether data that starts with p (n bytes) is compressed already (JPEG,
 * PNG, GIF, WebP, PDF, zip and office files, gzip, bzip2, xz, zstd, 7z):
 * deflating it again costs time and saves nothing.
 */
int zipw_precompressed(const void *p, size_t n);

/* Creates path (which must not exist) and starts a zip in it. */
int zipw_open(struct zipw *z, const char *path, int level, char **cause);
/*
 * An entry; size < 0 when unknown (then written with a data descriptor).
 * compress 0 stores it whatever the level.
 */
int zipw_entry(struct zipw *z, const char *name, long long size, int mode,
	       long mtime, int compress, char **cause);
int zipw_data(struct zipw *z, const void *p, size_t n, char **cause);
/* Finishes the zip, fsyncs and closes it; sha256 as 64 hex digits. */
int zipw_close(struct zipw *z, char sha256[65], long long *size,
	       char **cause);
/* Gives up; the caller removes the file. */
void zipw_abort(struct zipw *z);

/* Opens a zip for reading, through its central directory. */
struct archive *zipr_open(const char *path, char **cause);
/* The reader's error, as a message. Caller frees. */
char *zipr_error(struct archive *a, const char *path);

/* sha256 of a file, 64 hex digits; its size. */
int file_sha256(const char *path, char hex[65], long long *size,
		char **cause);

/*
 * Before a restore: the recorded sha256 and size (when there is metadata)
 * match, and the zip has a dump.sql. meta may be NULL (a zip we did not
 * make: Odoo's database manager's, say).
 */
int backup_zip_check(const char *path, json_t *meta, char **cause);

#endif
