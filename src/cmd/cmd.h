/* The subcommands, a file each: their table entries (cli/cli.h). */
#ifndef ODOOCTL_CMD_H
#define ODOOCTL_CMD_H

#include "cli/cli.h"

extern const struct command cmd_backup, cmd_backups, cmd_build, cmd_config,
	cmd_deploy, cmd_drill, cmd_health, cmd_history, cmd_lint, cmd_migrate,
	cmd_monitor, cmd_push, cmd_recover, cmd_restore, cmd_rollback,
	cmd_status, cmd_verify, cmd_secrets, cmd_dbrole;

/* The commit a build is of: given, else $GITHUB_SHA, else git's HEAD. */
char *build_commit(const char *given, const char *dir, char **cause);
/* REPOSITORY:sha-<7 hex>, the tag build makes and push pushes. */
char *build_tag(const struct config_env *env, const char *commit);

#endif
