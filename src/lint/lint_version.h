/*
 * odooctl lint --since REF: the rule for upgrade_trigger = version
 * ('version-bump'). An addon whose files that matter to the database
 * (addon_meta.h: its Python outside controllers/, the data and demo files
 * its manifest lists, its manifest, its .po files) changed since the git
 * revision REF while its manifest version did not would not be upgraded
 * by a deploy under that rule. Compared with git (run through proc.h):
 * `git diff --name-only REF` and the untracked files of each addon, and
 * the version of `git show REF:__manifest__.py`. An addon that REF does
 * not have is new: every deploy upgrades it.
 */
#ifndef ODOOCTL_LINT_VERSION_H
#define ODOOCTL_LINT_VERSION_H

#include "lint/report.h"

#include <stddef.h>

#define LINT_VERSION_RULE "version-bump"

/*
 * Adds a finding to r for each such addon under paths (addons
 * directories, or addons). -1 with *cause when git cannot answer: REF is
 * not a commit, or a path is not in a git work tree.
 */
int lint_version_since(const char *const *paths, size_t n, const char *ref,
		       struct lint_report *r, char **cause);

#endif
