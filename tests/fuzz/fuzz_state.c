/*
 * libFuzzer target for the state files odooctl reads after a crash, a full
 * disk or a hand edit (state.c, journal.c): the input, cut at 0xFF bytes,
 * becomes current, last_good_sha, journal and history.log of a scratch
 * state_dir (a part missing: the file is absent); each is read as deploy,
 * status and recover read it. Never a crash, a leak or undefined
 * behaviour.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_files.h"
#include "release/journal.h"
#include "core/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "current", "last_good_sha",
					     "journal", "history.log" };
	const uint8_t *p = data, *end = data + size;
	struct current cur;
	struct journal j;
	struct history h;
	char *why = NULL, *lg = NULL;
	size_t skipped;
	int exists;

	for (size_t i = 0; i < 4; i++) {
		const uint8_t *cut = p < end ? memchr(p, 0xFF, end - p) : NULL;

		if (p > end) {
			fuzz_file(names[i], NULL, (size_t)-1);
			continue;
		}
		cut = cut ? cut : end;
		fuzz_file(names[i], p, (size_t)(cut - p));
		p = cut + 1;
	}
	if (state_read_current(fuzz_scratch(), &cur, &why) == 0)
		current_release(&cur);
	free(why);
	why = NULL;
	if (state_read_last_good(fuzz_scratch(), &lg, &why) == 0)
		free(lg);
	free(why);
	why = NULL;
	if (journal_load(fuzz_scratch(), &j, &exists, &why) == 0 && exists)
		journal_release(&j);
	free(why);
	why = NULL;
	if (history_load(fuzz_scratch(), &h, &skipped, &why) == 0)
		history_release(&h);
	free(why);
	return 0;
}
