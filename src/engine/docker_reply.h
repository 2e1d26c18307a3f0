/*
 * What the Docker Engine API answers, parsed: the JSON messages of a
 * streamed reply (pull, push, build, events), the frames of a multiplexed
 * one (logs, exec), the head of a hijacked one, the body of an error reply
 * and the JSON of an inspection. Pure functions of the bytes they are
 * given, no I/O: docker.c and docker_stream.c feed them what the daemon
 * sent, tests/fuzz/fuzz_engine.c anything at all.
 */
#ifndef ODOOCTL_DOCKER_REPLY_H
#define ODOOCTL_DOCKER_REPLY_H

#include <jansson.h>
#include <stddef.h>

#include "core/util.h"

/* Progress of a pull or push: bytes done and total over all layers. */
typedef void (*docker_progress_fn)(const char *what, long long done,
				   long long total, void *arg);

/* What the messages of a stream told us. */
struct docker_stream {
	const char *what;		/* passed to progress */
	docker_progress_fn progress;	/* may be NULL */
	void *progress_arg;
	void (*line)(const char *text, void *arg);	/* may be NULL */
	void *line_arg;
	json_t *layers;		/* id -> [current, total] */
	struct buf msg;		/* the message being received */
	char *error;		/* the first error, on one line */
	char *id;		/* aux.ID of a build */
	char *digest;		/* aux.Digest of a push */
	char *action;		/* Action of the first event (events) */
};

/* Before the first byte; a message may be msg_max bytes long. */
void docker_stream_init(struct docker_stream *st, size_t msg_max);
/* Frees what it holds; a zeroed st (never initialized) is fine too. */
void docker_stream_release(struct docker_stream *st);
/*
 * The next bytes of the reply, cut anywhere. Returns 0 to go on, 1 once
 * an event came (all a watch waits for), or -1 with *cause when a message
 * is larger than msg_max.
 */
int docker_stream_feed(struct docker_stream *st, const char *p, size_t len,
		       char **cause);
/* At the end of the reply: its last message may lack its newline. */
void docker_stream_end(struct docker_stream *st);

/* Frames of stdout/stderr: an 8-byte header, then the payload. */
struct docker_mux {
	unsigned char hdr[8];
	size_t hdr_len;
	size_t left;		/* payload bytes left in this frame */
};

/* Takes n payload bytes of stream 1 (stdout) or 2 (stderr), or other. */
typedef int (*docker_mux_fn)(int stream, const char *p, size_t n, void *arg,
			     char **cause);
/* Splits the next bytes into payloads; -1 when fn failed (*cause). */
int docker_mux_feed(struct docker_mux *m, const char *p, size_t len,
		    docker_mux_fn fn, void *arg, char **cause);
/* The bytes so far end inside a frame: a reply cut short. */
int docker_mux_partial(const struct docker_mux *m);

/*
 * The head of a reply to a hijack, NUL-terminated as received so far:
 * 0 while its blank line has not come, else 1 with its status (0 when
 * the status line is not HTTP/1.x) and where the body starts.
 */
int docker_reply_head(const char *head, long *status, size_t *body_at);

/* "<what>: <the daemon's message>" for an HTTP error status. */
char *docker_status_error(const char *what, const struct buf *b, long status);

/* Small accessors over inspect JSON, borrowed strings, NULL when absent. */
const char *docker_json_str(json_t *obj, const char *dotted_path);
/* The host port bound to container port "8069/tcp", or -1. */
int docker_container_host_port(json_t *container, const char *port_proto);

#endif
