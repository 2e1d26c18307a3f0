#include "monitor/alert.h"
#include "core/log.h"
#include "core/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Every queued alert is a copy: no configured secret reaches its body. */
static char *dup_redacted(const char *s)
{
	char *red = s ? log_redact(s) : NULL;

	return red ? red : dup_or_null(s);
}

void alert_copy(struct alert *dst, const struct alert *src)
{
	*dst = *src;
	dst->event = dup_or_null(src->event);
	dst->env = dup_or_null(src->env);
	dst->check = dup_or_null(src->check);
	dst->value = dup_redacted(src->value);
	dst->detail = dup_redacted(src->detail);
	dst->host = dup_or_null(src->host);
	dst->release = dup_or_null(src->release);
}

void alert_release(struct alert *a)
{
	free(a->event);
	free(a->env);
	free(a->check);
	free(a->value);
	free(a->detail);
	free(a->host);
	free(a->release);
	memset(a, 0, sizeof(*a));
}

void alert_duration(long s, char out[32])
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(out, 32, "%lds", s);
	else if (s < 3600)
		snprintf(out, 32, "%ldm %lds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, 32, "%ldh %ldm", s / 3600, s % 3600 / 60);
	else
		snprintf(out, 32, "%ldd %ldh", s / 86400, s % 86400 / 3600);
}

char *alert_summary(const struct alert *a)
{
	const char *d = a->detail && *a->detail ? a->detail : a->value;
	char took[32];

	alert_duration(a->time - a->since, took);
	if (!strcmp(a->event, "recovered"))
		return xasprintf("[%s] %s recovered on %s after %s down: %s",
				 a->env, a->check, a->host, took, d);
	if (!strcmp(a->event, "reminder"))
		return xasprintf("[%s] %s still DOWN on %s, for %s (%ld "
				 "failures): %s", a->env, a->check, a->host,
				 took, a->failures, d);
	return xasprintf("[%s] %s is DOWN on %s (%ld failures in a row): %s",
			 a->env, a->check, a->host, a->failures, d);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static char *dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	if (!s)
		abort();	/* only out of memory, or invalid UTF-8 we made */
	return s;
}

char *alert_json(const struct alert *a)
{
	json_t *o = json_object();
	char since[21], now[21], *summary = alert_summary(a);

	time_iso8601(a->since, since);
	time_iso8601(a->time, now);
	json_object_set_new(o, "source", json_string("odooctl"));
	json_object_set_new(o, "event", json_string(a->event));
	json_object_set_new(o, "env", json_string(a->env));
	json_object_set_new(o, "check", json_string(a->check));
	json_object_set_new(o, "state", json_string(
		strcmp(a->event, "recovered") ? "down" : "up"));
	json_object_set_new(o, "value", str_or_null(a->value));
	json_object_set_new(o, "detail", str_or_null(a->detail));
	json_object_set_new(o, "failures", json_integer(a->failures));
	json_object_set_new(o, "since", json_string(since));
	json_object_set_new(o, "time", json_string(now));
	json_object_set_new(o, "host", json_string(a->host));
	json_object_set_new(o, "release", str_or_null(a->release));
	json_object_set_new(o, "summary", json_string(summary));
	free(summary);
	return dump(o);
}

/* Slack's three control characters in message text. */
static char *slack_escape(const char *s)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	for (; *s; s++) {
		if (*s == '&')
			buf_printf(&b, "&amp;");
		else if (*s == '<')
			buf_printf(&b, "&lt;");
		else if (*s == '>')
			buf_printf(&b, "&gt;");
		else
			buf_append(&b, s, 1);
	}
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

static void field(json_t *fields, const char *title, const char *value,
		  int is_short)
{
	char *v = slack_escape(value ? value : "-");

	json_array_append_new(fields, json_pack("{s:s,s:s,s:b}", "title",
						title, "value", v, "short",
						is_short));
	free(v);
}

char *alert_slack(const struct alert *a)
{
	char *summary = alert_summary(a), *text = slack_escape(summary);
	const char *color = !strcmp(a->event, "recovered") ? "good" :
		!strcmp(a->event, "reminder") ? "warning" : "danger";
	json_t *fields = json_array(), *att;

	field(fields, "Environment", a->env, 1);
	field(fields, "Check", a->check, 1);
	field(fields, "Value", a->value, 1);
	field(fields, "Release", a->release ? a->release : "-", 1);
	field(fields, "Detail", a->detail, 0);
	att = json_pack("{s:s,s:s,s:o,s:I}", "fallback", text, "color", color,
			"fields", fields, "ts", (json_int_t)a->time);
	free(summary);
	summary = dump(json_pack("{s:s,s:[o]}", "text", text,
				 "attachments", att));
	free(text);
	return summary;
}
