/*
 * What every phase of a deploy shares: history and journal lines, the
 * signal check, a container's state and logs, progress, and what status
 * shows of the last deploy.
 */
#include "release/deploy_priv.h"
#include "release/journal.h"
#include "core/log.h"
#include "stack/stack.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_TAIL 15

const char *dp_status_word(const struct deploy *dp)
{
	return dp->kind == DEPLOY_ROLLBACK ? "rollback" : "success";
}

void dp_record(const struct deploy *dp, const char *digest,
	       const char *status)
{
	char *why = NULL;

	if (history_append(dp->env->state_dir, digest, dp->env->name, status,
			   dp->operator, &why) < 0) {
		log_error("history: %s", why);
		free(why);
	}
}

/*
 * Journals a phase before it acts. The phases recover depends on
 * (candidate, switch, dp_commit) make the deploy fail when they cannot be
 * written; the others only warn.
 */
int dp_journal(const struct deploy *dp, const char *phase,
	       const char *arg, char **cause)
{
	char *why = NULL;

	if (journal_phase(dp->env->state_dir, phase, arg, &why) == 0)
		return 0;
	if (!cause) {
		log_warn("journal: %s", why);
		free(why);
		return 0;
	}
	*cause = xasprintf("journal: %s", why);
	free(why);
	return -1;
}

int dp_interrupted(char **cause)
{
	if (!deploy_interrupted)
		return 0;
	*cause = xstrdup("interrupted by a signal");
	return -1;
}

/* 1 when the container runs, 0 when not (or absent), -1 when unknown. */
int dp_running(struct docker *d, const char *name)
{
	struct container_state st;
	char *why = NULL;
	int found = 0, r;

	if (!name)
		return 0;
	if (stack_inspect(d, name, &st, &found, &why) < 0) {
		log_debug("%s", why);
		free(why);
		return -1;
	}
	r = found && st.running;
	container_state_release(&st);
	return r;
}

void dp_show_logs(struct docker *d, const char *name)
{
	struct buf out;
	char *why = NULL, *save = NULL, *line;

	buf_init(&out, 1 << 20);
	if (docker_container_logs(d, name, LOG_TAIL, &out, &why) < 0) {
		free(why);
	} else if (out.len) {
		log_info("last lines of %s:", name);
		for (line = strtok_r(out.data, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			log_info("  | %s", line);
	}
	buf_release(&out);
}

/* How long clients got the maintenance page, once it is down again. */
void dp_log_window(const struct deploy *dp)
{
	if (dp->maintenance)
		log_info("maintenance page was up for %.1f s",
			 (double)(clock_ms() - dp->maint_start) / 1000.0);
}

/* What status shows of the release that serves: which path it took. */
void dp_write_last_deploy(struct deploy *dp, const char *status)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "digest",
			      dp->rel->digest, "status", status, "path",
			      dp->db_path ? "database-changing" : "code-only",
			      "at", (json_int_t)time(NULL));
	json_t *up = json_array(), *reasons = json_object();
	json_t *held = json_array();
	char *why = NULL;

	for (size_t i = 0; dp->db_path && trigger_name(&dp->diff, i); i++) {
		char *w = trigger_why_text(trigger_why(&dp->diff, i));

		json_array_append_new(up, json_string(trigger_name(&dp->diff,
								   i)));
		json_object_set_new(reasons, trigger_name(&dp->diff, i),
				    json_string(w));
		free(w);
	}
	for (size_t i = 0; i < dp->diff.nheld; i++)
		json_array_append_new(held, json_string(dp->diff.held[i]));
	json_object_set_new(o, "upgraded", up);
	json_object_set_new(o, "upgraded_why", reasons);
	json_object_set_new(o, "not_upgraded", held);
	json_object_set_new(o, "upgrade_trigger", json_string(
		dp->diff.fallback ? "checksum (fallback)" :
		trigger_parse(dp->env->upgrade_trigger) == UPGRADE_BY_VERSION ?
		"version" : "checksum"));
	if (dp->backup)
		json_object_set_new(o, "backup", json_string(dp->backup));
	if (dp->maintenance)
		json_object_set_new(o, "maintenance_seconds", json_real(
			(double)(clock_ms() - dp->maint_start) / 1000.0));
	if (state_write_last_deploy(dp->env->state_dir, o, &why) < 0) {
		log_warn("%s", why);
		free(why);
	}
	json_decref(o);
}

void dp_end_journal(const struct deploy *dp)
{
	char *why = NULL;

	if (journal_end(dp->env->state_dir, &why) < 0) {
		log_error("%s", why);
		free(why);
	}
}

int dp_thaw(struct deploy *dp, const char *name, int *thawed, char **cause)
{
	struct container_state st;
	int found = 0, rc = 0;

	*thawed = 0;
	if (stack_inspect(dp->d, name, &st, &found, cause) < 0)
		return -1;
	if (found && st.paused) {
		log_info("thawing %s", name);
		rc = docker_container_unpause(dp->d, name, cause);
		*thawed = rc == 0;
	}
	if (rc == 0 && found)
		rc = docker_container_set_restart(dp->d, name, "unless-stopped",
						  cause);
	container_state_release(&st);
	return rc;
}

void dp_kill_frozen(struct deploy *dp, const char *keep)
{
	json_t *list, *c;
	size_t i;
	char *why = NULL;

	if (stack_releases(dp->d, dp->env, &list, &why) < 0) {
		log_warn("%s", why);
		free(why);
		return;
	}
	json_array_foreach(list, i, c) {
		const char *state = docker_json_str(c, "State");
		const char *name = stack_entry_name(c);

		if (!name || !state || strcmp(state, "paused"))
			continue;
		if (keep && !strcmp(name, keep))
			continue;
		log_info("stopping %s (frozen since the maintenance page; kept "
			 "for a rollback)", name);
		if (docker_container_kill(dp->d, name, &why) < 0 ||
		    docker_container_set_restart(dp->d, name, "unless-stopped",
						 &why) < 0) {
			log_warn("%s", why);
			free(why);
			why = NULL;
		}
	}
	json_decref(list);
}
