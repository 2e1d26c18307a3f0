#include "secrets/secrets.h"
#include "core/log.h"
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void secrets_release(struct secrets *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].key);
		secret_free(s->v[i].value);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void secrets_set(struct secrets *s, const char *key, const char *value)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key)) {
			secret_free(s->v[i].value);
			s->v[i].value = xstrdup(value);
			return;
		}
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n].key = xstrdup(key);
	s->v[s->n++].value = xstrdup(value);
}

const char *secrets_get(const struct secrets *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return s->v[i].value;
	return NULL;
}

int secrets_key_valid(const char *key)
{
	if (!*key || strlen(key) > 128 ||
	    !(isalpha((unsigned char)*key) || *key == '_'))
		return 0;
	for (; *key; key++)
		if (!isalnum((unsigned char)*key) && *key != '_')
			return 0;
	return 1;
}

/* Unquotes v in place when it is in matching quotes. */
static char *unquote(char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = '\0';
		v++;
	}
	return v;
}

static int parse_line(char *l, int lineno, const char *source,
		      struct secrets *s, char **cause)
{
	char *eq, *key;

	l = strtrim(l);
	if (!*l || *l == '#')
		return 0;
	if (!strncmp(l, "export ", 7))
		l = strtrim(l + 7);
	eq = strchr(l, '=');
	if (eq)
		*eq = '\0';
	key = strtrim(l);
	if (!eq || !secrets_key_valid(key)) {
		/* The key part only: a broken line may hold a value. */
		*cause = xasprintf("%s line %d: '%.40s' is not a KEY=VALUE "
				   "line", source, lineno,
				   eq ? key : "(no '=')");
		return -1;
	}
	secrets_set(s, key, unquote(strtrim(eq + 1)));
	return 0;
}

int secrets_parse(const char *text, size_t len, const char *source,
		  struct secrets *s, char **cause)
{
	char *copy = xstrndup(text, len), *line, *save = NULL;
	int lineno = 0, rc = 0;
	const char *p;

	for (p = text; p < text + len; p++)
		if (!*p) {
			*cause = xasprintf("%s: holds a NUL byte", source);
			secret_free(copy);
			return -1;
		}
	for (line = copy; line && rc == 0; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		rc = parse_line(line, ++lineno, source, s, cause);
		if (s->n > SECRETS_MAX) {
			*cause = xasprintf("%s: more than %d keys", source,
					   SECRETS_MAX);
			rc = -1;
		}
	}
	explicit_bzero(copy, len);
	free(copy);
	return rc;
}

char *secrets_read_private(const char *path, char **cause)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct buf b;
	struct stat st;
	char chunk[4096];
	ssize_t n;

	if (fd < 0) {
		*cause = xasprintf("cannot open secrets file '%s': %s", path,
				   strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*cause = xasprintf("secrets file '%s' is not a regular file",
				   path);
		close(fd);
		return NULL;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		*cause = xasprintf("secrets file '%s' has mode %04o and owner "
				   "uid %ld: refused, it must be owned by uid "
				   "%ld with mode 0600 or stricter", path,
				   (unsigned)(st.st_mode & 07777),
				   (long)st.st_uid, (long)geteuid());
		close(fd);
		errno = EPERM;
		return NULL;
	}
	buf_init(&b, SECRETS_TEXT_MAX);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(&b, chunk, (size_t)n) < 0)
			break;
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	if (n != 0) {
		*cause = xasprintf("cannot read secrets file '%s': %s", path,
				   n < 0 ? strerror(errno) : "too large");
		secret_free(b.data);
		return NULL;
	}
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

/* v as an env file value: bare when plain, else in single quotes. */
static char *quote_value(const char *key, const char *v, char **cause)
{
	const char *p;

	if (strpbrk(v, "\n\r")) {
		*cause = xasprintf("the value of '%s' holds a newline, which "
				   "an env file cannot carry", key);
		return NULL;
	}
	for (p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_-./:@+,%", *p))
			break;
	if (!*p && *v)
		return xstrdup(v);
	if (!strchr(v, '\''))
		return xasprintf("'%s'", v);
	if (!strpbrk(v, "\"$\\`"))
		return xasprintf("\"%s\"", v);
	*cause = xasprintf("the value of '%s' holds quotes an env file "
			   "cannot carry", key);
	return NULL;
}

/* The key of an env file line, or NULL for comments and blanks. */
static char *line_key(const char *line)
{
	const char *p = line;
	size_t n;

	while (isspace((unsigned char)*p))
		p++;
	if (!strncmp(p, "export ", 7))
		p += 7;
	n = strcspn(p, "= \t");
	if (!n || *p == '#')
		return NULL;
	return xstrndup(p, n);
}

static void keep_lines(struct buf *b, const char *current,
		       const struct secrets *s)
{
	const char *line = current, *end;

	for (; line && *line; line = *end ? end + 1 : end) {
		char *key;

		end = line + strcspn(line, "\n");
		key = line_key(line);
		if (!key || !secrets_get(s, key)) {
			buf_append(b, line, (size_t)(end - line));
			buf_append(b, "\n", 1);
		}
		free(key);
	}
}

char *secrets_render(const char *current, const struct secrets *s,
		     char **cause)
{
	struct buf b;

	buf_init(&b, 4 * SECRETS_TEXT_MAX);
	keep_lines(&b, current, s);
	for (size_t i = 0; i < s->n; i++) {
		char *q = quote_value(s->v[i].key, s->v[i].value, cause);

		if (!q) {
			if (b.data)
				explicit_bzero(b.data, b.len);
			buf_release(&b);
			return NULL;
		}
		buf_printf(&b, "%s=%s\n", s->v[i].key, q);
		secret_free(q);
	}
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

int secrets_pull(const struct config_env *env, const struct secrets *s,
		 char **cause)
{
	char *current = NULL, *text, *why = NULL;
	int rc;

	if (access(env->env_file, F_OK) == 0) {
		current = file_read(env->env_file, SECRETS_TEXT_MAX, NULL,
				    &why);
		if (!current) {
			*cause = why;
			return -1;
		}
	}
	text = secrets_render(current, s, cause);
	secret_free(current);
	if (!text)
		return -1;
	rc = file_write_atomic(env->env_file, text, strlen(text), 0600,
			       cause);
	secret_free(text);
	return rc;
}

size_t secrets_missing(const struct config_env *env, const struct secrets *s,
		       char ***missing)
{
	char *copy = xstrdup(env->secrets_required ? env->secrets_required
						    : ""), *save = NULL, *t;
	size_t n = 0;

	*missing = NULL;
	for (t = strtok_r(copy, ", \t", &save); t;
	     t = strtok_r(NULL, ", \t", &save)) {
		const char *v = secrets_get(s, t);

		if (v && *v)
			continue;
		*missing = xrealloc(*missing, (n + 1) * sizeof(**missing));
		(*missing)[n++] = xstrdup(t);
	}
	free(copy);
	return n;
}

void secrets_register(const struct secrets *s)
{
	for (size_t i = 0; i < s->n; i++)
		log_redact_add(s->v[i].value);
}

/* A key whose value is a secret by its name: ..._PASSWORD, API_TOKEN. */
static int key_secret_like(const char *key)
{
	static const char *const words[] = { "PASSWORD", "PASSWD", "SECRET",
					     "TOKEN", "KEY", "CREDENTIAL" };
	char *up = xstrdup(key);
	int hit = 0;

	for (char *p = up; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	for (size_t i = 0; i < ARRAY_SIZE(words) && !hit; i++)
		hit = strstr(up, words[i]) != NULL;
	free(up);
	return hit;
}

void secrets_register_env(const struct config_env *env)
{
	struct secrets s = { 0 }, required = { 0 };
	char *text, *why = NULL, **missing = NULL;
	size_t n;

	text = env->env_file ? file_read(env->env_file, SECRETS_TEXT_MAX,
					 NULL, &why) : NULL;
	if (text && secrets_parse(text, strlen(text), env->env_file, &s,
				  &why) == 0) {
		n = secrets_missing(env, &required, &missing);
		for (size_t i = 0; i < s.n; i++) {
			int want = key_secret_like(s.v[i].key);

			for (size_t j = 0; j < n && !want; j++)
				want = !strcmp(missing[j], s.v[i].key);
			if (want)
				log_redact_add(s.v[i].value);
		}
		for (size_t j = 0; j < n; j++)
			free(missing[j]);
		free(missing);
	}
	secret_free(text);
	free(why);
	secrets_release(&s);
	if (env->db_password_file) {
		why = NULL;
		text = config_db_password(env, &why);
		log_redact_add(text);
		secret_free(text);
		free(why);
	}
}

static void wipe_free(void *p)
{
	if (p) {
		explicit_bzero(p, malloc_usable_size(p));
		free(p);
	}
}

void secrets_wipe_json(void)
{
	json_set_alloc_funcs(malloc, wipe_free);
}
