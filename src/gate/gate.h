/*
 * Gate checks: everything a release needs, verified before anything
 * changes. A failed check names itself and the reason.
 */
#ifndef ODOOCTL_GATE_H
#define ODOOCTL_GATE_H

#include "core/config.h"
#include "engine/docker.h"
#include "pg/pg.h"
#include "core/release.h"

struct gate_input {
	const struct config_env *env;
	struct docker *d;
	const struct release *rel;
	int first_release;	/* nothing serves yet: the stack may be down */
	int local_ok;		/* the image is here already (rollback) */
	const char *proxy_id;	/* running proxy, or NULL */
	struct pg *pg;		/* to db_name (pg_open()), or NULL: its own */
	struct pg **keep;	/* NULL, or where the database check leaves
				 * the connection it opened (caller closes) */
};

/* 0 when every check passes; -1 with *cause "gate 'name' failed: ...". */
int gate_run(const struct gate_input *in, char **cause);
/* Free MiB on the filesystem holding path, or -1. */
long long gate_free_mb(const char *path);

#endif
