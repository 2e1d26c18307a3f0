#include "core/config.h"
#include "core/log.h"
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <arpa/inet.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum opt_type { OPT_STRING, OPT_PATH, OPT_PATHS, OPT_LONG, OPT_URLPATH,
		OPT_URL, OPT_NAME, OPT_NAME_OR_EMPTY, OPT_LISTEN, OPT_SECRET_URL };

struct option_def {
	const char *name;
	enum opt_type type;
	size_t offset;
	long min, max;
	const char *def;	/* NULL: none (or derived) */
	const char *help;
};

#define S(field) offsetof(struct config_env, field)

static const struct option_def options[] = {
	{ "image_repository", OPT_STRING, S(image_repository), 0, 0, NULL,
	  "image repository releases are pulled from (required)" },
	{ "db_name", OPT_NAME, S(db_name), 0, 0, NULL,
	  "the business database (required)" },
	{ "docker_socket", OPT_PATH, S(docker_socket), 0, 0,
	  "/var/run/docker.sock", "Docker Engine API socket" },
	{ "compose_command", OPT_STRING, S(compose_command), 0, 0, "auto",
	  "'docker compose', 'docker-compose', or auto" },
	{ "compose_files", OPT_PATHS, S(compose_files), 0, 0,
	  "docker-compose.yml", "comma-separated compose files" },
	{ "compose_project", OPT_NAME, S(compose_project), 0, 0, NULL,
	  "compose project name (default odoo19-<env>)" },
	{ "env_file", OPT_PATH, S(env_file), 0, 0, NULL,
	  "the stack's .env (default: beside the first compose file)" },
	{ "state_dir", OPT_PATH, S(state_dir), 0, 0, NULL,
	  "history, last good release, lock, journal, backups" },
	{ "db_host", OPT_STRING, S(db_host), 0, 0, "127.0.0.1",
	  "PostgreSQL host as odooctl reaches it" },
	{ "db_port", OPT_LONG, S(db_port), 1, 65535, "5432",
	  "PostgreSQL port as odooctl reaches it" },
	{ "db_user", OPT_NAME, S(db_user), 0, 0, "odoo", "PostgreSQL user" },
	{ "db_password_file", OPT_PATH, S(db_password_file), 0, 0, NULL,
	  "file holding the DB password (default: POSTGRES_PASSWORD in env_file)" },
	{ "db_owner", OPT_NAME_OR_EMPTY, S(db_owner), 0, 0, NULL,
	  "role Odoo connects as, owner of db_name and of everything in it "
	  "(default: ODOO_DB_USER in env_file; an external database: "
	  "db_user)" },
	{ "health_interval", OPT_LONG, S(health_interval), 1, 3600, "2",
	  "seconds between health probes of a new release" },
	{ "health_timeout", OPT_LONG, S(health_timeout), 1, 600, "10",
	  "seconds before one probe times out" },
	{ "health_retries", OPT_LONG, S(health_retries), 1, 10000, "30",
	  "probes before a new release is declared unhealthy" },
	{ "health_successes", OPT_LONG, S(health_successes), 1, 100, "2",
	  "healthy probes in a row a new release needs (a flapping one "
	  "never gets there)" },
	{ "webhook_path", OPT_URLPATH, S(webhook_path), 0, 0,
	  "/ocr_billing/webhook", "the OCR billing webhook, smoke-tested" },
	{ "proxy_url", OPT_URL, S(proxy_url), 0, 0, "http://127.0.0.1:80",
	  "where the proxy answers, checked after a switch" },
	{ "proxy_service", OPT_NAME, S(proxy_service), 0, 0, "proxy",
	  "compose service clients connect to (never reloaded)" },
	{ "switch_service", OPT_NAME, S(switch_service), 0, 0, "switch",
	  "compose service of the nginx odooctl points and reloads" },
	{ "odoo_service", OPT_NAME, S(odoo_service), 0, 0, "odoo19",
	  "compose service of Odoo" },
	{ "postgres_service", OPT_NAME_OR_EMPTY, S(postgres_service), 0, 0,
	  "postgres", "compose service of PostgreSQL (empty: the database "
	  "is external, at db_host:db_port)" },
	{ "pg_bindir", OPT_PATH, S(pg_bindir), 0, 0, NULL,
	  "external database: where pg_dump and psql are (default: "
	  "/usr/lib/postgresql/<server's major or newer>/bin)" },
	{ "drain_seconds", OPT_LONG, S(drain_seconds), 0, 3600, "10",
	  "seconds the old release keeps serving after a switch" },
	{ "stop_timeout", OPT_LONG, S(stop_timeout), 1, 3600, "30",
	  "seconds given to a container to stop before it is killed" },
	{ "disk_floor_mb", OPT_LONG, S(disk_floor_mb), 0, LONG_MAX / 2, "2048",
	  "free MiB required on the state and Docker filesystems" },
	{ "keep_releases", OPT_LONG, S(keep_releases), 1, 20, "2",
	  "stopped previous releases kept for instant rollback" },
	{ "upgrade_timeout", OPT_LONG, S(upgrade_timeout), 10, 86400, "3600",
	  "seconds the module upgrade of a release that changes the "
	  "database may take" },
	{ "rollback_point", OPT_STRING, S(rollback_point), 0, 0, "clone",
	  "what a failed upgrade goes back to: clone (a copy of the "
	  "database made by PostgreSQL and hard links of the filestore, "
	  "taken in seconds under the maintenance page) or backup (a "
	  "verified dump taken there)" },
	{ "upgrade_trigger", OPT_STRING, S(upgrade_trigger), 0, 0, "checksum",
	  "which addons a release upgrades: checksum (any change) or "
	  "version (a new manifest version; new addons always)" },
	{ "build_context", OPT_PATH, S(build_context), 0, 0,
	  "../../../services/odoo19-central-addons",
	  "directory holding the Dockerfile and addons/" },
	{ "dockerfile", OPT_STRING, S(dockerfile), 0, 0, "Dockerfile",
	  "Dockerfile, relative to build_context" },
	{ "odoo_base", OPT_STRING, S(odoo_base), 0, 0, "",
	  "ODOO_BASE build argument (empty: the Dockerfile's odoo:19.0)" },
	{ "backup_dir", OPT_PATH, S(backup_dir), 0, 0, NULL,
	  "where backups go (default: state_dir/backups)" },
	{ "backup_compression", OPT_STRING, S(backup_compression), 0, 0,
	  "fast", "zip entries: store, fast (deflate 1) or default (deflate "
	  "6); files compressed already are stored" },
	{ "backup_keep", OPT_LONG, S(backup_keep), 1, 10000, "7",
	  "backups always kept, newest first" },
	{ "backup_max_age_days", OPT_LONG, S(backup_max_age_days), 0, 36500,
	  "14", "backups younger than this many days are kept too" },
	{ "cpu_max_percent", OPT_LONG, S(cpu_max_percent), 1, 100, "80",
	  "health: CPU busy above this percent (1 s sample) is unhealthy" },
	{ "mem_max_percent", OPT_LONG, S(mem_max_percent), 1, 100, "85",
	  "health: memory in use (MemAvailable) above this percent" },
	{ "disk_max_percent", OPT_LONG, S(disk_max_percent), 1, 100, "80",
	  "health: used space above this percent on the Docker root, "
	  "state_dir or backup_dir filesystem" },
	{ "backup_max_age_hours", OPT_LONG, S(backup_max_age_hours), 0, 876000,
	  "26", "health: the newest verified backup must be younger "
	  "(0: no backup check)" },
	{ "monitor_interval", OPT_LONG, S(monitor_interval), 1, 86400, "30",
	  "monitor: seconds between passes of every check" },
	{ "monitor_timeout", OPT_LONG, S(monitor_timeout), 1, 600, "10",
	  "monitor: seconds before an HTTP or database check times out" },
	{ "monitor_retries", OPT_LONG, S(monitor_retries), 1, 1000, "3",
	  "monitor: failed passes in a row before a check is down" },
	{ "monitor_reminder", OPT_LONG, S(monitor_reminder), 0, 604800,
	  "3600", "monitor: seconds between reminders while a check stays "
	  "down (0: none)" },
	{ "alert_webhook_url", OPT_SECRET_URL, S(alert_webhook_url), 0, 0, NULL,
	  "monitor: alerts are POSTed here (may hold a token; never "
	  "logged)" },
	{ "alert_webhook_format", OPT_STRING, S(alert_webhook_format), 0, 0,
	  "json", "monitor: the webhook body, slack or json" },
	{ "alert_command", OPT_STRING, S(alert_command), 0, 0, NULL,
	  "monitor: shell command run per alert, the alert as JSON on "
	  "stdin" },
	{ "alert_timeout", OPT_LONG, S(alert_timeout), 1, 300, "10",
	  "monitor: seconds one delivery attempt may take" },
	{ "alert_retries", OPT_LONG, S(alert_retries), 0, 100, "5",
	  "monitor: attempts after the first, with doubling backoff" },
	{ "metrics_listen", OPT_LISTEN, S(metrics_listen), 0, 0,
	  "127.0.0.1:9469", "monitor: IPv4ADDR:PORT of /metrics, or off" },
	{ "secrets_provider", OPT_STRING, S(secrets_provider), 0, 0, "none",
	  "where `secrets pull` gets secrets: none, env_file, ssm, command" },
	{ "secrets_file", OPT_PATH, S(secrets_file), 0, 0, NULL,
	  "env_file provider: KEY=VALUE file, mode 0600 or stricter, ours" },
	{ "secrets_command", OPT_STRING, S(secrets_command), 0, 0, NULL,
	  "command provider: shell command printing KEY=VALUE lines" },
	{ "secrets_required", OPT_STRING, S(secrets_required), 0, 0,
	  "POSTGRES_PASSWORD", "comma-separated keys `secrets check` wants" },
	{ "secrets_timeout", OPT_LONG, S(secrets_timeout), 1, 600, "30",
	  "seconds the secrets command, or one SSM request, may take" },
	{ "ssm_path", OPT_STRING, S(ssm_path), 0, 0, NULL,
	  "ssm provider: parameter path, e.g. /odoo19/production/" },
	{ "ssm_region", OPT_STRING, S(ssm_region), 0, 0, NULL,
	  "ssm provider: AWS region (default $AWS_REGION, "
	  "$AWS_DEFAULT_REGION)" },
	{ "ssm_endpoint", OPT_URL, S(ssm_endpoint), 0, 0, NULL,
	  "ssm provider: endpoint URL (default "
	  "https://ssm.<region>.amazonaws.com)" },
	{ "gate_allow", OPT_STRING, S(gate_allow), 0, 0, "",
	  "hardening checks a deploy may fail (comma-separated, as "
	  "--allow); each use is recorded in history as allowed:CHECK" },
};

/* String options whose value is one of a list. */
static const struct {
	const char *name, *choices;
} choice_options[] = {
	{ "alert_webhook_format", "slack|json" },
	{ "backup_compression", "store|fast|default" },
	{ "rollback_point", "clone|backup" },
	{ "secrets_provider", "none|env_file|ssm|command" },
	{ "upgrade_trigger", "checksum|version" },
};

#define SMOKE_KEY "smoke"

struct entry {
	char *section;
	char *key;
	char *value;
	int line;
};

struct parse {
	const char *path;
	FILE *fp;
	int line;
	int err_line;
	char *cause;
	struct entry *entries;
	size_t n;
};

static void parse_error(struct parse *p, int line, char *msg)
{
	if (!p->cause) {
		p->cause = xasprintf("%s:%d: %s", p->path, line, msg);
		p->err_line = line;
	}
	free(msg);
}

static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char *s = fgets(str, num, p->fp);
	size_t len;

	if (!s)
		return NULL;
	p->line++;
	len = strlen(s);
	if (len == (size_t)num - 1 && s[len - 1] != '\n' && !feof(p->fp)) {
		int c;

		parse_error(p, p->line,
			    xasprintf("line longer than %d characters",
				      num - 2));
		while ((c = fgetc(p->fp)) != EOF && c != '\n')
			;
	}
	return s;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse *p = user;
	struct entry *e;

	p->entries = xrealloc(p->entries, (p->n + 1) * sizeof(*p->entries));
	e = &p->entries[p->n++];
	e->section = xstrdup(section);
	e->key = xstrdup(name);
	e->value = xstrdup(value);
	e->line = p->line;
	return 1;
}

static const struct option_def *option_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

static int valid_name(const char *s)
{
	if (!*s || strlen(s) > 63)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.", *s))
			return 0;
	return 1;
}

static char *resolve_path(const char *dir, const char *value)
{
	if (value[0] == '/')
		return xstrdup(value);
	return xasprintf("%s/%s", dir, value);
}

static char *resolve_paths(const char *dir, const char *value, char **cause)
{
	struct buf b;
	char *copy = xstrdup(value), *save = NULL, *tok;

	buf_init(&b, 1 << 16);
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *t = strtrim(tok), *abs;

		if (!*t)
			continue;
		abs = resolve_path(dir, t);
		buf_printf(&b, "%s%s", b.len ? "," : "", abs);
		free(abs);
	}
	free(copy);
	if (b.len == 0) {
		*cause = xstrdup("empty list");
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static int parse_long(const struct option_def *o, const char *v, long *out,
		      char **cause)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end) {
		*cause = xasprintf("'%s' is not a number", v);
		return -1;
	}
	if (n < o->min || n > o->max) {
		*cause = xasprintf("%ld is out of range [%ld, %ld]", n, o->min,
				   o->max);
		return -1;
	}
	*out = n;
	return 0;
}

/* 1 when name takes any string or v is one of its choices. */
static int choice_ok(const char *name, const char *v, char **cause)
{
	size_t n = strlen(v);

	for (size_t i = 0; i < ARRAY_SIZE(choice_options); i++) {
		const char *c = choice_options[i].choices;

		if (strcmp(choice_options[i].name, name))
			continue;
		for (; *c; c += strcspn(c, "|"), c += !!*c)
			if (strcspn(c, "|") == n && !strncmp(c, v, n))
				return 1;
		*cause = xasprintf("'%s' is not one of %s", v,
				   choice_options[i].choices);
		return 0;
	}
	return 1;
}

static int listen_ok(const char *v)
{
	const char *colon = strrchr(v, ':');
	char host[INET_ADDRSTRLEN];
	struct in_addr a;
	char *end;
	long port;

	if (!colon || colon == v || (size_t)(colon - v) >= sizeof(host))
		return 0;
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	return inet_pton(AF_INET, host, &a) == 1 && !errno &&
	       end != colon + 1 && !*end && port > 0 && port < 65536;
}

static int option_set(struct config_env *env, const struct option_def *o,
		      const char *dir, const char *v, char **cause)
{
	char **sp = (char **)((char *)env + o->offset);
	char *val = NULL;

	switch (o->type) {
	case OPT_LONG:
		return parse_long(o, v, (long *)((char *)env + o->offset),
				  cause);
	case OPT_NAME_OR_EMPTY:
	case OPT_NAME:
		if ((*v || o->type == OPT_NAME) && !valid_name(v)) {
			*cause = xasprintf("'%s' is not a valid name "
					   "(letters, digits, _ - .)", v);
			return -1;
		}
		val = xstrdup(v);
		break;
	case OPT_URLPATH:
		if (v[0] != '/' || strpbrk(v, " \t")) {
			*cause = xasprintf("'%s' is not a URL path", v);
			return -1;
		}
		val = xstrdup(v);
		break;
	case OPT_URL:
	case OPT_SECRET_URL:
		if (!str_starts_with(v, "http://") &&
		    !str_starts_with(v, "https://")) {
			*cause = o->type == OPT_SECRET_URL ?
				xstrdup("not an http(s) URL (value hidden)") :
				xasprintf("'%s' is not an http(s) URL", v);
			return -1;
		}
		val = xstrdup(v);
		break;
	case OPT_PATH:
		if (!*v) {
			*cause = xstrdup("empty path");
			return -1;
		}
		val = resolve_path(dir, v);
		break;
	case OPT_PATHS:
		val = resolve_paths(dir, v, cause);
		if (!val)
			return -1;
		break;
	case OPT_STRING:
		if (!choice_ok(o->name, v, cause))
			return -1;
		val = xstrdup(v);
		break;
	case OPT_LISTEN:
		if (strcmp(v, "off") && !listen_ok(v)) {
			*cause = xasprintf("'%s' is not IPV4ADDR:PORT or off",
					   v);
			return -1;
		}
		val = xstrdup(v);
		break;
	}
	free(*sp);
	*sp = val;
	return 0;
}

/* STATUS, or STATUS|STATUS...: the answers that pass. */
static int smoke_statuses(struct smoke_check *c, char *list, char **cause)
{
	static const struct option_def status_opt = { "status", OPT_LONG, 0,
						       100, 599, NULL, NULL };
	char *save = NULL, *one;

	c->nstatus = 0;
	for (one = strtok_r(list, "|", &save); one;
	     one = strtok_r(NULL, "|", &save)) {
		if (c->nstatus == SMOKE_MAX_STATUS) {
			*cause = xasprintf("more than %d statuses",
					   SMOKE_MAX_STATUS);
			return -1;
		}
		if (parse_long(&status_opt, one, &c->status[c->nstatus++],
			       cause) < 0)
			return -1;
	}
	if (!c->nstatus) {
		*cause = xstrdup("no status");
		return -1;
	}
	return 0;
}

static int smoke_parse(struct smoke_check *c, const char *value, char **cause)
{
	char *copy = xstrdup(value), *save = NULL;
	char *method = strtok_r(copy, " \t", &save);
	char *path = method ? strtok_r(NULL, " \t", &save) : NULL;
	char *status = path ? strtok_r(NULL, " \t", &save) : NULL;
	char *body = status ? strtrim(save) : NULL;
	int rc = -1;

	if (!status) {
		*cause = xasprintf("'%s' is not 'METHOD /path STATUS [BODY]'",
				   value);
		goto out;
	}
	if (strcmp(method, "GET") && strcmp(method, "POST") &&
	    strcmp(method, "HEAD") && strcmp(method, "PUT")) {
		*cause = xasprintf("unknown method '%s'", method);
		goto out;
	}
	if (path[0] != '/') {
		*cause = xasprintf("'%s' is not a URL path", path);
		goto out;
	}
	if (smoke_statuses(c, status, cause) < 0)
		goto out;
	c->method = xstrdup(method);
	c->path = xstrdup(path);
	c->body = body && *body ? xstrdup(body) : NULL;
	rc = 0;
out:
	free(copy);
	return rc;
}

static void smoke_clear(struct config_env *env)
{
	for (size_t i = 0; i < env->nsmoke; i++) {
		free(env->smoke[i].method);
		free(env->smoke[i].path);
		free(env->smoke[i].body);
	}
	env->nsmoke = 0;
}

static int smoke_add(struct config_env *env, const char *value, char **cause)
{
	if (env->nsmoke == CONFIG_MAX_SMOKE) {
		*cause = xasprintf("more than %d smoke checks",
				   CONFIG_MAX_SMOKE);
		return -1;
	}
	if (smoke_parse(&env->smoke[env->nsmoke], value, cause) < 0)
		return -1;
	env->nsmoke++;
	return 0;
}

/* Applies one section's entries to env; a section's smoke list replaces the inherited one. */
static int apply_section(struct parse *p, struct config_env *env,
			 const char *section, const char *dir)
{
	int smoke_seen = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct entry *e = &p->entries[i];
		const struct option_def *o;
		char *why = NULL;

		if (strcmp(e->section, section) != 0)
			continue;
		if (strcmp(e->key, SMOKE_KEY) == 0) {
			if (!smoke_seen++)
				smoke_clear(env);
			env->smoke_set = 1;
			if (strcmp(e->value, "none") != 0 &&
			    smoke_add(env, e->value, &why) < 0)
				goto bad;
			continue;
		}
		o = option_find(e->key);
		if (!o) {
			parse_error(p, e->line,
				    xasprintf("unknown key '%s' in [%s]",
					      e->key, section));
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p->entries[j].section, section) &&
			    !strcmp(p->entries[j].key, e->key)) {
				parse_error(p, e->line,
					    xasprintf("duplicate key '%s' in [%s]",
						      e->key, section));
				return -1;
			}
		if (option_set(env, o, dir, e->value, &why) < 0)
			goto bad;
		continue;
bad:
		parse_error(p, e->line, xasprintf("%s: %s", e->key, why));
		free(why);
		return -1;
	}
	return 0;
}

static void env_defaults(struct config_env *env, const char *name,
			 const char *dir)
{
	char *why = NULL;

	memset(env, 0, sizeof(*env));
	env->name = xstrdup(name);
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (options[i].def)
			option_set(env, &options[i], dir, options[i].def, &why);
	free(why);
}

static void env_derive(struct config_env *env)
{
	if (!env->smoke_set) {
		/*
		 * An empty event: the webhook's controller answers 400 (or
		 * 401 when a token is set) once its route, the business
		 * database and its registry are up, and writes nothing. A
		 * real event would add a record to production at every
		 * deploy, and fail where a token is required.
		 */
		char *s = xasprintf("POST %s 400|401 {}", env->webhook_path);
		char *why = NULL;

		smoke_add(env, "GET /web/login 200", &why);
		smoke_add(env, s, &why);
		free(s);
		free(why);
	}
	if (!env->compose_project)
		env->compose_project = xasprintf("odoo19-%s", env->name);
	if (!env->state_dir)
		env->state_dir = strcmp(env->name, "production") == 0 ?
			xstrdup("/srv/deployments/odoo19") :
			xasprintf("/srv/deployments/odoo19-%s", env->name);
	if (!env->backup_dir)
		env->backup_dir = xasprintf("%s/backups", env->state_dir);
	if (!env->env_file) {
		char *first = xstrndup(env->compose_files,
				       strcspn(env->compose_files, ","));

		env->env_file = xasprintf("%s/.env", dirname(first));
		free(first);
	}
}

static int section_line(struct parse *p, const char *section)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->entries[i].section, section))
			return p->entries[i].line;
	return 0;
}

static int build_envs(struct config *cfg, struct parse *p, const char *dir)
{
	for (size_t i = 0; i < p->n; i++) {
		const char *sec = p->entries[i].section;
		struct config_env *env;
		int seen = 0;

		if (!strcmp(sec, "defaults"))
			continue;
		for (size_t j = 0; j < cfg->nenvs; j++)
			seen |= !strcmp(cfg->envs[j].name, sec);
		if (seen)
			continue;
		if (!*sec || !valid_name(sec)) {
			parse_error(p, p->entries[i].line,
				    xasprintf(*sec ? "invalid environment name '%s'" :
					      "key '%s' outside any [section]",
					      *sec ? sec : p->entries[i].key));
			return -1;
		}
		cfg->envs = xrealloc(cfg->envs,
				     (cfg->nenvs + 1) * sizeof(*cfg->envs));
		env = &cfg->envs[cfg->nenvs++];
		env_defaults(env, sec, dir);
		if (apply_section(p, env, "defaults", dir) < 0 ||
		    apply_section(p, env, sec, dir) < 0)
			return -1;
		env_derive(env);
		if (!env->image_repository || !env->db_name) {
			parse_error(p, section_line(p, sec),
				    xasprintf("[%s] has no %s", sec,
					      env->image_repository ?
					      "db_name" : "image_repository"));
			return -1;
		}
	}
	if (cfg->nenvs == 0) {
		parse_error(p, p->line, xstrdup("no environment section"));
		return -1;
	}
	return 0;
}

static int check_shared_state(struct config *cfg, struct parse *p)
{
	for (size_t i = 0; i < cfg->nenvs; i++)
		for (size_t j = i + 1; j < cfg->nenvs; j++)
			if (!strcmp(cfg->envs[i].state_dir,
				    cfg->envs[j].state_dir)) {
				parse_error(p, section_line(p, cfg->envs[j].name),
					    xasprintf("[%s] and [%s] share state_dir '%s'",
						      cfg->envs[i].name,
						      cfg->envs[j].name,
						      cfg->envs[i].state_dir));
				return -1;
			}
	return 0;
}

int config_load(struct config *cfg, const char *path, char **cause)
{
	struct parse p = { .path = path };
	char *copy, *dir;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	p.fp = fopen(path, "r");
	if (!p.fp) {
		*cause = xasprintf("cannot read config '%s': %s", path,
				   strerror(errno));
		return -1;
	}
	cfg->path = xstrdup(path);
	rc = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.fp);
	if (rc > 0 && !p.cause)
		parse_error(&p, rc, xstrdup("syntax error (expected "
					   "'key = value' or '[section]')"));
	copy = xstrdup(path);
	dir = dirname(copy);
	if (!p.cause && build_envs(cfg, &p, dir) == 0)
		check_shared_state(cfg, &p);
	free(copy);
	for (size_t i = 0; i < p.n; i++) {
		free(p.entries[i].section);
		free(p.entries[i].key);
		free(p.entries[i].value);
	}
	free(p.entries);
	if (p.cause) {
		*cause = p.cause;
		config_release(cfg);
		return -1;
	}
	return 0;
}

static void env_release(struct config_env *env)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (options[i].type != OPT_LONG)
			free(*(char **)((char *)env + options[i].offset));
	smoke_clear(env);
	free(env->name);
}

void config_release(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nenvs; i++)
		env_release(&cfg->envs[i]);
	free(cfg->envs);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

const struct config_env *config_env(const struct config *cfg, const char *name,
				    char **cause)
{
	struct buf names;

	for (size_t i = 0; i < cfg->nenvs; i++)
		if (!strcmp(cfg->envs[i].name, name))
			return &cfg->envs[i];
	buf_init(&names, 1 << 16);
	for (size_t i = 0; i < cfg->nenvs; i++)
		buf_printf(&names, "%s%s", i ? ", " : "", cfg->envs[i].name);
	*cause = xasprintf("unknown environment '%s' (configured in %s: %s)",
			   name, cfg->path, names.data ? names.data : "");
	buf_release(&names);
	return NULL;
}

void config_env_print(const struct config_env *env, FILE *out)
{
	fprintf(out, "[%s]\n", env->name);
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		const struct option_def *o = &options[i];
		const char *base = (const char *)env + o->offset;

		if (o->type == OPT_LONG)
			fprintf(out, "%s = %ld\n", o->name, *(const long *)base);
		else if (o->type == OPT_SECRET_URL && *(char *const *)base)
			fprintf(out, "%s = (set, hidden)\n", o->name);
		else if (*(char *const *)base)
			fprintf(out, "%s = %s\n", o->name, *(char *const *)base);
	}
	for (size_t i = 0; i < env->nsmoke; i++) {
		const struct smoke_check *c = &env->smoke[i];

		fprintf(out, "smoke = %s %s ", c->method, c->path);
		for (size_t k = 0; k < c->nstatus; k++)
			fprintf(out, "%s%ld", k ? "|" : "", c->status[k]);
		fprintf(out, "%s%s\n", c->body ? " " : "",
			c->body ? c->body : "");
	}
}

void config_print_reference(FILE *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		fprintf(out, "  %-18s %s%s%s%s\n", options[i].name,
			options[i].help,
			options[i].def && *options[i].def ? " [" : "",
			options[i].def && *options[i].def ? options[i].def : "",
			options[i].def && *options[i].def ? "]" : "");
	fprintf(out, "  %-18s %s\n", SMOKE_KEY,
		"METHOD /path STATUS [BODY], repeatable; 'none' for no "
		"smoke test [GET /web/login 200, POST <webhook_path> 400|401 {}]");
}

static char *env_file_value(const char *path, const char *key, char **cause)
{
	char *data = file_read(path, 1 << 20, NULL, cause), *line, *save = NULL;
	char *found = NULL;
	size_t klen = strlen(key);

	if (!data)
		return NULL;
	for (line = strtok_r(data, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char *l = strtrim(line);

		if (!strncmp(l, key, klen) && l[klen] == '=') {
			char *v = l + klen + 1;
			size_t n = strlen(v);

			if (n >= 2 && (v[0] == '"' || v[0] == '\'') &&
			    v[n - 1] == v[0]) {
				v[n - 1] = '\0';
				v++;
			}
			found = xstrdup(v);
		}
	}
	explicit_bzero(data, strlen(data));
	free(data);
	if (!found)
		*cause = xasprintf("no %s in '%s'", key, path);
	return found;
}

int config_db_external(const struct config_env *env)
{
	return !env->postgres_service || !*env->postgres_service;
}

char *config_db_owner(const struct config_env *env)
{
	char *owner, *why = NULL;

	if (env->db_owner)
		owner = xstrdup(*env->db_owner ? env->db_owner : env->db_user);
	else if (config_db_external(env) ||
		 !(owner = env_file_value(env->env_file, "ODOO_DB_USER", &why)))
		owner = xstrdup(env->db_user);
	free(why);
	return owner;
}

char *config_db_owner_password(const struct config_env *env, char **cause)
{
	return env_file_value(env->env_file, "ODOO_DB_PASSWORD", cause);
}

char *config_db_password(const struct config_env *env, char **cause)
{
	char *pw;

	if (!env->db_password_file)
		return env_file_value(env->env_file, "POSTGRES_PASSWORD", cause);
	pw = file_read(env->db_password_file, 4096, NULL, cause);
	if (pw)
		pw[strcspn(pw, "\r\n")] = '\0';
	return pw;
}
