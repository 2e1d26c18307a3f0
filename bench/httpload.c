/*
 * httpload: a bounded, constant-rate HTTP/1.1 load on one loopback port.
 *
 *   httpload [-r RATE] [-c CONNS] [-n COUNT] [-d SECONDS] [-t TIMEOUT_MS]
 *            [-K] [-v] HOST PORT PATH...
 *
 * Sends GET PATH (round-robin over the PATHs) at RATE requests per second
 * (open loop: request i is due at start + i / RATE, whether or not earlier
 * ones have answered) on at most CONNS parallel connections, kept alive
 * unless -K. Stops by itself after COUNT requests or SECONDS seconds,
 * whichever comes first, or on SIGINT/SIGTERM; then waits for the requests
 * in flight (at most TIMEOUT_MS) and prints its figures on stdout:
 *
 *   sent=N ok=N failed=N http_err=N conn_err=N closed_reused=N
 *   closed_other=N timeout=N backlog=N max_gap_ms=F gap_at=F
 *   p50_ms=F p99_ms=F max_ms=F duration_s=F first_fail=F last_fail=F
 *
 * ok: a complete 2xx/3xx answer. failed = http_err (any other status) +
 * conn_err (connect failed) + closed_reused (a kept-alive connection closed
 * or reset before any byte of the answer: the request may never have been
 * read) + closed_other (closed or reset on a fresh connection or in the
 * middle of an answer) + timeout (no complete answer in TIMEOUT_MS).
 * backlog: requests that were due when the load stopped but found no free
 * connection (not sent, not counted as failed). max_gap_ms: the longest
 * time without a successful answer, between the start, each successful
 * answer and the end; gap_at: when that gap began (Unix time, s).
 * Latencies are of successful requests, from the time each was due (so
 * waiting for a free connection counts). first_fail/last_fail: Unix times
 * of the first and last failure (0: none). -v prints each failure on
 * stderr: "fail UNIXTIME KIND detail".
 *
 * Only numeric IPv4 hosts (the bench uses 127.0.0.1). Plain sockets and
 * epoll; no dependency beyond libc.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define RESP_MAX (1 << 20)

enum conn_state { C_CLOSED, C_CONNECTING, C_SENDING, C_READING, C_IDLE };

enum fail_kind { F_HTTP, F_CONNECT, F_CLOSED_REUSED, F_CLOSED_OTHER,
		 F_TIMEOUT, F_KINDS };

static const char *const fail_names[F_KINDS] = {
	"http", "connect", "closed_reused", "closed_other", "timeout"
};

struct conn {
	int fd;
	enum conn_state state;
	int reused;		/* the request went on a kept-alive connection */
	long long due;		/* ns, monotonic: when the request was due */
	long long deadline;	/* ns, monotonic */
	char req[512];
	size_t req_len, req_off;
	char *resp;
	size_t resp_len;
};

static volatile sig_atomic_t stop_requested;
static int verbose;
static struct sockaddr_in addr;
static struct conn conns[MAX_CONNS];
static int nconns = 16, epfd = -1, keepalive = 1;
static long long mono0, real0;	/* ns at start: monotonic, realtime */

static long long sent, ok_count, fails[F_KINDS], backlog;
static long long last_ok, max_gap, max_gap_at;	/* ns, monotonic */
static long long first_fail, last_fail;		/* ns, monotonic */
static double *lat;	/* ms, of successful requests */
static size_t nlat;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("httpload: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long mono(void)
{
	return now_ns(CLOCK_MONOTONIC);
}

/* Unix time in seconds of a monotonic instant. */
static double unix_s(long long t)
{
	return (double)(real0 + (t - mono0)) / 1e9;
}

static long parse_long(const char *s, const char *what, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		die("%s: '%s' is not a number in [%ld, %ld]", what, s, lo, hi);
	return v;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->state = C_CLOSED;
	c->resp_len = 0;
}

static void gap_to(long long t)
{
	if (t - last_ok > max_gap) {
		max_gap = t - last_ok;
		max_gap_at = last_ok;
	}
}

static void record_fail(struct conn *c, enum fail_kind k, const char *fmt,
			...)
{
	long long t = mono();
	va_list ap;

	fails[k]++;
	if (!first_fail)
		first_fail = t;
	last_fail = t;
	if (verbose) {
		fprintf(stderr, "fail %.6f %s ", unix_s(t), fail_names[k]);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, " (due %.1f ms ago, %s connection)\n",
			(t - c->due) / 1e6, c->reused ? "reused" : "fresh");
	}
}

static void record_ok(struct conn *c)
{
	long long t = mono();

	ok_count++;
	gap_to(t);
	last_ok = t;
	lat[nlat++] = (t - c->due) / 1e6;
}

static void set_events(struct conn *c, unsigned ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) < 0)
		die("epoll_ctl: %s", strerror(errno));
}

/* Starts a request for path on c, opening a connection if needed. */
static void start_request(struct conn *c, long long due, const char *path,
			  long long timeout_ns)
{
	c->due = due;
	c->deadline = mono() + timeout_ns;
	c->resp_len = 0;
	c->req_off = 0;
	c->req_len = (size_t)snprintf(c->req, sizeof(c->req),
		"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"User-Agent: odooctl-bench-httpload\r\nAccept: */*\r\n%s\r\n",
		path, keepalive ? "" : "Connection: close\r\n");
	sent++;
	if (c->state == C_IDLE) {
		c->reused = 1;
		c->state = C_SENDING;
		set_events(c, EPOLLOUT | EPOLLIN | EPOLLRDHUP);
		return;
	}
	c->reused = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket: %s", strerror(errno));
	{
		int one = 1;
		struct epoll_event e = { .events = EPOLLOUT, .data.ptr = c };

		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &e) < 0)
			die("epoll_ctl: %s", strerror(errno));
	}
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 &&
	    errno != EINPROGRESS) {
		record_fail(c, F_CONNECT, "connect: %s", strerror(errno));
		conn_close(c);
		return;
	}
	c->state = C_CONNECTING;
}

/*
 * Is the answer in c->resp complete? 1 yes (status and keep-alive set),
 * 0 not yet, -1 malformed. at_eof: the peer closed (ends a body without
 * length).
 */
static int parse_response(struct conn *c, int at_eof, int *status,
			  int *keep)
{
	const char *r = c->resp, *hend, *p, *line;
	size_t hlen;
	long long clen = -1;
	int chunked = 0, close_hdr = 0, minor = 1;

	if (c->resp_len < 12)
		return at_eof ? -1 : 0;
	hend = memmem(r, c->resp_len, "\r\n\r\n", 4);
	if (!hend)
		return at_eof || c->resp_len >= RESP_MAX ? -1 : 0;
	hlen = (size_t)(hend - r) + 4;
	if (sscanf(r, "HTTP/1.%d %d", &minor, status) != 2)
		return -1;
	for (line = (const char *)memchr(r, '\n', hlen) + 1; line < hend;
	     line = (const char *)memchr(line, '\n',
					 (size_t)(hend - line) + 2) + 1) {
		if (!strncasecmp(line, "content-length:", 15))
			clen = strtoll(line + 15, NULL, 10);
		else if (!strncasecmp(line, "transfer-encoding:", 18) &&
			 strcasestr(line, "chunked") &&
			 strcasestr(line, "chunked") < strchr(line, '\n'))
			chunked = 1;
		else if (!strncasecmp(line, "connection:", 11) &&
			 strcasestr(line, "close") &&
			 strcasestr(line, "close") < strchr(line, '\n'))
			close_hdr = 1;
	}
	*keep = keepalive && !close_hdr && minor == 1;
	if (*status == 204 || *status == 304 || (*status >= 100 &&
						  *status < 200))
		return 1;
	if (chunked) {
		p = r + hlen;
		for (;;) {
			const char *end = r + c->resp_len, *nl;
			char *e;
			unsigned long long n;

			nl = memmem(p, (size_t)(end - p), "\r\n", 2);
			if (!nl)
				return at_eof ? -1 : 0;
			n = strtoull(p, &e, 16);
			if (e == p)
				return -1;
			p = nl + 2;
			if (n == 0) {
				/* trailers end with an empty line */
				nl = memmem(p - 2, (size_t)(end - p + 2),
					    "\r\n\r\n", 4);
				return nl ? 1 : (at_eof ? -1 : 0);
			}
			if ((unsigned long long)(end - p) < n + 2)
				return at_eof ? -1 : 0;
			p += n + 2;
		}
	}
	if (clen >= 0) {
		if ((long long)(c->resp_len - hlen) >= clen)
			return 1;
		return at_eof ? -1 : 0;
	}
	*keep = 0;
	return at_eof ? 1 : 0;	/* body until the connection closes */
}

static void finish(struct conn *c, int status, int keep)
{
	if (status >= 200 && status < 400)
		record_ok(c);
	else
		record_fail(c, F_HTTP, "status %d", status);
	if (keep) {
		c->state = C_IDLE;
		c->resp_len = 0;
		set_events(c, EPOLLIN | EPOLLRDHUP);
	} else {
		conn_close(c);
	}
}

static void conn_error(struct conn *c, int err, const char *what)
{
	if (c->state == C_CONNECTING)
		record_fail(c, F_CONNECT, "%s: %s", what, strerror(err));
	else if (c->reused && c->resp_len == 0)
		record_fail(c, F_CLOSED_REUSED, "%s: %s", what,
			    err ? strerror(err) : "closed before an answer");
	else
		record_fail(c, F_CLOSED_OTHER, "%s: %s (%zu bytes in)", what,
			    err ? strerror(err) : "closed", c->resp_len);
	conn_close(c);
}

static void on_event(struct conn *c, unsigned ev)
{
	if (c->state == C_IDLE) {
		/* the server closed (or wrote to) a connection at rest */
		conn_close(c);
		return;
	}
	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err || (ev & (EPOLLERR | EPOLLHUP))) {
			conn_error(c, err ? err : ECONNREFUSED, "connect");
			return;
		}
		c->state = C_SENDING;
		set_events(c, EPOLLOUT | EPOLLIN | EPOLLRDHUP);
	}
	if (c->state == C_SENDING && (ev & EPOLLOUT)) {
		ssize_t n = send(c->fd, c->req + c->req_off,
				 c->req_len - c->req_off, MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN) {
			conn_error(c, errno, "send");
			return;
		}
		if (n > 0)
			c->req_off += (size_t)n;
		if (c->req_off == c->req_len) {
			c->state = C_READING;
			set_events(c, EPOLLIN | EPOLLRDHUP);
		}
	}
	if ((c->state == C_READING || c->state == C_SENDING) &&
	    (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		for (;;) {
			ssize_t n;
			int status = 0, keep = 0, done;

			if (!c->resp)
				c->resp = malloc(RESP_MAX + 1);
			if (!c->resp)
				die("out of memory");
			n = recv(c->fd, c->resp + c->resp_len,
				 RESP_MAX - c->resp_len, 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n < 0) {
				conn_error(c, errno, "recv");
				return;
			}
			c->resp_len += (size_t)n;
			c->resp[c->resp_len] = '\0';	/* for the str*() */
			done = parse_response(c, n == 0, &status, &keep);
			if (done == 1) {
				finish(c, status, keep && n > 0);
				return;
			}
			if (done < 0 || n == 0) {
				if (c->resp_len == 0)
					conn_error(c, 0, "recv");
				else {
					record_fail(c, F_CLOSED_OTHER,
						    "bad or cut answer (%zu "
						    "bytes)", c->resp_len);
					conn_close(c);
				}
				return;
			}
			if (c->resp_len >= RESP_MAX) {
				record_fail(c, F_CLOSED_OTHER, "answer too "
					    "large");
				conn_close(c);
				return;
			}
		}
	}
}

static int busy(const struct conn *c)
{
	return c->state == C_CONNECTING || c->state == C_SENDING ||
	       c->state == C_READING;
}

static struct conn *free_conn(void)
{
	struct conn *closed = NULL;

	for (int i = 0; i < nconns; i++) {
		if (conns[i].state == C_IDLE)
			return &conns[i];
		if (conns[i].state == C_CLOSED && !closed)
			closed = &conns[i];
	}
	return closed;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(double p)
{
	size_t i;

	if (!nlat)
		return 0;
	i = (size_t)(p * (double)(nlat - 1) + 0.5);
	return lat[i];
}

static void usage(void)
{
	fputs("usage: httpload [-r RATE] [-c CONNS] [-n COUNT] [-d SECONDS] "
	      "[-t TIMEOUT_MS] [-K] [-v] HOST PORT PATH...\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	long rate = 200, count = 6000, seconds = 30, timeout_ms = 5000;
	long long period, start, stop_at, next_due, timeout_ns, end;
	long next = 0;
	char **paths;
	int npaths, opt;
	struct sigaction sa = { .sa_handler = on_signal };
	struct epoll_event evs[MAX_CONNS];

	while ((opt = getopt(argc, argv, "r:c:n:d:t:Kv")) != -1) {
		switch (opt) {
		case 'r': rate = parse_long(optarg, "-r", 1, 100000); break;
		case 'c': nconns = (int)parse_long(optarg, "-c", 1, MAX_CONNS);
			break;
		case 'n': count = parse_long(optarg, "-n", 1, 10000000); break;
		case 'd': seconds = parse_long(optarg, "-d", 1, 3600); break;
		case 't': timeout_ms = parse_long(optarg, "-t", 1, 600000);
			break;
		case 'K': keepalive = 0; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (argc - optind < 3)
		usage();
	addr.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[optind], &addr.sin_addr) != 1)
		die("'%s' is not an IPv4 address", argv[optind]);
	addr.sin_port = htons((uint16_t)parse_long(argv[optind + 1], "port",
						   1, 65535));
	paths = argv + optind + 2;
	npaths = argc - optind - 2;
	for (int i = 0; i < npaths; i++)
		if (paths[i][0] != '/' || strpbrk(paths[i], " \r\n") ||
		    strlen(paths[i]) > 300)
			die("bad path '%s'", paths[i]);

	lat = malloc(sizeof(*lat) * (size_t)count);
	if (!lat)
		die("out of memory");
	for (int i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	period = 1000000000LL / rate;
	timeout_ns = timeout_ms * 1000000LL;
	real0 = now_ns(CLOCK_REALTIME);
	mono0 = start = mono();
	last_ok = start;
	stop_at = start + seconds * 1000000000LL;
	end = 0;
	for (;;) {
		long long t = mono(), wait_ns;
		int n, inflight = 0;

		/* Send what is due (also when told to stop: it was due). */
		while (!end && next < count &&
		       (next_due = start + next * period) <= t &&
		       next_due < stop_at) {
			struct conn *c = free_conn();

			if (!c)
				break;
			start_request(c, next_due, paths[next % npaths],
				      timeout_ns);
			next++;
		}
		/* Stop sending: count or time reached, or told to. */
		if (!end && (next >= count || t >= stop_at ||
			     stop_requested)) {
			/* due but never sent: no free connection */
			while (next < count && start + next * period <= t &&
			       start + next * period < stop_at) {
				backlog++;
				next++;
			}
			end = t + timeout_ns;
		}
		/* Time out requests. */
		for (int i = 0; i < nconns; i++) {
			struct conn *c = &conns[i];

			if (!busy(c))
				continue;
			if (t >= c->deadline) {
				record_fail(c, F_TIMEOUT, "no answer in %ld "
					    "ms", timeout_ms);
				conn_close(c);
			} else {
				inflight++;
			}
		}
		if (end && (!inflight || t >= end))
			break;
		/* Sleep until the next due request, or at most 10 ms. */
		wait_ns = 10000000LL;
		if (!end && next < count) {
			long long d = start + next * period - t;

			if (d < wait_ns)
				wait_ns = d > 0 ? d : 0;
		}
		n = epoll_wait(epfd, evs, MAX_CONNS,
			       (int)((wait_ns + 999999) / 1000000));
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			on_event(evs[i].data.ptr, evs[i].events);
	}
	{
		long long t = mono(), failed = 0;

		gap_to(t);
		for (int i = 0; i < nconns; i++) {
			if (busy(&conns[i]))
				record_fail(&conns[i], F_TIMEOUT, "in flight "
					    "at the end");
			conn_close(&conns[i]);
			free(conns[i].resp);
		}
		for (int k = 0; k < F_KINDS; k++)
			failed += fails[k];
		qsort(lat, nlat, sizeof(*lat), cmp_double);
		printf("sent=%lld ok=%lld failed=%lld http_err=%lld "
		       "conn_err=%lld closed_reused=%lld closed_other=%lld "
		       "timeout=%lld backlog=%lld max_gap_ms=%.1f "
		       "gap_at=%.3f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f "
		       "duration_s=%.2f first_fail=%.3f last_fail=%.3f\n",
		       sent, ok_count, failed, fails[F_HTTP], fails[F_CONNECT],
		       fails[F_CLOSED_REUSED], fails[F_CLOSED_OTHER],
		       fails[F_TIMEOUT], backlog, max_gap / 1e6,
		       unix_s(max_gap_at), pct(0.50), pct(0.99),
		       nlat ? lat[nlat - 1] : 0.0, (t - start) / 1e9,
		       first_fail ? unix_s(first_fail) : 0.0,
		       last_fail ? unix_s(last_fail) : 0.0);
	}
	free(lat);
	close(epfd);
	return 0;
}
