/*
 * What the monitor says when a check changes state, and the two bodies
 * it can say it in: a generic JSON object (webhook, command hook) and a
 * Slack-compatible message. Pure, for the unit tests.
 */
#ifndef ODOOCTL_ALERT_H
#define ODOOCTL_ALERT_H

struct alert {
	char *event;	/* "down", "recovered", "reminder" */
	char *env;
	char *check;	/* "app.health", "disk:/srv", ... */
	char *value;
	char *detail;	/* the check's last detail (why it fails) */
	char *host;
	char *release;	/* sha256:... serving now, or NULL */
	long failures;	/* failed results in a row */
	long since;	/* when the check entered its state (epoch s) */
	long time;	/* when the alert was raised (epoch s) */
};

void alert_copy(struct alert *dst, const struct alert *src);
void alert_release(struct alert *a);
/* One line for people: "[production] app.health is DOWN on h: ...". */
char *alert_summary(const struct alert *a);
/* The generic JSON body (one line). Caller frees. */
char *alert_json(const struct alert *a);
/* A Slack incoming-webhook body: text plus a colored attachment. */
char *alert_slack(const struct alert *a);
/* "45s", "12m 5s", "3h 2m", "2d 4h". */
void alert_duration(long seconds, char out[32]);

#endif
