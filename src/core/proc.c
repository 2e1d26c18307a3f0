#include "core/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char **proc_environ(const char *const drop[], size_t extra, size_t *n)
{
	size_t len = 0;
	char **envp;

	while (environ[len])
		len++;
	envp = xcalloc(len + extra + 1, sizeof(*envp));
	*n = 0;
	for (size_t i = 0; i < len; i++) {
		size_t k = 0;

		while (drop[k] && !str_starts_with(environ[i], drop[k]))
			k++;
		if (!drop[k])
			envp[(*n)++] = xstrdup(environ[i]);
	}
	return envp;
}

void proc_environ_free(char **envp)
{
	for (char **e = envp; e && *e; e++)
		free(*e);
	free(envp);
}

int proc_run(const char *const argv[], char *const envp[], struct buf *out,
	     int *status, char **cause)
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

#define STREAM_CHUNK	(64u << 10)

/* A program being streamed to and from: our ends of its 0, 1 and 2. */
struct stream {
	const struct proc_io *io;
	int fd[3];
	char *in;
	size_t in_len, in_off;
	char *chunk;
};

static void stream_close(struct stream *s, int i)
{
	if (s->fd[i] >= 0)
		close(s->fd[i]);
	s->fd[i] = -1;
}

static int spawn(const char *const argv[], char *const envp[],
		 struct stream *s, pid_t *pid, char **cause)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } }, rc = 0;
	int keep = s->io->keep_fd;

	/* dup2(3, 3) would leave it close-on-exec: pass a copy */
	if (keep == 3)
		keep = fcntl(keep, F_DUPFD_CLOEXEC, 4);

	for (int i = 0; i < 3 && rc == 0; i++)
		if ((i > 0 || s->io->in) && pipe2(p[i], O_CLOEXEC) < 0)
			rc = errno;
	posix_spawn_file_actions_init(&fa);
	if (s->io->in)
		posix_spawn_file_actions_adddup2(&fa, p[0][0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
						 O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1][1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[2][1], 2);
	if (keep > 2)
		posix_spawn_file_actions_adddup2(&fa, keep, 3);
	/* Its own process group, as proc_run's: a Ctrl-C is odooctl's. */
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	if (rc == 0)
		rc = posix_spawn(pid, argv[0], &fa, &attr, (char *const *)argv,
				 envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (keep != s->io->keep_fd && keep >= 0)
		close(keep);
	for (int i = 0; i < 3; i++) {
		int ours = i == 0 ? 1 : 0;

		if (p[i][!ours] >= 0)
			close(p[i][!ours]);
		s->fd[i] = p[i][ours];
		if (rc != 0)
			stream_close(s, i);
		else if (s->fd[i] >= 0)
			fcntl(s->fd[i], F_SETFL, O_NONBLOCK);
	}
	if (rc != 0)
		*cause = xasprintf("cannot run '%s': %s", argv[0],
				   strerror(rc));
	return rc ? -1 : 0;
}

/* Feeds the program's stdin; 0 when it is closed or would block. */
static int stream_write(struct stream *s, char **cause)
{
	ssize_t n;

	if (s->in_off == s->in_len) {
		long got = s->io->in(s->in, STREAM_CHUNK, s->io->in_arg, cause);

		if (got < 0)
			return -1;
		if (got == 0) {
			stream_close(s, 0);
			return 0;
		}
		s->in_len = (size_t)got;
		s->in_off = 0;
	}
	n = write(s->fd[0], s->in + s->in_off, s->in_len - s->in_off);
	if (n > 0)
		s->in_off += (size_t)n;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		stream_close(s, 0);	/* it stopped reading: its code says why */
	return 0;
}

/* Keeps the last b->max bytes: the error is at the end. */
static void tail_append(struct buf *b, const char *p, size_t n)
{
	if (n > b->max) {
		p += n - b->max;
		n = b->max;
	}
	if (b->len + n > b->max) {
		size_t drop = b->len + n - b->max;

		memmove(b->data, b->data + drop, b->len - drop);
		b->len -= drop;
		b->data[b->len] = '\0';
	}
	buf_append(b, p, n);
}

static int stream_read(struct stream *s, int i, char **cause)
{
	ssize_t n = read(s->fd[i], s->chunk, STREAM_CHUNK);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		stream_close(s, i);
		return 0;
	}
	if (i == 1)
		return s->io->out ? s->io->out(s->chunk, (size_t)n,
					       s->io->out_arg, cause) : 0;
	if (s->io->err)
		tail_append(s->io->err, s->chunk, (size_t)n);
	return 0;
}

static int stream_pump(struct stream *s, char **cause)
{
	while (s->fd[1] >= 0 || s->fd[2] >= 0) {
		struct pollfd pf[3];

		for (int i = 0; i < 3; i++)
			pf[i] = (struct pollfd){ .fd = s->fd[i],
						 .events = i ? POLLIN : POLLOUT };
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			*cause = xasprintf("poll: %s", strerror(errno));
			return -1;
		}
		if (pf[0].revents && stream_write(s, cause) < 0)
			return -1;
		for (int i = 1; i < 3; i++)
			if (pf[i].revents && stream_read(s, i, cause) < 0)
				return -1;
	}
	return 0;
}

int proc_stream(const char *const argv[], char *const envp[],
		const struct proc_io *io, int *code, char **cause)
{
	struct stream s = { .io = io, .fd = { -1, -1, -1 } };
	int status = 0, rc;
	pid_t pid;

	*code = -1;
	if (spawn(argv, envp, &s, &pid, cause) < 0)
		return -1;
	s.in = io->in ? xmalloc(STREAM_CHUNK) : NULL;
	s.chunk = xmalloc(STREAM_CHUNK);
	rc = stream_pump(&s, cause);
	if (rc < 0)
		kill(pid, SIGKILL);
	for (int i = 0; i < 3; i++)
		stream_close(&s, i);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			if (rc == 0)
				*cause = xasprintf("waitpid: %s",
						   strerror(errno));
			rc = -1;
			break;
		}
	if (WIFEXITED(status))
		*code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		*code = 128 + WTERMSIG(status);
	free(s.in);
	free(s.chunk);
	return rc;
}
