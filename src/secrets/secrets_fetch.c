/*
 * secrets_fetch: the providers (env_file, command, ssm) apart from
 * secrets.c's parsing and redaction, so that a program which only redacts
 * (`odooctl monitor`) does not link the providers.
 */
#include "secrets/secrets.h"
#include "core/proc.h"
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fetch_file(const struct config_env *env, struct secrets *s,
		      char **cause)
{
	char *text;
	int rc;

	if (!env->secrets_file) {
		*cause = xasprintf("[%s]: secrets_provider env_file needs "
				   "secrets_file", env->name);
		return SECRETS_ERR_CONFIG;
	}
	text = secrets_read_private(env->secrets_file, cause);
	if (!text)
		return errno == EPERM ? SECRETS_ERR_REFUSED : -1;
	rc = secrets_parse(text, strlen(text), env->secrets_file, s, cause);
	secret_free(text);
	return rc;
}

static int sink_buf(const void *p, size_t n, void *arg, char **cause)
{
	if (buf_append(arg, p, n) < 0) {
		*cause = xstrdup("the secrets command printed more than 1 MiB");
		return -1;
	}
	return 0;
}

/* The last line of a program's stderr, for an error message. */
static const char *last_line(struct buf *b)
{
	char *nl;

	if (!b->data)
		return "";
	while (b->len && isspace((unsigned char)b->data[b->len - 1]))
		b->data[--b->len] = '\0';
	nl = strrchr(b->data, '\n');
	return nl ? nl + 1 : b->data;
}

static int fetch_command(const struct config_env *env, struct secrets *s,
			 char **cause)
{
	char secs[32];
	/* coreutils' timeout: proc_stream() has no deadline of its own */
	const char *argv[] = { "/usr/bin/timeout", "--kill-after=5", secs,
			       "/bin/sh", "-c", env->secrets_command, NULL };
	struct buf out, err;
	struct proc_io io = { .out = sink_buf, .out_arg = &out, .err = &err };
	int code, rc = -1;
	char *why = NULL;

	if (!env->secrets_command) {
		*cause = xasprintf("[%s]: secrets_provider command needs "
				   "secrets_command", env->name);
		return SECRETS_ERR_CONFIG;
	}
	snprintf(secs, sizeof(secs), "%lds", env->secrets_timeout);
	buf_init(&out, SECRETS_TEXT_MAX);
	buf_init(&err, 4096);
	if (proc_stream(argv, environ, &io, &code, &why) < 0) {
		*cause = xasprintf("secrets command: %s", why);
	} else if (code == 124 || code == 137) {
		*cause = xasprintf("secrets command: no answer within "
				   "secrets_timeout (%ld s)",
				   env->secrets_timeout);
	} else if (code != 0) {
		*cause = xasprintf("secrets command exited with status %d: %s",
				   code, last_line(&err));
	} else {
		rc = secrets_parse(out.data ? out.data : "", out.len,
				   "secrets command output", s, cause);
	}
	free(why);
	if (out.data)
		explicit_bzero(out.data, out.len);
	buf_release(&out);
	buf_release(&err);
	return rc;
}

int secrets_fetch(const struct config_env *env, struct secrets *s,
		  char **cause)
{
	const char *p = env->secrets_provider ? env->secrets_provider : "none";
	int rc;

	if (!strcmp(p, "env_file"))
		rc = fetch_file(env, s, cause);
	else if (!strcmp(p, "command"))
		rc = fetch_command(env, s, cause);
	else if (!strcmp(p, "ssm"))
		rc = secrets_fetch_ssm(env, s, cause);
	else {
		*cause = xasprintf("[%s]: no secrets_provider configured",
				   env->name);
		return SECRETS_ERR_CONFIG;
	}
	secrets_register(s);
	return rc;
}
