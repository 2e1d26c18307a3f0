#include "engine/docker_reply.h"
#include "core/log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the messages of a stream ------------------------------------------ */

void docker_stream_init(struct docker_stream *st, size_t msg_max)
{
	st->layers = json_object();
	buf_init(&st->msg, msg_max);
}

void docker_stream_release(struct docker_stream *st)
{
	json_decref(st->layers);
	buf_release(&st->msg);
	free(st->error);
	free(st->id);
	free(st->digest);
	free(st->action);
}

/* a + b for a, b >= 0, at most LLONG_MAX: a layer may claim any size. */
static long long add_capped(long long a, long long b)
{
	return a > LLONG_MAX - b ? LLONG_MAX : a + b;
}

/* Sums the layers' progress and reports it. */
static void progress_report(struct docker_stream *st)
{
	long long done = 0, total = 0;
	const char *key;
	json_t *v;

	json_object_foreach(st->layers, key, v) {
		json_int_t cur = json_integer_value(json_array_get(v, 0));

		done = add_capped(done, cur);
		total = add_capped(total,
				   json_integer_value(json_array_get(v, 1)));
	}
	if (st->progress)
		st->progress(st->what, done, total, st->progress_arg);
}

static int status_is(const char *status, const char *const list[])
{
	for (size_t i = 0; status && list[i]; i++)
		if (!strcmp(status, list[i]))
			return 1;
	return 0;
}

/* A layer moved: "Downloading" or "Pushing" carry current/total. */
static void progress_update(struct docker_stream *st, json_t *m,
			    const char *id)
{
	static const char *const moving[] = { "Downloading", "Pushing", NULL };
	static const char *const done[] = { "Download complete", "Pushed",
					    "Pull complete", NULL };
	const char *status = json_string_value(json_object_get(m, "status"));
	json_t *pd = json_object_get(m, "progressDetail");
	json_t *e = json_object_get(st->layers, id);
	json_int_t total = json_integer_value(json_object_get(pd, "total"));

	if (status_is(status, moving) && total > 0) {
		json_int_t cur = json_integer_value(json_object_get(pd,
								    "current"));

		if (cur > total)	/* pushes count tar headers too */
			cur = total;
		if (cur < 0)
			cur = 0;
		json_object_set_new(st->layers, id,
				    json_pack("[I,I]", cur, total));
	} else if (status_is(status, done) && e) {
		json_array_set(e, 0, json_array_get(e, 1));
	} else {
		return;
	}
	progress_report(st);
}

/* Passes build output on, one line at a time. */
static void stream_text(struct docker_stream *st, const char *text)
{
	char *copy = xstrdup(text), *save = NULL, *l;

	for (l = strtok_r(copy, "\r\n", &save); l;
	     l = strtok_r(NULL, "\r\n", &save))
		if (*strtrim(l))
			st->line(l, st->line_arg);
	free(copy);
}

static void stream_aux(struct docker_stream *st, json_t *aux)
{
	const char *id = json_string_value(json_object_get(aux, "ID"));
	const char *digest = json_string_value(json_object_get(aux, "Digest"));

	if (id) {
		free(st->id);
		st->id = xstrdup(id);
	}
	if (digest) {
		free(st->digest);
		st->digest = xstrdup(digest);
	}
}

static void stream_message(struct docker_stream *st, json_t *m)
{
	const char *action = json_string_value(json_object_get(m, "Action"));
	const char *err = docker_json_str(m, "errorDetail.message");
	const char *id = json_string_value(json_object_get(m, "id"));
	const char *text = json_string_value(json_object_get(m, "stream"));
	const char *status = json_string_value(json_object_get(m, "status"));

	if (action && !st->action)
		st->action = xstrdup(action);
	if (!err)
		err = json_string_value(json_object_get(m, "error"));
	if (err) {
		if (!st->error)
			st->error = str_one_line(xstrdup(err));
		return;
	}
	if (json_is_object(json_object_get(m, "aux")))
		stream_aux(st, json_object_get(m, "aux"));
	if (text && st->line)
		stream_text(st, text);
	if (id && json_object_get(m, "progressDetail"))
		progress_update(st, m, id);
	else if (status && st->line)
		stream_text(st, status);
}

void docker_stream_end(struct docker_stream *st)
{
	char *s = st->msg.data;

	if (s && *(s = strtrim(s))) {
		json_t *m = json_loads(s, 0, NULL);

		if (json_is_object(m))
			stream_message(st, m);
		else
			log_debug("docker: not JSON: %.80s", s);
		json_decref(m);
	}
	buf_reset(&st->msg);
}

int docker_stream_feed(struct docker_stream *st, const char *p, size_t len,
		       char **cause)
{
	while (len) {
		const char *nl = memchr(p, '\n', len);
		size_t n = nl ? (size_t)(nl - p) : len;

		if (buf_append(&st->msg, p, n) < 0) {
			*cause = xasprintf("a message from docker is larger "
					   "than %zu bytes", st->msg.max);
			return -1;
		}
		if (!nl)
			break;
		docker_stream_end(st);
		if (st->action)
			return 1;
		p += n + 1;
		len -= n + 1;
	}
	return 0;
}

/* ---- multiplexed stdout/stderr ----------------------------------------- */

int docker_mux_feed(struct docker_mux *m, const char *p, size_t len,
		    docker_mux_fn fn, void *arg, char **cause)
{
	while (len) {
		size_t n;

		if (m->left == 0) {
			n = sizeof(m->hdr) - m->hdr_len;
			n = n < len ? n : len;
			memcpy(m->hdr + m->hdr_len, p, n);
			m->hdr_len += n;
			p += n;
			len -= n;
			if (m->hdr_len < sizeof(m->hdr))
				break;
			m->left = (size_t)m->hdr[4] << 24 |
				  (size_t)m->hdr[5] << 16 |
				  (size_t)m->hdr[6] << 8 | m->hdr[7];
			m->hdr_len = 0;
			continue;
		}
		n = m->left < len ? m->left : len;
		if (fn(m->hdr[0], p, n, arg, cause) < 0)
			return -1;
		p += n;
		len -= n;
		m->left -= n;
	}
	return 0;
}

int docker_mux_partial(const struct docker_mux *m)
{
	return m->hdr_len || m->left;
}

/* ---- heads, errors, inspections ---------------------------------------- */

int docker_reply_head(const char *head, long *status, size_t *body_at)
{
	const char *end = head ? strstr(head, "\r\n\r\n") : NULL;

	if (!end)
		return 0;
	if (sscanf(head, "HTTP/1.%*d %ld", status) != 1)
		*status = 0;
	*body_at = (size_t)(end + 4 - head);
	return 1;
}

char *docker_status_error(const char *what, const struct buf *b, long status)
{
	json_t *j = b->len ? json_loadb(b->data, b->len, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(j, "message"));
	char *s;

	if (m && *m)
		s = xasprintf("%s: %s", what, m);
	else if (b->len && !j)
		s = xasprintf("%s: HTTP %ld: %.200s", what, status, b->data);
	else
		s = xasprintf("%s: HTTP %ld", what, status);
	json_decref(j);
	return str_one_line(s);
}

/* obj.a.b.c; NULL when a step is missing. */
static json_t *json_path(json_t *obj, const char *dotted)
{
	char *copy = xstrdup(dotted), *save = NULL, *key;

	for (key = strtok_r(copy, ".", &save); key && obj;
	     key = strtok_r(NULL, ".", &save))
		obj = json_object_get(obj, key);
	free(copy);
	return obj;
}

const char *docker_json_str(json_t *obj, const char *dotted_path)
{
	return json_string_value(json_path(obj, dotted_path));
}

int docker_container_host_port(json_t *container, const char *port_proto)
{
	json_t *ports = json_path(container, "NetworkSettings.Ports"), *b;
	size_t i;

	json_array_foreach(json_object_get(ports, port_proto), i, b) {
		const char *s = json_string_value(json_object_get(b,
								  "HostPort"));
		char *end;
		long p;

		if (!s)
			continue;
		errno = 0;
		p = strtol(s, &end, 10);
		if (!errno && end != s && !*end && p > 0 && p < 65536)
			return (int)p;
	}
	return -1;
}
