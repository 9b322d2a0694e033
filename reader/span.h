/*
 * span.h - JSON text scanned where it lies: the syntax of a whole value
 * is checked, and strings and numbers are handed out as spans pointing
 * into the text, so nothing is allocated or copied.
 *
 * A cursor walks the text; every span_* scanning function starts at the
 * value's first character (after span_ws) and leaves the cursor just past
 * the value. They return 0, or -1 on a syntax error (the cursor is then
 * somewhere inside the bad value).
 */
#ifndef GAPWATCH_SPAN_H
#define GAPWATCH_SPAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Deeper nesting than this is refused rather than recursed into. */
#define SPAN_MAX_DEPTH		64

/*
 * A piece of the text: a JSON string's contents between its quotes, as
 * written (esc says whether it holds backslash escapes), or a number. A
 * span with p NULL is "not there". Valid while the text is.
 */
struct span {
	const char *p;
	uint32_t len;
	uint8_t esc;
};

/* Where the scan is: p up to end. */
struct span_cursor {
	const char *p;
	const char *end;
};

/* span_ws - skip JSON white space. */
void span_ws(struct span_cursor *c);

/*
 * span_field_fn - called by span_object for each member, the cursor at
 * the value: consume the value and return 0, return 1 to have it skipped
 * (its syntax still checked), or -1 to stop with an error.
 */
typedef int (*span_field_fn)(struct span_cursor *c, const struct span *key,
			     void *ctx);

/*
 * span_object - the object at c->p ('{'), each member handed to field
 * (NULL: all skipped). depth: how deep this object is; deeper than
 * SPAN_MAX_DEPTH is an error.
 */
int span_object(struct span_cursor *c, int depth, span_field_fn field, void *ctx);

/* span_skip - any value, checked and passed over. */
int span_skip(struct span_cursor *c, int depth);

/* span_string - the string at c->p ('"'); out (may be NULL) gets it. */
int span_string(struct span_cursor *c, struct span *out);

/* span_number - the number at c->p; out (may be NULL) gets its text. */
int span_number(struct span_cursor *c, struct span *out);

/* span_literal - the word (true, false, null) of len bytes at c->p. */
int span_literal(struct span_cursor *c, const char *word, size_t len);

/* span_is - is the span exactly the len bytes of name (no escapes)? */
static inline int span_is(const struct span *s, const char *name, size_t len)
{
	return s->len == len && memcmp(s->p, name, len) == 0;
}

/* SPAN_IS - span_is with a string literal (a schema.h name). */
#define SPAN_IS(s, lit)		span_is((s), (lit), sizeof(lit) - 1)

/*
 * span_int - a number span as an integer; a fraction or an exponent goes
 * through strtod and is cut. Returns 0, or -1 when it does not fit.
 */
int span_int(const struct span *n, int64_t *v);

/*
 * span_ms_us - milliseconds with a fraction (4084.636) as microseconds,
 * exactly: the fraction's first three digits are the microseconds, the
 * rest rounds. Returns 0, or -1 when it does not fit.
 */
int span_ms_us(const struct span *n, int64_t *us);

/*
 * span_copy - the string's value with escapes decoded (\uXXXX into
 * UTF-8) into buf, cut to len - 1 bytes; "" for a span that is not
 * there. Returns buf.
 */
char *span_copy(const struct span *s, char *buf, size_t len);

/* span_eq - 1 when the span's value equals the C string, else 0. */
int span_eq(const struct span *s, const char *str);

#endif
