/*
 * What every subcommand shares: its table entry, the global options, and
 * how a command begins and ends (common.c, global.c, run.c, signals.c).
 */
#ifndef ODOOCTL_CLI_H
#define ODOOCTL_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "core/config.h"
#include "release/deploy.h"

#ifndef ODOOCTL_VERSION
#define ODOOCTL_VERSION "0.1.0"
#endif

struct global {
	const char *config_path;
};

struct command {
	const char *name;
	const char *usage;	/* after "odooctl NAME " */
	const char *summary;
	const char *help;	/* options and details for --help */
	int (*exec)(int argc, char **argv, struct global *g);
};


/* Prints "usage: odooctl NAME USAGE" and the help text to f. */
void cmd_usage(const struct command *c, FILE *f);
/* The one-line error for a wrong number of arguments. */
void cmd_usage_error(const struct command *c);
/*
 * Parses argv with the command's long options plus --help (-h); prints
 * help and returns 0 with *done set when asked. Returns -1 on an unknown
 * option (after printing usage). Positional arguments are left at
 * argv[optind..].
 */
int cmd_getopt(const struct command *c, int argc, char **argv,
	       const struct option *opts, int *done,
	       int (*on_opt)(int opt, const char *arg, void *ctx), void *ctx);

/* Loads the config; exit status EXIT_USAGE with an error printed. */
int cmd_load_config(const struct global *g, struct config *cfg);
/* name NULL: the only environment, else "production" if present. */
const struct config_env *cmd_env(const struct config *cfg, const char *name);
/*
 * Both of the above: the environment `name` of the loaded config, or NULL
 * (an error printed, nothing left to release): the command exits 2.
 */
const struct config_env *cmd_open_env(const struct global *g,
				      const char *name, struct config *cfg);
/*
 * What cmd_begin() parses. From here to cmd_record_rc(): run.c, which
 * odooctl-monitor does not link.
 */
struct cmd_args {
	const struct option *opts;	/* may be NULL */
	int (*on_opt)(int opt, const char *arg, void *ctx);
	void *ctx;
	int min, max;	/* how many positional arguments */
	int env_at;	/* the one naming the environment (absent: default) */
	int trap;	/* cmd_trap_signals() before run */
	/* cmd_main()'s work: args are the positionals; an exit status */
	int (*run)(const struct config_env *env, char **args, void *ctx);
};
/*
 * How most commands begin: the options (cmd_getopt()), min to max
 * positionals (at argv[optind..]), then cmd_open_env() of the one at
 * env_at. Returns the environment (the caller releases cfg), or NULL with
 * *rc: EXIT_OK when help was printed, else EXIT_USAGE (error printed).
 */
const struct config_env *cmd_begin(const struct command *c, int argc,
				   char **argv, const struct cmd_args *a,
				   const struct global *g, struct config *cfg,
				   int *rc);
/* cmd_begin(), then a->run, then the config released: an exit status. */
int cmd_main(const struct command *c, int argc, char **argv,
	     const struct cmd_args *a, const struct global *g);
/* --db NAME of backup and restore: a valid one, else -1 (said). */
int cmd_db_option(const char *arg, const char **db);
/* The options and on_opt of a command whose one option is --json (j),
 * which sets *(int *)ctx. */
extern const struct option cmd_json_opts[];
int cmd_json_option(int opt, const char *arg, void *ctx);
/* j on stdout, indented, and a newline. */
void cmd_print_json(json_t *j, size_t flags);
/* A lib/ result (0, -1 failed, -2 refused) as an exit status. */
int cmd_exit_status(int rc);
/* cmd_record() of "VERB_ok", "VERB_refused" or "VERB_failed" for rc. */
void cmd_record_rc(const struct config_env *env, const char *verb, int rc);
/*
 * backup_lock() for VERB of subject: the lock, or -1 after "VERB of
 * SUBJECT refused: ..." and a VERB_refused history line, with *rc the
 * exit status (EXIT_REFUSED when another run holds it).
 */
int cmd_backup_lock(const struct config_env *env, const char *verb,
		    const char *subject, int *rc);
/* The login name, for history lines. Caller frees. */
char *cmd_operator(void);
/*
 * The operator of a history line: given, else cmd_operator(); NULL (the
 * error printed) when it holds '|' or a newline. Caller frees.
 */
char *cmd_operator_valid(const char *given);
/*
 * A history line of a backup, restore, verify or drill (status e.g.
 * "backup_ok"), in the seed's format: its version field is the release
 * that serves (state_dir/current), "-" when none. A failure to write is
 * printed, not returned.
 */
void cmd_record(const struct config_env *env, const char *status);
/* SIGTERM/SIGINT set deploy_interrupted, so deploys roll back cleanly. */
void cmd_trap_signals(void);
/*
 * The global options before the command word (-c, -q, -v, -h, --version;
 * $ODOOCTL_CONFIG): the index of the command word (argc when there is
 * none), or -1 when main is to return *rc (help or version printed, a bad
 * option).
 */
int cmd_global_options(int argc, char **argv, struct global *g,
		       void (*usage)(FILE *), int *rc);
/*
 * `odooctl monitor`: execs odooctl-monitor from odooctl's own directory
 * with the same arguments (the monitor's own program: it maps only the
 * libraries the checks, alerts and /metrics use; not libarchive, nor
 * odooctl's commands). Returns only
 * when there is no such program, after a warning: the monitor then runs
 * in this process.
 */
void cmd_exec_monitor(char **argv);
/* Parses "90d", "12h", "30m", "45s" into seconds; -1 when malformed. */
long cmd_parse_age(const char *s);

#endif
