/*
 * Release identity: an image digest. `sha256:<64 hex>` is resolved against
 * the configured repository; `repo@sha256:<64 hex>` is taken as is. A tag
 * alone is refused: a tag can move, a digest cannot.
 */
#ifndef ODOOCTL_RELEASE_H
#define ODOOCTL_RELEASE_H

struct release {
	char *ref;	/* repo@sha256:... */
	char *repo;
	char *digest;	/* sha256:... */
};

int release_parse(struct release *r, const char *arg, const char *repository,
		  char **cause);
void release_release(struct release *r);
/* 1 when s is exactly sha256:<64 lowercase hex>. */
int release_digest_valid(const char *s);
/* The first 12 hex digits, for names and messages. */
void release_short(const char *digest, char out[13]);

#endif
