/*
 * odooctl-monitor: `odooctl monitor` as a program of its own. It links the
 * checks, the alerts and the /metrics server, and nothing of odooctl's
 * commands: libcurl (HTTP), libpq (the database probes), libmicrohttpd
 * (/metrics), jansson, inih; not libarchive (the Makefile links it
 * --as-needed). What a daemon that runs for months keeps resident: see
 * bench/monitor-footprint.
 *
 *   odooctl-monitor [-c FILE] [-q|-v] [monitor] [ENV]
 *
 * `odooctl monitor` execs it with its own arguments. Webhooks to https
 * URLs are posted by a child, `odooctl-monitor --post-webhook TIMEOUT`
 * (internal; alertq.h), so that the CA store it loads never stays in the
 * daemon's heap.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "monitor/alertq.h"
#include "cmd/cmd.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: odooctl-monitor [-c FILE] [-q|-v] [monitor] "
		   "[ENV]\n\n%s\n\n%s", cmd_monitor.summary, cmd_monitor.help);
}

int main(int argc, char **argv)
{
	struct global g = { 0 };
	char self[PATH_MAX];
	ssize_t n;
	int i, rc;

	/* internal: a webhook to an https URL, posted for the daemon */
	if (argc == 3 && !strcmp(argv[1], "--post-webhook"))
		return alertq_post_main(argv[2]);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		alertq_set_poster(self);
	}
	i = cmd_global_options(argc, argv, &g, usage, &rc);
	if (i < 0)
		return rc;
	if (i < argc && !strcmp(argv[i], "monitor"))
		i++;
	/* the word before ENV becomes the command's argv[0] */
	argv[i - 1] = "monitor";
	return cmd_monitor.exec(argc - i + 1, argv + i - 1, &g);
}
