/*
 * Secrets behind one interface: each environment names a provider
 * (secrets_provider) that yields KEY=VALUE pairs, which `secrets pull`
 * renders into the stack's env file. Providers: an env file kept with mode
 * 0600 (src/secrets/secrets.c), a command printing KEY=VALUE (the same file),
 * AWS SSM Parameter Store (src/secrets/secrets_ssm.c). Every value fetched is
 * fed to the log redaction and wiped when released.
 */
#ifndef ODOOCTL_SECRETS_H
#define ODOOCTL_SECRETS_H

#include "core/config.h"

#define SECRETS_MAX 1024
#define SECRETS_TEXT_MAX (1u << 20)

struct secret {
	char *key;
	char *value;
};

struct secrets {
	struct secret *v;
	size_t n;
};

/* Wipes every value and frees it all. */
void secrets_release(struct secrets *s);
/* Sets key (replacing an earlier value); takes copies. */
void secrets_set(struct secrets *s, const char *key, const char *value);
const char *secrets_get(const struct secrets *s, const char *key);
/* A key as an env file takes it: [A-Za-z_][A-Za-z0-9_]*. */
int secrets_key_valid(const char *key);

/*
 * Parses KEY=VALUE lines (blank lines, '#' comments and an "export "
 * prefix allowed; a value in matching single or double quotes is
 * unquoted) into s. source names the text in errors, which never quote a
 * value: "'cmd' line 3: 'x y' is not a KEY=VALUE line" only quotes the
 * key part.
 */
int secrets_parse(const char *text, size_t len, const char *source,
		  struct secrets *s, char **cause);

/*
 * Opens path as a secrets file: refused unless it is a regular file owned
 * by the running user with no group or other permission bits.
 */
char *secrets_read_private(const char *path, char **cause);

/*
 * Fetches env's secrets from its provider (each value redacted in logs).
 * Returns 0, or with *cause: SECRETS_ERR_CONFIG (the provider's keys are
 * missing), SECRETS_ERR_REFUSED (an unsafe secrets file), -1 otherwise.
 */
#define SECRETS_ERR_CONFIG (-2)
#define SECRETS_ERR_REFUSED (-3)
int secrets_fetch(const struct config_env *env, struct secrets *s,
		  char **cause);
/* The AWS SSM provider (src/secrets/secrets_ssm.c). */
int secrets_fetch_ssm(const struct config_env *env, struct secrets *s,
		      char **cause);

/*
 * The env file with s merged in: the lines of current (may be NULL) whose
 * key s does not set are kept as they are, then s's pairs, quoted where
 * needed. -1 with *cause when a value cannot be written to an env file
 * (a newline, or both quote kinds).
 */
char *secrets_render(const char *current, const struct secrets *s,
		     char **cause);
/* Renders into env->env_file atomically, mode 0600. */
int secrets_pull(const struct config_env *env, const struct secrets *s,
		 char **cause);

/* The keys of env->secrets_required that s lacks (or has empty). */
size_t secrets_missing(const struct config_env *env, const struct secrets *s,
		       char ***missing);

/*
 * Feeds the redaction in log.c with the secret values env's commands may
 * meet: the required keys and password/token/secret/key-like keys of the
 * stack's env file, and db_password_file. Missing files are not an error.
 */
void secrets_register_env(const struct config_env *env);

/*
 * From now on jansson wipes what it frees: the replies of SSM and of the
 * credential helpers are parsed by it. Idempotent.
 */
void secrets_wipe_json(void);
void secrets_register(const struct secrets *s);

#endif
