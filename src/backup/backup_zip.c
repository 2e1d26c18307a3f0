#include "backup/backup_zip.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK (1u << 20)
/*
 * Writeback is started every so many bytes, so the fsync at the end waits
 * for the last stretch only, not for the whole zip at once.
 */
#define WRITEBACK_EVERY (32LL << 20)

static la_ssize_t zipw_write(struct archive *a, void *arg, const void *p,
			     size_t n)
{
	struct zipw *z = arg;
	const char *c = p;
	size_t left = n;

	while (left) {
		ssize_t k = write(z->fd, c, left);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			archive_set_error(a, errno, "%s", strerror(errno));
			return -1;
		}
		c += k;
		left -= (size_t)k;
	}
	EVP_DigestUpdate(z->sha, p, n);
	z->bytes += (long long)n;
	if (z->bytes - z->synced >= WRITEBACK_EVERY) {
		sync_file_range(z->fd, z->synced, z->bytes - z->synced,
				SYNC_FILE_RANGE_WRITE);
		z->synced = z->bytes;
	}
	return (la_ssize_t)n;
}

static char *zipw_error(struct zipw *z)
{
	const char *e = archive_error_string(z->a);

	return xstrdup(e ? e : "unknown error");
}

int zipw_level(const char *compression)
{
	if (compression && !strcmp(compression, "store"))
		return 0;
	if (compression && !strcmp(compression, "default"))
		return 6;
	return 1;
}

int zipw_precompressed(const void *p, size_t n)
{
	static const struct { const char *magic; size_t len, at; } kinds[] = {
		{ "\xff\xd8\xff", 3, 0 },		/* JPEG */
		{ "\x89PNG\r\n\x1a\n", 8, 0 },	/* PNG */
		{ "GIF8", 4, 0 },
		{ "WEBP", 4, 8 },			/* RIFF....WEBP */
		{ "%PDF", 4, 0 },
		{ "PK\x03\x04", 4, 0 },		/* zip, docx, xlsx, odt */
		{ "\x1f\x8b", 2, 0 },			/* gzip */
		{ "BZh", 3, 0 },
		{ "\xfd" "7zXZ", 5, 0 },
		{ "\x28\xb5\x2f\xfd", 4, 0 },	/* zstd */
		{ "7z\xbc\xaf\x27\x1c", 6, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (n >= kinds[i].at + kinds[i].len &&
		    !memcmp((const char *)p + kinds[i].at, kinds[i].magic,
			    kinds[i].len))
			return 1;
	return 0;
}

int zipw_open(struct zipw *z, const char *path, int level, char **cause)
{
	memset(z, 0, sizeof(*z));
	z->level = level;
	z->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (z->fd < 0) {
		*cause = xasprintf("cannot create '%s': %s", path,
				   strerror(errno));
		return -1;
	}
	z->sha = EVP_MD_CTX_new();
	EVP_DigestInit_ex(z->sha, EVP_sha256(), NULL);
	z->a = archive_write_new();
	archive_write_set_format_zip(z->a);
	if (level > 0) {
		char l[16];

		snprintf(l, sizeof(l), "%d", level);
		archive_write_set_format_option(z->a, "zip",
						"compression-level", l);
	}
	archive_write_set_bytes_per_block(z->a, BLOCK);
	archive_write_set_bytes_in_last_block(z->a, 1);
	if (archive_write_open(z->a, z, NULL, zipw_write, NULL) != ARCHIVE_OK) {
		char *e = zipw_error(z);

		*cause = xasprintf("cannot write '%s': %s", path, e);
		free(e);
		zipw_abort(z);
		return -1;
	}
	return 0;
}

int zipw_entry(struct zipw *z, const char *name, long long size, int mode,
	       long mtime, int compress, char **cause)
{
	struct archive_entry *e = archive_entry_new();
	int rc;

	if (compress && z->level > 0)
		archive_write_zip_set_compression_deflate(z->a);
	else
		archive_write_zip_set_compression_store(z->a);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, (mode_t)mode);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	if (size >= 0)
		archive_entry_set_size(e, (la_int64_t)size);
	else
		archive_entry_unset_size(e);
	rc = archive_write_header(z->a, e);
	archive_entry_free(e);
	if (rc == ARCHIVE_OK)
		return 0;
	{
		char *m = zipw_error(z);

		*cause = xasprintf("cannot add '%s' to the zip: %s", name, m);
		free(m);
	}
	return -1;
}

int zipw_data(struct zipw *z, const void *p, size_t n, char **cause)
{
	la_ssize_t k = archive_write_data(z->a, p, n);
	char *m;

	if (k == (la_ssize_t)n)
		return 0;
	m = zipw_error(z);
	*cause = xasprintf("cannot write the zip: %s", m);
	free(m);
	return -1;
}

static void hex(const unsigned char *md, unsigned int n, char out[65])
{
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int zipw_close(struct zipw *z, char sha256[65], long long *size,
	       char **cause)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc = -1;

	if (archive_write_close(z->a) != ARCHIVE_OK) {
		char *m = zipw_error(z);

		*cause = xasprintf("cannot finish the zip: %s", m);
		free(m);
	} else if (fsync(z->fd) < 0) {
		*cause = xasprintf("cannot sync the zip: %s", strerror(errno));
	} else {
		EVP_DigestFinal_ex(z->sha, md, &n);
		hex(md, n, sha256);
		*size = z->bytes;
		rc = 0;
	}
	if (close(z->fd) < 0 && rc == 0) {
		*cause = xasprintf("cannot close the zip: %s", strerror(errno));
		rc = -1;
	}
	z->fd = -1;
	archive_write_free(z->a);
	EVP_MD_CTX_free(z->sha);
	memset(z, 0, sizeof(*z));
	return rc;
}

void zipw_abort(struct zipw *z)
{
	if (z->a) {
		archive_write_fail(z->a);
		archive_write_free(z->a);
	}
	if (z->fd > 0)
		close(z->fd);
	EVP_MD_CTX_free(z->sha);
	memset(z, 0, sizeof(*z));
}

char *zipr_error(struct archive *a, const char *path)
{
	const char *e = archive_error_string(a);

	return xasprintf("'%s' is not a readable zip: %s", path,
			 e ? e : "unknown error");
}

struct archive *zipr_open(const char *path, char **cause)
{
	struct archive *a = archive_read_new();

	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_filename(a, path, BLOCK) == ARCHIVE_OK)
		return a;
	*cause = zipr_error(a, path);
	archive_read_free(a);
	return NULL;
}

int file_sha256(const char *path, char out[65], long long *size,
		char **cause)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	EVP_MD_CTX *sha;
	char *buf;
	ssize_t k;

	if (fd < 0) {
		*cause = xasprintf("cannot open '%s': %s", path,
				   strerror(errno));
		return -1;
	}
	sha = EVP_MD_CTX_new();
	EVP_DigestInit_ex(sha, EVP_sha256(), NULL);
	buf = xmalloc(BLOCK);
	*size = 0;
	while ((k = read(fd, buf, BLOCK)) > 0 || (k < 0 && errno == EINTR))
		if (k > 0) {
			EVP_DigestUpdate(sha, buf, (size_t)k);
			*size += k;
		}
	if (k < 0)
		*cause = xasprintf("cannot read '%s': %s", path,
				   strerror(errno));
	else
		EVP_DigestFinal_ex(sha, md, &n);
	hex(md, n, out);
	free(buf);
	EVP_MD_CTX_free(sha);
	close(fd);
	return k < 0 ? -1 : 0;
}

static int check_sum(const char *path, json_t *meta, char **cause)
{
	const char *want = json_string_value(json_object_get(meta, "sha256"));
	json_int_t want_size = json_integer_value(json_object_get(meta,
								  "size"));
	char got[65] = "";
	long long size = 0;

	if (!want) {
		*cause = xasprintf("the metadata of '%s' has no sha256", path);
		return -1;
	}
	if (file_sha256(path, got, &size, cause) < 0)
		return -1;
	if (size != want_size) {
		*cause = xasprintf("'%s' is %lld bytes, its metadata says %lld: "
				   "truncated or overwritten", path, size,
				   (long long)want_size);
		return -1;
	}
	if (strcmp(got, want)) {
		*cause = xasprintf("'%s' has sha256 %s, its metadata says %s: "
				   "corrupted", path, got, want);
		return -1;
	}
	return 0;
}

int backup_zip_check(const char *path, json_t *meta, char **cause)
{
	struct archive *a;
	struct archive_entry *e;
	int dump = 0, rc;

	if (meta && check_sum(path, meta, cause) < 0)
		return -1;
	a = zipr_open(path, cause);
	if (!a)
		return -1;
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		dump |= !strcmp(archive_entry_pathname(e), "dump.sql");
	if (rc != ARCHIVE_EOF)
		*cause = zipr_error(a, path);
	else if (!dump)
		*cause = xasprintf("'%s' has no dump.sql: not an Odoo backup",
				   path);
	archive_read_free(a);
	return rc == ARCHIVE_EOF && dump ? 0 : -1;
}
