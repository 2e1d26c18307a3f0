/*
 * The state of one environment, in its state_dir:
 *   history.log    one line per event, appended and fsync'd (the seed's format)
 *   history.log.chain  a hash chain over history.log (audit.h)
 *   last_good_sha  the digest of the last release that passed every check
 *   current        what serves now: "<digest> <container> <since>"
 *   deploy.lock    flock()ed by the one deploy/rollback/recover at a time
 *   journal        the phases of an unfinished deploy; removed when it ends
 *   last_deploy.json  the path the serving release took (informative)
 *   logs/          the output of each module upgrade
 *   proxy/         upstream.conf, mounted into the proxy
 * Every file but history.log is replaced atomically (write, fsync, rename).
 */
#ifndef ODOOCTL_STATE_H
#define ODOOCTL_STATE_H

#include "core/audit.h"

#include <jansson.h>
#include <stddef.h>


struct history_entry {
	long time;
	char *version;
	char *env;
	char *status;
	char *operator;
};

struct history {
	struct history_entry *e;
	size_t n;
};

/* Creates state_dir and state_dir/proxy when missing. */
int state_init(const char *state_dir, char **cause);

/* "2026-11-26T21:22:14Z | sha256:.. | production | success | alice\n" */
int history_append(const char *state_dir, const char *version, const char *env,
		   const char *status, const char *operator, char **cause);
/* Reads every well-formed line (malformed ones are skipped and counted). */
int history_load(const char *state_dir, struct history *h, size_t *skipped,
		 char **cause);
void history_release(struct history *h);
/* Operators and statuses must not break the format: no '|' or newline. */
int history_field_valid(const char *s);

/* NULL (and no cause) when absent; -1 on a corrupted file. */
int state_read_last_good(const char *state_dir, char **digest, char **cause);
int state_write_last_good(const char *state_dir, const char *digest,
			  char **cause);

struct current {
	char *digest;
	char *container;
	long since;
};
/* Returns 0 with cur->digest NULL when absent; -1 when corrupted. */
int state_read_current(const char *state_dir, struct current *cur,
		       char **cause);
int state_write_current(const char *state_dir, const struct current *cur,
			char **cause);
void current_release(struct current *cur);

/*
 * last_deploy.json: how the release that serves came in (its digest, the
 * path it took, code-only or database-changing, the addons upgraded, the
 * pre-deploy backup, how long the maintenance page was up). Written at
 * commit; NULL when absent or unreadable (it is informative only).
 */
int state_write_last_deploy(const char *state_dir, json_t *info,
			    char **cause);
json_t *state_read_last_deploy(const char *state_dir);

/*
 * The deploy lock. Returns an fd to keep open, -1 with *cause set, or
 * -2 when another process holds it (*cause says which pid).
 */
int state_lock(const char *state_dir, char **cause);
/* The same with another lock file of state_dir (migrate.lock). */
int state_lock_named(const char *state_dir, const char *name, char **cause);
void state_unlock(int fd);

#endif
