/* The global options, and the hand-over of `odooctl monitor` to its own
 * program. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/util.h"

int cmd_global_options(int argc, char **argv, struct global *g,
		       void (*usage)(FILE *), int *rc)
{
	int i;

	g->config_path = getenv("ODOOCTL_CONFIG");
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if ((!strcmp(a, "-c") || !strcmp(a, "--config")) &&
		    i + 1 < argc) {
			g->config_path = argv[++i];
		} else if (!strncmp(a, "--config=", 9)) {
			g->config_path = a + 9;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			log_set_level(LOG_QUIET);
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			log_set_level(LOG_VERBOSE);
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			*rc = EXIT_OK;
			return -1;
		} else if (!strcmp(a, "--version")) {
			printf("odooctl %s\n", ODOOCTL_VERSION);
			*rc = EXIT_OK;
			return -1;
		} else {
			log_error("unknown option '%s'", a);
			usage(stderr);
			*rc = EXIT_USAGE;
			return -1;
		}
	}
	if (!g->config_path || !*g->config_path)
		g->config_path = CONFIG_DEFAULT_PATH;
	return i;
}

void cmd_exec_monitor(char **argv)
{
	char self[PATH_MAX], *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0) {
		log_warn("cannot find odooctl's own path (%s): the monitor "
			 "runs in this process", strerror(errno));
		return;
	}
	self[n] = '\0';
	path = xasprintf("%s/odooctl-monitor", dirname(self));
	if (access(path, X_OK) == 0) {
		argv[0] = path;
		execv(path, argv);
	}
	log_warn("cannot run %s (%s): the monitor runs in this process, "
		 "with every library of odooctl loaded", path,
		 strerror(errno));
	free(path);
}
