#include "stack/compose.h"
#include "core/log.h"
#include "core/proc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define COMPOSE_OUTPUT_MAX (256 << 10)
#define PLACEHOLDER_IMAGE "odooctl.invalid/none@sha256:" \
	"0000000000000000000000000000000000000000000000000000000000000000"

static int command_works(const char *const argv[], char *const envp[])
{
	struct buf out;
	char *why = NULL;
	int status = 0, rc;

	buf_init(&out, 64 << 10);
	rc = proc_run(argv, envp, &out, &status, &why);
	free(why);
	buf_release(&out);
	return rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Splits "docker compose" into words; returns how many were added. */
static size_t compose_words(const char *cmd, const char **argv, size_t max,
			    char **storage)
{
	char *save = NULL, *w;
	size_t n = 0;

	*storage = xstrdup(cmd);
	for (w = strtok_r(*storage, " ", &save); w && n < max;
	     w = strtok_r(NULL, " ", &save))
		argv[n++] = w;
	return n;
}

static const char *compose_command(const struct config_env *env,
				   char *const envp[])
{
	static const char *detected;
	static const char *const v2[] = { "docker", "compose", "version", NULL };

	if (strcmp(env->compose_command, "auto") != 0)
		return env->compose_command;
	if (!detected)
		detected = command_works(v2, envp) ? "docker compose" :
						     "docker-compose";
	return detected;
}

static char **compose_environ(const struct config_env *env,
			      const char *image_ref)
{
	static const char *const ours[] = { "ODOO_IMAGE=",
					    "ODOOCTL_PROXY_DIR=",
					    "DOCKER_HOST=", NULL };
	size_t i;
	char **envp = proc_environ(ours, 3, &i);

	envp[i++] = xasprintf("ODOO_IMAGE=%s",
			      image_ref ? image_ref : PLACEHOLDER_IMAGE);
	envp[i++] = xasprintf("ODOOCTL_PROXY_DIR=%s/proxy", env->state_dir);
	envp[i++] = xasprintf("DOCKER_HOST=unix://%s", env->docker_socket);
	return envp;
}

static char *last_line(struct buf *out)
{
	char *s = xstrdup(out->data ? out->data : ""), *t = strtrim(s);
	char *nl = strrchr(t, '\n');
	char *line = xstrdup(strtrim(nl ? nl + 1 : t));

	free(s);
	return line;
}

int compose_exec(const struct config_env *env, const char *image_ref,
		 const char *const args[], struct buf *out, char **cause)
{
	char **envp = compose_environ(env, image_ref);
	const char *argv[64];
	char *words, *files = xstrdup(env->compose_files), *save = NULL, *f;
	struct buf local;
	size_t n;
	int status = 0, rc = -1;

	buf_init(&local, COMPOSE_OUTPUT_MAX);
	if (!out)
		out = &local;
	n = compose_words(compose_command(env, envp), argv, 4, &words);
	argv[n++] = "-p";
	argv[n++] = env->compose_project;
	for (f = strtok_r(files, ",", &save); f && n < 40;
	     f = strtok_r(NULL, ",", &save)) {
		argv[n++] = "-f";
		argv[n++] = f;
	}
	if (access(env->env_file, R_OK) == 0) {
		argv[n++] = "--env-file";
		argv[n++] = env->env_file;
	}
	for (size_t i = 0; args[i] && n < ARRAY_SIZE(argv) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	log_debug("compose: %s %s", argv[0], args[0]);
	if (proc_run(argv, envp, out, &status, cause) < 0)
		goto done;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		rc = 0;
		goto done;
	}
	{
		char *line = last_line(out);

		*cause = xasprintf("compose %s failed: %s", args[0],
				   *line ? line : "no output");
		free(line);
	}
done:
	buf_release(&local);
	free(words);
	free(files);
	proc_environ_free(envp);
	return rc;
}

int compose_validate(const struct config_env *env, const char *image_ref,
		     char **cause)
{
	static const char *const args[] = { "config", "-q", NULL };

	return compose_exec(env, image_ref, args, NULL, cause);
}
