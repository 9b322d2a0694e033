/*
 * report.c - JSON Lines records and the thread that writes them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "cause.h"
#include "gapwatch.h"
#include "report.h"
#include "timefmt.h"

struct report {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t writer;
	char *lines[REPORT_QUEUE_LINES];
	uint32_t head;			/* next to write */
	uint32_t count;
	int stop;
	int reopen;
	FILE *out;
	char *path;			/* NULL for stdout */
	char run_id[64];
	uint64_t dropped;
	uint64_t write_errors;
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
		return json_pack("{s:b}", "found", 0);
	return json_pack("{s:b,s:o,s:I,s:I,s:I,s:{s:I,s:I},s:{s:I,s:I}}",
		"found", 1,
		"state", json_tcp_state(ce->tcp_state),
		"timeout_s", (json_int_t)ce->timeout_s,
		"mark", (json_int_t)ce->mark,
		"status", (json_int_t)ce->status,
		"packets", "orig", (json_int_t)ce->packets[0],
			   "reply", (json_int_t)ce->packets[1],
		"bytes", "orig", (json_int_t)ce->bytes[0],
			 "reply", (json_int_t)ce->bytes[1]);
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
			"time", json_time(ev->wall_us),
			"event", ct_event_names[ev->type],
			"state", json_tcp_state(ev->tcp_state),
			"timeout_s", (json_int_t)ev->timeout_s,
			"by_timeout", ev->by_timeout));
	}
	return json_pack("{s:o,s:i,s:o,s:o,s:{s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I}}",
		"events", events,
		"events_missed", (int)ct->events_missed,
		"at_open", json_ct_entry(&ct->at_open),
		"at_close", json_ct_entry(&ct->at_close),
		"table",
		"count", (json_int_t)h->count,
		"max", (json_int_t)h->max,
		"fill", h->max ? json_real((double)h->count / h->max) : json_null(),
		"invalid", (json_int_t)h->invalid,
		"drop", (json_int_t)h->drop,
		"early_drop", (json_int_t)h->early_drop,
		"insert_failed", (json_int_t)h->insert_failed,
		"error", (json_int_t)h->error,
		"search_restart", (json_int_t)h->search_restart);
}

json_t *report_gap_json(const struct gap_record *rec, const char *run_id)
{
	const struct gap_side_facts *c = &rec->side[SIDE_CLIENT];
	const struct gap_side_facts *s = &rec->side[SIDE_SERVER];
	const struct inspector_counters *in = &rec->inspector;
	char id[96];
	json_t *o;
	int open = rec->is_open_event;
	uint64_t end = open ? rec->detected_us : rec->end_us;

	snprintf(id, sizeof(id), "%s-%u-%llu", run_id, rec->queue,
		 (unsigned long long)rec->seq);
	o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "type", json_string(open ? "gap_open" : "gap"));
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "proto", json_string(
		rec->key.proto == IPPROTO_TCP ? "tcp" : "udp"));
	json_object_set_new(o, "client", json_endpoint(&rec->key.client,
						       rec->key.client_port));
	json_object_set_new(o, "server", json_endpoint(&rec->key.server,
						       rec->key.server_port));
	json_object_set_new(o, "start", json_time(rec->start_us));
	json_object_set_new(o, "end", open ? json_null() : json_time(rec->end_us));
	json_object_set_new(o, "detected", json_time(rec->detected_us));
	json_object_set_new(o, "duration_ms",
			    json_ms(end > rec->start_us ? end - rec->start_us : 0));
	json_object_set_new(o, "threshold_ms", json_ms(rec->threshold_us));
	json_object_set_new(o, "expected_interval_ms",
			    json_ms(rec->expected_interval_us));
	json_object_set_new(o, "silent", json_string(silent_names[rec->silent]));
	json_object_set_new(o, "last_client_packet", json_time(c->last_packet_us));
	json_object_set_new(o, "last_server_packet", json_time(s->last_packet_us));
	json_object_set_new(o, "client_packets", json_integer(c->packets));
	json_object_set_new(o, "server_packets", json_integer(s->packets));
	json_object_set_new(o, "client_retransmits", json_integer(c->retransmits));
	json_object_set_new(o, "server_retransmits", json_integer(s->retransmits));
	json_object_set_new(o, "dup_acks",
			    json_integer(c->dup_acks + s->dup_acks));
	json_object_set_new(o, "zero_windows",
			    json_integer(c->zero_windows + s->zero_windows));
	json_object_set_new(o, "bytes_in_flight", json_pack("{s:I,s:I}",
		"client", (json_int_t)c->bytes_in_flight,
		"server", (json_int_t)s->bytes_in_flight));
	json_object_set_new(o, "ttl", json_pack("{s:o,s:o,s:o,s:o}",
		"client_before", json_ttl(c->ttl_before),
		"client_after", open ? json_null() : json_ttl(c->ttl_after),
		"server_before", json_ttl(s->ttl_before),
		"server_after", open ? json_null() : json_ttl(s->ttl_after)));
	json_object_set_new(o, "outcome", open ? json_null() :
			    json_string(outcome_names[rec->outcome]));
	if (rec->outcome == OUTCOME_RECONNECTED)
		json_object_set_new(o, "reconnect", json_pack("{s:i,s:o}",
			"client_port", (int)rec->reconnect_port,
			"delay_ms", json_ms(rec->reconnect_delay_us)));
	else
		json_object_set_new(o, "reconnect", json_null());
	json_object_set_new(o, "cause", json_string(cause_name(rec->cause)));
	json_object_set_new(o, "evidence", json_string(rec->evidence));
	json_object_set_new(o, "explanation",
			    json_string(cause_explanation(rec->cause)));
	json_object_set_new(o, "next_step", json_string(cause_next_step(rec->cause)));
	json_object_set_new(o, "inspector", json_pack("{s:I,s:I,s:I,s:I,s:b}",
		"queue_dropped", (json_int_t)in->queue_dropped,
		"user_dropped", (json_int_t)in->user_dropped,
		"enobufs", (json_int_t)in->enobufs,
		"truncated", (json_int_t)in->truncated,
		"lost_packets", rec->cause == CAUSE_INSPECTOR_LOSS));
	json_object_set_new(o, "queue", json_integer(rec->queue));
	json_object_set_new(o, "trigger", json_string(
		rec->trigger == TRIGGER_UNACKED ? "unacked_data" : "data_silence"));
	json_object_set_new(o, "big_retransmits", json_pack("{s:i,s:i}",
		"client", (int)c->big_retransmits,
		"server", (int)s->big_retransmits));
	json_object_set_new(o, "invalid", json_pack("{s:i,s:i,s:o,s:o}",
		"client", (int)c->invalid, "server", (int)s->invalid,
		"first", json_time(rec->invalid_first_us),
		"last", json_time(rec->invalid_last_us)));
	json_object_set_new(o, "conntrack", json_conntrack(&rec->ct));
	json_object_set_new(o, "pcap", rec->pcap_path[0] ?
			    json_string(rec->pcap_path) : json_null());
	json_object_set_new(o, "cluster", rec->cluster.id == 0 ? json_null() :
		json_pack("{s:I,s:i,s:o}",
			  "id", (json_int_t)rec->cluster.id,
			  "size", (int)rec->cluster.size,
			  "first_start", json_time(rec->cluster.first_start_us)));
	return o;
}

static int enqueue(struct report *r, char *line)
{
	pthread_mutex_lock(&r->lock);
	if (r->count == REPORT_QUEUE_LINES || r->stop) {
		r->dropped++;
		pthread_mutex_unlock(&r->lock);
		free(line);
		return -1;
	}
	r->lines[(r->head + r->count) % REPORT_QUEUE_LINES] = line;
	r->count++;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int report_json(struct report *r, json_t *obj)
{
	char *line;

	if (obj == NULL) {
		pthread_mutex_lock(&r->lock);
		r->dropped++;
		pthread_mutex_unlock(&r->lock);
		return -1;
	}
	line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER |
				       JSON_REAL_PRECISION(15));
	json_decref(obj);
	if (line == NULL) {
		pthread_mutex_lock(&r->lock);
		r->dropped++;
		pthread_mutex_unlock(&r->lock);
		return -1;
	}
	return enqueue(r, line);
}

int report_gap(struct report *r, const struct gap_record *rec)
{
	return report_json(r, report_gap_json(rec, r->run_id));
}

static FILE *open_output(const char *path)
{
	FILE *f = fopen(path, "a");

	if (f != NULL)
		setvbuf(f, NULL, _IOFBF, 1 << 16);
	return f;
}

static void *writer_main(void *arg)
{
	struct report *r = arg;
	char *batch[256];
	uint32_t n, k;
	int reopen;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (r->count == 0 && !r->stop && !r->reopen)
			pthread_cond_wait(&r->wake, &r->lock);
		n = 0;
		while (r->count && n < GW_ARRAY_SIZE(batch)) {
			batch[n++] = r->lines[r->head];
			r->head = (r->head + 1) % REPORT_QUEUE_LINES;
			r->count--;
		}
		reopen = r->reopen;
		r->reopen = 0;
		if (n == 0 && r->stop)
			break;
		pthread_mutex_unlock(&r->lock);

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
		if (reopen && r->path) {
			FILE *f = open_output(r->path);

			/* Keep writing to the old file rather than lose
			 * records if the new one cannot be opened. */
			if (f != NULL) {
				fclose(r->out);
				r->out = f;
			}
		}
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct report *report_open(const char *path, const char *run_id, char *err,
			   size_t errlen)
{
	struct report *r = calloc(1, sizeof(*r));
	int rc;

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(r->run_id, sizeof(r->run_id), "%s", run_id);
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
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	rc = pthread_create(&r->writer, NULL, writer_main, r);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the report writer: %s",
			 strerror(rc));
		goto err_sync;
	}
	return r;

err_sync:
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
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
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

uint64_t report_dropped(struct report *r)
{
	uint64_t n;

	pthread_mutex_lock(&r->lock);
	n = r->dropped;
	pthread_mutex_unlock(&r->lock);
	return n;
}

uint64_t report_write_errors(struct report *r)
{
	uint64_t n;

	pthread_mutex_lock(&r->lock);
	n = r->write_errors;
	pthread_mutex_unlock(&r->lock);
	return n;
}

void report_close(struct report *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = 1;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->writer, NULL);
	if (r->path)
		fclose(r->out);
	else
		fflush(r->out);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r->path);
	free(r);
}
