/*
 * out.h - the aggregates for a terminal (at most 100 columns), for
 * scripts (one JSON object), and the gaps as CSV (one row each).
 */
#ifndef GAPWATCH_OUT_H
#define GAPWATCH_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agg.h"
#include "filter.h"
#include "rec.h"
#include "where.h"

/* What the report was made from, for its header. */
struct out_info {
	const char *const *files;
	unsigned int nfiles;
	const struct gw_filter *filter;
	const char *filter_text;	/* the filter options as given */
	int64_t now_us;
	const struct where_result *where;	/* NULL: none (no memory) */
};

/* out_text - the terminal summary. */
void out_text(FILE *f, const struct agg_result *r, const struct out_info *info);

/* out_json - the aggregates as one JSON object. Returns 0, or -1. */
int out_json(FILE *f, const struct agg_result *r, const struct out_info *info);

/* out_csv_header - the CSV's first line. */
void out_csv_header(FILE *f);

/* Where the CSV goes, and the --mmdb files for its where columns. */
struct out_csv {
	FILE *f;
	struct geo *geo;		/* NULL: no carrier, no country */
};

/*
 * out_csv_row - one gap's row to the struct out_csv *ctx; open: a
 * gap_open with no gap record. An agg_gap_fn, so that rows go out as
 * they are read.
 */
void out_csv_row(void *ctx, const struct gw_rec *r, int open);

/* out_hop_line - what a hop of the where analysis explains beyond its
 * gaps: its ladders by verdict, its networks and carriers, into buf.
 * Returns buf. */
char *out_hop_line(const struct where_result *w, const struct where_row *r,
		   char *buf, size_t len);

/* out_count - "1,234,567" into buf. Returns buf. */
char *out_count(uint64_t n, char *buf, size_t len);

#endif
