/*
 * The monitor's Prometheus endpoint: a text exposition rendered from a
 * snapshot after each pass (pure, for the unit tests), served by our own
 * small HTTP server (metrics_serve.c) on its own thread, from the last
 * published copy.
 */
#ifndef ODOOCTL_METRICS_H
#define ODOOCTL_METRICS_H

#include <stddef.h>

#include "monitor/alertq.h"
#include "monitor/checkstate.h"

struct metrics_check {
	const char *name;
	int ok;			/* the last result */
	enum check_state state;	/* the monitor's view */
	long fails;		/* failed results in a row */
	double latency_s;
	long since;		/* epoch s the state was entered; 0: never */
};

struct metrics_channel {
	const char *name;	/* "webhook", "command" */
	struct alertq_stats st;
};

struct metrics_view {
	const char *env;
	const char *release;	/* sha256:..., or NULL */
	const char *container;	/* serving it, or NULL */
	const struct metrics_check *checks;
	size_t nchecks;
	const struct metrics_channel *channels;
	size_t nchannels;
	unsigned long passes;
	double pass_s;		/* the last pass's duration */
	long interval_s;
	long last_pass;		/* epoch s */
	long started;		/* epoch s */
};

/* The text exposition format (version 0.0.4). Caller frees. */
char *metrics_render(const struct metrics_view *v);

/* ---- serving (metrics_serve.c) --------------------------------------------
 * A small HTTP/1.1 server of our own, not libmicrohttpd: that library maps
 * GnuTLS and its dependencies (about 2.7 MB resident) into a monitor whose
 * footprint target is 8 MB, to answer GET /metrics on a loopback port.
 * One thread polls the listening socket and up to METRICS_CONNS
 * connections; each connection gets one answer and is closed
 * (Connection: close), and one that has not sent its request head within
 * METRICS_IDLE_MS is dropped.
 */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_CONNS 16
#define METRICS_IDLE_MS 10000
#define METRICS_HEAD_MAX 8192

struct metrics_server;

/* Listens on "IPV4ADDR:PORT"; NULL with *cause ("cannot listen ..."). */
struct metrics_server *metrics_server_start(const char *listen,
					    char **cause);
/* Serves text (taken) from now on. */
void metrics_server_publish(struct metrics_server *s, char *text);
void metrics_server_stop(struct metrics_server *s);

/* The request head parser, pure (fuzz_metrics feeds it any bytes). */
enum metrics_head { MH_INCOMPLETE, MH_OK, MH_BAD, MH_TOO_LONG };

/*
 * Looks at the n bytes a client sent so far: MH_INCOMPLETE until the blank
 * line that ends the head; MH_OK with the method and the path (without
 * its query) copied, NUL-terminated, into method[mlen] and path[plen];
 * MH_BAD for a request line that is not "METHOD SP TARGET SP HTTP/1.x";
 * MH_TOO_LONG past METRICS_HEAD_MAX bytes without the end of the head.
 */
enum metrics_head metrics_parse_head(const char *data, size_t n,
				     char *method, size_t mlen, char *path,
				     size_t plen);

/*
 * The whole answer to a request (status line, headers, and the body unless
 * HEAD), for text as the current metrics: GET or HEAD of /metrics → 200,
 * / → 200 with a pointer to /metrics, another path → 404, another method
 * → 405, bad → 400. Caller frees; *len its length.
 */
char *metrics_answer(enum metrics_head h, const char *method,
		     const char *path, const char *text, size_t *len);

#endif
