#include "release/trigger.h"
#include "lint/addons.h"
#include "core/log.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

#define WHY_VERSION_MAX 40
#define HISTORY_FIELD_MAX 200

enum upgrade_trigger trigger_parse(const char *word)
{
	return word && !strcmp(word, "version") ? UPGRADE_BY_VERSION :
						  UPGRADE_BY_CHECKSUM;
}

static const char *label(json_t *labels, const char *prefix,
			 const char *name)
{
	char *key = xasprintf("%s%s", prefix, name);
	const char *v = json_string_value(json_object_get(labels, key));

	free(key);
	return v;
}

static int has_prefix(json_t *labels, const char *prefix)
{
	const char *key;
	json_t *v;

	json_object_foreach(labels, key, v)
		if (str_starts_with(key, prefix))
			return 1;
	return 0;
}

/* A label's value as it may stand in a token: bounded, no odd bytes. */
static char *clean(const char *s)
{
	char *out = xstrndup(s, WHY_VERSION_MAX);

	for (char *p = out; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
			    "WXYZ0123456789._+~", *p))
			*p = '?';
	return out;
}

static char *version_why(const char *was, const char *now)
{
	char *a = clean(was), *b = clean(now);
	char *why = xasprintf("version:%s->%s", a, b);

	free(a);
	free(b);
	return why;
}

static void push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

/* The version rule on the changed addons: the kept ones stay in order. */
static void by_version(json_t *old, json_t *new, struct addon_diff *d)
{
	size_t kept = 0;

	for (size_t i = 0; i < d->nchanged; i++) {
		const char *name = d->changed[i];
		const char *was = label(old, ADDON_VERSION_PREFIX, name);
		const char *now = label(new, ADDON_VERSION_PREFIX, name);
		const char *dwas = label(old, ADDON_DATA_PREFIX, name);
		const char *dnow = label(new, ADDON_DATA_PREFIX, name);

		if (!was || !now) {
			d->why[kept] = xstrdup("no-version");
		} else if (strcmp(was, now)) {
			d->why[kept] = version_why(was, now);
		} else {
			push(&d->held, &d->nheld, name);
			if (!dwas || !dnow || strcmp(dwas, dnow))
				push(&d->stale, &d->nstale, name);
			free(d->changed[i]);
			continue;
		}
		d->changed[kept++] = d->changed[i];
	}
	d->nchanged = kept;
}

void trigger_apply(json_t *old_labels, json_t *new_labels,
		   enum upgrade_trigger t, struct addon_diff *diff)
{
	const char *all = diff->unknown ? "unknown" : "checksum";

	diff->why = xcalloc(diff->nchanged + 1, sizeof(*diff->why));
	if (t == UPGRADE_BY_VERSION && !diff->unknown)
		diff->fallback = !has_prefix(old_labels, ADDON_VERSION_PREFIX) ?
			1 : !has_prefix(new_labels, ADDON_VERSION_PREFIX) ?
			2 : 0;
	if (t == UPGRADE_BY_VERSION && !diff->unknown && !diff->fallback) {
		by_version(old_labels, new_labels, diff);
		return;
	}
	for (size_t i = 0; i < diff->nchanged; i++)
		diff->why[i] = xstrdup(all);
}

const char *trigger_name(const struct addon_diff *diff, size_t i)
{
	if (i < diff->nchanged)
		return diff->changed[i];
	i -= diff->nchanged;
	return i < diff->nadded ? diff->added[i] : NULL;
}

const char *trigger_why(const struct addon_diff *diff, size_t i)
{
	if (i < diff->nchanged)
		return diff->why && diff->why[i] ? diff->why[i] : "checksum";
	return "new";
}

char *trigger_why_text(const char *why)
{
	const char *arrow;

	if (!strcmp(why, "new"))
		return xstrdup("new addon");
	if (!strcmp(why, "checksum"))
		return xstrdup("checksum changed");
	if (!strcmp(why, "no-version"))
		return xstrdup("checksum changed (no version label)");
	if (!strcmp(why, "unknown"))
		return xstrdup("the running release has no addon checksums");
	if (str_starts_with(why, "version:") && (arrow = strstr(why, "->")))
		return xasprintf("version %.*s -> %s",
				 (int)(arrow - why - 8), why + 8, arrow + 2);
	return xstrdup(why);
}

char *trigger_history_status(const char *name, const char *why)
{
	char *s = xasprintf("upgrade:%s:%s", name, why);

	if (strlen(s) > HISTORY_FIELD_MAX)
		s[HISTORY_FIELD_MAX] = '\0';
	for (char *p = s; *p; p++)
		if (*p == '|' || (unsigned char)*p <= ' ' || *p == 0x7f)
			*p = '?';
	return s;
}

void trigger_log(const struct addon_diff *diff, enum upgrade_trigger t,
		 const char *prev)
{
	if (t != UPGRADE_BY_VERSION)
		return;
	if (diff->fallback)
		log_warn("upgrade_trigger = version, but %s%s carries no "
			 "addon version labels (built before odooctl wrote "
			 "them): the checksum rule decides this release",
			 diff->fallback == 1 ? "the running release " :
			 "the new release", diff->fallback == 1 ? prev : "");
	for (size_t i = 0; i < diff->nheld; i++)
		log_info("%s: changed, same version: not upgraded (code-only)",
			 diff->held[i]);
	for (size_t i = 0; i < diff->nstale; i++)
		log_warn("addon %s changed (models, data or views) but its "
			 "version did not: it is not upgraded", diff->stale[i]);
}
