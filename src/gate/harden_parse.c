/*
 * The hardening gate's readers of outside input (harden.h): odoo.conf,
 * Odoo's command line, `compose config` output, nginx.conf, and which
 * names hold secrets. No I/O here: the fuzz target drives all of it.
 */
#include "gate/harden.h"
#include "core/util.h"

#include <ctype.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Values that are no password: Odoo's default and the placeholders. */
static int admin_default(const char *v)
{
	static const char *const weak[] = { "admin", "change-me", "changeme",
					    "password", "odoo", "" };

	for (size_t i = 0; i < ARRAY_SIZE(weak); i++)
		if (!strcasecmp(v, weak[i]))
			return 1;
	return 0;
}

/* A secret's value is never kept: only whether it is set or a default. */
static const char *secret_class(const char *v)
{
	if (!*v || !strcmp(v, "False"))
		return "";
	return admin_default(v) ? "<default>" : "<set>";
}

static int conf_handler(void *user, const char *section, const char *name,
			const char *v)
{
	json_t *opts = user;

	if (strcmp(section, "options"))
		return 1;
	if (!strcmp(name, "admin_passwd"))
		v = secret_class(v);
	json_object_set_new(opts, name, json_string(v));
	return 1;
}

int harden_conf_parse(const char *text, json_t *opts, char **cause)
{
	int rc = ini_parse_string(text, conf_handler, opts);

	if (rc) {
		*cause = xasprintf("line %d: syntax error", rc);
		return -1;
	}
	return 0;
}

/* Odoo options that take no value. */
static int flag_option(const char *name)
{
	static const char *const flags[] = {
		"proxy_mode", "no_database_list", "stop_after_init", "no_http",
		"without_demo", "dev", "update", NULL };

	for (size_t i = 0; flags[i]; i++)
		if (!strcmp(name, flags[i]))
			return 1;
	return 0;
}

void harden_apply_args(json_t *opts, json_t *argv)
{
	size_t n = json_array_size(argv);

	for (size_t i = 0; i < n; i++) {
		const char *a = json_string_value(json_array_get(argv, i));
		const char *next = json_string_value(json_array_get(argv,
								    i + 1));
		char *name, *eq;
		const char *v;

		if (!a || strncmp(a, "--", 2) || !a[2])
			continue;
		name = xstrdup(a + 2);
		eq = strchr(name, '=');
		if (eq)
			*eq = '\0';
		for (char *c = name; *c; c++)
			if (*c == '-')
				*c = '_';
		if (eq) {
			v = eq + 1;
		} else if (!flag_option(name) && next && *next != '-') {
			v = next;
			i++;
		} else {
			v = "True";
		}
		if (!strcmp(name, "db_filter"))
			json_object_set_new(opts, "dbfilter", json_string(v));
		else if (!strcmp(name, "no_database_list"))
			json_object_set_new(opts, "list_db",
					    json_string("False"));
		else
			json_object_set_new(opts, name, json_string(v));
		free(name);
	}
}

static size_t indent_of(const char *l)
{
	size_t n = 0;

	while (l[n] == ' ')
		n++;
	return n;
}

/* A YAML scalar as compose config prints it: quotes off, "$$" -> "$". */
static char *scalar(const char *s)
{
	size_t n = strlen(s);
	char *out = xmalloc(n + 1), *o = out;
	char q = 0;

	if (n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0]) {
		q = s[0];
		s++;
		n -= 2;
	}
	for (size_t i = 0; i < n; i++) {
		if (q == '\'' && s[i] == '\'' && s[i + 1] == '\'')
			i++;
		else if (s[i] == '$' && i + 1 < n && s[i + 1] == '$')
			i++;
		*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* "KEY: value" or "- KEY=value" of an environment block. */
static void env_entry(json_t *environment, char *l)
{
	char *sep = l[0] == '-' ? strchr(l, '=') : strstr(l, ": ");
	char *key, *v;

	if (l[0] == '-')
		l = strtrim(l + 1);
	if (!sep) {
		size_t n = strlen(l);

		if (n && l[n - 1] == ':')	/* "KEY:" (empty) */
			l[n - 1] = '\0';
		sep = l + strlen(l);
		v = xstrdup("");
	} else {
		size_t skip = sep[0] == '=' ? 1 : 2;	/* "=" or ": " */

		*sep = '\0';
		v = scalar(strtrim(sep + skip));
	}
	key = scalar(strtrim(l));
	json_object_set_new(environment, key, json_string(
		harden_secret_name(key) ? secret_class(v) : v));
	secret_free(v);
	free(key);
}

static void command_words(json_t *command, const char *s)
{
	char *copy = xstrdup(s), *save = NULL;

	for (char *w = strtok_r(copy, " ", &save); w;
	     w = strtok_r(NULL, " ", &save)) {
		char *v = scalar(w);

		json_array_append_new(command, json_string(v));
		free(v);
	}
	free(copy);
}

/* A ports item (either syntax) is public unless bound to loopback. */
static void port_entry(json_t *ports, const char *t, int item)
{
	size_t n = json_array_size(ports);
	const char *prev = n ? json_string_value(json_array_get(ports, n - 1))
			     : NULL;

	if (item || !prev) {
		json_array_append_new(ports, json_string(t));
		return;
	}
	json_array_set_new(ports, n - 1, json_sprintf("%s %s", prev, t));
}

int harden_compose_service(const char *yaml, const char *service,
			   json_t **command, json_t **environment,
			   json_t **ports)
{
	char *copy = xstrdup(yaml), *save = NULL, *l;
	size_t svc = 0, key = 0;
	int in_services = 0, found = 0;
	enum { NONE, CMD, ENV, PORTS } block = NONE;

	*command = json_array();
	*environment = json_object();
	*ports = json_array();
	for (l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		size_t ind = indent_of(l);
		char *t = strtrim(l + ind);

		if (!*t || *t == '#')
			continue;
		if (ind == 0) {
			in_services = !strcmp(t, "services:");
			svc = 0;
			continue;
		}
		if (in_services && !svc) {
			size_t n = strlen(service);

			if (!strncmp(t, service, n) && !strcmp(t + n, ":")) {
				svc = ind;
				found = 1;
			}
			continue;
		}
		if (!svc)
			continue;
		if (ind <= svc) {
			svc = 0;
			in_services = ind > 0;
			block = NONE;
			continue;
		}
		if (block != NONE && (ind > key || (ind == key && *t == '-'))) {
			if (block == CMD && *t == '-')
				command_words(*command, strtrim(t + 1));
			else if (block == ENV)
				env_entry(*environment, t);
			else if (block == PORTS)
				port_entry(*ports, *t == '-' ?
					   strtrim(t + 1) : t, *t == '-');
			continue;
		}
		key = ind;
		block = NONE;
		if (!strncmp(t, "command:", 8)) {
			block = CMD;
			if (*strtrim(t + 8)) {
				command_words(*command, strtrim(t + 8));
				block = NONE;
			}
		} else if (!strcmp(t, "environment:")) {
			block = ENV;
		} else if (!strcmp(t, "ports:")) {
			block = PORTS;
		}
	}
	explicit_bzero(copy, strlen(yaml));
	free(copy);
	return found ? 0 : -1;
}

/* Comments stripped, one copy. */
static char *nginx_strip(const char *conf)
{
	char *s = xstrdup(conf), *o = s;
	int comment = 0;

	for (const char *p = conf; *p; p++) {
		if (*p == '#')
			comment = 1;
		else if (*p == '\n')
			comment = 0;
		if (!comment)
			*o++ = *p;
	}
	*o = '\0';
	return s;
}

/* The body of the block whose '{' is at open, NUL-terminated in place. */
static char *block_body(char *open)
{
	int depth = 0;

	for (char *p = open; *p; p++) {
		if (*p == '{') {
			depth++;
		} else if (*p == '}' && --depth == 0) {
			*p = '\0';
			return open + 1;
		}
	}
	return NULL;
}

/* Every proxy_pass in body goes to 8072 (odooctl's $odoo_ws_upstream is
 * always NAME:8072); -1 when one does not, or there is none. */
static int body_to_8072(const char *body, char **why)
{
	const char *p = body;
	int n = 0;

	while ((p = strstr(p, "proxy_pass"))) {
		size_t len;
		char *target;

		p += strlen("proxy_pass");
		p += strspn(p, " \t\n");
		len = strcspn(p, ";");
		target = xstrndup(p, len);
		n++;
		if (!strstr(target, ":8072") &&
		    !strstr(target, "$odoo_ws_upstream")) {
			*why = xasprintf("/websocket is proxied to '%s', not "
					 "to Odoo's port 8072", target);
			free(target);
			return -1;
		}
		free(target);
	}
	if (!n)
		*why = xstrdup("the /websocket location has no proxy_pass");
	return n ? 0 : -1;
}

int harden_nginx_websocket(const char *conf, char **why)
{
	char *s = nginx_strip(conf), *p = s;
	int rc = -1;

	*why = NULL;
	while ((p = strstr(p, "location"))) {
		char *open = strchr(p, '{'), *body;
		char *head;

		if (!open)
			break;
		head = xstrndup(p, (size_t)(open - p));
		p = open + 1;
		if (!strstr(head, "/websocket")) {
			free(head);
			continue;
		}
		free(head);
		body = block_body(open);
		if (!body)
			break;
		rc = body_to_8072(body, why);
		break;
	}
	if (rc < 0 && !*why)
		*why = xstrdup("no location routes /websocket (Odoo's bus, "
			       "port 8072)");
	free(s);
	return rc;
}

int harden_secret_name(const char *name)
{
	static const char *const words[] = { "password", "passwd", "secret",
					     "token", "apikey", "credential",
					     "private" };
	static const char *const tokens[] = { "pass", "pwd", "key", "auth",
					      "pw" };
	char *low = xstrdup(name), *save = NULL, *last = NULL;
	int hit = 0;

	for (char *c = low; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	for (size_t i = 0; i < ARRAY_SIZE(words) && !hit; i++)
		hit = strstr(low, words[i]) != NULL;
	for (char *t = strtok_r(low, "._-/ ", &save); t;
	     t = strtok_r(NULL, "._-/ ", &save)) {
		for (size_t i = 0; i < ARRAY_SIZE(tokens) && !hit; i++)
			hit = !strcmp(t, tokens[i]);
		last = t;
	}
	/* FOO_PASSWORD_FILE names a file, not a secret. */
	if (last && (!strcmp(last, "file") || !strcmp(last, "path")))
		hit = 0;
	free(low);
	return hit;
}
