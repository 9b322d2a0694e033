/*
 * gwtime.h - times and durations as records and command lines write
 * them: parsing RFC 3339, "1h", "500ms", and short texts for people.
 * Times are microseconds since the epoch, UTC.
 */
#ifndef GAPWATCH_GWTIME_H
#define GAPWATCH_GWTIME_H

#include <stddef.h>
#include <stdint.h>

#define GWT_NONE		INT64_MIN	/* "no time" */

/*
 * gwt_parse_rfc3339 - "2026-11-25T09:16:44.040919Z" (any fraction, "Z" or
 * an offset like "+02:00"; a space for the "T"; no zone means UTC) into
 * microseconds since the epoch. Returns 0, or -1 if s[0..len) is no such
 * time.
 */
int gwt_parse_rfc3339(const char *s, size_t len, int64_t *us);

/*
 * gwt_parse_arg - a time on the command line: RFC 3339, a date
 * (YYYY-MM-DD, midnight UTC), "now", "@EPOCH", or a duration back from
 * now_us ("90s", "15m", "1h", "2d", "1w"). Returns 0, or -1.
 */
int gwt_parse_arg(const char *s, int64_t now_us, int64_t *us);

/*
 * gwt_parse_duration - "500ms", "2s", "1.5m", "1h", or a bare number of
 * milliseconds (like the records' duration_ms). Returns 0, or -1.
 */
int gwt_parse_duration(const char *s, int64_t *us);

/*
 * gwt_format - RFC 3339 UTC into buf (TIMEFMT_LEN bytes), seconds only
 * unless frac; "-" for GWT_NONE. Returns buf.
 */
char *gwt_format(int64_t us, int frac, char *buf, size_t len);

/* gwt_format_edge - a round number of ms, short: "500ms", "2s", "5m". Returns buf. */
char *gwt_format_edge(int64_t ms, char *buf, size_t len);

/* gwt_format_dur - "850 ms", "4.08 s", "2.5 min", "3.1 h", "4.0 d" into buf. Returns buf. */
char *gwt_format_dur(int64_t us, char *buf, size_t len);

#endif
