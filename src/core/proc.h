/* Running a helper program (compose, git) without a shell. */
#ifndef ODOOCTL_PROC_H
#define ODOOCTL_PROC_H

#include "core/util.h"

extern char **environ;

/*
 * A copy of environ without the variables that start with a prefix of
 * drop ("NAME=", NULL-terminated), with room for extra more at its end:
 * they go from (*n)++ on. NULL-terminated; proc_environ_free() frees it.
 */
char **proc_environ(const char *const drop[], size_t extra, size_t *n);
void proc_environ_free(char **envp);

/*
 * Runs argv (looked up in PATH) with envp, stdin from /dev/null, stdout
 * and stderr into out (its tail, when longer than out->max). *status is
 * waitpid()'s. -1 with *cause only when it could not run at all.
 */
int proc_run(const char *const argv[], char *const envp[], struct buf *out,
	     int *status, char **cause);

/* What proc_stream feeds a program and does with its output. */
typedef long (*proc_source_fn)(void *buf, size_t cap, void *arg,
			       char **cause);
typedef int (*proc_sink_fn)(const void *p, size_t n, void *arg,
			    char **cause);

struct proc_io {
	proc_source_fn in;	/* stdin, or NULL for /dev/null */
	void *in_arg;
	proc_sink_fn out;	/* stdout, or NULL to discard it */
	void *out_arg;
	struct buf *err;	/* stderr: its last err->max bytes */
	int keep_fd;		/* > 2: passed to the program as fd 3 */
};

/*
 * Runs argv (a path, not looked up) with envp, streaming: stdin from
 * io->in, stdout to io->out as it comes. *code is the exit code (128 + N
 * when killed by signal N). -1 with *cause when it could not run, or when
 * io->in or io->out failed (the program is then killed).
 */
int proc_stream(const char *const argv[], char *const envp[],
		const struct proc_io *io, int *code, char **cause);

#endif
