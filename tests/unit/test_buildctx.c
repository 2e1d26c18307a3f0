/* lib/buildctx.c: what goes into the build context tar, and how. */
#include <archive.h>
#include <archive_entry.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/buildctx.h"
#include "core/util.h"

static const char ignore_file[] =
	"# a comment line\n"
	".git\n"
	"**/*.pyc\n"
	"  **/__pycache__  \n"
	"docker-compose.dev.yml\n"
	"README.md\n"
	"/logs/\n"
	"!logs/keep.log\n"
	"data/*.tmp\n"
	"./notes?.txt\n"
	"[ab]x.cfg\n"
	"Dockerfile\n"
	"\n";

static const char *const files[] = {
	"Dockerfile", "addons/m/__init__.py", "addons/m/__init__.pyc",
	"addons/m/__pycache__/x.cpython.pyc", "addons/m/README.md",
	"README.md", ".git/config", "logs/a.log", "logs/keep.log",
	"data/x.tmp", "data/sub/y.tmp", "notes1.txt", "notes12.txt",
	"ax.cfg", "cx.cfg", "docker-compose.dev.yml", "emptydir/",
};

static const char *const kept[] = {
	".dockerignore", "Dockerfile", "addons", "addons/m",
	"addons/m/__init__.py", "addons/m/README.md", "logs/keep.log",
	"data", "data/sub", "data/sub/y.tmp", "notes12.txt", "cx.cfg",
	"emptydir", "link",
};

static int setup(void **state)
{
	char *dir = xstrdup("/tmp/odooctl-test-buildctx-XXXXXX");

	assert_non_null(mkdtemp(dir));
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", (char *)*state);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(*state);
	return 0;
}

static void make_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name), *why = NULL;
	char *slash = strrchr(path, '/');

	*slash = '\0';
	assert_int_equal(mkdir_p(path, 0755, &why), 0);
	*slash = '/';
	if (slash[1])
		assert_int_equal(file_write_atomic(path, text, strlen(text),
						   0644, &why), 0);
	free(path);
}

static void make_tree(const char *dir)
{
	char *p;

	make_file(dir, ".dockerignore", ignore_file);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		make_file(dir, files[i], files[i]);
	p = xasprintf("%s/link", dir);
	assert_int_equal(symlink("addons", p), 0);
	free(p);
	p = xasprintf("%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	free(p);
}

static int listed(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
		if (!strcmp(kept[i], name))
			return 1;
	return 0;
}

/* Checks every entry of the tar and returns how many there were. */
static size_t check_tar(const struct buf *tar)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t n = 0;

	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_memory(a, tar->data, tar->len),
			 ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		char *name = xstrdup(archive_entry_pathname(e));
		size_t len = strlen(name);

		if (len && name[len - 1] == '/')	/* directories */
			name[len - 1] = '\0';
		if (!listed(name))
			fail_msg("'%s' should not be in the context", name);
		assert_int_equal(archive_entry_uid(e), 0);
		assert_int_equal(archive_entry_gid(e), 0);
		if (!strcmp(name, "link")) {
			assert_int_equal(archive_entry_filetype(e), AE_IFLNK);
			assert_string_equal(archive_entry_symlink(e), "addons");
		}
		free(name);
		n++;
	}
	archive_read_free(a);
	return n;
}

static void test_dockerignore(void **state)
{
	const char *dir = *state;
	char *slashed = xasprintf("%s/", dir), *why = NULL;
	struct buf tar;

	make_tree(dir);
	buf_init(&tar, 1 << 20);
	assert_int_equal(buildctx_tar(slashed, "Dockerfile", &tar, &why), 0);
	assert_int_equal(check_tar(&tar), ARRAY_SIZE(kept));
	buf_release(&tar);
	free(slashed);
}

static void test_too_large(void **state)
{
	const char *dir = *state;
	char *big = xmalloc(64 << 10), *why = NULL;
	struct buf tar;

	memset(big, 'x', 64 << 10);
	big[(64 << 10) - 1] = '\0';
	make_file(dir, "Dockerfile", "FROM scratch\n");
	make_file(dir, "big", big);
	buf_init(&tar, 32 << 10);
	assert_int_equal(buildctx_tar(dir, "Dockerfile", &tar, &why), -1);
	assert_non_null(strstr(why, "cannot pack the build context '"));
	assert_non_null(strstr(why, "larger than 32768 bytes"));
	assert_true(tar.len <= 32 << 10);
	buf_release(&tar);
	free(why);
	free(big);
}

static void test_missing_dir(void **state)
{
	struct buf tar;
	char *why = NULL;

	(void)state;
	buf_init(&tar, 1 << 20);
	assert_int_equal(buildctx_tar("/nonexistent/odooctl-ctx", "Dockerfile",
				      &tar, &why), -1);
	assert_string_equal(why, "cannot pack the build context "
			    "'/nonexistent/odooctl-ctx': No such file or "
			    "directory");
	buf_release(&tar);
	free(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dockerignore, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_too_large, setup,
						teardown),
		cmocka_unit_test(test_missing_dir),
	};

	return cmocka_run_group_tests_name("buildctx", tests, NULL, NULL);
}
