#include "gate/harden.h"
#include "stack/compose.h"
#include "pg/dbrole.h"
#include "core/log.h"
#include "pg/pg.h"
#include "core/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HARDEN_FILE_MAX (1 << 20)

const char *const harden_checks[] = {
	"list_db", "admin_passwd", "dbfilter", "proxy_mode", "workers",
	"websocket", "image_secrets", "db_superuser", "db_owner", NULL,
};

int harden_check_known(const char *name)
{
	for (size_t i = 0; harden_checks[i]; i++)
		if (!strcmp(name, harden_checks[i]))
			return 1;
	return 0;
}

int harden_allow_valid(const char *list, char **cause)
{
	char *copy = xstrdup(list ? list : ""), *save = NULL;
	int rc = 0;

	for (char *t = strtok_r(copy, ",", &save); t && !rc;
	     t = strtok_r(NULL, ",", &save)) {
		t = strtrim(t);
		if (*t && !harden_check_known(t)) {
			*cause = xasprintf("unknown hardening check '%s' "
					   "(one of list_db, admin_passwd, "
					   "dbfilter, proxy_mode, workers, "
					   "websocket, image_secrets, "
					   "db_superuser, db_owner)", t);
			rc = -1;
		}
	}
	free(copy);
	return rc;
}

/* The first file of a tar stream from the Engine API, NUL-terminated. */
static char *tar_first_file(struct docker_reader *r, const char *what,
			    char **cause)
{
	struct buf tar, out;
	struct archive *a;
	struct archive_entry *e;
	const void *p;
	long n;
	char *text = NULL;

	buf_init(&tar, HARDEN_FILE_MAX * 2);
	buf_init(&out, HARDEN_FILE_MAX);
	while ((n = docker_reader_read(r, &p, cause)) > 0)
		if (buf_append(&tar, p, (size_t)n) < 0) {
			*cause = xasprintf("%s is larger than %d bytes", what,
					   HARDEN_FILE_MAX);
			n = -1;
			break;
		}
	if (n < 0)
		goto out;
	a = archive_read_new();
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, tar.data, tar.len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		*cause = xasprintf("cannot read %s: %s", what,
				   archive_error_string(a));
	} else {
		char chunk[8192];
		la_ssize_t got;

		while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			if (buf_append(&out, chunk, (size_t)got) < 0)
				break;
		if (got < 0)
			*cause = xasprintf("cannot read %s: %s", what,
					   archive_error_string(a));
		else
			text = buf_detach(&out, NULL);
	}
	archive_read_free(a);
out:
	buf_release(&tar);
	buf_release(&out);
	return text;
}

static char *container_file(struct docker *d, const char *id,
			    const char *path, const char *what, char **cause)
{
	struct docker_reader *r = NULL;
	int found = 0;
	char *text = NULL;

	if (docker_archive_get(d, id, path, &r, &found, cause) < 0)
		return NULL;
	if (!found)
		*cause = xasprintf("%s: no %s", what, path);
	else
		text = tar_first_file(r, what, cause);
	docker_reader_free(r);
	return text;
}

/* odoo.conf from a created, never started container of the image. */
static char *image_conf(struct docker *d, const char *ref, const char *path,
			char **cause)
{
	json_t *cfg = json_pack("{s:s,s:b,s:{s:s}}", "Image", ref,
				"NetworkDisabled", 1, "Labels",
				"odooctl.harden", "1");
	char *id = NULL, *text = NULL, *what, *why = NULL;

	what = xasprintf("'%s' in %s", path, ref);
	if (docker_container_create(d, NULL, cfg, &id, cause) == 0) {
		text = container_file(d, id, path, what, cause);
		if (docker_container_remove(d, id, &why) < 0) {
			log_warn("%s", why);
			free(why);
		}
	}
	free(what);
	free(id);
	json_decref(cfg);
	return text;
}

static const char *env_value(json_t *env, const char *key)
{
	size_t i, n = strlen(key);
	json_t *v;

	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);

		if (s && !strncmp(s, key, n) && s[n] == '=')
			return s + n + 1;
	}
	return NULL;
}

static int gather_image(struct docker *d, const char *ref,
			struct harden_facts *f, char **cause)
{
	json_t *img = NULL, *cfg;
	int found = 0;
	char *text, *why = NULL;
	const char *rc_path;

	if (docker_image_inspect(d, ref, &img, &found, cause) < 0)
		return -1;
	if (!found) {
		*cause = xasprintf("image '%s' is not here", ref);
		json_decref(img);
		return -1;
	}
	cfg = json_object_get(img, "Config");
	f->image_env = json_incref(json_object_get(cfg, "Env"));
	f->labels = json_incref(json_object_get(cfg, "Labels"));
	rc_path = env_value(f->image_env, "ODOO_RC");
	f->conf_path = xstrdup(rc_path && *rc_path ? rc_path :
			       "/etc/odoo/odoo.conf");
	json_decref(img);
	text = image_conf(d, ref, f->conf_path, cause);
	if (!text)
		return -1;
	if (harden_conf_parse(text, f->opts, &why) < 0) {
		*cause = xasprintf("'%s' in %s: %s", f->conf_path, ref, why);
		free(why);
	}
	free(text);
	return *cause ? -1 : 0;
}

/* The odoo service's command line and environment, as compose runs it. */
static int gather_compose(const struct config_env *env, const char *ref,
			  struct harden_facts *f, char **cause)
{
	static const char *const args[] = { "config", NULL };
	struct buf out;
	json_t *command = NULL, *environment = NULL, *ports = NULL, *p;
	const char *v;
	size_t i;
	int rc;

	buf_init(&out, 1 << 20);
	rc = compose_exec(env, ref, args, &out, cause);
	if (rc == 0 && harden_compose_service(out.data ? out.data : "",
					      env->odoo_service, &command,
					      &environment, &ports) < 0) {
		*cause = xasprintf("compose config has no service '%s'",
				   env->odoo_service);
		rc = -1;
	}
	if (out.data)
		explicit_bzero(out.data, out.len);
	buf_release(&out);
	if (rc < 0)
		goto out;
	harden_apply_args(f->opts, command);
	json_array_foreach(ports, i, p) {
		v = json_string_value(p);
		if (v && !f->published && !strstr(v, "127.0.0.1") &&
		    !strstr(v, "::1"))
			f->published = xstrdup(v);
	}
	v = json_string_value(json_object_get(environment, "PGUSER"));
	f->role = v && *v ? xstrdup(v) : NULL;
	v = json_string_value(json_object_get(environment,
					      "ODOO_ADMIN_PASSWD"));
	if (!json_object_get(f->opts, "admin_passwd") && v && *v) {
		json_object_set_new(f->opts, "admin_passwd", json_string(v));
		f->admin_from = "ODOO_ADMIN_PASSWD in the stack's environment";
	}
out:
	json_decref(command);
	json_decref(environment);
	json_decref(ports);
	return rc;
}

/* The role's superuser bit and the objects of db_name it does not own. */
static void gather_db(struct pg *pg, const struct config_env *env,
		      struct harden_facts *f)
{
	struct pg *own = NULL;
	char *sql, *why = NULL;

	if (!pg)
		pg = own = pg_open(env, 10, NULL, &why);
	if (!pg) {
		f->role_why = why;
		f->foreign_why = xstrdup(why);
		f->foreign = -1;
		return;
	}
	pg_role_superuser(pg, f->role, &f->role_super, &f->role_why);
	sql = dbrole_count_sql(f->role);
	if (pg_db_foreign(pg, sql, &f->foreign, &f->foreign_first,
			  &f->foreign_why) < 0)
		f->foreign = -1;
	free(sql);
	pg_close(own);
}

int harden_gather(struct docker *d, const struct config_env *env,
		  struct pg *pg, const char *ref, const char *proxy_id,
		  struct harden_facts *f, char **cause)
{
	const char *admin;
	char *why = NULL;

	memset(f, 0, sizeof(*f));
	f->opts = json_object();
	f->role_super = -1;
	f->admin_from = "odoo.conf";
	if (gather_image(d, ref, f, cause) < 0 ||
	    gather_compose(env, ref, f, cause) < 0)
		return -1;
	admin = json_string_value(json_object_get(f->opts, "admin_passwd"));
	f->admin = !admin || !*admin ? ADMIN_UNSET :
		   !strcmp(admin, "<default>") ? ADMIN_DEFAULT : ADMIN_OK;
	f->behind_proxy = proxy_id && *env->switch_service;
	if (proxy_id)
		f->nginx = container_file(d, proxy_id, "/etc/nginx/nginx.conf",
					  "the switch nginx", &why);
	if (!f->nginx) {
		log_debug("harden: %s", why ? why : "no switch nginx");
		free(why);
	}
	if (!f->role)
		f->role = xstrdup(env->db_user);
	gather_db(pg, env, f);
	f->db_name = env->db_name;
	f->env_name = env->name;
	return 0;
}

void harden_facts_release(struct harden_facts *f)
{
	json_decref(f->opts);
	json_decref(f->image_env);
	json_decref(f->labels);
	free(f->conf_path);
	free(f->published);
	free(f->nginx);
	free(f->role);
	free(f->role_why);
	free(f->foreign_first);
	free(f->foreign_why);
	memset(f, 0, sizeof(*f));
}

static const char *opt(const struct harden_facts *f, const char *name)
{
	return json_string_value(json_object_get(f->opts, name));
}

static int truthy(const char *v)
{
	static const char *const yes[] = { "true", "1", "yes", "on" };

	for (size_t i = 0; v && i < ARRAY_SIZE(yes); i++)
		if (!strcasecmp(v, yes[i]))
			return 1;
	return 0;
}

static int check_list_db(const struct harden_facts *f, char **why)
{
	const char *v = opt(f, "list_db");

	if (v && !truthy(v))
		return 0;
	*why = v ? xasprintf("list_db = %s in %s: the database manager and "
			     "list are on the web", v, f->conf_path)
		 : xasprintf("list_db is not set in %s (Odoo's default is "
			     "True): set list_db = False", f->conf_path);
	return -1;
}

static int check_admin(const struct harden_facts *f, char **why)
{
	if (f->admin == ADMIN_OK)
		return 0;
	*why = f->admin == ADMIN_DEFAULT ?
	       xasprintf("admin_passwd (from %s) is a default value",
			 f->admin_from) :
	       xasprintf("admin_passwd is not set (in %s, or "
			 "ODOO_ADMIN_PASSWD in the stack's .env): Odoo's "
			 "master password is 'admin'", f->conf_path);
	return -1;
}

static int check_dbfilter(const struct harden_facts *f, char **why)
{
	const char *v = opt(f, "dbfilter");
	size_t n = v ? strlen(v) : 0;

	if (n >= 2 && v[0] == '^' && v[n - 1] == '$')
		return 0;
	*why = n ? xasprintf("dbfilter '%s' is not anchored (^...$)", v)
		 : xstrdup("no dbfilter (odoo.conf or --db-filter): every "
			   "database on the server is served");
	return -1;
}

static int check_proxy_mode(const struct harden_facts *f, char **why)
{
	if (!truthy(opt(f, "proxy_mode")))
		return 0;
	if (!f->behind_proxy) {
		*why = xstrdup("proxy_mode is on but no proxy runs in front "
			       "of Odoo: clients could forge X-Forwarded-For "
			       "and -Host");
		return -1;
	}
	if (f->published) {
		*why = xasprintf("proxy_mode is on and the odoo service "
				 "publishes '%s', a way around the proxy: "
				 "clients could forge X-Forwarded-For and "
				 "-Host", f->published);
		return -1;
	}
	return 0;
}

static int check_workers(const struct harden_facts *f, char **why)
{
	const char *w = opt(f, "workers"), *g = opt(f, "gevent_port");
	char *end = NULL;
	long n = w ? strtol(w, &end, 10) : 0;

	if (!w || *end || n <= 0) {
		*why = xasprintf("workers = %s: Odoo runs threaded, without "
				 "its websocket worker on 8072", w ? w : "0");
		return -1;
	}
	if (g && strcmp(g, "8072")) {
		*why = xasprintf("gevent_port = %s: the proxy routes "
				 "/websocket to 8072", g);
		return -1;
	}
	return 0;
}

static int check_websocket(const struct harden_facts *f, char **why)
{
	if (!f->nginx) {
		*why = xstrdup("no switch nginx config to read");
		return -1;
	}
	return harden_nginx_websocket(f->nginx, why);
}

static void secret_scan(json_t *names_values, int is_env, struct buf *hits)
{
	const char *k;
	json_t *v;
	size_t i;

	if (is_env) {
		json_array_foreach(names_values, i, v) {
			const char *s = json_string_value(v);
			const char *eq = s ? strchr(s, '=') : NULL;
			char *name;

			if (!eq || !eq[1])
				continue;
			name = xstrndup(s, (size_t)(eq - s));
			if (harden_secret_name(name))
				buf_printf(hits, "%sEnv %s", hits->len ?
					   ", " : "", name);
			free(name);
		}
		return;
	}
	json_object_foreach(names_values, k, v) {
		const char *s = json_string_value(v);

		/* odooctl.addon.<addon>, odooctl.addon-version.<addon>,
		 * odooctl.addon-data.<addon>: a checksum or a version,
		 * named after an addon */
		if (s && *s && !str_starts_with(k, "odooctl.addon") &&
		    harden_secret_name(k))
			buf_printf(hits, "%slabel %s", hits->len ? ", " : "",
				   k);
	}
}

static int check_image_secrets(const struct harden_facts *f, char **why)
{
	struct buf hits;

	buf_init(&hits, 4096);
	secret_scan(f->image_env, 1, &hits);
	secret_scan(f->labels, 0, &hits);
	if (!hits.len) {
		buf_release(&hits);
		return 0;
	}
	*why = xasprintf("the image carries secret-like values (%s): pass "
			 "them at run time from the stack's .env", hits.data);
	buf_release(&hits);
	return -1;
}

static int check_db_superuser(const struct harden_facts *f, char **why)
{
	if (f->role_super == 0)
		return 0;
	*why = f->role_super == 1 ?
	       xasprintf("role '%s' that Odoo connects as is a PostgreSQL "
			 "superuser", f->role) :
	       xasprintf("cannot tell whether role '%s' is a superuser: %s",
			 f->role ? f->role : "?",
			 f->role_why ? f->role_why : "unknown");
	return -1;
}

/* A superuser needs to own nothing: db_superuser speaks for it. */
static int check_db_owner(const struct harden_facts *f, char **why)
{
	if (f->foreign == 0 || f->role_super == 1)
		return 0;
	*why = f->foreign > 0 ?
	       xasprintf("%lld object%s of database '%s' (%s%s) do%s not "
			 "belong to role '%s' that Odoo connects as: run "
			 "'odooctl dbrole %s'", f->foreign,
			 f->foreign == 1 ? "" : "s", f->db_name,
			 f->foreign_first, f->foreign == 1 ? "" : ", ...",
			 f->foreign == 1 ? "es" : "", f->role, f->env_name) :
	       xasprintf("cannot tell who owns database '%s': %s",
			 f->db_name, f->foreign_why ? f->foreign_why :
			 "unknown");
	return -1;
}

static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p; p += strcspn(p, ",")) {
		p += strspn(p, ", ");
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0' ||
					     p[n] == ' '))
			return 1;
	}
	return 0;
}

int harden_run(const struct harden_facts *f, const char *allow_cfg,
	       const char *allow_cli, char **allowed, char **cause)
{
	static int (*const fn[])(const struct harden_facts *, char **) = {
		check_list_db, check_admin, check_dbfilter, check_proxy_mode,
		check_workers, check_websocket, check_image_secrets,
		check_db_superuser, check_db_owner,
	};
	struct buf failed, ok_anyway;

	buf_init(&failed, 1 << 16);
	buf_init(&ok_anyway, 4096);
	*allowed = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(fn); i++) {
		const char *name = harden_checks[i];
		char *why = NULL;

		if (fn[i](f, &why) == 0) {
			log_info("gate %-9s ok", name);
		} else if (listed(allow_cfg, name)) {
			log_info("gate '%s' failed, allowed by gate_allow: %s",
				 name, why);
		} else if (listed(allow_cli, name)) {
			log_warn("gate '%s' failed, allowed: %s", name, why);
			buf_printf(&ok_anyway, "%s%s", ok_anyway.len ? "," : "",
				   name);
		} else {
			buf_printf(&failed, "%sgate '%s' failed: %s",
				   failed.len ? "; " : "", name, why);
		}
		free(why);
	}
	if (ok_anyway.len)
		*allowed = buf_detach(&ok_anyway, NULL);
	buf_release(&ok_anyway);
	if (!failed.len) {
		buf_release(&failed);
		return 0;
	}
	*cause = buf_detach(&failed, NULL);
	buf_release(&failed);
	free(*allowed);
	*allowed = NULL;
	return -1;
}

int harden_gate(struct docker *d, const struct config_env *env,
		const char *ref, const char *proxy_id, const char *allow_cli,
		char **allowed, char **cause)
{
	return harden_gate_on(d, env, NULL, ref, proxy_id, allow_cli, allowed,
			      cause);
}

int harden_gate_on(struct docker *d, const struct config_env *env,
		   struct pg *pg, const char *ref, const char *proxy_id,
		   const char *allow_cli, char **allowed, char **cause)
{
	struct harden_facts f;
	char *why = NULL;
	int rc = -1;

	*allowed = NULL;
	if (harden_allow_valid(env->gate_allow, cause) < 0 ||
	    harden_allow_valid(allow_cli, cause) < 0)
		return -1;
	if (harden_gather(d, env, pg, ref, proxy_id, &f, &why) < 0) {
		*cause = xasprintf("gate 'harden' failed: %s", why);
		free(why);
	} else {
		rc = harden_run(&f, env->gate_allow, allow_cli, allowed,
				cause);
	}
	harden_facts_release(&f);
	return rc;
}
