/*
 * Odoo's filestore, in the odoo-data volume every release container of an
 * environment mounts at /var/lib/odoo. Files are read and written as tar
 * streams through a release container (running or stopped: the Engine
 * API's archive endpoints need no process); what only a process can do
 * (measure, remove, rename a tree) runs in a one-off container of the
 * release image with the same volume, so it works with Odoo stopped too.
 */
#ifndef ODOOCTL_FILESTORE_H
#define ODOOCTL_FILESTORE_H

#include <archive.h>

#include "core/config.h"
#include "engine/docker.h"

/* Where Odoo keeps its data and filestore, in the image and a backup. */
#define BACKUP_DATA_DIR "/var/lib/odoo"
#define BACKUP_FILESTORE "/var/lib/odoo/filestore"

struct filestore {
	struct docker *d;	/* borrowed */
	char *container;	/* a release container of the environment */
	char *image;		/* its image, for one-off helpers */
	char *bind;		/* "<volume or host path>:/var/lib/odoo" */
	int running;
};

/*
 * Finds the container: the one state_dir/current names, else the newest
 * release container of env. -2 when env has none (nothing deployed yet).
 */
int filestore_open(struct docker *d, const struct config_env *env,
		   struct filestore *fs, char **cause);
/*
 * The same through container `via` (NULL: as filestore_open), e.g. one
 * created, never started, to fill the volume before Odoo's first start.
 */
int filestore_open_via(struct docker *d, const struct config_env *env,
		       const char *via, struct filestore *fs, char **cause);
void filestore_close(struct filestore *fs);
/*
 * libarchive's read callback over a docker_reader (arg): a tar streamed
 * from the Engine API, read as it arrives.
 */
la_ssize_t filestore_archive_read(struct archive *a, void *arg,
				  const void **p);

/* Bytes under filestore/<db> (0 when it does not exist). */
int filestore_size(struct filestore *fs, const char *db, long long *bytes,
		   char **cause);
/* Files under filestore/<db> and their total size in bytes (0 0: none). */
int filestore_count(struct filestore *fs, const char *db, long long *files,
		    long long *bytes, char **cause);
/* Removes filestore/<db>. */
int filestore_remove(struct filestore *fs, const char *db, char **cause);
/*
 * Replaces filestore/<to> by filestore/<from> (which may be absent: then
 * <to> is just removed).
 */
int filestore_replace(struct filestore *fs, const char *from, const char *to,
		      char **cause);
/*
 * A helper container at work on the filestore, begun by a *_begin call,
 * while the caller does something else (the database's part of a
 * rollback point); the matching *_end awaits it and removes it, and must
 * be called once *_begin returned 0.
 */
struct filestore_job {
	struct filestore *fs;
	const char *argv[7];
	const char *binds[2];
	struct docker_run o;
	char *id;
};
/*
 * filestore/<to>: a snapshot of filestore/<from> made of hard links (an
 * empty directory when <from> has none). Odoo writes each file once and
 * never in place, so the snapshot keeps the content it had, whatever is
 * done to <from> after.
 */
int filestore_snapshot_begin(struct filestore *fs, const char *from,
			     const char *to, struct filestore_job *j,
			     char **cause);
int filestore_snapshot_end(struct filestore_job *j, char **cause);
/*
 * Puts snapshot <from> in the place of <to> by renames; *done = 0 when
 * <from> is gone (swapped back already, by a run that was killed after).
 */
int filestore_swap_back_begin(struct filestore *fs, const char *from,
			      const char *to, struct filestore_job *j,
			      char **cause);
int filestore_swap_back_end(struct filestore_job *j, int *done,
			    char **cause);
/* The owner of /var/lib/odoo: what Odoo runs as, for restored files. */
int filestore_owner(struct filestore *fs, long *uid, long *gid,
		    char **cause);

#endif
