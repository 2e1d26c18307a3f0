/*
 * The Engine API's streams: an exec with stdin and stdout streamed over a
 * hijacked connection (POST /exec/{id}/start with "Upgrade: tcp", spoken
 * on a plain unix socket since libcurl cannot hand a hijacked connection
 * back), and a container's files as tar, both ways (GET and PUT
 * /containers/{id}/archive), pumped through a libcurl multi handle so the
 * caller pulls (GET) or pushes (PUT) at its own pace; and a one-off
 * container, for what only a process can do to a volume (rm, mv, du).
 */
#include "engine/docker.h"
#include "engine/docker_priv.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CONNECT_MS	5000L
#define HEAD_MAX	(64u << 10)	/* the headers of a hijack reply */
#define ERROR_MAX	(64u << 10)	/* the body of an error reply */
#define IO_CHUNK	(64u << 10)
#define CHUNK_MAX	(4u << 20)	/* what libcurl hands over at once */

/* ---- exec over a hijacked connection ---------------------------------- */

struct pump {
	struct docker *d;
	const struct docker_exec_opts *o;
	int fd;
	struct docker_mux mux;
	char *in;		/* stdin bytes not yet sent */
	size_t in_off, in_len;
	int in_eof, in_closed;
};

/* Keeps the tail: a failing command says why at the end. */
static void keep_tail(struct buf *b, const char *p, size_t n)
{
	if (!b || !b->max)
		return;
	if (n >= b->max) {
		buf_reset(b);
		buf_append(b, p + n - (b->max - 1), b->max - 1);
		return;
	}
	if (b->len + n >= b->max) {
		size_t drop = b->len + n - b->max + 1;

		memmove(b->data, b->data + drop, b->len - drop);
		b->len -= drop;
		b->data[b->len] = '\0';
	}
	buf_append(b, p, n);
}

int docker_sink_buf(const void *p, size_t n, void *arg, char **cause)
{
	struct buf *b = arg;

	if (buf_append(b, p, n) == 0)
		return 0;
	*cause = xasprintf("the output is larger than %zu bytes", b->max);
	return -1;
}

static int mux_payload(int stream, const char *p, size_t n, void *arg,
		       char **cause)
{
	struct pump *pu = arg;

	if (stream == 2) {
		keep_tail(pu->o->err, p, n);
		return 0;
	}
	if (stream != 1 || !pu->o->out)
		return 0;
	return pu->o->out(p, n, pu->o->out_arg, cause);
}

static int mux_feed(struct pump *pu, const char *p, size_t len, char **cause)
{
	return docker_mux_feed(&pu->mux, p, len, mux_payload, pu, cause);
}

static int unix_connect(struct docker *d, char **cause)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", docker_socket(d));
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	*cause = xasprintf("cannot reach docker at '%s': %s",
			   docker_socket(d), strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The error reply to a start: its body is JSON with a message. */
static char *start_error(int fd, const char *what, struct buf *head,
			 size_t body_at, long status)
{
	struct buf body;
	char chunk[4096];
	ssize_t n;
	char *s;

	buf_init(&body, ERROR_MAX);
	buf_append(&body, head->data + body_at, head->len - body_at);
	while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0 &&
	       buf_append(&body, chunk, (size_t)n) == 0)
		if (strchr(body.data, '}'))
			break;
	s = docker_status_error(what, &body, status);
	buf_release(&body);
	return s;
}

/*
 * Sends the start request, reads the reply's headers; what came after
 * them is the first bytes of the stream, fed to the demultiplexer.
 */
static int hijack(struct pump *pu, const char *exec_id, const char *what,
		  char **cause)
{
	static const char body[] = "{\"Detach\":false,\"Tty\":false}";
	char *req = xasprintf("POST /%s/exec/%s/start HTTP/1.1\r\n"
			      "Host: docker\r\nUser-Agent: odooctl\r\n"
			      "Content-Type: application/json\r\n"
			      "Connection: Upgrade\r\nUpgrade: tcp\r\n"
			      "Content-Length: %zu\r\n\r\n%s",
			      DOCKER_API_VERSION, exec_id, sizeof(body) - 1,
			      body);
	struct buf head;
	char chunk[4096];
	size_t body_at = 0;
	long status = 0;
	int rc = -1;

	buf_init(&head, HEAD_MAX);
	if (send_all(pu->fd, req, strlen(req)) < 0) {
		*cause = xasprintf("%s: %s", what, strerror(errno));
		goto out;
	}
	do {
		ssize_t n = recv(pu->fd, chunk, sizeof(chunk), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || buf_append(&head, chunk, (size_t)n) < 0) {
			*cause = xasprintf("%s: docker closed the connection "
					   "without replying", what);
			goto out;
		}
	} while (!docker_reply_head(head.data, &status, &body_at));
	if (status != 101 && status != 200) {
		*cause = start_error(pu->fd, what, &head, body_at, status);
		goto out;
	}
	rc = mux_feed(pu, head.data + body_at, head.len - body_at, cause);
out:
	buf_release(&head);
	free(req);
	return rc;
}

/* Refills the stdin buffer; at its end, closes our half. */
static int pump_input(struct pump *pu, char **cause)
{
	if (pu->in_closed || pu->in_off < pu->in_len)
		return 0;
	if (!pu->in_eof) {
		long n = pu->o->in(pu->in, IO_CHUNK, pu->o->in_arg, cause);
		if (n < 0)
			return -1;
		pu->in_off = 0;
		pu->in_len = (size_t)n;
		pu->in_eof = n == 0;
	}
	if (pu->in_eof) {
		shutdown(pu->fd, SHUT_WR);
		pu->in_closed = 1;
	}
	return 0;
}

static int pump_send(struct pump *pu, char **cause)
{
	ssize_t n = send(pu->fd, pu->in + pu->in_off, pu->in_len - pu->in_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n >= 0) {
		pu->in_off += (size_t)n;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	if (errno == EPIPE || errno == ECONNRESET) {
		pu->in_closed = 1;	/* it exited: its output says why */
		return 0;
	}
	*cause = xasprintf("cannot send to docker: %s", strerror(errno));
	return -1;
}

/* Returns 1 at the end of the output, 0 to go on, -1 on failure. */
static int pump_recv(struct pump *pu, char **cause)
{
	char chunk[IO_CHUNK];
	ssize_t n = recv(pu->fd, chunk, sizeof(chunk), MSG_DONTWAIT);

	if (n == 0)
		return 1;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		      errno == EINTR))
		return 0;
	if (n < 0) {
		*cause = xasprintf("docker closed the connection: %s",
				   strerror(errno));
		return -1;
	}
	return mux_feed(pu, chunk, (size_t)n, cause) < 0 ? -1 : 0;
}

static int pump_run(struct pump *pu, char **cause)
{
	for (;;) {
		struct pollfd pfd = { .fd = pu->fd, .events = POLLIN };

		if (docker_cancelled(pu->d)) {
			*cause = xstrdup("interrupted by a signal");
			return -1;
		}
		if (pu->o->in && pump_input(pu, cause) < 0)
			return -1;
		if (!pu->in_closed && pu->in_off < pu->in_len)
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR) {
			*cause = xasprintf("poll: %s", strerror(errno));
			return -1;
		}
		if ((pfd.revents & POLLOUT) && pump_send(pu, cause) < 0)
			return -1;
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			int rc = pump_recv(pu, cause);

			if (rc)
				return rc > 0 ? 0 : -1;
		}
	}
}

static int exec_create(struct docker *d, const char *id,
		       const struct docker_exec_opts *o, const char *what,
		       char **exec_id, char **cause)
{
	json_t *cmd = json_array(), *env = json_array(), *body, *reply = NULL;
	char *path = docker_upath("/containers/%s/exec", id), *text;
	struct buf out;
	long status = 0;
	int rc = -1;

	for (size_t i = 0; o->argv[i]; i++)
		json_array_append_new(cmd, json_string(o->argv[i]));
	for (size_t i = 0; o->env && o->env[i]; i++)
		json_array_append_new(env, json_string(o->env[i]));
	body = json_pack("{s:b,s:b,s:b,s:b,s:o,s:o}", "AttachStdin",
			 o->in != NULL, "AttachStdout", 1, "AttachStderr", 1,
			 "Tty", 0, "Cmd", cmd, "Env", env);
	if (o->user)
		json_object_set_new(body, "User", json_string(o->user));
	text = json_dumps(body, JSON_COMPACT);
	buf_init(&out, ERROR_MAX);
	if (docker_request(d, "POST", path, "application/json", text,
			   strlen(text), &status, &out, cause) < 0)
		goto out;
	if (status >= 300) {
		*cause = docker_status_error(what, &out, status);
		goto out;
	}
	reply = json_loadb(out.data ? out.data : "", out.len, 0, NULL);
	if (!docker_json_str(reply, "Id")) {
		*cause = xasprintf("%s: docker sent no exec id", what);
		goto out;
	}
	*exec_id = xstrdup(docker_json_str(reply, "Id"));
	rc = 0;
out:
	json_decref(reply);
	json_decref(body);
	buf_release(&out);
	free(text);
	free(path);
	return rc;
}

/* The exit code, once the process is gone (the daemon may lag a little). */
static int exec_exit_code(struct docker *d, const char *exec_id,
			  const char *what, int *exit_code, char **cause)
{
	char *path = docker_upath("/exec/%s/json", exec_id);
	int rc = -1;

	for (int i = 0; i < 100 && rc < 0; i++) {
		struct buf out;
		json_t *j;
		long status = 0;

		buf_init(&out, ERROR_MAX);
		if (docker_request(d, "GET", path, NULL, NULL, 0, &status, &out,
				   cause) < 0) {
			buf_release(&out);
			break;
		}
		j = json_loadb(out.data ? out.data : "", out.len, 0, NULL);
		if (!json_is_true(json_object_get(j, "Running"))) {
			*exit_code = (int)json_integer_value(
				json_object_get(j, "ExitCode"));
			rc = 0;
		}
		json_decref(j);
		buf_release(&out);
		if (rc < 0)
			sleep_ms(100);
	}
	if (rc < 0 && !*cause)
		*cause = xasprintf("%s: it is still running", what);
	free(path);
	return rc;
}

int docker_exec_stream(struct docker *d, const char *id,
		       const struct docker_exec_opts *o, int *exit_code,
		       char **cause)
{
	char *what = xasprintf("cannot exec '%s' in '%s'",
			       o->label ? o->label : o->argv[0], id);
	struct pump pu = { .d = d, .o = o, .fd = -1, .in_closed = !o->in };
	char *exec_id = NULL, *why = NULL;
	int rc = -1;

	*exit_code = -1;
	if (exec_create(d, id, o, what, &exec_id, cause) < 0)
		goto out;
	pu.fd = unix_connect(d, cause);
	if (pu.fd < 0)
		goto out;
	pu.in = o->in ? xmalloc(IO_CHUNK) : NULL;
	if (hijack(&pu, exec_id, what, cause) < 0)
		goto out;
	if (pump_run(&pu, &why) < 0) {
		*cause = xasprintf("%s: %s", what, why);
		goto out;
	}
	rc = exec_exit_code(d, exec_id, what, exit_code, cause);
out:
	if (pu.fd >= 0)
		close(pu.fd);
	free(pu.in);
	free(why);
	free(exec_id);
	free(what);
	return rc;
}

/* ---- archives through a libcurl multi handle --------------------------- */

struct xfer {
	struct docker *d;
	CURLM *m;
	CURL *h;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	char *what;
	long status;
	int put, done, paused;
	CURLcode result;
	struct buf chunk;	/* GET: bytes received, not yet read */
	int chunk_taken;	/* GET: the caller has them; drop on next */
	const char *src;	/* PUT: bytes to send */
	size_t src_len;
	int eof;		/* PUT: nothing more to send */
	struct buf errbody;
};

struct docker_reader {
	struct xfer x;
};

struct docker_writer {
	struct xfer x;
};

static size_t on_get(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (!x->status)
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status >= 300) {
		keep_tail(&x->errbody, p, len);
		return len;
	}
	if (x->chunk.len) {
		x->paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	return buf_append(&x->chunk, p, len) == 0 ? len : 0;
}

static size_t on_put_reply(char *p, size_t size, size_t n, void *arg)
{
	keep_tail(&((struct xfer *)arg)->errbody, p, size * n);
	return size * n;
}

static size_t on_put(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (!x->src_len) {
		if (x->eof)
			return 0;
		x->paused = 1;
		return CURL_READFUNC_PAUSE;
	}
	len = len < x->src_len ? len : x->src_len;
	memcpy(p, x->src, len);
	x->src += len;
	x->src_len -= len;
	return len;
}

static int xfer_start(struct xfer *x, struct docker *d, const char *method,
		      char *path, char *what)
{
	char *url = xasprintf("http://localhost/%s%s", DOCKER_API_VERSION,
			      path);

	x->d = d;
	x->what = what;
	buf_init(&x->chunk, CHUNK_MAX);
	buf_init(&x->errbody, ERROR_MAX);
	x->m = curl_multi_init();
	x->h = curl_easy_init();
	if (!x->m || !x->h)
		abort();
	x->hdrs = curl_slist_append(NULL, "Expect:");
	curl_easy_setopt(x->h, CURLOPT_UNIX_SOCKET_PATH, docker_socket(d));
	curl_easy_setopt(x->h, CURLOPT_URL, url);
	curl_easy_setopt(x->h, CURLOPT_PROXY, "");
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_MS);
	curl_easy_setopt(x->h, CURLOPT_CUSTOMREQUEST, method);
	x->put = !strcmp(method, "PUT");
	if (x->put) {
		x->hdrs = curl_slist_append(x->hdrs,
					    "Content-Type: application/x-tar");
		curl_easy_setopt(x->h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(x->h, CURLOPT_READFUNCTION, on_put);
		curl_easy_setopt(x->h, CURLOPT_READDATA, x);
		curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_put_reply);
	} else {
		curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_get);
	}
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
	curl_multi_add_handle(x->m, x->h);
	free(url);
	free(path);
	return 0;
}

static void xfer_release(struct xfer *x)
{
	if (x->m && x->h)
		curl_multi_remove_handle(x->m, x->h);
	curl_easy_cleanup(x->h);
	curl_multi_cleanup(x->m);
	curl_slist_free_all(x->hdrs);
	buf_release(&x->chunk);
	buf_release(&x->errbody);
	free(x->what);
}

/* Nothing for the caller yet: only the socket can move things on. */
static int xfer_waiting(const struct xfer *x)
{
	return x->put ? x->src_len || x->eof : !x->chunk.len;
}

/* Lets the transfer go on; waits for the socket only when told to. */
static int xfer_pump(struct xfer *x, int wait, char **cause)
{
	CURLMsg *msg;
	int running = 0, left;

	if (docker_cancelled(x->d)) {
		*cause = xasprintf("%s: interrupted by a signal", x->what);
		return -1;
	}
	if (x->paused) {
		x->paused = 0;
		curl_easy_pause(x->h, CURLPAUSE_CONT);
	}
	if (curl_multi_perform(x->m, &running) != CURLM_OK) {
		*cause = xasprintf("%s: libcurl failed", x->what);
		return -1;
	}
	while ((msg = curl_multi_info_read(x->m, &left)))
		if (msg->msg == CURLMSG_DONE) {
			x->done = 1;
			x->result = msg->data.result;
			curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE,
					  &x->status);
		}
	if (wait && !x->done && !x->paused && running && xfer_waiting(x))
		curl_multi_poll(x->m, NULL, 0, 1000, NULL);
	return 0;
}

/* The verdict of a finished transfer. */
static int xfer_result(struct xfer *x, char **cause)
{
	const char *why = *x->errbuf ? x->errbuf :
			  curl_easy_strerror(x->result);

	if (x->result == CURLE_COULDNT_CONNECT) {
		*cause = xasprintf("cannot reach docker at '%s': %s",
				   docker_socket(x->d), why);
		return -1;
	}
	if (x->result != CURLE_OK) {
		*cause = xasprintf("%s: %s", x->what, why);
		return -1;
	}
	if (x->status >= 300) {
		*cause = docker_status_error(x->what, &x->errbody, x->status);
		return -1;
	}
	return 0;
}

int docker_archive_get(struct docker *d, const char *id, const char *path,
		       struct docker_reader **r, int *found, char **cause)
{
	struct docker_reader *rd = xcalloc(1, sizeof(*rd));
	struct xfer *x = &rd->x;

	*r = NULL;
	*found = 0;
	xfer_start(x, d, "GET", docker_upath("/containers/%s/archive?path=%s",
					     id, path),
		   xasprintf("cannot read '%s' of container '%s'", path, id));
	while (!x->done && !x->chunk.len)
		if (xfer_pump(x, 1, cause) < 0)
			goto fail;
	if (x->done && x->status == 404 && x->result == CURLE_OK) {
		docker_reader_free(rd);
		return 0;
	}
	if (x->done && xfer_result(x, cause) < 0)
		goto fail;
	*found = 1;
	*r = rd;
	return 0;
fail:
	docker_reader_free(rd);
	return -1;
}

long docker_reader_read(struct docker_reader *r, const void **p, char **cause)
{
	struct xfer *x = &r->x;

	if (x->chunk_taken) {
		buf_reset(&x->chunk);
		x->chunk_taken = 0;
	}
	while (!x->chunk.len && !x->done)
		if (xfer_pump(x, 1, cause) < 0)
			return -1;
	if (x->chunk.len) {
		x->chunk_taken = 1;
		*p = x->chunk.data;
		return (long)x->chunk.len;
	}
	return xfer_result(x, cause) < 0 ? -1 : 0;
}

void docker_reader_free(struct docker_reader *r)
{
	if (!r)
		return;
	xfer_release(&r->x);
	free(r);
}

int docker_archive_put(struct docker *d, const char *id, const char *path,
		       struct docker_writer **w, char **cause)
{
	struct docker_writer *wr = xcalloc(1, sizeof(*wr));

	(void)cause;
	xfer_start(&wr->x, d, "PUT",
		   docker_upath("/containers/%s/archive?path=%s", id, path),
		   xasprintf("cannot write into '%s' of container '%s'", path,
			     id));
	*w = wr;
	return 0;
}

int docker_writer_write(struct docker_writer *w, const void *p, size_t n,
			char **cause)
{
	struct xfer *x = &w->x;

	x->src = p;
	x->src_len = n;
	while (x->src_len && !x->done)
		if (xfer_pump(x, 1, cause) < 0)
			return -1;
	if (!x->src_len)
		return 0;
	if (xfer_result(x, cause) == 0)
		*cause = xasprintf("%s: docker answered before the end of the "
				   "archive", x->what);
	return -1;
}

int docker_writer_close(struct docker_writer *w, char **cause)
{
	struct xfer *x = &w->x;
	int rc = 0;

	x->eof = 1;
	while (!x->done && rc == 0)
		rc = xfer_pump(x, 1, cause);
	if (rc == 0)
		rc = xfer_result(x, cause);
	xfer_release(x);
	free(w);
	return rc;
}

void docker_writer_abort(struct docker_writer *w)
{
	if (!w)
		return;
	xfer_release(&w->x);
	free(w);
}

/* ---- a one-off container ------------------------------------------------ */

static json_t *run_body(const struct docker_run *o)
{
	json_t *cmd = json_array(), *binds = json_array(), *body;

	for (size_t i = 0; o->argv[i]; i++)
		json_array_append_new(cmd, json_string(o->argv[i]));
	for (size_t i = 0; o->binds && o->binds[i]; i++)
		json_array_append_new(binds, json_string(o->binds[i]));
	body = json_pack("{s:s,s:o,s:o,s:{s:o,s:s}}", "Image", o->image,
			 "Cmd", cmd, "Entrypoint", json_array(), "HostConfig",
			 "Binds", binds, "NetworkMode", "none");
	if (o->user)
		json_object_set_new(body, "User", json_string(o->user));
	if (o->label) {
		const char *eq = strchr(o->label, '=');
		char *key = xstrndup(o->label, eq ? (size_t)(eq - o->label) :
					       strlen(o->label));

		json_object_set_new(body, "Labels", json_pack("{s:s}", key,
							       eq ? eq + 1 :
							       ""));
		free(key);
	}
	return body;
}

int docker_container_create(struct docker *d, const char *name,
			    json_t *config, char **id, char **cause)
{
	char *path = name ? docker_upath("/containers/create?name=%s", name) :
			    xstrdup("/containers/create");
	char *text = json_dumps(config, JSON_COMPACT);
	json_t *reply = NULL;
	struct buf out;
	long status = 0;
	int rc = -1;

	buf_init(&out, ERROR_MAX);
	if (docker_request(d, "POST", path, "application/json", text,
			   strlen(text), &status, &out, cause) < 0)
		goto out;
	reply = json_loadb(out.data ? out.data : "", out.len, 0, NULL);
	if (status >= 300 || !docker_json_str(reply, "Id")) {
		*cause = docker_status_error("POST /containers/create", &out,
					     status);
		goto out;
	}
	*id = xstrdup(docker_json_str(reply, "Id"));
	rc = 0;
out:
	json_decref(reply);
	buf_release(&out);
	free(text);
	free(path);
	return rc;
}

static int run_create(struct docker *d, const struct docker_run *o,
		      char **id, char **cause)
{
	json_t *body = run_body(o);
	int rc = docker_container_create(d, NULL, body, id, cause);

	json_decref(body);
	return rc;
}

/* Until it exits or the time is up; *exit_code -1 when it did not exit. */
static int run_wait(struct docker *d, const char *id, int timeout_s,
		    int *exit_code, char **cause)
{
	long long deadline = clock_ms() + timeout_s * 1000LL;

	while (clock_ms() < deadline && !docker_cancelled(d)) {
		json_t *c = NULL;
		int found = 0;

		if (docker_container_inspect(d, id, &c, &found, cause) < 0)
			return -1;
		if (!json_is_true(json_object_get(json_object_get(c, "State"),
						  "Running"))) {
			*exit_code = (int)json_integer_value(json_object_get(
				json_object_get(c, "State"), "ExitCode"));
			json_decref(c);
			return 0;
		}
		json_decref(c);
		sleep_ms(100);
	}
	return 0;
}

int docker_run_start(struct docker *d, const struct docker_run *o,
		     char **id, char **cause)
{
	char *what = NULL;

	*id = NULL;
	if (run_create(d, o, id, &what) < 0) {
		*cause = xasprintf("cannot create a container of '%s' to run "
				   "'%s': %s", o->image, o->argv[0], what);
		free(what);
		return -1;
	}
	if (docker_container_start(d, *id, cause) == 0)
		return 0;
	docker_run_finish(d, *id, o, NULL, NULL, &what);
	free(what);
	*id = NULL;
	return -1;
}

int docker_run_finish(struct docker *d, char *id, const struct docker_run *o,
		      struct buf *out, int *exit_code, char **cause)
{
	char *path, *what = NULL;
	struct buf ignored;
	long status;
	int rc = -1;

	if (exit_code) {
		*exit_code = -1;
		if (run_wait(d, id, o->timeout_s, exit_code, cause) == 0) {
			if (*exit_code < 0)
				*cause = xasprintf("'%s' in a container of "
						   "'%s' did not finish within "
						   "%d s", o->argv[0], o->image,
						   o->timeout_s);
			else
				rc = docker_container_logs(d, id, 1000, out,
							   cause);
		}
	}
	path = docker_upath("/containers/%s?force=1&v=1", id);
	buf_init(&ignored, ERROR_MAX);
	docker_request(d, "DELETE", path, NULL, NULL, 0, &status, &ignored,
		       &what);
	buf_release(&ignored);
	free(what);
	free(path);
	free(id);
	return rc;
}

int docker_run_oneoff(struct docker *d, const struct docker_run *o,
		      struct buf *out, int *exit_code, char **cause)
{
	char *id;

	*exit_code = -1;
	if (docker_run_start(d, o, &id, cause) < 0)
		return -1;
	return docker_run_finish(d, id, o, out, exit_code, cause);
}
