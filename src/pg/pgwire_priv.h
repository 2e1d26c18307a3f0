/*
 * pgwire's pure parts, shared by pgwire.c (the socket and TLS side), the
 * unit tests and the fuzz target: the framing of backend messages, the
 * startup and authentication exchange, the results of a simple query,
 * SCRAM-SHA-256 and MD5 passwords. None of them does I/O: bytes in, bytes
 * (in a struct buf) out.
 */
#ifndef ODOOCTL_PGWIRE_PRIV_H
#define ODOOCTL_PGWIRE_PRIV_H

#include <stddef.h>

#include "pg/pgwire.h"
#include "core/util.h"

#define PGWIRE_MSG_MAX (1u << 20)	/* a backend message, body included */
#define PGWIRE_RESULT_MAX (8u << 20)	/* the values of one result */
#define PGWIRE_VALUES_MAX 100000u	/* rows * cols of one result */

struct pgwire_msg {
	char type;
	const unsigned char *body;	/* borrowed from the input */
	size_t len;
};

/*
 * The first message of in[0..n): 1 with *m and *used (bytes consumed);
 * 0 when more bytes are needed; -1 with *cause on a length out of bounds.
 */
int pgwire_msg_next(const unsigned char *in, size_t n, struct pgwire_msg *m,
		    size_t *used, char **cause);

/* The 'M' field of an ErrorResponse body, on one line (caller frees). */
char *pgwire_error_text(const unsigned char *body, size_t len);

/* server_version as libpq's PQserverVersion reads it: "15.4" -> 150004. */
long pgwire_version_num(const char *server_version);

/* "md5" + md5hex(md5hex(password user) salt): out holds 36 bytes. */
void pgwire_md5_password(const char *user, const char *password,
			 const unsigned char salt[4], char out[36]);

struct pgwire_scram {
	char *client_first_bare;	/* n=USER,r=NONCE */
	char *nonce;
	unsigned char server_signature[32];
	int state;	/* 0 new, 1 client-first sent, 2 final sent, 3 verified */
};

/* The client-first-message "n,,n=USER,r=NONCE" (caller frees); nonce
 * NULL: 18 random bytes in base64. */
char *pgwire_scram_first(struct pgwire_scram *s, const char *user,
			 const char *nonce);
/* The client-final-message for server-first (caller frees), the server's
 * signature kept for pgwire_scram_verify; NULL with *cause. */
char *pgwire_scram_final(struct pgwire_scram *s, const char *password,
			 const unsigned char *server_first, size_t len,
			 char **cause);
/* 0 when server-final proves the server knows the password. */
int pgwire_scram_verify(struct pgwire_scram *s, const unsigned char *msg,
			size_t len, char **cause);
void pgwire_scram_release(struct pgwire_scram *s);

/* The StartupMessage (protocol 3.0) appended to out. */
void pgwire_startup_message(struct buf *out, const char *user,
			    const char *dbname, const char *application_name);

struct pgwire_startup {
	const char *user;
	const char *password;	/* NULL: none configured */
	struct pgwire_scram scram;
	int sasl;		/* a SASL exchange was started */
	int authenticated;
	long server_version;
	int server_error;	/* the failure was the server's ErrorResponse */
};

/*
 * One backend message after the StartupMessage: what to answer appended
 * to out; 0 for more, 1 on ReadyForQuery, -1 with *cause (one line).
 */
int pgwire_startup_feed(struct pgwire_startup *s, const struct pgwire_msg *m,
			struct buf *out, char **cause);
void pgwire_startup_release(struct pgwire_startup *s);

struct pgwire_qstate {
	int open;		/* a RowDescription not yet completed */
	struct pgwire_result r;
	size_t cap;		/* of r.values */
	size_t bytes;		/* held by r.values */
	char *error;		/* the first ErrorResponse */
};

/* One message after a Query: 0 for more, 1 on ReadyForQuery (q->error
 * says whether it failed), -1 with *cause on a protocol violation. */
int pgwire_query_feed(struct pgwire_qstate *q, const struct pgwire_msg *m,
		      char **cause);
void pgwire_qstate_release(struct pgwire_qstate *q);

#endif
