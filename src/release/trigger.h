/*
 * Which of a release's changed addons get `-u`: the environment's
 * upgrade_trigger. checksum (click-odoo-update's rule, the default): every
 * addon whose checksum label changed. version (Odoo.sh's rule): only those
 * whose manifest version changed (odooctl.addon-version.<name>); the others
 * take the code-only path. New addons are upgraded under both rules.
 *
 * Why an addon is upgraded is a token, kept in history as
 * upgrade:<addon>:<token>:
 *   new                  only in the new release
 *   checksum             its checksum changed (checksum rule)
 *   version:A->B         its version changed (version rule)
 *   no-version           version rule, but a release lacks its version
 *                        label: its checksum decided
 *   unknown              the running release has no checksums at all
 */
#ifndef ODOOCTL_TRIGGER_H
#define ODOOCTL_TRIGGER_H

#include "release/upgrade.h"

#include <jansson.h>

enum upgrade_trigger { UPGRADE_BY_CHECKSUM, UPGRADE_BY_VERSION };

/* The configured word ("checksum", "version"); NULL is checksum. */
enum upgrade_trigger trigger_parse(const char *word);

/*
 * Applies the rule t to diff, upgrade_diff()'s from the same labels: sets
 * diff->why for every changed addon; under the version rule, moves a
 * changed addon whose version is the same to diff->held, and to
 * diff->stale too when its database checksum (odooctl.addon-data.<name>)
 * changed or is missing. When either release carries no version label at
 * all, diff->fallback is set and the checksum rule decides: an addon is
 * never left out of an upgrade for want of a label.
 */
void trigger_apply(json_t *old_labels, json_t *new_labels,
		   enum upgrade_trigger t, struct addon_diff *diff);

/* The token of the i-th upgraded addon: changed, then added. */
const char *trigger_why(const struct addon_diff *diff, size_t i);
/* The i-th upgraded addon's name (changed, then added); NULL past them. */
const char *trigger_name(const struct addon_diff *diff, size_t i);
/* A token in words: "version 19.0.1.0.1 -> 19.0.1.0.2"; caller frees. */
char *trigger_why_text(const char *why);
/*
 * The history status of an upgrade: "upgrade:<name>:<token>", within
 * history's limits (200 bytes, no '|' or white space); caller frees.
 */
char *trigger_history_status(const char *name, const char *why);

/*
 * Says what the rule decided beyond the changed addons: the fallback,
 * the addons left to the code-only path, and a warning for each stale
 * one ("addon X changed (models, data or views) but its version did not:
 * it is not upgraded"). prev names the running release.
 */
void trigger_log(const struct addon_diff *diff, enum upgrade_trigger t,
		 const char *prev);

#endif
