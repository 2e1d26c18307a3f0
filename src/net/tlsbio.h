/*
 * An OpenSSL BIO over a connected socket that never raises SIGPIPE: it
 * sends with MSG_NOSIGNAL (OpenSSL's socket BIO uses write(), which kills
 * a process that does not ignore SIGPIPE when the peer has gone), and it
 * answers BIO_CTRL_EOF, so that SSL_OP_IGNORE_UNEXPECTED_EOF can tell a
 * close without close_notify from a broken link. For httpc and pgwire.
 */
#ifndef ODOOCTL_TLSBIO_H
#define ODOOCTL_TLSBIO_H

#include <openssl/bio.h>

/* A BIO on fd (which stays the caller's to close); NULL when OpenSSL
 * cannot make one. */
BIO *tlsbio_new(int fd);

#endif
