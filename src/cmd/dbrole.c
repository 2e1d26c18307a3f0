/* odooctl dbrole [ENV] */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "pg/dbrole.h"
#include "core/log.h"
#include "pg/pgx.h"
#include "core/state.h"
#include "core/util.h"

/* Makes role the owner of db_name and of all in it, when it exists. */
static int reown(struct pgx *px, const struct config_env *env,
		 const char *role, char **cause)
{
	long long moved = 0;
	int exists = 0;

	if (pgx_db_exists(px, env->db_name, &exists, cause) < 0)
		return -1;
	if (!exists) {
		log_info("no database '%s' yet: Odoo creates it as '%s'",
			 env->db_name, role);
		return 0;
	}
	if (dbrole_reown(px, env->db_name, role, &moved, cause) < 0)
		return -1;
	log_info("database '%s': %lld object%s handed to role '%s', which "
		 "now owns it and everything in it", env->db_name, moved,
		 moved == 1 ? "" : "s", role);
	return 0;
}

static int run(const struct config_env *env, char **args, void *ctx)
{
	struct docker *d = NULL;
	struct pgx px = { 0 };
	char *role = NULL, *why = NULL;
	int lock, rc = EXIT_FAILED, open;

	(void)args;
	(void)ctx;
	lock = state_init(env->state_dir, &why) < 0 ? -1 :
	       state_lock(env->state_dir, &why);
	if (lock < 0) {
		log_error("dbrole of %s refused: %s", env->name, why);
		free(why);
		return lock == -2 ? EXIT_REFUSED : EXIT_FAILED;
	}
	if (dbrole_ensure(env, 1, &role, &why) < 0)
		goto out;
	if (!role) {
		why = xasprintf("Odoo's role would be db_user '%s': set "
				"ODOO_DB_USER and ODOO_DB_PASSWORD in '%s' "
				"(or db_owner)", env->db_user, env->env_file);
		rc = EXIT_USAGE;
		goto out;
	}
	log_info("role '%s': LOGIN CREATEDB NOSUPERUSER NOCREATEROLE, "
		 "password from ODOO_DB_PASSWORD", role);
	d = docker_new(env->docker_socket);
	open = pgx_open(d, env, &px, &why);
	if (open < 0) {
		rc = open == -2 ? EXIT_REFUSED : EXIT_FAILED;
		goto out;
	}
	if (reown(&px, env, role, &why) == 0)
		rc = EXIT_OK;
	pgx_close(&px);
out:
	if (why)
		log_error("dbrole of %s: %s", env->name, why);
	free(why);
	free(role);
	docker_free(d);
	state_unlock(lock);
	return rc;
}

static int exec_dbrole(int argc, char **argv, struct global *g)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	const struct cmd_args a = { opts, NULL, NULL, 0, 1, 0, 0, run };

	return cmd_main(&cmd_dbrole, argc, argv, &a, g);
}

const struct command cmd_dbrole = {
	.name = "dbrole",
	.usage = "[ENV]",
	.summary = "Give Odoo a database role of its own, owner of its "
		   "database.",
	.help =
	"Idempotent; what a cluster made before the stack's init script\n"
	"(infra/stacks/odoo19-central/postgres-init/) needs once, and what\n"
	"applies a new ODOO_DB_PASSWORD. As odooctl's db_user, with the\n"
	"deploy lock held:\n"
	"  1. creates the role ODOO_DB_USER of env_file (or db_owner) when\n"
	"     missing, LOGIN CREATEDB NOSUPERUSER NOCREATEROLE, and sets its\n"
	"     password to ODOO_DB_PASSWORD (sent as a SCRAM verifier made\n"
	"     here); a role that is a superuser is refused;\n"
	"  2. when db_name exists, in one transaction, makes the role the\n"
	"     owner of the database, of its schemas (public too), tables,\n"
	"     partitions, views, materialized views, foreign tables,\n"
	"     sequences, functions, procedures, aggregates and types, except\n"
	"     the objects of extensions (ALTER ... OWNER TO; each lock is\n"
	"     waited for 30 s at most: run it when no upgrade runs).\n"
	"Then deploy: Odoo's container connects as the role (PGUSER), and\n"
	"the gate's db_superuser and db_owner checks pass.\n\n"
	"Exit status: 0 done, 1 failed (nothing is half-done: the ownership\n"
	"change is one transaction), 2 usage or no ODOO_DB_USER, 3 refused\n"
	"(deploy lock held, postgres not running).\n",
	.exec = exec_dbrole,
};
