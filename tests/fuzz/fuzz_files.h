/*
 * For the fuzz targets that feed a parser through a file, as odooctl reads
 * it: a scratch directory made once per process (removed at exit), and a
 * helper that writes bytes into a file of it.
 */
#ifndef ODOOCTL_FUZZ_FILES_H
#define ODOOCTL_FUZZ_FILES_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[64];

static void fuzz_dir_remove(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: cannot remove %s\n", fuzz_dir);
}

static const char *fuzz_scratch(void)
{
	if (!fuzz_dir[0]) {
		strcpy(fuzz_dir, "/tmp/odooctl-fuzz-XXXXXX");
		if (!mkdtemp(fuzz_dir))
			abort();
		atexit(fuzz_dir_remove);
	}
	return fuzz_dir;
}

/* Writes n bytes as dir/name (absent when n is (size_t)-1). */
static void fuzz_file(const char *name, const void *p, size_t n)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fuzz_scratch(), name);
	unlink(path);
	if (n == (size_t)-1)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n))
		abort();
	close(fd);
}

#endif
