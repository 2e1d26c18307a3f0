/*
 * libFuzzer target for what the Docker Engine API answers (docker_reply.c):
 * any bytes as a streamed reply (pull, push, build, events), fed whole and
 * again cut into pieces of 1 to 16 bytes, which must tell the same (error,
 * image id, digest, event, progress, lines); as the frames of a logs or
 * exec reply; as the head of a hijacked exec; as an error body; as the
 * JSON of an inspection (image, container, a list of containers). Never a
 * crash, a leak or undefined behaviour, and the progress reported never
 * has more done than in total.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/docker_reply.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small enough that long inputs hit the bound. */
#define MSG_MAX 4096

struct seen {
	long long done, total;
	int progress, lines;
};

static void on_progress(const char *what, long long done, long long total,
			void *arg)
{
	struct seen *s = arg;

	if (strcmp(what, "fuzz") || done > total)
		abort();
	s->done = done;
	s->total = total;
	s->progress++;
}

static void on_line(const char *text, void *arg)
{
	if (!*text || strpbrk(text, "\r\n"))
		abort();
	((struct seen *)arg)->lines++;
}

/* The stream in pieces of step bytes (0: whole); its findings in *s. */
static void stream(const uint8_t *data, size_t size, size_t step,
		   struct docker_stream *st, struct seen *s, int *rc)
{
	char *why = NULL;

	*st = (struct docker_stream){ .what = "fuzz", .progress = on_progress,
				      .progress_arg = s, .line = on_line,
				      .line_arg = s };
	docker_stream_init(st, MSG_MAX);
	*rc = 0;
	for (size_t off = 0; off < size && *rc == 0;) {
		size_t n = step && size - off > step ? step : size - off;

		*rc = docker_stream_feed(st, (const char *)data + off, n, &why);
		off += n;
	}
	if (*rc == 0)
		docker_stream_end(st);
	free(why);
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static void check_stream(const uint8_t *data, size_t size)
{
	struct docker_stream a, b;
	struct seen sa = { 0 }, sb = { 0 };
	int ra, rb;

	stream(data, size, 0, &a, &sa, &ra);
	stream(data, size, size ? data[0] % 16 + 1 : 1, &b, &sb, &rb);
	if (ra != rb || !same(a.error, b.error) || !same(a.id, b.id) ||
	    !same(a.digest, b.digest) || !same(a.action, b.action) ||
	    memcmp(&sa, &sb, sizeof(sa)))
		abort();
	if (a.error && strpbrk(a.error, "\r\n\t"))
		abort();
	docker_stream_release(&a);
	docker_stream_release(&b);
}

static int count(int stream_no, const char *p, size_t n, void *arg,
		 char **cause)
{
	(void)stream_no, (void)p, (void)cause;
	*(size_t *)arg += n;
	return 0;
}

/* Whole and in pieces of 7 bytes: the same payload, the same state. */
static void check_mux(const uint8_t *data, size_t size)
{
	struct docker_mux a = { 0 }, b = { 0 };
	size_t got_a = 0, got_b = 0;
	char *why = NULL;

	docker_mux_feed(&a, (const char *)data, size, count, &got_a, &why);
	for (size_t off = 0; off < size; off += 7)
		docker_mux_feed(&b, (const char *)data + off,
				size - off < 7 ? size - off : 7, count, &got_b,
				&why);
	if (got_a != got_b || got_a > size || memcmp(&a, &b, sizeof(a)))
		abort();
}

static void check_head(const char *text)
{
	long status = -1;
	size_t at = 0;

	if (docker_reply_head(text, &status, &at) &&
	    (at > strlen(text) || memcmp(text + at - 4, "\r\n\r\n", 4)))
		abort();
}

static void check_error(const uint8_t *data, size_t size)
{
	struct buf b;
	char *s;

	buf_init(&b, SIZE_MAX);
	buf_append(&b, data, size);
	s = docker_status_error("cannot fuzz 'x'", &b, 500);
	if (strncmp(s, "cannot fuzz 'x': ", 17) || strpbrk(s, "\r\n\t"))
		abort();
	free(s);
	buf_release(&b);
}

static void check_inspect(json_t *j)
{
	static const char *const paths[] = {
		"Id", "State.Health.Status", "State.Status", "Config.Image",
		"HostConfig.RestartPolicy.Name", "NetworkSettings.Ports",
		"Descriptor.digest", "..", ".", "",
	};
	int port = docker_container_host_port(j, "8069/tcp");

	if (port != -1 && (port <= 0 || port >= 65536))
		abort();
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		docker_json_str(j, paths[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	json_t *j = json_loadb((const char *)data, size, 0, NULL), *e;
	size_t i;

	check_stream(data, size);
	check_mux(data, size);
	check_head(text);
	check_error(data, size);
	check_inspect(j);
	json_array_foreach(j, i, e)
		check_inspect(e);
	json_decref(j);
	free(text);
	return 0;
}
