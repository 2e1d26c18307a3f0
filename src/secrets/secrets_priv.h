/*
 * What AWS answers the SSM provider (secrets_ssm.c), parsed: the shared
 * credentials file, the role credentials of the instance metadata
 * service, a GetParametersByPath page and an error answer. Pure functions
 * of the text they are given, no I/O: secrets_ssm.c feeds them what it
 * read or received, tests/fuzz/fuzz_aws.c anything at all.
 */
#ifndef ODOOCTL_SECRETS_PRIV_H
#define ODOOCTL_SECRETS_PRIV_H

#include "secrets/secrets.h"
#include "core/util.h"

struct aws_creds {
	char *id;
	char *secret;
	char *token;	/* NULL: long-term keys */
	const char *from;
};

/* Wipes and frees what c holds; c is left zeroed. */
void secrets_aws_creds_release(struct aws_creds *c);
/*
 * The keys of [profile] in the text of a shared credentials file: 1 with
 * c set when both the key id and the secret are there, 0 (c empty) when
 * they are not, -1 (c empty) when the text is not an INI file.
 */
int secrets_aws_creds_ini(const char *text, const char *profile,
			  struct aws_creds *c);
/* The instance metadata service's JSON of a role's credentials into c. */
int secrets_aws_creds_imds(const char *json, struct aws_creds *c,
			   char **cause);
/*
 * The parameters of one GetParametersByPath page into s (each value fed
 * to the log redaction); their NextToken into *next (NULL on the last).
 */
int secrets_aws_ssm_page(const struct buf *body, struct secrets *s,
			 char **next, char **cause);
/* The message of an SSM error answer: its __type and message. */
char *secrets_aws_ssm_error(long status, const struct buf *body);

#endif
