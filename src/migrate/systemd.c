#include "migrate/systemd.h"
#include "core/proc.h"
#include "core/util.h"

#include <string.h>
#include <sys/wait.h>

/* systemctl's answer and exit status; -1 when it could not run. */
static int systemctl(const char *verb, const char *unit, struct buf *out,
		     int *code, char **cause)
{
	const char *const argv[] = { "systemctl", verb, unit, NULL };
	int status = 0;

	buf_init(out, 1 << 16);
	if (proc_run(argv, environ, out, &status, cause) < 0) {
		buf_release(out);
		return -1;
	}
	*code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	return 0;
}

int systemd_state(const char *unit, struct unit_state *st, char **cause)
{
	struct buf out;
	int code;

	memset(st, 0, sizeof(*st));
	if (systemctl("is-active", unit, &out, &code, cause) < 0)
		return -1;
	st->active = code == 0;
	buf_release(&out);
	if (systemctl("is-enabled", unit, &out, &code, cause) < 0)
		return -1;
	st->enabled = code == 0 && out.data &&
		      !strncmp(strtrim(out.data), "enabled", 7);
	if (code != 0 && (!out.data || !strstr(out.data, "disabled"))) {
		*cause = xasprintf("systemd unit '%s': %s", unit,
				   out.data ? strtrim(out.data) : "unknown");
		buf_release(&out);
		return -1;
	}
	buf_release(&out);
	return 0;
}

int systemd_do(const char *verb, const char *unit, char **cause)
{
	struct buf out;
	int code;

	if (systemctl(verb, unit, &out, &code, cause) < 0)
		return -1;
	if (code != 0)
		*cause = xasprintf("systemctl %s %s exited with %d: %s", verb,
				   unit, code, strtrim(out.data ? out.data :
						       (char *)""));
	buf_release(&out);
	return code == 0 ? 0 : -1;
}
