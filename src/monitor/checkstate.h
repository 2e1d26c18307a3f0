/*
 * The monitor's state of one check, in the manner of relayd's health
 * checker: a failing check spends a retry budget before it is declared
 * down, one good result brings it back up, and only the changes (and a
 * reminder while it stays down) are events worth an alert. Pure: the
 * caller passes the result and the time.
 */
#ifndef ODOOCTL_CHECKSTATE_H
#define ODOOCTL_CHECKSTATE_H

enum check_state { CHECK_UNKNOWN, CHECK_UP, CHECK_DOWN };
enum check_event { EVENT_NONE, EVENT_DOWN, EVENT_RECOVERED, EVENT_REMINDER };

struct check_policy {
	long retries;		/* failed results in a row that make it down */
	long long reminder_ms;	/* while down, an alert this often; 0: none */
};

struct check_track {
	enum check_state state;
	long fails;		/* failed results in a row */
	long long since_ms;	/* when the state was entered */
	long long alerted_ms;	/* the last down alert or reminder */
};

/* Feeds one result (ok or not) at now_ms; returns what it means. */
enum check_event checkstate_update(struct check_track *t, int ok,
				   long long now_ms,
				   const struct check_policy *p);
/* "unknown", "up", "down". */
const char *checkstate_name(enum check_state s);
/* "none", "down", "recovered", "reminder". */
const char *checkstate_event_name(enum check_event e);

#endif
