/* odooctl history [ENV] [--since AGE] [--limit N] [--verify] [--json] */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"

struct history_opts {
	int json;
	long since;	/* seconds, 0: no bound */
	long limit;	/* 0: no bound */
	const char *status;
	int verify;
};

static int on_opt(int opt, const char *arg, void *ctx)
{
	struct history_opts *o = ctx;
	char *end;

	switch (opt) {
	case 'j':
		o->json = 1;
		return 0;
	case 's':
		o->since = cmd_parse_age(arg);
		if (o->since < 0)
			log_error("--since '%s': expected a number and one of "
				  "s, m, h, d, w (e.g. 7d)", arg);
		return o->since < 0 ? -1 : 0;
	case 'n':
		o->limit = strtol(arg, &end, 10);
		if (*end || o->limit <= 0)
			log_error("--limit '%s': expected a positive number",
				  arg);
		return (*end || o->limit <= 0) ? -1 : 0;
	case 't':
		o->status = arg;
		return 0;
	case 'V':
		o->verify = 1;
		return 0;
	}
	return -1;
}

static int keep(const struct history_entry *e, const char *env,
		const struct history_opts *o, long now)
{
	if (strcmp(e->env, env))
		return 0;
	if (o->since && e->time < now - o->since)
		return 0;
	return !o->status || !strcmp(e->status, o->status);
}

/* history --verify: exit 0 intact, 1 with the first bad line named. */
static int verify(const struct config_env *env, int json)
{
	struct audit_result r;
	char *why = NULL;
	int rc;

	if (audit_verify(env->state_dir, &r, &why) < 0) {
		log_error("%s", why);
		free(why);
		return EXIT_FAILED;
	}
	rc = r.bad_line ? EXIT_FAILED : EXIT_OK;
	if (json) {
		json_t *o = json_pack("{s:b,s:I,s:I,s:s}", "ok", !r.bad_line,
				      "lines", (json_int_t)r.lines, "sealed",
				      (json_int_t)r.sealed, "head", r.head);

		if (r.bad_line) {
			json_object_set_new(o, "bad_line",
					    json_integer((json_int_t)r.bad_line));
			json_object_set_new(o, "reason", json_string(r.reason));
		}
		cmd_print_json(o, 0);
		json_decref(o);
	} else if (r.bad_line) {
		printf("FAILED: %s/history.log: %s\n", env->state_dir,
		       r.reason);
	} else {
		if (r.sealed)
			printf("chain started: %zu existing lines sealed as "
			       "they are\n", r.sealed);
		printf("OK: %s/history.log: %zu lines, chain head %s\n",
		       env->state_dir, r.lines, *r.head ? r.head : "-");
	}
	audit_result_release(&r);
	return rc;
}

static int run(const struct config_env *env, char **args, void *ctx)
{
	const struct history_opts *ho = ctx;
	struct history h;
	size_t skipped, n = 0, first, *idx;
	long now = (long)time(NULL);
	char *why = NULL;
	json_t *arr;

	(void)args;
	if (ho->verify)
		return verify(env, ho->json);
	if (history_load(env->state_dir, &h, &skipped, &why) < 0) {
		log_error("%s", why);
		free(why);
		return EXIT_FAILED;
	}
	if (skipped)
		log_warn("%zu malformed line%s in %s/history.log skipped",
			 skipped, skipped > 1 ? "s" : "", env->state_dir);
	idx = xcalloc(h.n + 1, sizeof(*idx));
	for (size_t i = 0; i < h.n; i++)
		if (keep(&h.e[i], env->name, ho, now))
			idx[n++] = i;
	arr = json_array();
	first = ho->limit && n > (size_t)ho->limit ? n - (size_t)ho->limit : 0;
	for (size_t k = first; k < n; k++) {
		struct history_entry *e = &h.e[idx[k]];
		char ts[21];

		time_iso8601(e->time, ts);
		if (ho->json)
			json_array_append_new(arr, json_pack(
				"{s:s,s:s,s:s,s:s,s:s}", "time", ts, "version",
				e->version, "env", e->env, "status", e->status,
				"operator", e->operator));
		else
			printf("%s | %s | %s | %s | %s\n", ts, e->version,
			       e->env, e->status, e->operator);
	}
	free(idx);
	if (ho->json)
		cmd_print_json(arr, 0);
	json_decref(arr);
	history_release(&h);
	return EXIT_OK;
}

static int exec_history(int argc, char **argv, struct global *g)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "since", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "status", required_argument, NULL, 't' },
		{ "verify", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 } };
	struct history_opts ho = { 0 };
	const struct cmd_args a = { opts, on_opt, &ho, 0, 1, 0, 0, run };

	return cmd_main(&cmd_history, argc, argv, &a, g);
}

const struct command cmd_history = {
	.name = "history",
	.usage = "[ENV] [--since AGE] [--limit N] [--status S] [--verify] "
		 "[--json]",
	.summary = "The deploy history of an environment, oldest first.",
	.help =
	"Options:\n"
	"  -s, --since AGE    only events younger than AGE (30m, 12h, 7d, 2w)\n"
	"  -n, --limit N      only the newest N events\n"
	"  -t, --status S     only events with status S (started, success,\n"
	"                     failed, rolled_back, rollback, recovered; and\n"
	"                     backup_, restore_, verify_, drill_ + ok, failed\n"
	"                     or refused)\n"
	"  -V, --verify       check history.log against history.log.chain\n"
	"                     (a sha256 chain written with every line): exit\n"
	"                     0 and OK when intact, 1 naming the first\n"
	"                     edited, deleted, inserted or reordered line.\n"
	"                     A history.log without a chain is sealed as it\n"
	"                     is by the first verify or append.\n"
	"  -j, --json         machine-readable output\n",
	.exec = exec_history,
};
