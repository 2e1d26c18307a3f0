/*
 * odooctl migrate: plan, then lint, build and push while the old service
 * still runs; stop it (the downtime starts), back it up, restore the
 * backup into the stack's database and volume before any Odoo of the stack
 * starts, then deploy the image (its first start finds the data), health
 * and smoke through the proxy, compare with the source, commit. From the
 * stop on, each phase is journaled (migrate.journal) and any failure or
 * signal stops what the stack started and starts the unit again.
 */
#include "migrate/migrate.h"
#include "lint/addons.h"
#include "backup/backup.h"
#include "stack/compose.h"
#include "engine/docker.h"
#include "backup/filestore.h"
#include "net/health.h"
#include "lint/lint.h"
#include "core/log.h"
#include "stack/proxy.h"
#include "core/proc.h"
#include "core/release.h"
#include "stack/stack.h"
#include "core/state.h"
#include "migrate/systemd.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A guess for the plan: dump + zip, then restore, of database + files. */
#define PLAN_BYTES_PER_S	(50LL << 20)
#define PLAN_START_S		60

struct job {
	const struct migrate_opts *o;
	struct docker *d;
	struct msource src;
	struct mfacts before;
	struct unit_state unit;
	char *tag, *digest, *ref, *ctx;
	struct backup_result backup;
	char *container;	/* the release container that serves */
	long long stopped_ms;	/* when the downtime started */
	long started;
};

int migrate_remove_dir(const char *dir, char **cause)
{
	const char *const argv[] = { "rm", "-rf", "--", dir, NULL };
	struct buf out;
	int status = 0, rc;

	buf_init(&out, 1 << 16);
	rc = proc_run(argv, environ, &out, &status, cause);
	if (rc == 0 && status != 0) {
		*cause = xasprintf("cannot remove '%s': %s", dir,
				   strtrim(out.data ? out.data : ""));
		rc = -1;
	}
	buf_release(&out);
	return rc;
}

static char *addon_names(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	struct buf b;

	buf_init(&b, 1 << 20);
	while (dp && (de = readdir(dp))) {
		char *m = xasprintf("%s/%s/__manifest__.py", dir, de->d_name);

		if (de->d_name[0] != '.' && access(m, R_OK) == 0)
			buf_printf(&b, "%s%s", b.len ? ", " : "", de->d_name);
		free(m);
	}
	if (dp)
		closedir(dp);
	return buf_detach(&b, NULL);
}

static int gather(struct job *j, char **cause)
{
	struct pgx px;
	int rc = pgx_open(j->d, &j->src.env, &px, cause);

	if (rc == 0)
		rc = mfacts_db(&px, j->src.oc.db_name, &j->before, cause);
	pgx_close(&px);
	if (rc == 0)
		rc = mfacts_dir(j->src.filestore, &j->before, cause);
	return rc;
}

/*
 * The database stays where it is: the environment's external database is
 * the source's own (same server and name); only the filestore moves.
 */
static int in_place(const struct job *j)
{
	const struct config_env *env = j->o->env;
	const struct config_env *src = &j->src.env;

	return config_db_external(env) && !strcmp(env->db_name, src->db_name) &&
	       !strcmp(env->db_host, src->db_host) &&
	       env->db_port == src->db_port;
}

static void print_plan(struct job *j)
{
	const struct config_env *env = j->o->env;
	const struct msource *s = &j->src;
	long long total = j->before.db_bytes + j->before.bytes;
	char db[32], fs[32];
	char *names = addon_names(s->addons);

	fmt_bytes(j->before.db_bytes, db);
	fmt_bytes(j->before.bytes, fs);
	printf("migration plan: systemd unit '%s' -> environment '%s' "
	       "(compose project '%s')\n", j->o->service, env->name,
	       env->compose_project);
	printf("  source     %s: database '%s' at %s:%ld as '%s' (%s, %zu "
	       "tables); filestore %s (%lld files, %s)\n", s->oc.path,
	       s->oc.db_name, s->env.db_host, s->env.db_port, s->env.db_user,
	       db, json_object_size(j->before.rows), s->filestore,
	       j->before.files, fs);
	printf("  addons     %s: %s\n", s->addons, *names ? names : "(none)");
	printf("  1. lint the addons, build the image %s, push it (the "
	       "service keeps running)\n", j->tag);
	printf("  2. stop '%s': the downtime starts\n", j->o->service);
	printf("  3. back up database '%s' and its filestore into %s "
	       "(Odoo's zip format)\n", s->oc.db_name, env->backup_dir);
	if (in_place(j))
		printf("  4. restore the filestore into the stack's volume "
		       "(database '%s' stays where it is, as the external "
		       "database), then deploy the image to %s (its first "
		       "start finds the data)\n", env->db_name, env->name);
	else
		printf("  4. restore the backup into database '%s' (%s) and "
		       "the stack's volume, then deploy the image to %s (its "
		       "first start finds the data)\n", env->db_name,
		       config_db_external(env) ? "the external database" :
		       "the stack's postgres", env->name);
	printf("  5. health and smoke through %s; compare the row count of "
	       "every table, the modules and versions, the filestore's files "
	       "and bytes\n", env->proxy_url);
	printf("  6. record 'migrated' in history, make it last_good; "
	       "disable '%s' (never deleted)\n", j->o->service);
	printf("  downtime   about %lld s (backup and restore of %lld MB, "
	       "start, checks)\n", 2 * total / PLAN_BYTES_PER_S + PLAN_START_S,
	       total >> 20);
	printf("  on failure '%s' is started again as it was\n",
	       j->o->service);
	printf("  go back    odooctl migrate --revert --service %s %s\n",
	       j->o->service, env->name);
	if (!j->o->yes)
		printf("  run it     odooctl migrate --from-conf %s --service %s "
		       "--yes %s\n", s->oc.path, j->o->service, env->name);
	fflush(stdout);
	free(names);
}

/* The plan as --json shows it. */
static void plan_json(struct job *j, json_t *o)
{
	const struct config_env *env = j->o->env;
	const struct msource *s = &j->src;
	long long total = j->before.db_bytes + j->before.bytes;
	char *names = addon_names(s->addons), *save = NULL, *n;
	json_t *addons = json_array();

	for (n = strtok_r(names, ", ", &save); n; n = strtok_r(NULL, ", ", &save))
		json_array_append_new(addons, json_string(n));
	json_object_set_new(o, "env", json_string(env->name));
	json_object_set_new(o, "unit", json_pack("{s:s,s:b,s:b}", "name",
		j->o->service, "active", j->unit.active, "enabled",
		j->unit.enabled));
	json_object_set_new(o, "source", json_pack(
		"{s:s,s:s,s:s,s:I,s:s,s:I,s:I,s:s,s:I,s:I,s:s,s:o}", "conf",
		s->oc.path, "database", s->oc.db_name, "db_host",
		s->env.db_host, "db_port", (json_int_t)s->env.db_port,
		"db_user", s->env.db_user, "db_bytes",
		(json_int_t)j->before.db_bytes, "tables",
		(json_int_t)json_object_size(j->before.rows), "filestore",
		s->filestore, "files", (json_int_t)j->before.files, "bytes",
		(json_int_t)j->before.bytes, "addons_path", s->addons,
		"addons", addons));
	json_object_set_new(o, "target", json_pack(
		"{s:s,s:s,s:b,s:b,s:s}", "compose_project",
		env->compose_project, "database", env->db_name,
		"external_database", config_db_external(env),
		"database_in_place", in_place(j), "proxy_url",
		env->proxy_url));
	json_object_set_new(o, "image_tag", json_string(j->tag));
	json_object_set_new(o, "downtime_estimate_seconds", json_integer(
		2 * total / PLAN_BYTES_PER_S + PLAN_START_S));
	json_object_set_new(o, "revert", json_sprintf(
		"odooctl migrate --revert --service %s %s", j->o->service,
		env->name));
	free(names);
}

static void plan(struct job *j)
{
	if (j->o->report)
		plan_json(j, j->o->report);
	else
		print_plan(j);
}

static int lint(struct job *j, char **cause)
{
	const char *paths[] = { j->src.addons };
	struct lint_report r;
	int rc;
	size_t n;

	lint_report_init(&r);
	rc = lint_paths(paths, 1, LINT_PYTHON | LINT_FILES, &r, cause);
	lint_report_sort(&r);
	for (size_t i = 0; rc == 0 && i < r.n; i++)
		if (r.v[i].severity >= LINT_WARNING)
			log_error("%s:%d:%d: %s: %s: %s", r.v[i].file,
				  r.v[i].line, r.v[i].col,
				  lint_severity_name(r.v[i].severity),
				  r.v[i].rule, r.v[i].message);
	n = lint_report_count(&r, LINT_WARNING);
	if (rc == 0 && n) {
		*cause = xasprintf("lint: %zu finding%s in %s", n,
				   n == 1 ? "" : "s", j->src.addons);
		rc = -2;
	} else if (rc == 0) {
		log_info("lint: %zu addons, no finding", r.addons);
	}
	lint_report_release(&r);
	return rc;
}

/* build_context's files with the source's addons as addons/. */
static int stage_context(struct job *j, char **cause)
{
	char *tmpl = xasprintf("%s/migrate-build.XXXXXX", j->o->env->state_dir);
	char *from = xasprintf("%s/.", j->o->env->build_context);
	char *addons, *add_from = xasprintf("%s/.", j->src.addons);
	const char *cp[] = { "cp", "-a", from, NULL, NULL };
	struct buf out;
	int status = 0, rc = -1;

	j->ctx = mkdtemp(tmpl);
	if (!j->ctx) {
		*cause = xasprintf("cannot create '%s': %s", tmpl,
				   strerror(errno));
		free(tmpl);
		goto out;
	}
	buf_init(&out, 1 << 16);
	addons = xasprintf("%s/addons", j->ctx);
	cp[3] = j->ctx;
	if (proc_run(cp, environ, &out, &status, cause) == 0 && status == 0 &&
	    migrate_remove_dir(addons, cause) == 0 && mkdir_p(addons, 0755, cause) == 0) {
		cp[2] = add_from;
		cp[3] = addons;
		if (proc_run(cp, environ, &out, &status, cause) == 0 &&
		    status == 0)
			rc = 0;
	}
	if (rc < 0 && !*cause)
		*cause = xasprintf("cannot copy into '%s': %s", j->ctx,
				   strtrim(out.data ? out.data : ""));
	buf_release(&out);
	free(addons);
out:
	free(add_from);
	free(from);
	return rc;
}

static void on_line(const char *text, void *arg)
{
	(void)arg;
	log_info("%s", text);
}

static int build_push(struct job *j, char **cause)
{
	const struct config_env *env = j->o->env;
	struct docker_build b = { .dockerfile = env->dockerfile };
	char *addons, *id = NULL, *slash;
	int count = 0, rc = -1;

	if (stage_context(j, cause) < 0)
		return -1;
	b.context_dir = j->ctx;
	b.labels = json_object();
	b.buildargs = json_object();
	if (*env->odoo_base)
		json_object_set_new(b.buildargs, "ODOO_BASE",
				    json_string(env->odoo_base));
	addons = xasprintf("%s/addons", j->ctx);
	json_object_set_new(b.labels, "odooctl.migrated-from",
			    json_string(j->src.oc.path));
	b.tag = j->tag;
	if (addons_checksums(addons, b.labels, &count, cause) == 0 &&
	    docker_image_build(j->d, &b, on_line, NULL, &id, cause) == 0) {
		slash = strrchr(j->tag, ':');
		log_info("pushing %s", j->tag);
		rc = docker_image_push(j->d, env->image_repository, slash + 1,
				       NULL, NULL, &j->digest, cause);
	}
	if (rc == 0)
		j->ref = xasprintf("%s@%s", env->image_repository, j->digest);
	free(addons);
	free(id);
	json_decref(b.labels);
	json_decref(b.buildargs);
	return rc;
}

/* What the source leaves behind once it is stopped: a backup of it. */
static int backup_source(struct job *j, char **cause)
{
	struct backup_opts bo = { .env = &j->src.env,
				  .db_name = j->src.oc.db_name,
				  .trigger = TRIGGER_MIGRATE };

	int lock, rc = -1;

	if (msource_helper(&j->src, j->d, j->ref, j->digest, cause) < 0)
		return -1;
	lock = backup_lock(&j->src.env, cause);
	if (lock >= 0)
		rc = backup_create(j->d, &bo, &j->backup, cause) == 0 ? 0 : -1;
	backup_unlock(lock);
	return rc;
}

/*
 * A container of the release that never runs Odoo (its entrypoint is
 * `true`), created by compose like the release ones, so it mounts the
 * same odoo-data volume: the restore fills the filestore through it.
 */
static char *seed_container(struct job *j, char **cause)
{
	const struct config_env *env = j->o->env;
	char *name = xasprintf("%s-migrate-seed", env->compose_project);
	const char *args[] = { "run", "-d", "--no-deps", "--name", name,
			       "-l", "odooctl.helper=migrate-seed",
			       "--entrypoint", "true", env->odoo_service,
			       NULL };
	char *why = NULL;

	docker_container_remove(j->d, name, &why);	/* a killed run's */
	free(why);
	if (compose_exec(env, j->ref, args, NULL, cause) == 0)
		return name;
	free(name);
	return NULL;
}

/* The stack's postgres and proxy (maintenance), no Odoo yet. */
static int stack_infra(struct job *j, char **cause)
{
	const struct config_env *env = j->o->env;
	char *proxy = NULL;
	int rc = proxy_container(j->d, env, &proxy, cause);

	if (rc == 0 && !proxy)
		rc = proxy_write(env, NULL, 1, cause);
	if (rc == 0)
		rc = stack_ensure_infra(j->d, env, j->ref, cause);
	free(proxy);
	return rc;
}

/*
 * The backup into the stack's database and filestore before any Odoo of
 * the stack starts: its first start finds them, never an empty database.
 */
static int restore(struct job *j, char **cause)
{
	const struct config_env *env = j->o->env;
	struct restore_opts ro = { .env = env, .zip = j->backup.zip,
				   .force = 1, .no_backup_first = 1,
				   .files_only = in_place(j) };
	char *seed, *why = NULL;
	int rc = -1, locks[2] = { -1, -1 };

	log_phase("restore the backup into %s's %s, before Odoo's first "
		  "start", env->name, ro.files_only ? "volume (the database "
		  "stays where it is)" : "database and volume");
	if (stack_infra(j, cause) < 0 || !(seed = seed_container(j, cause)))
		return -1;
	ro.via = seed;
	/* as `odooctl restore` does: no deploy, backup or verify meanwhile */
	locks[0] = state_lock(env->state_dir, cause);
	locks[1] = locks[0] < 0 ? -1 : backup_lock(env, cause);
	if (locks[1] >= 0)
		rc = backup_restore(j->d, &ro, cause) == 0 ? 0 : -1;
	backup_unlock(locks[1]);
	state_unlock(locks[0]);
	docker_set_cancel(j->d, NULL);
	if (docker_container_remove(j->d, seed, &why) < 0) {
		log_warn("%s", why);
		free(why);
	}
	docker_set_cancel(j->d, &deploy_interrupted);
	free(seed);
	return rc;
}

/* The release's first start, on the restored data; not committed yet. */
static int deploy(struct job *j, char **cause)
{
	const struct config_env *env = j->o->env;
	struct release rel;
	int rc;

	if (release_parse(&rel, j->digest, env->image_repository, cause) < 0)
		return -1;
	log_phase("deploy %s to %s", rel.ref, env->name);
	rc = deploy_run_held(env, &rel, j->o->operator, &j->container,
			     cause) == EXIT_OK ? 0 : -1;
	release_release(&rel);
	return rc;
}

/* Through the proxy, as users will come: health, readiness, smoke. */
static int serve_check(struct job *j, char **cause)
{
	const struct config_env *env = j->o->env;
	long tries = env->health_retries;
	char *last = NULL;

	log_phase("health and smoke through %s", env->proxy_url);
	while (tries-- > 0) {
		free(last);
		last = NULL;
		if (health_probe(env, env->proxy_url, &last) == 0)
			break;
		sleep_ms(env->health_interval * 1000);
	}
	if (last) {
		*cause = xasprintf("not healthy through the proxy: %s", last);
		free(last);
		return -1;
	}
	return health_smoke(env, env->proxy_url, cause);
}

static int compare(struct job *j, char **cause)
{
	const struct config_env *env = j->o->env;
	struct mfacts after = { 0 };
	struct filestore fs;
	struct pgx px;
	char *diff = NULL;
	int rc;

	log_phase("compare %s with the source", env->name);
	rc = pgx_open(j->d, env, &px, cause);
	if (rc == 0)
		rc = mfacts_db(&px, env->db_name, &after, cause);
	pgx_close(&px);
	if (rc == 0 && (rc = filestore_open(j->d, env, &fs, cause)) == 0) {
		rc = filestore_count(&fs, env->db_name, &after.files,
				     &after.bytes, cause);
		filestore_close(&fs);
	}
	if (rc == 0 && (diff = mfacts_diff(&j->before, &after))) {
		*cause = xasprintf("%s differs from the source: %s", env->name,
				   diff);
		rc = -1;
	} else if (rc == 0) {
		log_info("identical: rows of %zu tables, %zu modules, %lld "
			 "files (%lld bytes)", json_object_size(after.rows),
			 json_object_size(after.modules), after.files,
			 after.bytes);
	}
	free(diff);
	mfacts_release(&after);
	return rc < 0 ? -1 : 0;
}

/* Stops what the stack serves, so only the old service answers again. */
static void stop_stack_release(struct docker *d, const struct config_env *env)
{
	struct current cur;
	char *why = NULL;

	if (state_read_current(env->state_dir, &cur, &why) == 0 &&
	    cur.container) {
		log_info("stopping %s", cur.container);
		if (docker_container_set_restart(d, cur.container, "no",
						 &why) < 0 ||
		    docker_container_stop(d, cur.container, (int)
					  env->stop_timeout, &why) < 0)
			log_warn("%s", why);
	}
	current_release(&cur);
	free(why);
}

static struct mend mend_of(const struct job *j)
{
	struct mend m = { .d = j->d, .env = j->o->env, .digest = j->digest,
			  .container = j->container, .service = j->o->service,
			  .operator = j->o->operator, .active = j->unit.active,
			  .enabled = j->unit.enabled };

	return m;
}

static int phase(const struct job *j, const char *name, const char *arg,
		 char **cause)
{
	if (deploy_interrupted) {
		*cause = xstrdup("interrupted by a signal");
		return -1;
	}
	return mjournal_phase(j->o->env->state_dir, name, arg, cause);
}

/* What the comparison holds the stack to: the source as the stop left it. */
static int stop_unit(struct job *j, char **cause)
{
	j->stopped_ms = clock_ms();
	if (j->unit.active) {
		log_phase("stop '%s' (the downtime starts)", j->o->service);
		if (systemd_do("stop", j->o->service, cause) < 0)
			return -1;
	}
	mfacts_release(&j->before);
	return gather(j, cause);
}

/* The steps after the stop, each journaled before it acts. */
static int steps(struct job *j, char **cause)
{
	if (phase(j, "stop", NULL, cause) < 0 || stop_unit(j, cause) < 0 ||
	    phase(j, "backup", NULL, cause) < 0 ||
	    backup_source(j, cause) < 0 ||
	    phase(j, "backup", j->backup.zip, cause) < 0 ||
	    phase(j, "restore", NULL, cause) < 0 || restore(j, cause) < 0 ||
	    phase(j, "deploy", NULL, cause) < 0 || deploy(j, cause) < 0 ||
	    phase(j, "serving", j->container, cause) < 0 ||
	    serve_check(j, cause) < 0 || compare(j, cause) < 0 ||
	    phase(j, "check", NULL, cause) < 0)
		return -1;
	return 0;
}

static int move(struct job *j, char **cause)
{
	struct mjournal mj = { .digest = j->digest,
			       .service = (char *)j->o->service,
			       .active = j->unit.active,
			       .enabled = j->unit.enabled,
			       .operator = (char *)j->o->operator };
	struct mend m;
	char *why = NULL;

	if (deploy_interrupted) {
		*cause = xstrdup("interrupted by a signal before the stop");
		return -1;
	}
	j->started = mj.started = (long)time(NULL);
	if (mjournal_begin(j->o->env->state_dir, &mj, cause) < 0)
		return -1;
	if (steps(j, cause) == 0) {
		m = mend_of(j);
		if (mend_commit(&m, j->started, cause) < 0)
			return -1;
		log_info("migrated: %s serves %s after %.0f s of downtime; "
			 "'%s' is stopped%s (odooctl migrate --revert "
			 "--service %s %s goes back)", j->o->env->name,
			 j->digest, (clock_ms() - j->stopped_ms) / 1e3,
			 j->o->service, j->unit.enabled ? " and disabled" :
			 "", j->o->service, j->o->env->name);
		return 0;
	}
	log_progress_done();
	log_error("migration failed: %s; undoing it", *cause);
	m = mend_of(j);
	if (mend_undo(&m, &why) < 0) {
		char *c = xasprintf("%s; undoing it failed too: %s (run "
				    "'odooctl recover %s')", *cause, why,
				    j->o->env->name);

		free(*cause);
		free(why);
		*cause = c;
	}
	return -1;
}

static char *migrate_tag(const struct config_env *env)
{
	char ts[21], *t;

	time_iso8601((long)time(NULL), ts);
	for (t = ts; *t; t++)
		if (*t == ':')
			*t = '-';
	return xasprintf("%s:migrated-%s", env->image_repository, ts);
}

static void job_release(struct job *j)
{
	char *why = NULL;

	if (j->ctx && migrate_remove_dir(j->ctx, &why) < 0) {
		log_warn("%s", why);
		free(why);
	}
	msource_close(&j->src, j->d);
	mfacts_release(&j->before);
	backup_result_release(&j->backup);
	free(j->ctx);
	free(j->tag);
	free(j->digest);
	free(j->ref);
	free(j->container);
	docker_free(j->d);
}

/*
 * A migration a kill left unfinished is finished first (as `odooctl
 * recover` would): 1 when it had committed, so there is nothing left to do.
 */
static int finish_killed(const struct config_env *env, const char *op,
			 char **cause)
{
	struct mjournal mj;
	int exists = 0, nothing = 0, committed = 0;
	enum odooctl_exit rc;

	if (mjournal_load(env->state_dir, &mj, &exists, cause) < 0)
		return -1;
	mjournal_release(&mj);
	if (!exists) {	/* only scratch directories a kill may have left */
		rc = migrate_recover(env, &nothing, &committed, cause);
		return rc == EXIT_OK ? 0 : -1;
	}
	log_warn("an earlier migration of %s was interrupted: finishing it "
		 "first", env->name);
	rc = deploy_recover(env, op, &nothing, cause);
	if (rc == EXIT_OK)
		rc = migrate_recover(env, &nothing, &committed, cause);
	if (rc != EXIT_OK)
		return -1;
	return committed;
}

static void report_result(const struct job *j, const char *status)
{
	json_t *r;

	if (!j->o->report)
		return;
	r = json_pack("{s:s}", "status", status);
	if (j->digest)
		json_object_set_new(r, "digest", json_string(j->digest));
	if (j->container)
		json_object_set_new(r, "container", json_string(j->container));
	if (j->backup.zip)
		json_object_set_new(r, "backup", json_string(j->backup.zip));
	if (j->stopped_ms)
		json_object_set_new(r, "downtime_seconds", json_real(
			(double)(clock_ms() - j->stopped_ms) / 1e3));
	json_object_set_new(j->o->report, "result", r);
}

static enum odooctl_exit migrate(struct job *j, char **cause)
{
	int r = lint(j, cause);

	if (r < 0)
		return r == -2 ? EXIT_REFUSED : EXIT_FAILED;
	if (build_push(j, cause) < 0)
		return EXIT_FAILED;
	r = move(j, cause);
	report_result(j, r == 0 ? "migrated" : j->stopped_ms ?
		      "migrate_failed" : "failed");
	return r == 0 ? EXIT_OK : EXIT_FAILED;
}

enum odooctl_exit migrate_run(const struct migrate_opts *o, char **cause)
{
	struct job j = { .o = o };
	enum odooctl_exit rc = EXIT_REFUSED;
	int lock = -1, r;

	if (o->yes && (r = finish_killed(o->env, o->operator, cause)) != 0)
		return r < 0 ? EXIT_FAILED : EXIT_OK;
	j.d = docker_new(o->env->docker_socket);
	docker_set_cancel(j.d, &deploy_interrupted);
	j.tag = migrate_tag(o->env);
	if (msource_open(&j.src, o->env, o->odoo_conf, cause) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (gather(&j, cause) < 0 ||
	    systemd_state(o->service, &j.unit, cause) < 0)
		goto out;
	plan(&j);
	rc = EXIT_OK;
	if (!o->yes)
		goto out;
	/* one migration at a time; deploy, backup and restore lock theirs */
	lock = state_lock_named(o->env->state_dir, "migrate.lock", cause);
	rc = lock < 0 ? EXIT_REFUSED : migrate(&j, cause);
out:
	if (lock >= 0)
		state_unlock(lock);
	job_release(&j);
	return rc;
}

enum odooctl_exit migrate_revert(const struct migrate_opts *o, char **cause)
{
	struct docker *d = docker_new(o->env->docker_socket);
	struct current cur;
	char *why = NULL;
	int lock = state_lock(o->env->state_dir, cause), rc = EXIT_REFUSED;

	if (lock < 0)
		goto out;
	rc = EXIT_FAILED;
	log_phase("revert: %s stops, '%s' runs again", o->env->name,
		  o->service);
	stop_stack_release(d, o->env);
	if (systemd_do("enable", o->service, cause) < 0 ||
	    systemd_do("start", o->service, cause) < 0)
		goto out;
	if (state_read_current(o->env->state_dir, &cur, &why) == 0 &&
	    history_append(o->env->state_dir, cur.digest ? cur.digest : "-",
			   o->env->name, "migrate_reverted", o->operator,
			   &why) < 0)
		log_warn("%s", why);
	current_release(&cur);
	free(why);
	log_info("'%s' is enabled and running; what %s changed since the "
		 "migration stays in the stack", o->service, o->env->name);
	rc = EXIT_OK;
out:
	if (lock >= 0)
		state_unlock(lock);
	docker_free(d);
	return rc;
}
