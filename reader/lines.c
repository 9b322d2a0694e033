/*
 * lines.c - reading a report file line by line through zlib, which reads
 * a file that is not gzip'd as it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lines.h"

#define READ_CHUNK		(1u << 20)

int lines_read(const char *path, lines_fn fn, void *ctx, char *err, size_t errlen)
{
	char *buf, *nbuf;
	size_t cap = 2 * READ_CHUNK, fill = 0, start, k;
	uint64_t lineno = 0;
	int n, skipping = 0, errnum, rc = 0;
	const char *msg;
	gzFile gz;

	errno = 0;
	/* gzopen reads a file that is not gzip'd as it is. */
	gz = gzopen(path, "rb");
	if (gz == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 errno ? strerror(errno) : "out of memory");
		return -1;
	}
	gzbuffer(gz, 256 * 1024);
	buf = malloc(cap);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		gzclose(gz);
		return -1;
	}
	for (;;) {
		if (cap - fill < READ_CHUNK) {
			nbuf = realloc(buf, cap * 2);
			if (nbuf == NULL) {
				snprintf(err, errlen, "%s: out of memory", path);
				rc = -1;
				break;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = gzread(gz, buf + fill, (unsigned int)(cap - fill));
		if (n < 0) {
			msg = gzerror(gz, &errnum);
			snprintf(err, errlen, "%s: read error after line %llu: %s",
				 path, (unsigned long long)lineno,
				 errnum == Z_ERRNO ? strerror(errno) : msg);
			rc = -1;
			break;
		}
		if (n == 0) {
			/* The end: a last line without its newline. */
			if (fill > 0 && !skipping)
				fn(ctx, buf, fill, LINE_LAST, ++lineno);
			break;
		}
		fill += (size_t)n;
		start = 0;
		for (;;) {
			char *nl = memchr(buf + start, '\n', fill - start);

			if (nl == NULL)
				break;
			k = (size_t)(nl - buf);
			lineno++;
			if (skipping)
				skipping = 0;
			else
				fn(ctx, buf + start, k - start, 0, lineno);
			start = k + 1;
		}
		memmove(buf, buf + start, fill - start);
		fill -= start;
		if (fill > LINES_MAX) {
			/* One line longer than any record: dropped up to its
			 * newline, told once. */
			if (!skipping)
				fn(ctx, NULL, 0, LINE_TOO_LONG, lineno + 1);
			skipping = 1;
			fill = 0;
		}
	}
	free(buf);
	if (gzclose(gz) != Z_OK && rc == 0) {
		snprintf(err, errlen, "%s: cannot close: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}
