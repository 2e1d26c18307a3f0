/*
 * The checks of `odooctl health`: one pass, one result each. The parsers
 * of /proc text and the threshold logic are pure, for the unit tests.
 */
#ifndef ODOOCTL_CHECKS_H
#define ODOOCTL_CHECKS_H

#include <stddef.h>

#include "core/config.h"

struct result {
	char *name;	/* "app.health", "disk:/var/lib/docker", ... */
	int ok;
	char *value;	/* "12 ms", "43%", "running, 0 restarts" */
	char *detail;	/* what was measured, or why it failed */
	long long ms;	/* how long the check took */
};

struct results {
	struct result *v;
	size_t n;
	long long mark;	/* when the check being run started */
	/* called with each result as it comes, when set (a daemon acts on
	 * a failure at once, not when the slowest check of the pass ends) */
	void (*on_result)(const struct result *res, void *arg);
	void *on_result_arg;
};

/*
 * Appends a result; value and detail are taken (freed by release). Its ms
 * is the time since r->mark, which then moves on: checks run one after
 * the other, so each one's time is the gap since the previous result.
 */
void results_add(struct results *r, const char *name, int ok, char *value,
		 char *detail);
void results_release(struct results *r);
/* 1 when every result is ok. */
int results_ok(const struct results *r);

/* ---- pure parts -------------------------------------------------------- */

struct cpu_sample {
	unsigned long long total;
	unsigned long long idle;	/* idle + iowait */
};

/* The aggregate "cpu " line of /proc/stat text; -1 when absent. */
int checks_parse_stat(const char *text, struct cpu_sample *s);
/* Busy percent between two samples (0 when no time passed). */
double checks_cpu_percent(const struct cpu_sample *a,
			  const struct cpu_sample *b);
/* MemTotal and MemAvailable (kB) of /proc/meminfo text; -1 if missing. */
int checks_parse_meminfo(const char *text, unsigned long long *total_kb,
			 unsigned long long *avail_kb);
/* Percent of memory in use: 100 * (total - available) / total. */
double checks_mem_percent(unsigned long long total_kb,
			  unsigned long long avail_kb);
/* Used percent as df counts it: used / (used + available to users). */
double checks_disk_percent(unsigned long long blocks,
			   unsigned long long bfree,
			   unsigned long long bavail);
/* Healthy when value is below max (percent thresholds). */
int checks_below(double value, long max);
/*
 * The mount point holding path (absolute, resolved), from
 * /proc/self/mountinfo text: the longest mount point that is a prefix of
 * path on a component boundary. Caller frees; NULL when none.
 */
char *checks_mount_of(const char *mountinfo, const char *path);
/* Healthy when a backup exists and age_s < max_hours (0: disabled). */
int checks_backup_fresh(long newest_verified, long now, long max_hours);

/* ---- one pass ------------------------------------------------------------ */

/* Runs every check of env into r (application, database, containers,
 * system, backups). cpu_sample_ms: the CPU sampling window. */
void checks_run(const struct config_env *env, long cpu_sample_ms,
		struct results *r);

struct pg_keep;

/* What a daemon keeps from one pass to the next. */
struct checks_ctx {
	long timeout_ms;	/* each HTTP check's; DB connect rounds up */
	long cpu_sample_ms;	/* > 0: sample that long; 0: since last pass */
	struct cpu_sample cpu;	/* the last sample, when have_cpu */
	int have_cpu;
	struct pg_keep *pg;	/* database connections; NULL: none kept */
};

/* checks_run with the context's timeouts; updates ctx->cpu. */
void checks_run_ctx(const struct config_env *env, struct checks_ctx *ctx,
		    struct results *r);

#endif
