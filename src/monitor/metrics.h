/*
 * The monitor's Prometheus endpoint: a text exposition rendered from a
 * snapshot after each pass (pure, for the unit tests), served by
 * libmicrohttpd (metrics_http.c) on its own thread, from the last
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

/* ---- serving (metrics_http.c) ---------------------------------------------
 * GET /metrics through libmicrohttpd, on its own thread: at most
 * METRICS_CONNS connections at once, each dropped after METRICS_IDLE_S
 * seconds of silence.
 */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_CONNS 16
#define METRICS_IDLE_S 10

struct metrics_server;

/* Listens on "IPV4ADDR:PORT"; NULL with *cause ("cannot listen ..."). */
struct metrics_server *metrics_server_start(const char *listen,
					    char **cause);
/* Serves text (taken) from now on. */
void metrics_server_publish(struct metrics_server *s, char *text);
void metrics_server_stop(struct metrics_server *s);

#endif
