/*
 * rec.c - a report line into a struct gw_rec: one table names each field
 * the reader reads (schema.h's names), where it goes and what type it
 * has; the scanner (span.c) and jansson both fill the record from it, so
 * the two paths cannot read different fields.
 *
 * A field of the wrong type, or null, leaves its value unset (0, no bit
 * in has) and is skipped.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "addr.h"
#include "gwtime.h"
#include "rec.h"
#include "schema.h"

enum kind {
	K_STRING,		/* a string: a span */
	K_TIME,			/* an RFC 3339 string: microseconds */
	K_MS,			/* a number of ms: microseconds */
	K_INT,			/* a number: an integer */
	K_TRUE,			/* true: the int is 1 */
	K_TYPE,			/* the record type */
	K_PRESENT,		/* an object or array: only the bit */
	K_NESTED,		/* an object whose fields are in sub */
	K_STRING_OR_NUMBER,	/* a string, or a number's text (scanner only) */
};

struct field {
	const char *name;
	uint32_t len;
	enum kind kind;
	size_t off;			/* where in struct gw_rec */
	uint32_t bit;			/* set in has when read; 0: none */
	const struct field *sub;	/* K_NESTED: its fields, NULL-ended */
};

#define FIELD(name, kind, member, bit) \
	{ name, sizeof(name) - 1, kind, offsetof(struct gw_rec, member), bit, NULL }
#define NESTED(name, sub, bit) \
	{ name, sizeof(name) - 1, K_NESTED, 0, bit, sub }
#define PRESENT(name, bit) \
	{ name, sizeof(name) - 1, K_PRESENT, 0, bit, NULL }
#define FIELDS_END	{ NULL, 0, K_STRING, 0, 0, NULL }

static const struct field reconnect_fields[] = {
	FIELD(FIELD_RECONNECT_CLIENT_PORT, K_INT, reconnect_port, 0),
	FIELD(FIELD_RECONNECT_DELAY_MS, K_MS, reconnect_delay_us, 0),
	FIELD(FIELD_RECONNECT_CONFIDENCE, K_STRING, reconnect_confidence, 0),
	FIELDS_END
};

static const struct field cluster_fields[] = {
	FIELD(FIELD_CLUSTER_ID, K_STRING_OR_NUMBER, cluster_id, 0),
	FIELD(FIELD_CLUSTER_SIZE, K_INT, cluster_size, 0),
	FIELD(FIELD_CLUSTER_FIRST_START, K_TIME, cluster_first_us, 0),
	FIELDS_END
};

static const struct field inspector_fields[] = {
	FIELD(FIELD_INSPECTOR_LOST_PACKETS, K_TRUE, lost_packets, 0),
	FIELDS_END
};

static const struct field local_drops_fields[] = {
	FIELD(FIELD_LD_COMPLETE, K_TRUE, drops_complete, 0),
	FIELD(FIELD_LD_COUNT, K_INT, drops_count, 0),
	FIELDS_END
};

static const struct field last_hop_fields[] = {
	FIELD(FIELD_LAST_HOP_ADDR, K_STRING, last_hop, 0),
	FIELDS_END
};

/* gap, gap_open and stats records share one level: their names differ. */
static const struct field record_fields[] = {
	FIELD(FIELD_TYPE, K_TYPE, type, REC_HAS_TYPE),
	FIELD(FIELD_ID, K_STRING, id, REC_HAS_ID),
	FIELD(FIELD_HOST, K_STRING, host, 0),
	FIELD(FIELD_PROTO, K_STRING, proto, 0),
	FIELD(FIELD_CLIENT, K_STRING, client, REC_HAS_CLIENT),
	FIELD(FIELD_SERVER, K_STRING, server, REC_HAS_SERVER),
	FIELD(FIELD_START, K_TIME, start_us, REC_HAS_START),
	FIELD(FIELD_END, K_TIME, end_us, REC_HAS_END),
	FIELD(FIELD_DETECTED, K_TIME, detected_us, REC_HAS_DETECTED),
	FIELD(FIELD_DURATION_MS, K_MS, duration_us, REC_HAS_DURATION),
	FIELD(FIELD_SILENT, K_STRING, silent, 0),
	FIELD(FIELD_CLIENT_RETRANSMITS, K_INT, client_retransmits, 0),
	FIELD(FIELD_SERVER_RETRANSMITS, K_INT, server_retransmits, 0),
	FIELD(FIELD_OUTCOME, K_STRING, outcome, REC_HAS_OUTCOME),
	NESTED(FIELD_RECONNECT, reconnect_fields, REC_HAS_RECONNECT),
	FIELD(FIELD_CAUSE, K_STRING, cause, REC_HAS_CAUSE),
	FIELD(FIELD_EVIDENCE, K_STRING, evidence, 0),
	FIELD(FIELD_EXPLANATION, K_STRING, explanation, 0),
	FIELD(FIELD_NEXT_STEP, K_STRING, next_step, 0),
	NESTED(FIELD_INSPECTOR, inspector_fields, 0),
	NESTED(FIELD_LOCAL_DROPS, local_drops_fields, REC_HAS_LOCAL_DROPS),
	NESTED(FIELD_PROBE_LAST_HOP, last_hop_fields, 0),
	FIELD(FIELD_PROBE_CONTROL_CLIENT_REACHED, K_TRUE, control_reached, 0),
	PRESENT(FIELD_CONNTRACK, REC_HAS_CONNTRACK),
	FIELD(FIELD_PCAP, K_STRING, pcap, REC_HAS_PCAP),
	NESTED(FIELD_CLUSTER, cluster_fields, REC_HAS_CLUSTER),
	PRESENT(FIELD_PROBE, REC_HAS_PROBE),
	FIELD(FIELD_STATS_TIME, K_TIME, time_us, REC_HAS_TIME),
	FIELD(FIELD_STATS_UPTIME_S, K_INT, uptime_s, REC_HAS_UPTIME),
	FIELD(FIELD_STATS_FLOWS_CREATED, K_INT, flows_created, 0),
	FIELD(FIELD_STATS_QUEUE_DROPPED, K_INT, queue_dropped, 0),
	FIELD(FIELD_STATS_USER_DROPPED, K_INT, user_dropped, 0),
	FIELD(FIELD_STATS_ENOBUFS, K_INT, enobufs, 0),
	FIELD(FIELD_STATS_REPORT_DROPPED, K_INT, report_dropped, 0),
	FIELD(FIELD_STATS_UNSEEN, K_INT, unseen, 0),
	FIELD(FIELD_STATS_ID_HOLES, K_INT, id_holes, 0),
	FIELD(FIELD_STATS_BLIND_INTERVALS, K_INT, blind_intervals, 0),
	FIELD(FIELD_STATS_BLIND_MISSED, K_INT, blind_missed, 0),
	FIELDS_END
};

static void *member(struct gw_rec *r, const struct field *f)
{
	return (char *)r + f->off;
}

static enum rec_type type_of(const char *s, size_t len)
{
	struct span t = { s, (uint32_t)len, 0 };

	if (SPAN_IS(&t, RECORD_GAP))
		return REC_GAP;
	if (SPAN_IS(&t, RECORD_GAP_OPEN))
		return REC_GAP_OPEN;
	if (SPAN_IS(&t, RECORD_STATS))
		return REC_STATS;
	if (SPAN_IS(&t, RECORD_PROBE))
		return REC_PROBE;
	if (SPAN_IS(&t, RECORD_EXPOSURE))
		return REC_EXPOSURE;
	return REC_OTHER;
}

/* ---- the scanner ---- */

/* What span_object's callback needs: the record and the level's fields. */
struct level {
	struct gw_rec *r;
	const struct field *fields;
};

static int is_number_start(char c)
{
	return c == '-' || (c >= '0' && c <= '9');
}

static int scan_field(struct span_cursor *c, const struct span *key, void *ctx);

/*
 * A key seen again: the last value counts, as in jansson (and most JSON
 * readers), so what the first one set is forgotten, nested fields too.
 */
static void forget(const struct field *f, struct gw_rec *r)
{
	const struct field *s;

	r->has &= ~f->bit;
	switch (f->kind) {
	case K_TRUE:
		*(int *)member(r, f) = 0;
		break;
	case K_TYPE:
		r->type = REC_OTHER;
		break;
	case K_STRING:
	case K_STRING_OR_NUMBER:
		memset(member(r, f), 0, sizeof(struct span));
		break;
	case K_INT:
	case K_MS:
	case K_TIME:
		*(int64_t *)member(r, f) = 0;
		break;
	case K_NESTED:
		for (s = f->sub; s->name != NULL; s++)
			forget(s, r);
		break;
	case K_PRESENT:
		break;
	}
}

/* The value at c->p into f's member: 0 read, 1 to be skipped, -1 bad. */
static int scan_value(struct span_cursor *c, const struct field *f,
		      struct gw_rec *r)
{
	struct level sub = { r, f->sub };
	struct span v;

	/* Only a key seen before has anything to forget (one without a
	 * bit of its own cannot tell, and is cheap to forget). */
	if ((r->has & f->bit) || f->bit == 0)
		forget(f, r);
	switch (f->kind) {
	case K_STRING:
	case K_STRING_OR_NUMBER:
		if (*c->p == '"') {
			if (span_string(c, member(r, f)) < 0)
				return -1;
			r->has |= f->bit;
			return 0;
		}
		if (f->kind == K_STRING || !is_number_start(*c->p))
			return 1;
		/* A numeric id: keep its text. */
		return span_number(c, member(r, f)) < 0 ? -1 : 0;
	case K_TIME:
		if (*c->p != '"')
			return 1;
		if (span_string(c, &v) < 0)
			return -1;
		if (!v.esc && gwt_parse_rfc3339(v.p, v.len, member(r, f)) == 0)
			r->has |= f->bit;
		return 0;
	case K_MS:
		if (!is_number_start(*c->p))
			return 1;
		if (span_number(c, &v) < 0)
			return -1;
		if (span_ms_us(&v, member(r, f)) == 0)
			r->has |= f->bit;
		return 0;
	case K_INT:
		if (!is_number_start(*c->p))
			return 1;
		if (span_number(c, &v) < 0)
			return -1;
		if (span_int(&v, member(r, f)) < 0)
			*(int64_t *)member(r, f) = 0;
		r->has |= f->bit;
		return 0;
	case K_TRUE:
		if (span_literal(c, "true", 4) < 0)
			return 1;
		*(int *)member(r, f) = 1;
		return 0;
	case K_TYPE:
		if (*c->p != '"')
			return 1;
		if (span_string(c, &v) < 0)
			return -1;
		r->has |= f->bit;
		r->type = type_of(v.p, v.len);
		return 0;
	case K_PRESENT:
		if (*c->p == '{' || *c->p == '[')
			r->has |= f->bit;
		return 1;
	case K_NESTED:
		break;
	}
	if (*c->p != '{')
		return 1;
	if (span_object(c, 1, scan_field, &sub) < 0)
		return -1;
	r->has |= f->bit;
	return 0;
}

static int scan_field(struct span_cursor *c, const struct span *key, void *ctx)
{
	const struct level *lv = ctx;
	const struct field *f;

	for (f = lv->fields; f->name != NULL; f++)
		if (span_is(key, f->name, f->len))
			return scan_value(c, f, lv->r);
	return 1;
}

/*
 * The top level has some 40 keys a line, most of them unread: its fields
 * are looked up by the key's length and its first and last bytes (a
 * linear walk of the table cost a fifth of the scan, chains by length
 * alone a tenth: many keys share a length). Built on the first line; the
 * tool has one thread.
 */
#define TOP_MAX_LEN	32
#define TOP_HASH	8		/* buckets per length, a power of two */
#define TOP_NONE	0xff

static uint8_t top_first[TOP_MAX_LEN + 1][TOP_HASH];
static uint8_t top_next[sizeof(record_fields) / sizeof(record_fields[0])];

static unsigned int top_hash(const char *p, size_t len)
{
	return ((unsigned char)p[0] + (unsigned char)p[len - 1] * 3U) &
	       (TOP_HASH - 1);
}

static void top_index(void)
{
	size_t k = sizeof(record_fields) / sizeof(record_fields[0]) - 1;
	unsigned int h;

	memset(top_first, TOP_NONE, sizeof(top_first));
	while (k-- > 0) {
		assert(record_fields[k].len > 0 &&
		       record_fields[k].len <= TOP_MAX_LEN);
		h = top_hash(record_fields[k].name, record_fields[k].len);
		top_next[k] = top_first[record_fields[k].len][h];
		top_first[record_fields[k].len][h] = (uint8_t)k;
	}
}

static int top_field(struct span_cursor *c, const struct span *key, void *ctx)
{
	const struct field *f;
	unsigned int k;

	if (key->len == 0 || key->len > TOP_MAX_LEN)
		return 1;
	for (k = top_first[key->len][top_hash(key->p, key->len)]; k != TOP_NONE;
	     k = top_next[k]) {
		size_t i;

		/* A byte loop: these keys are short, a memcmp call is not. */
		f = &record_fields[k];
		for (i = 0; i < f->len && key->p[i] == f->name[i]; i++)
			;
		if (i == f->len)
			return scan_value(c, f, ctx);
	}
	return 1;
}

enum rec_result rec_scan(const char *line, size_t len, struct gw_rec *r)
{
	static int indexed;
	struct span_cursor c = { line, line + len };

	if (!indexed) {
		top_index();
		indexed = 1;
	}
	memset(r, 0, sizeof(*r));
	span_ws(&c);
	if (c.p >= c.end)
		return REC_NOT_JSON;
	if (*c.p != '{') {
		if (span_skip(&c, 0) < 0)
			return REC_NOT_JSON;
		span_ws(&c);
		return c.p == c.end ? REC_NOT_OBJECT : REC_NOT_JSON;
	}
	if (span_object(&c, 0, top_field, r) < 0)
		return REC_NOT_JSON;
	span_ws(&c);
	if (c.p != c.end)
		return REC_NOT_JSON;
	return REC_OK;
}

/* ---- the same through jansson, for measuring and for the tests ---- */

/* 2^63: doubles at or beyond it do not convert to int64_t. */
#define REC_INT64_LIMIT	9223372036854775808.0

static void json_fields(json_t *o, const struct field *fields, struct gw_rec *r)
{
	const struct field *f;
	json_t *v;
	double d;

	for (f = fields; f->name != NULL; f++) {
		v = json_object_get(o, f->name);
		switch (f->kind) {
		case K_STRING:
		case K_STRING_OR_NUMBER:
			if (!json_is_string(v))
				break;
			*(struct span *)member(r, f) = (struct span){
				json_string_value(v),
				(uint32_t)json_string_length(v), 0
			};
			r->has |= f->bit;
			break;
		case K_TIME:
			if (json_is_string(v) &&
			    gwt_parse_rfc3339(json_string_value(v),
					      json_string_length(v),
					      member(r, f)) == 0)
				r->has |= f->bit;
			break;
		case K_MS:
			if (!json_is_number(v))
				break;
			d = json_number_value(v) * 1000.0;
			/* Out of int64's range the conversion is undefined;
			 * the scanner refuses such a duration too. */
			if (!(d > -REC_INT64_LIMIT && d < REC_INT64_LIMIT))
				break;
			*(int64_t *)member(r, f) = (int64_t)(d < 0 ? d - 0.5 : d + 0.5);
			r->has |= f->bit;
			break;
		case K_INT:
			if (json_is_integer(v))
				*(int64_t *)member(r, f) = (int64_t)json_integer_value(v);
			else if (json_is_real(v) &&
				 json_real_value(v) > -REC_INT64_LIMIT &&
				 json_real_value(v) < REC_INT64_LIMIT)
				*(int64_t *)member(r, f) = (int64_t)json_real_value(v);
			else if (json_is_real(v))
				*(int64_t *)member(r, f) = 0;	/* as the scanner */
			else
				break;
			r->has |= f->bit;
			break;
		case K_TRUE:
			if (json_is_true(v))
				*(int *)member(r, f) = 1;
			break;
		case K_TYPE:
			if (!json_is_string(v))
				break;
			r->has |= f->bit;
			r->type = type_of(json_string_value(v), json_string_length(v));
			break;
		case K_PRESENT:
			if (json_is_object(v) || json_is_array(v))
				r->has |= f->bit;
			break;
		case K_NESTED:
			if (!json_is_object(v))
				break;
			r->has |= f->bit;
			json_fields(v, f->sub, r);
			break;
		}
	}
}

enum rec_result rec_scan_jansson(const char *line, size_t len,
				 struct gw_rec *r, void **keep)
{
	json_t *o;

	memset(r, 0, sizeof(*r));
	*keep = NULL;
	o = json_loadb(line, len, JSON_DECODE_ANY, NULL);
	if (o == NULL)
		return REC_NOT_JSON;
	*keep = o;
	if (!json_is_object(o))
		return REC_NOT_OBJECT;
	json_fields(o, record_fields, r);
	return REC_OK;
}

void rec_release(void *keep)
{
	json_decref(keep);
}

/* ---- endpoints ---- */

int rec_endpoint(const struct span *s, struct in6_addr *addr, uint16_t *port)
{
	char buf[INET6_ADDRSTRLEN + 16], *colon, *host = buf;
	struct in_addr v4;
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
	if (inet_pton(AF_INET, host, &v4) != 1)
		return -1;
	addr_from_v4(addr, &v4);
	return 0;
}

int rec_probe_stop(const struct gw_rec *r, struct in6_addr *client, char *hop,
		   size_t len)
{
	if (r->last_hop.p == NULL || r->last_hop.len == 0 ||
	    r->last_hop.len >= len ||
	    rec_endpoint(&r->client, client, &(uint16_t){ 0 }) < 0)
		return -1;
	span_copy(&r->last_hop, hop, len);
	return 0;
}
