#include "lint/addons.h"
#include "lint/addon_meta.h"
#include "core/log.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ADDON_FILES_MAX 100000

struct paths {
	char **v;
	size_t n;
};

static int walk(const char *root, const char *rel, struct paths *p,
		char **cause)
{
	char *dirpath = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *dir = opendir(dirpath);
	struct dirent *de;
	int rc = 0;

	if (!dir) {
		*cause = xasprintf("cannot read '%s': %s", dirpath,
				   strerror(errno));
		free(dirpath);
		return -1;
	}
	while (rc == 0 && (de = readdir(dir))) {
		char *r, *full;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		r = *rel ? xasprintf("%s/%s", rel, de->d_name) :
			   xstrdup(de->d_name);
		full = xasprintf("%s/%s", root, r);
		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			char *probe = xasprintf("%s/", r);

			if (!addons_skipped(probe))
				rc = walk(root, r, p, cause);
			free(probe);
			free(r);
		} else if (addons_skipped(r) || p->n >= ADDON_FILES_MAX) {
			free(r);
		} else {
			p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
			p->v[p->n++] = r;
		}
		free(full);
	}
	closedir(dir);
	free(dirpath);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int hash_file(EVP_MD_CTX *md, const char *root, const char *rel,
		     char **cause)
{
	char *full = xasprintf("%s/%s", root, rel), chunk[65536];
	FILE *f = fopen(full, "rb");
	size_t n;

	if (!f) {
		*cause = xasprintf("cannot read '%s': %s", full,
				   strerror(errno));
		free(full);
		return -1;
	}
	/* The path and a separator, so a rename changes the sum too. */
	EVP_DigestUpdate(md, rel, strlen(rel) + 1);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		EVP_DigestUpdate(md, chunk, n);
	EVP_DigestUpdate(md, "\0", 1);
	fclose(f);
	free(full);
	return 0;
}

/* The checksum of the files of addon_dir that meta says matter to the
 * database, or of every file when meta is NULL. */
static int checksum(const char *addon_dir, const struct addon_meta *meta,
		    char out[72], char **cause)
{
	struct paths p = { 0 };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int rc = walk(addon_dir, "", &p, cause);

	if (rc == 0) {
		qsort(p.v, p.n, sizeof(*p.v), cmp_str);
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		for (size_t i = 0; i < p.n && rc == 0; i++)
			if (!meta || addon_meta_db_file(meta, p.v[i]))
				rc = hash_file(md, addon_dir, p.v[i], cause);
		EVP_DigestFinal_ex(md, sum, &len);
	}
	if (rc == 0) {
		memcpy(out, "sha256:", 7);
		for (unsigned int i = 0; i < len; i++)
			snprintf(out + 7 + 2 * i, 3, "%02x", sum[i]);
	}
	for (size_t i = 0; i < p.n; i++)
		free(p.v[i]);
	free(p.v);
	EVP_MD_CTX_free(md);
	return rc;
}

int addons_checksum_one(const char *addon_dir, char out[72], char **cause)
{
	return checksum(addon_dir, NULL, out, cause);
}

static void set_label(json_t *labels, const char *prefix, const char *name,
		      const char *value)
{
	char *key = xasprintf("%s%s", prefix, name);

	json_object_set_new(labels, key, json_string(value));
	free(key);
}

/*
 * The version and database labels of an addon. A manifest that does not
 * parse (lint says why) gets neither: a deploy under upgrade_trigger =
 * version then decides by its checksum.
 */
static int meta_labels(const char *addon, const char *name, json_t *labels,
		       char **cause)
{
	struct addon_meta m;
	char sum[72], *why = NULL;
	int rc;

	if (addon_meta_read(addon, &m, &why) < 0) {
		log_warn("addon %s: no version label (%s)", name, why);
		free(why);
		return 0;
	}
	if (m.version)
		set_label(labels, ADDON_VERSION_PREFIX, name, m.version);
	rc = checksum(addon, &m, sum, cause);
	if (rc == 0)
		set_label(labels, ADDON_DATA_PREFIX, name, sum);
	addon_meta_release(&m);
	return rc;
}

int addons_checksums(const char *dir, json_t *labels, int *count,
		     char **cause)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	*count = 0;
	if (!d) {
		*cause = xasprintf("cannot read addons directory '%s': %s", dir,
				   strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d))) {
		char *addon = xasprintf("%s/%s", dir, de->d_name);
		char *manifest = xasprintf("%s/__manifest__.py", addon);
		char sum[72];

		if (de->d_name[0] != '.' && access(manifest, R_OK) == 0) {
			rc = addons_checksum_one(addon, sum, cause);
			if (rc == 0) {
				set_label(labels, ADDON_LABEL_PREFIX,
					  de->d_name, sum);
				rc = meta_labels(addon, de->d_name, labels,
						 cause);
				(*count)++;
			}
		}
		free(manifest);
		free(addon);
	}
	closedir(d);
	return rc;
}
