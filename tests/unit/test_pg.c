/*
 * pg.c's probes (pg_check over libpq) against servers that never finish
 * a login: one that accepts and stays silent, for the deadline and the
 * cancel flag (the real servers, every sslmode and authentication: t0745).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pg/pg.h"
#include "core/util.h"

/* A listener on 127.0.0.1 whose backlog completes the connections it
 * never accepts: libpq sends its first request and waits. */
static int silent_server(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 8) || getsockname(fd, (struct sockaddr *)&sa, &len))
		abort();
	*port = ntohs(sa.sin_port);
	return fd;
}

struct env_files {
	char dir[64];
	char *password;
};

static void env_init(struct config_env *env, struct env_files *f, int port)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/odooctl-test-pg-XXXXXX");
	if (!mkdtemp(f->dir))
		abort();
	f->password = xasprintf("%s/password", f->dir);
	assert_int_equal(file_write_atomic(f->password, "pw\n", 3, 0600,
					   NULL), 0);
	memset(env, 0, sizeof(*env));
	env->db_host = "127.0.0.1";
	env->db_port = port;
	env->db_user = "u";
	env->db_name = "postgres";
	env->db_password_file = f->password;
}

static void env_release(struct env_files *f)
{
	unlink(f->password);
	rmdir(f->dir);
	free(f->password);
}

static void test_deadline(void **state)
{
	struct config_env env;
	struct env_files f;
	int port, fd = silent_server(&port);
	long long start = clock_ms();
	char *cause = NULL;

	(void)state;
	env_init(&env, &f, port);
	assert_int_equal(pg_check(&env, NULL, 1, NULL, &cause), -1);
	assert_true(clock_ms() - start >= 990);
	assert_true(clock_ms() - start < 2500);
	assert_true(str_starts_with(cause, "cannot connect to PostgreSQL "
				    "database 'postgres' at 127.0.0.1:"));
	assert_non_null(strstr(cause, ": timeout expired"));
	assert_null(strstr(cause, "pw"));
	free(cause);
	env_release(&f);
	close(fd);
}

static volatile sig_atomic_t cancel_flag;

static void on_alarm(int sig)
{
	(void)sig;
	cancel_flag = 1;
}

/* A deploy's SIGTERM handler sets the flag (here SIGALRM's, 200 ms in):
 * the probe gives up at once, not at its deadline. */
static void test_cancel(void **state)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval in200ms = { .it_value = { .tv_usec = 200000 } };
	struct config_env env;
	struct env_files f;
	int port, fd = silent_server(&port);
	long long start = clock_ms();
	char *cause = NULL;

	(void)state;
	env_init(&env, &f, port);
	cancel_flag = 0;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &in200ms, NULL);
	assert_int_equal(pg_check(&env, NULL, 10, &cancel_flag, &cause), -1);
	assert_true(clock_ms() - start < 1500);
	assert_non_null(strstr(cause, ": cancelled"));
	free(cause);
	env_release(&f);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
