/*
 * The disaster-recovery drill: a backup restored, as it would be after a
 * disaster, into a scratch database and a scratch Odoo container of the
 * release that serves (its own database name and db-filter, its own
 * /var/lib/odoo in an anonymous volume that holds the restored filestore,
 * published on a free loopback port), health- and smoke-checked, timed
 * (RTO) and dated (RPO), then torn down whatever happens. Of production
 * it only shares the PostgreSQL server the scratch database lives on.
 */
#ifndef ODOOCTL_DRILL_H
#define ODOOCTL_DRILL_H

#include <jansson.h>
#include <signal.h>

#include "core/config.h"
#include "engine/docker.h"

/* On the scratch container; its value is the compose project. */
#define LABEL_DRILL "odooctl.drill"

struct drill_opts {
	const struct config_env *env;
	const char *zip;			/* the backup */
	volatile sig_atomic_t *stop;		/* 1: give up, tear down */
};

/*
 * Runs the drill. *report (caller json_decref()s):
 *   {"env", "backup", "ok", "failed_step", "detail", "release", "image",
 *    "backup_created_at", "rpo_seconds", "rto_seconds",
 *    "scratch": {"container", "database", "port", "volumes"},
 *    "steps": [{"name", "ok", "ms", "detail"}], "logs": [...],
 *    "teardown": "ok" or what was left}
 * Steps: checksum, container, restore, neutralize, start, health, smoke,
 * teardown; the first that fails ends the drill (teardown always runs).
 * Returns 0 when it reached a verdict (either way: see "ok"), -2 when it
 * was refused before anything was created (postgres not running, nothing
 * deployed), -1 when it could not start.
 */
int drill_run(struct docker *d, const struct drill_opts *o, json_t **report,
	      char **cause);

/*
 * Removes what a killed drill of env left: its scratch containers (with
 * their volumes) and its scratch database. *n: how many things went.
 */
int drill_sweep(struct docker *d, const struct config_env *env, int *n,
		char **cause);

#endif
