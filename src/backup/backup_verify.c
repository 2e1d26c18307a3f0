/*
 * Does a backup restore? Its checksum, then a real restore of dump.sql
 * into a scratch database (psql, ON_ERROR_STOP, the dump must be whole),
 * the filestore read through its CRCs, and checks of what came back: the
 * rows of every table against the dump's, the installed modules against
 * the manifest, every ir_attachment.store_fname in the filestore. The
 * scratch database is dropped; the verdict goes into the metadata.
 */
#include "backup/backup_priv.h"
#include "backup/backup_zip.h"
#include "core/log.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * ONLY: Odoo's schema uses table inheritance (ir_act_window and the other
 * actions inherit ir_actions), where count(*) of a parent counts its
 * children's rows too, while pg_dump writes each table's own rows.
 */
static const char counts_sql[] =
	"SELECT coalesce(json_object_agg(quote_ident(schemaname) || '.' || "
	"quote_ident(tablename), (xpath('/row/n/text()', query_to_xml(format("
	"'SELECT count(*) AS n FROM ONLY %I.%I', schemaname, tablename), "
	"false, true, '')))[1]::text::bigint), '{}') FROM pg_tables WHERE "
	"schemaname NOT IN ('pg_catalog', 'information_schema')";

static const char has_store_fname_sql[] =
	"SELECT count(*) FROM information_schema.columns WHERE table_schema = "
	"'public' AND table_name = 'ir_attachment' AND column_name = "
	"'store_fname'";

static const char store_fnames_sql[] =
	"SELECT coalesce(json_agg(DISTINCT store_fname), '[]') FROM "
	"ir_attachment WHERE store_fname IS NOT NULL";

struct verify {
	struct pgx px;
	struct backup_load l;
	json_t *meta;
	json_t *checks;		/* name -> "ok" or what is wrong */
	char *detail;		/* the first thing wrong */
};

static void note(struct verify *v, const char *check, char *problem)
{
	json_object_set_new(v->checks, check,
			    json_string(problem ? problem : "ok"));
	if (problem)
		log_info("check %-11s FAILED: %s", check, problem);
	else
		log_info("check %-11s ok", check);
	if (problem && !v->detail)
		v->detail = xasprintf("%s: %s", check, problem);
	free(problem);
}

/* Rows restored against rows dumped, table by table. */
static char *check_tables(struct verify *v, json_t *restored)
{
	json_t *recorded = json_object_get(json_object_get(v->meta, "dump"),
					   "rows");
	const char *t;
	json_t *n;

	json_object_foreach(v->l.scan.tables, t, n) {
		json_t *got = json_object_get(restored, t);

		if (!got || json_integer_value(got) != json_integer_value(n))
			return xasprintf("table %s has %lld rows, the dump "
					 "%lld", t, got ? (long long)
					 json_integer_value(got) : -1LL,
					 (long long)json_integer_value(n));
	}
	if (recorded && !json_equal(recorded, v->l.scan.tables))
		return xstrdup("the dump's rows differ from those recorded at "
			       "backup time");
	return NULL;
}

static char *check_modules(struct verify *v)
{
	json_t *want = json_object_get(v->l.manifest, "modules"), *got;
	char *why = NULL, *r = NULL;

	if (!want)
		return xstrdup("the zip has no manifest.json with modules");
	got = backup_db_modules(&v->px, v->l.db, &why);
	if (!got)
		return why;
	if (!json_equal(got, want))
		r = xasprintf("ir_module_module has %zu installed modules, "
			      "the manifest %zu (or their versions differ)",
			      json_object_size(got), json_object_size(want));
	json_decref(got);
	return r;
}

static char *check_attachments(struct verify *v)
{
	long long has = 0;
	json_t *names, *n;
	char *why = NULL, *r = NULL;
	size_t i, missing = 0;

	if (pgx_query_ll(&v->px, v->l.db, has_store_fname_sql, &has,
			 &why) < 0)
		return why;
	if (!has)
		return NULL;
	names = backup_query_json(&v->px, v->l.db, store_fnames_sql, &why);
	if (!names)
		return why;
	json_array_foreach(names, i, n)
		if (!json_object_get(v->l.files, json_string_value(n)) &&
		    !missing++)
			r = xasprintf("'%s'", json_string_value(n));
	if (missing) {
		char *s = xasprintf("%zu of %zu ir_attachment files are not in "
				    "the filestore (first: %s)", missing,
				    json_array_size(names), r);

		free(r);
		r = s;
	}
	json_decref(names);
	return r;
}

static char *check_filestore(struct verify *v)
{
	json_t *want = json_object_get(json_object_get(v->meta, "filestore"),
				       "files");

	if (want && json_integer_value(want) !=
		    (json_int_t)json_object_size(v->l.files))
		return xasprintf("%zu files, %lld recorded at backup time",
				 json_object_size(v->l.files),
				 (long long)json_integer_value(want));
	return NULL;
}

static void run_checks(struct verify *v)
{
	char *why = NULL;
	json_t *counts = backup_query_json(&v->px, v->l.db, counts_sql, &why);

	note(v, "tables", counts ? check_tables(v, counts) : why);
	json_decref(counts);
	note(v, "modules", check_modules(v));
	note(v, "attachments", check_attachments(v));
	note(v, "filestore", check_filestore(v));
}

static json_t *verdict_make(struct verify *v, const char *zip)
{
	char ts[21];

	time_iso8601((long)time(NULL), ts);
	log_phase("verify of %s: %s", zip, v->detail ? "FAILED" : "passed");
	return json_pack("{s:b,s:s,s:O,s:o}", "ok", !v->detail, "at", ts,
			 "checks", v->checks, "detail", v->detail ?
			 json_string(v->detail) : json_null());
}

/* The restore into scratch and the checks; the scratch is dropped. */
static int restore_and_check(struct verify *v, struct docker *d,
			     const struct config_env *env, const char *zip,
			     char **cause)
{
	char *scratch = backup_db_scratch("odooctl_verify_", env->name);
	char *why = NULL;
	int rc = pgx_open(d, env, &v->px, cause);

	if (rc < 0)
		goto out;
	v->l.px = &v->px;
	v->l.db = scratch;
	v->l.meta = v->meta;
	if (pgx_db_drop(&v->px, scratch, cause) < 0) {
		rc = -1;
		goto out;
	}
	log_phase("restore into scratch database '%s'", scratch);
	if (backup_load_run(&v->l, zip, &why) < 0)
		note(v, "restore", why);
	else
		run_checks(v);
	why = NULL;
	docker_set_cancel(d, NULL);	/* even after a signal */
	if (pgx_db_drop(&v->px, scratch, &why) < 0) {
		log_warn("the scratch database '%s' is left: %s", scratch, why);
		free(why);
	}
out:
	free(scratch);
	return rc;
}

int backup_verify(struct docker *d, const struct config_env *env,
		  const char *zip, json_t **verdict, char **cause)
{
	struct verify v = { .checks = json_object() };
	char *why = NULL;
	int rc = 0;

	*verdict = NULL;
	log_phase("verify %s", zip);
	v.meta = backup_meta_load(zip, &why);
	if (why)
		note(&v, "metadata", why);
	else if (!v.meta)
		log_warn("'%s' has no metadata: no checksum to check, and no "
			 "verdict will be recorded", zip);
	why = NULL;
	if (!v.detail && backup_zip_check(zip, v.meta, &why) < 0)
		note(&v, "checksum", why);
	else if (!v.detail)
		note(&v, "checksum", NULL);
	if (!v.detail)
		rc = restore_and_check(&v, d, env, zip, cause);
	if (rc == 0) {
		*verdict = verdict_make(&v, zip);
		if (v.meta) {
			json_object_set(v.meta, "verified", *verdict);
			if (backup_meta_save(zip, v.meta, &why) < 0) {
				log_warn("verdict not recorded: %s", why);
				free(why);
			}
		}
	}
	backup_load_release(&v.l);
	pgx_close(&v.px);
	json_decref(v.meta);
	json_decref(v.checks);
	free(v.detail);
	return rc;
}
