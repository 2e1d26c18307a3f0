/*
 * odooctl lint [PATH...] [--json] [--env ENV] [--severity LEVEL]
 *              [--no-python] [--no-files] [--since REF] | --dump FILE
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "lint/lint.h"
#include "lint/lint_version.h"
#include "core/log.h"
#include "lint/manifest.h"
#include "python/pyliteral.h"
#include "core/util.h"

struct lint_opts {
	int json;
	int no_python;
	int no_files;
	const char *severity_arg;
	int severity;		/* the least severe finding that fails */
	const char *env;
	const char *dump;
	const char *since;	/* lint_version.h */
};

static int on_opt(int opt, const char *arg, void *ctx)
{
	struct lint_opts *o = ctx;

	switch (opt) {
	case 'j':
		o->json = 1;
		return 0;
	case 'P':
		o->no_python = 1;
		return 0;
	case 'F':
		o->no_files = 1;
		return 0;
	case 's':
		o->severity_arg = arg;
		return 0;
	case 'e':
		o->env = arg;
		return 0;
	case 'D':
		o->dump = arg;
		return 0;
	case 'S':
		o->since = arg;
		return 0;
	}
	return -1;
}

/* --dump FILE: the parsed literal as canonical JSON, for the corpus test. */
static int dump(const char *path)
{
	struct pyliteral_error err;
	struct pyliteral *doc;
	char *src, *why = NULL, *json;
	size_t len;

	src = file_read(path, MANIFEST_MAX_SIZE, &len, &why);
	if (!src) {
		log_error("%s", why);
		free(why);
		return EXIT_USAGE;
	}
	doc = pyliteral_parse(src, len, &err);
	free(src);
	if (!doc) {
		log_error("%s:%d:%d: %s", path, err.line, err.col, err.msg);
		return EXIT_FAILED;
	}
	json = pyval_canonical_json(pyliteral_root(doc));
	printf("%s\n", json);
	free(json);
	pyliteral_free(doc);
	return EXIT_OK;
}

/* Notes are shown only when they fail: --severity note. */
static int shown(const struct lint_finding *f, int severity)
{
	return f->severity != LINT_NOTE || severity == LINT_NOTE;
}

static void print_json(const struct lint_report *r, int severity)
{
	json_t *all = json_array(), *top;

	for (size_t i = 0; i < r->n; i++)
		if (shown(&r->v[i], severity))
			json_array_append_new(all, json_pack(
				"{s:s,s:i,s:i,s:s,s:s,s:s}", "file",
				r->v[i].file, "line", r->v[i].line, "col",
				r->v[i].col, "severity",
				lint_severity_name(r->v[i].severity), "rule",
				r->v[i].rule, "message", r->v[i].message));
	top = json_pack("{s:I,s:o,s:o}", "addons", (json_int_t)r->addons,
			"python_files", r->py_files < 0 ? json_null() :
			json_integer(r->py_files), "findings", all);
	cmd_print_json(top, 0);
	json_decref(top);
}

static void print_report(const struct lint_report *r, int json, int severity)
{
	size_t errors = lint_report_count(r, LINT_ERROR);
	size_t warnings = lint_report_count(r, LINT_WARNING) - errors;
	size_t notes = r->n - errors - warnings;

	if (json)
		print_json(r, severity);
	for (size_t i = 0; !json && i < r->n; i++)
		if (shown(&r->v[i], severity))
			printf("%s:%d:%d: %s: %s: %s\n", r->v[i].file,
			       r->v[i].line, r->v[i].col,
			       lint_severity_name(r->v[i].severity),
			       r->v[i].rule, r->v[i].message);
	if (r->py_files == -1)
		log_warn("python3 not found: the addons' Python files were "
			 "not compiled");
	log_info("%zu addon%s, %ld Python file%s compiled, %zu error%s, "
		 "%zu warning%s, %zu note%s%s", r->addons,
		 r->addons == 1 ? "" : "s", r->py_files > 0 ? r->py_files : 0,
		 r->py_files == 1 ? "" : "s", errors, errors == 1 ? "" : "s",
		 warnings, warnings == 1 ? "" : "s", notes,
		 notes == 1 ? "" : "s", notes && severity != LINT_NOTE ?
		 " (not shown: --severity note)" : "");
}

/* The addons of the configured build context, when no PATH is given. */
static char *default_path(const struct global *g, const char *env_name)
{
	const struct config_env *env;
	struct config cfg;
	char *path = NULL;

	if (cmd_load_config(g, &cfg) != EXIT_OK)
		return NULL;
	env = cmd_env(&cfg, env_name);
	if (env)
		path = xasprintf("%s/addons", env->build_context);
	config_release(&cfg);
	return path;
}

static int run_lint(const char *const *paths, size_t n,
		    const struct lint_opts *o)
{
	struct lint_report r;
	char *why = NULL;
	int rc;

	lint_report_init(&r);
	rc = lint_paths(paths, n, (o->no_python ? 0 : LINT_PYTHON) |
			(o->no_files ? 0 : LINT_FILES), &r, &why);
	if (rc == 0 && o->since)
		rc = lint_version_since(paths, n, o->since, &r, &why);
	if (rc < 0) {
		log_error("%s", why);
		free(why);
		lint_report_release(&r);
		return rc == -1 ? EXIT_USAGE : EXIT_FAILED;
	}
	lint_report_sort(&r);
	print_report(&r, o->json, o->severity);
	rc = lint_report_count(&r, o->severity) ? EXIT_FAILED : EXIT_OK;
	lint_report_release(&r);
	return rc;
}

static int exec_lint(int argc, char **argv, struct global *g)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "env", required_argument, NULL, 'e' },
		{ "severity", required_argument, NULL, 's' },
		{ "no-python", no_argument, NULL, 'P' },
		{ "no-files", no_argument, NULL, 'F' },
		{ "dump", required_argument, NULL, 'D' },
		{ "since", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 } };
	struct lint_opts o = { .severity = LINT_WARNING };
	char *path;
	int done, rc;

	if (cmd_getopt(&cmd_lint, argc, argv, opts, &done, on_opt, &o) < 0)
		return EXIT_USAGE;
	if (done)
		return EXIT_OK;
	if (o.severity_arg &&
	    (o.severity = lint_severity_parse(o.severity_arg)) < 0) {
		log_error("lint: unknown severity '%s' (error, warning or "
			  "note)", o.severity_arg);
		return EXIT_USAGE;
	}
	if (o.dump && optind < argc) {
		cmd_usage_error(&cmd_lint);
		return EXIT_USAGE;
	}
	if (o.dump)
		return dump(o.dump);
	if (optind < argc)
		return run_lint((const char *const *)argv + optind,
				(size_t)(argc - optind), &o);
	path = default_path(g, o.env);
	if (!path)
		return EXIT_USAGE;
	rc = run_lint((const char *const *)&path, 1, &o);
	free(path);
	return rc;
}

const struct command cmd_lint = {
	.name = "lint",
	.usage = "[PATH...] [--json] [--env ENV] [--severity LEVEL] "
		 "[--no-python] [--no-files] [--since REF] | --dump FILE",
	.summary = "Check the addons' manifests against what Odoo 19 does.",
	.help =
	"PATH is an addons directory or one addon's directory; without one,\n"
	"the addons of the environment's build_context. Every manifest is\n"
	"parsed as Odoo parses it (a Python literal, without Python), then\n"
	"held to what Odoo 19 does with it. A finding's severity is Odoo's:\n"
	"error: it refuses or skips the addon (or what it names); warning:\n"
	"it logs a warning; note: it does nothing, yet it is a known trap.\n"
	"  syntax, manifest-type  E  a literal dict (or list of pairs)\n"
	"  addon-name             E  the directory's name is a module name\n"
	"  version                E  19.0.x.y.z, or x.y / x.y.z (prefixed)\n"
	"  depends                E  module names, each on the addons path\n"
	"                            or a module of Odoo 19\n"
	"  depends-cycle          E  no dependency cycle\n"
	"  auto_install           E  True, False or a subset of depends\n"
	"  license                E  one Odoo 19 accepts; W when unset\n"
	"  author                 W  set\n"
	"  data-file              E  data files exist (.xml .csv .sql .js);\n"
	"                            W for demo files\n"
	"  external-dependencies  E  python: PEP 508 names, bin: names\n"
	"  type                   E  category, description, contributors,\n"
	"                            countries, icon, hooks, sequence\n"
	"  assets                 E  a dict of bundles of paths and\n"
	"                            directives; a file that is not there;\n"
	"                            W a glob matching nothing; N an\n"
	"                            include of an unknown bundle\n"
	"  deprecated-key         W  init_xml\n"
	"  ignored-key            N  update_xml, demo_xml, qweb, js, css,\n"
	"                            active\n"
	"  name                   N  set\n"
	"  version-bump           W  with --since REF: models, data or\n"
	"                            views changed since the git revision\n"
	"                            REF but the version did not (under\n"
	"                            upgrade_trigger = version the addon\n"
	"                            would not be upgraded)\n"
	"  python-syntax          E  the .py files compile (python3 -m\n"
	"                            py_compile, when python3 is installed)\n"
	"Each rule's line of Odoo 19: doc/lint.md. One line per finding,\n"
	"sorted: FILE:LINE:COL: SEVERITY: RULE: MESSAGE.\n\n"
	"Options:\n"
	"  -j, --json            machine-readable output\n"
	"  -e, --env ENV         the environment whose build_context to lint\n"
	"  -s, --severity LEVEL  error, warning (default) or note: findings\n"
	"                        of LEVEL or above fail (exit 1); warnings\n"
	"                        are shown at any level, notes only at note\n"
	"  -P, --no-python       do not compile the Python files\n"
	"  -F, --no-files        do not look for the data, demo and asset\n"
	"                        files manifests name (a tree of manifests\n"
	"                        only, such as Odoo's in shared/odoo19)\n"
	"  -S, --since REF       compare with the git revision REF (a PR\n"
	"                        check: --since origin/main): version-bump\n"
	"  -D, --dump FILE       print FILE's literal as canonical JSON (what\n"
	"                        the corpus test compares with Python)\n\n"
	"Exit status: 0 no finding of LEVEL or above, 1 some, 2 usage error.\n",
	.exec = exec_lint,
};
