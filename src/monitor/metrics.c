#include "monitor/metrics.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* ---- rendering ---------------------------------------------------------- */

/* A label value: backslash, double quote and newline escaped. */
static void label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			buf_printf(b, "\\\\");
		else if (*v == '"')
			buf_printf(b, "\\\"");
		else if (*v == '\n')
			buf_printf(b, "\\n");
		else
			buf_append(b, v, 1);
	}
}

static void head(struct buf *b, const char *name, const char *type,
		 const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{env="E",check="C"} */
static void check_series(struct buf *b, const struct metrics_view *v,
			 const char *name, const struct metrics_check *c)
{
	buf_printf(b, "%s{env=\"", name);
	label(b, v->env);
	buf_printf(b, "\",check=\"");
	label(b, c->name);
	buf_printf(b, "\"} ");
}

static int state_value(enum check_state s)
{
	return s == CHECK_UP ? 1 : s == CHECK_DOWN ? 0 : -1;
}

static void render_checks(struct buf *b, const struct metrics_view *v)
{
	head(b, "odooctl_check_up", "gauge",
	     "1 when the check's last result was ok, 0 when it failed.");
	for (size_t i = 0; i < v->nchecks; i++) {
		check_series(b, v, "odooctl_check_up", &v->checks[i]);
		buf_printf(b, "%d\n", v->checks[i].ok ? 1 : 0);
	}
	head(b, "odooctl_check_state", "gauge",
	     "The monitor's state of the check: 1 up, 0 down (retry budget "
	     "spent), -1 not known yet.");
	for (size_t i = 0; i < v->nchecks; i++) {
		check_series(b, v, "odooctl_check_state", &v->checks[i]);
		buf_printf(b, "%d\n", state_value(v->checks[i].state));
	}
	head(b, "odooctl_check_failures", "gauge",
	     "Failed results of the check in a row.");
	for (size_t i = 0; i < v->nchecks; i++) {
		check_series(b, v, "odooctl_check_failures", &v->checks[i]);
		buf_printf(b, "%ld\n", v->checks[i].fails);
	}
	head(b, "odooctl_check_latency_seconds", "gauge",
	     "How long the check's last run took.");
	for (size_t i = 0; i < v->nchecks; i++) {
		check_series(b, v, "odooctl_check_latency_seconds",
			     &v->checks[i]);
		buf_printf(b, "%.6f\n", v->checks[i].latency_s);
	}
	head(b, "odooctl_check_state_since_timestamp_seconds", "gauge",
	     "When the check entered its state (Unix time).");
	for (size_t i = 0; i < v->nchecks; i++) {
		if (!v->checks[i].since)
			continue;
		check_series(b, v,
			     "odooctl_check_state_since_timestamp_seconds",
			     &v->checks[i]);
		buf_printf(b, "%ld\n", v->checks[i].since);
	}
}

static void render_alerts(struct buf *b, const struct metrics_view *v)
{
	static const char *const results[] = { "sent", "failed", "dropped" };

	head(b, "odooctl_alerts_total", "counter",
	     "Alerts by channel and outcome (sent, failed after every "
	     "retry, dropped from a full queue).");
	for (size_t i = 0; i < v->nchannels; i++) {
		const struct alertq_stats *s = &v->channels[i].st;
		unsigned long n[3] = { s->sent, s->failed, s->dropped };

		for (size_t k = 0; k < 3; k++)
			buf_printf(b, "odooctl_alerts_total{env=\"%s\","
				   "channel=\"%s\",result=\"%s\"} %lu\n",
				   v->env, v->channels[i].name, results[k],
				   n[k]);
	}
	head(b, "odooctl_alert_retries_total", "counter",
	     "Delivery attempts after a failed first one.");
	for (size_t i = 0; i < v->nchannels; i++)
		buf_printf(b, "odooctl_alert_retries_total{env=\"%s\","
			   "channel=\"%s\"} %lu\n", v->env,
			   v->channels[i].name, v->channels[i].st.retried);
	head(b, "odooctl_alert_queue_length", "gauge",
	     "Alerts waiting for delivery.");
	for (size_t i = 0; i < v->nchannels; i++)
		buf_printf(b, "odooctl_alert_queue_length{env=\"%s\","
			   "channel=\"%s\"} %zu\n", v->env,
			   v->channels[i].name, v->channels[i].st.queued);
}

static void render_monitor(struct buf *b, const struct metrics_view *v)
{
	head(b, "odooctl_release_info", "gauge",
	     "The release serving now, by image digest (1 while it serves).");
	if (v->release) {
		buf_printf(b, "odooctl_release_info{env=\"%s\",digest=\"",
			   v->env);
		label(b, v->release);
		buf_printf(b, "\",container=\"");
		label(b, v->container ? v->container : "");
		buf_printf(b, "\"} 1\n");
	}
	head(b, "odooctl_monitor_passes_total", "counter",
	     "Passes of every check since the monitor started.");
	buf_printf(b, "odooctl_monitor_passes_total{env=\"%s\"} %lu\n",
		   v->env, v->passes);
	head(b, "odooctl_monitor_pass_duration_seconds", "gauge",
	     "How long the last pass took.");
	buf_printf(b, "odooctl_monitor_pass_duration_seconds{env=\"%s\"} "
		   "%.6f\n", v->env, v->pass_s);
	head(b, "odooctl_monitor_interval_seconds", "gauge",
	     "The configured time between passes.");
	buf_printf(b, "odooctl_monitor_interval_seconds{env=\"%s\"} %ld\n",
		   v->env, v->interval_s);
	head(b, "odooctl_monitor_last_pass_timestamp_seconds", "gauge",
	     "When the last pass ended (Unix time).");
	buf_printf(b, "odooctl_monitor_last_pass_timestamp_seconds{env="
		   "\"%s\"} %ld\n", v->env, v->last_pass);
	head(b, "odooctl_monitor_start_time_seconds", "gauge",
	     "When the monitor started (Unix time).");
	buf_printf(b, "odooctl_monitor_start_time_seconds{env=\"%s\"} %ld\n",
		   v->env, v->started);
}

char *metrics_render(const struct metrics_view *v)
{
	struct buf b;

	buf_init(&b, 16 << 20);
	render_checks(&b, v);
	render_alerts(&b, v);
	render_monitor(&b, v);
	return buf_detach(&b, NULL);
}
