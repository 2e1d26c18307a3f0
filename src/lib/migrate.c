/*
 * odooctl migrate: plan, then lint, build and push while the old service
 * still runs; stop it (the downtime starts), back it up, deploy the image,
 * restore the backup over the empty database the first start made,
 * health and smoke through the proxy, compare with the source, record
 * `migrated`, disable the unit. After the stop, any failure stops what
 * the stack started and starts the unit again.
 */
#include "migrate.h"
#include "addons.h"
#include "backup.h"
#include "docker.h"
#include "filestore.h"
#include "health.h"
#include "lint.h"
#include "log.h"
#include "proc.h"
#include "release.h"
#include "state.h"
#include "systemd.h"
#include "util.h"

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
	long long stopped_ms;	/* when the downtime started */
	int deployed;
};

static int remove_dir(const char *dir, char **cause)
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
	printf("  4. deploy the image to %s; restore the backup into "
	       "database '%s' (%s)\n", env->name, env->db_name,
	       config_db_external(env) ? "the external database" :
	       "the stack's postgres");
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

static int lint(struct job *j, char **cause)
{
	const char *paths[] = { j->src.addons };
	struct lint_report r;
	int rc;

	lint_report_init(&r);
	rc = lint_paths(paths, 1, 1, &r, cause);
	for (size_t i = 0; rc == 0 && i < r.n; i++)
		log_error("%s:%d:%d: %s: %s", r.v[i].file, r.v[i].line,
			  r.v[i].col, r.v[i].rule, r.v[i].message);
	if (rc == 0 && r.n) {
		*cause = xasprintf("lint: %zu finding%s in %s", r.n,
				   r.n == 1 ? "" : "s", j->src.addons);
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
	    remove_dir(addons, cause) == 0 && mkdir_p(addons, 0755, cause) == 0) {
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

static int deploy_restore(struct job *j, char **cause)
{
	const struct config_env *env = j->o->env;
	struct restore_opts ro = { .env = env, .zip = j->backup.zip,
				   .force = 1, .no_backup_first = 1 };
	struct release rel;
	int rc, locks[2];

	if (release_parse(&rel, j->digest, env->image_repository, cause) < 0)
		return -1;
	log_phase("deploy %s to %s", rel.ref, env->name);
	rc = deploy_run(env, &rel, j->o->operator, DEPLOY_RELEASE, cause) ==
		EXIT_OK ? 0 : -1;
	release_release(&rel);
	if (rc < 0)
		return -1;
	j->deployed = 1;
	/* as `odooctl restore` does: no deploy, backup or verify meanwhile */
	locks[0] = state_lock(env->state_dir, cause);
	locks[1] = locks[0] < 0 ? -1 : backup_lock(env, cause);
	rc = locks[1] < 0 ? -1 : backup_restore(j->d, &ro, cause) == 0 ? 0 : -1;
	backup_unlock(locks[1]);
	state_unlock(locks[0]);
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

static void record(struct job *j, const char *status)
{
	char *why = NULL;

	if (history_append(j->o->env->state_dir, j->digest ? j->digest : "-",
			   j->o->env->name, status, j->o->operator, &why) < 0) {
		log_warn("%s", why);
		free(why);
	}
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

static void undo(struct job *j)
{
	char *why = NULL;

	if (j->deployed)
		stop_stack_release(j->d, j->o->env);
	record(j, "migrate_failed");
	if (!j->unit.active)
		return;
	if (systemd_do("start", j->o->service, &why) < 0) {
		log_error("could not start '%s' again: %s", j->o->service, why);
		free(why);
		return;
	}
	log_info("'%s' is running again, as before the migration",
		 j->o->service);
}

static int finish(struct job *j, char **cause)
{
	char *why = NULL;

	if (state_write_last_good(j->o->env->state_dir, j->digest, cause) < 0)
		return -1;
	record(j, "migrated");
	if (j->unit.enabled && systemd_do("disable", j->o->service, &why) < 0) {
		log_warn("%s", why);
		free(why);
	}
	log_info("migrated: %s serves %s after %.0f s of downtime; '%s' is "
		 "stopped and disabled (odooctl migrate --revert --service %s "
		 "%s goes back)", j->o->env->name, j->digest,
		 (clock_ms() - j->stopped_ms) / 1e3, j->o->service,
		 j->o->service, j->o->env->name);
	return 0;
}

/* After the stop: every failure undoes. */
static int move(struct job *j, char **cause)
{
	if (j->unit.active) {
		log_phase("stop '%s' (the downtime starts)", j->o->service);
		if (systemd_do("stop", j->o->service, cause) < 0)
			return -1;
	}
	j->stopped_ms = clock_ms();
	if (backup_source(j, cause) < 0 || deploy_restore(j, cause) < 0 ||
	    serve_check(j, cause) < 0 || compare(j, cause) < 0 ||
	    finish(j, cause) < 0) {
		undo(j);
		return -1;
	}
	return 0;
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

	if (j->ctx && remove_dir(j->ctx, &why) < 0) {
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
	docker_free(j->d);
}

enum odooctl_exit migrate_run(const struct migrate_opts *o, char **cause)
{
	struct job j = { .o = o };
	enum odooctl_exit rc = EXIT_REFUSED;
	int r;

	j.d = docker_new(o->env->docker_socket);
	j.tag = migrate_tag(o->env);
	if (msource_open(&j.src, o->env, o->odoo_conf, cause) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (gather(&j, cause) < 0 ||
	    systemd_state(o->service, &j.unit, cause) < 0)
		goto out;
	print_plan(&j);
	rc = EXIT_OK;
	if (!o->yes)
		goto out;
	/* no lock of ours: deploy, backup and restore take theirs */
	r = lint(&j, cause);
	rc = r == -2 ? EXIT_REFUSED : EXIT_FAILED;
	if (r < 0 || build_push(&j, cause) < 0 || move(&j, cause) < 0)
		goto out;
	rc = EXIT_OK;
out:
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
