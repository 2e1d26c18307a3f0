#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/checks.h"
#include "core/util.h"

static const char STAT1[] =
	"cpu  100 0 50 800 50 0 0 0 0 0\n"
	"cpu0 50 0 25 400 25 0 0 0 0 0\n"
	"intr 12345\n";
static const char STAT2[] =
	"cpu  250 0 100 1500 150 0 0 0 0 0\n"
	"cpu0 125 0 50 750 75 0 0 0 0 0\n";

static void test_parse_stat(void **state)
{
	struct cpu_sample a, b;

	(void)state;
	assert_int_equal(checks_parse_stat(STAT1, &a), 0);
	assert_int_equal(a.total, 1000);
	assert_int_equal(a.idle, 850);
	assert_int_equal(checks_parse_stat(STAT2, &b), 0);
	assert_int_equal(b.total, 2000);
	assert_int_equal(b.idle, 1650);
	/* 1000 jiffies passed, 800 idle: 20 % busy */
	assert_true(checks_cpu_percent(&a, &b) > 19.99 &&
		    checks_cpu_percent(&a, &b) < 20.01);
	/* no time passed, or the counters went back: 0 */
	assert_true(checks_cpu_percent(&b, &a) == 0);
	assert_true(checks_cpu_percent(&a, &a) == 0);
	/* an old kernel with four fields */
	assert_int_equal(checks_parse_stat("cpu  1 2 3 4\n", &a), 0);
	assert_int_equal(a.total, 10);
	assert_int_equal(a.idle, 4);
	/* the per-CPU lines alone are not the aggregate */
	assert_int_equal(checks_parse_stat("cpu0 1 2 3 4\n", &a), -1);
	assert_int_equal(checks_parse_stat("cpu  1 2\n", &a), -1);
	assert_int_equal(checks_parse_stat("", &a), -1);
}

static void test_parse_meminfo(void **state)
{
	unsigned long long t = 0, a = 0;
	double pc;

	(void)state;
	assert_int_equal(checks_parse_meminfo(
		"MemTotal:        8000000 kB\n"
		"MemFree:          100000 kB\n"
		"MemAvailable:    2000000 kB\n"
		"Buffers:           10000 kB\n", &t, &a), 0);
	assert_int_equal(t, 8000000);
	assert_int_equal(a, 2000000);
	pc = checks_mem_percent(t, a);
	assert_true(pc > 74.99 && pc < 75.01);
	/* MemFree is not MemAvailable; a kernel without it is an error */
	assert_int_equal(checks_parse_meminfo(
		"MemTotal: 8000000 kB\nMemFree: 100000 kB\n", &t, &a), -1);
	assert_int_equal(checks_parse_meminfo(
		"MemAvailable: 1 kB\n", &t, &a), -1);
	assert_int_equal(checks_parse_meminfo(
		"MemTotal: 0 kB\nMemAvailable: 0 kB\n", &t, &a), -1);
	/* a key that only starts like another one does not match */
	assert_int_equal(checks_parse_meminfo(
		"MemTotalX: 5 kB\nMemTotal: 10 kB\nMemAvailable: 10 kB\n",
		&t, &a), 0);
	assert_int_equal(t, 10);
	assert_true(checks_mem_percent(t, a) == 0);
	assert_true(checks_mem_percent(10, 20) == 0);
}

static void test_thresholds(void **state)
{
	double pc;

	(void)state;
	assert_true(checks_below(79.4, 80));
	assert_false(checks_below(80.0, 80));
	assert_false(checks_below(99.0, 1));
	assert_true(checks_below(0.5, 1));
	/* df's arithmetic: 1000 blocks, 400 free, 300 of them for users:
	 * 600 used of 900 usable = 66.7 % */
	pc = checks_disk_percent(1000, 400, 300);
	assert_true(pc > 66.6 && pc < 66.7);
	assert_true(checks_disk_percent(0, 0, 0) == 0);
	/* the backup age */
	assert_true(checks_backup_fresh(1000, 1000 + 25 * 3600, 26));
	assert_false(checks_backup_fresh(1000, 1000 + 26 * 3600, 26));
	assert_false(checks_backup_fresh(0, 1000, 26));
	assert_true(checks_backup_fresh(0, 1000, 0));
}

static const char MOUNTINFO[] =
	"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
	"23 22 0:5 / /dev rw shared:2 - devtmpfs udev rw\n"
	"30 22 8:2 / /var/lib/docker rw shared:3 - xfs /dev/sdb1 rw\n"
	"31 22 8:3 / /var/lib/docker2 rw shared:4 - xfs /dev/sdc1 rw\n"
	"32 22 8:4 / /srv/my\\040backups rw shared:5 - ext4 /dev/sdd1 rw\n"
	"33 22 0:40 / /tmp rw shared:6 - tmpfs tmpfs rw";

static void test_mount_of(void **state)
{
	struct { const char *path, *mount; } cases[] = {
		{ "/var/lib/docker", "/var/lib/docker" },
		{ "/var/lib/docker/overlay2/x", "/var/lib/docker" },
		{ "/var/lib/docker2/x", "/var/lib/docker2" },
		{ "/var/lib/dockerx", "/" },
		{ "/srv/my backups/prod", "/srv/my backups" },
		{ "/tmp/odooctl-state", "/tmp" },	/* last line, no \n */
		{ "/etc", "/" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *m = checks_mount_of(MOUNTINFO, cases[i].path);

		assert_non_null(m);
		assert_string_equal(m, cases[i].mount);
		free(m);
	}
	assert_null(checks_mount_of("", "/x"));
	assert_null(checks_mount_of("garbage\n", "/x"));
}

static void test_results(void **state)
{
	struct results r = { 0 };

	(void)state;
	results_add(&r, "a", 1, xstrdup("1 ms"), NULL);
	assert_true(results_ok(&r));
	results_add(&r, "b", 0, NULL, xstrdup("down"));
	assert_false(results_ok(&r));
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].detail, "");
	assert_string_equal(r.v[1].value, "-");
	results_release(&r);
	assert_int_equal(r.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_parse_meminfo),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_mount_of),
		cmocka_unit_test(test_results),
	};

	return cmocka_run_group_tests_name("checks", tests, NULL, NULL);
}
