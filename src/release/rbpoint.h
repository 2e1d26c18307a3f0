/*
 * The rollback point of a database-changing release, taken by cloning
 * (rollback_point = clone): with Odoo's writers stopped, PostgreSQL copies
 * the database (CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY) and
 * the filestore gets a snapshot of hard links. A failed upgrade goes back
 * by renames: the filestore, then the databases in one transaction; no
 * dump is restored. Names: the point is odooctl_point_<db> (database and
 * filestore/ folder), the failed database is odooctl_failed_<db> until it
 * is dropped. Each step can be run again after a kill.
 */
#ifndef ODOOCTL_RBPOINT_H
#define ODOOCTL_RBPOINT_H

#include "core/config.h"
#include "engine/docker.h"

/* The point's name for env's database; caller frees. */
char *rbpoint_name(const struct config_env *env);
/*
 * Whether the clone has room: the database's size, plus disk_floor_mb,
 * free in PostgreSQL's data directory. 0: room (or not measurable: an
 * external server, said in *note, caller frees); -1 with *cause: no room,
 * or the measure failed.
 */
int rbpoint_room(struct docker *d, const struct config_env *env,
		 char **note, char **cause);
/* Takes the point (a point left by a killed run is replaced). */
int rbpoint_take(struct docker *d, const struct config_env *env,
		 char **cause);
/*
 * Puts the point back in the place of the database and its filestore; the
 * failed database is left for rbpoint_drop(), once the old release serves
 * again (dropping a large one takes a while).
 */
int rbpoint_swap_back(struct docker *d, const struct config_env *env,
		      char **cause);
/*
 * Drops the point and what a swap back left, if any. *found = 1 when
 * there was a point to drop. The filestore's snapshot is taken beside the
 * database's copy, so it may be there without it: begun = 1 (a point was
 * begun: the journal says so) removes it whatever the database says; a
 * sweep without that knowledge (begun = 0) looks at the database only.
 */
int rbpoint_drop(struct docker *d, const struct config_env *env, int begun,
		 int *found, char **cause);

#endif
