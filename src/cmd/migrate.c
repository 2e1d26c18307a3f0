/* odooctl migrate --from-conf ODOO_CONF [--service UNIT] [--yes] ENV
 * odooctl migrate --revert [--service UNIT] ENV */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "core/log.h"
#include "migrate/migrate.h"
#include "core/util.h"

struct migrate_cmd {
	struct migrate_opts o;
	int revert, dry_run, json;
};

static int on_opt(int opt, const char *arg, void *ctx)
{
	struct migrate_cmd *c = ctx;

	switch (opt) {
	case 'c':
		c->o.odoo_conf = arg;
		return 0;
	case 's':
		c->o.service = arg;
		return 0;
	case 'y':
		c->o.yes = 1;
		return 0;
	case 'n':
		c->dry_run = 1;
		return 0;
	case 'r':
		c->revert = 1;
		return 0;
	case 'j':
		c->json = 1;
		return 0;
	}
	return -1;
}

static int check_usage(const struct migrate_cmd *c, int nargs)
{
	const char *bad = NULL;

	if (nargs != 1)
		bad = "expected one ENV";
	else if (c->dry_run && c->o.yes)
		bad = "--dry-run and --yes contradict each other";
	else if (c->revert && c->json)
		bad = "--revert takes no --json";
	else if (c->revert && c->o.odoo_conf)
		bad = "--revert takes no --from-conf";
	else if (!c->revert && !c->o.odoo_conf)
		bad = "--from-conf ODOO_CONF is required";
	if (!bad)
		return 0;
	log_error("migrate: %s", bad);
	cmd_usage(&cmd_migrate, stderr);
	return -1;
}

static int exec_migrate(int argc, char **argv, struct global *g)
{
	static const struct option opts[] = {
		{ "from-conf", required_argument, NULL, 'c' },
		{ "service", required_argument, NULL, 's' },
		{ "yes", no_argument, NULL, 'y' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "revert", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 } };
	struct migrate_cmd c = { .o.service = "odoo19" };
	struct config cfg;
	char *op, *why = NULL;
	int done, rc;

	if (cmd_getopt(&cmd_migrate, argc, argv, opts, &done, on_opt, &c) < 0)
		return EXIT_USAGE;
	if (done)
		return EXIT_OK;
	if (check_usage(&c, argc - optind) < 0)
		return EXIT_USAGE;
	c.o.env = cmd_open_env(g, argv[optind], &cfg);
	if (!c.o.env)
		return EXIT_USAGE;
	op = cmd_operator();
	c.o.operator = op;
	cmd_trap_signals();
	if (c.json)
		c.o.report = json_object();
	rc = (int)(c.revert ? migrate_revert(&c.o, &why) :
		   migrate_run(&c.o, &why));
	if (c.json) {
		json_object_set_new(c.o.report, "exit", json_integer(rc));
		if (rc != EXIT_OK)
			json_object_set_new(c.o.report, "error",
					    json_string(why ? why : ""));
		cmd_print_json(c.o.report, 0);
		json_decref(c.o.report);
	}
	if (rc != EXIT_OK) {
		log_error("migrate%s of '%s' to %s %s: %s", c.revert ?
			  " --revert" : "", c.o.service, c.o.env->name,
			  rc == EXIT_REFUSED ? "refused" : rc == EXIT_USAGE ?
			  "impossible" : "failed", why);
		free(why);
	}
	free(op);
	config_release(&cfg);
	return rc;
}

const struct command cmd_migrate = {
	.name = "migrate",
	.usage = "--from-conf ODOO_CONF [--service UNIT] [--yes] [--json] ENV | "
		 "--revert [--service UNIT] ENV",
	.summary = "Move a systemd-run Odoo into the stack (plan by default).",
	.help =
	"Reads the installation's odoo.conf (db_host, db_port, db_user,\n"
	"db_password, db_name, data_dir, addons_path) and prints the plan.\n"
	"With --yes: lints the addons of addons_path, builds and pushes the\n"
	"image, stops the unit, backs up its database and filestore (trigger\n"
	"migrate), restores the backup into ENV's database and volume, then\n"
	"deploys the image to ENV (its first start finds the data), checks\n"
	"health and smoke through the proxy, compares row counts, modules and\n"
	"the filestore with the source, and only then commits: 'migrated' in\n"
	"history, last_good and current, the unit disabled (never deleted).\n"
	"From the stop on, each phase is journaled in state_dir/\n"
	"migrate.journal; any failure, SIGTERM or SIGINT stops the stack's\n"
	"release and starts the unit again ('migrate_failed'); after a kill,\n"
	"'odooctl recover ENV' (or the next migrate --yes) does it. --revert\n"
	"stops ENV's release and enables and starts the unit.\n"
	"Options:\n"
	"  -c, --from-conf FILE    the installation's odoo.conf\n"
	"  -s, --service UNIT      its systemd unit [odoo19]\n"
	"  -y, --yes               migrate (without it: the plan only)\n"
	"  -n, --dry-run           the plan only (the default)\n"
	"  -r, --revert            go back to the systemd service\n"
	"  -j, --json              the plan and the result as JSON on stdout\n"
	"Exit: 0 done (or planned), 1 failed (the unit runs again), 2 usage,\n"
	"3 refused (source unreachable, lint findings, unit unknown, another\n"
	"migration running).\n",
	.exec = exec_migrate,
};
