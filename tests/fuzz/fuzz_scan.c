/*
 * fuzz_scan - libFuzzer harness: one report line of any content through
 * the reader's JSON scanner, checked against jansson (the library the
 * hand-written scanner stands beside), then through the aggregation
 * and the where analysis (an exposure record's by_prefix is parsed
 * there).
 *
 * The scanner and jansson must agree on what the line is (not JSON, not
 * an object, an object) and, for an object, on the record's type and
 * which of the reader's fields it carries with the right type; the
 * aggregation must never crash, whatever the line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../reader/agg.h"
#include "../../reader/filter.h"
#include "../../reader/rec.h"
#include "../../reader/where.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_rec fast, lib;
	struct gw_filter f;
	enum rec_result a, b;
	const struct agg_result *res;
	struct agg *agg;
	struct where *w;
	void *keep = NULL;
	char *line;

	/* An exact-size copy without a terminating NUL: ASan sees any read
	 * past the line. */
	line = malloc(size ? size : 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	a = rec_scan(line, size, &fast);
	b = rec_scan_jansson(line, size, &lib, &keep);
	/*
	 * Agreement is asked of what jansson takes as an object, and of
	 * JSON text: jansson lets a raw NUL byte between tokens pass (found
	 * by this harness), which no JSON writer produces and the scanner
	 * refuses.
	 */
	if (b == REC_OK && memchr(line, '\0', size) == NULL &&
	    (a != REC_OK || fast.type != lib.type || fast.has != lib.has))
		abort();
	rec_release(keep);

	filter_init(&f);
	agg = agg_new(&f, 2, NULL, NULL);
	w = where_new(NULL, &f);
	if (agg != NULL && w != NULL) {
		agg_set_record_hook(agg, where_record, w);
		agg_line(agg, line, size, 0, NULL);
		agg_line(agg, line, size, 1, NULL);
		res = agg_finish(agg, 1700000000000000LL);
		if (res->lines.lines != 2)
			abort();
		where_finish(w, res);
	}
	agg_free(agg);
	where_free(w);
	filter_free(&f);
	free(line);
	return 0;
}
