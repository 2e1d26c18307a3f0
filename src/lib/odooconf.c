#include "odooconf.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct parse {
	struct odoo_conf *c;
	char *cause;
};

/* Odoo writes "False" for an unset value. */
static char *value(const char *v)
{
	return *v && strcmp(v, "False") ? xstrdup(v) : NULL;
}

static int handler(void *user, const char *section, const char *name,
		   const char *v)
{
	struct parse *p = user;
	struct odoo_conf *c = p->c;
	char **slot = NULL;

	if (strcmp(section, "options"))
		return 1;
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
	} else if (!strcmp(name, "db_port") && strcmp(v, "False")) {
		char *end;

		c->db_port = strtol(v, &end, 10);
		if (end == v || *end || c->db_port < 1 || c->db_port > 65535)
			if (!p->cause)
				p->cause = xasprintf("db_port '%s' is not a "
						     "port", v);
	}
	return 1;
}

int odoo_conf_load(const char *path, struct odoo_conf *c, char **cause)
{
	struct parse p = { .c = c };
	int rc;

	memset(c, 0, sizeof(*c));
	c->path = xstrdup(path);
	c->db_port = 5432;
	rc = ini_parse(path, handler, &p);
	if (rc < 0)
		*cause = xasprintf("cannot read '%s': %s", path,
				   strerror(errno));
	else if (rc > 0)
		*cause = xasprintf("%s:%d: syntax error", path, rc);
	else if (p.cause)
		*cause = xasprintf("%s: %s", path, p.cause);
	else if (!c->db_name || !c->data_dir)
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

char *odoo_conf_extra_addons(const struct odoo_conf *c, char **cause)
{
	char *copy = xstrdup(c->addons_path ? c->addons_path : "");
	char *save = NULL, *tok, *found = NULL;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *t = strtrim(tok);

		if (*t && !strstr(t, "odoo/addons") && holds_addons(t)) {
			free(found);
			found = xstrdup(t);
		}
	}
	free(copy);
	if (!found)
		*cause = xasprintf("%s: no directory of addons_path '%s' holds "
				   "an addon of its own", c->path,
				   c->addons_path ? c->addons_path : "");
	return found;
}
