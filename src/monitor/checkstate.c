#include "monitor/checkstate.h"

static enum check_event on_ok(struct check_track *t, long long now_ms)
{
	enum check_state was = t->state;

	t->fails = 0;
	if (was == CHECK_UP)
		return EVENT_NONE;
	t->state = CHECK_UP;
	t->since_ms = now_ms;
	return was == CHECK_DOWN ? EVENT_RECOVERED : EVENT_NONE;
}

static enum check_event on_fail(struct check_track *t, long long now_ms,
				const struct check_policy *p)
{
	t->fails++;
	if (t->state != CHECK_DOWN) {
		/* within the budget nothing changes, not even unknown */
		if (t->fails < p->retries)
			return EVENT_NONE;
		t->state = CHECK_DOWN;
		t->since_ms = now_ms;
		t->alerted_ms = now_ms;
		return EVENT_DOWN;
	}
	if (p->reminder_ms > 0 && now_ms - t->alerted_ms >= p->reminder_ms) {
		t->alerted_ms = now_ms;
		return EVENT_REMINDER;
	}
	return EVENT_NONE;
}

enum check_event checkstate_update(struct check_track *t, int ok,
				   long long now_ms,
				   const struct check_policy *p)
{
	return ok ? on_ok(t, now_ms) : on_fail(t, now_ms, p);
}

const char *checkstate_name(enum check_state s)
{
	switch (s) {
	case CHECK_UP:
		return "up";
	case CHECK_DOWN:
		return "down";
	case CHECK_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *checkstate_event_name(enum check_event e)
{
	switch (e) {
	case EVENT_DOWN:
		return "down";
	case EVENT_RECOVERED:
		return "recovered";
	case EVENT_REMINDER:
		return "reminder";
	case EVENT_NONE:
		break;
	}
	return "none";
}
