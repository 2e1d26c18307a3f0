/*
 * The journal of an unfinished deploy or rollback: state_dir/journal, one
 * line per phase, each appended and fsync'd before the phase acts. A deploy
 * that ends (well or not) removes it; one that is killed leaves it for
 * `odooctl recover`, and every deploy refuses to start while it exists.
 */
#ifndef ODOOCTL_JOURNAL_H
#define ODOOCTL_JOURNAL_H

struct journal {
	int corrupted;		/* the file exists but its first line is bad */
	char *kind;		/* "deploy" or "rollback" */
	char *digest;
	char *ref;
	char *previous;		/* digest serving before, or NULL */
	char *previous_container;
	char *operator;
	long started;
	char *candidate;	/* container started for the new release */
	int candidate_reused;	/* an existing one, started again: keep it */
	char *last_phase;
	int switched;		/* the proxy was (perhaps) pointed at it */
	int committed;
	/* a release that changes the database: */
	int maintenance;	/* the maintenance page went up */
	char *backup;		/* the complete pre-deploy backup */
	int point;		/* a clone rollback point was (perhaps) begun */
	int pointed;		/* ... and is complete */
	int upgrading;		/* the module upgrade (perhaps) ran */
	int restored;		/* the backup was put back */
};

int journal_begin(const char *state_dir, const struct journal *j,
		  char **cause);
/* arg may be NULL. */
int journal_phase(const char *state_dir, const char *phase, const char *arg,
		  char **cause);
/* *exists = 0 when there is no journal. */
int journal_load(const char *state_dir, struct journal *j, int *exists,
		 char **cause);
int journal_end(const char *state_dir, char **cause);
void journal_release(struct journal *j);

/* ---- the file format, shared with migrate's journal ---------------------- */

struct journal_parser {
	int (*begin)(void *ctx, const char *line);	/* -1: not a begin */
	void (*phase)(void *ctx, char *line);	/* after "phase " */
};

/* Appends "phase PHASE[ ARG]" to state_dir/name and fsyncs it. */
int journal_append(const char *state_dir, const char *name,
		   const char *phase, const char *arg, char **cause);
/*
 * Feeds state_dir/name's lines to p; *exists = 0 without a file,
 * *corrupted = 1 when it is empty or its first line is not a begin.
 */
int journal_read(const char *state_dir, const char *name,
		 const struct journal_parser *p, void *ctx, int *exists,
		 int *corrupted, char **cause);
/* Removes it (gone already is fine) and fsyncs its directory. */
int journal_remove(const char *state_dir, const char *name, char **cause);

#endif
