#include "core/release.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIGEST_PREFIX "sha256:"
#define DIGEST_LEN (7 + 64)

int release_digest_valid(const char *s)
{
	if (strncmp(s, DIGEST_PREFIX, 7) != 0 || strlen(s) != DIGEST_LEN)
		return 0;
	for (s += 7; *s; s++)
		if (!strchr("0123456789abcdef", *s))
			return 0;
	return 1;
}

static int repo_valid(const char *repo)
{
	if (!*repo || strlen(repo) > 255)
		return 0;
	for (const char *s = repo; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789._-/:", *s))
			return 0;
	return repo[strlen(repo) - 1] != '/' && repo[0] != '/';
}

int release_parse(struct release *r, const char *arg, const char *repository,
		  char **cause)
{
	const char *at = strrchr(arg, '@');
	const char *digest = at ? at + 1 : arg;

	memset(r, 0, sizeof(*r));
	if (!release_digest_valid(digest)) {
		if (!at && !str_starts_with(arg, DIGEST_PREFIX))
			*cause = xasprintf("'%s' is not a digest: a release is "
					   "named by sha256:<64 hex> or "
					   "repo@sha256:<64 hex>, never by tag",
					   arg);
		else
			*cause = xasprintf("malformed digest '%s': expected "
					   "sha256: and 64 lowercase hex digits",
					   digest);
		return -1;
	}
	r->repo = at ? xstrndup(arg, (size_t)(at - arg)) : xstrdup(repository);
	if (!repo_valid(r->repo)) {
		*cause = xasprintf("malformed repository '%s' in '%s'", r->repo,
				   arg);
		release_release(r);
		return -1;
	}
	r->digest = xstrdup(digest);
	r->ref = xasprintf("%s@%s", r->repo, r->digest);
	return 0;
}

void release_release(struct release *r)
{
	free(r->ref);
	free(r->repo);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

void release_short(const char *digest, char out[13])
{
	const char *hex = str_starts_with(digest, DIGEST_PREFIX) ?
		digest + 7 : digest;

	snprintf(out, 13, "%s", hex);
}
