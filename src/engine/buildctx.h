/*
 * The build context of an image: a directory packed as a tar, leaving out
 * what its .dockerignore excludes (Docker's pattern rules: '*' and '?'
 * stay within a path component, '**' spans components, '!' re-includes,
 * a pattern that matches a directory excludes what is below it). The
 * Dockerfile and .dockerignore are always sent. Entries are owned by
 * root; symbolic links are stored as links; sockets and devices are left
 * out.
 */
#ifndef ODOOCTL_BUILDCTX_H
#define ODOOCTL_BUILDCTX_H

#include "core/util.h"

#define BUILDCTX_MAX (256u << 20)

/* Appends the tar to tar (bounded by tar->max); -1 with *cause. */
int buildctx_tar(const char *dir, const char *dockerfile, struct buf *tar,
		 char **cause);

#endif
