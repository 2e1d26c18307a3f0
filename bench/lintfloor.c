/*
 * bench/lintfloor: the kernel's share of `odooctl lint` on a tree, the
 * floor under any linter that checks what Odoo 19's rules ask for.
 *
 *   lintfloor LIST THREADS
 *
 * LIST holds one line per addon: its manifest's path, then a tab and the
 * path of each data/demo file it lists. Once LIST is in memory (not
 * timed), THREADS threads (addon i to thread i % THREADS, as lint's
 * batches) do exactly the system calls lint cannot avoid and nothing else:
 * open, read to the end and close each manifest, stat each data file. No
 * parsing, no rule, no output but the time of that part, in seconds.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct work {
	char **lines;
	size_t n, first, step;
	long files;
};

static void *run(void *arg)
{
	struct work *w = arg;
	char buf[65536];

	for (size_t i = w->first; i < w->n; i += w->step) {
		char *line = w->lines[i], *tab = strchr(line, '\t'), *p;
		struct stat st;
		int fd;

		if (tab)
			*tab = '\0';
		fd = open(line, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			close(fd);
		}
		for (p = tab ? tab + 1 : NULL; p && *p;) {
			char *next = strchr(p, '\t');

			if (next)
				*next = '\0';
			w->files += stat(p, &st) == 0;
			p = next ? next + 1 : NULL;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	FILE *f;
	char *line = NULL, **lines = NULL;
	size_t cap = 0, n = 0, len = 0;
	ssize_t got;
	int threads;
	struct work w[64];
	pthread_t tid[64];
	struct timespec t0, t1;
	long files = 0;

	if (argc != 3 || (threads = atoi(argv[2])) < 1 || threads > 64) {
		fprintf(stderr, "usage: lintfloor LIST THREADS (1-64)\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	while ((got = getline(&line, &len, f)) > 0) {
		if (line[got - 1] == '\n')
			line[got - 1] = '\0';
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			lines = realloc(lines, cap * sizeof(*lines));
			if (!lines)
				return 2;
		}
		lines[n++] = strdup(line);
	}
	fclose(f);
	free(line);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int t = 0; t < threads; t++) {
		w[t] = (struct work){ .lines = lines, .n = n,
				      .first = (size_t)t,
				      .step = (size_t)threads };
		if (t > 0 && pthread_create(&tid[t], NULL, run, &w[t]) != 0)
			return 2;
	}
	run(&w[0]);
	for (int t = 1; t < threads; t++)
		pthread_join(tid[t], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (int t = 0; t < threads; t++)
		files += w[t].files;
	fprintf(stderr, "lintfloor: %zu manifests, %ld data files found\n", n,
		files);
	printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) +
				 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
