/* odooctl backups [ENV] [--json] */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "core/util.h"

static const char *verdict(int v)
{
	return v == 1 ? "passed" : v == 0 ? "FAILED" : "-";
}

static json_t *item_json(const struct backup_item *it)
{
	char ts[21];
	json_t *o;

	time_iso8601(it->created, ts);
	o = json_pack("{s:s,s:s,s:s,s:I,s:o}", "name", it->name, "path",
		      it->zip, "created_at", ts, "size", (json_int_t)it->size,
		      "verified", it->verified < 0 ? json_null() :
				  json_boolean(it->verified));
	json_object_set(o, "trigger", json_object_get(it->meta, "trigger") ?
			json_object_get(it->meta, "trigger") : json_null());
	json_object_set(o, "release", json_object_get(it->meta, "release") ?
			json_object_get(it->meta, "release") : json_null());
	json_object_set(o, "metadata", it->meta ? it->meta : json_null());
	return o;
}

static void print_human(const struct backup_list *l)
{
	printf("%-32s %-20s %-11s %10s  %s\n", "NAME", "CREATED", "TRIGGER",
	       "SIZE", "VERIFIED");
	for (size_t i = 0; i < l->n; i++) {
		const struct backup_item *it = &l->items[i];
		const char *trig = json_string_value(json_object_get(it->meta,
								     "trigger"));
		char ts[21], size[32];

		time_iso8601(it->created, ts);
		fmt_bytes(it->size, size);
		printf("%-32s %-20s %-11s %10s  %s\n", it->name, ts,
		       trig ? trig : it->meta ? "-" : "(no metadata)", size,
		       verdict(it->verified));
	}
}

static int run(const struct config_env *env, char **args, void *ctx)
{
	struct backup_list l;
	char *why = NULL;
	int json = *(int *)ctx, rc;

	(void)args;
	if (backup_list_load(env->backup_dir, env->name, &l, &why) < 0) {
		log_error("%s", why);
		free(why);
		rc = EXIT_FAILED;
	} else {
		json_t *arr = json_array();

		for (size_t i = 0; json && i < l.n; i++)
			json_array_append_new(arr, item_json(&l.items[i]));
		if (json)
			cmd_print_json(arr, 0);
		else
			print_human(&l);
		json_decref(arr);
		backup_list_release(&l);
		rc = EXIT_OK;
	}
	return rc;
}

static int exec_backups(int argc, char **argv, struct global *g)
{
	int json = 0;
	const struct cmd_args a = { cmd_json_opts, cmd_json_option, &json,
				    0, 1, 0, 0, run };

	return cmd_main(&cmd_backups, argc, argv, &a, g);
}

const struct command cmd_backups = {
	.name = "backups",
	.usage = "[ENV] [--json]",
	.summary = "The backups of an environment, newest first.",
	.help =
	"Lists the zips in backup_dir named <ENV>-<UTC time>.zip with their\n"
	"creation time, trigger, size and the verdict of the last verify.\n\n"
	"Options:\n"
	"  -j, --json   machine-readable output (with each backup's metadata)\n",
	.exec = exec_backups,
};
