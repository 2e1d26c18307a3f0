/*
 * An Odoo installation's own odoo.conf ([options]), as a systemd-run Odoo
 * reads it: where its database, filestore and addons are.
 */
#ifndef ODOOCTL_ODOOCONF_H
#define ODOOCTL_ODOOCONF_H

struct odoo_conf {
	char *path;
	char *db_host;		/* NULL ("False"): the local socket */
	long db_port;		/* 5432 when unset */
	char *db_user;
	char *db_password;	/* NULL when unset; a secret */
	char *db_name;
	char *data_dir;
	char *addons_path;	/* comma-separated, as written */
};

/*
 * Loads path. db_name and data_dir are required (a migration needs to
 * know both); -1 with *cause naming the file (and line).
 */
int odoo_conf_load(const char *path, struct odoo_conf *c, char **cause);
void odoo_conf_release(struct odoo_conf *c);
/*
 * The addons directory to build from: the entry of addons_path that holds
 * addons (a directory with a __manifest__.py) and is not Odoo's own (an
 * "addons" folder beside odoo-bin or in the odoo package, .../odoo/addons,
 * or one holding web and base_setup, base_import or base), in whatever
 * order addons_path lists them. When several remain, the last one, with a
 * warning naming the others. Caller frees; NULL and *cause.
 */
char *odoo_conf_extra_addons(const struct odoo_conf *c, char **cause);

#endif
