/*
 * test_replay.c - the capture source (src/replay.c).
 *
 * The packets of test_engine's reference story (a client lost at 4.6 s, the
 * server retransmitting, a reconnect from port 40001 at 8 s) are written
 * to small capture files with libpcap, in several link-layer framings.
 * Replaying a file must tell exactly what the engine tells when it is
 * fed the same packets directly, ticked at each packet's time as a
 * replay is.
 */
#include <arpa/inet.h>
#include <check.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "cause.h"
#include "portset.h"
#include "engine.h"
#include "packet.h"
#include "pktbuild.h"
#include "linktype.h"
#include "replay.h"
#include "wire.h"

#define T0		(1000 * USEC_PER_SEC)
#define MS(x)		((uint64_t)(x) * USEC_PER_MSEC)
#define MAXPKT		128
#define PKTLEN		160
#define MAXREC		16
#define FRAME_MAX	(PKTLEN + 32)

/* --- the packets --- */

struct pkt {
	uint64_t ts;			/* absolute, us */
	size_t len;
	uint8_t data[PKTLEN];
};

struct trace {
	struct pkt p[MAXPKT];
	int n;
	int family;
	const char *client, *server;
	uint32_t cseq, sseq, s_last_seq;
};

enum kind { C_SYN, S_SYNACK, C_ACK, C_DATA, S_ACK, S_DATA, S_RETRANS, C2_SYN, U_C };

struct ev {
	uint64_t ms;
	int order;
	enum kind kind;
};

static void emit(struct trace *t, uint64_t ms, int from_client, uint16_t cport,
		 int proto, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
	struct pktspec s = {
		.family = t->family, .proto = proto,
		.src = from_client ? t->client : t->server,
		.dst = from_client ? t->server : t->client,
		.sport = from_client ? cport : 7781,
		.dport = from_client ? 7781 : cport,
		.ttl = from_client ? 50 : 60,
		.tcp_flags = flags, .seq = seq, .ack = ack, .window = 64240,
		.payload_len = len,
	};
	struct pkt *p;

	ck_assert_int_lt(t->n, MAXPKT);
	p = &t->p[t->n++];
	p->ts = T0 + MS(ms);
	p->len = pktbuild(p->data, sizeof(p->data), &s);
	ck_assert_uint_gt(p->len, 0);
}

static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms < y->ms ? -1 : 1;
	return x->order - y->order;
}

static void add(struct ev *ev, int *n, uint64_t ms, enum kind k)
{
	ev[*n].ms = ms;
	ev[*n].order = *n;
	ev[*n].kind = k;
	(*n)++;
}

/* test_engine's scenario_lost_client plus the reconnect at 8000 ms. */
static void make_trace(struct trace *t, int family)
{
	struct ev ev[MAXPKT];
	const uint8_t A = PKT_TCP_ACK, PA = PKT_TCP_PSH | PKT_TCP_ACK;
	uint64_t ms;
	int n = 0, k;

	memset(t, 0, sizeof(*t));
	t->family = family;
	t->client = family == AF_INET ? "198.18.0.1" : "2001:db8::1";
	t->server = family == AF_INET ? "198.18.2.2" : "2001:db8:2::2";
	t->cseq = 1000000;
	t->sseq = 5040000;
	add(ev, &n, 0, C_SYN);
	add(ev, &n, 10, S_SYNACK);
	add(ev, &n, 20, C_ACK);
	for (ms = 100; ms <= 4600; ms += 500) {
		add(ev, &n, ms, C_DATA);
		add(ev, &n, ms + 20, S_ACK);
	}
	for (ms = 200; ms <= 4400; ms += 700) {
		add(ev, &n, ms, S_DATA);
		add(ev, &n, ms + 20, C_ACK);
	}
	add(ev, &n, 5100, S_DATA);
	add(ev, &n, 5400, S_RETRANS);
	add(ev, &n, 6000, S_RETRANS);
	add(ev, &n, 7200, S_RETRANS);
	add(ev, &n, 8000, C2_SYN);
	qsort(ev, (size_t)n, sizeof(ev[0]), ev_cmp);

	for (k = 0; k < n; k++) {
		ms = ev[k].ms;
		switch (ev[k].kind) {
		case C_SYN:
			emit(t, ms, 1, 40000, IPPROTO_TCP, PKT_TCP_SYN, t->cseq, 0, 0);
			t->cseq++;
			break;
		case S_SYNACK:
			emit(t, ms, 0, 40000, IPPROTO_TCP, PKT_TCP_SYN | A, t->sseq,
			     t->cseq, 0);
			t->sseq++;
			break;
		case C_ACK:
			emit(t, ms, 1, 40000, IPPROTO_TCP, A, t->cseq, t->sseq, 0);
			break;
		case C_DATA:
			emit(t, ms, 1, 40000, IPPROTO_TCP, PA, t->cseq, t->sseq, 20);
			t->cseq += 20;
			break;
		case S_ACK:
			emit(t, ms, 0, 40000, IPPROTO_TCP, A, t->sseq, t->cseq, 0);
			break;
		case S_DATA:
			t->s_last_seq = t->sseq;
			emit(t, ms, 0, 40000, IPPROTO_TCP, PA, t->sseq, t->cseq, 30);
			t->sseq += 30;
			break;
		case S_RETRANS:
			emit(t, ms, 0, 40000, IPPROTO_TCP, PA, t->s_last_seq,
			     t->cseq, 30);
			break;
		case C2_SYN:
			emit(t, ms, 1, 40001, IPPROTO_TCP, PKT_TCP_SYN, 7000000, 0, 0);
			break;
		case U_C:
			break;
		}
	}
}

/* --- engines --- */

struct run {
	struct engine *e;
	struct portset ports;
	struct gap_record rec[MAXREC];
	int nrec;
};

static void collect(void *ctx, const struct gap_record *rec)
{
	struct run *r = ctx;

	ck_assert_int_lt(r->nrec, MAXREC);
	memcpy(&r->rec[r->nrec], rec, sizeof(*rec));
	/* The correlator classifies what the engine reports. */
	cause_classify(&r->rec[r->nrec++]);
}

static struct run *run_new(void)
{
	struct run *r = calloc(1, sizeof(*r));
	struct engine_config cfg;
	struct gw_time now = { T0, T0, 0 };
	char err[128];

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(portset_parse(&r->ports, "7781", err, sizeof(err)), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.ports = &r->ports;
	cfg.max_flows = 1024;
	cfg.gap_min_us = 1000 * USEC_PER_MSEC;
	cfg.gap_factor = 3;
	cfg.flow_timeout_us = 30 * USEC_PER_SEC;
	cfg.closed_linger_us = 10 * USEC_PER_SEC;
	cfg.reconnect_window_us = 120 * USEC_PER_SEC;
	cfg.seed = 0x12345678;
	r->e = engine_new(&cfg, collect, r, &now);
	ck_assert_ptr_nonnull(r->e);
	return r;
}

static void run_free(struct run *r)
{
	engine_free(r->e);
	free(r);
}

/* What a replay does, without a file: tick through the quiet time in
 * 20 ms steps as the live daemon would, then the packet. */
static void run_direct(struct run *r, const struct trace *t, int upto)
{
	struct gw_time now;
	uint64_t step;
	int k;

	for (k = 0; k < upto; k++) {
		if (k > 0)
			for (step = t->p[k - 1].ts + 20 * USEC_PER_MSEC;
			     step < t->p[k].ts; step += 20 * USEC_PER_MSEC) {
				now.mono_us = now.wall_us = step;
				engine_tick(r->e, &now);
			}
		now.mono_us = now.wall_us = t->p[k].ts;
		engine_tick(r->e, &now);
		engine_packet(r->e, t->p[k].data, t->p[k].len, t->p[k].len, &now);
	}
}

static void same_records(const struct run *a, const struct run *b)
{
	int k, s;

	ck_assert_int_eq(a->nrec, b->nrec);
	for (k = 0; k < a->nrec; k++) {
		const struct gap_record *x = &a->rec[k], *y = &b->rec[k];

		ck_assert_uint_eq(x->seq, y->seq);
		ck_assert_uint_eq(x->is_open_event, y->is_open_event);
		ck_assert_int_eq(x->silent, y->silent);
		ck_assert_int_eq(x->outcome, y->outcome);
		ck_assert_int_eq(x->cause, y->cause);
		ck_assert_int_eq(memcmp(&x->key, &y->key, sizeof(x->key)), 0);
		ck_assert_uint_eq(x->start_us, y->start_us);
		ck_assert_uint_eq(x->end_us, y->end_us);
		ck_assert_uint_eq(x->detected_us, y->detected_us);
		ck_assert_uint_eq(x->threshold_us, y->threshold_us);
		ck_assert_uint_eq(x->expected_interval_us, y->expected_interval_us);
		ck_assert_uint_eq(x->reconnect_port, y->reconnect_port);
		ck_assert_uint_eq(x->reconnect_delay_us, y->reconnect_delay_us);
		for (s = 0; s < 2; s++) {
			ck_assert_uint_eq(x->side[s].last_packet_us,
					  y->side[s].last_packet_us);
			ck_assert_uint_eq(x->side[s].packets, y->side[s].packets);
			ck_assert_uint_eq(x->side[s].retransmits,
					  y->side[s].retransmits);
			ck_assert_uint_eq(x->side[s].bytes_in_flight,
					  y->side[s].bytes_in_flight);
			ck_assert_uint_eq(x->side[s].ttl_before, y->side[s].ttl_before);
			ck_assert_uint_eq(x->side[s].ttl_after, y->side[s].ttl_after);
		}
		ck_assert_str_eq(x->evidence, y->evidence);
	}
}

/* The story itself, as a replay sees it (ticking between packets). */
static void check_story(const struct run *r, int family)
{
	const struct gap_record *o = &r->rec[0], *c = &r->rec[1];

	ck_assert_int_eq(r->nrec, 2);
	ck_assert_uint_eq(o->is_open_event, 1);
	ck_assert_uint_eq(o->start_us, T0 + MS(4600));
	/* The threshold passes at 6100 ms with no packet for a second on
	 * either side: found by the ticks, within one tick and one slot. */
	ck_assert_uint_ge(o->detected_us, T0 + MS(6100));
	ck_assert_uint_le(o->detected_us, T0 + MS(6100) + MS(20) + 16384);
	ck_assert_int_eq(c->outcome, OUTCOME_RECONNECTED);
	ck_assert_uint_eq(c->reconnect_port, 40001);
	ck_assert_uint_eq(c->reconnect_delay_us, MS(3400));
	ck_assert_uint_eq(c->end_us, T0 + MS(8000));
	ck_assert_uint_eq(c->side[SIDE_SERVER].retransmits, 3);
	ck_assert_int_eq(c->cause, CAUSE_PATH_LOSS_TO_SERVER);
	ck_assert_uint_eq(c->key.client_port, 40000);
	ck_assert_int_eq(addr_is_v4(&c->key.client), family == AF_INET);
}

/* --- capture files --- */

enum framing {
	FR_RAW, FR_ETH, FR_VLAN, FR_QINQ, FR_SLL, FR_SLL2, FR_NULL, FR_RAW_NANO,
	FR_MAX
};

static const int framing_dlt[FR_MAX] = {
	[FR_RAW] = DLT_RAW, [FR_ETH] = DLT_EN10MB, [FR_VLAN] = DLT_EN10MB,
	[FR_QINQ] = DLT_EN10MB, [FR_SLL] = DLT_LINUX_SLL,
	[FR_SLL2] = DLT_LINUX_SLL2, [FR_NULL] = DLT_NULL,
	[FR_RAW_NANO] = DLT_RAW,
};

/* Wrap an IP packet in the framing's link header; returns the length. */
static size_t frame(enum framing fr, const uint8_t *ip, size_t len,
		    uint8_t *out)
{
	unsigned int etype = (ip[0] >> 4) == 6 ? 0x86dd : 0x0800;
	size_t hl = 0;
	uint32_t fam;

	switch (fr) {
	case FR_RAW:
	case FR_RAW_NANO:
		break;
	case FR_ETH:
	case FR_VLAN:
	case FR_QINQ:
		memset(out, 0x02, 12);			/* MAC addresses */
		hl = 12;
		if (fr == FR_QINQ) {
			wire_put16(out + hl, 0x88a8);
			wire_put16(out + hl + 2, 100);
			hl += 4;
		}
		if (fr != FR_ETH) {
			wire_put16(out + hl, 0x8100);
			wire_put16(out + hl + 2, 0x2000 | 42);	/* PCP 1, VID 42 */
			hl += 4;
		}
		wire_put16(out + hl, etype);
		hl += 2;
		break;
	case FR_SLL:
		memset(out, 0, 16);
		wire_put16(out + 2, 1);			/* ARPHRD_ETHER */
		wire_put16(out + 4, 6);
		wire_put16(out + 14, etype);
		hl = 16;
		break;
	case FR_SLL2:
		memset(out, 0, 20);
		wire_put16(out, etype);
		wire_put16(out + 8, 1);
		out[11] = 6;
		hl = 20;
		break;
	case FR_NULL:
		fam = etype == 0x0800 ? 2 : 10;		/* host order */
		memcpy(out, &fam, 4);
		hl = 4;
		break;
	case FR_MAX:
		break;
	}
	memcpy(out + hl, ip, len);
	return hl + len;
}

static char *tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/tmp/gapwatch-test-replay-%ld-%s", (long)getpid(),
		 name);
	unlink(buf);
	return buf;
}

static void dump_one(pcap_dumper_t *d, uint64_t ts, int nano,
		     const uint8_t *data, size_t len)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(ts / USEC_PER_SEC);
	/* A nanosecond dumper writes the field as nanoseconds. */
	h.ts.tv_usec = (suseconds_t)(ts % USEC_PER_SEC) * (nano ? 1000 : 1);
	h.caplen = (bpf_u_int32)len;
	h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)d, &h, data);
}

/* Write the trace (up to n packets) in a framing; an ARP frame first
 * for the Ethernet framings. */
static void write_pcap(const char *path, const struct trace *t, enum framing fr)
{
	int nano = fr == FR_RAW_NANO;
	pcap_t *p = pcap_open_dead_with_tstamp_precision(framing_dlt[fr], 65535,
			nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
	pcap_dumper_t *d;
	uint8_t buf[FRAME_MAX];
	size_t len;
	int k;

	ck_assert_ptr_nonnull(p);
	d = pcap_dump_open(p, path);
	ck_assert_msg(d != NULL, "pcap_dump_open: %s", pcap_geterr(p));
	if (framing_dlt[fr] == DLT_EN10MB) {
		memset(buf, 0xff, 6);
		memset(buf + 6, 0x02, 6);
		wire_put16(buf + 12, 0x0806);		/* ARP */
		memset(buf + 14, 0, 28);
		dump_one(d, t->p[0].ts, 0, buf, 42);
	}
	for (k = 0; k < t->n; k++) {
		len = frame(fr, t->p[k].data, t->p[k].len, buf);
		dump_one(d, t->p[k].ts, nano, buf, len);
	}
	pcap_dump_close(d);
	pcap_close(p);
}

/* --- tests --- */

/* Every framing, IPv4 (loops 0..FR_MAX-1) and IPv6 (FR_MAX..). */
START_TEST(test_replay_matches_direct)
{
	enum framing fr = (enum framing)(_i % FR_MAX);
	int family = _i < FR_MAX ? AF_INET : AF_INET6;
	struct trace *t = malloc(sizeof(*t));
	struct run *direct = run_new(), *replay = run_new();
	struct replay_stats st;
	char path[256], name[32], err[512];

	ck_assert_ptr_nonnull(t);
	make_trace(t, family);
	snprintf(name, sizeof(name), "match-%d.pcap", _i);
	tmp_path(path, sizeof(path), name);
	write_pcap(path, t, fr);

	run_direct(direct, t, t->n);
	check_story(direct, family);

	err[0] = '\0';
	ck_assert_msg(replay_run(path, replay->e, &st, err, sizeof(err)) == 0,
		      "replay_run: %s", err);
	same_records(direct, replay);
	check_story(replay, family);
	ck_assert_uint_eq(st.packets,
			  (uint64_t)t->n + (framing_dlt[fr] == DLT_EN10MB));
	ck_assert_uint_eq(st.not_ip, framing_dlt[fr] == DLT_EN10MB);
	ck_assert_uint_eq(st.time_backwards, 0);
	ck_assert_uint_eq(st.first_us, t->p[0].ts);
	ck_assert_uint_eq(st.last_us, t->p[t->n - 1].ts);
	ck_assert_uint_eq(engine_counters(replay->e)[EC_PACKETS], (uint64_t)t->n);
	ck_assert_uint_eq(engine_counters(replay->e)[EC_PARSE_TRUNCATED], 0);
	ck_assert_uint_eq(engine_counters(replay->e)[EC_PARSE_MALFORMED], 0);
	ck_assert_uint_eq(engine_counters(replay->e)[EC_BYTES],
			  engine_counters(direct->e)[EC_BYTES]);

	unlink(path);
	run_free(direct);
	run_free(replay);
	free(t);
}
END_TEST

START_TEST(test_replay_unsupported_link)
{
	struct run *r = run_new();
	struct replay_stats st;
	char path[256], err[512];
	pcap_t *p = pcap_open_dead(DLT_IEEE802_11, 65535);
	pcap_dumper_t *d;
	uint8_t frame80211[64];

	tmp_path(path, sizeof(path), "wifi.pcap");
	ck_assert_ptr_nonnull(p);
	d = pcap_dump_open(p, path);
	ck_assert_ptr_nonnull(d);
	memset(frame80211, 0, sizeof(frame80211));
	frame80211[0] = 0x08;				/* data frame */
	dump_one(d, T0, 0, frame80211, sizeof(frame80211));
	pcap_dump_close(d);
	pcap_close(p);

	err[0] = '\0';
	ck_assert_int_eq(replay_run(path, r->e, &st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, path) != NULL, "no path in '%s'", err);
	ck_assert_msg(strstr(err, "IEEE802_11") != NULL, "no link type in '%s'",
		      err);
	ck_assert_uint_eq(st.packets, 0);
	ck_assert_uint_eq(engine_counters(r->e)[EC_PACKETS], 0);
	unlink(path);
	run_free(r);
}
END_TEST

START_TEST(test_replay_missing_file)
{
	struct run *r = run_new();
	struct replay_stats st;
	char err[512];
	const char *path = "/nonexistent-gapwatch/capture.pcap";

	err[0] = '\0';
	ck_assert_int_eq(replay_run(path, r->e, &st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, path) != NULL, "no path in '%s'", err);
	ck_assert_uint_eq(st.packets, 0);
	run_free(r);
}
END_TEST

START_TEST(test_replay_not_a_capture)
{
	struct run *r = run_new();
	struct replay_stats st;
	char path[256], err[512];
	FILE *f;

	tmp_path(path, sizeof(path), "text.pcap");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("this is not a capture file, only some text in it\n", f);
	fclose(f);
	err[0] = '\0';
	ck_assert_int_eq(replay_run(path, r->e, &st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, path) != NULL, "no path in '%s'", err);
	unlink(path);
	run_free(r);
}
END_TEST

/*
 * A capture cut short (still being written, or copied half): loop 0 cuts
 * the last record's data, loop 1 its header. The replay fails, says so,
 * and the packets before the cut have been through the engine.
 */
START_TEST(test_replay_truncated)
{
	struct trace *t = malloc(sizeof(*t));
	struct run *direct = run_new(), *replay = run_new();
	struct replay_stats st;
	char path[256], err[512], num[32];
	struct stat sb;
	off_t cut;

	ck_assert_ptr_nonnull(t);
	make_trace(t, AF_INET);
	tmp_path(path, sizeof(path), _i == 0 ? "cut-data.pcap" : "cut-hdr.pcap");
	write_pcap(path, t, FR_RAW);
	ck_assert_int_eq(stat(path, &sb), 0);
	/* The last record: a 16-byte header and a 40-byte SYN. */
	ck_assert_uint_eq(t->p[t->n - 1].len, 40);
	cut = _i == 0 ? sb.st_size - 10 : sb.st_size - 40 - 8;
	ck_assert_int_eq(truncate(path, cut), 0);

	err[0] = '\0';
	ck_assert_int_eq(replay_run(path, replay->e, &st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, path) != NULL, "no path in '%s'", err);
	snprintf(num, sizeof(num), " %d packets", t->n - 1);
	ck_assert_msg(strstr(err, num) != NULL, "no packet count in '%s'", err);
	ck_assert_uint_eq(st.packets, (uint64_t)t->n - 1);
	ck_assert_uint_eq(engine_counters(replay->e)[EC_PACKETS],
			  (uint64_t)t->n - 1);
	/* Everything up to the cut: the gap opened, the reconnect not seen. */
	run_direct(direct, t, t->n - 1);
	same_records(direct, replay);
	ck_assert_int_eq(replay->nrec, 1);
	ck_assert_uint_eq(replay->rec[0].is_open_event, 1);

	unlink(path);
	run_free(direct);
	run_free(replay);
	free(t);
}
END_TEST

/* Merged captures may step back in time: counted, and time holds. */
START_TEST(test_replay_time_backwards)
{
	struct trace *t = malloc(sizeof(*t));
	struct run *r = run_new();
	struct replay_stats st;
	char path[256], err[512];

	ck_assert_ptr_nonnull(t);
	memset(t, 0, sizeof(*t));
	t->family = AF_INET;
	t->client = "198.18.0.1";
	t->server = "198.18.2.2";
	emit(t, 1000, 1, 40000, IPPROTO_UDP, 0, 0, 0, 40);
	emit(t, 900, 0, 40000, IPPROTO_UDP, 0, 0, 0, 40);
	emit(t, 1100, 1, 40000, IPPROTO_UDP, 0, 0, 0, 40);
	tmp_path(path, sizeof(path), "back.pcap");
	write_pcap(path, t, FR_RAW);
	ck_assert_int_eq(replay_run(path, r->e, &st, err, sizeof(err)), 0);
	ck_assert_uint_eq(st.packets, 3);
	ck_assert_uint_eq(st.time_backwards, 1);
	ck_assert_uint_eq(st.first_us, T0 + MS(1000));
	ck_assert_uint_eq(st.last_us, T0 + MS(1100));
	ck_assert_uint_eq(engine_counters(r->e)[EC_PACKETS], 3);
	ck_assert_uint_eq(engine_flow_count(r->e), 1);
	unlink(path);
	run_free(r);
	free(t);
}
END_TEST

static double seconds_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Records whose time stamps name no time (libpcap's fields are signed): a
 * negative microsecond field once made the replay spin for hours, its
 * clock wrapped. They count at the clock, are counted, and the replay
 * ends at once.
 */
START_TEST(test_replay_bad_stamps)
{
	static const struct { long sec, usec; } stamps[] = {
		{ 1000, 0 }, { 1000, -1 }, { -5, 0 }, { 1000, 1000000 },
		{ 1000, 500000 },
	};
	struct trace *t = malloc(sizeof(*t));
	struct run *r = run_new();
	struct replay_stats st;
	struct pcap_pkthdr h;
	pcap_dumper_t *d;
	pcap_t *p;
	char path[256], err[512];
	double t0;
	size_t k;

	ck_assert_ptr_nonnull(t);
	memset(t, 0, sizeof(*t));
	t->family = AF_INET;
	t->client = "198.18.0.1";
	t->server = "198.18.2.2";
	emit(t, 0, 1, 40000, IPPROTO_UDP, 0, 0, 0, 40);
	tmp_path(path, sizeof(path), "stamps.pcap");
	p = pcap_open_dead(DLT_RAW, 65535);
	d = pcap_dump_open(p, path);
	ck_assert_ptr_nonnull(d);
	for (k = 0; k < GW_ARRAY_SIZE(stamps); k++) {
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = stamps[k].sec;
		h.ts.tv_usec = stamps[k].usec;
		h.caplen = h.len = (bpf_u_int32)t->p[0].len;
		pcap_dump((u_char *)d, &h, t->p[0].data);
	}
	pcap_dump_close(d);
	pcap_close(p);
	t0 = seconds_now();
	ck_assert_int_eq(replay_run(path, r->e, &st, err, sizeof(err)), 0);
	ck_assert_double_lt(seconds_now() - t0, 1.0);
	ck_assert_uint_eq(st.packets, 5);
	ck_assert_uint_eq(st.time_invalid, 3);
	ck_assert_uint_eq(st.time_backwards, 0);
	ck_assert_uint_eq(st.first_us, 1000 * USEC_PER_SEC);
	ck_assert_uint_eq(st.last_us, 1000 * USEC_PER_SEC + 500000);
	ck_assert_uint_eq(engine_counters(r->e)[EC_PACKETS], 5);
	unlink(path);
	run_free(r);
	free(t);
}
END_TEST

/*
 * A year of quiet after a UDP flow's heartbeats: crossed in bounded time
 * (ticking it 20 ms at a time took minutes), and the gap ends when the
 * flow expires, 30 s after its last packet here, not at the next packet
 * a year later (a jump of over a day was once crossed in one step).
 */
START_TEST(test_replay_year_quiet)
{
	struct trace *t = malloc(sizeof(*t));
	struct run *r = run_new();
	struct replay_stats st;
	char path[256], err[512];
	uint64_t ms;
	double t0;

	ck_assert_ptr_nonnull(t);
	memset(t, 0, sizeof(*t));
	t->family = AF_INET;
	t->client = "198.18.0.1";
	t->server = "198.18.2.2";
	for (ms = 0; ms <= 2000; ms += 100) {
		emit(t, ms, 1, 40000, IPPROTO_UDP, 0, 0, 0, 40);
		emit(t, ms + 5, 0, 40000, IPPROTO_UDP, 0, 0, 0, 40);
	}
	emit(t, 2005 + 365ULL * 86400 * 1000, 1, 40000, IPPROTO_UDP, 0, 0, 0, 40);
	tmp_path(path, sizeof(path), "year.pcap");
	write_pcap(path, t, FR_RAW);
	t0 = seconds_now();
	ck_assert_int_eq(replay_run(path, r->e, &st, err, sizeof(err)), 0);
	ck_assert_double_lt(seconds_now() - t0, 1.0);
	ck_assert_int_ge(r->nrec, 2);
	ck_assert_uint_eq(r->rec[0].is_open_event, 1);
	ck_assert_uint_eq(r->rec[1].is_open_event, 0);
	ck_assert_int_eq(r->rec[1].outcome, OUTCOME_EXPIRED);
	/* Expired 30 s after the last packet, within a tick and a slot. */
	ck_assert_uint_ge(r->rec[1].end_us, T0 + MS(2005) + 30 * USEC_PER_SEC);
	ck_assert_uint_le(r->rec[1].end_us, T0 + MS(2005) + 31 * USEC_PER_SEC);
	unlink(path);
	run_free(r);
	free(t);
}
END_TEST

START_TEST(test_ip_offset)
{
	uint8_t f[64];

	memset(f, 0, sizeof(f));
	/* Ethernet: IPv4, IPv6, VLAN, QinQ, ARP, too short. */
	wire_put16(f + 12, 0x0800);
	ck_assert_int_eq(linktype_ip_offset(DLT_EN10MB, f, 34), 14);
	wire_put16(f + 12, 0x86dd);
	ck_assert_int_eq(linktype_ip_offset(DLT_EN10MB, f, 54), 14);
	wire_put16(f + 12, 0x8100);
	wire_put16(f + 16, 0x0800);
	ck_assert_int_eq(linktype_ip_offset(DLT_EN10MB, f, 38), 18);
	wire_put16(f + 12, 0x88a8);
	wire_put16(f + 16, 0x8100);
	wire_put16(f + 20, 0x86dd);
	ck_assert_int_eq(linktype_ip_offset(DLT_EN10MB, f, 62), 22);
	/* Three tags: more than a frame of ours carries, told apart from
	 * "not IP" (it was counted as that). */
	wire_put16(f + 20, 0x8100);
	wire_put16(f + 24, 0x0800);
	ck_assert_int_eq(linktype_ip_offset(DLT_EN10MB, f, 64), LINKTYPE_VLAN_LIMIT);
	/* A tag whose inner type is cut off. */
	wire_put16(f + 12, 0x8100);
	ck_assert_int_eq(linktype_ip_offset(DLT_EN10MB, f, 16), -1);
	wire_put16(f + 12, 0x0806);
	ck_assert_int_eq(linktype_ip_offset(DLT_EN10MB, f, 42), -1);
	ck_assert_int_eq(linktype_ip_offset(DLT_EN10MB, f, 13), -1);
	/* Raw IP by its version nibble. */
	f[0] = 0x45;
	ck_assert_int_eq(linktype_ip_offset(DLT_RAW, f, 20), 0);
	f[0] = 0x60;
	ck_assert_int_eq(linktype_ip_offset(DLT_RAW, f, 40), 0);
	f[0] = 0x50;
	ck_assert_int_eq(linktype_ip_offset(DLT_RAW, f, 40), -1);
	ck_assert_int_eq(linktype_ip_offset(DLT_RAW, f, 0), -1);
	/* Loopback: a 4-byte family, then IP. */
	memset(f, 0, sizeof(f));
	f[4] = 0x45;
	ck_assert_int_eq(linktype_ip_offset(DLT_NULL, f, 24), 4);
	ck_assert_int_eq(linktype_ip_offset(DLT_NULL, f, 4), -1);
	/* Linux cooked v1 and v2. */
	memset(f, 0, sizeof(f));
	wire_put16(f + 14, 0x0800);
	ck_assert_int_eq(linktype_ip_offset(DLT_LINUX_SLL, f, 36), 16);
	ck_assert_int_eq(linktype_ip_offset(DLT_LINUX_SLL, f, 15), -1);
	memset(f, 0, sizeof(f));
	wire_put16(f, 0x86dd);
	ck_assert_int_eq(linktype_ip_offset(DLT_LINUX_SLL2, f, 60), 20);
	ck_assert_int_eq(linktype_ip_offset(DLT_LINUX_SLL2, f, 19), -1);
	/* Not a link type we read. */
	ck_assert_int_eq(linktype_ip_offset(DLT_IEEE802_11, f, 64), -1);
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc;

	tc = tcase_create("files");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_replay_matches_direct, 0, 2 * FR_MAX);
	tcase_add_test(tc, test_replay_unsupported_link);
	tcase_add_test(tc, test_replay_missing_file);
	tcase_add_test(tc, test_replay_not_a_capture);
	tcase_add_loop_test(tc, test_replay_truncated, 0, 2);
	tcase_add_test(tc, test_replay_time_backwards);
	tcase_add_test(tc, test_replay_bad_stamps);
	tcase_add_test(tc, test_replay_year_quiet);
	suite_add_tcase(s, tc);

	tc = tcase_create("link");
	tcase_add_test(tc, test_ip_offset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(replay_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
