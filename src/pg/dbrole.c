#include "pg/dbrole.h"
#include "core/log.h"
#include "pg/pg.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/*
 * Owned sequences (deptype a: serial, i: identity) follow their table;
 * extension members (deptype e) belong to the extension.
 */
static const char objects_fmt[] =
	"WITH own AS (SELECT oid FROM pg_roles WHERE rolname IN "
	"(%1$s, 'pg_database_owner')), "
	"sys AS (SELECT oid FROM pg_namespace WHERE nspname IN "
	"('pg_catalog', 'information_schema') OR nspname LIKE 'pg\\_toast%%' "
	"OR nspname LIKE 'pg\\_temp%%'), "
	"ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e') "
	"SELECT 'DATABASE' AS keyword, quote_ident(datname) AS ident "
	"FROM pg_database WHERE datname = current_database() "
	"AND datdba NOT IN (SELECT oid FROM own) "
	"UNION ALL SELECT 'SCHEMA', quote_ident(nspname) FROM pg_namespace n "
	"WHERE n.oid NOT IN (SELECT oid FROM sys) "
	"AND nspowner NOT IN (SELECT oid FROM own) "
	"AND (n.tableoid, n.oid) NOT IN (SELECT * FROM ext) "
	"UNION ALL SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' "
	"WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' "
	"WHEN 'S' THEN 'SEQUENCE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END, "
	"c.oid::regclass::text FROM pg_class c "
	"WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'c') "
	"AND c.relnamespace NOT IN (SELECT oid FROM sys) "
	"AND c.relowner NOT IN (SELECT oid FROM own) "
	"AND (c.tableoid, c.oid) NOT IN (SELECT * FROM ext) "
	"AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = "
	"c.tableoid AND d.objid = c.oid AND d.deptype IN ('a', 'i') AND "
	"d.refclassid = c.tableoid) "
	"UNION ALL SELECT 'ROUTINE', p.oid::regprocedure::text FROM pg_proc p "
	"WHERE p.pronamespace NOT IN (SELECT oid FROM sys) "
	"AND p.proowner NOT IN (SELECT oid FROM own) "
	"AND (p.tableoid, p.oid) NOT IN (SELECT * FROM ext) "
	"UNION ALL SELECT 'TYPE', t.oid::regtype::text FROM pg_type t "
	"WHERE t.typtype IN ('d', 'e', 'r') "
	"AND t.typnamespace NOT IN (SELECT oid FROM sys) "
	"AND t.typowner NOT IN (SELECT oid FROM own) "
	"AND (t.tableoid, t.oid) NOT IN (SELECT * FROM ext)";

char *dbrole_objects_sql(const char *role)
{
	char *lit = pgx_literal(role);
	char *sql = xasprintf(objects_fmt, lit);

	free(lit);
	return sql;
}

char *dbrole_count_sql(const char *role)
{
	char *objects = dbrole_objects_sql(role);
	char *sql = xasprintf("SELECT count(*), coalesce(min(keyword || ' ' "
			      "|| ident), '') FROM (%s) o", objects);

	free(objects);
	return sql;
}

char *dbrole_reown_sql(const char *role)
{
	char *objects = dbrole_objects_sql(role), *lit = pgx_literal(role);
	char *sql = xasprintf(
		"DO $odooctl$ DECLARE o record; n bigint := 0; BEGIN "
		"PERFORM set_config('lock_timeout', '30s', true); "
		"FOR o IN %s LOOP "
		"EXECUTE format('ALTER %%s %%s OWNER TO %%I', o.keyword, "
		"o.ident, %s); n := n + 1; END LOOP; "
		"PERFORM set_config('odooctl.moved', n::text, true); "
		"END $odooctl$; SELECT current_setting('odooctl.moved')",
		objects, lit);

	free(lit);
	free(objects);
	return sql;
}

int dbrole_reown(struct pgx *px, const char *db, const char *role,
		 long long *moved, char **cause)
{
	char *sql;
	int rc;

	if (!pgx_name_valid(role)) {
		*cause = xasprintf("'%s' is not a valid role name", role);
		return -1;
	}
	sql = dbrole_reown_sql(role);
	rc = pgx_query_ll(px, db, sql, moved, cause);
	free(sql);
	return rc;
}

int dbrole_ensure(const struct config_env *env, int set_password,
		  char **role, char **cause)
{
	return dbrole_ensure_on(NULL, env, set_password, role, cause);
}

int dbrole_ensure_on(struct pg *pg, const struct config_env *env,
		     int set_password, char **role, char **cause)
{
	struct pg *own = NULL;
	char *pw, *why = NULL;
	int created = 0, rc = -1;

	*role = config_db_owner(env);
	if (!strcmp(*role, env->db_user)) {
		free(*role);
		*role = NULL;
		return 0;
	}
	if (!pgx_name_valid(*role)) {
		*cause = xasprintf("ODOO_DB_USER '%s' is not a valid role name "
				   "(letters, digits, _ - .)", *role);
		return -1;
	}
	pw = config_db_owner_password(env, &why);
	if (!pw) {
		*cause = xasprintf("no password for role '%s': %s", *role,
				   why);
		free(why);
		return -1;
	}
	if (!pg)
		pg = own = pg_open(env, 10, NULL, cause);
	if (pg)
		rc = pg_role_ensure(pg, *role, pw, set_password, &created,
				    cause);
	pg_close(own);
	secret_free(pw);
	if (rc == 0 && created)
		log_info("created role '%s' (LOGIN CREATEDB NOSUPERUSER "
			 "NOCREATEROLE) for Odoo", *role);
	return rc;
}
