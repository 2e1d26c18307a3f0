#include "stack/proxy.h"
#include "core/log.h"
#include "stack/stack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_TARGET "odooctl-no-release.invalid"

static char *upstream_path(const struct config_env *env)
{
	return xasprintf("%s/proxy/upstream.conf", env->state_dir);
}

int proxy_container(struct docker *d, const struct config_env *env,
		    char **id, char **cause)
{
	char *label = xasprintf("com.docker.compose.project=%s",
				env->compose_project);
	json_t *list = NULL, *c;
	size_t i;
	int rc;

	*id = NULL;
	rc = docker_container_list(d, label, &list, cause);
	free(label);
	if (rc < 0)
		return -1;
	json_array_foreach(list, i, c) {
		const char *svc = stack_label(c, "com.docker.compose.service");
		const char *state = docker_json_str(c, "State");

		if (svc && !strcmp(svc, env->switch_service) && state &&
		    !strcmp(state, "running")) {
			*id = xstrdup(docker_json_str(c, "Id"));
			break;
		}
	}
	json_decref(list);
	return 0;
}

static int proxy_nginx(struct docker *d, const char *proxy_id,
		       const char *const argv[], char **cause)
{
	struct buf out;
	int code = -1, rc;

	buf_init(&out, 64 << 10);
	rc = docker_exec(d, proxy_id, argv, &out, &code, cause);
	if (rc == 0 && code != 0) {
		const char *t = out.data ? out.data : "";
		const char *emerg = strstr(t, "[emerg]");

		if (emerg)
			t = emerg;
		*cause = xasprintf("'%s %s' in the switch failed: %.*s",
				   argv[0], argv[1], (int)strcspn(t, "\n"),
				   *t ? t : "no output");
		rc = -1;
	}
	buf_release(&out);
	return rc;
}

int proxy_test(struct docker *d, const char *proxy_id, char **cause)
{
	static const char *const argv[] = { "nginx", "-t", "-q", NULL };

	return proxy_nginx(d, proxy_id, argv, cause);
}

static char *upstream_conf(const char *target, int maintenance)
{
	const char *t = target ? target : NO_TARGET;

	return xasprintf("# Written by odooctl: the release that serves. "
			 "Do not edit.\n"
			 "set $odoo_upstream \"%s:8069\";\n"
			 "set $odoo_ws_upstream \"%s:8072\";\n"
			 "set $odoo_maintenance %d;\n",
			 t, t, maintenance || !target);
}

int proxy_write(const struct config_env *env, const char *target,
		int maintenance, char **cause)
{
	char *path = upstream_path(env), *conf = upstream_conf(target,
							       maintenance);
	int rc = file_write_atomic(path, conf, strlen(conf), 0644, cause);

	free(conf);
	free(path);
	return rc;
}

int proxy_switch(struct docker *d, const struct config_env *env,
		 const char *proxy_id, const char *target, int maintenance,
		 char **cause)
{
	static const char *const reload[] = { "nginx", "-s", "reload", NULL };
	char *path = upstream_path(env), *why = NULL;
	char *old = file_read(path, 1 << 16, NULL, &why);
	int rc = -1;

	free(why);
	if (proxy_write(env, target, maintenance, cause) < 0)
		goto out;
	if (proxy_test(d, proxy_id, cause) < 0) {
		if (old && file_write_atomic(path, old, strlen(old), 0644,
					     &why) < 0) {
			log_warn("%s", why);
			free(why);
		}
		goto out;
	}
	rc = proxy_nginx(d, proxy_id, reload, cause);
out:
	free(old);
	free(path);
	return rc;
}

char *proxy_target(const struct config_env *env)
{
	char *path = upstream_path(env), *why = NULL;
	char *data = file_read(path, 1 << 16, NULL, &why);
	char *p, *target = NULL;

	free(why);
	free(path);
	if (data && (p = strstr(data, "$odoo_upstream \""))) {
		p += strlen("$odoo_upstream \"");
		target = xstrndup(p, strcspn(p, ":\""));
		if (!strcmp(target, NO_TARGET)) {
			free(target);
			target = NULL;
		}
	}
	free(data);
	return target;
}
