/*
 * html.h - the report as one self-contained HTML page: charts (inline
 * SVG), tables and the longest gaps' details.
 */
#ifndef GAPWATCH_HTML_H
#define GAPWATCH_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "agg.h"
#include "out.h"

/*
 * html_write - the page to f. longest: raw lines of the longest gaps (for
 * the table and the details), keep: how many were asked for. Returns 0,
 * or -1 with errno set by a failed write.
 */
int html_write(FILE *f, const struct agg_result *r, const struct out_info *info,
	       char *const *longest, size_t nlongest, unsigned int keep);

#endif
