#include "migrate/odooconf.h"
#include "core/log.h"
#include "core/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct parse {
	struct odoo_conf *c;
	char *cause;
};

/*
 * Unset, as Odoo 19 reads it: "None" (what its --save writes for an unset
 * option, e.g. db_port), or "False"/"false" (older Odoo's default).
 */
static int unset(const char *v)
{
	return !*v || !strcmp(v, "None") || !strcmp(v, "False") ||
	       !strcmp(v, "false");
}

static char *value(const char *v)
{
	return unset(v) ? NULL : xstrdup(v);
}

static void handler(struct parse *p, const char *section, const char *name,
		    const char *v)
{
	struct odoo_conf *c = p->c;
	char **slot = NULL;

	if (strcmp(section, "options"))
		return;
	if (!strcmp(name, "db_host"))
		slot = &c->db_host;
	else if (!strcmp(name, "db_user"))
		slot = &c->db_user;
	else if (!strcmp(name, "db_name"))
		slot = &c->db_name;
	else if (!strcmp(name, "data_dir"))
		slot = &c->data_dir;
	else if (!strcmp(name, "addons_path"))
		slot = &c->addons_path;
	else if (!strcmp(name, "db_password"))
		slot = &c->db_password;
	if (slot) {
		if (slot == &c->db_password)
			secret_free(*slot);
		else
			free(*slot);
		*slot = value(v);
	} else if (!strcmp(name, "db_port") && !unset(v)) {
		char *end;

		c->db_port = strtol(v, &end, 10);
		if (end == v || *end || c->db_port < 1 || c->db_port > 65535)
			if (!p->cause)
				p->cause = xasprintf("db_port '%s' is not a "
						     "port", v);
	}
}

/* Far above any odoo.conf; Odoo's configparser itself has no limit. */
#define CONF_MAX	(1 << 20)

/* The whole file, NUL-terminated; it holds db_password: wipe it. */
static char *conf_read(const char *path, size_t *len, char **cause)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	char *data;

	if (fd < 0) {
		*cause = xasprintf("cannot read '%s': %s", path,
				   strerror(errno));
		return NULL;
	}
	data = xmalloc(CONF_MAX + 1);
	*len = 0;
	while (*len < CONF_MAX) {
		ssize_t n = read(fd, data + *len, CONF_MAX - *len);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		*len += (size_t)n;
	}
	close(fd);
	if (err || *len == CONF_MAX) {
		*cause = err ? xasprintf("cannot read '%s': %s", path,
					 strerror(err)) :
			       xasprintf("cannot read '%s': %d bytes or more",
					 path, CONF_MAX);
		explicit_bzero(data, *len);
		free(data);
		return NULL;
	}
	data[*len] = '\0';
	return data;
}

/* The key and value being read (a value may go on over indented lines). */
struct entry {
	char section[128];
	char *key;
	struct buf val;
};

static void entry_flush(struct parse *p, struct entry *e)
{
	if (e->key) {
		buf_append(&e->val, "", 1);
		if (e->val.data) {
			handler(p, e->section, e->key, strtrim(e->val.data));
			explicit_bzero(e->val.data, e->val.cap);
		}
	}
	free(e->key);
	e->key = NULL;
	buf_release(&e->val);
}

/*
 * One line, as Python's configparser (which Odoo reads odoo.conf with)
 * takes it: "[section]", "key = value" or "key: value" (the key
 * lowercased, no inline comment), whole-line comments with # or ;, an
 * indented line going on with the value above. 0, or -1: a syntax error.
 */
static int conf_line(struct parse *p, struct entry *e, char *line)
{
	int indented = *line == ' ' || *line == '\t';
	char *t = strtrim(line), *d;

	if (!*t || *t == '#' || *t == ';') {
		if (!*t)
			entry_flush(p, e);
		return 0;
	}
	if (indented && e->key) {
		return buf_append(&e->val, "\n", 1) < 0 ||
		       buf_append(&e->val, t, strlen(t)) < 0 ? -1 : 0;
	}
	entry_flush(p, e);
	if (*t == '[') {
		d = strchr(t, ']');
		if (!d || (size_t)(d - t) > sizeof(e->section))
			return -1;
		*d = '\0';
		snprintf(e->section, sizeof(e->section), "%s", t + 1);
		return 0;
	}
	d = t + strcspn(t, "=:");
	if (!*d || d == t || !*e->section)
		return -1;
	*d = '\0';
	e->key = xstrdup(strtrim(t));
	for (char *k = e->key; *k; k++)
		*k = (char)tolower((unsigned char)*k);
	buf_init(&e->val, CONF_MAX);
	return buf_append(&e->val, d + 1, strlen(d + 1));
}

static int conf_parse(struct parse *p, char *data)
{
	struct entry e = { .section = "" };
	char *line = data, *nl;
	int n = 0;

	for (; line && *line; line = nl) {
		n++;
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (conf_line(p, &e, line) < 0) {
			entry_flush(p, &e);
			return n;
		}
	}
	entry_flush(p, &e);
	return 0;
}

int odoo_conf_load(const char *path, struct odoo_conf *c, char **cause)
{
	struct parse p = { .c = c };
	size_t len;
	char *data;
	int rc;

	memset(c, 0, sizeof(*c));
	c->path = xstrdup(path);
	c->db_port = 5432;
	data = conf_read(path, &len, cause);
	rc = data ? conf_parse(&p, data) : -1;
	if (data) {
		explicit_bzero(data, len);
		free(data);
	}
	if (rc > 0)
		*cause = xasprintf("%s:%d: syntax error", path, rc);
	else if (rc == 0 && p.cause)
		*cause = xasprintf("%s: %s", path, p.cause);
	else if (rc == 0 && (!c->db_name || !c->data_dir))
		*cause = xasprintf("%s sets no %s: a migration needs to know "
				   "the database and the filestore", path,
				   c->db_name ? "data_dir" : "db_name");
	free(p.cause);
	if (*cause) {
		odoo_conf_release(c);
		return -1;
	}
	return 0;
}

void odoo_conf_release(struct odoo_conf *c)
{
	free(c->path);
	free(c->db_host);
	free(c->db_user);
	secret_free(c->db_password);
	free(c->db_name);
	free(c->data_dir);
	free(c->addons_path);
	memset(c, 0, sizeof(*c));
}

static int holds_addons(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int found = 0;

	while (dp && !found && (de = readdir(dp))) {
		char *m = xasprintf("%s/%s/__manifest__.py", dir, de->d_name);

		found = de->d_name[0] != '.' && access(m, R_OK) == 0;
		free(m);
	}
	if (dp)
		closedir(dp);
	return found;
}

static int exists(const char *dir, const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);
	int ok = access(p, F_OK) == 0;

	free(p);
	return ok;
}

/* Whether the last n components of dir (trailing '/' aside) are tail's. */
static int ends_with_dirs(const char *dir, const char *tail)
{
	size_t n = strlen(dir), k = strlen(tail);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return n >= k && !strncmp(dir + n - k, tail, k) &&
	       (n == k || dir[n - k - 1] == '/');
}

/*
 * Odoo's own addons, not the installation's: the "addons" folder of the
 * odoo package (odoo/addons, beside release.py) or of Odoo's source tree
 * (beside odoo-bin or the odoo package), or wherever it lies, a folder
 * holding web and base's kin (a copy of the source tree's addons/). Odoo
 * 19 lists them in addons_path in any order, so their place tells nothing.
 */
static int odoo_own(const char *dir)
{
	static const char *const kin[] = {
		"base_setup/__manifest__.py", "base_import/__manifest__.py",
		"base/__manifest__.py",
	};

	if (ends_with_dirs(dir, "odoo/addons"))
		return 1;
	if (ends_with_dirs(dir, "addons") &&
	    (exists(dir, "../odoo-bin") || exists(dir, "../release.py") ||
	     exists(dir, "../odoo/release.py")))
		return 1;
	if (!exists(dir, "web/__manifest__.py"))
		return 0;
	for (size_t i = 0; i < sizeof(kin) / sizeof(kin[0]); i++)
		if (exists(dir, kin[i]))
			return 1;
	return 0;
}

char *odoo_conf_extra_addons(const struct odoo_conf *c, char **cause)
{
	char *copy = xstrdup(c->addons_path ? c->addons_path : "");
	char *save = NULL, *tok, *found = NULL;
	struct buf passed;

	buf_init(&passed, CONF_MAX);
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *t = strtrim(tok);

		if (!*t || !holds_addons(t) || odoo_own(t))
			continue;
		if (found)
			buf_printf(&passed, "%s'%s'", passed.len ? ", " : "",
				   found);
		free(found);
		found = xstrdup(t);
	}
	if (passed.len)
		log_warn("%s: addons_path lists more than one folder of "
			 "addons other than Odoo's own: taking the last one, "
			 "'%s', not %s", c->path, found, passed.data);
	buf_release(&passed);
	free(copy);
	if (!found)
		*cause = xasprintf("%s: no directory of addons_path '%s' holds "
				   "an addon of its own", c->path,
				   c->addons_path ? c->addons_path : "");
	return found;
}
