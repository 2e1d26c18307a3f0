#include "net/tlsbio.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static BIO_METHOD *method;

static int bio_write(BIO *b, const char *p, int n)
{
	ssize_t r = send((int)(intptr_t)BIO_get_data(b), p, (size_t)n,
			 MSG_NOSIGNAL);

	BIO_clear_retry_flags(b);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		      errno == EINTR))
		BIO_set_retry_write(b);
	return (int)r;
}

static int bio_read(BIO *b, char *p, int n)
{
	ssize_t r = recv((int)(intptr_t)BIO_get_data(b), p, (size_t)n, 0);

	BIO_clear_retry_flags(b);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		      errno == EINTR))
		BIO_set_retry_read(b);
	if (r == 0)	/* for BIO_CTRL_EOF, as OpenSSL's socket BIO */
		BIO_set_flags(b, BIO_FLAGS_IN_EOF);
	return (int)r;
}

/*
 * FLUSH: nothing is buffered. EOF: whether the peer closed; with
 * SSL_OP_IGNORE_UNEXPECTED_EOF, OpenSSL asks it to tell a close without
 * close_notify (many servers: Python's ssl, for one) from a broken link,
 * and only then ends SSL_read with SSL_ERROR_ZERO_RETURN.
 */
static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num, (void)ptr;
	if (cmd == BIO_CTRL_EOF)
		return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
				     "odooctl socket");

	if (m && BIO_meth_set_write(m, bio_write) &&
	    BIO_meth_set_read(m, bio_read) && BIO_meth_set_ctrl(m, bio_ctrl) &&
	    BIO_meth_set_create(m, bio_create))
		method = m;
	else
		BIO_meth_free(m);
}

BIO *tlsbio_new(int fd)
{
	BIO *b;

	pthread_once(&once, init);
	b = method ? BIO_new(method) : NULL;
	if (b)
		BIO_set_data(b, (void *)(intptr_t)fd);
	return b;
}
