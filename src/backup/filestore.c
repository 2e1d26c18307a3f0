#include "backup/filestore.h"
#include "stack/stack.h"
#include "core/state.h"
#include "core/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HELPER_TIMEOUT_S 3600

/* The volume or bind mount at /var/lib/odoo, as a Binds entry. */
static char *data_bind(json_t *c)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(c, "Mounts"), i, m) {
		const char *dst = docker_json_str(m, "Destination");
		const char *name = docker_json_str(m, "Name");
		const char *src = docker_json_str(m, "Source");
		const char *type = docker_json_str(m, "Type");

		if (!dst || strcmp(dst, BACKUP_DATA_DIR))
			continue;
		if (type && !strcmp(type, "volume") && name)
			return xasprintf("%s:%s", name, BACKUP_DATA_DIR);
		if (src)
			return xasprintf("%s:%s", src, BACKUP_DATA_DIR);
	}
	return NULL;
}

static int exists(struct docker *d, const char *name)
{
	json_t *c = NULL;
	char *why = NULL;
	int found = 0;

	docker_container_inspect(d, name, &c, &found, &why);
	json_decref(c);
	free(why);
	return found;
}

/*
 * The container current names, else the newest release container: 0,
 * -2 when env has none, -1 on failure.
 */
static int pick_container(struct docker *d, const struct config_env *env,
			  char **name, char **cause)
{
	struct current cur;
	json_t *list = NULL;
	const char *n;
	char *why = NULL;

	*name = NULL;
	if (state_read_current(env->state_dir, &cur, &why) == 0 &&
	    cur.container && exists(d, cur.container)) {
		*name = xstrdup(cur.container);
		current_release(&cur);
		return 0;
	}
	current_release(&cur);
	free(why);
	if (stack_releases(d, env, &list, cause) < 0)
		return -1;
	n = json_string_value(json_array_get(json_object_get(
		json_array_get(list, 0), "Names"), 0));
	if (n)
		*name = xstrdup(n + (n[0] == '/'));
	json_decref(list);
	if (*name)
		return 0;
	*cause = xasprintf("%s has no Odoo release container to reach its "
			   "filestore through (deploy a release first)",
			   env->name);
	return -2;
}

int filestore_open(struct docker *d, const struct config_env *env,
		   struct filestore *fs, char **cause)
{
	return filestore_open_via(d, env, NULL, fs, cause);
}

int filestore_open_via(struct docker *d, const struct config_env *env,
		       const char *via, struct filestore *fs, char **cause)
{
	char *name = via ? xstrdup(via) : NULL;
	json_t *c = NULL;
	int found = 0, rc;

	memset(fs, 0, sizeof(*fs));
	fs->d = d;
	rc = via ? 0 : pick_container(d, env, &name, cause);
	if (rc < 0)
		return rc;
	rc = -1;
	if (docker_container_inspect(d, name, &c, &found, cause) < 0)
		goto out;
	fs->bind = found ? data_bind(c) : NULL;
	if (!fs->bind) {
		*cause = xasprintf("container '%s' of %s has no volume at %s",
				   name, env->name, BACKUP_DATA_DIR);
		goto out;
	}
	fs->container = xstrdup(docker_json_str(c, "Id"));
	fs->image = xstrdup(docker_json_str(c, "Image"));
	fs->running = json_is_true(json_object_get(json_object_get(c, "State"),
						   "Running"));
	rc = 0;
out:
	json_decref(c);
	free(name);
	return rc;
}

void filestore_close(struct filestore *fs)
{
	free(fs->container);
	free(fs->image);
	free(fs->bind);
	memset(fs, 0, sizeof(*fs));
}

/* sh -c SCRIPT with args, as root, in a one-off with the data volume: begun. */
static int helper_begin(struct filestore *fs, const char *script,
			const char *a1, const char *a2, struct filestore_job *j,
			char **cause)
{
	memset(j, 0, sizeof(*j));
	j->fs = fs;
	j->argv[0] = "sh";
	j->argv[1] = "-c";
	j->argv[2] = script;
	j->argv[3] = "odooctl";
	j->argv[4] = a1 ? a1 : "";
	j->argv[5] = a2 ? a2 : "";
	j->binds[0] = fs->bind;
	j->o = (struct docker_run){ .image = fs->image, .argv = j->argv,
				    .user = "0", .binds = j->binds,
				    .label = "odooctl.helper=filestore",
				    .timeout_s = HELPER_TIMEOUT_S };
	return docker_run_start(fs->d, &j->o, &j->id, cause);
}

/* ... and ended: its output in out; 0 when it exited 0. */
static int helper_end(struct filestore_job *j, struct buf *out, char **cause)
{
	int code = -1;

	if (docker_run_finish(j->fs->d, j->id, &j->o, out, &code, cause) < 0)
		return -1;
	if (code == 0)
		return 0;
	*cause = xasprintf("'%s' on the filestore exited with %d: %s",
			   j->argv[2], code,
			   strtrim(out->data ? out->data : ""));
	return -1;
}

static int helper(struct filestore *fs, const char *script,
		  const char *a1, const char *a2, struct buf *out,
		  char **cause)
{
	struct filestore_job j;

	if (helper_begin(fs, script, a1, a2, &j, cause) < 0)
		return -1;
	return helper_end(&j, out, cause);
}

int filestore_size(struct filestore *fs, const char *db, long long *bytes,
		   char **cause)
{
	struct buf out;
	int rc;

	buf_init(&out, 1 << 16);
	rc = helper(fs, "cd " BACKUP_FILESTORE " 2>/dev/null && "
		    "[ -d \"$1\" ] && exec du -sk \"$1\"; echo 0", db, NULL,
		    &out, cause);
	*bytes = rc == 0 ? strtoll(out.data ? out.data : "0", NULL, 10) *
			   1024 : 0;
	buf_release(&out);
	return rc;
}

int filestore_count(struct filestore *fs, const char *db, long long *files,
		    long long *bytes, char **cause)
{
	struct buf out;
	int rc;

	buf_init(&out, 1 << 16);
	rc = helper(fs, "cd " BACKUP_FILESTORE "/\"$1\" 2>/dev/null || "
		    "{ echo 0 0; exit 0; }; find . -type f -exec stat -c %s "
		    "{} + | awk '{ n++; s += $1 } END { print n + 0, s + 0 }'",
		    db, NULL, &out, cause);
	if (rc == 0 && sscanf(out.data ? out.data : "", "%lld %lld", files,
			      bytes) != 2) {
		*cause = xasprintf("cannot count the filestore of '%s': '%s'",
				   db, strtrim(out.data ? out.data : ""));
		rc = -1;
	}
	buf_release(&out);
	return rc;
}

/* helper() for a script whose output is only wanted when it fails. */
static int run(struct filestore *fs, const char *script, const char *a1,
	       const char *a2, char **cause)
{
	struct buf out;
	int rc;

	buf_init(&out, 1 << 16);
	rc = helper(fs, script, a1, a2, &out, cause);
	buf_release(&out);
	return rc;
}

int filestore_remove(struct filestore *fs, const char *db, char **cause)
{
	return run(fs, "cd " BACKUP_FILESTORE " 2>/dev/null || exit 0; "
		   "rm -rf -- \"$1\"", db, NULL, cause);
}

int filestore_replace(struct filestore *fs, const char *from, const char *to,
		      char **cause)
{
	return run(fs, "set -e; cd " BACKUP_FILESTORE "; "
		   "rm -rf -- \"$2.odooctl-old\"; "
		   "if [ -e \"$2\" ]; then mv -- \"$2\" \"$2.odooctl-old\"; fi; "
		   "if [ -e \"$1\" ]; then mv -- \"$1\" \"$2\"; fi; "
		   "rm -rf -- \"$2.odooctl-old\"", from, to, cause);
}

/*
 * A tree of new directories and hard links, owned as the original (or,
 * without one, an empty directory owned as filestore/): made under a
 * temporary name, renamed when complete.
 */
int filestore_snapshot_begin(struct filestore *fs, const char *from,
			     const char *to, struct filestore_job *j,
			     char **cause)
{
	return helper_begin(fs, "set -e; if [ ! -d " BACKUP_FILESTORE " ]; "
			    "then mkdir " BACKUP_FILESTORE "; chown \"$(stat -c "
			    "%u:%g " BACKUP_DATA_DIR ")\" " BACKUP_FILESTORE
			    "; fi; cd " BACKUP_FILESTORE "; rm -rf -- \"$2\" "
			    "\"$2.part\"; if [ -d \"$1\" ]; then cp -al -- "
			    "\"$1\" \"$2.part\"; else mkdir -- \"$2.part\"; "
			    "chown \"$(stat -c %u:%g .)\" \"$2.part\"; fi; "
			    "mv -- \"$2.part\" \"$2\"", from, to, j, cause);
}

/* helper_end(); *said = 1 when the output begins with word. */
static int end_saying(struct filestore_job *j, const char *word, int *said,
		      char **cause)
{
	struct buf out;
	int rc;

	buf_init(&out, 1 << 16);
	rc = helper_end(j, &out, cause);
	if (said)
		*said = rc == 0 && out.data &&
			!strncmp(out.data, word, strlen(word));
	buf_release(&out);
	return rc;
}

int filestore_snapshot_end(struct filestore_job *j, char **cause)
{
	return end_saying(j, NULL, NULL, cause);
}

int filestore_swap_back_begin(struct filestore *fs, const char *from,
			      const char *to, struct filestore_job *j,
			      char **cause)
{
	return helper_begin(fs, "set -e; cd " BACKUP_FILESTORE " 2>/dev/null "
			    "|| { echo gone; exit 0; }; [ -d \"$1\" ] || "
			    "{ echo gone; exit 0; }; rm -rf -- "
			    "\"$2.odooctl-old\"; if [ -e \"$2\" ]; then mv -- "
			    "\"$2\" \"$2.odooctl-old\"; fi; mv -- \"$1\" "
			    "\"$2\"; rm -rf -- \"$2.odooctl-old\"; "
			    "echo swapped", from, to, j, cause);
}

int filestore_swap_back_end(struct filestore_job *j, int *done,
			    char **cause)
{
	return end_saying(j, "swapped", done, cause);
}

la_ssize_t filestore_archive_read(struct archive *a, void *arg,
				  const void **p)
{
	char *why = NULL;
	long n = docker_reader_read(arg, p, &why);

	if (n < 0) {
		archive_set_error(a, EIO, "%s", why);
		free(why);
	}
	return n;
}

/* The first entry of the tar of /var/lib/odoo is that directory. */
int filestore_owner(struct filestore *fs, long *uid, long *gid,
		    char **cause)
{
	struct docker_reader *r = NULL;
	struct archive *a;
	struct archive_entry *e;
	int found = 0, rc = -1;

	if (docker_archive_get(fs->d, fs->container, BACKUP_DATA_DIR, &r,
			       &found, cause) < 0)
		return -1;
	if (!found) {
		*cause = xasprintf("container '%s' has no %s", fs->container,
				   BACKUP_DATA_DIR);
		return -1;
	}
	a = archive_read_new();
	archive_read_support_format_tar(a);
	if (archive_read_open(a, r, NULL, filestore_archive_read, NULL) == ARCHIVE_OK &&
	    archive_read_next_header(a, &e) == ARCHIVE_OK) {
		*uid = (long)archive_entry_uid(e);
		*gid = (long)archive_entry_gid(e);
		rc = 0;
	} else {
		*cause = xasprintf("cannot read the owner of %s: %s",
				   BACKUP_DATA_DIR, archive_error_string(a));
	}
	archive_read_free(a);
	docker_reader_free(r);
	return rc;
}
