/*
 * The parts of a deploy, one file a phase (deploy.c runs them in order,
 * deploy_recover.c finishes a killed one); private to them.
 */

#ifndef ODOOCTL_DEPLOY_PRIV_H
#define ODOOCTL_DEPLOY_PRIV_H

#include "release/deploy.h"
#include "engine/docker.h"
#include "pg/pg.h"
#include "core/state.h"
#include "release/trigger.h"

struct deploy {
	const struct config_env *env;
	const struct release *rel;
	const char *operator;
	enum deploy_kind kind;
	const char *allow;	/* hardening checks allowed to fail */
	char **held;		/* deploy_run_held: the caller commits */
	struct docker *d;
	struct pg *pg;		/* the gate's connection, for its later checks */
	char *proxy_id;
	struct current prev;	/* what served before; digest NULL if none */
	int prev_running;
	char *last_good;
	char *candidate;	/* container name of the new release */
	int candidate_reused;	/* an existing (stopped) container */
	int switched;
	/* a release that changes the database */
	struct addon_diff diff;
	int db_path;		/* it takes the database-changing path */
	char *modules;		/* what -u gets */
	char *backup;		/* the complete pre-deploy backup */
	int clone;		/* the rollback point is a clone */
	int point;		/* one was (perhaps) begun: drop it after */
	int pointed;		/* ... and it is complete */
	int maintenance;	/* the maintenance page went up */
	int upgrading;		/* the upgrade ran: the database may differ */
	long long maint_start;	/* clock_ms() when the page went up */
};

/* deploy_util.c */
const char *dp_status_word(const struct deploy *dp);
void dp_record(const struct deploy *dp, const char *digest,
	       const char *status);
/*
 * Journals a phase before it acts. The phases recover depends on
 * (candidate, switch, commit) make the deploy fail when they cannot be
 * written; the others only warn.
 */
int dp_journal(const struct deploy *dp, const char *phase,
	       const char *arg, char **cause);
int dp_interrupted(char **cause);
/* 1 when the container runs, 0 when not (or absent), -1 when unknown. */
int dp_running(struct docker *d, const char *name);
void dp_show_logs(struct docker *d, const char *name);
/* How long clients got the maintenance page, once it is down again. */
void dp_log_window(const struct deploy *dp);
/* What status shows of the release that serves: which path it took. */
void dp_write_last_deploy(struct deploy *dp, const char *status);
void dp_end_journal(const struct deploy *dp);
/*
 * A release container that the database-changing path froze (paused),
 * brought back: thawed, its restart policy back to unless-stopped.
 * *thawed = 1 when it was paused.
 */
int dp_thaw(struct deploy *dp, const char *name, int *thawed, char **cause);
/*
 * Once a database-changing release is committed: the containers it froze
 * (all paused release containers of env but keep) are killed and kept,
 * stopped. Thawed, the old code would run on the upgraded database. After
 * a rollback: those it froze besides the one that serves again, stopped as
 * they would have been. Failures only warn.
 */
void dp_kill_frozen(struct deploy *dp, const char *keep);

/* deploy_phases.c */
int dp_phase_pull(struct deploy *dp, char **cause);
/*
 * Starts a container of rel: for a rollback its kept container when there
 * is one (or the one already running), else a new one. The name is
 * journaled under `phase` before anything starts, so recover can find it.
 */
int dp_start_candidate(struct deploy *dp, const struct release *rel,
		       const char *phase, char **name, int *reused,
		       char **cause);
/*
 * Waits until name is healthy and ready health_successes probes in a row
 * (a flapping release never gets there), or gives up after health_retries
 * probes.
 */
int dp_wait_healthy(struct deploy *dp, const char *name, char **cause);
int dp_phase_smoke(struct deploy *dp, char **cause);
/*
 * The proxy answers through the release it was switched to. `nginx -s
 * reload` returns before the old workers stop accepting, so one good
 * answer proves little: several in a row, over a few hundred ms, do.
 */
int dp_verify_proxy_with(struct deploy *dp,
			 int (*check)(const struct config_env *, char **),
			 char **cause);
int dp_verify_proxy(struct deploy *dp, char **cause);
/*
 * Stops a container and waits for it, even through a signal: a stop whose
 * request is dropped half-way goes on in the daemon, and would kill the
 * container again after the rollback started it.
 */
int dp_stop_whole(struct deploy *dp, const char *name, char **cause);
int dp_phase_switch(struct deploy *dp, char **cause);
/*
 * The old release finishes its requests, then stops (kept). A signal
 * during the wait makes the deploy roll back: it has not committed, and the
 * old release still runs, so the switch back is instant.
 */
int dp_phase_drain(struct deploy *dp, char **cause);
int dp_commit(struct deploy *dp, const char *digest, const char *name,
	      const char *status, char **cause);

/* deploy_fail.c */
void dp_discard_candidate(struct deploy *dp, const char *keep);
/*
 * Before undoing anything: the Docker engine may be restarting (a crash, an
 * upgrade of the package). Waits up to ENGINE_WAIT_S for it to answer
 * again; its containers come back by their restart policy meanwhile.
 */
void dp_wait_engine(struct deploy *dp);
/*
 * Brings the last good release back: the one that still serves, or its
 * kept container. Returns 0 when it answers through the proxy again; the
 * caller records the outcome, then ends the journal.
 */
int dp_roll_back(struct deploy *dp, const char *reason, char **cause);
/* The restore failed: the maintenance page stays; a person takes over. */
void dp_keep_maintenance(struct deploy *dp);
enum odooctl_exit dp_fail(struct deploy *dp, char *reason, char **cause);

/* deploy_db.c */
/*
 * Which path the release takes: code-only (no addon to upgrade: the
 * zero-downtime path) or database-changing (an upgrade of the changed
 * addons under a maintenance page); upgrade_trigger says which changed
 * addons count (trigger.h). A first release, or a rollback, is code-only:
 * there is nothing to compare with, or nothing to upgrade. Each addon to
 * upgrade is recorded in history with why: upgrade:<addon>:<why>.
 */
void dp_classify(struct deploy *dp);
/*
 * Drops the clone point once nothing needs it (or a killed run's); begun:
 * one was begun (rbpoint_drop).
 */
void dp_drop_point(struct deploy *dp, int begun, const char *what);
/*
 * Maintenance page up, writers stopped, then (nothing can write any more)
 * the pre-deploy backup and its verification, then the module upgrade in a
 * one-off container of the new image. A backup taken before the writers
 * stop would lose, on a restore, whatever they wrote in between.
 */
int dp_phase_db(struct deploy *dp, char **cause);
/*
 * After a failed upgrade (or one that may have run): nothing of the new
 * release may run, then the rollback point goes back, database and
 * filestore: the clone by renames, or the pre-deploy backup by a restore.
 * The caller brings the last good release back after.
 */
int dp_restore_db(struct deploy *dp, const char *digest, char **cause);

/* deploy.c */
void dp_deploy_release(struct deploy *dp);

#endif
