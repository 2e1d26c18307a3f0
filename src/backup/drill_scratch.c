/*
 * The drill's scratch Odoo container: made from the container that serves
 * (its image, environment, entrypoint, network, limits and logging), with
 * its own database on the command line, no volume of production (the
 * image's /var/lib/odoo and /mnt/extra-addons become anonymous volumes of
 * its own, removed with it) and 8069 published on a free loopback port.
 */
#include "backup/drill_priv.h"
#include "core/log.h"
#include "stack/stack.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* Command-line options that choose Odoo's database: replaced. */
static int db_option(const char *a, int *takes_value)
{
	static const char *const opts[] = { "-d", "--database", "--db-filter",
					    "--db_filter" };

	*takes_value = 0;
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		size_t n = strlen(opts[i]);

		if (!strcmp(a, opts[i])) {
			*takes_value = 1;
			return 1;
		}
		if (!strncmp(a, opts[i], n) && a[n] == '=')
			return 1;
	}
	return 0;
}

/* The command of prod with the database options pointing at db. */
static json_t *scratch_cmd(json_t *prod_cmd, const char *db)
{
	json_t *cmd = json_array(), *a;
	size_t i;
	int skip = 0, value = 0;

	json_array_foreach(prod_cmd, i, a) {
		const char *s = json_string_value(a);

		if (skip)
			skip = 0;
		else if (s && db_option(s, &value))
			skip = value;
		else if (s)
			json_array_append(cmd, a);
	}
	if (!json_array_size(cmd))
		json_array_append_new(cmd, json_string("odoo"));
	json_array_append_new(cmd, json_sprintf("--database=%s", db));
	json_array_append_new(cmd, json_sprintf("--db-filter=^%s$", db));
	return cmd;
}

/* prod's environment, with its own application name towards PostgreSQL. */
static json_t *scratch_env(json_t *prod_env)
{
	json_t *env = json_array(), *e;
	size_t i;

	json_array_foreach(prod_env, i, e)
		if (!str_starts_with(json_string_value(e) ?: "", "PGAPPNAME="))
			json_array_append(env, e);
	json_array_append_new(env, json_string("PGAPPNAME=odooctl-drill"));
	return env;
}

static void copy_key(json_t *to, json_t *from, const char *key)
{
	json_t *v = json_object_get(from, key);

	if (v && !json_is_null(v))
		json_object_set(to, key, v);
}

static json_t *scratch_body(struct drill *dr)
{
	static const char *const keys[] = { "NetworkMode", "Memory", "NanoCpus",
					    "PidsLimit", "LogConfig" };
	json_t *cfg = json_object_get(dr->prod, "Config");
	json_t *phc = json_object_get(dr->prod, "HostConfig");
	json_t *hc = json_pack("{s:{s:[{s:s,s:s}]},s:{s:s}}", "PortBindings",
			       "8069/tcp", "HostIp", "127.0.0.1", "HostPort",
			       "", "RestartPolicy", "Name", "no");
	json_t *body = json_pack("{s:s,s:o,s:o,s:{s:s},s:{s:{}},s:o}",
				 "Image", docker_json_str(dr->prod, "Image"),
				 "Cmd", scratch_cmd(json_object_get(cfg, "Cmd"),
						    dr->db),
				 "Env", scratch_env(json_object_get(cfg, "Env")),
				 "Labels", LABEL_DRILL,
				 dr->o->env->compose_project,
				 "ExposedPorts", "8069/tcp", "HostConfig", hc);

	copy_key(body, cfg, "Entrypoint");
	copy_key(body, cfg, "User");
	copy_key(body, cfg, "WorkingDir");
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		copy_key(hc, phc, keys[i]);
	return body;
}

/* The volumes docker made for it: anonymous, removed with it. */
static json_t *volumes_of(json_t *c)
{
	json_t *v = json_array(), *m;
	size_t i;

	json_array_foreach(json_object_get(c, "Mounts"), i, m) {
		const char *type = docker_json_str(m, "Type");
		const char *name = docker_json_str(m, "Name");

		if (type && !strcmp(type, "volume") && name)
			json_array_append_new(v, json_string(name));
	}
	return v;
}

int drill_scratch_create(struct drill *dr, char **cause)
{
	json_t *body = scratch_body(dr), *c = NULL;
	int found = 0, rc;

	rc = docker_container_create(dr->d, dr->name, body, &dr->id, cause);
	json_decref(body);
	if (rc < 0)
		return -1;
	if (docker_container_inspect(dr->d, dr->id, &c, &found, cause) < 0)
		return -1;
	json_object_set_new(dr->scratch, "volumes", volumes_of(c));
	json_decref(c);
	dr->fs.d = dr->d;
	dr->fs.container = xstrdup(dr->id);
	dr->fs.image = xstrdup(docker_json_str(dr->prod, "Image"));
	dr->note = xasprintf("%s, of %s", dr->name,
			     docker_json_str(dr->prod, "Config.Image") ?:
			     docker_json_str(dr->prod, "Image"));
	return 0;
}

int drill_scratch_logs(struct drill *dr)
{
	struct buf out;
	char *why = NULL, *save = NULL, *line;
	json_t *logs = json_array();

	buf_init(&out, 1 << 20);
	if (dr->id && docker_container_logs(dr->d, dr->id, DRILL_LOG_TAIL,
					    &out, &why) == 0 && out.data)
		for (line = strtok_r(out.data, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			json_array_append_new(logs, json_string(line));
	free(why);
	buf_release(&out);
	json_object_set_new(dr->report, "logs", logs);
	return (int)json_array_size(logs);
}

/* Stops and removes a container with its anonymous volumes. */
static int remove_container(struct drill *dr, const char *id, char **cause)
{
	if (docker_container_stop(dr->d, id, (int)dr->o->env->stop_timeout,
				  cause) < 0)
		return -1;
	return docker_container_remove(dr->d, id, cause);
}

/* What is left of the scratch: a message, or NULL when nothing. */
static char *leftovers(struct drill *dr)
{
	json_t *v;
	size_t i;
	int exists = 0, found = 0;
	char *why = NULL;

	if (dr->id && docker_container_inspect(dr->d, dr->id, &v, &found,
					       &why) == 0) {
		json_decref(v);
		if (found)
			return xasprintf("container %s is still there",
					 dr->name);
	}
	free(why);
	why = NULL;
	json_array_foreach(json_object_get(dr->scratch, "volumes"), i, v) {
		char *path = xasprintf("/volumes/%s", json_string_value(v));
		struct buf out;
		long status = 0;

		buf_init(&out, 1 << 16);
		docker_request(dr->d, "GET", path, NULL, NULL, 0, &status,
			       &out, &why);
		buf_release(&out);
		free(path);
		free(why);
		why = NULL;
		if (status != 404)
			return xasprintf("volume %s is still there",
					 json_string_value(v));
	}
	if (pgx_db_exists(&dr->px, dr->db, &exists, &why) < 0)
		return why;
	return exists ? xasprintf("database '%s' is still there", dr->db) :
			NULL;
}

int drill_scratch_remove(struct drill *dr, char **cause)
{
	char *why = NULL;
	int rc = 0;

	if (dr->id && remove_container(dr, dr->id, &why) < 0) {
		log_warn("%s", why);
		free(why);
		why = NULL;
	}
	if (dr->px.container && pgx_db_drop(&dr->px, dr->db, &why) < 0) {
		log_warn("%s", why);
		free(why);
	}
	why = leftovers(dr);
	if (why) {
		*cause = why;
		rc = -1;
	}
	return rc;
}

int drill_sweep(struct docker *d, const struct config_env *env, int *n,
		char **cause)
{
	char *label = xasprintf("%s=%s", LABEL_DRILL, env->compose_project);
	struct drill dr = { .d = d };
	struct drill_opts o = { .env = env };
	json_t *list = NULL, *c;
	size_t i;
	int rc;

	*n = 0;
	dr.o = &o;
	rc = docker_container_list(d, label, &list, cause);
	free(label);
	json_array_foreach(list, i, c) {
		const char *id = docker_json_str(c, "Id");

		if (rc < 0 || !id)
			break;
		log_info("removing %s, left by a drill that was killed",
			 json_string_value(json_array_get(json_object_get(
				 c, "Names"), 0)) ?: id);
		rc = remove_container(&dr, id, cause);
		*n += rc == 0;
	}
	json_decref(list);
	if (rc == 0)
		rc = pgx_open(d, env, &dr.px, cause);
	if (rc == 0) {
		int exists = 0;
		char *db = backup_db_scratch(DRILL_DB_PREFIX, env->name);

		rc = pgx_db_exists(&dr.px, db, &exists, cause);
		if (rc == 0 && exists) {
			log_info("dropping database '%s', left by a drill "
				 "that was killed", db);
			rc = pgx_db_drop(&dr.px, db, cause);
			*n += rc == 0;
		}
		free(db);
	}
	pgx_close(&dr.px);
	return rc;
}
