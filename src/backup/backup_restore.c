/*
 * A restore: check the zip, back up what it would overwrite, load it into
 * a staging database and filestore directory, neutralize when asked (and
 * check that it took), then swap staging in for the target by renames.
 * Until the swap the target is untouched; a failed swap is undone.
 */
#include "backup/backup_priv.h"
#include "backup/backup_zip.h"
#include "net/health.h"
#include "core/log.h"
#include "stack/stack.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * What Odoo 16+ does to a copy (base's and mail's neutralize.sql, and
 * payment's), each part only where its table exists: outgoing mail off
 * (and a dead-end server so Odoo's command-line SMTP is not used), incoming
 * mail off, every cron off but the autovacuum, webhooks and payment
 * providers off, and the flag Odoo shows in its banner.
 */
static const char neutralize_sql[] =
	"DO $odooctl$ BEGIN\n"
	"IF to_regclass('public.ir_mail_server') IS NOT NULL THEN\n"
	"  UPDATE ir_mail_server SET active = false;\n"
	"  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE "
	"table_schema = 'public' AND table_name = 'ir_mail_server' AND "
	"column_name = 'smtp_authentication') THEN\n"
	"    INSERT INTO ir_mail_server (name, smtp_port, smtp_host, "
	"smtp_encryption, active, smtp_authentication) VALUES "
	"('neutralization - disable emails', 1025, 'invalid', 'none', true, "
	"'login');\n"
	"  END IF;\n"
	"END IF;\n"
	"IF to_regclass('public.fetchmail_server') IS NOT NULL THEN\n"
	"  UPDATE fetchmail_server SET active = false;\n"
	"END IF;\n"
	"IF to_regclass('public.ir_cron') IS NOT NULL THEN\n"
	"  IF to_regclass('public.ir_model_data') IS NOT NULL THEN\n"
	"    UPDATE ir_cron SET active = false WHERE id NOT IN (SELECT res_id "
	"FROM ir_model_data WHERE model = 'ir.cron' AND module = 'base' AND "
	"name = 'autovacuum_job');\n"
	"  ELSE\n"
	"    UPDATE ir_cron SET active = false;\n"
	"  END IF;\n"
	"END IF;\n"
	"IF EXISTS (SELECT 1 FROM information_schema.columns WHERE "
	"table_schema = 'public' AND table_name = 'ir_act_server' AND "
	"column_name = 'webhook_url') THEN\n"
	"  UPDATE ir_act_server SET webhook_url = "
	"'neutralization - disable webhook' WHERE state = 'webhook';\n"
	"END IF;\n"
	"IF to_regclass('public.payment_provider') IS NOT NULL THEN\n"
	"  UPDATE payment_provider SET state = 'disabled' WHERE state NOT IN "
	"('test', 'disabled');\n"
	"END IF;\n"
	"IF to_regclass('public.ir_config_parameter') IS NOT NULL THEN\n"
	"  UPDATE ir_config_parameter SET value = 'true' WHERE key = "
	"'database.is_neutralized';\n"
	"  IF NOT FOUND THEN\n"
	"    INSERT INTO ir_config_parameter (key, value) VALUES "
	"('database.is_neutralized', 'true');\n"
	"  END IF;\n"
	"END IF;\n"
	"END $odooctl$;";

/* count(*) of table WHERE cond, 0 without the table (cond: no quotes). */
#define GUARDED(t, cond) \
	"CASE WHEN to_regclass('public." t "') IS NULL THEN 0 ELSE " \
	"(xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM " \
	t " WHERE " cond "', false, true, '')))[1]::text::int END"

static const char neutralized_sql[] =
	"SELECT json_build_object("
	"'mail_servers', " GUARDED("ir_mail_server",
				   "active AND smtp_host IS DISTINCT FROM "
				   "''invalid''") ", "
	"'fetchmail_servers', " GUARDED("fetchmail_server", "active") ", "
	"'crons', " GUARDED("ir_cron", "active AND id NOT IN (SELECT res_id "
			    "FROM ir_model_data WHERE model = ''ir.cron'' "
			    "AND name = ''autovacuum_job'')") ", "
	"'payment_providers', " GUARDED("payment_provider",
					"state NOT IN (''test'', "
					"''disabled'')") ", "
	"'flag', CASE WHEN to_regclass('public.ir_config_parameter') IS NULL "
	"THEN 'no table' ELSE (xpath('/row/v/text()', query_to_xml("
	"'SELECT value AS v FROM ir_config_parameter WHERE key = "
	"''database.is_neutralized''', false, true, '')))[1]::text END)";

int backup_neutralize(struct pgx *px, const char *db, char **cause)
{
	static const char *const keys[] = { "mail_servers", "fetchmail_servers",
					    "crons", "payment_providers" };
	json_t *j;
	const char *flag;
	int rc = 0;

	if (pgx_exec(px, db, neutralize_sql, NULL, NULL, cause) < 0)
		return -1;
	j = backup_query_json(px, db, neutralized_sql, cause);
	if (!j)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(keys) && rc == 0; i++)
		if (json_integer_value(json_object_get(j, keys[i])) != 0) {
			*cause = xasprintf("neutralization did not take: %lld "
					   "%s still active", (long long)
					   json_integer_value(json_object_get(
						   j, keys[i])), keys[i]);
			rc = -1;
		}
	flag = json_string_value(json_object_get(j, "flag"));
	if (rc == 0 && flag && strcmp(flag, "true") && strcmp(flag, "no table")) {
		*cause = xasprintf("neutralization did not take: "
				   "database.is_neutralized is '%s'", flag);
		rc = -1;
	}
	if (rc == 0)
		log_info("neutralized: mail servers, fetchmail, crons (but the "
			 "autovacuum), webhooks and payment providers are off");
	json_decref(j);
	return rc;
}

/* The running release containers of env: stopped for a swap of its DB. */
struct paused {
	char **names;
	size_t n;
};

/*
 * state_dir/restore.paused: the containers a swap stopped, written before
 * it stops them, removed once they run again. A restore killed half-way
 * leaves it; the next restore, or recover, starts them again.
 */
static char *paused_path(const struct config_env *env)
{
	return xasprintf("%s/restore.paused", env->state_dir);
}

static int pause_odoo(struct docker *d, const struct config_env *env,
		      struct paused *p, char **cause)
{
	json_t *list = NULL, *c;
	struct buf ids;
	char *path;
	size_t i;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	if (stack_releases(d, env, &list, cause) < 0)
		return -1;
	json_array_foreach(list, i, c) {
		const char *state = docker_json_str(c, "State");
		const char *id = docker_json_str(c, "Id");

		if (!state || strcmp(state, "running") || !id)
			continue;
		p->names = xrealloc(p->names, (p->n + 1) * sizeof(*p->names));
		p->names[p->n++] = xstrdup(id);
	}
	json_decref(list);
	buf_init(&ids, 1 << 20);
	for (i = 0; i < p->n; i++)
		buf_printf(&ids, "%s\n", p->names[i]);
	path = paused_path(env);
	if (p->n && file_write_atomic(path, ids.data, ids.len, 0600,
				      cause) < 0)
		rc = -1;
	free(path);
	buf_release(&ids);
	for (i = 0; rc == 0 && i < p->n; i++) {
		log_info("stopping %.12s for the swap", p->names[i]);
		rc = docker_container_stop(d, p->names[i],
					   (int)env->stop_timeout, cause);
	}
	return rc;
}

/*
 * A started Odoo serves only once it has loaded the database's registry
 * (seconds, more on a big database): probed as a deploy probes a release,
 * health_retries times every health_interval, so that a restore is done
 * when the environment serves again.
 */
static int wait_serving(struct docker *d, const struct config_env *env,
			const char *id, volatile sig_atomic_t *stop,
			char **cause)
{
	for (long i = 1; i <= env->health_retries && !(stop && *stop); i++) {
		struct container_state st;
		int found = 0, rc;
		char *url;

		free(*cause);
		*cause = NULL;
		if (stack_inspect(d, id, &st, &found, cause) < 0)
			return -1;
		if (!found || !st.running) {
			*cause = xasprintf("%.12s %s", id,
					   found ? "exited" : "vanished");
			container_state_release(&st);
			return -1;
		}
		url = xasprintf("http://127.0.0.1:%d", st.http_port);
		container_state_release(&st);
		rc = health_probe(env, url, cause);
		free(url);
		if (rc == 0) {
			log_info("started it again: healthy after %ld probe%s",
				 i, i > 1 ? "s" : "");
			return 0;
		}
		if (i < env->health_retries)
			sleep_ms(env->health_interval * 1000);
	}
	if (!*cause)
		*cause = xstrdup("interrupted");
	return -1;
}

/* stop: a signal's flag, which may cut the wait for Odoo short only */
static void resume_odoo(struct docker *d, const struct config_env *env,
			struct paused *p, volatile sig_atomic_t *stop)
{
	char *path = paused_path(env);
	int all = 1;

	for (size_t i = 0; i < p->n; i++) {
		char *why = NULL;

		if (docker_container_start(d, p->names[i], &why) < 0) {
			log_warn("%s", why);
			all = 0;
		} else if (wait_serving(d, env, p->names[i], stop, &why) < 0) {
			log_warn("started %.12s again, but it does not serve: "
				 "%s", p->names[i], why);
		}
		free(why);
		free(p->names[i]);
	}
	free(p->names);
	memset(p, 0, sizeof(*p));
	if (all)
		unlink(path);
	free(path);
}

int backup_resume_paused(struct docker *d, const struct config_env *env,
			 int *resumed, char **cause)
{
	char *path = paused_path(env), *data, *save = NULL, *id;
	int rc = 0;

	*resumed = 0;
	data = file_read(path, 1 << 20, NULL, cause);
	if (!data) {
		free(path);
		if (errno != ENOENT)
			return -1;
		free(*cause);
		*cause = NULL;
		return 0;
	}
	log_warn("a restore was interrupted while Odoo was stopped for its "
		 "swap: starting it again");
	for (id = strtok_r(data, "\n", &save); id && rc == 0;
	     id = strtok_r(NULL, "\n", &save)) {
		struct container_state st;
		int found = 0;

		if ((rc = stack_inspect(d, id, &st, &found, cause)) < 0)
			break;
		if (found && !st.running) {
			log_info("starting %.12s", id);
			rc = docker_container_start(d, id, cause);
			*resumed += rc == 0;
		}
		if (found)
			container_state_release(&st);
	}
	if (rc == 0)
		unlink(path);
	free(data);
	free(path);
	return rc;
}

struct restore {
	const struct restore_opts *o;
	struct docker *d;
	const char *target;
	char *staging, *old;
	json_t *meta;
	struct pgx px;
	struct filestore fs;
	int exists;
};

/* Undoing after a failure: what fails here is worth a warning only. */
static void quietly(int rc, char **why)
{
	if (rc < 0 && *why)
		log_warn("%s", *why);
	free(*why);
	*why = NULL;
}

/* Databases: target -> old and staging -> target at once; the filestore. */
static int swap(struct restore *r, char **cause)
{
	const char *const in[] = { r->target, r->old, r->staging, r->target,
				   NULL };
	const char *const back[] = { r->target, r->staging, r->old,
				     r->target, NULL };
	const char *const unnew[] = { r->target, r->staging, NULL };
	char *why = NULL;

	if (r->o->files_only)
		return filestore_replace(&r->fs, r->staging, r->target, cause);
	if (r->exists && pgx_db_drop(&r->px, r->old, cause) < 0)
		return -1;
	if (pgx_db_rename(&r->px, r->exists ? in : in + 2, cause) < 0)
		return -1;
	if (filestore_replace(&r->fs, r->staging, r->target, cause) < 0) {
		quietly(pgx_db_rename(&r->px, r->exists ? back : unnew, &why),
			&why);
		return -1;
	}
	if (r->exists && pgx_db_drop(&r->px, r->old, &why) < 0)
		log_warn("restored, but the replaced database '%s' is left: %s",
			 r->old, why);
	free(why);
	return 0;
}

/* Refusals first: nothing is touched before these pass. */
static int check(struct restore *r, char **cause)
{
	char *why = NULL;
	int rc, resumed;

	if (backup_resume_paused(r->d, r->o->env, &resumed, &why) < 0) {
		log_warn("%s", why);
		free(why);
		why = NULL;
	}

	r->meta = backup_meta_load(r->o->zip, &why);
	if (!r->meta && why)
		log_warn("%s", why);
	else if (!r->meta)
		log_warn("'%s' has no metadata: no recorded checksum, relying "
			 "on the zip's own CRCs", r->o->zip);
	free(why);
	if (backup_zip_check(r->o->zip, r->meta, cause) < 0)
		return -2;
	log_info("checked: %s", r->meta ? "sha256 and size as recorded" :
		 "the zip's structure");
	rc = pgx_open(r->d, r->o->env, &r->px, cause);
	if (rc == 0)
		rc = filestore_open_via(r->d, r->o->env, r->o->via, &r->fs,
					cause);
	if (rc == 0)
		rc = pgx_db_exists(&r->px, r->target, &r->exists, cause);
	if (rc == 0 && r->exists && !r->o->force && !r->o->files_only) {
		*cause = xasprintf("database '%s' exists (--force replaces it, "
				   "after a backup of it)", r->target);
		return -2;
	}
	return rc;
}

static int backup_first(struct restore *r, char **cause)
{
	struct backup_opts bo = { .env = r->o->env, .db_name = r->target,
				  .trigger = TRIGGER_PRE_RESTORE };
	struct backup_result res;
	int rc = backup_create(r->d, &bo, &res, cause);

	if (rc == 0)
		backup_result_release(&res);
	return rc;
}

static void drop_staging(struct restore *r)
{
	char *why = NULL;

	quietly(pgx_db_drop(&r->px, r->staging, &why), &why);
	quietly(filestore_remove(&r->fs, r->staging, &why), &why);
}

static int stage(struct restore *r, char **cause)
{
	struct backup_load l = { .px = &r->px, .fs = &r->fs,
				 .db = r->staging, .fs_dir = r->staging,
				 .meta = r->meta, .env = r->o->env,
				 .files_only = r->o->files_only };
	int rc;

	log_phase("restore %s into staging database '%s'", r->o->zip,
		  r->staging);
	drop_staging(r);
	rc = backup_load_run(&l, r->o->zip, cause);
	if (rc == 0 && r->o->neutralize)
		rc = backup_neutralize(&r->px, r->staging, cause);
	if (rc < 0) {
		docker_set_cancel(r->d, NULL);	/* even after a signal */
		drop_staging(r);
	}
	backup_load_release(&l);
	return rc;
}

static int swap_in(struct restore *r, char **cause)
{
	struct paused p = { 0 };
	volatile sig_atomic_t *stop = docker_get_cancel(r->d);
	int rc = 0;

	/* Short, and never to be left half-way: a signal waits for it. */
	docker_set_cancel(r->d, NULL);
	log_phase("swap '%s' in as '%s'", r->staging, r->target);
	if (!strcmp(r->target, r->o->env->db_name))
		rc = pause_odoo(r->d, r->o->env, &p, cause);
	if (rc == 0)
		rc = swap(r, cause);
	resume_odoo(r->d, r->o->env, &p, stop);
	if (rc < 0)
		drop_staging(r);
	return rc;
}

int backup_restore(struct docker *d, const struct restore_opts *o,
		   char **cause)
{
	struct restore r = { .o = o, .d = d };
	int rc;

	r.target = o->db ? o->db : o->env->db_name;
	r.staging = backup_db_scratch("odooctl_restore_", r.target);
	r.old = backup_db_scratch("odooctl_replaced_", r.target);
	log_phase("restore %s to database '%s' of %s%s", o->zip, r.target,
		  o->env->name, o->neutralize ? ", neutralized" : "");
	rc = check(&r, cause);
	if (rc == 0 && r.exists && !o->no_backup_first && !o->files_only)
		rc = backup_first(&r, cause);
	if (rc == 0)
		rc = stage(&r, cause);
	if (rc == 0)
		rc = swap_in(&r, cause);
	if (rc == 0 && o->files_only)
		log_phase("restored: filestore/%s from %s (database '%s' left "
			  "as it is)", r.target, o->zip, r.target);
	else if (rc == 0)
		log_phase("restored: database '%s' and filestore/%s from %s",
			  r.target, r.target, o->zip);
	json_decref(r.meta);
	filestore_close(&r.fs);
	pgx_close(&r.px);
	free(r.staging);
	free(r.old);
	return rc;
}
