/*
 * lines.h - a report file, plain or gzip'd, line by line.
 */
#ifndef GAPWATCH_LINES_H
#define GAPWATCH_LINES_H

#include <stddef.h>
#include <stdint.h>

/* No record is longer: a longer line is dropped (LINE_TOO_LONG). */
#define LINES_MAX		(4u << 20)

#define LINE_LAST		0x01	/* the end of the file, no newline */
#define LINE_TOO_LONG		0x02	/* line is NULL: longer than LINES_MAX */

/* lines_fn - one line without its newline; lineno counts from 1. */
typedef void (*lines_fn)(void *ctx, const char *line, size_t len,
			 unsigned int flags, uint64_t lineno);

/*
 * lines_read - call fn for each line of path (plain or gzip'd, told by
 * its contents). The line is valid during the call only. Returns 0, or
 * -1 with the file and the reason in err when it could not be opened or
 * read to its end.
 */
int lines_read(const char *path, lines_fn fn, void *ctx, char *err, size_t errlen);

#endif
