/*
 * The integrity of history.log: a sidecar, history.log.chain, holds one
 * line per history line, the sha256 (64 hex) of the previous chain hash
 * (64 hex; 64 '0' before the first line) followed by the line without its
 * newline. An edited, deleted, inserted or reordered line no longer
 * matches its chain entry. Both files are written under an flock() of the
 * chain, log line first. A history.log without a chain is sealed as it is
 * at the first append or verify (the chain starts there).
 */
#ifndef ODOOCTL_AUDIT_H
#define ODOOCTL_AUDIT_H

#include <stddef.h>

#define HISTORY_MAX_BYTES (64L << 20)

#define AUDIT_HASH_LEN 64

/* Appends line ("...\n") to state_dir/history.log and extends the chain. */
int audit_append(const char *state_dir, const char *line, char **cause);

struct audit_result {
	size_t lines;		/* lines in history.log */
	size_t sealed;		/* lines the chain was started with now, or 0 */
	size_t bad_line;	/* first bad line (1-based), 0 when intact */
	char *reason;		/* why bad_line is bad; NULL when intact */
	char head[AUDIT_HASH_LEN + 1];	/* the last chain hash ("" if none) */
};

/*
 * Checks history.log against its chain. Returns 0 (r->bad_line says
 * whether it is intact) or -1 with *cause when the files cannot be read.
 */
int audit_verify(const char *state_dir, struct audit_result *r,
		 char **cause);
void audit_result_release(struct audit_result *r);
/* sha256(prev || line[0..len)) as 64 hex into out. */
void audit_hash(const char *prev, const char *line, size_t len,
		char out[AUDIT_HASH_LEN + 1]);

#endif
