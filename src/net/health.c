#include "net/health.h"
#include "net/http.h"
#include "core/log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define EXCERPT 160

static char *answer(const char *what, const struct http_response *r)
{
	char *ex = http_excerpt(&r->body, EXCERPT);
	char *s = xasprintf("%s answered %ld: %s", what, r->status,
			    *ex ? ex : "(empty body)");

	free(ex);
	return s;
}

static json_t *body_json(const struct buf *body)
{
	return json_loadb(body->data ? body->data : "", body->len, 0, NULL);
}

int health_live_ok(long status, const struct buf *body)
{
	json_t *j = body_json(body);
	int ok = status == 200 &&
		 !strcmp(json_string_value(json_object_get(j, "status")) ?: "",
			 "pass") &&
		 json_is_true(json_object_get(j, "db_server_status"));

	json_decref(j);
	return ok;
}

int health_ready_ok(long status, const struct buf *body)
{
	json_t *j = body_json(body);
	int ok = status == 200 &&
		 json_object_get(json_object_get(j, "result"),
				 "server_version") &&
		 !json_object_get(j, "error");

	json_decref(j);
	return ok;
}

int health_live(const struct config_env *env, const char *base_url,
		long timeout_ms, char **cause)
{
	char *url = xasprintf("%s/web/health?db_server_status=1", base_url);
	struct http_request req = { .method = "GET", .url = url,
				    .timeout_ms = timeout_ms };
	struct http_response r;
	int rc = -1;

	(void)env;	/* for symmetry with health_ready */
	if (http_do(&req, &r, cause) < 0)
		goto out;
	if (health_live_ok(r.status, &r.body))
		rc = 0;
	else
		*cause = answer("GET /web/health?db_server_status=1", &r);
out:
	http_response_release(&r);
	free(url);
	return rc;
}

int health_ready(const struct config_env *env, const char *base_url,
		 long timeout_ms, char **cause)
{
	char *url = xasprintf("%s/web/webclient/version_info", base_url);
	char *db = xasprintf("X-Odoo-Database: %s", env->db_name);
	struct http_request req = {
		.method = "POST", .url = url, .header = db,
		.content_type = "application/json",
		.body = "{\"jsonrpc\":\"2.0\",\"method\":\"call\","
			"\"params\":{},\"id\":1}",
		.timeout_ms = timeout_ms,
	};
	struct http_response r;
	int rc = -1;

	if (http_do(&req, &r, cause) < 0)
		goto out;
	if (health_ready_ok(r.status, &r.body)) {
		rc = 0;
	} else {
		char *what = xasprintf("POST /web/webclient/version_info "
				       "(database '%s')", env->db_name);

		*cause = answer(what, &r);
		free(what);
	}
out:
	http_response_release(&r);
	free(url);
	free(db);
	return rc;
}

int health_probe(const struct config_env *env, const char *base_url,
		 char **cause)
{
	if (health_live(env, base_url, env->health_timeout * 1000, cause) < 0)
		return -1;
	return health_ready(env, base_url, env->health_timeout * 1000, cause);
}

/* GET path through the proxy: 0 when it answers status, else -1 with
 * *cause naming the request as what (after "the proxy's GET path"). */
static int proxy_get(const struct config_env *env, const char *path,
		     long status, const char *what, char **cause)
{
	char *url = xasprintf("%s%s", env->proxy_url, path);
	struct http_request req = { .method = "GET", .url = url,
				    .timeout_ms = env->health_timeout * 1000 };
	struct http_response r;
	int rc = -1;

	if (http_do(&req, &r, cause) == 0) {
		if (r.status == status) {
			rc = 0;
		} else {
			char *said = xasprintf("the proxy's GET %s%s", path,
					       what);

			*cause = answer(said, &r);
			free(said);
		}
	}
	http_response_release(&r);
	free(url);
	return rc;
}

int health_proxy(const struct config_env *env, char **cause)
{
	return proxy_get(env, "/web/health", 200, "", cause);
}

int health_proxy_maintenance(const struct config_env *env, char **cause)
{
	return proxy_get(env, "/web/login", 503,
			 " (maintenance page expected)", cause);
}

/* "200", or "400 or 401". */
static char *smoke_expected(const struct smoke_check *s)
{
	char *r = xasprintf("%ld", s->status[0]);

	for (size_t i = 1; i < s->nstatus; i++) {
		char *n = xasprintf("%s or %ld", r, s->status[i]);

		free(r);
		r = n;
	}
	return r;
}

static int smoke_one(const struct config_env *env, const char *base_url,
		     const struct smoke_check *s, char **cause)
{
	char *url = xasprintf("%s%s", base_url, s->path);
	struct http_request req = {
		.method = s->method, .url = url, .body = s->body,
		.content_type = s->body && (s->body[0] == '{' ||
					    s->body[0] == '[') ?
			"application/json" : s->body ?
			"application/x-www-form-urlencoded" : NULL,
		.timeout_ms = env->health_timeout * 1000,
	};
	struct http_response r;
	char *what = xasprintf("smoke test %s %s", s->method, s->path);
	int rc = -1;

	if (http_do(&req, &r, cause) == 0) {
		for (size_t i = 0; i < s->nstatus && rc < 0; i++)
			if (r.status == s->status[i])
				rc = 0;
		if (rc == 0) {
			log_info("%s: %ld in %lld ms", what, r.status,
				 r.elapsed_ms);
		} else {
			char *a = answer(what, &r), *want = smoke_expected(s);

			*cause = xasprintf("%s (expected %s)", a, want);
			free(want);
			free(a);
		}
	}
	http_response_release(&r);
	free(what);
	free(url);
	return rc;
}

int health_smoke(const struct config_env *env, const char *base_url,
		 char **cause)
{
	for (size_t i = 0; i < env->nsmoke; i++)
		if (smoke_one(env, base_url, &env->smoke[i], cause) < 0)
			return -1;
	return 0;
}
