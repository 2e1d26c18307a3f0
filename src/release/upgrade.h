/*
 * Releases that change the database: which addons changed between the
 * running release and the new one (their checksum labels, odooctl.addon.*),
 * and the module upgrade that a release changing them needs:
 * `odoo -d DB -u <addons> --stop-after-init --no-http` in a one-off
 * container of the new image, judged by its output as well as its exit
 * status (Odoo can exit 0 after a failed upgrade).
 */
#ifndef ODOOCTL_UPGRADE_H
#define ODOOCTL_UPGRADE_H

#include "core/config.h"
#include "engine/docker.h"
#include "core/release.h"

#include <jansson.h>
#include <signal.h>
#include <stddef.h>

/* Container label naming the environment an upgrade container works for. */
#define LABEL_UPGRADE "odooctl.upgrade"

struct addon_diff {
	char **changed;		/* in both, checksum differs; sorted */
	size_t nchanged;
	char **added;		/* only in the new release */
	size_t nadded;
	char **removed;		/* only in the running release */
	size_t nremoved;
	int unknown;		/* the running release has no checksums */
	/* upgrade_trigger (trigger.h): */
	char **why;		/* parallel to changed: why it is upgraded */
	char **held;		/* version rule: changed, same version; not
				 * upgraded (code-only); sorted */
	size_t nheld;
	char **stale;		/* of held: what Odoo loads into the database
				 * changed too (the gate's warning) */
	size_t nstale;
	int fallback;		/* version asked, but the running (1) or the
				 * new (2) release has no version labels:
				 * the checksum rule decided */
};

/*
 * Compares the labels ({"odooctl.addon.<name>": "sha256:..", ...}) of the
 * running and the new image. When the running one has no checksum label at
 * all, diff->unknown is set and every addon of the new one counts as
 * changed: a release we cannot compare is treated as changing the database.
 */
void upgrade_diff(json_t *old_labels, json_t *new_labels,
		  struct addon_diff *diff);
void addon_diff_release(struct addon_diff *diff);
/* The release needs a module upgrade (changed or added addons). */
int upgrade_needed(const struct addon_diff *diff);
/* "a,b,c": the changed and the added addons, for -u; caller frees. */
char *upgrade_modules(const struct addon_diff *diff);

/*
 * Judges an upgrade by its output and exit status: 0 when it exited 0,
 * said "Modules loaded." and logged no ERROR or CRITICAL line, no
 * traceback, no "invalid module names", "Some modules are not loaded" or
 * "inconsistent states"; else -1 with *cause naming the first offence.
 */
int upgrade_judge(const char *output, int exit_code, char **cause);

/* The name of env's upgrade container (one upgrader at a time). */
char *upgrade_container_name(const struct config_env *env);
/* Removes env's upgrade container, running or not (none is fine). */
int upgrade_remove(struct docker *d, const struct config_env *env,
		   char **cause);

/*
 * Runs the upgrade of `modules` in env's database in a one-off container of
 * rel (compose run of the Odoo service: its environment and volumes, no
 * restart policy, no published port), waits for it (env->upgrade_timeout;
 * the docker handle's cancel flag stops it early), keeps its whole output
 * in log_path, removes the container, and judges the output. 0 when the
 * upgrade passed; -1 with *cause otherwise.
 */
int upgrade_run(struct docker *d, const struct config_env *env,
		const struct release *rel, const char *modules,
		const char *log_path, char **cause);

#endif
