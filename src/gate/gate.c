#include "gate/gate.h"
#include "net/health.h"
#include "stack/compose.h"
#include "core/log.h"
#include "pg/pg.h"
#include "stack/proxy.h"

#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

long long gate_free_mb(const char *path)
{
	struct statvfs st;

	if (statvfs(path, &st) < 0)
		return -1;
	return (long long)st.f_bavail * (long long)st.f_frsize / (1 << 20);
}

static int check_disk(const struct gate_input *in, char **cause)
{
	json_t *info = NULL;
	const char *paths[2] = { in->env->state_dir, NULL };
	int rc = 0;

	if (docker_info(in->d, &info, cause) < 0)
		return -1;
	paths[1] = docker_json_str(info, "DockerRootDir");
	for (size_t i = 0; i < 2 && rc == 0; i++) {
		long long mb = paths[i] ? gate_free_mb(paths[i]) : -1;

		if (mb < 0)
			continue;	/* a remote engine's root is not ours */
		if (mb < in->env->disk_floor_mb) {
			*cause = xasprintf("%lld MiB free on '%s', the floor "
					   "is %ld MiB", mb, paths[i],
					   in->env->disk_floor_mb);
			rc = -1;
		}
	}
	json_decref(info);
	return rc;
}

static int check_registry(const struct gate_input *in, char **cause)
{
	int absent = 0;

	if (in->local_ok)
		return 0;
	if (docker_distribution_check(in->d, in->rel->ref, &absent, cause) == 0)
		return 0;
	if (absent) {
		char *why = *cause;

		*cause = xasprintf("'%s' is not in the registry (%s)",
				   in->rel->ref, why);
		free(why);
	}
	return -1;
}

static int check_database(const struct gate_input *in, char **cause)
{
	struct pg *pg = in->pg;
	int rc = 0;

	if (in->first_release)
		return 0;	/* the stack's PostgreSQL starts with it */
	/* a SIGTERM of the deploy stops the wait */
	if (!pg && !(pg = pg_open(in->env, 5, in->d ?
				  docker_get_cancel(in->d) : NULL, cause)))
		return -1;
	if (pg_db_why(pg)) {
		*cause = xstrdup(pg_db_why(pg));
		rc = -1;
	}
	if (pg != in->pg && rc == 0 && in->keep)
		*in->keep = pg;
	else if (pg != in->pg)
		pg_close(pg);
	return rc;
}

static int check_proxy(const struct gate_input *in, char **cause)
{
	if (!in->proxy_id) {
		if (in->first_release)
			return 0;
		*cause = xasprintf("no running '%s' container in project '%s'",
				   in->env->switch_service,
				   in->env->compose_project);
		return -1;
	}
	if (proxy_test(in->d, in->proxy_id, cause) < 0) {
		char *why = *cause;

		*cause = xasprintf("%s ('odooctl recover %s' writes "
				   "upstream.conf again if it was edited)", why,
				   in->env->name);
		free(why);
		return -1;
	}
	/* A proxy_url that does not answer would fail every switch. */
	return in->first_release ? 0 : health_proxy(in->env, cause);
}

static int check_compose(const struct gate_input *in, char **cause)
{
	return compose_validate(in->env, in->rel->ref, cause);
}

static int check_docker(const struct gate_input *in, char **cause)
{
	return docker_ping(in->d, cause);
}

int gate_run(const struct gate_input *in, char **cause)
{
	static const struct {
		const char *name;
		int (*fn)(const struct gate_input *, char **);
	} checks[] = {
		{ "docker", check_docker },
		{ "compose", check_compose },
		{ "registry", check_registry },
		{ "disk", check_disk },
		{ "database", check_database },
		{ "proxy", check_proxy },
	};

	for (size_t i = 0; i < ARRAY_SIZE(checks); i++) {
		char *why = NULL;

		if (checks[i].fn(in, &why) < 0) {
			*cause = xasprintf("gate '%s' failed: %s",
					   checks[i].name, why);
			free(why);
			return -1;
		}
		log_info("gate %-9s ok", checks[i].name);
	}
	return 0;
}
