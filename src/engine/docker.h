/*
 * The Docker Engine API over its unix socket (libcurl). Every reply body is
 * read into a bounded buffer; streamed replies (pull, push, build) are
 * parsed message by message and reported through a progress callback.
 * Functions return 0 on success, -1 with *cause set (a one-line message
 * that quotes its subject, e.g. "cannot pull 'x@sha256:..': manifest
 * unknown"). Nothing here prints to stdout or exits.
 */
#ifndef ODOOCTL_DOCKER_H
#define ODOOCTL_DOCKER_H

#include <jansson.h>
#include <signal.h>

#include "engine/docker_reply.h"
#include "core/util.h"

#define DOCKER_API_VERSION "v1.41"

struct docker;

/* socket_path: e.g. /var/run/docker.sock. Never fails; errors come later. */
struct docker *docker_new(const char *socket_path);
void docker_free(struct docker *d);
const char *docker_socket(const struct docker *d);
/*
 * Requests give up ("interrupted by a signal") as soon as *flag is
 * non-zero, so a SIGTERM is not held up by a long watch or pull.
 */
void docker_set_cancel(struct docker *d, volatile sig_atomic_t *flag);
/* The flag given to docker_set_cancel, or NULL. */
volatile sig_atomic_t *docker_get_cancel(const struct docker *d);

/*
 * One request. path is below the version prefix ("/containers/json").
 * body may be NULL. The reply status is in *status and the body in out
 * (bounded by out->max). Fails only when no complete HTTP answer came
 * back, or when the body would exceed out->max.
 */
int docker_request(struct docker *d, const char *method, const char *path,
		   const char *content_type, const void *body, size_t body_len,
		   long *status, struct buf *out, char **cause);

int docker_ping(struct docker *d, char **cause);
/* GET /info as JSON (caller json_decref()s). */
int docker_info(struct docker *d, json_t **info, char **cause);

/* ref: "repo@sha256:..." or "repo:tag". */
int docker_image_pull(struct docker *d, const char *ref,
		      docker_progress_fn progress, void *arg, char **cause);
/*
 * Asks the daemon whether the registry holds ref (GET
 * /distribution/{ref}/json). Returns 0 when present, -1 otherwise;
 * *absent is set to 1 when the registry answered that it does not have
 * it, 0 when the registry could not be asked.
 */
int docker_distribution_check(struct docker *d, const char *ref, int *absent,
			      char **cause);
/* GET /images/{ref}/json. *found = 0 (and 0 returned) when absent. */
int docker_image_inspect(struct docker *d, const char *ref, json_t **image,
			 int *found, char **cause);
int docker_image_tag(struct docker *d, const char *image, const char *repo,
		     const char *tag, char **cause);

struct docker_build {
	const char *context_dir;	/* sent as a tar, built with libarchive */
	const char *dockerfile;		/* relative to context_dir */
	const char *tag;		/* "repo:tag" */
	json_t *labels;			/* object of strings, may be NULL */
	json_t *buildargs;		/* object of strings, may be NULL */
};
/* POST /build; *image_id receives "sha256:..." (caller frees). */
int docker_image_build(struct docker *d, const struct docker_build *opts,
		       void (*line)(const char *text, void *arg), void *arg,
		       char **image_id, char **cause);
/* POST /images/{repo}/push?tag=; *digest receives "sha256:...". */
int docker_image_push(struct docker *d, const char *repo, const char *tag,
		      docker_progress_fn progress, void *arg, char **digest,
		      char **cause);

/* GET /containers/json?all=1 filtered by label ("key=value" or "key"). */
int docker_container_list(struct docker *d, const char *label,
			  json_t **list, char **cause);
/* *found = 0 (and 0 returned) when no such container. */
int docker_container_inspect(struct docker *d, const char *id,
			     json_t **container, int *found, char **cause);
/* Starting a running or stopping a stopped container succeeds. */
int docker_container_start(struct docker *d, const char *id, char **cause);
/*
 * Freezes every process of a container (the cgroup freezer), and thaws
 * them: they go on where they were. A paused container still counts as
 * running; docker_container_kill (SIGKILL) works on it too.
 */
int docker_container_pause(struct docker *d, const char *id, char **cause);
int docker_container_unpause(struct docker *d, const char *id, char **cause);
int docker_container_kill(struct docker *d, const char *id, char **cause);
int docker_container_stop(struct docker *d, const char *id, int timeout_s,
			  char **cause);
/* Removes a stopped container and its anonymous volumes (?v=1). */
int docker_container_remove(struct docker *d, const char *id, char **cause);
/* name: "no", "always", "unless-stopped", "on-failure". */
int docker_container_set_restart(struct docker *d, const char *id,
				 const char *name, char **cause);
/*
 * The last `tail` lines of stdout+stderr, demultiplexed, into out; fails
 * when they would exceed out->max.
 */
int docker_container_logs(struct docker *d, const char *id, int tail,
			  struct buf *out, char **cause);
/*
 * Waits up to `seconds` (at most 30) for the container to die or be
 * OOM-killed, through GET /events. *action is "die"/"oom" (caller frees),
 * or NULL when nothing happened in that time.
 */
int docker_container_wait_event(struct docker *d, const char *id,
				int seconds, char **action, char **cause);
/*
 * Runs argv in the container and waits for it; output (stdout and stderr,
 * demultiplexed) into out (more than out->max fails), its exit code into
 * *exit_code (126/127 when argv[0] cannot be run).
 */
int docker_exec(struct docker *d, const char *id, const char *const argv[],
		struct buf *out, int *exit_code, char **cause);

/*
 * Streams: a long exec whose stdin and stdout are streamed (pg_dump,
 * psql), and a container's files as a tar stream, both ways. Nothing is
 * buffered whole.
 */

/* Takes n bytes; returns 0, or -1 with *cause set to stop the stream. */
typedef int (*docker_sink_fn)(const void *p, size_t n, void *arg,
			      char **cause);
/* Fills at most cap bytes; returns how many, 0 at the end, -1 (*cause). */
typedef long (*docker_source_fn)(void *buf, size_t cap, void *arg,
				 char **cause);

struct docker_exec_opts {
	const char *const *argv;
	const char *label;		/* its name in messages [argv[0]] */
	const char *const *env;		/* "KEY=value", NULL-terminated */
	const char *user;		/* NULL: the container's user */
	docker_source_fn in;		/* stdin, or NULL for none */
	void *in_arg;
	docker_sink_fn out;		/* stdout, or NULL to discard it */
	void *out_arg;
	struct buf *err;		/* stderr: its last err->max bytes */
};

/*
 * Runs argv in the container over a hijacked connection: stdin from o->in
 * (closed when it returns 0), stdout to o->out as it comes, stderr kept in
 * o->err. Waits for the exit code. When o->in or o->out fails, or the
 * cancel flag (docker_set_cancel) turns 1, the connection is closed at
 * once: the process sees its stdin end, and a caller that frames its input
 * (BEGIN ... COMMIT) never has a partial input committed.
 */
int docker_exec_stream(struct docker *d, const char *id,
		       const struct docker_exec_opts *o, int *exit_code,
		       char **cause);
/* A sink appending to a struct buf; fails when it is full. */
int docker_sink_buf(const void *p, size_t n, void *arg, char **cause);

/* The tar stream of a path in a container (running or not). */
struct docker_reader;
/*
 * GET /containers/{id}/archive?path=. *found = 0 (and 0 returned, *r
 * NULL) when the path does not exist.
 */
int docker_archive_get(struct docker *d, const char *id, const char *path,
		       struct docker_reader **r, int *found, char **cause);
/* The next bytes, valid until the next call: their count, 0 at the end. */
long docker_reader_read(struct docker_reader *r, const void **p,
			char **cause);
void docker_reader_free(struct docker_reader *r);

/* A tar stream extracted into a directory of a container. */
struct docker_writer;
/* PUT /containers/{id}/archive?path=; the directory must exist. */
int docker_archive_put(struct docker *d, const char *id, const char *path,
		       struct docker_writer **w, char **cause);
int docker_writer_write(struct docker_writer *w, const void *p, size_t n,
			char **cause);
/* Ends the stream and waits for the daemon's verdict; frees w. */
int docker_writer_close(struct docker_writer *w, char **cause);
/* Stops mid-stream (what was extracted stays); frees w. */
void docker_writer_abort(struct docker_writer *w);

/*
 * POST /containers/create?name=NAME (name may be NULL) with config, the
 * Engine API's create body; *id receives its id (caller frees).
 */
int docker_container_create(struct docker *d, const char *name,
			    json_t *config, char **id, char **cause);

/* A one-off container: created, started, waited for, removed. */
struct docker_run {
	const char *image;
	const char *const *argv;
	const char *user;		/* NULL: the image's */
	const char *const *binds;	/* "volume:/path[:ro]", NULL-ended */
	const char *label;		/* "key=value" or NULL */
	int timeout_s;			/* killed after this long */
};
/* Output (stdout and stderr) into out, bounded; the exit code. */
int docker_run_oneoff(struct docker *d, const struct docker_run *o,
		      struct buf *out, int *exit_code, char **cause);
/*
 * docker_run_oneoff in two steps, for work beside it: the container made
 * and started (*id, for docker_run_finish), then its end awaited, its
 * output and exit code read (exit_code NULL: not awaited) and the
 * container removed, whatever happened; id is freed.
 */
int docker_run_start(struct docker *d, const struct docker_run *o,
		     char **id, char **cause);
int docker_run_finish(struct docker *d, char *id, const struct docker_run *o,
		      struct buf *out, int *exit_code, char **cause);

#endif
