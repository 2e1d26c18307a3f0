/*
 * libFuzzer target for the scan of a backup's dump.sql as it streams
 * (backup_meta.c's dump_scan, which restore and verify run over whatever
 * zip they are given): any bytes, fed whole and again in pieces of 1 to
 * 16 bytes (the first byte picks the size), must give the same tables with
 * the same row counts, the same byte count and the same verdict on the
 * "dump complete" marker. Never a crash, a leak or undefined behaviour,
 * and no table with a negative count.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "backup/backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void scan(struct dump_scan *s, const uint8_t *p, size_t n,
		 size_t step)
{
	dump_scan_init(s);
	for (size_t off = 0; off < n;) {
		size_t k = step && n - off > step ? step : n - off;

		dump_scan_feed(s, (const char *)p + off, k);
		off += k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dump_scan whole, pieces;
	const char *table;
	json_t *rows;

	if (size < 1)
		return 0;
	scan(&whole, data + 1, size - 1, 0);
	scan(&pieces, data + 1, size - 1, (size_t)(data[0] % 16) + 1);
	if (whole.bytes != (long long)(size - 1) ||
	    pieces.bytes != whole.bytes ||
	    pieces.complete != whole.complete ||
	    !json_equal(whole.tables, pieces.tables))
		abort();	/* the pieces told something else */
	json_object_foreach(whole.tables, table, rows)
		if (!json_is_integer(rows) || json_integer_value(rows) < 0)
			abort();
	dump_scan_release(&whole);
	dump_scan_release(&pieces);
	return 0;
}
