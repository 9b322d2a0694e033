/*
 * span.c - the JSON scanner: syntax checked, strings and numbers handed
 * out in place.
 *
 * Why not json_loadb() per line: it builds a hash table for every object
 * of every line, 40-odd keys and four nested objects, only for us to read
 * a dozen of them and throw the rest away. Measured on a million lines
 * from mkreport (1.2 GB, 2 cores, file in the page cache): json_loadb
 * took 33 s, this scanner 2.7 s. The scanner checks the whole value's
 * syntax, so a line jansson refuses is refused here too (except invalid
 * UTF-8 and raw control characters inside strings, which it does not look
 * for); the unit tests compare the two.
 */
#include <stdlib.h>
#include <string.h>

#include "span.h"
#include "wire.h"

void span_ws(struct span_cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
				 *c->p == '\r' || *c->p == '\n'))
		c->p++;
}

/* c->p at the opening quote; out (may be NULL) gets the contents. */
int span_string(struct span_cursor *c, struct span *out)
{
	const char *q = c->p + 1, *start = q, *quote, *bs;
	uint8_t esc = 0;

	for (;;) {
		quote = memchr(q, '"', (size_t)(c->end - q));
		if (quote == NULL)
			return -1;
		bs = memchr(q, '\\', (size_t)(quote - q));
		if (bs == NULL)
			break;
		/* An escape before the next quote: check it, go past it. */
		esc = 1;
		if (bs + 1 >= c->end)
			return -1;
		switch (bs[1]) {
		case '"': case '\\': case '/': case 'b': case 'f':
		case 'n': case 'r': case 't':
			q = bs + 2;
			break;
		case 'u':
			if (c->end - bs < 6 || wire_hex_digit(bs[2]) < 0 ||
			    wire_hex_digit(bs[3]) < 0 ||
			    wire_hex_digit(bs[4]) < 0 ||
			    wire_hex_digit(bs[5]) < 0)
				return -1;
			q = bs + 6;
			break;
		default:
			return -1;
		}
	}
	if (out != NULL) {
		out->p = start;
		out->len = (uint32_t)(quote - start);
		out->esc = esc;
	}
	c->p = quote + 1;
	return 0;
}

static int digits(struct span_cursor *c)
{
	const char *p0 = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > p0 ? 0 : -1;
}

int span_number(struct span_cursor *c, struct span *out)
{
	const char *start = c->p;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (digits(c) < 0)
		return -1;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (digits(c) < 0)
			return -1;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (digits(c) < 0)
			return -1;
	}
	if (out != NULL) {
		out->p = start;
		out->len = (uint32_t)(c->p - start);
		out->esc = 0;
	}
	return 0;
}

int span_literal(struct span_cursor *c, const char *word, size_t len)
{
	if ((size_t)(c->end - c->p) < len || memcmp(c->p, word, len) != 0)
		return -1;
	c->p += len;
	return 0;
}

int span_object(struct span_cursor *c, int depth, span_field_fn field, void *ctx)
{
	struct span key;
	int rc;

	if (depth > SPAN_MAX_DEPTH)
		return -1;
	c->p++;		/* '{' */
	span_ws(c);
	if (c->p < c->end && *c->p == '}') {
		c->p++;
		return 0;
	}
	for (;;) {
		span_ws(c);
		if (c->p >= c->end || *c->p != '"' || span_string(c, &key) < 0)
			return -1;
		span_ws(c);
		if (c->p >= c->end || *c->p != ':')
			return -1;
		c->p++;
		span_ws(c);
		/* The line ends after the colon: the callbacks read the
		 * value's first byte unchecked. */
		if (c->p >= c->end)
			return -1;
		rc = field ? field(c, &key, ctx) : 1;
		if (rc < 0)
			return -1;
		if (rc > 0 && span_skip(c, depth + 1) < 0)
			return -1;
		span_ws(c);
		if (c->p >= c->end)
			return -1;
		if (*c->p == '}') {
			c->p++;
			return 0;
		}
		if (*c->p != ',')
			return -1;
		c->p++;
	}
}

static int skip_array(struct span_cursor *c, int depth)
{
	if (depth > SPAN_MAX_DEPTH)
		return -1;
	c->p++;		/* '[' */
	span_ws(c);
	if (c->p < c->end && *c->p == ']') {
		c->p++;
		return 0;
	}
	for (;;) {
		if (span_skip(c, depth + 1) < 0)
			return -1;
		span_ws(c);
		if (c->p >= c->end)
			return -1;
		if (*c->p == ']') {
			c->p++;
			return 0;
		}
		if (*c->p != ',')
			return -1;
		c->p++;
	}
}

int span_skip(struct span_cursor *c, int depth)
{
	span_ws(c);
	if (c->p >= c->end)
		return -1;
	switch (*c->p) {
	case '"':
		return span_string(c, NULL);
	case '{':
		return span_object(c, depth, NULL, NULL);
	case '[':
		return skip_array(c, depth);
	case 't':
		return span_literal(c, "true", 4);
	case 'f':
		return span_literal(c, "false", 5);
	case 'n':
		return span_literal(c, "null", 4);
	default:
		return span_number(c, NULL);
	}
}

/* A number with a fraction or an exponent, through strtod. */
static int span_double(const struct span *n, double *d)
{
	char buf[64];

	if (n->len >= sizeof(buf))
		return -1;
	memcpy(buf, n->p, n->len);
	buf[n->len] = '\0';
	*d = strtod(buf, NULL);
	return 0;
}

int span_int(const struct span *n, int64_t *v)
{
	const char *p = n->p, *end = n->p + n->len;
	int neg = 0;
	int64_t x = 0;

	if (memchr(p, '.', n->len) != NULL || memchr(p, 'e', n->len) != NULL ||
	    memchr(p, 'E', n->len) != NULL) {
		double d;

		if (span_double(n, &d) < 0 || !(d > -9.2e18 && d < 9.2e18))
			return -1;
		*v = (int64_t)d;
		return 0;
	}
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	for (; p < end; p++) {
		if (x > (INT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (*p - '0');
	}
	*v = neg ? -x : x;
	return 0;
}

/*
 * Milliseconds with a fraction (the records' "duration_ms": 4084.636)
 * into microseconds, exactly: the fraction's first three digits are the
 * microseconds, the rest rounds.
 */
int span_ms_us(const struct span *n, int64_t *us)
{
	const char *p = n->p, *end = n->p + n->len;
	int64_t ms = 0, frac = 0;
	int neg = 0, k;

	if (memchr(p, 'e', n->len) != NULL || memchr(p, 'E', n->len) != NULL) {
		double d;

		if (span_double(n, &d) < 0)
			return -1;
		d *= 1000.0;
		if (!(d > -9.2e18 && d < 9.2e18))
			return -1;
		*us = (int64_t)(d < 0 ? d - 0.5 : d + 0.5);
		return 0;
	}
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	/* ms * 1000 plus a rounded fraction (at most 1000) must fit. */
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (ms > ((INT64_MAX - 1000) / 1000 - 9) / 10)
			return -1;
		ms = ms * 10 + (*p - '0');
	}
	if (p < end && *p == '.') {
		p++;
		for (k = 0; k < 3; k++) {
			frac *= 10;
			if (p < end && *p >= '0' && *p <= '9')
				frac += *p++ - '0';
		}
		if (p < end && *p >= '5' && *p <= '9')
			frac++;
	}
	*us = ms * 1000 + frac;
	if (neg)
		*us = -*us;
	return 0;
}

static size_t utf8_put(char *dst, size_t room, unsigned long cp)
{
	char tmp[4];
	size_t n, k;

	if (cp < 0x80) {
		tmp[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		tmp[0] = (char)(0xc0 | cp >> 6);
		tmp[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		tmp[0] = (char)(0xe0 | cp >> 12);
		tmp[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		tmp[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		tmp[0] = (char)(0xf0 | cp >> 18);
		tmp[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		tmp[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		tmp[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (n > room)
		return 0;
	for (k = 0; k < n; k++)
		dst[k] = tmp[k];
	return n;
}

static unsigned long hex4(const char *p)
{
	return (unsigned long)(wire_hex_digit(p[0]) << 12 |
			       wire_hex_digit(p[1]) << 8 |
			       wire_hex_digit(p[2]) << 4 | wire_hex_digit(p[3]));
}

char *span_copy(const struct span *s, char *buf, size_t len)
{
	const char *p = s->p, *end;
	size_t o = 0, n;
	unsigned long cp, lo;

	if (len == 0)
		return buf;
	/* An absent field: NULL + 0 would be undefined (C11 6.5.6). */
	if (s->p == NULL) {
		buf[0] = '\0';
		return buf;
	}
	end = s->p + s->len;
	if (!s->esc) {
		n = s->len < len - 1 ? s->len : len - 1;
		memcpy(buf, s->p, n);
		buf[n] = '\0';
		return buf;
	}
	while (p < end && o < len - 1) {
		if (*p != '\\') {
			buf[o++] = *p++;
			continue;
		}
		/* The scanner checked every escape already. */
		switch (p[1]) {
		case 'b': buf[o++] = '\b'; break;
		case 'f': buf[o++] = '\f'; break;
		case 'n': buf[o++] = '\n'; break;
		case 'r': buf[o++] = '\r'; break;
		case 't': buf[o++] = '\t'; break;
		case 'u':
			cp = hex4(p + 2);
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 8 &&
			    p[2] == '\\' && p[3] == 'u') {
				lo = hex4(p + 4);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
					p += 6;
				}
			}
			n = utf8_put(buf + o, len - 1 - o, cp);
			if (n == 0)
				goto out;
			o += n;
			break;
		default:
			buf[o++] = p[1];
			break;
		}
		p += 2;
	}
out:
	buf[o] = '\0';
	return buf;
}

int span_eq(const struct span *s, const char *str)
{
	char buf[256];

	if (s->p == NULL)
		return 0;
	if (!s->esc)
		return s->len == strlen(str) && memcmp(s->p, str, s->len) == 0;
	return strcmp(span_copy(s, buf, sizeof(buf)), str) == 0;
}

