/*
 * test_engine.c - the engine (src/engine.c) driven by synthetic timelines.
 *
 * A test writes a plan: packets (and inspector samples) at times in
 * microseconds after T0. The plan runs in time order, with engine_tick()
 * every 10 ms as a live source would, and mono == wall. TCP sequence and
 * acknowledgement numbers are worked out as the plan runs: each side
 * acknowledges everything the other has sent so far.
 *
 * The reference timeline (tcp_base) is a game client at 198.18.0.1:40000
 * talking to 198.18.2.2:7781:
 *   0 SYN, 10 SYN-ACK, 20 ACK (ms)
 *   client: 20 bytes every 500 ms from 100 ms, the server ACKs 20 ms later
 *   server: 30 bytes every 700 ms from 200 ms, the client ACKs 20 ms later
 * so the client learns 500 ms (threshold max(1000, 3 x 500) = 1500 ms)
 * and the server 700 ms (2100 ms).
 *
 * GAP_DEBUG=1 in the environment prints every record as it arrives.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "portset.h"
#include "engine.h"
#include "packet.h"
#include "pktbuild.h"
#include "exposure.h"

#define T0		(1000 * USEC_PER_SEC)
#define MS(x)		((uint64_t)(x) * USEC_PER_MSEC)
#define TICK_US		MS(10)
#define LATE_MAX_US	MS(40)		/* one tick + one slot, rounded up */
#define MAXREC		64
#define MAXEV		8192
#define PKTMAX		2048

#define CLIENT_TTL	50
#define SERVER_TTL	60

enum ev_kind {
	C_SYN, S_SYNACK, C_ACK, C_DATA, S_ACK, S_DATA, S_RETRANS,
	C_RST, S_RST, C_FIN, S_FIN, C_KEEPALIVE,
	U_C, U_S,		/* UDP datagrams, client / server */
	INSPECT,		/* inspector sample: queue_dropped = len */
};

struct conv {
	int family;
	int proto;
	const char *client, *server;
	uint16_t cport, sport;
	uint32_t cseq, sseq;		/* next sequence number to send */
	uint32_t s_last_seq, s_last_len;	/* the server's last data */
	uint8_t ttl;			/* the client's; 0: CLIENT_TTL */
};

struct ev {
	uint64_t us;			/* after T0 */
	int order;			/* ties run in plan order */
	enum ev_kind kind;
	uint32_t len;
	struct conv *c;
};

struct sim {
	struct engine *e;
	struct portset ports;
	struct engine_config cfg;
	struct gap_record rec[MAXREC];
	int nrec;
	uint64_t now;			/* absolute */
	struct ev ev[MAXEV];
	int nev;
	struct inspector_counters ic;
	uint64_t wall_off;		/* wall = mono + wall_off */
	uint64_t blip_at, blip_us;	/* the reading at blip_at: wall late */
	uint64_t step_at, step_us;	/* from step_at on: wall stepped */
	struct blind_record blind[4];	/* blind intervals reported */
	int nblind;
	struct exposure_batch *exposure[4];	/* exposure intervals, sorted */
	uint64_t exposure_end[4];
	int nexposure;
};

static void collect(void *ctx, const struct gap_record *rec)
{
	struct sim *s = ctx;

	ck_assert_int_lt(s->nrec, MAXREC);
	s->rec[s->nrec] = *rec;
	/* The correlator classifies what the engine reports. */
	cause_classify(&s->rec[s->nrec++]);
	if (getenv("GAP_DEBUG"))
		fprintf(stderr, "rec %d: open %u seq %llu silent %d outcome %d cause %d "
			"cport %u start %.3f det %.3f end %.3f thr %u int %u "
			"pk %u/%u rt %u/%u\n", s->nrec, rec->is_open_event,
			(unsigned long long)rec->seq, rec->silent, rec->outcome,
			rec->cause, rec->key.client_port,
			(rec->start_us - T0) / 1e3, (rec->detected_us - T0) / 1e3,
			(rec->end_us - T0) / 1e3, rec->threshold_us,
			rec->expected_interval_us, rec->side[0].packets,
			rec->side[1].packets, rec->side[0].retransmits,
			rec->side[1].retransmits);
}

/* One clock reading: mono as given, wall wall_off ahead of it; one
 * reading preempted between its two clocks, a step of the wall clock. */
static struct gw_time gwt(const struct sim *s, uint64_t abs_us)
{
	struct gw_time t = { abs_us, abs_us + s->wall_off, 0 };

	if (s->blip_at && abs_us == s->blip_at)
		t.wall_us += s->blip_us;
	if (s->step_at && abs_us >= s->step_at)
		t.wall_us += s->step_us;
	return t;
}

static void collect_blind(void *ctx, const struct blind_record *iv)
{
	struct sim *s = ctx;

	ck_assert_int_lt(s->nblind, 4);
	s->blind[s->nblind++] = *iv;
}

static void sim_config(struct sim *s)
{
	char err[128];

	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(portset_parse(&s->ports, "7781", err, sizeof(err)), 0);
	s->cfg.ports = &s->ports;
	s->cfg.queue = 0;
	s->cfg.max_flows = 1024;
	s->cfg.gap_min_us = 1000 * USEC_PER_MSEC;
	s->cfg.gap_factor = 3;
	s->cfg.flow_timeout_us = 30 * USEC_PER_SEC;
	s->cfg.closed_linger_us = 10 * USEC_PER_SEC;
	s->cfg.reconnect_window_us = 120 * USEC_PER_SEC;
	s->cfg.seed = 0x12345678;
	s->cfg.blind_cb = collect_blind;
	s->now = T0;
}

static void sim_start(struct sim *s)
{
	struct gw_time t = gwt(s, T0);

	s->e = engine_new(&s->cfg, collect, s, &t);
	ck_assert_ptr_nonnull(s->e);
}

/* The wall clock wall_off ahead of mono (a live source's), or the same
 * (replay's: 0). */
static struct sim *sim_new_wall(uint64_t wall_off)
{
	struct sim *s = malloc(sizeof(*s));

	ck_assert_ptr_nonnull(s);
	sim_config(s);
	s->wall_off = wall_off;
	sim_start(s);
	return s;
}

static struct sim *sim_new(void)
{
	return sim_new_wall(0);
}

static void sim_free(struct sim *s)
{
	int k;

	for (k = 0; k < s->nexposure; k++)
		free(s->exposure[k]);
	engine_free(s->e);
	free(s);
}

/* Tick every 10 ms boundary in (now, t], then stand at t. */
static void sim_until(struct sim *s, uint64_t rel_us)
{
	uint64_t t = T0 + rel_us, next;
	struct gw_time g;

	ck_assert_uint_ge(t, s->now);
	for (next = (s->now / TICK_US + 1) * TICK_US; next <= t; next += TICK_US) {
		g = gwt(s, next);
		engine_tick(s->e, &g);
	}
	s->now = t;
}

static void sim_finish(struct sim *s, uint64_t rel_us)
{
	struct gw_time g;

	sim_until(s, rel_us);
	g = gwt(s, T0 + rel_us);
	engine_finish(s->e, &g);
}

static const uint64_t *counters(struct sim *s)
{
	return engine_counters(s->e);
}

/* Every flow created is alive, expired or evicted: the books balance. */
static void check_flow_books(struct sim *s)
{
	const uint64_t *ec = counters(s);

	ck_assert_uint_eq(ec[EC_FLOWS_CREATED],
			  engine_flow_count(s->e) + ec[EC_FLOWS_EXPIRED] +
			  ec[EC_FLOWS_EVICTED]);
}

/* --- plans --- */

static void plan(struct sim *s, struct conv *c, uint64_t us, enum ev_kind k,
		 uint32_t len)
{
	struct ev *e;

	ck_assert_int_lt(s->nev, MAXEV);
	e = &s->ev[s->nev];
	e->us = us;
	e->order = s->nev;
	e->kind = k;
	e->len = len;
	e->c = c;
	s->nev++;
}

/* first, first + period, ... up to and including last (all in ms). */
static void plan_every(struct sim *s, struct conv *c, enum ev_kind k,
		       uint32_t len, uint64_t first_ms, uint64_t period_ms,
		       uint64_t last_ms)
{
	uint64_t t;

	for (t = first_ms; t <= last_ms; t += period_ms)
		plan(s, c, MS(t), k, len);
}

static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->us != y->us)
		return x->us < y->us ? -1 : 1;
	return x->order - y->order;
}

static void xmit(struct sim *s, struct conv *c, int from_client, uint8_t flags,
		 uint32_t seq, uint32_t ack, uint32_t len)
{
	uint8_t buf[PKTMAX];
	struct pktspec p = {
		.family = c->family, .proto = c->proto,
		.src = from_client ? c->client : c->server,
		.dst = from_client ? c->server : c->client,
		.sport = from_client ? c->cport : c->sport,
		.dport = from_client ? c->sport : c->cport,
		.ttl = from_client ? (c->ttl ? c->ttl : CLIENT_TTL) : SERVER_TTL,
		.tcp_flags = flags, .seq = seq, .ack = ack,
		.window = 64240, .payload_len = len,
	};
	struct gw_time g = gwt(s, s->now);
	size_t n = pktbuild(buf, sizeof(buf), &p);

	ck_assert_uint_gt(n, 0);
	engine_packet(s->e, buf, n, n, &g);
}

static void run_ev(struct sim *s, const struct ev *e)
{
	struct conv *c = e->c;
	const uint8_t A = PKT_TCP_ACK, PA = PKT_TCP_PSH | PKT_TCP_ACK;

	sim_until(s, e->us);
	switch (e->kind) {
	case C_SYN:
		xmit(s, c, 1, PKT_TCP_SYN, c->cseq, 0, 0);
		c->cseq++;
		break;
	case S_SYNACK:
		xmit(s, c, 0, PKT_TCP_SYN | A, c->sseq, c->cseq, 0);
		c->sseq++;
		break;
	case C_ACK:
		xmit(s, c, 1, A, c->cseq, c->sseq, 0);
		break;
	case C_DATA:
		xmit(s, c, 1, PA, c->cseq, c->sseq, e->len);
		c->cseq += e->len;
		break;
	case S_ACK:
		xmit(s, c, 0, A, c->sseq, c->cseq, 0);
		break;
	case S_DATA:
		c->s_last_seq = c->sseq;
		c->s_last_len = e->len;
		xmit(s, c, 0, PA, c->sseq, c->cseq, e->len);
		c->sseq += e->len;
		break;
	case S_RETRANS:
		xmit(s, c, 0, PA, c->s_last_seq, c->cseq, c->s_last_len);
		break;
	case C_RST:
		xmit(s, c, 1, PKT_TCP_RST | A, c->cseq, c->sseq, 0);
		break;
	case S_RST:
		xmit(s, c, 0, PKT_TCP_RST | A, c->sseq, c->cseq, 0);
		break;
	case C_FIN:
		xmit(s, c, 1, PKT_TCP_FIN | A, c->cseq, c->sseq, 0);
		c->cseq++;
		break;
	case S_FIN:
		xmit(s, c, 0, PKT_TCP_FIN | A, c->sseq, c->cseq, 0);
		c->sseq++;
		break;
	case C_KEEPALIVE:
		xmit(s, c, 1, A, c->cseq - 1, c->sseq, 0);
		break;
	case U_C:
		xmit(s, c, 1, 0, 0, 0, e->len);
		break;
	case U_S:
		xmit(s, c, 0, 0, 0, 0, e->len);
		break;
	case INSPECT: {
		struct gw_time g = gwt(s, s->now);

		s->ic.queue_dropped = e->len;
		engine_inspector_sample(s->e, &g, &s->ic);
		break;
	}
	}
}

/* Run the plan in time order, then forget it. */
static void sim_run(struct sim *s)
{
	int k;

	qsort(s->ev, (size_t)s->nev, sizeof(s->ev[0]), ev_cmp);
	for (k = 0; k < s->nev; k++)
		run_ev(s, &s->ev[k]);
	s->nev = 0;
}

static void conv_init(struct conv *c, int family, int proto, uint16_t cport)
{
	memset(c, 0, sizeof(*c));
	c->family = family;
	c->proto = proto;
	c->client = family == AF_INET ? "198.18.0.1" : "2001:db8::1";
	c->server = family == AF_INET ? "198.18.2.2" : "2001:db8:2::2";
	c->cport = cport;
	c->sport = 7781;
	c->cseq = 1000000;
	c->sseq = 5000000 + cport;
}

/*
 * The reference TCP flow up to the client's last data at client_last_ms
 * (on the 500 ms grid) and the server's last data at server_last_ms (on
 * the 700 ms grid). Each data segment is acknowledged 20 ms later while
 * the receiver is still talking: up to client_acks_ms for the client.
 */
static void tcp_base(struct sim *s, struct conv *c, uint64_t client_last_ms,
		     uint64_t server_last_ms, uint64_t client_acks_ms)
{
	plan(s, c, MS(0), C_SYN, 0);
	plan(s, c, MS(10), S_SYNACK, 0);
	plan(s, c, MS(20), C_ACK, 0);
	plan_every(s, c, C_DATA, 20, 100, 500, client_last_ms);
	plan_every(s, c, S_ACK, 0, 120, 500, client_last_ms + 20);
	plan_every(s, c, S_DATA, 30, 200, 700, server_last_ms);
	plan_every(s, c, C_ACK, 0, 220, 700,
		   client_acks_ms < server_last_ms + 20 ? client_acks_ms :
							   server_last_ms + 20);
}

/*
 * Scenario 1: the client goes quiet after its data at 4600 ms; the
 * server sends new data once more at 5100 ms and retransmits it at 5400,
 * 6000 and 7200 ms (RTO doubling).
 */
#define S1_CLIENT_LAST	4600
#define S1_SERVER_NEW	5100
static void scenario_lost_client(struct sim *s, struct conv *c)
{
	tcp_base(s, c, S1_CLIENT_LAST, 4400, 4420);
	plan(s, c, MS(S1_SERVER_NEW), S_DATA, 30);
	plan(s, c, MS(5400), S_RETRANS, 0);
	plan(s, c, MS(6000), S_RETRANS, 0);
	plan(s, c, MS(7200), S_RETRANS, 0);
}

static int addr_eq(const struct in6_addr *a, int family, const char *text)
{
	struct in6_addr x;
	struct in_addr v4;

	memset(&x, 0, sizeof(x));
	if (family == AF_INET) {
		ck_assert_int_eq(inet_pton(AF_INET, text, &v4), 1);
		x.s6_addr[10] = 0xff;
		x.s6_addr[11] = 0xff;
		memcpy(&x.s6_addr[12], &v4, 4);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, text, &x), 1);
	}
	return memcmp(a, &x, sizeof(x)) == 0;
}

static void check_key(const struct gap_record *r, const struct conv *c)
{
	ck_assert(addr_eq(&r->key.client, c->family, c->client));
	ck_assert(addr_eq(&r->key.server, c->family, c->server));
	ck_assert_uint_eq(r->key.client_port, c->cport);
	ck_assert_uint_eq(r->key.server_port, c->sport);
	ck_assert_uint_eq(r->key.proto, c->proto);
}

/* detected within one tick and one slot of start + threshold. */
static void check_detected(const struct gap_record *r)
{
	uint64_t due = r->start_us + r->threshold_us;

	ck_assert_uint_ge(r->detected_us, due);
	ck_assert_uint_le(r->detected_us, due + LATE_MAX_US);
}

/* The gap_open record of scenario 1, as detected around 6100 ms. */
static void check_s1_open(const struct gap_record *r, const struct conv *c)
{
	ck_assert_uint_eq(r->is_open_event, 1);
	ck_assert_uint_eq(r->seq, 1);
	check_key(r, c);
	ck_assert_int_eq(r->silent, SILENT_CLIENT);
	ck_assert_int_eq(r->outcome, OUTCOME_NONE);
	ck_assert_uint_eq(r->start_us, T0 + MS(S1_CLIENT_LAST));
	ck_assert_uint_eq(r->threshold_us, MS(1500));
	ck_assert_uint_eq(r->expected_interval_us, MS(500));
	check_detected(r);
	ck_assert_uint_eq(r->end_us, r->detected_us);
	/* Window: server ACK 4620, data 5100, retransmits 5400, 6000. */
	ck_assert_uint_eq(r->side[SIDE_CLIENT].packets, 0);
	ck_assert_uint_eq(r->side[SIDE_SERVER].packets, 4);
	ck_assert_uint_eq(r->side[SIDE_SERVER].retransmits, 2);
	ck_assert_uint_eq(r->side[SIDE_CLIENT].retransmits, 0);
	ck_assert_uint_eq(r->side[SIDE_CLIENT].last_packet_us,
			  T0 + MS(S1_CLIENT_LAST));
	ck_assert_uint_eq(r->side[SIDE_SERVER].last_packet_us, T0 + MS(6000));
	ck_assert_uint_eq(r->side[SIDE_SERVER].bytes_in_flight, 30);
	ck_assert_uint_eq(r->side[SIDE_CLIENT].bytes_in_flight, 0);
	ck_assert_uint_eq(r->side[SIDE_CLIENT].ttl_before, CLIENT_TTL);
	ck_assert_uint_eq(r->side[SIDE_SERVER].ttl_before, SERVER_TTL);
	ck_assert_int_eq(r->cause, CAUSE_PATH_LOSS_TO_SERVER);
	ck_assert_uint_eq(r->reconnect_port, 0);
	ck_assert_uint_eq(r->inspector.queue_dropped, 0);
	ck_assert(r->evidence[0] != '\0');
}

/* What every closed scenario-1 record shares, closed at end_ms. */
static void check_s1_closed(const struct gap_record *r, const struct conv *c,
			    const struct gap_record *open, uint64_t end_ms)
{
	ck_assert_uint_eq(r->is_open_event, 0);
	ck_assert_uint_eq(r->seq, 1);
	check_key(r, c);
	ck_assert_int_eq(r->silent, SILENT_CLIENT);
	ck_assert_uint_eq(r->start_us, T0 + MS(S1_CLIENT_LAST));
	ck_assert_uint_eq(r->end_us, T0 + MS(end_ms));
	ck_assert_uint_eq(r->detected_us, open->detected_us);
	ck_assert_uint_eq(r->threshold_us, MS(1500));
	ck_assert_uint_eq(r->expected_interval_us, MS(500));
	ck_assert_uint_eq(r->side[SIDE_CLIENT].packets, 0);
	ck_assert_uint_eq(r->side[SIDE_SERVER].packets, 5);
	ck_assert_uint_eq(r->side[SIDE_SERVER].retransmits, 3);
	ck_assert_uint_eq(r->side[SIDE_SERVER].last_packet_us, T0 + MS(7200));
	ck_assert_uint_eq(r->side[SIDE_SERVER].bytes_in_flight, 30);
	ck_assert_int_eq(r->cause, CAUSE_PATH_LOSS_TO_SERVER);
}

/* --- the cases --- */

/* The seed's story: lost client, server retransmits, client reconnects.
 * Loop 0 is IPv4, loop 1 the same over IPv6. */
START_TEST(test_tcp_gap_reconnect)
{
	struct sim *s = sim_new();
	struct conv c, c2;
	const struct gap_record *r;
	const uint64_t *ec;
	int family = _i == 0 ? AF_INET : AF_INET6;

	conv_init(&c, family, IPPROTO_TCP, 40000);
	conv_init(&c2, family, IPPROTO_TCP, 40001);
	scenario_lost_client(s, &c);
	plan(s, &c2, MS(8000), C_SYN, 0);
	sim_run(s);

	ck_assert_int_eq(s->nrec, 2);
	check_s1_open(&s->rec[0], &c);
	r = &s->rec[1];
	check_s1_closed(r, &c, &s->rec[0], 8000);
	ck_assert_int_eq(r->outcome, OUTCOME_RECONNECTED);
	ck_assert_uint_eq(r->reconnect_port, 40001);
	ck_assert_uint_eq(r->reconnect_delay_us, MS(8000 - S1_CLIENT_LAST));
	ck_assert_uint_eq(r->side[SIDE_CLIENT].ttl_after, CLIENT_TTL);

	ec = counters(s);
	ck_assert_uint_eq(ec[EC_GAPS_OPENED], 1);
	ck_assert_uint_eq(ec[EC_GAPS_CLOSED], 1);
	ck_assert_uint_eq(ec[EC_RECONNECTS], 1);
	ck_assert_uint_eq(ec[EC_RETRANSMITS], 3);
	ck_assert_uint_eq(ec[EC_FLOWS_CREATED], 2);
	ck_assert_uint_eq(engine_open_gaps(s->e), 0);

	/* Nothing more: the old flow is superseded, the new one has not
	 * learned anything; both are forgotten after the flow timeout. */
	sim_until(s, MS(40000));
	ck_assert_int_eq(s->nrec, 2);
	ck_assert_uint_eq(ec[EC_FLOWS_EXPIRED], 2);
	ck_assert_uint_eq(engine_flow_count(s->e), 0);
	check_flow_books(s);
	sim_finish(s, MS(40000));
	ck_assert_int_eq(s->nrec, 2);
	sim_free(s);
}
END_TEST

/* The lost client of scenario 1, back from port 40001 at at_ms: its
 * gap's two records. */
static void lost_and_back(struct sim *s, uint64_t at_ms)
{
	struct conv c, c2;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	conv_init(&c2, AF_INET, IPPROTO_TCP, 40001);
	scenario_lost_client(s, &c);
	plan(s, &c2, MS(at_ms), C_SYN, 0);
	sim_run(s);
	ck_assert_int_eq(s->nrec, 2);
}

/*
 * A live source: the monotonic clock counts from boot, the wall clock
 * from 1970. Timers follow mono; every time in the record is wall.
 */
#define WALL_OFF	(1699999000ULL * USEC_PER_SEC)
START_TEST(test_wall_clock_in_records)
{
	struct sim *s = sim_new_wall(WALL_OFF);
	const struct gap_record *r;

	lost_and_back(s, 8000);
	r = &s->rec[0];
	ck_assert_uint_eq(r->start_us, WALL_OFF + T0 + MS(S1_CLIENT_LAST));
	ck_assert_uint_ge(r->detected_us, WALL_OFF + T0 + MS(6100));
	ck_assert_uint_le(r->detected_us, WALL_OFF + T0 + MS(6100) + LATE_MAX_US);
	ck_assert_uint_eq(r->end_us, r->detected_us);
	ck_assert_uint_eq(r->side[SIDE_SERVER].last_packet_us,
			  WALL_OFF + T0 + MS(6000));
	r = &s->rec[1];
	ck_assert_uint_eq(r->start_us, WALL_OFF + T0 + MS(S1_CLIENT_LAST));
	ck_assert_uint_eq(r->end_us, WALL_OFF + T0 + MS(8000));
	ck_assert_uint_eq(r->detected_us, s->rec[0].detected_us);
	ck_assert_uint_eq(r->side[SIDE_CLIENT].last_packet_us,
			  WALL_OFF + T0 + MS(S1_CLIENT_LAST));
	ck_assert_uint_eq(r->reconnect_delay_us, MS(8000 - S1_CLIENT_LAST));
	ck_assert_uint_eq(r->threshold_us, MS(1500));
	sim_free(s);
}
END_TEST

/*
 * The wall clock in records follows a step of it, confirmed by the next
 * reading, and not one reading preempted between its two clocks: a gap's
 * two records print the same start.
 */
START_TEST(test_wall_clock_step_and_blip)
{
	struct sim *s = sim_new_wall(WALL_OFF);

	s->blip_at = T0 + MS(8005);	/* the reconnect's reading */
	s->blip_us = MS(5);
	lost_and_back(s, 8005);
	ck_assert_uint_eq(s->rec[0].start_us, WALL_OFF + T0 + MS(S1_CLIENT_LAST));
	ck_assert_uint_eq(s->rec[1].start_us, s->rec[0].start_us);
	ck_assert_uint_eq(s->rec[1].end_us, WALL_OFF + T0 + MS(8005));
	sim_free(s);

	s = sim_new_wall(WALL_OFF);
	s->step_at = T0 + MS(7000);
	s->step_us = 2 * USEC_PER_SEC;
	lost_and_back(s, 8000);
	ck_assert_uint_eq(s->rec[0].start_us, WALL_OFF + T0 + MS(S1_CLIENT_LAST));
	ck_assert_uint_eq(s->rec[1].start_us,
			  WALL_OFF + 2 * USEC_PER_SEC + T0 + MS(S1_CLIENT_LAST));
	ck_assert_uint_eq(s->rec[1].end_us,
			  WALL_OFF + 2 * USEC_PER_SEC + T0 + MS(8000));
	sim_free(s);
}
END_TEST

/* A client that gives up after 1.5 intervals, before the threshold:
 * the gap is opened and closed by the reconnect itself. */
START_TEST(test_tcp_early_reconnect)
{
	struct sim *s = sim_new();
	struct conv c, c2;
	const struct gap_record *r;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	conv_init(&c2, AF_INET, IPPROTO_TCP, 40001);
	tcp_base(s, &c, S1_CLIENT_LAST, 4400, 4420);
	plan(s, &c2, MS(5500), C_SYN, 0);	/* 900 ms >= 750 ms quiet */
	sim_run(s);

	ck_assert_int_eq(s->nrec, 2);
	r = &s->rec[0];
	ck_assert_uint_eq(r->is_open_event, 1);
	ck_assert_uint_eq(r->start_us, T0 + MS(S1_CLIENT_LAST));
	ck_assert_uint_eq(r->detected_us, T0 + MS(5500));
	r = &s->rec[1];
	ck_assert_uint_eq(r->is_open_event, 0);
	ck_assert_int_eq(r->outcome, OUTCOME_RECONNECTED);
	ck_assert_uint_eq(r->end_us, T0 + MS(5500));
	ck_assert_uint_eq(r->reconnect_port, 40001);
	ck_assert_uint_eq(r->reconnect_delay_us, MS(900));
	sim_finish(s, MS(6000));
	ck_assert_int_eq(s->nrec, 2);
	sim_free(s);
}
END_TEST

/*
 * A client far quicker to give up than the threshold: its new connection
 * comes 100 ms after its last data, before anything is overdue. The
 * decision waits for the old flow's gap to open, which the new flow then
 * closes: sure when the address is the player's alone, a guess when
 * another player talks on it (the newcomer may be theirs).
 */
START_TEST(test_tcp_reconnect_before_gap)
{
	struct sim *s = sim_new();
	struct conv c, c2, other;
	const struct gap_record *r;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	conv_init(&c2, AF_INET, IPPROTO_TCP, 40001);
	tcp_base(s, &c, S1_CLIENT_LAST, 4400, 4420);
	plan(s, &c2, MS(S1_CLIENT_LAST + 100), C_SYN, 0);
	plan(s, &c2, MS(S1_CLIENT_LAST + 110), S_SYNACK, 0);
	plan(s, &c2, MS(S1_CLIENT_LAST + 120), C_ACK, 0);
	plan_every(s, &c2, C_DATA, 20, S1_CLIENT_LAST + 200, 500, 9000);
	sim_run(s);
	r = &s->rec[s->nrec - 1];
	ck_assert_int_eq(r->is_open_event, 0);
	ck_assert_int_eq(r->outcome, OUTCOME_RECONNECTED);
	ck_assert_uint_eq(r->reconnect_port, 40001);
	ck_assert_uint_eq(r->reconnect_method, RECONNECT_ONLY);
	ck_assert_uint_eq(r->reconnect_confidence, CONFIDENCE_FULL);
	sim_free(s);

	s = sim_new();
	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	conv_init(&c2, AF_INET, IPPROTO_TCP, 40001);
	conv_init(&other, AF_INET, IPPROTO_TCP, 39000);
	tcp_base(s, &c, S1_CLIENT_LAST, 4400, 4420);
	tcp_base(s, &other, 9000, 9000, 9000);
	plan(s, &c2, MS(S1_CLIENT_LAST + 100), C_SYN, 0);
	plan(s, &c2, MS(S1_CLIENT_LAST + 110), S_SYNACK, 0);
	plan(s, &c2, MS(S1_CLIENT_LAST + 120), C_ACK, 0);
	plan_every(s, &c2, C_DATA, 20, S1_CLIENT_LAST + 200, 500, 9000);
	sim_run(s);
	r = NULL;
	for (int k = 0; k < s->nrec; k++)
		if (!s->rec[k].is_open_event && s->rec[k].key.client_port == 40000)
			r = &s->rec[k];
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->outcome, OUTCOME_RECONNECTED);
	ck_assert_uint_eq(r->reconnect_port, 40001);
	ck_assert_uint_eq(r->reconnect_confidence, CONFIDENCE_LOW);
	sim_free(s);
}
END_TEST

/* A second connection while the first is alive is not a reconnect. */
START_TEST(test_tcp_parallel_connection)
{
	struct sim *s = sim_new();
	struct conv c, c2;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	conv_init(&c2, AF_INET, IPPROTO_TCP, 40001);
	tcp_base(s, &c, 9600, 9300, 9320);
	plan(s, &c2, MS(5000), C_SYN, 0);	/* 400 ms after client data */
	sim_run(s);
	sim_finish(s, MS(9700));
	ck_assert_int_eq(s->nrec, 0);
	ck_assert_uint_eq(counters(s)[EC_RECONNECTS], 0);
	sim_free(s);
}
END_TEST

START_TEST(test_tcp_gap_resumed)
{
	struct sim *s = sim_new();
	struct conv c;
	const struct gap_record *r;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	/* The client stops after 4600, resumes at 7100 with data every
	 * 500 ms to 12100, and stops again; the server never stops. The
	 * client acknowledges the server only while it talks. */
	tcp_base(s, &c, S1_CLIENT_LAST, 14200, 4420);
	plan_every(s, &c, C_DATA, 20, 7100, 500, 12100);
	plan_every(s, &c, S_ACK, 0, 7120, 500, 12120);
	plan_every(s, &c, C_ACK, 0, 7220, 700, 11420);
	sim_run(s);
	sim_finish(s, MS(15000));

	ck_assert_int_eq(s->nrec, 4);
	r = &s->rec[0];
	ck_assert_uint_eq(r->is_open_event, 1);
	ck_assert_uint_eq(r->seq, 1);
	ck_assert_uint_eq(r->start_us, T0 + MS(S1_CLIENT_LAST));
	ck_assert_uint_eq(r->threshold_us, MS(1500));
	check_detected(r);

	r = &s->rec[1];
	ck_assert_uint_eq(r->is_open_event, 0);
	ck_assert_uint_eq(r->seq, 1);
	check_key(r, &c);
	ck_assert_int_eq(r->outcome, OUTCOME_RESUMED);
	ck_assert_int_eq(r->silent, SILENT_CLIENT);
	ck_assert_uint_eq(r->start_us, T0 + MS(S1_CLIENT_LAST));
	ck_assert_uint_eq(r->end_us, T0 + MS(7100));
	ck_assert_uint_eq(r->detected_us, s->rec[0].detected_us);
	ck_assert_uint_eq(r->expected_interval_us, MS(500));
	/* Window: server ACK 4620, data 5100, 5800, 6500; no client packet
	 * before the one that resumed. */
	ck_assert_uint_eq(r->side[SIDE_CLIENT].packets, 0);
	ck_assert_uint_eq(r->side[SIDE_SERVER].packets, 4);
	ck_assert_uint_eq(r->side[SIDE_SERVER].retransmits, 0);
	ck_assert_uint_eq(r->side[SIDE_CLIENT].ttl_after, CLIENT_TTL);
	ck_assert_uint_eq(r->side[SIDE_SERVER].bytes_in_flight, 90);
	ck_assert_int_eq(r->cause, CAUSE_UNKNOWN);

	/* The second gap: learned from the heartbeat, not from the 2.5 s
	 * of the first gap (that would make it 1500 ms / 4500 ms). */
	r = &s->rec[2];
	ck_assert_uint_eq(r->is_open_event, 1);
	ck_assert_uint_eq(r->seq, 2);
	ck_assert_int_eq(r->silent, SILENT_CLIENT);
	ck_assert_uint_eq(r->start_us, T0 + MS(12100));
	ck_assert_uint_eq(r->expected_interval_us, MS(500));
	ck_assert_uint_eq(r->threshold_us, MS(1500));
	check_detected(r);

	r = &s->rec[3];
	ck_assert_uint_eq(r->is_open_event, 0);
	ck_assert_uint_eq(r->seq, 2);
	ck_assert_int_eq(r->outcome, OUTCOME_OPEN_AT_EXIT);
	ck_assert_uint_eq(r->end_us, T0 + MS(15000));
	ck_assert_uint_eq(engine_open_gaps(s->e), 0);
	sim_free(s);
}
END_TEST

/*
 * Scenario 1, but the path heals: the client's data gets through again
 * at 7500 ms and the server, whose retransmissions are now acknowledged,
 * sends new data again from 7600 ms. The server's lack of new data from
 * 5100 ms was TCP backing off inside the client's gap, not a silence of
 * its own: exactly the client's gap is reported, nothing for the server.
 */
START_TEST(test_tcp_resume_no_server_gap)
{
	struct sim *s = sim_new();
	struct conv c;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	scenario_lost_client(s, &c);
	plan_every(s, &c, C_DATA, 20, 7500, 500, 10000);
	plan_every(s, &c, S_ACK, 0, 7520, 500, 10020);
	plan_every(s, &c, S_DATA, 30, 7600, 700, 10400);
	plan_every(s, &c, C_ACK, 0, 7620, 700, 10420);
	sim_run(s);

	ck_assert_int_ge(s->nrec, 2);
	check_s1_open(&s->rec[0], &c);
	ck_assert_int_eq(s->rec[1].outcome, OUTCOME_RESUMED);
	ck_assert_uint_eq(s->rec[1].end_us, T0 + MS(7500));
	ck_assert_int_eq(s->nrec, 2);
	sim_free(s);
}
END_TEST

/*
 * Both sides pause (client after 2000 ms, server after 2100 ms); the
 * server resumes first at 3900 ms, the client at 4000 ms. The server's
 * 1.8 s pause lies inside the client's gap: it is the outage, not a
 * heartbeat, and must not be learned as one. Later the server alone
 * pauses for 1.6 s (6100 -> 7700 ms): with its 200 ms heartbeat that is
 * a gap (threshold 1000 ms), and the record says 200 ms.
 */
START_TEST(test_udp_peer_interval_not_polluted)
{
	struct sim *s = sim_new();
	struct conv u;
	const struct gap_record *r;

	conv_init(&u, AF_INET, IPPROTO_UDP, 40000);
	plan_every(s, &u, U_C, 40, 0, 200, 2000);
	plan_every(s, &u, U_C, 40, 4000, 200, 12000);
	plan_every(s, &u, U_S, 60, 100, 200, 2100);
	plan_every(s, &u, U_S, 60, 3900, 200, 6100);
	plan_every(s, &u, U_S, 60, 7700, 200, 11900);
	sim_run(s);
	sim_finish(s, MS(12000));

	ck_assert_int_ge(s->nrec, 2);
	ck_assert_int_eq(s->rec[1].outcome, OUTCOME_RESUMED);
	ck_assert_uint_eq(s->rec[1].end_us, T0 + MS(4000));
	/* The server's own gap exists at all only if 200 ms was kept. */
	ck_assert_int_eq(s->nrec, 4);
	r = &s->rec[2];
	ck_assert_uint_eq(r->is_open_event, 1);
	ck_assert_int_eq(r->silent, SILENT_SERVER);
	ck_assert_uint_eq(r->start_us, T0 + MS(6100));
	ck_assert_uint_eq(r->expected_interval_us, MS(200));
	ck_assert_uint_eq(r->threshold_us, MS(1000));
	check_detected(r);
	r = &s->rec[3];
	ck_assert_int_eq(r->outcome, OUTCOME_RESUMED);
	ck_assert_uint_eq(r->end_us, T0 + MS(7700));
	sim_free(s);
}
END_TEST

/* The server's application stops while its TCP still ACKs the client. */
START_TEST(test_server_app_stall)
{
	struct sim *s = sim_new();
	struct conv c;
	const struct gap_record *r;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	tcp_base(s, &c, 9600, 4400, 4420);
	plan_every(s, &c, S_DATA, 30, 7000, 700, 9100);	/* back after 2.6 s */
	plan_every(s, &c, C_ACK, 0, 7020, 700, 9120);
	sim_run(s);
	sim_finish(s, MS(9700));

	ck_assert_int_eq(s->nrec, 2);
	r = &s->rec[0];
	ck_assert_uint_eq(r->is_open_event, 1);
	ck_assert_int_eq(r->silent, SILENT_SERVER);
	ck_assert_uint_eq(r->start_us, T0 + MS(4400));
	ck_assert_uint_eq(r->threshold_us, MS(2100));
	ck_assert_uint_eq(r->expected_interval_us, MS(700));
	check_detected(r);
	ck_assert_int_eq(r->cause, CAUSE_SERVER_APP_STALL);
	r = &s->rec[1];
	ck_assert_int_eq(r->outcome, OUTCOME_RESUMED);
	ck_assert_int_eq(r->silent, SILENT_SERVER);
	ck_assert_uint_eq(r->end_us, T0 + MS(7000));
	/* Server ACKs at 4620 ... 6620: five; client data 4600 ... 6600. */
	ck_assert_uint_eq(r->side[SIDE_SERVER].packets, 5);
	ck_assert_uint_eq(r->side[SIDE_CLIENT].packets, 6);
	ck_assert_int_eq(r->cause, CAUSE_SERVER_APP_STALL);
	sim_free(s);
}
END_TEST

/* UDP has no handshake: a datagram from a new client port is the
 * reconnect. */
START_TEST(test_udp_reconnect)
{
	struct sim *s = sim_new();
	struct conv u, u2;
	const struct gap_record *r;

	conv_init(&u, AF_INET, IPPROTO_UDP, 40000);
	conv_init(&u2, AF_INET, IPPROTO_UDP, 40001);
	plan_every(s, &u, U_C, 40, 0, 200, 2000);
	plan_every(s, &u, U_S, 60, 100, 200, 6000);
	plan(s, &u2, MS(3500), U_C, 40);
	sim_run(s);
	sim_finish(s, MS(6000));

	ck_assert_int_eq(s->nrec, 2);
	r = &s->rec[1];
	check_key(r, &u);
	ck_assert_int_eq(r->outcome, OUTCOME_RECONNECTED);
	ck_assert_uint_eq(r->reconnect_port, 40001);
	ck_assert_uint_eq(r->reconnect_delay_us, MS(1500));
	ck_assert_uint_eq(r->end_us, T0 + MS(3500));
	ck_assert_uint_eq(counters(s)[EC_RECONNECTS], 1);
	sim_free(s);
}
END_TEST

/*
 * Many players on one address (CGNAT): UDP flows from ports 41000.. that
 * heartbeat every 200 ms both ways; victim k falls silent at silent_ms[k]
 * and its client comes back from port 42000 + k after giveup_ms[k]. The
 * server keeps sending to every old port.
 */
#define SHARED_END	20000
static void shared_victims(struct sim *s, struct conv *old, struct conv *fresh,
			   int n, const uint64_t *silent_ms,
			   const uint64_t *giveup_ms)
{
	int k;

	for (k = 0; k < n; k++) {
		conv_init(&old[k], AF_INET, IPPROTO_UDP, (uint16_t)(41000 + k));
		conv_init(&fresh[k], AF_INET, IPPROTO_UDP, (uint16_t)(42000 + k));
		plan_every(s, &old[k], U_C, 40, (uint64_t)k * 10, 200, silent_ms[k]);
		plan_every(s, &old[k], U_S, 60, 100 + (uint64_t)k * 10, 200,
			   SHARED_END);
		plan_every(s, &fresh[k], U_C, 40, silent_ms[k] + giveup_ms[k], 200,
			   SHARED_END);
		plan_every(s, &fresh[k], U_S, 60,
			   silent_ms[k] + giveup_ms[k] + 100, 200, SHARED_END);
	}
}

/* The closing record of old port p, or NULL. */
static const struct gap_record *closed_of(const struct sim *s, uint16_t p)
{
	int k;

	for (k = 0; k < s->nrec; k++)
		if (!s->rec[k].is_open_event && s->rec[k].key.client_port == p)
			return &s->rec[k];
	return NULL;
}

/*
 * One player alone first (an unambiguous reconnect: the give-up delay,
 * 3 s, is learned), then three victims on the address within 0.4 s and
 * the same delay: each matched to its own new port by the delay; the
 * first two, 1 s apart from the next, with high confidence, and the
 * candidates counted. Before any delay is learned, the order of the
 * silences decides, said as a guess.
 */
START_TEST(test_shared_fixed_delay)
{
	struct sim *s = sim_new();
	struct conv old[4], fresh[4];
	static const uint64_t silent[4] = { 1000, 8000, 9000, 10000 };
	static const uint64_t giveup[4] = { 3000, 3000, 3000, 3000 };
	const struct gap_record *r;
	int k;

	shared_victims(s, old, fresh, 4, silent, giveup);
	sim_run(s);
	for (k = 0; k < 4; k++) {
		r = closed_of(s, (uint16_t)(41000 + k));
		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->outcome, OUTCOME_RECONNECTED);
		ck_assert_uint_eq(r->reconnect_port, 42000 + k);
	}
	r = closed_of(s, 41000);
	ck_assert_uint_eq(r->reconnect_candidates, 1);
	ck_assert_uint_eq(r->reconnect_method, RECONNECT_ONLY);
	ck_assert_uint_eq(r->reconnect_confidence, CONFIDENCE_FULL);
	r = closed_of(s, 41001);
	ck_assert_uint_eq(r->reconnect_candidates, 3);
	ck_assert_uint_eq(r->reconnect_method, RECONNECT_DELAY);
	ck_assert_uint_eq(r->reconnect_confidence, CONFIDENCE_HIGH);
	r = closed_of(s, 41002);
	ck_assert_uint_eq(r->reconnect_candidates, 2);
	ck_assert_uint_eq(r->reconnect_confidence, CONFIDENCE_HIGH);
	r = closed_of(s, 41003);
	ck_assert_uint_eq(r->reconnect_candidates, 1);
	ck_assert_uint_eq(r->reconnect_confidence, CONFIDENCE_FULL);
	sim_free(s);

	/* Nothing learned yet: the first silent is the first to give up. */
	s = sim_new();
	shared_victims(s, old, fresh, 3, silent + 1, giveup);
	sim_run(s);
	for (k = 0; k < 3; k++) {
		r = closed_of(s, (uint16_t)(41000 + k));
		ck_assert_ptr_nonnull(r);
		ck_assert_uint_eq(r->reconnect_port, 42000 + k);
	}
	r = closed_of(s, 41000);
	ck_assert_uint_eq(r->reconnect_method, RECONNECT_ORDER);
	ck_assert_uint_eq(r->reconnect_confidence, CONFIDENCE_LOW);
	ck_assert_uint_eq(r->reconnect_candidates, 3);
	sim_free(s);
}
END_TEST

/*
 * Varying give-up delays (3 s learned; then 3.5 s and 2 s): the second
 * victim comes back first, and the delay points at the first. The match
 * may be wrong, and it is never said to be sure.
 */
START_TEST(test_shared_varying_delay)
{
	struct sim *s = sim_new();
	struct conv old[3], fresh[3];
	static const uint64_t silent[3] = { 1000, 8000, 8500 };
	static const uint64_t giveup[3] = { 3000, 3500, 2000 };
	const struct gap_record *r;
	int k;

	shared_victims(s, old, fresh, 3, silent, giveup);
	sim_run(s);
	for (k = 1; k < 3; k++) {
		r = closed_of(s, (uint16_t)(41000 + k));
		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->outcome, OUTCOME_RECONNECTED);
		if (r->reconnect_port != 42000 + k)
			ck_assert_uint_lt(r->reconnect_confidence, CONFIDENCE_FULL);
	}
	/* The first decision (at 10.5 s, two candidates) is the guess. */
	r = closed_of(s, 41001);
	ck_assert_uint_eq(r->reconnect_candidates, 2);
	ck_assert_uint_eq(r->reconnect_confidence, CONFIDENCE_LOW);
	sim_free(s);
}
END_TEST

/* Two devices behind one address: a Windows client (TTL 128 - 14 hops)
 * and a Linux one (64 - 14); the new flow's TTL says whose it is. */
START_TEST(test_shared_fingerprint)
{
	struct sim *s = sim_new();
	struct conv old[2], fresh[2];
	static const uint64_t silent[2] = { 8000, 8100 };
	static const uint64_t giveup[2] = { 3000, 3000 };
	const struct gap_record *r;

	shared_victims(s, old, fresh, 2, silent, giveup);
	old[0].ttl = fresh[0].ttl = 114;
	old[1].ttl = fresh[1].ttl = 50;
	/* The Linux device comes back first. */
	shared_victims(s, old, fresh, 0, silent, giveup);
	sim_run(s);
	r = closed_of(s, 41000);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->reconnect_port, 42000);
	ck_assert_uint_eq(r->reconnect_method, RECONNECT_FINGERPRINT);
	ck_assert_uint_eq(r->reconnect_confidence, CONFIDENCE_FULL);
	r = closed_of(s, 41001);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->reconnect_port, 42001);
	sim_free(s);
}
END_TEST

/* A newcomer on a shared address while everyone there is talking: it
 * closes no one's gap. */
START_TEST(test_shared_newcomer)
{
	struct sim *s = sim_new();
	struct conv old[3], newcomer;
	int k;

	for (k = 0; k < 3; k++) {
		conv_init(&old[k], AF_INET, IPPROTO_UDP, (uint16_t)(41000 + k));
		plan_every(s, &old[k], U_C, 40, (uint64_t)k * 10, 200, 10000);
		plan_every(s, &old[k], U_S, 60, 100, 200, 10000);
	}
	conv_init(&newcomer, AF_INET, IPPROTO_UDP, 43000);
	plan_every(s, &newcomer, U_C, 40, 5000, 200, 10000);
	sim_run(s);
	ck_assert_int_eq(s->nrec, 0);
	ck_assert_uint_eq(counters(s)[EC_RECONNECTS], 0);
	sim_free(s);
}
END_TEST

/*
 * A client reuses the port of a connection that was reset: the old flow
 * makes room for the new one, and is accounted for like any flow that
 * goes (created = alive + expired + evicted).
 */
START_TEST(test_port_reuse_accounting)
{
	struct sim *s = sim_new();
	struct conv c, again;
	const uint64_t *ec = counters(s);

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	conv_init(&again, AF_INET, IPPROTO_TCP, 40000);
	again.cseq = 9000000;
	tcp_base(s, &c, 2100, 1600, 1620);
	plan(s, &c, MS(2200), C_RST, 0);
	plan(s, &again, MS(3000), C_SYN, 0);
	plan(s, &again, MS(3010), S_SYNACK, 0);
	sim_run(s);

	ck_assert_uint_eq(ec[EC_FLOWS_CREATED], 2);
	ck_assert_uint_eq(engine_flow_count(s->e), 1);
	check_flow_books(s);
	ck_assert_int_eq(s->nrec, 0);
	sim_free(s);
}
END_TEST

/* Scenario 1 ended at 7500 ms by a RST, a FIN, or nothing at all. */
enum { END_CLIENT_RST, END_SERVER_RST, END_CLIENT_FIN, END_SERVER_FIN };

START_TEST(test_tcp_gap_rst_fin)
{
	static const enum ev_kind how[] = { C_RST, S_RST, C_FIN, S_FIN };
	static const enum gap_outcome want[] = {
		OUTCOME_CLIENT_RST, OUTCOME_SERVER_RST, OUTCOME_FIN, OUTCOME_FIN,
	};
	struct sim *s = sim_new();
	struct conv c;
	const struct gap_record *r;
	const uint64_t *ec = counters(s);
	int side = _i == END_CLIENT_RST || _i == END_CLIENT_FIN ? SIDE_CLIENT :
								  SIDE_SERVER;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	scenario_lost_client(s, &c);
	plan(s, &c, MS(7500), how[_i], 0);
	sim_run(s);

	ck_assert_int_eq(s->nrec, 2);
	check_s1_open(&s->rec[0], &c);
	r = &s->rec[1];
	check_s1_closed(r, &c, &s->rec[0], 7500);
	ck_assert_int_eq(r->outcome, want[_i]);
	ck_assert_uint_eq(r->reconnect_port, 0);
	if (_i == END_CLIENT_RST || _i == END_SERVER_RST) {
		ck_assert_uint_eq(r->side[side].rst, 1);
		ck_assert_uint_eq(r->side[!side].rst, 0);
		ck_assert_uint_eq(r->side[0].fin | r->side[1].fin, 0);
	} else {
		ck_assert_uint_eq(r->side[side].fin, 1);
		ck_assert_uint_eq(r->side[!side].fin, 0);
		ck_assert_uint_eq(r->side[0].rst | r->side[1].rst, 0);
	}
	ck_assert_uint_eq(engine_open_gaps(s->e), 0);

	/*
	 * The silence that was just closed must not open again as a new
	 * gap (same start, next tick): after a FIN the flow is ending and
	 * the client's data is not coming back.
	 */
	sim_until(s, MS(7600));
	ck_assert_int_eq(s->nrec, 2);
	ck_assert_uint_eq(engine_open_gaps(s->e), 0);

	/* A reset flow lingers 10 s, then goes without another record. */
	sim_until(s, MS(30000));
	ck_assert_int_eq(s->nrec, 2);
	if (_i == END_CLIENT_RST || _i == END_SERVER_RST) {
		ck_assert_uint_eq(ec[EC_FLOWS_EXPIRED], 1);
		ck_assert_uint_eq(engine_flow_count(s->e), 0);
	}
	sim_finish(s, MS(30000));
	ck_assert_int_eq(s->nrec, 2);
	sim_free(s);
}
END_TEST

START_TEST(test_tcp_gap_expired)
{
	struct sim *s = malloc(sizeof(*s));
	struct conv c;
	const struct gap_record *r;

	ck_assert_ptr_nonnull(s);
	sim_config(s);
	s->cfg.flow_timeout_us = 10 * USEC_PER_SEC;
	sim_start(s);
	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	scenario_lost_client(s, &c);
	sim_run(s);
	sim_until(s, MS(17000));
	ck_assert_int_eq(s->nrec, 1);
	check_s1_open(&s->rec[0], &c);

	/* Last packet 7200 ms (a retransmit) + 10 s. */
	sim_until(s, MS(18000));
	ck_assert_int_eq(s->nrec, 2);
	r = &s->rec[1];
	ck_assert_int_eq(r->outcome, OUTCOME_EXPIRED);
	ck_assert_uint_eq(r->is_open_event, 0);
	ck_assert_uint_ge(r->end_us, T0 + MS(17200));
	ck_assert_uint_le(r->end_us, T0 + MS(17200) + LATE_MAX_US);
	ck_assert_uint_eq(r->start_us, T0 + MS(S1_CLIENT_LAST));
	ck_assert_uint_eq(r->side[SIDE_SERVER].retransmits, 3);
	ck_assert_uint_eq(counters(s)[EC_FLOWS_EXPIRED], 1);
	ck_assert_uint_eq(engine_flow_count(s->e), 0);
	ck_assert_uint_eq(engine_open_gaps(s->e), 0);
	sim_finish(s, MS(20000));
	ck_assert_int_eq(s->nrec, 2);
	sim_free(s);
}
END_TEST

START_TEST(test_tcp_gap_open_at_exit)
{
	struct sim *s = sim_new();
	struct conv c;
	const struct gap_record *r;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	scenario_lost_client(s, &c);
	sim_run(s);
	ck_assert_int_eq(s->nrec, 1);
	ck_assert_uint_eq(engine_open_gaps(s->e), 1);
	sim_finish(s, MS(7500));
	ck_assert_int_eq(s->nrec, 2);
	r = &s->rec[1];
	check_s1_closed(r, &c, &s->rec[0], 7500);
	ck_assert_int_eq(r->outcome, OUTCOME_OPEN_AT_EXIT);
	ck_assert_uint_eq(engine_open_gaps(s->e), 0);
	/* A second finish has nothing left to report. */
	sim_finish(s, MS(7600));
	ck_assert_int_eq(s->nrec, 2);
	sim_free(s);
}
END_TEST

START_TEST(test_udp_gap_resumed)
{
	struct sim *s = sim_new();
	struct conv u;
	const struct gap_record *r;

	conv_init(&u, AF_INET, IPPROTO_UDP, 40000);
	/* Client every 200 ms, pausing from 2000 to 4000; the server
	 * every 200 ms throughout, 100 ms out of phase. */
	plan_every(s, &u, U_C, 40, 0, 200, 2000);
	plan_every(s, &u, U_C, 40, 4000, 200, 8000);
	plan_every(s, &u, U_S, 60, 100, 200, 7900);
	sim_run(s);
	sim_finish(s, MS(8000));

	ck_assert_int_eq(s->nrec, 2);
	r = &s->rec[0];
	ck_assert_uint_eq(r->is_open_event, 1);
	check_key(r, &u);
	ck_assert_int_eq(r->silent, SILENT_CLIENT);
	ck_assert_uint_eq(r->start_us, T0 + MS(2000));
	ck_assert_uint_eq(r->expected_interval_us, MS(200));
	ck_assert_uint_eq(r->threshold_us, MS(1000));	/* gap_min > 3 x 200 */
	check_detected(r);
	r = &s->rec[1];
	ck_assert_uint_eq(r->is_open_event, 0);
	ck_assert_int_eq(r->outcome, OUTCOME_RESUMED);
	ck_assert_int_eq(r->silent, SILENT_CLIENT);
	ck_assert_uint_eq(r->start_us, T0 + MS(2000));
	ck_assert_uint_eq(r->end_us, T0 + MS(4000));
	ck_assert_uint_eq(r->side[SIDE_CLIENT].packets, 0);
	ck_assert_uint_eq(r->side[SIDE_SERVER].packets, 10);	/* 2100..3900 */
	/* UDP: the server kept sending into the client's silence. */
	ck_assert_int_eq(r->cause, CAUSE_PATH_LOSS_TO_SERVER);
	ck_assert_uint_eq(counters(s)[EC_GAPS_OPENED], 1);
	sim_free(s);
}
END_TEST

/*
 * Both directions pause for 2 s, as a path outage does. The sides send
 * 100 ms apart, so the server's last datagram (2100 ms) follows the
 * client's (2000 ms); both then stay quiet for far longer than their
 * thresholds. The closed record must say "both".
 */
START_TEST(test_udp_both_silent)
{
	struct sim *s = sim_new();
	struct conv u;
	const struct gap_record *r;

	conv_init(&u, AF_INET, IPPROTO_UDP, 40000);
	plan_every(s, &u, U_C, 40, 0, 200, 2000);
	plan_every(s, &u, U_S, 60, 100, 200, 2100);
	plan_every(s, &u, U_C, 40, 4000, 200, 8000);
	plan_every(s, &u, U_S, 60, 4100, 200, 7900);
	sim_run(s);
	sim_finish(s, MS(8000));

	ck_assert_int_ge(s->nrec, 2);
	r = &s->rec[0];
	ck_assert_uint_eq(r->is_open_event, 1);
	ck_assert_uint_eq(r->start_us, T0 + MS(2000));
	r = &s->rec[1];
	ck_assert_int_eq(r->outcome, OUTCOME_RESUMED);
	ck_assert_uint_eq(r->end_us, T0 + MS(4000));
	ck_assert_int_eq(r->silent, SILENT_BOTH);
	/* One outage, one gap: no second record for the server's side. */
	ck_assert_int_eq(s->nrec, 2);
	sim_free(s);
}
END_TEST

/* The same outage where the server's last datagram came first. */
START_TEST(test_udp_both_silent_server_first)
{
	struct sim *s = sim_new();
	struct conv u;
	const struct gap_record *r;

	conv_init(&u, AF_INET, IPPROTO_UDP, 40000);
	/* Same times, the server's datagram just before the client's. */
	plan_every(s, &u, U_S, 60, 0, 200, 2000);
	plan_every(s, &u, U_C, 40, 0, 200, 2000);
	plan_every(s, &u, U_C, 40, 4000, 200, 8000);
	plan_every(s, &u, U_S, 60, 4100, 200, 7900);
	sim_run(s);
	sim_finish(s, MS(8000));

	ck_assert_int_ge(s->nrec, 2);
	r = &s->rec[0];
	ck_assert_uint_eq(r->is_open_event, 1);
	ck_assert_int_eq(r->silent, SILENT_BOTH);
	ck_assert_uint_eq(r->start_us, T0 + MS(2000));
	ck_assert_uint_eq(r->side[SIDE_SERVER].packets, 0);
	r = &s->rec[1];
	ck_assert_int_eq(r->outcome, OUTCOME_RESUMED);
	ck_assert_int_eq(r->silent, SILENT_BOTH);
	ck_assert_int_eq(r->cause, CAUSE_UNKNOWN);
	/*
	 * The server's side of the same outage (overdue since 3000 ms)
	 * must not come back as a second gap once the client's closes:
	 * it would be detected a second late and describe the same
	 * silence twice.
	 */
	ck_assert_int_eq(s->nrec, 2);
	sim_free(s);
}
END_TEST

/* xorshift32: the same jitter on every run. */
static uint32_t rnd(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* Events of one kind at period +-10 %, from first_us up to end_us. */
static void plan_jitter(struct sim *s, struct conv *c, enum ev_kind k,
			uint32_t len, uint64_t first_us, uint64_t period_us,
			uint64_t end_us, uint64_t ack_after_us, enum ev_kind ack,
			uint32_t *rs)
{
	uint64_t t = first_us, span = period_us / 5;

	while (t <= end_us) {
		plan(s, c, t, k, len);
		if (ack_after_us)
			plan(s, c, t + ack_after_us, ack, 0);
		t += period_us - period_us / 10 + rnd(rs) % (span + 1);
	}
}

START_TEST(test_healthy_flows)
{
	struct sim *s = sim_new();
	struct conv c, u, c6;
	uint32_t rs = 0x9e3779b9;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	conv_init(&u, AF_INET, IPPROTO_UDP, 40100);
	conv_init(&c6, AF_INET6, IPPROTO_TCP, 40200);
	plan(s, &c, MS(0), C_SYN, 0);
	plan(s, &c, MS(10), S_SYNACK, 0);
	plan(s, &c, MS(20), C_ACK, 0);
	plan_jitter(s, &c, C_DATA, 20, MS(100), MS(500), MS(59900), MS(20),
		    S_ACK, &rs);
	plan_jitter(s, &c, S_DATA, 30, MS(200), MS(700), MS(59900), MS(20),
		    C_ACK, &rs);
	plan_jitter(s, &u, U_C, 40, MS(5), MS(200), MS(59900), 0, U_C, &rs);
	plan_jitter(s, &u, U_S, 60, MS(105), MS(200), MS(59900), 0, U_S, &rs);
	plan(s, &c6, MS(1), C_SYN, 0);
	plan(s, &c6, MS(11), S_SYNACK, 0);
	plan(s, &c6, MS(21), C_ACK, 0);
	plan_jitter(s, &c6, C_DATA, 20, MS(50), MS(50), MS(59900), MS(5),
		    S_ACK, &rs);
	plan_jitter(s, &c6, S_DATA, 100, MS(60), MS(33), MS(59900), MS(5),
		    C_ACK, &rs);
	sim_run(s);
	sim_finish(s, MS(60000));

	ck_assert_int_eq(s->nrec, 0);
	ck_assert_uint_eq(counters(s)[EC_GAPS_OPENED], 0);
	ck_assert_uint_eq(counters(s)[EC_FLOWS_CREATED], 3);
	ck_assert_uint_eq(counters(s)[EC_RETRANSMITS], 0);
	ck_assert_uint_eq(engine_flow_count(s->e), 3);
	sim_free(s);
}
END_TEST

START_TEST(test_unlearned_side)
{
	struct sim *s = sim_new();
	struct conv a, b;
	int k;

	conv_init(&a, AF_INET, IPPROTO_UDP, 40000);
	conv_init(&b, AF_INET, IPPROTO_UDP, 40000);
	b.client = "198.18.0.9";
	/* a: ENGINE_LEARN_SAMPLES datagrams, one interval short of
	 * learning. b: one more, and it learns. Both servers go on. */
	plan_every(s, &a, U_C, 40, 0, 200, 200 * (ENGINE_LEARN_SAMPLES - 1));
	plan_every(s, &b, U_C, 40, 0, 200, 200 * ENGINE_LEARN_SAMPLES);
	plan_every(s, &a, U_S, 60, 100, 200, 9900);
	plan_every(s, &b, U_S, 60, 100, 200, 9900);
	sim_run(s);
	sim_finish(s, MS(10000));

	ck_assert_int_eq(s->nrec, 2);
	for (k = 0; k < s->nrec; k++)
		check_key(&s->rec[k], &b);
	ck_assert_uint_eq(s->rec[0].is_open_event, 1);
	ck_assert_uint_eq(s->rec[0].start_us, T0 + MS(200 * ENGINE_LEARN_SAMPLES));
	ck_assert_int_eq(s->rec[1].outcome, OUTCOME_OPEN_AT_EXIT);
	sim_free(s);
}
END_TEST

START_TEST(test_client_app_stall)
{
	struct sim *s = sim_new();
	struct conv c;
	const struct gap_record *r;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	/* After 4600 the client only ACKs the server's data (5120, 5820,
	 * 6520) until it sends data again at 7100. */
	tcp_base(s, &c, S1_CLIENT_LAST, 7200, 6520);
	plan(s, &c, MS(7100), C_DATA, 20);
	plan(s, &c, MS(7120), S_ACK, 0);
	sim_run(s);

	ck_assert_int_eq(s->nrec, 2);
	r = &s->rec[0];
	ck_assert_uint_eq(r->is_open_event, 1);
	ck_assert_int_eq(r->silent, SILENT_CLIENT);
	ck_assert_uint_eq(r->start_us, T0 + MS(S1_CLIENT_LAST));
	check_detected(r);
	ck_assert_uint_eq(r->side[SIDE_CLIENT].packets, 2);
	ck_assert_uint_eq(r->side[SIDE_CLIENT].retransmits, 0);
	ck_assert_int_eq(r->cause, CAUSE_CLIENT_APP_STALL);
	r = &s->rec[1];
	ck_assert_int_eq(r->outcome, OUTCOME_RESUMED);
	ck_assert_uint_eq(r->end_us, T0 + MS(7100));
	ck_assert_uint_eq(r->side[SIDE_CLIENT].packets, 3);
	ck_assert_uint_eq(r->side[SIDE_SERVER].packets, 4);
	ck_assert_uint_eq(r->side[SIDE_CLIENT].bytes_in_flight, 0);
	ck_assert_int_eq(r->cause, CAUSE_CLIENT_APP_STALL);
	ck_assert_ptr_nonnull(strstr(r->evidence, "client"));
	sim_free(s);
}
END_TEST

/*
 * The inspector's queue_dropped, sampled every second: 5, then 10 from
 * 3 s (before the gap: not its business), then 17 from 5 s (inside the
 * gap window that starts at 4.6 s).
 */
static void plan_inspector(struct sim *s, uint64_t rise_ms)
{
	uint64_t t;

	for (t = 0; t <= 9000; t += 1000)
		plan(s, NULL, MS(t), INSPECT,
		     t < 3000 ? 5 : t < rise_ms ? 10 : 17);
}

START_TEST(test_inspector_loss)
{
	struct sim *s = sim_new();
	struct conv c;
	int k;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	s->ic.user_dropped = 4;		/* constant: no delta */
	tcp_base(s, &c, S1_CLIENT_LAST, 9300, 4420);
	plan_every(s, &c, C_DATA, 20, 7100, 500, 9100);
	plan_inspector(s, 5000);
	sim_run(s);

	ck_assert_int_eq(s->nrec, 2);
	for (k = 0; k < 2; k++) {
		const struct gap_record *r = &s->rec[k];

		ck_assert_uint_eq(r->start_us, T0 + MS(S1_CLIENT_LAST));
		ck_assert_int_eq(r->cause, CAUSE_INSPECTOR_LOSS);
		ck_assert_uint_eq(r->inspector.queue_dropped, 7);
		ck_assert_uint_eq(r->inspector.user_dropped, 0);
		ck_assert_uint_eq(r->inspector.enobufs, 0);
		ck_assert_uint_eq(r->inspector.truncated, 0);
		ck_assert_ptr_nonnull(strstr(r->evidence, "queue_dropped 7"));
	}
	ck_assert_int_eq(s->rec[1].outcome, OUTCOME_RESUMED);
	sim_free(s);
}
END_TEST

/*
 * The blind intervals of that run, in wall time: the kernel's drops grew
 * between the readings at 2 s and 3 s, and again between 4 s and 5 s.
 */
START_TEST(test_blind_intervals)
{
	struct sim *s = sim_new();
	struct conv c;
	const uint64_t *ec;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	tcp_base(s, &c, S1_CLIENT_LAST, 9300, 4420);
	plan_every(s, &c, C_DATA, 20, 7100, 500, 9100);
	plan_inspector(s, 5000);
	sim_run(s);
	ec = counters(s);

	ck_assert_int_eq(s->nblind, 2);
	ck_assert_uint_eq(s->blind[0].start_us, T0 + MS(2000) + s->wall_off);
	ck_assert_uint_eq(s->blind[0].end_us, T0 + MS(3000) + s->wall_off);
	ck_assert_uint_eq(s->blind[0].missed, 5);
	ck_assert_int_eq(s->blind[0].reason, BLIND_QUEUE_FULL);
	ck_assert_uint_eq(s->blind[1].start_us, T0 + MS(4000) + s->wall_off);
	ck_assert_uint_eq(s->blind[1].missed, 7);
	ck_assert_uint_eq(ec[EC_BLIND_INTERVALS], 2);
	ck_assert_uint_eq(ec[EC_BLIND_MISSED], 12);
	ck_assert_uint_eq(ec[EC_BLIND_MS], 2000);
	/* The gap began at 4.6 s, inside the second: blind from its start. */
	ck_assert_uint_eq(s->rec[1].blind_from_us,
			  T0 + MS(S1_CLIENT_LAST) + s->wall_off);
	sim_free(s);
}
END_TEST

static void collect_exposure(void *ctx, const struct exposure *x,
			     uint64_t end_us)
{
	struct sim *s = ctx;

	ck_assert_int_lt(s->nexposure, 4);
	s->exposure[s->nexposure] = exposure_snapshot(x, end_us);
	ck_assert_ptr_nonnull(s->exposure[s->nexposure]);
	exposure_batch_sort(s->exposure[s->nexposure]);
	s->exposure_end[s->nexposure++] = end_us;
}

/*
 * Exposure over 10 s intervals: a flow's time counts up to its last
 * packet, in the interval it falls in, and the flow once, in the
 * interval it began in; two clients of one /24 are one prefix, an IPv6
 * client another; an interval without players writes nothing.
 */
START_TEST(test_exposure_intervals)
{
	struct sim *s = malloc(sizeof(*s));
	struct conv a, b, c;
	const struct exposure_batch *x;

	ck_assert_ptr_nonnull(s);
	sim_config(s);
	s->cfg.exposure_interval_us = 10 * USEC_PER_SEC;
	s->cfg.exposure_cb = collect_exposure;
	s->cfg.flow_timeout_us = 5 * USEC_PER_SEC;
	sim_start(s);
	conv_init(&a, AF_INET, IPPROTO_UDP, 40000);
	conv_init(&b, AF_INET, IPPROTO_UDP, 40001);
	b.client = "198.18.0.77";
	conv_init(&c, AF_INET6, IPPROTO_UDP, 40002);
	/* a: 2 s .. 14 s, across the first end; b: 4 s .. 6 s; c: 3 s .. 5 s */
	plan_every(s, &a, U_C, 40, 2000, 500, 14000);
	plan_every(s, &b, U_C, 40, 4000, 500, 6000);
	plan_every(s, &c, U_C, 40, 3000, 500, 5000);
	sim_run(s);
	sim_finish(s, MS(40000));

	/* [0, 10 s), [10 s, 20 s); then nobody: no third record. */
	ck_assert_int_eq(s->nexposure, 2);
	x = s->exposure[0];
	ck_assert_uint_eq(x->start_us, T0 + s->wall_off);
	ck_assert_uint_eq(s->exposure_end[0], T0 + MS(10000) + s->wall_off);
	ck_assert_uint_eq(x->flows, 3);
	ck_assert_uint_eq(x->n, 2);
	/* 198.18.0.0/24: a's 7.5 s (2 .. 9.5) and b's 2 s */
	ck_assert_uint_eq(x->entries[0].flow_us, MS(9500));
	ck_assert_uint_eq(x->entries[0].flows, 2);
	ck_assert_uint_eq(x->entries[0].key, exposure_key(&(struct in6_addr){
		.s6_addr = { [10] = 0xff, [11] = 0xff, 198, 18, 0, 9 } }));
	ck_assert_uint_eq(x->entries[1].flow_us, MS(2000));
	ck_assert_uint_eq(x->flow_us, MS(11500));
	x = s->exposure[1];
	ck_assert_uint_eq(x->start_us, T0 + MS(10000) + s->wall_off);
	/* a's 10 s .. 14 s, and no new flow */
	ck_assert_uint_eq(x->n, 1);
	ck_assert_uint_eq(x->flows, 0);
	ck_assert_uint_eq(x->entries[0].flow_us, MS(4000));
	sim_free(s);
}
END_TEST

/* Readings every 200 ms; the kernel's drops grow by 12 at rise_ms. */
static void plan_blind_at(struct sim *s, uint64_t rise_ms)
{
	uint64_t t;

	for (t = 0; t <= 9000; t += 200)
		plan(s, NULL, MS(t), INSPECT, t < rise_ms ? 5 : 17);
}

/*
 * The client falls silent at 4.6 s; the threshold (1.5 s) passes at
 * 6.1 s. Blind from 6.6 s: the silence was a gap before, it keeps the
 * cause its packets show and says it was partly blind. Blind from 5.4 s:
 * the silence may be gapwatchd's own, and is.
 */
START_TEST(test_partly_blind_gap)
{
	struct sim *s = sim_new();
	struct conv c;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	tcp_base(s, &c, S1_CLIENT_LAST, 9300, 4420);
	plan_every(s, &c, C_DATA, 20, 7100, 500, 9100);
	plan_blind_at(s, 6800);
	sim_run(s);
	ck_assert_int_eq(s->nrec, 2);
	ck_assert_int_eq(s->rec[0].is_open_event, 1);
	ck_assert_uint_eq(s->rec[0].blind_from_us, 0);
	ck_assert_int_eq(s->rec[0].cause, CAUSE_UNKNOWN);
	ck_assert_int_eq(s->rec[1].cause, CAUSE_UNKNOWN);
	ck_assert_int_eq(s->rec[1].partly_blind, 1);
	ck_assert_uint_eq(s->rec[1].inspector.queue_dropped, 12);
	ck_assert_uint_eq(s->rec[1].blind_from_us,
			  T0 + MS(6600) + s->wall_off);
	ck_assert_ptr_nonnull(strstr(s->rec[1].evidence,
				     "the window was partly blind"));
	sim_free(s);

	s = sim_new();
	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	tcp_base(s, &c, S1_CLIENT_LAST, 9300, 4420);
	plan_every(s, &c, C_DATA, 20, 7100, 500, 9100);
	plan_blind_at(s, 5600);
	sim_run(s);
	ck_assert_int_eq(s->nrec, 2);
	ck_assert_int_eq(s->rec[0].cause, CAUSE_INSPECTOR_LOSS);
	ck_assert_int_eq(s->rec[1].cause, CAUSE_INSPECTOR_LOSS);
	ck_assert_int_eq(s->rec[1].partly_blind, 0);
	ck_assert_uint_eq(s->rec[1].blind_from_us,
			  T0 + MS(5400) + s->wall_off);
	sim_free(s);
}
END_TEST

/* Drops that all happened before the gap window do not count. */
START_TEST(test_inspector_loss_before_window)
{
	struct sim *s = sim_new();
	struct conv c;

	conv_init(&c, AF_INET, IPPROTO_TCP, 40000);
	tcp_base(s, &c, S1_CLIENT_LAST, 9300, 4420);
	plan_every(s, &c, C_DATA, 20, 7100, 500, 9100);
	plan_inspector(s, 100000);
	sim_run(s);

	ck_assert_int_eq(s->nrec, 2);
	ck_assert_uint_eq(s->rec[1].inspector.queue_dropped, 0);
	ck_assert_int_eq(s->rec[1].cause, CAUSE_UNKNOWN);
	sim_free(s);
}
END_TEST

START_TEST(test_eviction_with_gap)
{
	struct sim *s = malloc(sizeof(*s));
	struct conv u[17];
	char names[17][32];
	const struct gap_record *r;
	const uint64_t *ec;
	int k;

	ck_assert_ptr_nonnull(s);
	sim_config(s);
	s->cfg.max_flows = 16;
	sim_start(s);
	ec = counters(s);
	for (k = 0; k < 17; k++) {
		conv_init(&u[k], AF_INET, IPPROTO_UDP, 40000);
		snprintf(names[k], sizeof(names[k]), "198.18.1.%d", k + 1);
		u[k].client = names[k];
	}
	/* Flow 0 learns 200 ms and falls silent at 1000 ms: a gap from
	 * 2000 ms. Flows 1..15 arrive at 3000 ms and later; flow 16 is
	 * one too many. */
	plan_every(s, &u[0], U_C, 40, 0, 200, 1000);
	for (k = 1; k < 17; k++)
		plan(s, &u[k], MS(3000 + 10 * k), U_C, 40);
	sim_run(s);

	ck_assert_uint_eq(ec[EC_FLOWS_CREATED], 17);
	ck_assert_uint_eq(ec[EC_FLOWS_EVICTED], 1);
	ck_assert_uint_eq(engine_flow_count(s->e), 16);
	ck_assert_int_eq(s->nrec, 2);
	r = &s->rec[0];
	check_key(r, &u[0]);
	ck_assert_uint_eq(r->is_open_event, 1);
	ck_assert_int_eq(r->silent, SILENT_BOTH);
	r = &s->rec[1];
	check_key(r, &u[0]);
	ck_assert_int_eq(r->outcome, OUTCOME_EVICTED);
	ck_assert_uint_eq(r->end_us, T0 + MS(3160));
	ck_assert_uint_eq(engine_open_gaps(s->e), 0);
	sim_finish(s, MS(4000));
	ck_assert_int_eq(s->nrec, 2);
	sim_free(s);
}
END_TEST

START_TEST(test_eviction_lru)
{
	struct sim *s = malloc(sizeof(*s));
	struct conv u[17];
	char names[17][32];
	const uint64_t *ec;
	int k;

	ck_assert_ptr_nonnull(s);
	sim_config(s);
	s->cfg.max_flows = 16;
	sim_start(s);
	ec = counters(s);
	for (k = 0; k < 17; k++) {
		conv_init(&u[k], AF_INET, IPPROTO_UDP, 40000);
		snprintf(names[k], sizeof(names[k]), "198.18.1.%d", k + 1);
		u[k].client = names[k];
	}
	for (k = 0; k < 16; k++)
		plan(s, &u[k], MS(10 * k), U_C, 40);
	plan(s, &u[0], MS(200), U_S, 40);	/* flow 0 is used again */
	plan(s, &u[16], MS(300), U_C, 40);	/* evicts flow 1 */
	sim_run(s);
	ck_assert_uint_eq(ec[EC_FLOWS_CREATED], 17);
	ck_assert_uint_eq(ec[EC_FLOWS_EVICTED], 1);

	plan(s, &u[0], MS(400), U_C, 40);	/* still there */
	sim_run(s);
	ck_assert_uint_eq(ec[EC_FLOWS_CREATED], 17);
	plan(s, &u[1], MS(500), U_C, 40);	/* gone: created again */
	sim_run(s);
	ck_assert_uint_eq(ec[EC_FLOWS_CREATED], 18);
	ck_assert_uint_eq(ec[EC_FLOWS_EVICTED], 2);
	ck_assert_uint_eq(engine_flow_count(s->e), 16);
	check_flow_books(s);
	ck_assert_int_eq(s->nrec, 0);
	sim_free(s);
}
END_TEST

START_TEST(test_unmatched_and_garbage)
{
	struct sim *s = sim_new();
	const uint64_t *ec = counters(s);
	struct pktspec p = {
		.family = AF_INET, .proto = IPPROTO_UDP,
		.src = "198.18.0.1", .dst = "198.18.2.2",
		.sport = 40000, .dport = 9999, .payload_len = 40,
	};
	uint8_t buf[PKTMAX], junk[64];
	struct gw_time g = gwt(s, T0 + MS(5));
	size_t n;

	n = pktbuild(buf, sizeof(buf), &p);
	ck_assert_uint_gt(n, 0);
	engine_packet(s->e, buf, n, n, &g);		/* no server port */
	p.proto = IPPROTO_TCP;
	p.dport = 80;
	p.tcp_flags = PKT_TCP_SYN;
	n = pktbuild(buf, sizeof(buf), &p);
	engine_packet(s->e, buf, n, n, &g);
	ck_assert_uint_eq(ec[EC_UNMATCHED], 2);

	memset(junk, 0xff, sizeof(junk));		/* version 15 */
	engine_packet(s->e, junk, sizeof(junk), sizeof(junk), &g);
	ck_assert_uint_eq(ec[EC_PARSE_MALFORMED], 1);
	p.proto = IPPROTO_UDP;
	p.dport = 7781;
	n = pktbuild(buf, sizeof(buf), &p);
	engine_packet(s->e, buf, 10, n, &g);		/* cut short */
	engine_packet(s->e, buf, 0, n, &g);
	ck_assert_uint_eq(ec[EC_PARSE_TRUNCATED], 2);
	buf[9] = IPPROTO_ICMP;
	engine_packet(s->e, buf, n, n, &g);
	ck_assert_uint_eq(ec[EC_PARSE_NOT_TCP_UDP], 1);

	ck_assert_uint_eq(ec[EC_PACKETS], 6);
	ck_assert_uint_eq(ec[EC_FLOWS_CREATED], 0);
	ck_assert_uint_eq(engine_flow_count(s->e), 0);
	ck_assert_int_eq(s->nrec, 0);
	sim_free(s);
}
END_TEST

START_TEST(test_engine_new_bad_config)
{
	struct sim *s = malloc(sizeof(*s));
	struct gw_time t = { T0, T0, 0 };

	ck_assert_ptr_nonnull(s);
	sim_config(s);
	s->cfg.max_flows = 0;
	ck_assert_ptr_null(engine_new(&s->cfg, collect, s, &t));
	sim_config(s);
	s->cfg.ports = NULL;
	ck_assert_ptr_null(engine_new(&s->cfg, collect, s, &t));
	sim_config(s);
	ck_assert_ptr_null(engine_new(&s->cfg, NULL, s, &t));
	engine_free(NULL);
	free(s);
}
END_TEST

static Suite *gap_suite(void)
{
	Suite *s = suite_create("gap");
	TCase *tc;

	tc = tcase_create("tcp");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_tcp_gap_reconnect, 0, 2);
	tcase_add_test(tc, test_tcp_early_reconnect);
	tcase_add_test(tc, test_wall_clock_in_records);
	tcase_add_test(tc, test_wall_clock_step_and_blip);
	tcase_add_test(tc, test_tcp_parallel_connection);
	tcase_add_test(tc, test_tcp_gap_resumed);
	tcase_add_test(tc, test_tcp_resume_no_server_gap);
	tcase_add_loop_test(tc, test_tcp_gap_rst_fin, END_CLIENT_RST,
			    END_SERVER_FIN + 1);
	tcase_add_test(tc, test_tcp_gap_expired);
	tcase_add_test(tc, test_tcp_gap_open_at_exit);
	tcase_add_test(tc, test_client_app_stall);
	tcase_add_test(tc, test_server_app_stall);
	tcase_add_test(tc, test_port_reuse_accounting);
	tcase_add_test(tc, test_inspector_loss);
	tcase_add_test(tc, test_blind_intervals);
	tcase_add_test(tc, test_partly_blind_gap);
	tcase_add_test(tc, test_inspector_loss_before_window);
	suite_add_tcase(s, tc);

	tc = tcase_create("udp");
	tcase_add_test(tc, test_udp_gap_resumed);
	tcase_add_test(tc, test_udp_both_silent);
	tcase_add_test(tc, test_udp_both_silent_server_first);
	tcase_add_test(tc, test_udp_peer_interval_not_polluted);
	tcase_add_test(tc, test_unlearned_side);
	tcase_add_test(tc, test_udp_reconnect);
	tcase_add_test(tc, test_shared_fixed_delay);
	tcase_add_test(tc, test_shared_varying_delay);
	tcase_add_test(tc, test_shared_fingerprint);
	tcase_add_test(tc, test_shared_newcomer);
	tcase_add_test(tc, test_tcp_reconnect_before_gap);
	suite_add_tcase(s, tc);

	tc = tcase_create("table");
	tcase_add_test(tc, test_eviction_with_gap);
	tcase_add_test(tc, test_eviction_lru);
	tcase_add_test(tc, test_unmatched_and_garbage);
	tcase_add_test(tc, test_engine_new_bad_config);
	tcase_add_test(tc, test_exposure_intervals);
	suite_add_tcase(s, tc);

	tc = tcase_create("healthy");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_healthy_flows);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gap_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
