/*
 * gapwatch-scan.c - one JSON line into the fields gapwatch reads, and
 * the times and durations of records and command lines.
 *
 * Why not json_loads() per line: it builds a hash table for every object
 * of every line, 40-odd keys and four nested objects, only for us to read
 * a dozen of them and throw the rest away. Measured on a million lines
 * from mkreport (1.2 GB, 2 cores, file in the page cache): json_loadb
 * took 33 s, this scanner 2.7 s ("GAPWATCH_PARSER=jansson gapwatch
 * report" still runs the jansson path). The scanner checks the whole
 * line's syntax, so a line jansson refuses is refused here too (except
 * invalid UTF-8 and raw control characters inside strings, which it does
 * not look for); the unit tests compare the two.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memmem, vasprintf, strptime, timegm, st_mtim */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "gapwatch.h"

/* Deeper nesting than this is refused rather than recursed into. */
#define SCAN_MAX_DEPTH		64

struct scan {
	const char *p;
	const char *end;
};

static void ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
				 *s->p == '\r' || *s->p == '\n'))
		s->p++;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s->p at the opening quote; out (may be NULL) gets the contents. */
static int scan_string(struct scan *s, struct span *out)
{
	const char *q = s->p + 1, *start = q, *quote, *bs;
	uint8_t esc = 0;

	for (;;) {
		quote = memchr(q, '"', (size_t)(s->end - q));
		if (quote == NULL)
			return -1;
		bs = memchr(q, '\\', (size_t)(quote - q));
		if (bs == NULL)
			break;
		/* An escape before the next quote: check it, go past it. */
		esc = 1;
		if (bs + 1 >= s->end)
			return -1;
		switch (bs[1]) {
		case '"': case '\\': case '/': case 'b': case 'f':
		case 'n': case 'r': case 't':
			q = bs + 2;
			break;
		case 'u':
			if (s->end - bs < 6 || hexval(bs[2]) < 0 ||
			    hexval(bs[3]) < 0 || hexval(bs[4]) < 0 ||
			    hexval(bs[5]) < 0)
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
	s->p = quote + 1;
	return 0;
}

static int digits(struct scan *s)
{
	const char *p0 = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > p0 ? 0 : -1;
}

static int scan_number(struct scan *s, struct span *out)
{
	const char *start = s->p;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (digits(s) < 0)
		return -1;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (digits(s) < 0)
			return -1;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (digits(s) < 0)
			return -1;
	}
	if (out != NULL) {
		out->p = start;
		out->len = (uint32_t)(s->p - start);
		out->esc = 0;
	}
	return 0;
}

static int scan_literal(struct scan *s, const char *word, size_t len)
{
	if ((size_t)(s->end - s->p) < len || memcmp(s->p, word, len) != 0)
		return -1;
	s->p += len;
	return 0;
}

static int skip_value(struct scan *s, int depth);

/* Walk an object, calling field(key) for each member; the callback must
 * consume the value (or return 1 to have it skipped). */
typedef int (*field_fn)(struct scan *s, const struct span *key, void *ctx);

static int scan_object(struct scan *s, int depth, field_fn field, void *ctx)
{
	struct span key;
	int rc;

	if (depth > SCAN_MAX_DEPTH)
		return -1;
	s->p++;		/* '{' */
	ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		ws(s);
		if (s->p >= s->end || *s->p != '"' || scan_string(s, &key) < 0)
			return -1;
		ws(s);
		if (s->p >= s->end || *s->p != ':')
			return -1;
		s->p++;
		ws(s);
		rc = field ? field(s, &key, ctx) : 1;
		if (rc < 0)
			return -1;
		if (rc > 0 && skip_value(s, depth + 1) < 0)
			return -1;
		ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == '}') {
			s->p++;
			return 0;
		}
		if (*s->p != ',')
			return -1;
		s->p++;
	}
}

static int skip_array(struct scan *s, int depth)
{
	if (depth > SCAN_MAX_DEPTH)
		return -1;
	s->p++;		/* '[' */
	ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (;;) {
		if (skip_value(s, depth + 1) < 0)
			return -1;
		ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ']') {
			s->p++;
			return 0;
		}
		if (*s->p != ',')
			return -1;
		s->p++;
	}
}

static int skip_value(struct scan *s, int depth)
{
	ws(s);
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '"':
		return scan_string(s, NULL);
	case '{':
		return scan_object(s, depth, NULL, NULL);
	case '[':
		return skip_array(s, depth);
	case 't':
		return scan_literal(s, "true", 4);
	case 'f':
		return scan_literal(s, "false", 5);
	case 'n':
		return scan_literal(s, "null", 4);
	default:
		return scan_number(s, NULL);
	}
}

/* ---- typed values: a wrong type or null leaves the field unset ---- */

static int key_is(const struct span *k, const char *name, size_t len)
{
	return k->len == len && memcmp(k->p, name, len) == 0;
}

#define KEY(k, lit)	key_is((k), (lit), sizeof(lit) - 1)

static int want_string(struct scan *s, struct span *out, uint32_t *has,
		       uint32_t bit)
{
	if (*s->p != '"')
		return 1;
	if (scan_string(s, out) < 0)
		return -1;
	*has |= bit;
	return 0;
}

/* An integer number into *v; a fraction or an exponent goes through
 * strtod and is cut. */
static int num_int(const struct span *n, int64_t *v)
{
	const char *p = n->p, *end = n->p + n->len;
	int neg = 0;
	int64_t x = 0;

	if (memchr(p, '.', n->len) != NULL || memchr(p, 'e', n->len) != NULL ||
	    memchr(p, 'E', n->len) != NULL) {
		char buf[64];
		double d;

		if (n->len >= sizeof(buf))
			return -1;
		memcpy(buf, n->p, n->len);
		buf[n->len] = '\0';
		d = strtod(buf, NULL);
		if (!(d > -9.2e18 && d < 9.2e18))
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
static int num_ms_us(const struct span *n, int64_t *us)
{
	const char *p = n->p, *end = n->p + n->len;
	int64_t ms = 0, frac = 0;
	int neg = 0, k;

	if (memchr(p, 'e', n->len) != NULL || memchr(p, 'E', n->len) != NULL) {
		char buf[64];
		double d;

		if (n->len >= sizeof(buf))
			return -1;
		memcpy(buf, n->p, n->len);
		buf[n->len] = '\0';
		d = strtod(buf, NULL) * 1000.0;
		if (!(d > -9.2e18 && d < 9.2e18))
			return -1;
		*us = (int64_t)(d < 0 ? d - 0.5 : d + 0.5);
		return 0;
	}
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (ms > INT64_MAX / 10000)
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

static int want_int(struct scan *s, int64_t *v)
{
	struct span n;

	if (*s->p != '-' && (*s->p < '0' || *s->p > '9'))
		return 1;
	if (scan_number(s, &n) < 0)
		return -1;
	if (num_int(&n, v) < 0)
		*v = 0;
	return 0;
}

static int want_ms(struct scan *s, int64_t *us, uint32_t *has, uint32_t bit)
{
	struct span n;

	if (*s->p != '-' && (*s->p < '0' || *s->p > '9'))
		return 1;
	if (scan_number(s, &n) < 0)
		return -1;
	if (num_ms_us(&n, us) == 0)
		*has |= bit;
	return 0;
}

static int want_time(struct scan *s, int64_t *us, uint32_t *has, uint32_t bit)
{
	struct span t;

	if (*s->p != '"')
		return 1;
	if (scan_string(s, &t) < 0)
		return -1;
	if (!t.esc && gwt_parse_rfc3339(t.p, t.len, us) == 0)
		*has |= bit;
	return 0;
}

/* ---- the nested objects we read ---- */

static int reconnect_field(struct scan *s, const struct span *k, void *ctx)
{
	struct gw_rec *r = ctx;
	uint32_t dummy = 0;

	if (KEY(k, "client_port"))
		return want_int(s, &r->reconnect_port);
	if (KEY(k, "delay_ms"))
		return want_ms(s, &r->reconnect_delay_us, &dummy, 1);
	return 1;
}

static int cluster_field(struct scan *s, const struct span *k, void *ctx)
{
	struct gw_rec *r = ctx;
	uint32_t dummy = 0;

	if (KEY(k, "id")) {
		if (*s->p == '"')
			return want_string(s, &r->cluster_id, &dummy, 1);
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			/* A numeric id: keep its text. */
			return scan_number(s, &r->cluster_id) < 0 ? -1 : 0;
		return 1;
	}
	if (KEY(k, "size"))
		return want_int(s, &r->cluster_size);
	if (KEY(k, "first_start"))
		return want_time(s, &r->cluster_first_us, &dummy, 1);
	return 1;
}

static int inspector_field(struct scan *s, const struct span *k, void *ctx)
{
	struct gw_rec *r = ctx;

	if (KEY(k, "lost_packets")) {
		if (scan_literal(s, "true", 4) == 0) {
			r->lost_packets = 1;
			return 0;
		}
		return 1;
	}
	return 1;
}

static int nested(struct scan *s, field_fn fn, struct gw_rec *r,
		  uint32_t bit)
{
	if (*s->p != '{')
		return 1;
	if (scan_object(s, 1, fn, r) < 0)
		return -1;
	r->has |= bit;
	return 0;
}

static int top_field(struct scan *s, const struct span *k, void *ctx)
{
	struct gw_rec *r = ctx;
	struct span t;

	switch (k->len) {
	case 2:
		if (KEY(k, "id"))
			return want_string(s, &r->id, &r->has, HAS_ID);
		break;
	case 3:
		if (KEY(k, "end"))
			return want_time(s, &r->end_us, &r->has, HAS_END);
		break;
	case 4:
		if (KEY(k, "type")) {
			if (*s->p != '"')
				return 1;
			if (scan_string(s, &t) < 0)
				return -1;
			r->has |= HAS_TYPE;
			if (KEY(&t, "gap"))
				r->type = REC_GAP;
			else if (KEY(&t, "gap_open"))
				r->type = REC_GAP_OPEN;
			else if (KEY(&t, "stats"))
				r->type = REC_STATS;
			return 0;
		}
		if (KEY(k, "pcap"))
			return want_string(s, &r->pcap, &r->has, HAS_PCAP);
		if (KEY(k, "time"))
			return want_time(s, &r->time_us, &r->has, HAS_TIME);
		break;
	case 5:
		if (KEY(k, "start"))
			return want_time(s, &r->start_us, &r->has, HAS_START);
		if (KEY(k, "cause"))
			return want_string(s, &r->cause, &r->has, HAS_CAUSE);
		if (KEY(k, "proto"))
			return want_string(s, &r->proto, &r->has, 0);
		if (KEY(k, "probe"))
			return *s->p == '{' || *s->p == '[' ?
			       (r->has |= HAS_PROBE, 1) : 1;
		break;
	case 6:
		if (KEY(k, "client"))
			return want_string(s, &r->client, &r->has, HAS_CLIENT);
		if (KEY(k, "server"))
			return want_string(s, &r->server, &r->has, HAS_SERVER);
		if (KEY(k, "silent"))
			return want_string(s, &r->silent, &r->has, 0);
		break;
	case 7:
		if (KEY(k, "outcome"))
			return want_string(s, &r->outcome, &r->has, HAS_OUTCOME);
		if (KEY(k, "cluster"))
			return nested(s, cluster_field, r, HAS_CLUSTER);
		if (KEY(k, "enobufs"))
			return want_int(s, &r->enobufs);
		break;
	case 8:
		if (KEY(k, "detected"))
			return want_time(s, &r->detected_us, &r->has, HAS_DETECTED);
		if (KEY(k, "evidence"))
			return want_string(s, &r->evidence, &r->has, 0);
		if (KEY(k, "uptime_s")) {
			int rc = want_int(s, &r->uptime_s);

			if (rc == 0)
				r->has |= HAS_UPTIME;
			return rc;
		}
		break;
	case 9:
		if (KEY(k, "reconnect"))
			return nested(s, reconnect_field, r, HAS_RECONNECT);
		if (KEY(k, "next_step"))
			return want_string(s, &r->next_step, &r->has, 0);
		if (KEY(k, "inspector"))
			return nested(s, inspector_field, r, 0);
		if (KEY(k, "conntrack"))
			return *s->p == '{' || *s->p == '[' ?
			       (r->has |= HAS_CONNTRACK, 1) : 1;
		break;
	case 11:
		if (KEY(k, "duration_ms"))
			return want_ms(s, &r->duration_us, &r->has, HAS_DURATION);
		if (KEY(k, "explanation"))
			return want_string(s, &r->explanation, &r->has, 0);
		break;
	case 12:
		if (KEY(k, "user_dropped"))
			return want_int(s, &r->user_dropped);
		break;
	case 13:
		if (KEY(k, "flows_created"))
			return want_int(s, &r->flows_created);
		if (KEY(k, "queue_dropped"))
			return want_int(s, &r->queue_dropped);
		break;
	case 14:
		if (KEY(k, "report_dropped"))
			return want_int(s, &r->report_dropped);
		break;
	case 18:
		if (KEY(k, "server_retransmits"))
			return want_int(s, &r->server_retransmits);
		if (KEY(k, "client_retransmits"))
			return want_int(s, &r->client_retransmits);
		break;
	}
	return 1;
}

enum scan_result scan_record(const char *line, size_t len, struct gw_rec *r)
{
	struct scan s = { line, line + len };

	memset(r, 0, sizeof(*r));
	ws(&s);
	if (s.p >= s.end)
		return SCAN_NOT_JSON;
	if (*s.p != '{') {
		if (skip_value(&s, 0) < 0)
			return SCAN_NOT_JSON;
		ws(&s);
		return s.p == s.end ? SCAN_NOT_OBJECT : SCAN_NOT_JSON;
	}
	if (scan_object(&s, 0, top_field, r) < 0)
		return SCAN_NOT_JSON;
	ws(&s);
	if (s.p != s.end)
		return SCAN_NOT_JSON;
	return SCAN_OK;
}

/* ---- spans ---- */

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
	return (unsigned long)(hexval(p[0]) << 12 | hexval(p[1]) << 8 |
			       hexval(p[2]) << 4 | hexval(p[3]));
}

char *span_copy(const struct span *s, char *buf, size_t len)
{
	const char *p = s->p, *end = s->p + s->len;
	size_t o = 0, n;
	unsigned long cp, lo;

	if (len == 0)
		return buf;
	if (s->p == NULL) {
		buf[0] = '\0';
		return buf;
	}
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

int scan_endpoint(const struct span *s, struct in6_addr *addr, uint16_t *port)
{
	char buf[INET6_ADDRSTRLEN + 16], *colon, *host = buf;
	unsigned long pn;
	char *end;

	if (s->p == NULL || s->len >= sizeof(buf) || s->esc)
		return -1;
	memcpy(buf, s->p, s->len);
	buf[s->len] = '\0';
	colon = strrchr(buf, ':');
	if (colon == NULL)
		return -1;
	*colon = '\0';
	pn = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || pn > 65535)
		return -1;
	*port = (uint16_t)pn;
	if (buf[0] == '[') {
		size_t n = strlen(buf);

		if (n < 2 || buf[n - 1] != ']')
			return -1;
		buf[n - 1] = '\0';
		host = buf + 1;
		return inet_pton(AF_INET6, host, addr) == 1 ? 0 : -1;
	}
	memset(addr, 0, sizeof(*addr));
	addr->s6_addr[10] = 0xff;
	addr->s6_addr[11] = 0xff;
	return inet_pton(AF_INET, host, &addr->s6_addr[12]) == 1 ? 0 : -1;
}

/* ---- times ---- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int fixed_num(const char *p, const char *end, int n, unsigned int *v)
{
	int k;

	if (end - p < n)
		return -1;
	*v = 0;
	for (k = 0; k < n; k++) {
		if (p[k] < '0' || p[k] > '9')
			return -1;
		*v = *v * 10 + (unsigned int)(p[k] - '0');
	}
	return 0;
}

int gwt_parse_rfc3339(const char *s, size_t len, int64_t *us)
{
	const char *p = s, *end = s + len;
	unsigned int Y, M, D, h = 0, m = 0, sec = 0, oh, om;
	int64_t frac = 0, scale = 100000, t;
	int sign;

	if (fixed_num(p, end, 4, &Y) < 0 || end - p < 10 || p[4] != '-' ||
	    fixed_num(p + 5, end, 2, &M) < 0 || p[7] != '-' ||
	    fixed_num(p + 8, end, 2, &D) < 0)
		return -1;
	p += 10;
	if (M < 1 || M > 12 || D < 1 || D > 31)
		return -1;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		if (fixed_num(p, end, 2, &h) < 0 || end - p < 5 || p[2] != ':' ||
		    fixed_num(p + 3, end, 2, &m) < 0)
			return -1;
		p += 5;
		if (p < end && *p == ':') {
			if (fixed_num(p + 1, end, 2, &sec) < 0)
				return -1;
			p += 3;
			if (p < end && *p == '.') {
				p++;
				if (p >= end || *p < '0' || *p > '9')
					return -1;
				for (; p < end && *p >= '0' && *p <= '9'; p++) {
					frac += (*p - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (h > 23 || m > 59 || sec > 60)
			return -1;
	} else if (p != end) {
		return -1;
	}
	t = (days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec) *
	    1000000 + frac;
	if (p < end && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p == '+' ? 1 : -1;
		p++;
		if (fixed_num(p, end, 2, &oh) < 0)
			return -1;
		p += 2;
		if (p < end && *p == ':')
			p++;
		if (fixed_num(p, end, 2, &om) < 0 || oh > 23 || om > 59)
			return -1;
		p += 2;
		/* 12:00+02:00 is 10:00Z. */
		t -= sign * (int64_t)(oh * 3600 + om * 60) * 1000000;
	}
	if (p != end)
		return -1;
	*us = t;
	return 0;
}

/* A number with an optional fraction and a unit; unit_us for none. */
static int number_unit(const char *s, int64_t bare_us, int64_t *us)
{
	static const struct { const char *unit; int64_t us; } units[] = {
		{ "us", 1 }, { "ms", 1000 }, { "s", 1000000 },
		{ "sec", 1000000 }, { "m", 60000000 }, { "min", 60000000 },
		{ "h", 3600000000LL }, { "d", 86400000000LL },
		{ "w", 604800000000LL },
	};
	char *end;
	double v;
	size_t k;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || v < 0)
		return -1;
	if (*end == '\0') {
		*us = (int64_t)(v * (double)bare_us + 0.5);
		return 0;
	}
	for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
		if (strcmp(end, units[k].unit) == 0) {
			if (v * (double)units[k].us > 9.2e18)
				return -1;
			*us = (int64_t)(v * (double)units[k].us + 0.5);
			return 0;
		}
	}
	return -1;
}

int gwt_parse_arg(const char *s, int64_t now_us, int64_t *us)
{
	int64_t d;
	char *end;
	long long e;

	if (strcmp(s, "now") == 0) {
		*us = now_us;
		return 0;
	}
	if (s[0] == '@') {
		errno = 0;
		e = strtoll(s + 1, &end, 10);
		if (errno != 0 || end == s + 1 || *end != '\0' ||
		    e > INT64_MAX / 1000000 || e < 0)
			return -1;
		*us = e * 1000000;
		return 0;
	}
	if (gwt_parse_rfc3339(s, strlen(s), us) == 0)
		return 0;
	/* "1h": a duration back from now; a bare number is ambiguous. */
	if (strspn(s, "0123456789.") == strlen(s))
		return -1;
	if (number_unit(s, 0, &d) < 0)
		return -1;
	*us = now_us - d;
	return 0;
}

int gwt_parse_duration(const char *s, int64_t *us)
{
	return number_unit(s, 1000, us);
}

char *gwt_format(int64_t us, int frac, char *buf, size_t len)
{
	time_t secs;
	struct tm tm;
	int64_t sub;

	if (us == GWT_NONE) {
		snprintf(buf, len, "-");
		return buf;
	}
	secs = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
	sub = us - (int64_t)secs * 1000000;
	if (gmtime_r(&secs, &tm) == NULL) {
		snprintf(buf, len, "invalid");
		return buf;
	}
	if (frac)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)sub);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

char *gwt_format_edge(int64_t ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%lldms", (long long)ms);
	else if (ms < 60000 || ms % 60000)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lldm", (long long)(ms / 60000));
	return buf;
}

char *gwt_format_dur(int64_t us, char *buf, size_t len)
{
	double v = (double)us;

	if (us < 0)
		snprintf(buf, len, "-");
	else if (us < 1000000)
		snprintf(buf, len, "%.0f ms", v / 1e3);
	else if (us < 10000000)
		snprintf(buf, len, "%.2f s", v / 1e6);
	else if (us < 60000000)
		snprintf(buf, len, "%.1f s", v / 1e6);
	else if (us < 3600000000LL)
		snprintf(buf, len, "%.1f min", v / 6e7);
	else if (us < 2 * 86400000000LL)
		snprintf(buf, len, "%.1f h", v / 3.6e9);
	else
		snprintf(buf, len, "%.1f d", v / 8.64e10);
	return buf;
}

/* ---- the same through jansson, for measuring and for the tests ---- */

static void j_string(json_t *o, const char *key, struct span *out,
		     uint32_t *has, uint32_t bit)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return;
	out->p = json_string_value(v);
	out->len = (uint32_t)json_string_length(v);
	out->esc = 0;
	*has |= bit;
}

static void j_time(json_t *o, const char *key, int64_t *us, uint32_t *has,
		   uint32_t bit)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v) &&
	    gwt_parse_rfc3339(json_string_value(v), json_string_length(v), us) == 0)
		*has |= bit;
}

static void j_ms(json_t *o, const char *key, int64_t *us, uint32_t *has,
		 uint32_t bit)
{
	json_t *v = json_object_get(o, key);
	double d;

	if (!json_is_number(v))
		return;
	d = json_number_value(v) * 1000.0;
	*us = (int64_t)(d < 0 ? d - 0.5 : d + 0.5);
	*has |= bit;
}

static int64_t j_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	return 0;
}

enum scan_result scan_record_jansson(const char *line, size_t len,
				     struct gw_rec *r, void **keep)
{
	json_t *o, *v, *t;
	json_error_t e;
	uint32_t dummy = 0;

	memset(r, 0, sizeof(*r));
	*keep = NULL;
	o = json_loadb(line, len, JSON_DECODE_ANY, &e);
	if (o == NULL)
		return SCAN_NOT_JSON;
	*keep = o;
	if (!json_is_object(o))
		return SCAN_NOT_OBJECT;
	t = json_object_get(o, "type");
	if (json_is_string(t)) {
		r->has |= HAS_TYPE;
		if (strcmp(json_string_value(t), "gap") == 0)
			r->type = REC_GAP;
		else if (strcmp(json_string_value(t), "gap_open") == 0)
			r->type = REC_GAP_OPEN;
		else if (strcmp(json_string_value(t), "stats") == 0)
			r->type = REC_STATS;
	}
	j_string(o, "id", &r->id, &r->has, HAS_ID);
	j_string(o, "proto", &r->proto, &r->has, 0);
	j_string(o, "client", &r->client, &r->has, HAS_CLIENT);
	j_string(o, "server", &r->server, &r->has, HAS_SERVER);
	j_string(o, "silent", &r->silent, &r->has, 0);
	j_string(o, "outcome", &r->outcome, &r->has, HAS_OUTCOME);
	j_string(o, "cause", &r->cause, &r->has, HAS_CAUSE);
	j_string(o, "evidence", &r->evidence, &r->has, 0);
	j_string(o, "explanation", &r->explanation, &r->has, 0);
	j_string(o, "next_step", &r->next_step, &r->has, 0);
	j_string(o, "pcap", &r->pcap, &r->has, HAS_PCAP);
	j_time(o, "start", &r->start_us, &r->has, HAS_START);
	j_time(o, "end", &r->end_us, &r->has, HAS_END);
	j_time(o, "detected", &r->detected_us, &r->has, HAS_DETECTED);
	j_time(o, "time", &r->time_us, &r->has, HAS_TIME);
	j_ms(o, "duration_ms", &r->duration_us, &r->has, HAS_DURATION);
	r->server_retransmits = j_int(o, "server_retransmits");
	r->client_retransmits = j_int(o, "client_retransmits");
	v = json_object_get(o, "reconnect");
	if (json_is_object(v)) {
		r->has |= HAS_RECONNECT;
		r->reconnect_port = j_int(v, "client_port");
		j_ms(v, "delay_ms", &r->reconnect_delay_us, &dummy, 1);
	}
	v = json_object_get(o, "cluster");
	if (json_is_object(v)) {
		r->has |= HAS_CLUSTER;
		j_string(v, "id", &r->cluster_id, &dummy, 1);
		r->cluster_size = j_int(v, "size");
		j_time(v, "first_start", &r->cluster_first_us, &dummy, 1);
	}
	v = json_object_get(o, "inspector");
	if (json_is_object(v) && json_is_true(json_object_get(v, "lost_packets")))
		r->lost_packets = 1;
	v = json_object_get(o, "conntrack");
	if (json_is_object(v) || json_is_array(v))
		r->has |= HAS_CONNTRACK;
	v = json_object_get(o, "probe");
	if (json_is_object(v) || json_is_array(v))
		r->has |= HAS_PROBE;
	if (json_is_integer(json_object_get(o, "uptime_s"))) {
		r->has |= HAS_UPTIME;
		r->uptime_s = j_int(o, "uptime_s");
	}
	r->flows_created = j_int(o, "flows_created");
	r->queue_dropped = j_int(o, "queue_dropped");
	r->user_dropped = j_int(o, "user_dropped");
	r->enobufs = j_int(o, "enobufs");
	r->report_dropped = j_int(o, "report_dropped");
	return SCAN_OK;
}

void scan_release(void *keep)
{
	json_decref(keep);
}
