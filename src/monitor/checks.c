#include "monitor/checks.h"
#include "backup/backup.h"
#include "engine/docker_get.h"
#include "engine/docker_reply.h"
#include "net/health.h"
#include "pg/pg.h"
#include "core/state.h"
#include "core/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define APP_TIMEOUT_MS 10000	/* the 10 s for /web/health */
#define CONN_MAX_PERCENT 90	/* connections against max_connections */

void results_add(struct results *r, const char *name, int ok, char *value,
		 char *detail)
{
	long long now;

	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	r->v[r->n].name = xstrdup(name);
	r->v[r->n].ok = ok;
	r->v[r->n].value = value ? value : xstrdup("-");
	r->v[r->n].detail = detail ? detail : xstrdup("");
	now = clock_ms();
	r->v[r->n].ms = r->mark ? now - r->mark : 0;
	r->mark = now;
	r->n++;
	if (r->on_result)
		r->on_result(&r->v[r->n - 1], r->on_result_arg);
}

void results_release(struct results *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].value);
		free(r->v[i].detail);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

int results_ok(const struct results *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (!r->v[i].ok)
			return 0;
	return 1;
}

/* ---- pure parts -------------------------------------------------------- */

int checks_parse_stat(const char *text, struct cpu_sample *s)
{
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, "cpu ", 4)) {
			unsigned long long v[10] = { 0 };
			int n = sscanf(p + 4, "%llu %llu %llu %llu %llu %llu "
				       "%llu %llu", &v[0], &v[1], &v[2], &v[3],
				       &v[4], &v[5], &v[6], &v[7]);

			if (n < 4)
				return -1;
			/* user nice system idle iowait irq softirq steal;
			 * guest time is already counted in user. */
			s->total = 0;
			for (int i = 0; i < n; i++)
				s->total += v[i];
			s->idle = v[3] + (n > 4 ? v[4] : 0);
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

double checks_cpu_percent(const struct cpu_sample *a,
			  const struct cpu_sample *b)
{
	unsigned long long dt, di;

	if (b->total <= a->total)
		return 0;
	dt = b->total - a->total;
	di = b->idle >= a->idle ? b->idle - a->idle : 0;
	if (di > dt)
		di = dt;
	return 100.0 * (double)(dt - di) / (double)dt;
}

static int meminfo_key(const char *text, const char *key,
		       unsigned long long *out)
{
	size_t k = strlen(key);

	for (const char *p = text; p && *p;) {
		if (!strncmp(p, key, k) && p[k] == ':') {
			char *end;

			errno = 0;
			*out = strtoull(p + k + 1, &end, 10);
			return errno || end == p + k + 1 ? -1 : 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

int checks_parse_meminfo(const char *text, unsigned long long *total_kb,
			 unsigned long long *avail_kb)
{
	if (meminfo_key(text, "MemTotal", total_kb) < 0 ||
	    meminfo_key(text, "MemAvailable", avail_kb) < 0 || !*total_kb)
		return -1;
	return 0;
}

double checks_mem_percent(unsigned long long total_kb,
			  unsigned long long avail_kb)
{
	if (!total_kb)
		return 0;
	if (avail_kb > total_kb)
		avail_kb = total_kb;
	return 100.0 * (double)(total_kb - avail_kb) / (double)total_kb;
}

double checks_disk_percent(unsigned long long blocks,
			   unsigned long long bfree,
			   unsigned long long bavail)
{
	unsigned long long used = blocks >= bfree ? blocks - bfree : 0;

	if (used + bavail == 0)
		return 0;
	return 100.0 * (double)used / (double)(used + bavail);
}

int checks_below(double value, long max)
{
	return value < (double)max;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' &&
		    r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 +
				      (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

char *checks_mount_of(const char *mountinfo, const char *path)
{
	char *best = NULL;
	size_t best_len = 0;

	for (const char *p = mountinfo; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char *line = xasprintf("%.*s", (int)len, p), *save = NULL;
		char *f = strtok_r(line, " ", &save);

		/* id parent major:minor root MOUNTPOINT ... */
		for (int i = 0; f && i < 4; i++)
			f = strtok_r(NULL, " ", &save);
		if (f) {
			size_t m;

			unescape(f);
			m = strlen(f);
			if ((!strcmp(f, "/") ||
			     (!strncmp(path, f, m) &&
			      (path[m] == '/' || path[m] == '\0'))) &&
			    (!best || m >= best_len)) {
				free(best);
				best = xstrdup(f);
				best_len = m;
			}
		}
		free(line);
		p = eol ? eol + 1 : NULL;
	}
	return best;
}

int checks_backup_fresh(long newest_verified, long now, long max_hours)
{
	if (max_hours <= 0)
		return 1;
	if (newest_verified <= 0)
		return 0;
	return now - newest_verified < max_hours * 3600;
}

/* ---- system ------------------------------------------------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	if (getdelim(&s, &n, '\0', f) < 0) {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

static int cpu_read(struct cpu_sample *s)
{
	char *t = slurp("/proc/stat");
	int rc = t ? checks_parse_stat(t, s) : -1;

	free(t);
	return rc;
}

/* Busy percent since the context's last sample, or over sample_ms when
 * asked to or when there is none yet. */
static void check_cpu(const struct config_env *env, struct checks_ctx *ctx,
		      struct results *r)
{
	long ms = ctx->cpu_sample_ms > 0 ? ctx->cpu_sample_ms : 1000;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	struct cpu_sample now;
	int sampled = 0;
	double pc;

	if (ctx->cpu_sample_ms > 0 || !ctx->have_cpu) {
		if (cpu_read(&ctx->cpu) < 0)
			goto fail;
		nanosleep(&ts, NULL);
		sampled = 1;
	}
	if (cpu_read(&now) < 0)
		goto fail;
	pc = checks_cpu_percent(&ctx->cpu, &now);
	ctx->cpu = now;
	ctx->have_cpu = 1;
	results_add(r, "system.cpu", checks_below(pc, env->cpu_max_percent),
		    xasprintf("%.0f%%", pc),
		    sampled ? xasprintf("busy over %ld ms (max %ld%%)", ms,
					env->cpu_max_percent) :
		    xasprintf("busy since the last pass (max %ld%%)",
			      env->cpu_max_percent));
	return;
fail:
	ctx->have_cpu = 0;
	results_add(r, "system.cpu", 0, NULL,
		    xstrdup("cannot read /proc/stat"));
}

static void check_mem(const struct config_env *env, struct results *r)
{
	unsigned long long total, avail;
	char *t = slurp("/proc/meminfo");
	double pc;

	if (!t || checks_parse_meminfo(t, &total, &avail) < 0) {
		free(t);
		results_add(r, "system.memory", 0, NULL,
			    xstrdup("cannot read MemTotal/MemAvailable from "
				    "/proc/meminfo"));
		return;
	}
	free(t);
	pc = checks_mem_percent(total, avail);
	results_add(r, "system.memory", checks_below(pc, env->mem_max_percent),
		    xasprintf("%.0f%%", pc),
		    xasprintf("%llu MB available of %llu MB (max %ld%%)",
			      avail / 1024, total / 1024, env->mem_max_percent));
}

struct disk_target {
	char *what;
	char *path;	/* resolved, existing */
	char *mount;	/* its mount point, or NULL */
	dev_t dev;
};

/* The path, else its nearest existing parent, resolved; NULL if none. */
static char *existing(const char *path)
{
	char *p = xstrdup(path), *res;

	for (;;) {
		res = realpath(p, NULL);
		if (res || errno != ENOENT) {
			free(p);
			return res;
		}
		char *slash = strrchr(p, '/');

		if (!slash || slash == p) {
			free(p);
			return realpath("/", NULL);
		}
		*slash = '\0';
	}
}

static void check_disks(const struct config_env *env, const char *docker_root,
			struct results *r)
{
	const char *what[3] = { "docker root", "state_dir", "backup_dir" };
	const char *paths[3] = { docker_root, env->state_dir, env->backup_dir };
	struct disk_target t[3];
	size_t n = 0;
	char *mi = slurp("/proc/self/mountinfo");

	for (size_t i = 0; i < 3; i++) {
		struct stat st;
		char *rp, *mount;
		size_t j;

		if (!paths[i])
			continue;
		rp = existing(paths[i]);
		if (!rp || stat(rp, &st) < 0) {
			char *name = xasprintf("disk:%s", paths[i]);

			results_add(r, name, 0, NULL,
				    xasprintf("%s %s: %s", what[i], paths[i],
					      strerror(errno)));
			free(name);
			free(rp);
			continue;
		}
		/* one check per mount (per device when mounts are unknown) */
		mount = mi ? checks_mount_of(mi, rp) : NULL;
		for (j = 0; j < n; j++)
			if (mount && t[j].mount ? !strcmp(mount, t[j].mount) :
			    !mount && !t[j].mount && t[j].dev == st.st_dev)
				break;
		if (j < n) {
			char *w = xasprintf("%s, %s", t[j].what, what[i]);

			free(t[j].what);
			t[j].what = w;
			free(rp);
			free(mount);
			continue;
		}
		t[n].what = xstrdup(what[i]);
		t[n].path = rp;
		t[n].mount = mount;
		t[n].dev = st.st_dev;
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		struct statvfs v;
		char *mount = t[i].mount;
		char *name = xasprintf("disk:%s", mount ? mount : t[i].path);

		if (statvfs(t[i].path, &v) < 0) {
			results_add(r, name, 0, NULL,
				    xasprintf("statvfs %s: %s", t[i].path,
					      strerror(errno)));
		} else {
			double pc = checks_disk_percent(v.f_blocks, v.f_bfree,
							v.f_bavail);
			unsigned long long avail_mb = (unsigned long long)
				v.f_bavail * v.f_frsize / (1024 * 1024);

			results_add(r, name,
				    checks_below(pc, env->disk_max_percent),
				    xasprintf("%.0f%%", pc),
				    xasprintf("mount %s holds the %s; %llu MB "
					      "free (max %ld%%)",
					      mount ? mount : t[i].path,
					      t[i].what, avail_mb,
					      env->disk_max_percent));
		}
		free(name);
		free(mount);
		free(t[i].what);
		free(t[i].path);
	}
	free(mi);
}

/* ---- database ----------------------------------------------------------- */

/* "connect 1.2 ms", or that the probe ran on a kept connection */
static char *connect_text(const struct pg_probe *p)
{
	return p->kept ? xstrdup("connection kept") :
			 xasprintf("connect %.1f ms", p->connect_ms);
}

static void check_db(const struct config_env *env, long timeout_ms,
		     struct pg_keep *keep, struct results *r)
{
	long timeout_s = timeout_ms > 2000 ? (timeout_ms + 999) / 1000 : 2;
	struct pg_probe p;
	char *why = NULL;

	/* pg_probe takes whole seconds: at least 2 */
	if (pg_probe(env, "postgres", timeout_s, keep, &p, &why) < 0) {
		results_add(r, "db.server", 0, NULL, why);
		results_add(r, "db.connections", 0, NULL,
			    xstrdup("no connection to count them"));
	} else {
		long pc = p.max_connections ?
			100 * p.backends / p.max_connections : 100;
		char *c = connect_text(&p);

		results_add(r, "db.server", 1,
			    xasprintf("%.1f ms", p.query_ms),
			    xasprintf("SELECT 1 on 'postgres' at %s (%s)",
				      p.server, c));
		free(c);
		results_add(r, "db.connections", pc < CONN_MAX_PERCENT,
			    xasprintf("%ld/%ld", p.backends,
				      p.max_connections),
			    xasprintf("backends against max_connections "
				      "(max %d%%)", CONN_MAX_PERCENT));
	}
	why = NULL;
	if (pg_probe(env, env->db_name, timeout_s, keep, &p, &why) < 0) {
		results_add(r, "db.business", 0, NULL, why);
	} else {
		char *c = connect_text(&p);

		results_add(r, "db.business", 1,
			    xasprintf("%.1f ms", p.query_ms),
			    xasprintf("SELECT 1 on '%s' (%s)", env->db_name,
				      c));
		free(c);
	}
}

/* ---- containers and application ------------------------------------------ */

static char *state_text(const struct container_state *st)
{
	return xasprintf("%s, %d restart%s", st->running ? "running" :
			 "NOT RUNNING", st->restarts,
			 st->restarts == 1 ? "" : "s");
}

static void check_postgres_container(const struct config_env *env,
				     long timeout_ms, struct results *r)
{
	struct container_state st;
	char *why = NULL;

	memset(&st, 0, sizeof(st));
	if (config_db_external(env))	/* db.* checks reach it over libpq */
		return;
	if (docker_get_service(env->docker_socket, env->compose_project,
			       env->postgres_service, timeout_ms, &st,
			       &why) < 0) {
		results_add(r, "container.postgres", 0, NULL, why);
		return;
	}
	if (!st.id) {
		results_add(r, "container.postgres", 0, NULL,
			    xasprintf("no container of service '%s' in "
				      "project '%s'", env->postgres_service,
				      env->compose_project));
		container_state_release(&st);
		return;
	}
	results_add(r, "container.postgres",
		    st.running && !(st.health && !strcmp(st.health,
							 "unhealthy")),
		    state_text(&st),
		    xasprintf("%s (docker health: %s)", st.name ? st.name :
			      st.id, st.health ? st.health : "none"));
	container_state_release(&st);
}

/* container.odoo failed with why (taken); the app checks cannot run. */
static void no_container(struct results *r, char *why)
{
	results_add(r, "container.odoo", 0, NULL, why);
	results_add(r, "app.health", 0, NULL, xstrdup("no serving container"));
	results_add(r, "app.ready", 0, NULL, xstrdup("no serving container"));
}

static void check_odoo(const struct config_env *env, long timeout_ms,
		       struct results *r)
{
	struct current cur = { 0 };
	struct container_state st;
	char *why = NULL, *url;
	int found = 0;

	if (state_read_current(env->state_dir, &cur, &why) < 0 ||
	    !cur.digest) {
		no_container(r, why ? why : xstrdup("nothing deployed (no "
						   "state_dir/current)"));
		current_release(&cur);
		return;
	}
	if (docker_get_container(env->docker_socket, cur.container, timeout_ms,
				 &st, &found, &why) < 0 || !found) {
		no_container(r, why ? why : xasprintf("container %s is gone",
						     cur.container));
		current_release(&cur);
		return;
	}
	results_add(r, "container.odoo", st.running, state_text(&st),
		    xasprintf("%s serves %.19s", cur.container, cur.digest));
	if (!st.running || st.http_port <= 0) {
		results_add(r, "app.health", 0, NULL,
			    xasprintf("%s has no published HTTP port",
				      cur.container));
		results_add(r, "app.ready", 0, NULL,
			    xasprintf("%s has no published HTTP port",
				      cur.container));
	} else {
		url = xasprintf("http://127.0.0.1:%d", st.http_port);
		why = NULL;
		if (health_live(env, url, timeout_ms, &why) < 0)
			results_add(r, "app.health", 0, NULL, why);
		else
			results_add(r, "app.health", 1, xstrdup("200"),
				    xasprintf("GET %s/web/health?"
					      "db_server_status=1", url));
		why = NULL;
		if (health_ready(env, url, timeout_ms, &why) < 0)
			results_add(r, "app.ready", 0, NULL, why);
		else
			results_add(r, "app.ready", 1, xstrdup("200"),
				    xasprintf("version_info on database '%s'",
					      env->db_name));
		free(url);
	}
	container_state_release(&st);
	current_release(&cur);
}

static void check_proxy(const struct config_env *env, struct results *r)
{
	char *why = NULL;

	if (health_proxy(env, &why) < 0)
		results_add(r, "app.proxy", 0, NULL, why);
	else
		results_add(r, "app.proxy", 1, xstrdup("200"),
			    xasprintf("GET %s/web/health", env->proxy_url));
}

/* ---- backups ------------------------------------------------------------- */

static void check_backups(const struct config_env *env, struct results *r)
{
	struct backup_list l = { 0 };
	char *why = NULL, ts[21];
	long newest = 0, now = (long)time(NULL);

	if (env->backup_max_age_hours <= 0) {
		results_add(r, "backup.age", 1, xstrdup("-"),
			    xstrdup("disabled (backup_max_age_hours = 0)"));
		return;
	}
	if (backup_list_load(env->backup_dir, env->name, &l, &why) < 0) {
		results_add(r, "backup.age", 0, NULL, why);
		return;
	}
	for (size_t i = 0; i < l.n; i++)
		if (l.items[i].verified == 1 && l.items[i].created > newest)
			newest = l.items[i].created;
	if (!newest) {
		results_add(r, "backup.age", 0, NULL,
			    xasprintf("no verified backup in %s (%zu "
				      "unverified or failed)", env->backup_dir,
				      l.n));
	} else {
		time_iso8601(newest, ts);
		results_add(r, "backup.age",
			    checks_backup_fresh(newest, now,
						env->backup_max_age_hours),
			    xasprintf("%.1f h", (double)(now - newest) / 3600),
			    xasprintf("newest verified backup %s (max %ld h)",
				      ts, env->backup_max_age_hours));
	}
	backup_list_release(&l);
}

void checks_run_ctx(const struct config_env *env, struct checks_ctx *ctx,
		    struct results *r)
{
	json_t *info = NULL;
	char *why = NULL;
	const char *root = NULL;

	r->mark = clock_ms();
	check_odoo(env, ctx->timeout_ms, r);
	check_proxy(env, r);
	check_db(env, ctx->timeout_ms, ctx->pg, r);
	check_postgres_container(env, ctx->timeout_ms, r);
	check_cpu(env, ctx, r);
	check_mem(env, r);
	if (docker_get_info(env->docker_socket, ctx->timeout_ms, &info,
			    &why) < 0) {
		results_add(r, "disk:docker root", 0, NULL, why);
	} else {
		root = docker_json_str(info, "DockerRootDir");
	}
	check_disks(env, root, r);
	json_decref(info);
	check_backups(env, r);
}

void checks_run(const struct config_env *env, long cpu_sample_ms,
		struct results *r)
{
	struct checks_ctx ctx = { .timeout_ms = APP_TIMEOUT_MS,
				  .cpu_sample_ms = cpu_sample_ms };

	checks_run_ctx(env, &ctx, r);
}
