/* SIGTERM, SIGINT and SIGHUP during a deploy: roll back, then exit. */
#include <signal.h>
#include <string.h>

#include "cli/cli.h"

static void on_signal(int sig)
{
	(void)sig;
	deploy_interrupted = 1;
}

void cmd_trap_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}
