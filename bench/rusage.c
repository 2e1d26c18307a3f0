/*
 * bench/rusage: runs a command; when it ends, writes "cpu_s maxrss_kb" of
 * its whole process tree (getrusage(RUSAGE_CHILDREN): user + system CPU
 * time, and the largest resident peak of any process in it) to OUT.
 *
 *   rusage OUT CMD [ARG...]
 *
 * A small C program that starts CMD with posix_spawn, not a python or bash
 * wrapper: the kernel keeps a process's resident peak across exec, so a
 * child forked from a 10 MB interpreter starts with a 10 MB peak whatever
 * it runs. Here the inherited part is this program's own (about 1 MB).
 * SIGTERM and SIGINT are passed on to CMD. Exit status: CMD's.
 */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;
static volatile sig_atomic_t child;

static void pass_on(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct rusage ru;
	FILE *out;
	pid_t pid;
	int status = 0, rc;

	if (argc < 3) {
		fprintf(stderr, "usage: rusage OUT CMD [ARG...]\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pass_on;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	rc = posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ);
	if (rc) {
		fprintf(stderr, "rusage: %s: %s\n", argv[2], strerror(rc));
		return 127;
	}
	child = pid;
	while (waitpid(pid, &status, 0) < 0)
		;
	getrusage(RUSAGE_CHILDREN, &ru);
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	fprintf(out, "%.3f %ld\n",
		(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) /
				1e6,
		ru.ru_maxrss);
	fclose(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
