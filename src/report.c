/*
 * report.c - the JSON encoding of every record, and the thread that
 * writes the lines.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "blind.h"
#include "bqueue.h"
#include "cause.h"
#include "exposure.h"
#include "gapwatch.h"
#include "probe.h"
#include "report.h"
#include "schema.h"
#include "timefmt.h"

/* Lines the writer takes out of the queue at once. */
#define WRITE_BATCH	256
/* The report file's stdio buffer. */
#define OUTPUT_BUFFER	(1 << 16)
/* The longest gap id: run id, queue, sequence number. */
#define GAP_ID_LEN	96

struct report {
	struct bqueue *lines;		/* char *, formatted records */
	pthread_t writer;
	pthread_mutex_t lock;		/* guards the three below */
	int reopen;
	uint64_t not_encoded;		/* records that could not be made */
	uint64_t write_errors;
	FILE *out;
	char *path;			/* NULL for stdout */
	char run_id[64];
	char host[256];			/* every record's "host" */
};

static const char *const outcome_names[] = {
	[OUTCOME_NONE] = NULL,
	[OUTCOME_RESUMED] = "resumed",
	[OUTCOME_CLIENT_RST] = "client_rst",
	[OUTCOME_SERVER_RST] = "server_rst",
	[OUTCOME_FIN] = "fin",
	[OUTCOME_EXPIRED] = "expired",
	[OUTCOME_RECONNECTED] = "reconnected",
	[OUTCOME_EVICTED] = "evicted",
	[OUTCOME_OPEN_AT_EXIT] = "open_at_exit",
};

static const char *const silent_names[] = {
	[SILENT_CLIENT] = "client",
	[SILENT_SERVER] = "server",
	[SILENT_BOTH] = "both",
};

static json_t *json_time(uint64_t wall_us)
{
	char buf[TIMEFMT_LEN];

	if (wall_us == 0)
		return json_null();
	return json_string(timefmt_rfc3339((int64_t)wall_us, 1, buf, sizeof(buf)));
}

static json_t *json_endpoint(const struct in6_addr *a, uint16_t port)
{
	char buf[ADDR_ENDPOINT_LEN];

	return json_string(addr_endpoint_format(a, port, buf, sizeof(buf)));
}

static json_t *json_ms(uint64_t us)
{
	/* Milliseconds with microsecond precision: durations are what
	 * operators sort by, and 3 decimals keep them exact. */
	return json_real((double)us / 1000.0);
}

static json_t *json_ttl(uint8_t ttl)
{
	return ttl ? json_integer(ttl) : json_null();
}

static const char *const ct_event_names[] = {
	[CT_EV_NEW] = "new",
	[CT_EV_UPDATE] = "update",
	[CT_EV_DESTROY] = "destroy",
};

/* Names of TCP_CONNTRACK_* states, as conntrack -L prints them. */
static const char *const tcp_state_names[] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
	"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
};

static json_t *json_tcp_state(uint8_t state)
{
	if (state == 0 || state >= GW_ARRAY_SIZE(tcp_state_names))
		return json_null();
	return json_string(tcp_state_names[state]);
}

static json_t *json_ct_entry(const struct ct_entry *ce)
{
	if (!ce->looked_up)
		return json_null();
	if (!ce->found)
		return json_pack("{s:b}", FIELD_CT_FOUND, 0);
	return json_pack("{s:b,s:o,s:I,s:I,s:I,s:{s:I,s:I},s:{s:I,s:I}}",
		FIELD_CT_FOUND, 1,
		FIELD_CT_STATE, json_tcp_state(ce->tcp_state),
		FIELD_CT_TIMEOUT_S, (json_int_t)ce->timeout_s,
		FIELD_CT_MARK, (json_int_t)ce->mark,
		FIELD_CT_STATUS, (json_int_t)ce->status,
		FIELD_CT_PACKETS, FIELD_CT_ORIG, (json_int_t)ce->packets[0],
				  FIELD_CT_REPLY, (json_int_t)ce->packets[1],
		FIELD_CT_BYTES, FIELD_CT_ORIG, (json_int_t)ce->bytes[0],
				FIELD_CT_REPLY, (json_int_t)ce->bytes[1]);
}

static json_t *json_conntrack(const struct ct_facts *ct)
{
	const struct ct_health *h = &ct->health;
	json_t *events;
	unsigned int k;

	if (!ct->available)
		return json_null();
	events = json_array();
	for (k = 0; k < ct->nevents; k++) {
		const struct ct_event *ev = &ct->events[k];

		json_array_append_new(events, json_pack("{s:o,s:s,s:o,s:I,s:b}",
			FIELD_CT_EVENT_TIME, json_time(ev->wall_us),
			FIELD_CT_EVENT, ct_event_names[ev->type],
			FIELD_CT_STATE, json_tcp_state(ev->tcp_state),
			FIELD_CT_TIMEOUT_S, (json_int_t)ev->timeout_s,
			FIELD_CT_BY_TIMEOUT, ev->by_timeout));
	}
	return json_pack("{s:o,s:i,s:o,s:o,s:{s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I}}",
		FIELD_CT_EVENTS, events,
		FIELD_CT_EVENTS_MISSED, (int)ct->events_missed,
		FIELD_CT_AT_OPEN, json_ct_entry(&ct->at_open),
		FIELD_CT_AT_CLOSE, json_ct_entry(&ct->at_close),
		FIELD_CT_TABLE,
		FIELD_CT_COUNT, (json_int_t)h->count,
		FIELD_CT_MAX, (json_int_t)h->max,
		FIELD_CT_FILL, h->max ? json_real((double)h->count / h->max) :
					json_null(),
		FIELD_CT_INVALID, (json_int_t)h->invalid,
		FIELD_CT_DROP, (json_int_t)h->drop,
		FIELD_CT_EARLY_DROP, (json_int_t)h->early_drop,
		FIELD_CT_INSERT_FAILED, (json_int_t)h->insert_failed,
		FIELD_CT_ERROR, (json_int_t)h->error,
		FIELD_CT_SEARCH_RESTART, (json_int_t)h->search_restart);
}

/* A gap's id, shared by its records and its probe record. */
static const char *gap_id(const char *run_id, uint16_t queue, uint64_t seq,
			  char *buf, size_t len)
{
	snprintf(buf, len, GAP_ID_FORMAT, run_id, queue,
		 (unsigned long long)seq);
	return buf;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : "udp";
}

/* ---- probe results ---- */

static json_t *json_addr(const struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	return json_string(addr_format(a, buf, sizeof(buf)));
}

static json_t *json_hops(const struct probe_result *res, int which)
{
	json_t *arr = json_array();
	unsigned int ttl;

	for (ttl = 1; ttl <= res->sent[which]; ttl++) {
		const struct probe_hop *h = &res->hops[which][ttl];
		json_t *o = json_pack("{s:i}", FIELD_HOP_TTL, (int)ttl);

		if (h->answered) {
			json_object_set_new(o, FIELD_HOP_RESPONDER,
					    json_addr(&h->addr));
			json_object_set_new(o, FIELD_HOP_RTT_MS, json_ms(h->rtt_us));
			if (h->client)
				json_object_set_new(o, FIELD_HOP_CLIENT,
						    json_true());
			if (h->unreachable)
				json_object_set_new(o, FIELD_HOP_UNREACHABLE,
						    json_integer(h->code));
		} else {
			json_object_set_new(o, FIELD_HOP_RESPONDER, json_null());
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *json_last_hop(const struct probe_result *res, int which)
{
	uint8_t ttl = res->last_hop[which];

	if (ttl == 0)
		return json_null();
	return json_pack("{s:o,s:i}",
			 FIELD_LAST_HOP_ADDR, json_addr(&res->hops[which][ttl].addr),
			 FIELD_LAST_HOP_TTL, (int)ttl);
}

/* A ladder's result, added to o: the probe record and a gap's "probe". */
static json_t *add_probe_fields(json_t *o, const struct probe_result *res)
{
	const struct flow_key *k = &res->key;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, FIELD_PROTO, json_string(proto_name(k->proto)));
	json_object_set_new(o, FIELD_CLIENT, json_endpoint(&k->client,
							   k->client_port));
	json_object_set_new(o, FIELD_SERVER, json_endpoint(&k->server,
							   k->server_port));
	json_object_set_new(o, FIELD_PROBE_CONTROL_PORT,
			    json_integer(res->control_port));
	json_object_set_new(o, FIELD_PROBE_FLOW, json_hops(res, LADDER_FLOW));
	json_object_set_new(o, FIELD_PROBE_CONTROL,
			    json_hops(res, LADDER_CONTROL));
	json_object_set_new(o, FIELD_PROBE_LAST_HOP,
			    json_last_hop(res, LADDER_FLOW));
	json_object_set_new(o, FIELD_PROBE_CONTROL_LAST_HOP,
			    json_last_hop(res, LADDER_CONTROL));
	json_object_set_new(o, FIELD_PROBE_CLIENT_REACHED,
			    json_boolean(res->reached[LADDER_FLOW] != 0));
	json_object_set_new(o, FIELD_PROBE_CONTROL_CLIENT_REACHED,
			    json_boolean(res->reached[LADDER_CONTROL] != 0));
	json_object_set_new(o, FIELD_DURATION_MS, json_ms(res->duration_us));
	json_object_set_new(o, FIELD_PROBE_VERDICT, json_string(res->verdict));
	return o;
}

static json_t *probe_json(const struct probe_result *res, const char *run_id)
{
	char id[GAP_ID_LEN];
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, FIELD_TYPE, json_string(RECORD_PROBE));
	json_object_set_new(o, FIELD_ID, json_string(gap_id(run_id, res->queue,
							    res->seq, id,
							    sizeof(id))));
	return add_probe_fields(o, res);
}

/* ---- gap and blind records ---- */

static const char *reconnect_method_name(uint8_t m)
{
	switch (m) {
	case RECONNECT_ONLY: return "only";
	case RECONNECT_FINGERPRINT: return "fingerprint";
	case RECONNECT_DELAY: return "delay";
	case RECONNECT_ORDER: return "order";
	}
	return "unknown";
}

const char *report_outcome_name(enum gap_outcome o)
{
	return o < GW_ARRAY_SIZE(outcome_names) && outcome_names[o] ?
	       outcome_names[o] : "none";
}

const char *report_confidence_name(uint8_t c)
{
	switch (c) {
	case CONFIDENCE_FULL: return "full";
	case CONFIDENCE_HIGH: return "high";
	case CONFIDENCE_LOW: return "low";
	}
	return "unknown";
}

/* The inspector's counters, added to o (taken; NULL if it failed). */
static json_t *inspector_json(const struct inspector_counters *in, json_t *o)
{
	json_t *c = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
		FIELD_INSPECTOR_QUEUE_DROPPED, (json_int_t)in->queue_dropped,
		FIELD_INSPECTOR_USER_DROPPED, (json_int_t)in->user_dropped,
		FIELD_INSPECTOR_ENOBUFS, (json_int_t)in->enobufs,
		FIELD_INSPECTOR_TRUNCATED, (json_int_t)in->truncated,
		FIELD_INSPECTOR_UNSEEN, (json_int_t)in->unseen,
		FIELD_INSPECTOR_ID_HOLES, (json_int_t)in->id_holes,
		FIELD_INSPECTOR_STALLS, (json_int_t)in->stalls,
		FIELD_INSPECTOR_STALLED_MS, json_ms(in->stalled_us));

	if (c == NULL || o == NULL || json_object_update(o, c) < 0) {
		json_decref(c);
		json_decref(o);
		return NULL;
	}
	json_decref(c);
	return o;
}

/* The record's "server" object: struct host_counters, in order. */
static const char *const host_fields[] = { HOST_COUNTER_FIELDS };
_Static_assert(GW_ARRAY_SIZE(host_fields) == HOST_COUNTERS,
	       "every host counter has its field");

static json_t *server_json(const struct gap_record *rec)
{
	const uint64_t *v = (const uint64_t *)&rec->server;
	json_t *o;
	size_t k;

	if (!rec->server_known || (o = json_object()) == NULL)
		return json_null();
	for (k = 0; k < HOST_COUNTERS; k++)
		json_object_set_new(o, host_fields[k], json_integer((json_int_t)v[k]));
	return o;
}

/* What the server's kernel dropped of the flow: null when unwatched. */
static json_t *local_drops_json(const struct gap_record *rec)
{
	const struct local_drops *d = &rec->drops;
	char verdict[sizeof(rec->evidence)];
	json_t *reasons, *o;
	unsigned int k;

	if (d->since_us == 0)
		return json_null();
	reasons = json_array();
	for (k = 0; reasons && k < d->nreasons; k++)
		json_array_append_new(reasons, json_pack("{s:s,s:I,s:s}",
			FIELD_LD_REASON, d->by_reason[k].name,
			FIELD_LD_COUNT, (json_int_t)d->by_reason[k].count,
			FIELD_LD_FUNCTION, d->by_reason[k].func));
	cause_drops_verdict(rec, verdict, sizeof(verdict));
	o = json_pack("{s:b,s:b,s:I,s:o,s:o,s:o,s:I,s:I,s:o,s:s}",
		FIELD_LD_WATCHING, d->watching,
		FIELD_LD_COMPLETE, d->complete,
		FIELD_LD_COUNT, (json_int_t)d->count,
		FIELD_LD_BY_REASON, reasons ? reasons : json_null(),
		FIELD_LD_FIRST, d->first_us ? json_time(d->first_us) : json_null(),
		FIELD_LD_LAST, d->last_us ? json_time(d->last_us) : json_null(),
		FIELD_LD_OTHER_PORTS, (json_int_t)d->other_ports,
		FIELD_LD_OTHER_SYNS, (json_int_t)d->other_syns,
		FIELD_LD_SINCE, json_time(d->since_us),
		FIELD_LD_VERDICT, verdict);
	return o ? o : json_null();
}

static json_t *blind_json(const struct blind_record *iv)
{
	return inspector_json(&iv->growth, json_pack(
		"{s:s,s:i,s:o,s:o,s:o,s:s,s:I}",
		FIELD_TYPE, RECORD_BLIND,
		FIELD_QUEUE, (int)iv->queue,
		FIELD_START, json_time(iv->start_us),
		FIELD_END, json_time(iv->end_us),
		FIELD_DURATION_MS, json_ms(iv->end_us > iv->start_us ?
					   iv->end_us - iv->start_us : 0),
		FIELD_BLIND_REASON, blind_reason_name(iv->reason),
		FIELD_BLIND_MISSED, (json_int_t)iv->missed));
}

static json_t *json_seconds(uint64_t us)
{
	return json_real((double)(us / USEC_PER_MSEC) / 1000.0);
}

/* An exposure record without its by_prefix list, which comes last. */
static json_t *exposure_json(const struct exposure_batch *b, uint32_t listed)
{
	uint64_t flows = b->other_flows, us = b->other_flow_us;
	uint32_t k;

	for (k = listed; k < b->n; k++) {
		flows += b->entries[k].flows;
		us += b->entries[k].flow_us;
	}
	return json_pack("{s:s,s:i,s:o,s:o,s:I,s:o,s:i,s:i,s:i,s:{s:i,s:I,s:o,s:I},s:[]}",
		FIELD_TYPE, RECORD_EXPOSURE,
		FIELD_QUEUE, (int)b->queue,
		FIELD_START, json_time(b->start_us),
		FIELD_END, json_time(b->end_us),
		FIELD_EXPOSURE_FLOWS, (json_int_t)b->flows,
		FIELD_EXPOSURE_FLOW_SECONDS, json_seconds(b->flow_us),
		FIELD_EXPOSURE_PREFIX_V4, EXPOSURE_PREFIX_V4,
		FIELD_EXPOSURE_PREFIX_V6, EXPOSURE_PREFIX_V6,
		FIELD_EXPOSURE_PREFIXES, (int)b->n,
		FIELD_EXPOSURE_OTHER,
		FIELD_EXPOSURE_PREFIXES, (int)(b->n - listed),
		FIELD_EXPOSURE_FLOWS, (json_int_t)flows,
		FIELD_EXPOSURE_FLOW_SECONDS, json_seconds(us),
		FIELD_EXPOSURE_TABLE_FULL, (json_int_t)b->other_adds,
		FIELD_EXPOSURE_BY_PREFIX);
}

/*
 * The line with by_prefix's [prefix, flows, flow_seconds] written into
 * the empty list that ends it. Measured: jansson's tree of 20,000 such
 * entries took 9 MB beside the table's 1.5 MB (replaying 100k flows over
 * 33k prefixes), against a line of 0.6 MB written here. Nothing in an
 * entry needs escaping (hex digits, dots, colons, a slash, numbers);
 * t-schema validates the lines with a JSON parser.
 */
static char *exposure_line(const struct exposure_batch *b, uint32_t listed,
			   char *head)
{
	size_t hlen = strlen(head), len, off;
	char *line;
	uint32_t k;

	/* head ends with "[]}": the list is opened at its "[". */
	if (hlen < 3 || strcmp(head + hlen - 3, "[]}") != 0)
		return NULL;
	len = hlen + (size_t)listed * EXPOSURE_ENTRY_MAX + 4;
	line = malloc(len);
	if (line == NULL)
		return NULL;
	off = hlen - 2;
	memcpy(line, head, off);
	for (k = 0; k < listed; k++) {
		const struct exposure_entry *e = &b->entries[k];
		char pfx[INET6_ADDRSTRLEN + 4];
		int n;

		n = snprintf(line + off, len - off, "%s[\"%s\",%u,%.3f]", k ? "," : "",
			     exposure_prefix_format(e->key, pfx, sizeof(pfx)),
			     e->flows, (double)(e->flow_us / USEC_PER_MSEC) / 1000.0);
		if (n < 0 || (size_t)n >= len - off) {
			free(line);
			return NULL;
		}
		off += (size_t)n;
	}
	memcpy(line + off, "]}", 3);
	return line;
}

json_t *report_gap_json(const struct gap_record *rec,
			const struct probe_result *probe, const char *run_id)
{
	const struct gap_side_facts *c = &rec->side[SIDE_CLIENT];
	const struct gap_side_facts *s = &rec->side[SIDE_SERVER];
	const struct inspector_counters *in = &rec->inspector;
	char id[GAP_ID_LEN];
	json_t *o;
	int open = rec->is_open_event;
	uint64_t end = open ? rec->detected_us : rec->end_us;

	o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, FIELD_TYPE,
			    json_string(open ? RECORD_GAP_OPEN : RECORD_GAP));
	json_object_set_new(o, FIELD_ID, json_string(gap_id(run_id, rec->queue,
							    rec->seq, id,
							    sizeof(id))));
	json_object_set_new(o, FIELD_PROTO,
			    json_string(proto_name(rec->key.proto)));
	json_object_set_new(o, FIELD_CLIENT, json_endpoint(&rec->key.client,
							   rec->key.client_port));
	json_object_set_new(o, FIELD_SERVER, json_endpoint(&rec->key.server,
							   rec->key.server_port));
	json_object_set_new(o, FIELD_START, json_time(rec->start_us));
	json_object_set_new(o, FIELD_END,
			    open ? json_null() : json_time(rec->end_us));
	json_object_set_new(o, FIELD_DETECTED, json_time(rec->detected_us));
	json_object_set_new(o, FIELD_DURATION_MS,
			    json_ms(end > rec->start_us ? end - rec->start_us : 0));
	json_object_set_new(o, FIELD_THRESHOLD_MS, json_ms(rec->threshold_us));
	json_object_set_new(o, FIELD_EXPECTED_INTERVAL_MS,
			    json_ms(rec->expected_interval_us));
	json_object_set_new(o, FIELD_SILENT,
			    json_string(silent_names[rec->silent]));
	json_object_set_new(o, FIELD_LAST_CLIENT_PACKET,
			    json_time(c->last_packet_us));
	json_object_set_new(o, FIELD_LAST_SERVER_PACKET,
			    json_time(s->last_packet_us));
	json_object_set_new(o, FIELD_CLIENT_PACKETS, json_integer(c->packets));
	json_object_set_new(o, FIELD_SERVER_PACKETS, json_integer(s->packets));
	json_object_set_new(o, FIELD_CLIENT_RETRANSMITS,
			    json_integer(c->retransmits));
	json_object_set_new(o, FIELD_SERVER_RETRANSMITS,
			    json_integer(s->retransmits));
	json_object_set_new(o, FIELD_DUP_ACKS,
			    json_integer(c->dup_acks + s->dup_acks));
	json_object_set_new(o, FIELD_ZERO_WINDOWS,
			    json_integer(c->zero_windows + s->zero_windows));
	json_object_set_new(o, FIELD_BYTES_IN_FLIGHT, json_pack("{s:I,s:I}",
		FIELD_SIDE_CLIENT, (json_int_t)c->bytes_in_flight,
		FIELD_SIDE_SERVER, (json_int_t)s->bytes_in_flight));
	json_object_set_new(o, FIELD_TTL, json_pack("{s:o,s:o,s:o,s:o}",
		FIELD_TTL_CLIENT_BEFORE, json_ttl(c->ttl_before),
		FIELD_TTL_CLIENT_AFTER, open ? json_null() : json_ttl(c->ttl_after),
		FIELD_TTL_SERVER_BEFORE, json_ttl(s->ttl_before),
		FIELD_TTL_SERVER_AFTER, open ? json_null() : json_ttl(s->ttl_after)));
	json_object_set_new(o, FIELD_OUTCOME, open ? json_null() :
			    json_string(outcome_names[rec->outcome]));
	if (rec->outcome == OUTCOME_RECONNECTED)
		json_object_set_new(o, FIELD_RECONNECT, json_pack("{s:i,s:o,s:i,s:s,s:s}",
			FIELD_RECONNECT_CLIENT_PORT, (int)rec->reconnect_port,
			FIELD_RECONNECT_DELAY_MS, json_ms(rec->reconnect_delay_us),
			FIELD_RECONNECT_CANDIDATES, (int)rec->reconnect_candidates,
			FIELD_RECONNECT_METHOD, reconnect_method_name(rec->reconnect_method),
			FIELD_RECONNECT_CONFIDENCE,
			report_confidence_name(rec->reconnect_confidence)));
	else
		json_object_set_new(o, FIELD_RECONNECT, json_null());
	json_object_set_new(o, FIELD_CAUSE, json_string(cause_name(rec->cause)));
	json_object_set_new(o, FIELD_EVIDENCE, json_string(rec->evidence));
	json_object_set_new(o, FIELD_EXPLANATION,
			    json_string(cause_explanation(rec->cause)));
	json_object_set_new(o, FIELD_NEXT_STEP,
			    json_string(cause_next_step(rec->cause)));
	json_object_set_new(o, FIELD_INSPECTOR, inspector_json(in, json_pack(
		"{s:b,s:b,s:o}",
		FIELD_INSPECTOR_LOST_PACKETS, rec->cause == CAUSE_INSPECTOR_LOSS,
		FIELD_INSPECTOR_PARTLY_BLIND, rec->partly_blind,
		FIELD_INSPECTOR_BLIND_FROM, rec->blind_from_us ?
			json_time(rec->blind_from_us) : json_null())));
	json_object_set_new(o, FIELD_LOCAL_DROPS, local_drops_json(rec));
	json_object_set_new(o, FIELD_SERVER_COUNTERS, server_json(rec));
	json_object_set_new(o, FIELD_QUEUE, json_integer(rec->queue));
	json_object_set_new(o, FIELD_TRIGGER, json_string(
		rec->trigger == TRIGGER_UNACKED ? "unacked_data" : "data_silence"));
	json_object_set_new(o, FIELD_BIG_RETRANSMITS, json_pack("{s:i,s:i}",
		FIELD_SIDE_CLIENT, (int)c->big_retransmits,
		FIELD_SIDE_SERVER, (int)s->big_retransmits));
	json_object_set_new(o, FIELD_INVALID, json_pack("{s:i,s:i,s:o,s:o}",
		FIELD_SIDE_CLIENT, (int)c->invalid,
		FIELD_SIDE_SERVER, (int)s->invalid,
		FIELD_INVALID_FIRST, json_time(rec->invalid_first_us),
		FIELD_INVALID_LAST, json_time(rec->invalid_last_us)));
	json_object_set_new(o, FIELD_CONNTRACK, json_conntrack(&rec->ct));
	json_object_set_new(o, FIELD_PCAP, rec->pcap_path[0] ?
			    json_string(rec->pcap_path) : json_null());
	json_object_set_new(o, FIELD_CLUSTER, rec->cluster.id == 0 ? json_null() :
		json_pack("{s:I,s:i,s:o}",
			  FIELD_CLUSTER_ID, (json_int_t)rec->cluster.id,
			  FIELD_CLUSTER_SIZE, (int)rec->cluster.size,
			  FIELD_CLUSTER_FIRST_START,
			  json_time(rec->cluster.first_start_us)));
	if (probe != NULL)
		json_object_set_new(o, FIELD_PROBE,
				    add_probe_fields(json_object(), probe));
	return o;
}

/* ---- the stats record ---- */

/* The engines' counters in the stats record's order: the parse errors go
 * into an object of their own. */
struct counter_field {
	enum engine_counter counter;
	const char *name;
};

static const struct counter_field engine_fields[] = {
	{ EC_PACKETS, FIELD_STATS_PACKETS },
	{ EC_BYTES, FIELD_STATS_BYTES },
	{ EC_UNMATCHED, FIELD_STATS_UNMATCHED },
	{ EC_FLOWS_CREATED, FIELD_STATS_FLOWS_CREATED },
	{ EC_FLOWS_EXPIRED, FIELD_STATS_FLOWS_EXPIRED },
	{ EC_FLOWS_EVICTED, FIELD_STATS_FLOWS_EVICTED },
	{ EC_GAPS_OPENED, FIELD_STATS_GAPS_OPENED },
	{ EC_GAPS_CLOSED, FIELD_STATS_GAPS_CLOSED },
	{ EC_RECONNECTS, FIELD_STATS_RECONNECTS },
	{ EC_RETRANSMITS, FIELD_STATS_RETRANSMITS },
	{ EC_INVALID, FIELD_STATS_INVALID },
	{ EC_EVIDENCE_LOST, FIELD_STATS_EVIDENCE_LOST },
	{ EC_TIMERS_FIRED, FIELD_STATS_TIMERS_FIRED },
};

static const struct counter_field parse_fields[] = {
	{ EC_PARSE_TRUNCATED, FIELD_PARSE_TRUNCATED },
	{ EC_PARSE_MALFORMED, FIELD_PARSE_MALFORMED },
	{ EC_PARSE_NOT_TCP_UDP, FIELD_PARSE_NOT_TCP_UDP },
	{ EC_PARSE_FRAGMENT, FIELD_PARSE_FRAGMENT },
	{ EC_PARSE_EXT_LIMIT, FIELD_PARSE_EXT_LIMIT },
};

/* The blind counters are written beside the inspector's (stats_json). */
_Static_assert(GW_ARRAY_SIZE(engine_fields) + GW_ARRAY_SIZE(parse_fields) +
	       3 == EC_MAX, "every engine counter has its stats field");

static void add_counters(json_t *o, const struct counter_field *f, size_t n,
			 const uint64_t *counters)
{
	size_t k;

	for (k = 0; k < n; k++)
		json_object_set_new(o, f[k].name, json_integer(
			(json_int_t)counters[f[k].counter]));
}

/* The prober's counters, all uint64_t, in the record's order. */
static const struct probe_field {
	size_t offset;
	const char *name;
} probe_fields[] = {
#define P(field, name) { offsetof(struct probe_counters, field), name }
	P(gaps_considered, FIELD_STATS_PROBE_GAPS_CONSIDERED),
	P(skipped_cause, FIELD_STATS_PROBE_SKIPPED_CAUSE),
	P(skipped_tcp_unknown, FIELD_STATS_PROBE_SKIPPED_TCP_UNKNOWN),
	P(skipped_family, FIELD_STATS_PROBE_SKIPPED_FAMILY),
	P(limit_ladders, FIELD_STATS_PROBE_LIMIT_LADDERS),
	P(limit_ladder_interval, FIELD_STATS_PROBE_LIMIT_LADDER_INTERVAL),
	P(limit_client, FIELD_STATS_PROBE_LIMIT_CLIENT),
	P(limit_rate, FIELD_STATS_PROBE_LIMIT_RATE),
	P(ladders_started, FIELD_STATS_PROBE_LADDERS_STARTED),
	P(ladders_done, FIELD_STATS_PROBE_LADDERS_DONE),
	P(probes_sent, FIELD_STATS_PROBE_PROBES_SENT),
	P(send_errors, FIELD_STATS_PROBE_SEND_ERRORS),
	P(icmp_received, FIELD_STATS_PROBE_ICMP_RECEIVED),
	P(icmp_matched, FIELD_STATS_PROBE_ICMP_MATCHED),
	P(icmp_truncated, FIELD_STATS_PROBE_ICMP_TRUNCATED),
	P(icmp_not_ours, FIELD_STATS_PROBE_ICMP_NOT_OURS),
	P(icmp_unmatched, FIELD_STATS_PROBE_ICMP_UNMATCHED),
	P(client_answers, FIELD_STATS_PROBE_CLIENT_ANSWERS),
	P(recv_errors, FIELD_STATS_PROBE_RECV_ERRORS),
#undef P
};

_Static_assert(sizeof(struct probe_counters) ==
	       GW_ARRAY_SIZE(probe_fields) * sizeof(uint64_t),
	       "every probe counter has its stats field");

static json_t *probe_stats(const struct correlate_counters *cc)
{
	json_t *o;
	size_t k;

	if (!cc->probing)
		return json_null();
	o = json_object();
	for (k = 0; k < GW_ARRAY_SIZE(probe_fields); k++)
		json_object_set_new(o, probe_fields[k].name, json_integer(
			(json_int_t)*(const uint64_t *)((const char *)&cc->probe +
						       probe_fields[k].offset)));
	json_object_set_new(o, FIELD_STATS_PROBE_RESULTS_EVICTED,
			    json_integer((json_int_t)cc->probe_results_evicted));
	return o;
}

static json_t *conntrack_stats(const struct correlate_counters *cc)
{
	const struct ct_counters *ct = &cc->ct;

	if (!cc->conntrack)
		return json_null();
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:b,s:I,s:I}",
		FIELD_STATS_CT_EVENTS, (json_int_t)ct->events,
		FIELD_STATS_CT_EVENTS_IGNORED, (json_int_t)ct->events_ignored,
		FIELD_STATS_CT_ENOBUFS, (json_int_t)ct->enobufs,
		FIELD_STATS_CT_RESYNCS, (json_int_t)ct->resyncs,
		FIELD_STATS_CT_QUERIES, (json_int_t)ct->queries,
		FIELD_STATS_CT_QUERY_ERRORS, (json_int_t)ct->query_errors,
		FIELD_STATS_CT_TRACKED, (json_int_t)ct->tracked,
		FIELD_STATS_CT_EVICTED, (json_int_t)ct->evicted,
		FIELD_STATS_CT_COUNT, (json_int_t)ct->count,
		FIELD_STATS_CT_MAX, (json_int_t)ct->max,
		FIELD_STATS_CT_FILL, ct->max ?
			json_real((double)ct->count / ct->max) : json_null(),
		FIELD_STATS_CT_KERNEL_FILTER, ct->kernel_filter,
		FIELD_STATS_CT_QUEUE_FULL, (json_int_t)cc->queue_full,
		FIELD_STATS_CT_OPEN_LOOKUPS_LOST, (json_int_t)ct->open_lookups_lost);
}

static json_t *pcap_stats(const struct correlate_counters *cc)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}",
		FIELD_STATS_PCAP_WRITTEN, (json_int_t)cc->pcap.written,
		FIELD_STATS_PCAP_WRITE_ERRORS, (json_int_t)cc->pcap.write_errors,
		FIELD_STATS_PCAP_REMOVED, (json_int_t)cc->pcap.removed,
		FIELD_STATS_PCAP_BYTES, (json_int_t)cc->pcap.bytes,
		FIELD_STATS_PCAP_DROPPED, (json_int_t)cc->evidence_dropped,
		FIELD_STATS_PCAP_TRUNCATED, (json_int_t)cc->pcap.truncated);
}

static json_t *drop_watch_stats(const struct correlate_counters *cc)
{
	return json_pack("{s:b,s:o,s:I,s:I,s:I}",
		FIELD_STATS_DW_ON, cc->drop_watch,
		FIELD_STATS_DW_OFF_REASON, cc->drop_watch || !cc->drop_watch_off[0] ?
			json_null() : json_string(cc->drop_watch_off),
		FIELD_STATS_DW_EVENTS, (json_int_t)cc->drops.events,
		FIELD_STATS_DW_LOST, (json_int_t)cc->drops.lost,
		FIELD_STATS_DW_NOT_GAME, (json_int_t)cc->drops.not_game);
}

static json_t *replay_stats(const struct replay_stats *rs)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I}",
		FIELD_REPLAY_PACKETS, (json_int_t)rs->packets,
		FIELD_REPLAY_NOT_IP, (json_int_t)rs->not_ip,
		FIELD_REPLAY_VLAN_LIMIT, (json_int_t)rs->vlan_limit,
		FIELD_REPLAY_TIME_BACKWARDS, (json_int_t)rs->time_backwards,
		FIELD_REPLAY_TIME_INVALID, (json_int_t)rs->time_invalid);
}

static json_t *stats_json(const struct report_stats *st, uint64_t dropped,
			  uint64_t write_errors)
{
	const struct queue_stats *qs = &st->queue;
	char when[TIMEFMT_LEN];
	json_t *o, *parse;

	o = json_pack("{s:s,s:s,s:I,s:i}",
		FIELD_TYPE, RECORD_STATS,
		FIELD_STATS_TIME, timefmt_rfc3339((int64_t)st->wall_us, 1, when,
						  sizeof(when)),
		FIELD_STATS_UPTIME_S, (json_int_t)st->uptime_s,
		FIELD_STATS_QUEUES, (int)st->queues);
	parse = json_object();
	if (o == NULL || parse == NULL) {
		json_decref(o);
		json_decref(parse);
		return NULL;
	}
	add_counters(o, engine_fields, GW_ARRAY_SIZE(engine_fields), st->engine);
	add_counters(parse, parse_fields, GW_ARRAY_SIZE(parse_fields),
		     st->engine);
	json_object_set_new(o, FIELD_STATS_PARSE_ERRORS, parse);
#define N(name, v) json_object_set_new(o, name, json_integer((json_int_t)(v)))
	N(FIELD_STATS_FLOWS, st->flows);
	N(FIELD_STATS_GAPS_OPEN, st->gaps_open);
	N(FIELD_STATS_QUEUE_RECEIVED, qs->received);
	N(FIELD_STATS_VERDICT_BATCHES, qs->verdict_batches);
	N(FIELD_STATS_VERDICT_ERRORS, qs->verdict_errors);
	N(FIELD_STATS_ENOBUFS, qs->enobufs);
	N(FIELD_STATS_TRUNCATED, qs->truncated);
	N(FIELD_STATS_RECV_ERRORS, qs->recv_errors);
	N(FIELD_STATS_BAD_MESSAGES, qs->bad_messages);
	N(FIELD_STATS_QUEUE_DROPPED, st->queue_dropped);
	N(FIELD_STATS_USER_DROPPED, st->user_dropped);
	N(FIELD_STATS_UNSEEN, st->blind.unseen);
	N(FIELD_STATS_ID_HOLES, st->blind.id_holes);
	N(FIELD_STATS_STALLS, st->blind.stalls);
	N(FIELD_STATS_ACCT_ERRORS, st->acct_errors);
	N(FIELD_STATS_BLIND_INTERVALS, st->engine[EC_BLIND_INTERVALS]);
	N(FIELD_STATS_BLIND_MISSED, st->engine[EC_BLIND_MISSED]);
	N(FIELD_STATS_BLIND_MS, st->engine[EC_BLIND_MS]);
	json_object_set_new(o, FIELD_STATS_STALL_MAX_MS, json_ms(st->stall_max_us));
	json_object_set_new(o, FIELD_STATS_SIGNALS, json_pack("{s:b,s:b,s:b}",
		FIELD_STATS_UNSEEN, st->signals.unseen,
		FIELD_STATS_ID_HOLES, st->signals.id_holes,
		FIELD_STATS_STALLS, st->signals.stalls));
	N(FIELD_STATS_REPORT_DROPPED, dropped);
	N(FIELD_STATS_REPORT_WRITE_ERRORS, write_errors);
	N(FIELD_STATS_EXPOSURE_DROPPED, st->corr ? st->corr->exposure_dropped : 0);
#undef N
	json_object_set_new(o, FIELD_STATS_CONNTRACK, conntrack_stats(st->corr));
	json_object_set_new(o, FIELD_STATS_PCAP, pcap_stats(st->corr));
	json_object_set_new(o, FIELD_STATS_PROBE, probe_stats(st->corr));
	json_object_set_new(o, FIELD_STATS_DROP_WATCH, drop_watch_stats(st->corr));
	if (st->replay)
		json_object_set_new(o, FIELD_STATS_REPLAY, replay_stats(st->replay));
	return o;
}

/* ---- the writer ---- */

static void count_not_encoded(struct report *r)
{
	pthread_mutex_lock(&r->lock);
	r->not_encoded++;
	pthread_mutex_unlock(&r->lock);
}

/* Every record begins with its type, the schema's version and the host:
 * what a log shipper or a reader of many hosts' files looks at first. */
static json_t *with_envelope(const struct report *r, json_t *obj)
{
	json_t *o;

	if (obj == NULL)
		return NULL;
	o = json_pack("{s:O,s:i,s:s}", FIELD_TYPE, json_object_get(obj, FIELD_TYPE),
		      FIELD_SCHEMA, SCHEMA_VERSION, FIELD_HOST, r->host);
	if (o == NULL || json_object_update(o, obj) < 0) {
		json_decref(o);
		o = NULL;
	}
	json_decref(obj);
	return o;
}

/* The record obj (its reference taken) with its envelope, as a line;
 * NULL when it could not be made. */
static char *dump_record(struct report *r, json_t *obj)
{
	char *line;

	obj = with_envelope(r, obj);
	if (obj == NULL)
		return NULL;
	line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER |
				       JSON_REAL_PRECISION(15));
	json_decref(obj);
	return line;
}

/* Queue a line (taking it); NULL: a record that could not be made. */
static int queue_line(struct report *r, char *line)
{
	if (line == NULL) {
		count_not_encoded(r);
		return -1;
	}
	/* Refused (full or closed): counted by the queue. */
	if (bqueue_push(r->lines, &line) < 0) {
		free(line);
		return -1;
	}
	return 0;
}

static int queue_json(struct report *r, json_t *obj)
{
	return queue_line(r, dump_record(r, obj));
}

int report_gap(struct report *r, const struct gap_record *rec,
	       const struct probe_result *probe)
{
	return queue_json(r, report_gap_json(rec, probe, r->run_id));
}

int report_probe(struct report *r, const struct probe_result *res)
{
	return queue_json(r, probe_json(res, r->run_id));
}

int report_blind(struct report *r, const struct blind_record *iv)
{
	return queue_json(r, blind_json(iv));
}

int report_exposure(struct report *r, struct exposure_batch *b)
{
	uint32_t listed = b->n < EXPOSURE_LISTED_MAX ? b->n : EXPOSURE_LISTED_MAX;
	char *head, *line = NULL;

	exposure_batch_sort(b);
	head = dump_record(r, exposure_json(b, listed));
	if (head)
		line = exposure_line(b, listed, head);
	free(head);
	return queue_line(r, line);
}

int report_stats(struct report *r, const struct report_stats *st)
{
	uint64_t write_errors;

	pthread_mutex_lock(&r->lock);
	write_errors = r->write_errors;
	pthread_mutex_unlock(&r->lock);
	return queue_json(r, stats_json(st, report_dropped(r), write_errors));
}

static FILE *open_output(const char *path)
{
	FILE *f = fopen(path, "a");

	if (f != NULL)
		setvbuf(f, NULL, _IOFBF, OUTPUT_BUFFER);
	return f;
}

/* SIGHUP: a rotated file is replaced by a new one at the same path. */
static void reopen_output(struct report *r)
{
	FILE *f;

	pthread_mutex_lock(&r->lock);
	if (!r->reopen) {
		pthread_mutex_unlock(&r->lock);
		return;
	}
	r->reopen = 0;
	pthread_mutex_unlock(&r->lock);
	if (r->path == NULL)
		return;
	/* Keep writing to the old file rather than lose records if the
	 * new one cannot be opened. */
	f = open_output(r->path);
	if (f != NULL) {
		fclose(r->out);
		r->out = f;
	}
}

static void *writer_main(void *arg)
{
	struct report *r = arg;
	char *batch[WRITE_BATCH];
	uint32_t n, k;

	while (bqueue_wait(r->lines)) {
		n = bqueue_pop_many(r->lines, batch, GW_ARRAY_SIZE(batch));
		for (k = 0; k < n; k++) {
			if (fputs(batch[k], r->out) == EOF ||
			    fputc('\n', r->out) == EOF) {
				pthread_mutex_lock(&r->lock);
				r->write_errors++;
				pthread_mutex_unlock(&r->lock);
			}
			free(batch[k]);
		}
		fflush(r->out);
		reopen_output(r);
	}
	return NULL;
}

void report_set_host(struct report *r, const char *host)
{
	snprintf(r->host, sizeof(r->host), "%s", host);
}

struct report *report_open(const char *path, const char *run_id, char *err,
			   size_t errlen)
{
	struct report *r = calloc(1, sizeof(*r));
	int rc;

	if (r == NULL) {
		snprintf(err, errlen, "report: out of memory");
		return NULL;
	}
	snprintf(r->run_id, sizeof(r->run_id), "%s", run_id);
	if (gethostname(r->host, sizeof(r->host) - 1) < 0)
		snprintf(r->host, sizeof(r->host), "unknown");
	if (strcmp(path, "-") == 0) {
		r->out = stdout;
	} else {
		r->path = strdup(path);
		if (r->path == NULL || (r->out = open_output(path)) == NULL) {
			snprintf(err, errlen, "cannot open report file %s: %s",
				 path, strerror(errno));
			goto err_free;
		}
	}
	r->lines = bqueue_new("report", REPORT_QUEUE_LINES, sizeof(char *), 0,
			      err, errlen);
	if (r->lines == NULL)
		goto err_close;
	pthread_mutex_init(&r->lock, NULL);
	rc = pthread_create(&r->writer, NULL, writer_main, r);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the report writer: %s",
			 strerror(rc));
		goto err_sync;
	}
	return r;

err_sync:
	pthread_mutex_destroy(&r->lock);
	bqueue_free(r->lines);
err_close:
	if (r->path)
		fclose(r->out);
err_free:
	free(r->path);
	free(r);
	return NULL;
}

const char *report_run_id(const struct report *r)
{
	return r->run_id;
}

void report_reopen(struct report *r)
{
	pthread_mutex_lock(&r->lock);
	r->reopen = 1;
	pthread_mutex_unlock(&r->lock);
	bqueue_kick(r->lines);
}

uint64_t report_dropped(struct report *r)
{
	uint64_t n;

	pthread_mutex_lock(&r->lock);
	n = r->not_encoded;
	pthread_mutex_unlock(&r->lock);
	return n + bqueue_refused(r->lines);
}

void report_close(struct report *r)
{
	if (r == NULL)
		return;
	/* The writer drains what is queued, then sees the end. */
	bqueue_close(r->lines);
	pthread_join(r->writer, NULL);
	if (r->path)
		fclose(r->out);
	else
		fflush(r->out);
	bqueue_free(r->lines);
	pthread_mutex_destroy(&r->lock);
	free(r->path);
	free(r);
}
