#include "secrets/regauth.h"
#include "core/log.h"
#include "core/proc.h"
#include "secrets/secrets.h"
#include "core/util.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONFIG_MAX (1u << 20)
#define HELPER_OUT_MAX (1u << 16)

char *regauth_host(const char *ref)
{
	size_t n = strcspn(ref, "/");

	if (ref[n] == '/' && (memchr(ref, '.', n) || memchr(ref, ':', n) ||
			      (n == 9 && !strncmp(ref, "localhost", 9))))
		return xstrndup(ref, n);
	return xstrdup("docker.io");
}

char *regauth_config_path(void)
{
	const char *dir = getenv("DOCKER_CONFIG");
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (dir && *dir)
		return xasprintf("%s/config.json", dir);
	if ((!home || !*home) && (pw = getpwuid(getuid())))
		home = pw->pw_dir;
	return xasprintf("%s/.docker/config.json", home ? home : "");
}

/* An "auths" key ("https://ghcr.io", "ghcr.io/v2/") names host? */
static int key_names(const char *key, const char *host)
{
	size_t n;

	if (!strncmp(key, "https://", 8))
		key += 8;
	else if (!strncmp(key, "http://", 7))
		key += 7;
	n = strcspn(key, "/");
	if (n == strlen(host) && !strncmp(key, host, n))
		return 1;
	return !strcmp(host, "docker.io") &&
	       ((n == 15 && !strncmp(key, "index.docker.io", n)) ||
		(n == 20 && !strncmp(key, "registry-1.docker.io", n)));
}

/* base64 (standard alphabet, padded) of "user:password" into a string. */
static char *decode_auth(const char *b64)
{
	size_t n = strlen(b64);
	unsigned char *out;
	int len;

	if (n == 0 || n % 4)
		return NULL;
	out = xmalloc(n / 4 * 3 + 1);
	len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	if (len < 0) {
		free(out);
		return NULL;
	}
	len -= (b64[n - 1] == '=') + (b64[n - 2] == '=');
	out[len] = '\0';
	if (strlen((char *)out) != (size_t)len || !strchr((char *)out, ':')) {
		secret_free((char *)out);
		return NULL;
	}
	return (char *)out;
}

/* base64url, padded, as the daemon decodes X-Registry-Auth. */
static char *encode_url(const char *s)
{
	size_t n = strlen(s);
	char *out = xmalloc((n + 2) / 3 * 4 + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	for (char *p = out; *p; p++)
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	return out;
}

static char *header_of(const char *userpass, const char *host)
{
	char *colon = strchr(userpass, ':');
	char *user = xstrndup(userpass, (size_t)(colon - userpass));
	json_t *j = json_pack("{s:s,s:s,s:s}", "username", user, "password",
			      colon + 1, "serveraddress", host);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	char *h = text ? encode_url(text) : NULL;

	if (text)
		secret_free(text);
	json_decref(j);
	free(user);
	return h;
}

/* The header from the "auths" entry for host, or REGAUTH_NONE. */
static char *from_auths(json_t *cfg, const char *path, const char *host,
			char **cause)
{
	json_t *auths = json_object_get(cfg, "auths"), *v;
	const char *key, *b64;
	char *userpass, *h;

	json_object_foreach(auths, key, v) {
		if (!key_names(key, host))
			continue;
		b64 = json_string_value(json_object_get(v, "auth"));
		if (!b64 || !*b64)
			break;
		userpass = decode_auth(b64);
		if (!userpass) {
			*cause = xasprintf("'%s': the credentials for '%s' are "
					   "not base64 of user:password", path,
					   key);
			return NULL;
		}
		h = header_of(userpass, host);
		secret_free(userpass);
		if (!h)
			*cause = xasprintf("'%s': the credentials for '%s' are "
					   "not UTF-8", path, key);
		return h;
	}
	return xstrdup(REGAUTH_NONE);
}

/* docker-credential-NAME in PATH, or NULL. */
static char *helper_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;

	if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyz"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
			     strlen(name))
		return NULL;
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p; p = end) {
		char *f;

		end = p + strcspn(p, ":");
		f = xasprintf("%.*s/docker-credential-%s", (int)(end - p), p,
			      name);
		if (end > p && access(f, X_OK) == 0)
			return f;
		free(f);
		if (*end)
			end++;
	}
	return NULL;
}

struct feed {
	const char *text;
	int done;
};

static long feed_host(void *b, size_t cap, void *arg, char **cause)
{
	struct feed *f = arg;
	size_t n = strlen(f->text);

	(void)cause;
	if (f->done || n > cap)
		return 0;
	memcpy(b, f->text, n);
	f->done = 1;
	return (long)n;
}

static int sink_out(const void *p, size_t n, void *arg, char **cause)
{
	if (buf_append(arg, p, n) < 0) {
		*cause = xstrdup("it printed more than 64 KiB");
		return -1;
	}
	return 0;
}

/* The header from the helper's JSON: Username and Secret, or a token. */
static char *helper_header(const struct buf *out, const char *host)
{
	json_t *j = json_loadb(out->data ? out->data : "", out->len, 0, NULL);
	const char *user = json_string_value(json_object_get(j, "Username"));
	const char *secret = json_string_value(json_object_get(j, "Secret"));
	json_t *a = NULL;
	char *text = NULL, *h = NULL;

	if (user && secret && !strcmp(user, "<token>"))
		a = json_pack("{s:s,s:s}", "identitytoken", secret,
			      "serveraddress", host);
	else if (user && secret)
		a = json_pack("{s:s,s:s,s:s}", "username", user, "password",
			      secret, "serveraddress", host);
	log_redact_add(secret);
	text = a ? json_dumps(a, JSON_COMPACT) : NULL;
	h = text ? encode_url(text) : NULL;
	secret_free(text);
	json_decref(a);
	json_decref(j);
	return h;
}

/*
 * Runs `docker-credential-NAME get` with the registry on stdin, as the
 * docker client does. "credentials not found" is no credentials (NULL,
 * no cause): the caller falls back to "auths".
 */
static char *from_helper(const char *name, const char *path,
			 const char *host, char **cause)
{
	char *exe = helper_path(name), *h = NULL, *why = NULL;
	const char *argv[] = { exe, "get", NULL };
	struct feed f = { strcmp(host, "docker.io") ? host :
			  "https://index.docker.io/v1/", 0 };
	struct buf out, err;
	struct proc_io io = { feed_host, &f, sink_out, &out, &err, -1 };
	int code;

	if (!exe) {
		*cause = xasprintf("'%s': the credential helper '%s' "
				   "(docker-credential-%s) is not in PATH",
				   path, name, name);
		return NULL;
	}
	buf_init(&out, HELPER_OUT_MAX);
	buf_init(&err, 1024);
	if (proc_stream(argv, environ, &io, &code, &why) < 0) {
		*cause = xasprintf("credential helper '%s': %s", exe, why);
	} else if (code != 0) {
		if (!strstr(out.data ? out.data : "", "credentials not found"))
			*cause = xasprintf("credential helper '%s' get '%s' "
					   "exited with status %d", exe,
					   f.text, code);
	} else if (!(h = helper_header(&out, host))) {
		*cause = xasprintf("credential helper '%s' get '%s': not "
				   "JSON with Username and Secret", exe,
				   f.text);
	}
	if (out.data)
		explicit_bzero(out.data, out.len);
	buf_release(&out);
	buf_release(&err);
	free(why);
	free(exe);
	return h;
}

/*
 * The docker client's order: the host's entry in credHelpers, else
 * credsStore, else the base64 "auth" of its "auths" entry.
 */
static char *from_config(json_t *cfg, const char *path, const char *host,
			 char **cause)
{
	const char *helper = json_string_value(json_object_get(
		json_object_get(cfg, "credHelpers"), host));
	char *h, *why = NULL;

	if (!helper || !*helper)
		helper = json_string_value(json_object_get(cfg, "credsStore"));
	if (helper && *helper) {
		h = from_helper(helper, path, host, &why);
		if (why)
			*cause = why;
		if (h || why)
			return h;
	}
	return from_auths(cfg, path, host, cause);
}

char *regauth_header(const char *ref, char **cause)
{
	char *path = regauth_config_path(), *host = regauth_host(ref);
	char *text, *h = NULL, *why = NULL;
	json_error_t jerr;
	json_t *cfg;
	size_t len;

	if (access(path, F_OK) < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		h = xstrdup(REGAUTH_NONE);
		goto out;
	}
	secrets_wipe_json();
	text = file_read(path, CONFIG_MAX, &len, &why);
	if (!text) {
		*cause = xasprintf("cannot read the registry credentials: %s",
				   why);
		goto out;
	}
	cfg = json_loadb(text, len, 0, &jerr);
	secret_free(text);
	if (!json_is_object(cfg)) {
		*cause = xasprintf("'%s': not a docker config file: %s", path,
				   cfg ? "not a JSON object" : jerr.text);
		json_decref(cfg);
		goto out;
	}
	h = from_config(cfg, path, host, cause);
	json_decref(cfg);
out:
	free(why);
	free(host);
	free(path);
	return h;
}
