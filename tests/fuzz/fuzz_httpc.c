/*
 * libFuzzer target for httpc's response parser (httpc_parser.c): any bytes
 * as what a server answers, to a GET and to a HEAD, with a small and a
 * large body limit. Fed whole and in pieces of 1 to 16 bytes (sizes drawn
 * from the input), the parser must reach the same state, status, error
 * and, when done, body; never a crash, a leak, undefined behaviour or a
 * body over its limit.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/httpc.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	enum httpc_state state;
	long status;
	const char *error;
	struct buf body;
};

static void run(const char *in, size_t n, int head, size_t max,
		uint32_t seed, struct outcome *o)
{
	struct httpc_parser p;
	size_t off = 0;

	buf_init(&o->body, max);
	httpc_parser_init(&p, &o->body, head);
	while (off < n && p.state != HP_DONE && p.state != HP_ERROR) {
		size_t step = n - off, used;

		if (seed) {
			seed = seed * 1103515245u + 12345u;
			step = 1 + (seed >> 16) % 16;
			if (step > n - off)
				step = n - off;
		}
		used = httpc_parser_feed(&p, in + off, step);
		if (used > step || (used < step && p.state != HP_DONE &&
				    p.state != HP_ERROR))
			abort();
		off += used;
	}
	httpc_parser_eof(&p);
	o->state = p.state;
	o->status = p.status;
	o->error = p.error;
	httpc_parser_release(&p);
}

static void check(const char *in, size_t n, int head, size_t max)
{
	struct outcome whole, split;
	uint32_t seed = 1;

	for (size_t i = 0; i < n && i < 8; i++)
		seed = seed * 31 + (uint8_t)in[i];
	run(in, n, head, max, 0, &whole);
	run(in, n, head, max, seed | 1, &split);
	if (whole.state != split.state || whole.status != split.status ||
	    whole.error != split.error)
		abort();
	if (whole.state != HP_DONE && whole.state != HP_ERROR)
		abort();
	if (whole.state == HP_ERROR && !whole.error)
		abort();
	if (whole.state == HP_DONE &&
	    (whole.status < 200 || whole.status > 999 ||
	     whole.body.len != split.body.len || whole.body.len > max ||
	     (whole.body.len && memcmp(whole.body.data, split.body.data,
				       whole.body.len)) ||
	     (head && whole.body.len)))
		abort();
	buf_release(&whole.body);
	buf_release(&split.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;

	check(in, size, 0, 1 << 20);
	check(in, size, 1, 1 << 20);
	check(in, size, 0, 16);
	return 0;
}
