/*
 * A systemd unit, through systemctl (looked up in PATH): what migrate
 * stops, restarts on failure, disables on success and --revert enables.
 */
#ifndef ODOOCTL_SYSTEMD_H
#define ODOOCTL_SYSTEMD_H

struct unit_state {
	int active;	/* is-active: active */
	int enabled;	/* is-enabled: enabled */
};

int systemd_state(const char *unit, struct unit_state *st, char **cause);
/* systemctl VERB UNIT (start, stop, enable, disable); -1 and *cause. */
int systemd_do(const char *verb, const char *unit, char **cause);

#endif
