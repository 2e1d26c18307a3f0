#include "secrets/secrets_priv.h"
#include "core/log.h"

#include <ini.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void secrets_aws_creds_release(struct aws_creds *c)
{
	secret_free(c->id);
	secret_free(c->secret);
	secret_free(c->token);
	memset(c, 0, sizeof(*c));
}

struct ini_ctx {
	const char *profile;
	struct aws_creds *c;
};

static int on_ini(void *user, const char *section, const char *name,
		       const char *value)
{
	struct ini_ctx *x = user;
	char **slot = NULL;

	if (strcmp(section, x->profile))
		return 1;
	if (!strcmp(name, "aws_access_key_id"))
		slot = &x->c->id;
	else if (!strcmp(name, "aws_secret_access_key"))
		slot = &x->c->secret;
	else if (!strcmp(name, "aws_session_token"))
		slot = &x->c->token;
	if (slot) {
		secret_free(*slot);
		*slot = xstrdup(value);
	}
	return 1;
}

int secrets_aws_creds_ini(const char *text, const char *profile,
			  struct aws_creds *c)
{
	struct ini_ctx x = { profile, c };

	if (ini_parse_string(text, on_ini, &x) != 0) {
		secrets_aws_creds_release(c);
		return -1;
	}
	if (!c->id || !c->secret) {
		secrets_aws_creds_release(c);
		return 0;
	}
	c->from = "the shared credentials file";
	return 1;
}

int secrets_aws_creds_imds(const char *json, struct aws_creds *c,
			   char **cause)
{
	json_t *j = json_loads(json, 0, NULL);
	const char *id = json_string_value(json_object_get(j, "AccessKeyId"));
	const char *sk = json_string_value(json_object_get(j,
							   "SecretAccessKey"));
	const char *tk = json_string_value(json_object_get(j, "Token"));

	if (!id || !sk) {
		*cause = xstrdup("instance metadata: the role's credentials "
				 "are not JSON with AccessKeyId and "
				 "SecretAccessKey");
		json_decref(j);
		return -1;
	}
	c->id = xstrdup(id);
	c->secret = xstrdup(sk);
	c->token = tk ? xstrdup(tk) : NULL;
	c->from = "the instance metadata service";
	json_decref(j);
	return 0;
}

int secrets_aws_ssm_page(const struct buf *body, struct secrets *s,
			 char **next, char **cause)
{
	json_error_t jerr;
	json_t *j = json_loadb(body->data ? body->data : "", body->len, 0,
			       &jerr);
	json_t *params = json_object_get(j, "Parameters"), *p;
	const char *tok = json_string_value(json_object_get(j, "NextToken"));
	size_t i;

	if (!json_is_array(params)) {
		*cause = str_one_line(xasprintf("ssm: GetParametersByPath "
						"answered no Parameters list"
						"%s%s", j ? "" : ": ",
						j ? "" : jerr.text));
		json_decref(j);
		return -1;
	}
	json_array_foreach(params, i, p) {
		const char *name = json_string_value(json_object_get(p,
								     "Name"));
		const char *v = json_string_value(json_object_get(p, "Value"));
		const char *key = name ? strrchr(name, '/') : NULL;

		key = key ? key + 1 : name;
		if (!key || !v || !secrets_key_valid(key)) {
			*cause = str_one_line(xasprintf(
				"ssm: parameter '%s' has no value or is not "
				"named like an env key", name ? name : "?"));
			json_decref(j);
			return -1;
		}
		secrets_set(s, key, v);
		log_redact_add(v);
	}
	*next = tok && *tok ? xstrdup(tok) : NULL;
	json_decref(j);
	return 0;
}

char *secrets_aws_ssm_error(long status, const struct buf *body)
{
	json_t *j = json_loadb(body->data ? body->data : "", body->len, 0,
			       NULL);
	const char *type = json_string_value(json_object_get(j, "__type"));
	const char *msg = json_string_value(json_object_get(j, "message"));
	char *e;

	if (!msg)
		msg = json_string_value(json_object_get(j, "Message"));
	e = xasprintf("ssm: GetParametersByPath answered HTTP %ld%s%s%s%s",
		      status, type ? " " : "", type ? type : "",
		      msg ? ": " : "", msg ? msg : "");
	json_decref(j);
	return str_one_line(e);
}
