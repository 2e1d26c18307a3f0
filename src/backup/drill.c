/*
 * The drill's steps, each timed and recorded in the report: the backup's
 * checksum, the scratch container, the restore into it (database and
 * filestore), neutralization (so the copy sends no mail and runs no
 * job), start, health and readiness, smoke; then teardown, always.
 */
#include "backup/drill_priv.h"
#include "backup/backup_zip.h"
#include "net/health.h"
#include "core/log.h"
#include "stack/stack.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int stopped(struct drill *dr, char **cause)
{
	if (!dr->o->stop || !*dr->o->stop)
		return 0;
	*cause = xstrdup("interrupted by a signal");
	return 1;
}

static int step_checksum(struct drill *dr, char **cause)
{
	if (backup_zip_check(dr->o->zip, dr->meta, cause) < 0)
		return -1;
	dr->note = xstrdup(dr->meta ? "sha256 and size as recorded" :
			   "no metadata: the zip's structure only");
	return 0;
}

static int step_restore(struct drill *dr, char **cause)
{
	struct backup_load l = { .px = &dr->px, .fs = &dr->fs, .db = dr->db,
				 .fs_dir = dr->db, .meta = dr->meta,
				 .env = dr->o->env };
	int rc = backup_load_run(&l, dr->o->zip, cause);

	if (rc == 0)
		dr->note = xasprintf("%zu tables, %zu filestore files into "
				     "'%s'", json_object_size(l.scan.tables),
				     json_object_size(l.files), dr->db);
	backup_load_release(&l);
	return rc;
}

static int step_neutralize(struct drill *dr, char **cause)
{
	if (backup_neutralize(&dr->px, dr->db, cause) < 0)
		return -1;
	dr->note = xstrdup("mail, crons, webhooks, payments off");
	return 0;
}

static int step_start(struct drill *dr, char **cause)
{
	struct container_state st;
	int found = 0;

	dr->started = 1;
	if (docker_container_start(dr->d, dr->id, cause) < 0 ||
	    stack_inspect(dr->d, dr->id, &st, &found, cause) < 0)
		return -1;
	if (found && st.http_port > 0) {
		dr->url = xasprintf("http://127.0.0.1:%d", st.http_port);
		json_object_set_new(dr->scratch, "port",
				    json_integer(st.http_port));
		dr->note = xasprintf("on %s", dr->url);
	} else {
		*cause = xasprintf("container %s has no port for 8069",
				   dr->name);
	}
	container_state_release(&st);
	return dr->url ? 0 : -1;
}

/* 1 while the scratch container runs; 0 (and *cause) when it ended. */
static int still_running(struct drill *dr, char **cause)
{
	struct container_state st;
	int found = 0, up;

	if (stack_inspect(dr->d, dr->id, &st, &found, cause) < 0)
		return 0;
	up = found && st.running;
	if (!up)
		*cause = xasprintf("container %s exited with code %d before it "
				   "was healthy", dr->name, st.exit_code);
	container_state_release(&st);
	return up;
}

/* Probes until healthy and ready, for health_retries x health_interval. */
static int step_health(struct drill *dr, char **cause)
{
	const struct config_env *env = &dr->env;
	long long deadline = clock_ms() + env->health_retries *
					  env->health_interval * 1000;
	char *last = NULL;
	long probes = 0;

	while (!stopped(dr, cause) && still_running(dr, cause)) {
		probes++;
		free(last);
		last = NULL;
		if (health_probe(env, dr->url, &last) == 0) {
			dr->note = xasprintf("healthy and ready on database "
					     "'%s' after %ld probe%s", dr->db,
					     probes, probes > 1 ? "s" : "");
			log_progress_done();
			return 0;
		}
		log_progress("waiting for %s (%ld): %s", dr->name, probes,
			     last);
		if (clock_ms() >= deadline) {
			*cause = xasprintf("not healthy after %ld probes "
					   "over %ld s: %s", probes,
					   env->health_retries *
					   env->health_interval, last);
			break;
		}
		sleep_ms(env->health_interval * 1000);
	}
	log_progress_done();
	free(last);
	return -1;
}

static int step_smoke(struct drill *dr, char **cause)
{
	if (health_smoke(&dr->env, dr->url, cause) < 0)
		return -1;
	dr->note = xasprintf("%zu check%s", dr->env.nsmoke,
			     dr->env.nsmoke == 1 ? "" : "s");
	return 0;
}

struct step {
	const char *name;
	int (*run)(struct drill *dr, char **cause);
};

static const struct step steps[] = {
	{ "checksum", step_checksum }, { "container", drill_scratch_create },
	{ "restore", step_restore }, { "neutralize", step_neutralize },
	{ "start", step_start }, { "health", step_health },
	{ "smoke", step_smoke },
};

static void record(struct drill *dr, const char *name, int ok,
		   long long ms, char *why)
{
	const char *text = ok ? dr->note : why;

	json_array_append_new(dr->steps, json_pack(
		"{s:s,s:b,s:I,s:s?}", "name", name, "ok", ok, "ms",
		(json_int_t)ms, "detail", text));
	if (ok) {
		log_info("%-10s ok in %.1f s%s%s", name, ms / 1e3,
			 text ? ": " : "", text ? text : "");
	} else {
		log_error("drill step %s FAILED: %s", name, why);
	}
	if (!ok && !dr->failed) {
		dr->failed = name;
		dr->detail = xstrdup(why);
	}
	free(dr->note);
	dr->note = NULL;
}

static void run_step(struct drill *dr, const struct step *s)
{
	long long t = clock_ms();
	char *why = NULL;
	int rc;

	log_phase("drill: %s", s->name);
	rc = stopped(dr, &why) ? -1 : s->run(dr, &why);
	if (rc < 0 && !why)
		why = xstrdup("failed");
	record(dr, s->name, rc == 0, clock_ms() - t, why);
	free(why);
}

/* When the backup was taken: its metadata, else its name, else mtime. */
static long backup_time(struct drill *dr)
{
	const char *at = json_string_value(json_object_get(dr->meta,
							   "created_at"));
	const char *base = strrchr(dr->o->zip, '/');
	struct stat st;
	long t = -1;

	if (at && (t = time_parse_iso8601(at)) >= 0)
		return t;
	if (backup_name_parse(base ? base + 1 : dr->o->zip,
			      dr->o->env->name, &t))
		return t;
	return stat(dr->o->zip, &st) == 0 ? (long)st.st_mtime : -1;
}

/* The container that serves, and postgres: -2 when either is missing. */
static int prepare(struct drill *dr, char **cause)
{
	struct filestore prod;
	int found = 0, rc;
	char *why = NULL;

	rc = pgx_open(dr->d, dr->o->env, &dr->px, cause);
	if (rc == 0)
		rc = filestore_open(dr->d, dr->o->env, &prod, cause);
	if (rc < 0)
		return rc;
	rc = docker_container_inspect(dr->d, prod.container, &dr->prod,
				      &found, cause);
	filestore_close(&prod);
	if (rc == 0 && !found) {
		*cause = xstrdup("the container that serves vanished");
		rc = -1;
	}
	dr->meta = backup_meta_load(dr->o->zip, &why);
	if (why) {
		log_warn("%s", why);
		free(why);
	} else if (!dr->meta) {
		log_warn("'%s' has no metadata: no checksum to check",
			 dr->o->zip);
	}
	return rc;
}

static json_t *report_new(struct drill *dr)
{
	const char *rel = stack_label(dr->prod, LABEL_RELEASE);
	long made = backup_time(dr);
	char at[21] = "";

	if (made >= 0)
		time_iso8601(made, at);
	dr->scratch = json_pack("{s:s,s:s,s:n,s:[]}", "container", dr->name,
				"database", dr->db, "port", "volumes");
	dr->steps = json_array();
	return json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:o?,s:O,s:O}",
			 "env", dr->o->env->name, "backup", dr->o->zip,
			 "release", rel, "image",
			 docker_json_str(dr->prod, "Config.Image"),
			 "backup_created_at", made >= 0 ? at : NULL,
			 "rpo_seconds", made >= 0 ? json_integer(
				 (long)time(NULL) - made) : NULL,
			 "scratch", dr->scratch, "steps", dr->steps);
}

static void teardown(struct drill *dr)
{
	long long t = clock_ms();
	char *why = NULL;
	int rc;

	docker_set_cancel(dr->d, NULL);	/* even after a signal */
	log_phase("drill: teardown");
	rc = drill_scratch_remove(dr, &why);
	json_object_set_new(dr->report, "teardown",
			    json_string(rc == 0 ? "ok" : why));
	if (rc == 0)
		dr->note = xstrdup("container, volumes and database removed");
	record(dr, "teardown", rc == 0, clock_ms() - t, why);
	free(why);
}

static void verdict(struct drill *dr, long long rto_ms)
{
	json_t *r = dr->report;

	json_object_set_new(r, "ok", json_boolean(!dr->failed));
	json_object_set_new(r, "failed_step", dr->failed ?
			    json_string(dr->failed) : json_null());
	json_object_set_new(r, "detail", dr->detail ?
			    json_string(dr->detail) : json_null());
	json_object_set_new(r, "rto_seconds", rto_ms >= 0 ?
			    json_real(rto_ms / 1e3) : json_null());
	if (!json_object_get(r, "logs"))
		json_object_set_new(r, "logs", json_array());
	if (!json_object_get(r, "rpo_seconds"))
		json_object_set_new(r, "rpo_seconds", json_null());
}

static void run_all(struct drill *dr)
{
	long long t0 = clock_ms(), rto = -1;
	for (size_t i = 0; i < ARRAY_SIZE(steps) && !dr->failed; i++)
		run_step(dr, &steps[i]);
	if (!dr->failed)
		rto = clock_ms() - t0;
	else if (dr->started)	/* it ran: what it said is the why */
		drill_scratch_logs(dr);
	teardown(dr);
	verdict(dr, rto);
}

int drill_run(struct docker *d, const struct drill_opts *o, json_t **report,
	      char **cause)
{
	struct drill dr = { .o = o, .d = d };
	int rc;

	*report = NULL;
	dr.env = *o->env;
	dr.db = backup_db_scratch(DRILL_DB_PREFIX, o->env->name);
	dr.env.db_name = dr.db;
	dr.name = xasprintf("%s-drill-%ld", o->env->compose_project,
			    (long)time(NULL));
	log_phase("drill of %s from %s", o->env->name, o->zip);
	rc = prepare(&dr, cause);
	if (rc == 0) {
		dr.report = report_new(&dr);
		run_all(&dr);
		*report = dr.report;
	}
	json_decref(dr.scratch);
	json_decref(dr.steps);
	json_decref(dr.prod);
	json_decref(dr.meta);
	filestore_close(&dr.fs);
	pgx_close(&dr.px);
	free(dr.db);
	free(dr.name);
	free(dr.id);
	free(dr.url);
	free(dr.note);
	free(dr.detail);
	return rc;
}
