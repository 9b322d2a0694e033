/*
 * timefmt.h - times as the records print them: RFC 3339, UTC.
 */
#ifndef GAPWATCH_TIMEFMT_H
#define GAPWATCH_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "2026-11-25T09:16:44.040919Z" and its NUL fit. */
#define TIMEFMT_LEN	32

/*
 * timefmt_rfc3339 - us microseconds since the epoch (negative: before it)
 * as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ", or without the fraction unless frac,
 * into buf; "invalid" for a time gmtime cannot name. Returns buf.
 */
char *timefmt_rfc3339(int64_t us, int frac, char *buf, size_t len);

#endif
