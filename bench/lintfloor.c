/*
 * bench/lintfloor: the kernel's share of `odooctl lint` on a tree, the
 * floor under any linter that checks what Odoo 19's rules ask for.
 *
 *   lintfloor LIST THREADS
 *
 * LIST holds one line per addon: its manifest's path, then a tab and the
 * path of each data/demo file it lists. Once LIST is in memory (not
 * timed), THREADS threads (taking 64 addons at a time from a shared
 * counter, as lint's batches do) make the system calls lint makes per
 * addon and nothing else: open, one read (more only when the first fills
 * the 16 KB buffer) and close of each manifest; for a directory from which
 * the addon lists 4 or more files, open, getdents64 until each of them is
 * seen (or the end), close (src/lint/manifest_files.c); a stat for each
 * other file. No parsing, no rule, no output but the time of that part,
 * in seconds.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LIST_MIN 4	/* manifest_files.h's MANIFEST_FILES_LIST_MIN */
#define CHUNK 64	/* lint.c's LINT_CHUNK */

struct work {
	char **lines;
	size_t n;
	atomic_size_t *next;
	long files;
};

static size_t dir_len(const char *p)
{
	const char *slash = strrchr(p, '/');

	return slash ? (size_t)(slash - p) : 0;
}

/* Whether each of the files f[0..n) in one directory is in it. */
static long list_dir(char **f, size_t n)
{
	char dir[4096], buf[32768];
	size_t len = dir_len(f[0]), left = n;
	long found = 0;
	ssize_t got;
	int fd;

	memcpy(dir, f[0], len);
	dir[len] = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (left > 0 && (got = getdents64(fd, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < got && left > 0;) {
			const struct dirent64 *d = (void *)(buf + off);

			for (size_t i = 0; i < n; i++)
				if (!strcmp(f[i] + len + 1, d->d_name)) {
					found++;
					left--;
				}
			off += d->d_reclen;
		}
	close(fd);
	return found;
}

static long data_files(char **f, size_t n)
{
	long found = 0;
	char *done = calloc(n ? n : 1, 1);

	for (size_t i = 0; i < n; i++) {
		size_t same = 0;
		struct stat st;
		char **group;

		if (done[i])
			continue;
		for (size_t j = i; j < n; j++)
			same += dir_len(f[j]) == dir_len(f[i]) &&
				!memcmp(f[j], f[i], dir_len(f[i]));
		if (same < LIST_MIN) {
			found += stat(f[i], &st) == 0;
			continue;
		}
		group = malloc(same * sizeof(*group));
		for (size_t j = i, k = 0; j < n; j++)
			if (dir_len(f[j]) == dir_len(f[i]) &&
			    !memcmp(f[j], f[i], dir_len(f[i]))) {
				group[k++] = f[j];
				done[j] = 1;
			}
		found += list_dir(group, same);
		free(group);
	}
	free(done);
	return found;
}

static void addon(struct work *w, char *line)
{
	char buf[16384], *files[4096], *p, *tab = strchr(line, '\t');
	size_t n = 0;
	int fd;

	if (tab)
		*tab = '\0';
	fd = open(line, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		while (read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
			;
		close(fd);
	}
	for (p = tab ? tab + 1 : NULL; p && *p && n < 4096;) {
		char *next = strchr(p, '\t');

		if (next)
			*next = '\0';
		files[n++] = p;
		p = next ? next + 1 : NULL;
	}
	w->files += data_files(files, n);
}

static void *run(void *arg)
{
	struct work *w = arg;
	size_t i, end;

	while ((i = atomic_fetch_add(w->next, CHUNK)) < w->n)
		for (end = w->n - i < CHUNK ? w->n : i + CHUNK; i < end; i++)
			addon(w, w->lines[i]);
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
	atomic_size_t next = 0;

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
		w[t] = (struct work){ .lines = lines, .n = n, .next = &next };
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
