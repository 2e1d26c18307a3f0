/* Running a helper program (compose, git) without a shell. */
#ifndef ODOOCTL_PROC_H
#define ODOOCTL_PROC_H

#include "util.h"

extern char **environ;

/*
 * Runs argv (looked up in PATH) with envp, stdin from /dev/null, stdout
 * and stderr into out (its tail, when longer than out->max). *status is
 * waitpid()'s. -1 with *cause only when it could not run at all.
 */
int proc_run(const char *const argv[], char *const envp[], struct buf *out,
	     int *status, char **cause);

#endif
