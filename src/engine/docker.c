#include "engine/docker.h"
#include "engine/docker_priv.h"
#include "engine/buildctx.h"
#include "core/log.h"
#include "secrets/regauth.h"

#include <curl/curl.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#define JSON_MAX	(4u << 20)	/* a plain reply */
#define ERROR_MAX	(64u << 10)	/* an error reply of a stream */
#define MESSAGE_MAX	(1u << 20)	/* one message of a stream */
#define CONNECT_MS	5000L
#define CALL_S		60L		/* a plain call, whole */
#define STALL_S		120L		/* pull/push: no byte for this long */
#define BUILD_STALL_S	600L		/* a quiet RUN step may take a while */

struct docker {
	char *socket;
	volatile sig_atomic_t *cancel;	/* stop waiting when it turns 1 */
};

/* What to send. path and what are owned and freed with the request. */
struct req {
	const char *method;
	char *path;		/* escaped, below the version prefix */
	json_t *json;		/* a JSON body (owned), or: */
	const char *content_type;
	const void *body;
	size_t body_len;
	const char *auth;	/* X-Registry-Auth */
	long timeout_s;		/* whole request; 0 for a stream */
	long stall_s;		/* streams: give up after this long quiet */
	char *what;		/* "cannot start container 'x'" */
};

enum mode { MODE_BODY, MODE_STREAM, MODE_MUX };

/* One transfer in progress. */
struct call {
	CURL *h;
	enum mode mode;
	long status;
	struct buf *out;	/* BODY: the body; MUX: the payload */
	struct buf errbody;	/* STREAM, MUX: the body of an HTTP error */
	struct docker_stream *st;	/* STREAM */
	struct docker_mux mux;	/* MUX */
	char *abort;		/* why the write callback stopped the call */
	int done;		/* the callback stopped it: all we wanted came */
};

struct docker *docker_new(const char *socket_path)
{
	struct docker *d = xcalloc(1, sizeof(*d));

	d->socket = xstrdup(socket_path);
	return d;
}

void docker_free(struct docker *d)
{
	if (!d)
		return;
	free(d->socket);
	free(d);
}

const char *docker_socket(const struct docker *d)
{
	return d->socket;
}

/*
 * Formats a path whose %s arguments are URL-escaped (path parts and
 * query values alike); %d is an int.
 */
char *docker_upath(const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b, SIZE_MAX);
	va_start(ap, fmt);
	for (const char *p = fmt; *p; p++) {
		if (p[0] == '%' && p[1] == 's') {
			char *e = url_escape(va_arg(ap, char *));

			buf_append(&b, e, strlen(e));
			free(e);
			p++;
		} else if (p[0] == '%' && p[1] == 'd') {
			buf_printf(&b, "%d", va_arg(ap, int));
			p++;
		} else {
			buf_append(&b, p, 1);
		}
	}
	va_end(ap);
	return buf_detach(&b, NULL);
}

static struct req req_new(const char *method, char *path, char *what)
{
	return (struct req){ .method = method, .path = path, .what = what };
}

static void req_release(struct req *r)
{
	free(r->path);
	free(r->what);
	json_decref(r->json);
}

static int keep(struct call *c, struct buf *b, const char *p, size_t len)
{
	if (buf_append(b, p, len) == 0)
		return 0;
	c->abort = xasprintf("the reply from docker is larger than %zu bytes",
			     b->max);
	return -1;
}

/* Both stdout and stderr into one output. */
static int mux_keep(int stream, const char *p, size_t n, void *arg,
		    char **cause)
{
	(void)stream, (void)cause;
	return keep(arg, ((struct call *)arg)->out, p, n);
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct call *c = arg;
	size_t len = size * nmemb;
	int rc;

	if (!c->status)
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
	if (c->mode == MODE_BODY)
		rc = keep(c, c->out, p, len);
	else if (c->status >= 300)
		rc = keep(c, &c->errbody, p, len);
	else if (c->mode == MODE_STREAM)
		rc = docker_stream_feed(c->st, p, len, &c->abort);
	else
		rc = docker_mux_feed(&c->mux, p, len, mux_keep, c, &c->abort);
	if (rc > 0)
		c->done = 1;	/* an event is all a watch waits for */
	return rc != 0 ? 0 : len;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn,
		       curl_off_t ut, curl_off_t un)
{
	struct docker *d = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	return *d->cancel ? 1 : 0;
}

void docker_set_cancel(struct docker *d, volatile sig_atomic_t *flag)
{
	d->cancel = flag;
}

volatile sig_atomic_t *docker_get_cancel(const struct docker *d)
{
	return d->cancel;
}

int docker_cancelled(const struct docker *d)
{
	return d->cancel && *d->cancel;
}

static struct curl_slist *setup(struct docker *d, const struct req *r,
				struct call *c, const char *url, char *errbuf)
{
	struct curl_slist *h = curl_slist_append(NULL, "Expect:");
	char *s;

	curl_easy_setopt(c->h, CURLOPT_UNIX_SOCKET_PATH, d->socket);
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_PROXY, "");
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_MS);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT, r->timeout_s);
	if (d->cancel) {
		curl_easy_setopt(c->h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c->h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c->h, CURLOPT_XFERINFODATA, d);
	}
	if (r->stall_s) {
		curl_easy_setopt(c->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c->h, CURLOPT_LOW_SPEED_TIME, r->stall_s);
	}
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
	if (!strcmp(r->method, "POST") || r->body) {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS,
				 r->body ? r->body : "");
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)r->body_len);
	}
	curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->content_type) {
		s = xasprintf("Content-Type: %s", r->content_type);
		h = curl_slist_append(h, s);
		free(s);
	}
	if (r->auth) {
		s = xasprintf("X-Registry-Auth: %s", r->auth);
		h = curl_slist_append(h, s);
		free(s);
	}
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, h);
	return h;
}


/* Why no (complete) HTTP answer came back. */
static char *transport_error(struct docker *d, const struct req *r,
			     struct call *c, CURLcode rc, const char *errbuf)
{
	const char *why = *errbuf ? errbuf : curl_easy_strerror(rc);
	long err = 0;

	if (c->abort)
		return xasprintf("%s: %s", r->what, c->abort);
	curl_easy_getinfo(c->h, CURLINFO_OS_ERRNO, &err);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return xasprintf("%s: interrupted by a signal", r->what);
	if (rc == CURLE_COULDNT_CONNECT)
		return xasprintf("cannot reach docker at '%s': %s", d->socket,
				 err ? strerror((int)err) : why);
	if (rc == CURLE_OPERATION_TIMEDOUT && r->stall_s)
		return xasprintf("%s: no news from docker for %ld s", r->what,
				 r->stall_s);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return xasprintf("%s: no complete reply from docker within "
				 "%ld s", r->what, r->timeout_s);
	if (rc == CURLE_GOT_NOTHING)
		return xasprintf("%s: docker closed the connection without "
				 "replying", r->what);
	if (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR)
		return xasprintf("%s: docker closed the connection mid-reply",
				 r->what);
	return str_one_line(xasprintf("%s: %c%s", r->what,
				  tolower((unsigned char)why[0]), why + 1));
}

/*
 * Sends r and receives the reply as c->mode says. Fails only when no
 * complete HTTP answer came back; the status is in c->status.
 */
static int perform(struct docker *d, struct req *r, struct call *c,
		   char **cause)
{
	char errbuf[CURL_ERROR_SIZE] = "", *json = NULL, *url;
	struct curl_slist *hdrs = NULL;
	CURLcode rc;
	int ret = -1;

	url = xasprintf("http://localhost/%s%s", DOCKER_API_VERSION, r->path);
	if (r->json) {
		json = json_dumps(r->json, JSON_COMPACT);
		r->body = json;
		r->body_len = strlen(json);
		r->content_type = "application/json";
	}
	c->h = curl_easy_init();
	if (!c->h) {
		*cause = xasprintf("%s: cannot start libcurl", r->what);
		goto out;
	}
	hdrs = setup(d, r, c, url, errbuf);
	rc = curl_easy_perform(c->h);
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
	if (rc != CURLE_OK && !(c->done && rc == CURLE_WRITE_ERROR)) {
		*cause = transport_error(d, r, c, rc, errbuf);
		goto out;
	}
	if (c->mode == MODE_STREAM)
		docker_stream_end(c->st);
	if (c->mode == MODE_MUX && docker_mux_partial(&c->mux)) {
		*cause = xasprintf("%s: docker closed the connection mid-reply",
				   r->what);
		goto out;
	}
	ret = 0;
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c->h);
	free(c->abort);
	free(json);
	free(url);
	return ret;
}

/*
 * A plain call: the reply, when wanted, is JSON. An HTTP status >= 400
 * fails with the daemon's message; *status (may be NULL) says which.
 */
static int api(struct docker *d, struct req *r, long *status, json_t **reply,
	       char **cause)
{
	struct call c = { .mode = MODE_BODY };
	struct buf body;
	json_error_t err;
	int rc = -1;

	buf_init(&body, JSON_MAX);
	c.out = &body;
	if (!r->timeout_s)
		r->timeout_s = CALL_S;
	if (perform(d, r, &c, cause) < 0)
		goto out;
	if (c.status >= 400) {
		*cause = docker_status_error(r->what, &body, c.status);
		goto out;
	}
	if (reply && !(*reply = json_loadb(body.data ? body.data : "",
					   body.len, 0, &err))) {
		*cause = xasprintf("%s: docker sent invalid JSON: %s", r->what,
				   err.text);
		goto out;
	}
	rc = 0;
out:
	if (status)
		*status = c.status;
	buf_release(&body);
	req_release(r);
	return rc;
}

/* A streamed call (pull, push, build): an error message fails it. */
static int api_stream(struct docker *d, struct req *r,
		      struct docker_stream *st, char **cause)
{
	struct call c = { .mode = MODE_STREAM, .st = st };
	int rc = -1;

	buf_init(&c.errbody, ERROR_MAX);
	docker_stream_init(st, MESSAGE_MAX);
	if (perform(d, r, &c, cause) < 0)
		goto out;
	if (c.status >= 300)
		*cause = docker_status_error(r->what, &c.errbody, c.status);
	else if (st->error)
		*cause = xasprintf("%s: %s", r->what, st->error);
	else
		rc = 0;
out:
	buf_release(&c.errbody);
	req_release(r);
	return rc;
}

/* A call whose reply is multiplexed stdout/stderr (logs, exec). */
static int api_mux(struct docker *d, struct req *r, struct buf *out,
		   char **cause)
{
	struct call c = { .mode = MODE_MUX, .out = out };
	int rc = -1;

	buf_init(&c.errbody, ERROR_MAX);
	r->timeout_s = CALL_S;
	if (perform(d, r, &c, cause) < 0)
		goto out;
	if (c.status >= 300) {
		*cause = docker_status_error(r->what, &c.errbody, c.status);
		goto out;
	}
	rc = 0;
out:
	buf_release(&c.errbody);
	req_release(r);
	return rc;
}

int docker_request(struct docker *d, const char *method, const char *path,
		   const char *content_type, const void *body, size_t body_len,
		   long *status, struct buf *out, char **cause)
{
	struct call c = { .mode = MODE_BODY, .out = out };
	struct req r = req_new(method, xstrdup(path),
			       xasprintf("cannot request '%s %s' from docker",
					 method, path));
	int rc;

	r.content_type = content_type;
	r.body = body;
	r.body_len = body_len;
	r.timeout_s = CALL_S;
	rc = perform(d, &r, &c, cause);
	*status = c.status;
	req_release(&r);
	return rc;
}

int docker_ping(struct docker *d, char **cause)
{
	struct req r = req_new("GET", xstrdup("/_ping"),
			       xasprintf("cannot ping docker at '%s'",
					 d->socket));

	return api(d, &r, NULL, NULL, cause);
}

int docker_info(struct docker *d, json_t **info, char **cause)
{
	struct req r = req_new("GET", xstrdup("/info"),
			       xasprintf("cannot get information from docker "
					 "at '%s'", d->socket));

	return api(d, &r, NULL, info, cause);
}

int docker_image_pull(struct docker *d, const char *ref,
		      docker_progress_fn progress, void *arg, char **cause)
{
	struct docker_stream st = { .what = ref, .progress = progress,
			     .progress_arg = arg };
	struct req r = req_new("POST",
			       docker_upath("/images/create?fromImage=%s", ref),
			       xasprintf("cannot pull '%s'", ref));
	char *auth = regauth_header(ref, cause);
	int rc = -1;

	r.auth = auth;
	r.stall_s = STALL_S;
	if (auth)
		rc = api_stream(d, &r, &st, cause);
	else
		req_release(&r);
	docker_stream_release(&st);
	secret_free(auth);
	return rc;
}

int docker_distribution_check(struct docker *d, const char *ref, int *absent,
			      char **cause)
{
	struct req r = req_new("GET", docker_upath("/distribution/%s/json", ref),
			       xasprintf("cannot find '%s' in its registry",
					 ref));
	char *auth = regauth_header(ref, cause);
	long status = 0;
	int rc;

	*absent = 0;
	if (!auth) {
		req_release(&r);
		return -1;
	}
	r.auth = auth;
	rc = api(d, &r, &status, NULL, cause);
	secret_free(auth);
	if (rc == 0)
		return 0;
	*absent = status == 404;
	return -1;
}

/* An inspection: a 404 is an answer, not a failure. */
static int inspect(struct docker *d, struct req *r, json_t **obj, int *found,
		   char **cause)
{
	long status = 0;

	*obj = NULL;
	*found = 0;
	if (api(d, r, &status, obj, cause) == 0) {
		*found = 1;
		return 0;
	}
	if (status != 404)
		return -1;
	free(*cause);
	*cause = NULL;
	return 0;
}

int docker_image_inspect(struct docker *d, const char *ref, json_t **image,
			 int *found, char **cause)
{
	struct req r = req_new("GET", docker_upath("/images/%s/json", ref),
			       xasprintf("cannot inspect image '%s'", ref));

	return inspect(d, &r, image, found, cause);
}

int docker_image_tag(struct docker *d, const char *image, const char *repo,
		     const char *tag, char **cause)
{
	struct req r = req_new("POST", docker_upath("/images/%s/tag?repo=%s&tag=%s",
					     image, repo, tag),
			       xasprintf("cannot tag '%s' as '%s:%s'", image,
					 repo, tag));

	return api(d, &r, NULL, NULL, cause);
}

static char *json_arg(json_t *o)
{
	return o ? json_dumps(o, JSON_COMPACT) : xstrdup("{}");
}

int docker_image_build(struct docker *d, const struct docker_build *opts,
		       void (*line)(const char *text, void *arg), void *arg,
		       char **image_id, char **cause)
{
	struct docker_stream st = { .line = line, .line_arg = arg };
	char *labels = json_arg(opts->labels);
	char *args = json_arg(opts->buildargs);
	struct req r;
	struct buf tar;
	int rc = -1;

	*image_id = NULL;
	buf_init(&tar, BUILDCTX_MAX);
	if (buildctx_tar(opts->context_dir, opts->dockerfile, &tar, cause) < 0)
		goto out;
	r = req_new("POST", docker_upath("/build?t=%s&dockerfile=%s&labels=%s"
				  "&buildargs=%s&rm=1&forcerm=1", opts->tag,
				  opts->dockerfile, labels, args),
		    xasprintf("cannot build '%s'", opts->tag));
	r.content_type = "application/x-tar";
	r.body = tar.data;
	r.body_len = tar.len;
	r.stall_s = BUILD_STALL_S;
	if (api_stream(d, &r, &st, cause) < 0)
		goto out;
	if (!st.id) {
		*cause = xasprintf("cannot build '%s': docker reported no "
				   "image id", opts->tag);
		goto out;
	}
	*image_id = st.id;
	st.id = NULL;
	rc = 0;
out:
	docker_stream_release(&st);
	buf_release(&tar);
	free(labels);
	free(args);
	return rc;
}

int docker_image_push(struct docker *d, const char *repo, const char *tag,
		      docker_progress_fn progress, void *arg, char **digest,
		      char **cause)
{
	char *name = xasprintf("%s:%s", repo, tag);
	struct docker_stream st = { .what = name, .progress = progress,
			     .progress_arg = arg };
	struct req r = req_new("POST", docker_upath("/images/%s/push?tag=%s", repo,
					     tag),
			       xasprintf("cannot push '%s'", name));
	char *auth = regauth_header(repo, cause);
	int rc = -1;

	*digest = NULL;
	r.auth = auth;
	r.stall_s = STALL_S;
	if (!auth) {
		req_release(&r);
		goto out;
	}
	if (api_stream(d, &r, &st, cause) < 0)
		goto out;
	if (!st.digest) {
		*cause = xasprintf("cannot push '%s': docker reported no "
				   "digest", name);
		goto out;
	}
	*digest = st.digest;
	st.digest = NULL;
	rc = 0;
out:
	docker_stream_release(&st);
	secret_free(auth);
	free(name);
	return rc;
}

int docker_container_list(struct docker *d, const char *label,
			  json_t **list, char **cause)
{
	json_t *f = json_pack("{s:[s]}", "label", label ? label : "");
	char *filters = json_dumps(f, JSON_COMPACT);
	struct req r;

	if (label)
		r = req_new("GET", docker_upath("/containers/json?all=1&filters=%s",
					 filters),
			    xasprintf("cannot list the containers labelled "
				      "'%s'", label));
	else
		r = req_new("GET", xstrdup("/containers/json?all=1"),
			    xstrdup("cannot list the containers"));
	*list = NULL;
	json_decref(f);
	free(filters);
	return api(d, &r, NULL, list, cause);
}

int docker_container_inspect(struct docker *d, const char *id,
			     json_t **container, int *found, char **cause)
{
	struct req r = req_new("GET", docker_upath("/containers/%s/json", id),
			       xasprintf("cannot inspect container '%s'", id));

	return inspect(d, &r, container, found, cause);
}

int docker_container_start(struct docker *d, const char *id, char **cause)
{
	struct req r = req_new("POST", docker_upath("/containers/%s/start", id),
			       xasprintf("cannot start container '%s'", id));

	return api(d, &r, NULL, NULL, cause);
}

int docker_container_stop(struct docker *d, const char *id, int timeout_s,
			  char **cause)
{
	struct req r = req_new("POST", docker_upath("/containers/%s/stop?t=%d", id,
					     timeout_s),
			       xasprintf("cannot stop container '%s'", id));

	r.timeout_s = CALL_S + (timeout_s > 0 ? timeout_s : 0);
	return api(d, &r, NULL, NULL, cause);
}

/* Its anonymous volumes go too: each release carries one of addons. */
int docker_container_remove(struct docker *d, const char *id, char **cause)
{
	struct req r = req_new("DELETE", docker_upath("/containers/%s?v=1", id),
			       xasprintf("cannot remove container '%s'", id));

	return api(d, &r, NULL, NULL, cause);
}

/* POST /containers/<id>/<verb>[?query]: pause, unpause, kill. */
static int container_post(struct docker *d, const char *id, const char *verb,
			  const char *query, char **cause)
{
	char *base = docker_upath("/containers/%s/", id);
	struct req r = req_new("POST", xasprintf("%s%s%s", base, verb, query),
			       xasprintf("cannot %s container '%s'", verb, id));

	free(base);
	return api(d, &r, NULL, NULL, cause);
}

int docker_container_pause(struct docker *d, const char *id, char **cause)
{
	return container_post(d, id, "pause", "", cause);
}

int docker_container_unpause(struct docker *d, const char *id, char **cause)
{
	return container_post(d, id, "unpause", "", cause);
}

int docker_container_kill(struct docker *d, const char *id, char **cause)
{
	return container_post(d, id, "kill", "?signal=KILL", cause);
}

int docker_container_set_restart(struct docker *d, const char *id,
				 const char *name, char **cause)
{
	struct req r = req_new("POST", docker_upath("/containers/%s/update", id),
			       xasprintf("cannot set the restart policy of "
					 "'%s' to '%s'", id, name));

	r.json = json_pack("{s:{s:s,s:i}}", "RestartPolicy", "Name", name,
			   "MaximumRetryCount", 0);
	return api(d, &r, NULL, NULL, cause);
}

int docker_container_logs(struct docker *d, const char *id, int tail,
			  struct buf *out, char **cause)
{
	struct req r = req_new("GET", docker_upath("/containers/%s/logs?stdout=1"
					    "&stderr=1&tail=%d", id, tail),
			       xasprintf("cannot read the logs of '%s'", id));

	return api_mux(d, &r, out, cause);
}

int docker_container_wait_event(struct docker *d, const char *id,
				int seconds, char **action, char **cause)
{
	long now = (long)time(NULL);
	json_t *f = json_pack("{s:[s],s:[s],s:[s,s]}", "container", id,
			      "type", "container", "event", "die", "oom");
	char *filters = json_dumps(f, JSON_COMPACT);
	struct docker_stream st = { .what = "events" };
	struct req r = req_new("GET", docker_upath("/events?since=%d&until=%d"
					    "&filters=%s", (int)now,
					    (int)(now + seconds), filters),
			       xasprintf("cannot watch the events of '%s'",
					 id));
	int rc;

	r.timeout_s = seconds + CALL_S;
	rc = api_stream(d, &r, &st, cause);
	*action = st.action;
	st.action = NULL;
	docker_stream_release(&st);
	free(filters);
	json_decref(f);
	return rc;
}

/* The exit code, once the exec's process is gone (it may lag a little). */
static int exec_wait(struct docker *d, const char *exec_id, const char *what,
		     int *exit_code, char **cause)
{
	for (int i = 0; i < 50; i++) {
		struct req r = req_new("GET", docker_upath("/exec/%s/json", exec_id),
				       xstrdup(what));
		json_t *j = NULL;
		int running;

		if (api(d, &r, NULL, &j, cause) < 0)
			return -1;
		running = json_is_true(json_object_get(j, "Running"));
		*exit_code = (int)json_integer_value(
			json_object_get(j, "ExitCode"));
		json_decref(j);
		if (!running)
			return 0;
		sleep_ms(100);
	}
	*cause = xasprintf("%s: it is still running", what);
	return -1;
}

int docker_exec(struct docker *d, const char *id, const char *const argv[],
		struct buf *out, int *exit_code, char **cause)
{
	char *what = xasprintf("cannot exec '%s' in '%s'", argv[0], id);
	struct req r = req_new("POST", docker_upath("/containers/%s/exec", id),
			       xstrdup(what));
	json_t *cmd = json_array(), *reply = NULL;
	char *exec_id = NULL;
	int rc = -1;

	*exit_code = -1;
	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	r.json = json_pack("{s:b,s:b,s:o}", "AttachStdout", 1, "AttachStderr",
			   1, "Cmd", cmd);
	if (api(d, &r, NULL, &reply, cause) < 0)
		goto out;
	if (!docker_json_str(reply, "Id")) {
		*cause = xasprintf("%s: docker sent no exec id", what);
		goto out;
	}
	exec_id = xstrdup(docker_json_str(reply, "Id"));
	r = req_new("POST", docker_upath("/exec/%s/start", exec_id), xstrdup(what));
	r.json = json_pack("{s:b,s:b}", "Detach", 0, "Tty", 0);
	if (api_mux(d, &r, out, cause) < 0)
		goto out;
	rc = exec_wait(d, exec_id, what, exit_code, cause);
out:
	json_decref(reply);
	free(exec_id);
	free(what);
	return rc;
}
