#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int proc_run(const char *const argv[], char *const envp[],
		      struct buf *out, int *status, char **cause)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int fds[2], rc;
	pid_t pid;
	char chunk[4096];
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		*cause = xasprintf("pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	/*
	 * Its own process group: a Ctrl-C meant for odooctl (which then rolls
	 * back) must not kill a compose command halfway.
	 */
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv,
			  envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		*cause = xasprintf("cannot run '%s': %s", argv[0],
				   strerror(rc));
		close(fds[0]);
		return -1;
	}
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (out->len + (size_t)n > out->max)
			buf_reset(out);	/* keep the tail, it has the error */
		buf_append(out, chunk, (size_t)n);
	}
	close(fds[0]);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR) {
			*cause = xasprintf("waitpid: %s", strerror(errno));
			return -1;
		}
	return 0;
}
