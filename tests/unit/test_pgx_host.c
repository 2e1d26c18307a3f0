#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "pg/pgx_priv.h"

static void test_client_major(void **state)
{
	(void)state;
	assert_int_equal(pgx_client_major("pg_dump (PostgreSQL) 15.20 "
					  "(Debian 15.20-0+deb12u1)\n"), 15);
	assert_int_equal(pgx_client_major("psql (PostgreSQL) 17.2\n"), 17);
	assert_int_equal(pgx_client_major("pg_dump (PostgreSQL) 9.6.24"), 9);
	assert_int_equal(pgx_client_major("pg_dump (PostgreSQL) 16beta1"),
			 16);
	assert_int_equal(pgx_client_major("pg_dump 15.2"), -1);
	assert_int_equal(pgx_client_major("(PostgreSQL) x"), -1);
	assert_int_equal(pgx_client_major(""), -1);
}

static void test_server_major(void **state)
{
	(void)state;
	assert_int_equal(pgx_major(150004), 15);
	assert_int_equal(pgx_major(170000), 17);
	assert_int_equal(pgx_major(90624), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_major),
		cmocka_unit_test(test_server_major),
	};

	return cmocka_run_group_tests_name("pgx_host", tests, NULL, NULL);
}
