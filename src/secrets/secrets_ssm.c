/*
 * The AWS SSM Parameter Store provider: GetParametersByPath with
 * WithDecryption, signed with SigV4 by libcurl (CURLOPT_AWS_SIGV4). The
 * credentials come, as the AWS CLI finds them, from AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, else the shared credentials
 * file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials; profile
 * AWS_PROFILE, else default), else the instance metadata service with an
 * IMDSv2 session token (AWS_EC2_METADATA_SERVICE_ENDPOINT overrides its
 * address; AWS_EC2_METADATA_DISABLED=true skips it). The three
 * variables are removed from odooctl's environment (their values wiped) as
 * soon as they are read: no process odooctl starts inherits them.
 */
#include "secrets/secrets.h"
#include "secrets/secrets_priv.h"
#include "core/log.h"
#include "core/util.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SSM_BODY_MAX (4u << 20)
#define SSM_PAGES_MAX 100
#define IMDS_DEFAULT "http://169.254.169.254"
#define IMDS_TIMEOUT_MS 2000L

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/*
 * Takes the keys out of the environment, wiped, so that nothing odooctl
 * starts afterwards (compose, credential helpers, pg tools) inherits them.
 */
static void env_forget(const char *const names[], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *v = getenv(names[i]);

		if (v)
			explicit_bzero(v, strlen(v));
		unsetenv(names[i]);
	}
}

static int creds_from_env(struct aws_creds *c)
{
	static const char *const names[] = { "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN" };
	const char *id = env_nonempty(names[0]);
	const char *secret = env_nonempty(names[1]);
	const char *token = env_nonempty(names[2]);
	int found = id && secret;

	if (found) {
		c->id = xstrdup(id);
		c->secret = xstrdup(secret);
		c->token = token ? xstrdup(token) : NULL;
		c->from = "the environment";
	}
	env_forget(names, ARRAY_SIZE(names));
	return found;
}

static char *shared_file_path(void)
{
	const char *f = env_nonempty("AWS_SHARED_CREDENTIALS_FILE");
	const char *home = env_nonempty("HOME");
	struct passwd *pw;

	if (f)
		return xstrdup(f);
	if (!home && (pw = getpwuid(getuid())))
		home = pw->pw_dir;
	return home ? xasprintf("%s/.aws/credentials", home) : NULL;
}

/* 1 found, 0 no file or no such profile, -1 a broken file. */
static int creds_from_file(struct aws_creds *c, char **cause)
{
	char *path = shared_file_path(), *text, *why = NULL;
	const char *profile = env_nonempty("AWS_PROFILE");
	int rc = 0;

	if (!path || access(path, F_OK) < 0) {
		free(path);
		return 0;
	}
	text = file_read(path, 1 << 20, NULL, &why);
	rc = text ? secrets_aws_creds_ini(text, profile ? profile : "default",
					  c) : -1;
	if (rc < 0)
		*cause = xasprintf("AWS credentials file '%s': %s", path,
				   text ? "not an INI file" : why);
	secret_free(text);
	free(why);
	free(path);
	return rc;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	return buf_append(arg, p, size * n) < 0 ? 0 : size * n;
}

/*
 * One HTTP request with extra headers; the body (secret, maybe) goes into
 * out. Returns the status, or -1 with *cause when no answer came.
 */
static long http_call(const char *method, const char *url,
		      struct curl_slist *headers, const char *body,
		      const struct aws_creds *sign, const char *sigv4,
		      long timeout_ms, struct buf *out, char **cause)
{
	CURL *h = curl_easy_init();
	char err[CURL_ERROR_SIZE] = "";
	long status = -1;
	CURLcode rc;

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	if (sign) {
		curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
		curl_easy_setopt(h, CURLOPT_USERNAME, sign->id);
		curl_easy_setopt(h, CURLOPT_PASSWORD, sign->secret);
	}
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	else
		*cause = xasprintf("%s %s: %s", method, url,
				   *err ? err : curl_easy_strerror(rc));
	curl_easy_cleanup(h);
	return status;
}

static char *imds_get(const char *base, const char *path, const char *token,
		      char **cause)
{
	char *url = xasprintf("%s%s", base, path);
	char *hdr = xasprintf("X-aws-ec2-metadata-token: %s", token);
	struct curl_slist *headers = curl_slist_append(NULL, hdr);
	struct buf out;
	long status;

	buf_init(&out, 1 << 16);
	status = http_call("GET", url, headers, NULL, NULL, NULL,
			   IMDS_TIMEOUT_MS, &out, cause);
	curl_slist_free_all(headers);
	secret_free(hdr);
	if (status != 200 && status >= 0)
		*cause = xasprintf("instance metadata %s: HTTP %ld", url,
				   status);
	free(url);
	if (status != 200) {
		secret_free(out.data);
		return NULL;
	}
	return out.data ? buf_detach(&out, NULL) : xstrdup("");
}

/* IMDSv2: a session token by PUT, then the role and its credentials. */
static int creds_from_imds(struct aws_creds *c, char **cause)
{
	const char *base = env_nonempty("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	struct curl_slist *headers = curl_slist_append(NULL,
		"X-aws-ec2-metadata-token-ttl-seconds: 300");
	char *url, *token = NULL, *role = NULL, *path, *json = NULL;
	struct buf out;
	long status;
	int rc = -1;

	base = base ? base : IMDS_DEFAULT;
	url = xasprintf("%s/latest/api/token", base);
	buf_init(&out, 4096);
	status = http_call("PUT", url, headers, "", NULL, NULL,
			   IMDS_TIMEOUT_MS, &out, cause);
	curl_slist_free_all(headers);
	free(url);
	if (status != 200) {
		if (status >= 0)
			*cause = xasprintf("instance metadata: HTTP %ld for "
					   "a session token", status);
		secret_free(out.data);
		return -1;
	}
	token = out.data ? buf_detach(&out, NULL) : xstrdup("");
	role = imds_get(base, "/latest/meta-data/iam/security-credentials/",
			token, cause);
	if (role) {
		role[strcspn(role, "\r\n")] = '\0';
		path = xasprintf("/latest/meta-data/iam/security-credentials/%s",
				 role);
		json = imds_get(base, path, token, cause);
		free(path);
	}
	if (json)
		rc = secrets_aws_creds_imds(json, c, cause);
	secret_free(json);
	free(role);
	secret_free(token);
	return rc;
}

static int aws_creds_load(struct aws_creds *c, char **cause)
{
	const char *off = env_nonempty("AWS_EC2_METADATA_DISABLED");
	char *why = NULL;
	int rc;

	if (creds_from_env(c))
		return 0;
	rc = creds_from_file(c, cause);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	if (off && !strcasecmp(off, "true")) {
		*cause = xstrdup("no AWS credentials: none in the environment "
				 "or the shared credentials file, and the "
				 "instance metadata service is disabled");
		return -1;
	}
	if (creds_from_imds(c, &why) == 0)
		return 0;
	*cause = xasprintf("no AWS credentials: none in the environment or "
			   "the shared credentials file, and %s", why);
	free(why);
	return -1;
}

static char *ssm_region(const struct config_env *env, char **cause)
{
	const char *r = env->ssm_region && *env->ssm_region ? env->ssm_region :
			env_nonempty("AWS_REGION");

	if (!r)
		r = env_nonempty("AWS_DEFAULT_REGION");
	if (!r) {
		*cause = xasprintf("[%s]: no AWS region (ssm_region, "
				   "$AWS_REGION or $AWS_DEFAULT_REGION)",
				   env->name);
		return NULL;
	}
	return xstrdup(r);
}

struct ssm_call {
	const struct config_env *env;
	const struct aws_creds *creds;
	char *url;
	char *sigv4;
};

static int ssm_page(const struct ssm_call *k, const char *token,
		    struct secrets *s, char **next, char **cause)
{
	json_t *req = json_pack("{s:s,s:b,s:b,s:i}", "Path", k->env->ssm_path,
				"WithDecryption", 1, "Recursive", 0,
				"MaxResults", 10);
	struct curl_slist *h = NULL;
	char *body, *tokhdr = NULL;
	struct buf out;
	long status;
	int rc = -1;

	if (token)
		json_object_set_new(req, "NextToken", json_string(token));
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	h = curl_slist_append(h, "Content-Type: application/x-amz-json-1.1");
	h = curl_slist_append(h, "X-Amz-Target: AmazonSSM.GetParametersByPath");
	if (k->creds->token) {
		tokhdr = xasprintf("X-Amz-Security-Token: %s", k->creds->token);
		h = curl_slist_append(h, tokhdr);
	}
	buf_init(&out, SSM_BODY_MAX);
	status = http_call("POST", k->url, h, body, k->creds, k->sigv4,
			   k->env->secrets_timeout * 1000L, &out, cause);
	if (status == 200)
		rc = secrets_aws_ssm_page(&out, s, next, cause);
	else if (status > 0)
		*cause = secrets_aws_ssm_error(status, &out);
	curl_slist_free_all(h);
	secret_free(tokhdr);
	free(body);
	if (out.data)
		explicit_bzero(out.data, out.len);
	buf_release(&out);
	return rc;
}

int secrets_fetch_ssm(const struct config_env *env, struct secrets *s,
		      char **cause)
{
	struct aws_creds creds = { 0 };
	struct ssm_call k = { env, &creds, NULL, NULL };
	char *region, *token = NULL, *next = NULL;
	int rc = -1, pages = 0;

	if (!env->ssm_path || env->ssm_path[0] != '/') {
		*cause = xasprintf("[%s]: secrets_provider ssm needs ssm_path, "
				   "a path starting with '/'", env->name);
		return SECRETS_ERR_CONFIG;
	}
	region = ssm_region(env, cause);
	if (!region)
		return SECRETS_ERR_CONFIG;
	secrets_wipe_json();
	if (aws_creds_load(&creds, cause) < 0)
		goto out;
	log_redact_add(creds.secret);
	log_redact_add(creds.token);
	log_debug("ssm: credentials from %s", creds.from);
	k.url = env->ssm_endpoint ? xstrdup(env->ssm_endpoint) :
		xasprintf("https://ssm.%s.amazonaws.com/", region);
	k.sigv4 = xasprintf("aws:amz:%s:ssm", region);
	do {
		free(token);
		token = next;
		next = NULL;
		if (++pages > SSM_PAGES_MAX) {
			*cause = xasprintf("ssm: more than %d pages under '%s'",
					   SSM_PAGES_MAX, env->ssm_path);
			goto out;
		}
		if (ssm_page(&k, token, s, &next, cause) < 0)
			goto out;
	} while (next);
	rc = 0;
out:
	free(token);
	free(next);
	free(k.url);
	free(k.sigv4);
	free(region);
	secrets_aws_creds_release(&creds);
	return rc;
}
