/*
 * test_probe.c - the hop locator without a network: probes as built
 * (checked against an independent checksum and the engine's own parser),
 * ICMP/ICMPv6 quotes parsed and matched to a ladder, quotes of packets we
 * did not send and truncated quotes ignored and counted, a ladder's
 * result and verdict, and which gaps call for a ladder.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "engine.h"
#include "packet.h"
#include "probe.h"

static struct in6_addr a4(const char *s)
{
	struct in6_addr a;
	char buf[64];

	snprintf(buf, sizeof(buf), "::ffff:%s", s);
	ck_assert_int_eq(inet_pton(AF_INET6, buf, &a), 1);
	return a;
}

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* RFC 1071, written again here on purpose: 32-bit words, no folding
 * until the end. */
static uint16_t ref_sum(const uint8_t *p, size_t n, uint64_t acc)
{
	size_t k;

	for (k = 0; k + 1 < n; k += 2)
		acc += (uint64_t)((p[k] << 8) | p[k + 1]);
	if (n & 1)
		acc += (uint64_t)p[n - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* The transport checksum is right when the sum over pseudo-header and
 * segment is 0xffff. */
static int l4_ok4(const uint8_t *ip, size_t total)
{
	uint8_t ph[12];
	size_t l4len = total - 20;

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = ip[9];
	ph[10] = (uint8_t)(l4len >> 8);
	ph[11] = (uint8_t)l4len;
	return ref_sum(ip + 20, l4len, ref_sum(ph, 12, 0)) == 0xffff;
}

static int l4_ok6(const uint8_t *ip, size_t total)
{
	uint8_t ph[40];
	size_t l4len = total - 40;

	memset(ph, 0, sizeof(ph));
	memcpy(ph, ip + 8, 32);
	ph[34] = (uint8_t)(l4len >> 8);
	ph[35] = (uint8_t)l4len;
	ph[39] = ip[6];
	return ref_sum(ip + 40, l4len, ref_sum(ph, 40, 0)) == 0xffff;
}

static void tcp_spec(struct probe_spec *s, int v6)
{
	memset(s, 0, sizeof(*s));
	s->src = v6 ? a6("2001:db8:4::2") : a4("198.18.4.2");
	s->dst = v6 ? a6("2001:db8:1::2") : a4("198.18.1.2");
	s->sport = 7781;
	s->dport = 40000;
	s->proto = IPPROTO_TCP;
	s->ttl = 3;
	s->ladder = LADDER_FLOW;
	s->seq = 0xdeadbeef;
	s->ack = 0x01020304;
	s->window = 501;
}

START_TEST(test_build_tcp4)
{
	struct probe_spec s;
	struct packet pkt;
	uint8_t buf[128];
	size_t n;

	tcp_spec(&s, 0);
	n = probe_build(&s, buf, sizeof(buf));
	ck_assert_uint_eq(n, 40);
	ck_assert_uint_eq(ref_sum(buf, 20, 0), 0xffff);	/* IP header */
	ck_assert(l4_ok4(buf, n));
	ck_assert_uint_eq((buf[4] << 8) | buf[5], 0x4703);	/* IP ID */
	ck_assert_uint_eq((buf[4] << 8) | buf[5], probe_ip_id(LADDER_FLOW, 3));
	ck_assert_int_eq(parse_packet(buf, n, n, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.ttl, 3);
	ck_assert_uint_eq(pkt.seq, 0xdeadbeef);
	ck_assert_uint_eq(pkt.ack, 0x01020304);
	ck_assert_uint_eq(pkt.window, 501);
	ck_assert_uint_eq(pkt.sport, 7781);
	ck_assert_uint_eq(pkt.dport, 40000);
	ck_assert_uint_eq(pkt.payload_len, 0);
	ck_assert_uint_eq(pkt.tcp_flags, PKT_TCP_ACK);
	ck_assert(!memcmp(&pkt.src, &s.src, 16));
	ck_assert(!memcmp(&pkt.dst, &s.dst, 16));
	/* Too small a buffer: nothing. */
	ck_assert_uint_eq(probe_build(&s, buf, 39), 0);
	/* The control ladder is told apart by the ID. */
	s.ladder = LADDER_CONTROL;
	s.ttl = 30;
	n = probe_build(&s, buf, sizeof(buf));
	ck_assert_uint_eq((buf[4] << 8) | buf[5], 0x4700 | 0x40 | 30);
	ck_assert_uint_eq(ref_sum(buf, 20, 0), 0xffff);
}
END_TEST

START_TEST(test_build_udp4_and_payload)
{
	static const uint8_t pl[5] = { 1, 2, 3, 4, 5 };
	struct probe_spec s;
	struct packet pkt;
	uint8_t buf[128];
	size_t n;

	tcp_spec(&s, 0);
	s.proto = IPPROTO_UDP;
	n = probe_build(&s, buf, sizeof(buf));
	ck_assert_uint_eq(n, 28);	/* an empty datagram */
	ck_assert(l4_ok4(buf, n));
	ck_assert_int_eq(parse_packet(buf, n, n, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.payload_len, 0);
	s.payload = pl;
	s.payload_len = sizeof(pl);
	n = probe_build(&s, buf, sizeof(buf));
	ck_assert_uint_eq(n, 33);
	ck_assert(l4_ok4(buf, n));
	ck_assert_uint_eq(ref_sum(buf, 20, 0), 0xffff);
}
END_TEST

START_TEST(test_build_v6)
{
	struct probe_spec s;
	struct packet pkt;
	uint8_t buf[128];
	size_t n;
	uint32_t label;

	tcp_spec(&s, 1);
	s.ttl = 7;
	s.ladder = LADDER_CONTROL;
	n = probe_build(&s, buf, sizeof(buf));
	ck_assert_uint_eq(n, 60);
	ck_assert_uint_eq(buf[0] >> 4, 6);
	label = ((uint32_t)(buf[1] & 0x0f) << 16) | (buf[2] << 8) | buf[3];
	ck_assert_uint_eq(label, probe_flow_label(LADDER_CONTROL, 7));
	ck_assert_uint_eq(label, 0x47047);
	ck_assert_uint_eq(buf[7], 7);	/* hop limit */
	ck_assert(l4_ok6(buf, n));
	ck_assert_int_eq(parse_packet(buf, n, n, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.seq, 0xdeadbeef);
	ck_assert_uint_eq(pkt.ttl, 7);
	s.proto = IPPROTO_UDP;
	n = probe_build(&s, buf, sizeof(buf));
	ck_assert_uint_eq(n, 48);
	ck_assert(l4_ok6(buf, n));
}
END_TEST

/* An ICMP time-exceeded from responder quoting the first quote_len bytes
 * of probe. Returns the length. */
static size_t icmp4(uint8_t *out, const char *responder, uint8_t type,
		    const uint8_t *probe, size_t quote_len)
{
	struct in6_addr r = a4(responder);

	memset(out, 0, 28);
	out[0] = 0x45;
	out[8] = 64;
	out[9] = IPPROTO_ICMP;
	memcpy(out + 12, &r.s6_addr[12], 4);
	out[20] = type;
	memcpy(out + 28, probe, quote_len);
	return 28 + quote_len;
}

START_TEST(test_parse_icmp4)
{
	struct probe_spec s;
	struct probe_answer a;
	uint8_t probe[128], msg[256];
	size_t n;

	tcp_spec(&s, 0);
	probe_build(&s, probe, sizeof(probe));
	/* A router quotes the header with its TTL run down: not used. */
	probe[8] = 1;
	n = icmp4(msg, "198.18.3.1", 11, probe, 28);
	ck_assert_int_eq(probe_parse_icmp4(msg, n, &a), QUOTE_OK);
	ck_assert(a.time_exceeded);
	ck_assert_uint_eq(a.ttl, 3);
	ck_assert_uint_eq(a.ladder, LADDER_FLOW);
	ck_assert_uint_eq(a.sport, 7781);
	ck_assert_uint_eq(a.dport, 40000);
	ck_assert_uint_eq(a.seq, 0xdeadbeef);
	ck_assert_uint_eq(a.proto, IPPROTO_TCP);
	ck_assert(!memcmp(&a.responder, &(struct in6_addr){ .s6_addr = {
		0,0,0,0,0,0,0,0,0,0,0xff,0xff,198,18,3,1 } }, 16));
	/* The whole probe quoted (RFC 1812 routers) is fine too. */
	n = icmp4(msg, "198.18.3.1", 3, probe, 40);
	ck_assert_int_eq(probe_parse_icmp4(msg, n, &a), QUOTE_OK);
	ck_assert(!a.time_exceeded);
	/* Truncated: the IP header and only 4 bytes of TCP. */
	n = icmp4(msg, "198.18.3.1", 11, probe, 24);
	ck_assert_int_eq(probe_parse_icmp4(msg, n, &a), QUOTE_TRUNCATED);
	n = icmp4(msg, "198.18.3.1", 11, probe, 12);
	ck_assert_int_eq(probe_parse_icmp4(msg, n, &a), QUOTE_TRUNCATED);
	/* Not ours: another IP ID (a traceroute, the flow's own packet). */
	probe[4] = 0x12;
	n = icmp4(msg, "198.18.3.1", 11, probe, 28);
	ck_assert_int_eq(probe_parse_icmp4(msg, n, &a), QUOTE_NOT_OURS);
	/* Another ICMP type: an echo reply. */
	n = icmp4(msg, "198.18.3.1", 0, probe, 28);
	ck_assert_int_eq(probe_parse_icmp4(msg, n, &a), QUOTE_OTHER);
}
END_TEST

START_TEST(test_parse_icmp6)
{
	struct in6_addr from = a6("2001:db8:3::1");
	struct probe_spec s;
	struct probe_answer a;
	uint8_t probe[128], msg[256];

	tcp_spec(&s, 1);
	s.ttl = 2;
	probe_build(&s, probe, sizeof(probe));
	memset(msg, 0, 8);
	msg[0] = 3;		/* time exceeded */
	memcpy(msg + 8, probe, 60);
	ck_assert_int_eq(probe_parse_icmp6(&from, msg, 68, &a), QUOTE_OK);
	ck_assert_uint_eq(a.ttl, 2);
	ck_assert_uint_eq(a.seq, 0xdeadbeef);
	ck_assert(!memcmp(&a.responder, &from, 16));
	ck_assert(!memcmp(&a.dst, &s.dst, 16));
	ck_assert_int_eq(probe_parse_icmp6(&from, msg, 8 + 44, &a),
			 QUOTE_TRUNCATED);
	ck_assert_int_eq(probe_parse_icmp6(&from, msg, 8 + 30, &a),
			 QUOTE_TRUNCATED);
	msg[8 + 3] ^= 0x01;	/* another flow label: not ours */
	msg[8 + 2] = 0;
	ck_assert_int_eq(probe_parse_icmp6(&from, msg, 68, &a), QUOTE_NOT_OURS);
}
END_TEST

static struct probe_result done_result;
static int done;

static void on_done(void *ctx, const struct probe_result *result)
{
	(void)ctx;
	done_result = *result;
	done = 1;
}

/* The address that answered TTL ttl of ladder, as text. */
static const char *responder(int ladder, uint8_t ttl)
{
	static char buf[64];

	ck_assert(done_result.hops[ladder][ttl].answered);
	return addr_format(&done_result.hops[ladder][ttl].addr, buf, sizeof(buf));
}

static void gap_open_rec(struct gap_record *r)
{
	memset(r, 0, sizeof(*r));
	r->is_open_event = 1;
	r->seq = 42;
	r->key.proto = IPPROTO_TCP;
	r->key.client = a4("198.18.1.2");
	r->key.server = a4("198.18.4.2");
	r->key.client_port = 40000;
	r->key.server_port = 7781;
	r->silent = SILENT_CLIENT;
	r->cause = CAUSE_PATH_LOSS_TO_SERVER;
	r->tcp_known = 1;
	r->keepalive_seq = 0xdeadbeef;
	r->keepalive_ack = 0x01020304;
	r->server_window = 501;
}

static struct prober *test_prober(void)
{
	struct probe_config cfg = {
		.mark = PROBE_MARK_DEFAULT, .max_ttl = 8, .pace_ms = 50,
		.rate = 1000, .max_ladders = 2, .client_interval_s = 60,
		.timeout_ms = 1000, .no_sockets = 1,
	};
	char err[128];
	struct prober *p = probe_open(&cfg, err, sizeof(err));

	ck_assert_ptr_nonnull(p);
	return p;
}

/* The time-exceeded a router at responder sends for the probe of
 * (ladder, ttl) of the ladder started by gap_open_rec(). */
static size_t answer(uint8_t *msg, const char *responder, int ladder,
		     uint8_t ttl)
{
	struct probe_spec s;
	uint8_t probe[64];

	tcp_spec(&s, 0);
	s.src = a4("198.18.4.2");
	s.sport = ladder == LADDER_FLOW ? 7781 : 7782;
	s.ladder = (uint8_t)ladder;
	s.ttl = ttl;
	probe_build(&s, probe, sizeof(probe));
	return icmp4(msg, responder, 11, probe, 28);
}

/* At ms (and a microsecond: a send time of 0 means "not sent"). */
static void run_at(struct prober *p, uint64_t ms)
{
	struct gw_time t = { ms * 1000 + 1, 1700000000000000ULL + ms * 1000, 0 };

	probe_run(p, &t, on_done, NULL);
}

/*
 * Run the ladder of gap_open_rec() to its end: routers r3, r2, r1 answer
 * the flow's TTLs up to flow_max and the control's up to control_max, 10
 * ms after each went out; with client, the client's ICMP unreachable
 * answers the control's TTL 4. The result is in done_result.
 */
static void climb(struct prober *p, int flow_max, int control_max, int client)
{
	static const char *const router[] = { NULL, "198.18.4.1", "198.18.3.1",
					      "198.18.2.1" };
	uint8_t msg[256];
	uint64_t ms;
	size_t n;
	int ttl;

	done = 0;
	for (ms = 0; ms < 3000 && !done; ms += 10) {
		run_at(p, ms);
		ttl = (int)(ms / 50) + 1;
		if (ms % 50 == 10 && ttl <= control_max) {
			n = answer(msg, router[ttl], LADDER_CONTROL, (uint8_t)ttl);
			probe_feed_icmp(p, AF_INET, NULL, msg, n, ms * 1000);
		}
		if (ms % 50 == 10 && ttl <= flow_max) {
			n = answer(msg, router[ttl], LADDER_FLOW, (uint8_t)ttl);
			probe_feed_icmp(p, AF_INET, NULL, msg, n, ms * 1000);
		}
		if (client && ms == 160) {
			n = answer(msg, "198.18.1.2", LADDER_CONTROL, 4);
			msg[20] = 3;
			probe_feed_icmp(p, AF_INET, NULL, msg, n, ms * 1000);
		}
	}
	ck_assert(done);
}

/* A test's end: the prober goes. */
static void test_done(struct prober *p)
{
	probe_close(p);
}

START_TEST(test_ladder_matching)
{
	struct gw_time t0 = { 1, 1700000000000000ULL, 0 };
	struct prober *p = test_prober();
	const struct probe_counters *c = probe_counters(p);
	struct gap_record r;

	gap_open_rec(&r);
	ck_assert_int_eq(probe_start(p, &r, &t0), 1);
	/* The same client again within the minute: refused and counted. */
	r.seq = 43;
	r.key.client_port = 40001;
	ck_assert_int_eq(probe_start(p, &r, &t0), 0);
	ck_assert_uint_eq(c->limit_client, 1);
	/* TTL 1..3 answer on both ladders (routers r3, r2, r1); the flow's
	 * TTL 3 probe dies at r1 while the control goes on to the client. */
	climb(p, 2, 3, 1);
	ck_assert_uint_eq(done_result.seq, 42);
	ck_assert_uint_eq(c->icmp_matched, 2 + 3 + 1);
	ck_assert_uint_eq(c->ladders_done, 1);
	ck_assert_int_eq(done_result.last_hop[LADDER_FLOW], 2);
	ck_assert_str_eq(responder(LADDER_FLOW, 2), "198.18.3.1");
	ck_assert_int_eq(done_result.reached[LADDER_FLOW], 0);
	ck_assert_int_eq(done_result.reached[LADDER_CONTROL], 4);
	ck_assert_int_eq(done_result.last_hop[LADDER_CONTROL], 4);
	ck_assert_str_eq(done_result.verdict,
			 "this flow's packets are dropped after hop 2 "
			 "(198.18.3.1); a fresh flow passes the same hop and "
			 "reaches the client");
	/* The flow ladder climbed past the control's client distance by
	 * one TTL at most, and never past max TTL. */
	ck_assert_int_eq(done_result.sent[LADDER_FLOW], 5);
	ck_assert_str_eq(responder(LADDER_FLOW, 1), "198.18.4.1");
	ck_assert(!done_result.hops[LADDER_FLOW][3].answered);
	ck_assert(done_result.hops[LADDER_CONTROL][4].client);
	ck_assert(done_result.hops[LADDER_CONTROL][4].unreachable);
	ck_assert_int_eq(done_result.control_port, 7782);
	ck_assert_uint_eq(done_result.key.client_port, 40000);
	test_done(p);
}
END_TEST

START_TEST(test_ignored_and_counted)
{
	struct gw_time t0 = { 1, 1700000000000000ULL, 0 };
	struct prober *p = test_prober();
	const struct probe_counters *c = probe_counters(p);
	struct gap_record r;
	struct probe_spec s;
	uint8_t msg[256], probe[64];
	size_t n;

	gap_open_rec(&r);
	ck_assert_int_eq(probe_start(p, &r, &t0), 1);
	run_at(p, 0);			/* TTL 1 of both ladders sent */
	/* Truncated quote. */
	n = answer(msg, "198.18.4.1", LADDER_FLOW, 1);
	probe_feed_icmp(p, AF_INET, NULL, msg, n - 6, 1000);
	ck_assert_uint_eq(c->icmp_truncated, 1);
	/* A quote of a packet we did not send: the flow's own segment. */
	n = answer(msg, "198.18.4.1", LADDER_FLOW, 1);
	msg[28 + 4] = 0x9a;
	probe_feed_icmp(p, AF_INET, NULL, msg, n, 1000);
	ck_assert_uint_eq(c->icmp_not_ours, 1);
	/* Our ID, but a 5-tuple no ladder probes. */
	tcp_spec(&s, 0);
	s.dport = 50000;
	s.ttl = 1;
	probe_build(&s, probe, sizeof(probe));
	n = icmp4(msg, "198.18.4.1", 11, probe, 28);
	probe_feed_icmp(p, AF_INET, NULL, msg, n, 1000);
	/* Our tuple, but not the keep-alive's seq. */
	tcp_spec(&s, 0);
	s.src = a4("198.18.4.2");
	s.seq = 1;
	s.ttl = 1;
	probe_build(&s, probe, sizeof(probe));
	n = icmp4(msg, "198.18.4.1", 11, probe, 28);
	probe_feed_icmp(p, AF_INET, NULL, msg, n, 1000);
	/* A TTL that was never sent. */
	n = answer(msg, "198.18.4.1", LADDER_FLOW, 9);
	probe_feed_icmp(p, AF_INET, NULL, msg, n, 1000);
	ck_assert_uint_eq(c->icmp_unmatched, 2);
	ck_assert_uint_eq(c->icmp_matched, 1);	/* matched, but no such TTL */
	/* The right one. */
	n = answer(msg, "198.18.4.1", LADDER_FLOW, 1);
	probe_feed_icmp(p, AF_INET, NULL, msg, n, 1000);
	ck_assert_uint_eq(c->icmp_matched, 2);
	ck_assert_uint_eq(c->icmp_received, 6);
	probe_close(p);
}
END_TEST

START_TEST(test_wanted)
{
	struct gap_record r;

	gap_open_rec(&r);
	ck_assert(probe_wanted(NULL, &r));
	r.cause = CAUSE_UNKNOWN;
	r.silent = SILENT_BOTH;
	ck_assert(probe_wanted(NULL, &r));
	r.silent = SILENT_SERVER;
	ck_assert(!probe_wanted(NULL, &r));
	r.silent = SILENT_CLIENT;
	r.cause = CAUSE_CLIENT_APP_STALL;
	ck_assert(!probe_wanted(NULL, &r));
	r.cause = CAUSE_SERVER_APP_STALL;
	ck_assert(!probe_wanted(NULL, &r));
	r.cause = CAUSE_INSPECTOR_LOSS;
	ck_assert(!probe_wanted(NULL, &r));
	r.cause = CAUSE_LOCAL_DROP_INVALID;
	ck_assert(!probe_wanted(NULL, &r));
	r.cause = CAUSE_CONNTRACK_DESTROYED;
	ck_assert(!probe_wanted(NULL, &r));
	r.cause = CAUSE_PATH_LOSS_TO_SERVER;
	r.tcp_known = 0;
	ck_assert(!probe_wanted(NULL, &r));
	r.key.proto = IPPROTO_UDP;
	ck_assert(probe_wanted(NULL, &r));
	r.is_open_event = 0;
	ck_assert(!probe_wanted(NULL, &r));
}
END_TEST

START_TEST(test_ladder_limit)
{
	struct gw_time t0 = { 1, 1700000000000000ULL, 0 };
	struct prober *p = test_prober();	/* 2 ladders at once */
	struct gap_record r;

	gap_open_rec(&r);
	ck_assert_int_eq(probe_start(p, &r, &t0), 1);
	r.key.client = a4("198.18.1.3");
	ck_assert_int_eq(probe_start(p, &r, &t0), 1);
	r.key.client = a4("198.18.1.4");
	ck_assert_int_eq(probe_start(p, &r, &t0), 0);
	ck_assert_uint_eq(probe_counters(p)->limit_ladders, 1);
	probe_close(p);
}
END_TEST

START_TEST(test_payload_parse)
{
	struct probe_payload pl;
	char big[2 * PROBE_PAYLOAD_MAX + 3];

	ck_assert_int_eq(probe_payload_parse("47570001", &pl), 0);
	ck_assert_uint_eq(pl.len, 4);
	ck_assert_uint_eq(pl.bytes[0], 0x47);
	ck_assert_uint_eq(pl.bytes[3], 0x01);
	ck_assert_int_eq(probe_payload_parse("0xaBcD", &pl), 0);
	ck_assert_uint_eq(pl.len, 2);
	ck_assert_uint_eq(pl.bytes[1], 0xcd);
	ck_assert_int_eq(probe_payload_parse("", &pl), -1);
	ck_assert_int_eq(probe_payload_parse("0x", &pl), -1);
	ck_assert_int_eq(probe_payload_parse("475", &pl), -1);
	ck_assert_int_eq(probe_payload_parse("47 57", &pl), -1);
	ck_assert_int_eq(probe_payload_parse("zz", &pl), -1);
	memset(big, 'a', 2 * PROBE_PAYLOAD_MAX);
	big[2 * PROBE_PAYLOAD_MAX] = '\0';
	ck_assert_int_eq(probe_payload_parse(big, &pl), 0);
	ck_assert_uint_eq(pl.len, PROBE_PAYLOAD_MAX);
	strcpy(big + 2 * PROBE_PAYLOAD_MAX, "aa");
	ck_assert_int_eq(probe_payload_parse(big, &pl), -1);
}
END_TEST

/* A packet from the client of gap_open_rec() to server port sport (a
 * pure ACK of ack, or with data bytes of payload, or with flags). */
static size_t client_segment(uint8_t *buf, uint16_t server_port, uint32_t ack,
			     uint8_t flags, size_t data)
{
	struct probe_spec s;
	size_t n;

	tcp_spec(&s, 0);
	s.src = a4("198.18.1.2");
	s.dst = a4("198.18.4.2");
	s.sport = 40000;
	s.dport = server_port;
	s.seq = 0x01020304;	/* the client's next seq, as the engine saw it */
	s.ack = ack;
	s.ttl = 60;
	n = probe_build(&s, buf, 256);
	buf[20 + 13] = flags;
	buf[2] = (uint8_t)((n + data) >> 8);
	buf[3] = (uint8_t)(n + data);
	memset(buf + n, 'x', data);
	return n + data;
}

START_TEST(test_client_answers_tcp)
{
	struct gw_time t0 = { 1, 1700000000000000ULL, 0 };
	struct prober *p = test_prober();
	const struct probe_counters *c = probe_counters(p);
	struct gap_record r;
	uint8_t pkt[256];
	size_t n;

	gap_open_rec(&r);
	ck_assert_int_eq(probe_start(p, &r, &t0), 1);
	run_at(p, 0);			/* TTL 1 of both ladders */
	/* The client's game data: not an answer, though it acks seq + 1. */
	n = client_segment(pkt, 7781, 0xdeadbef0, PKT_TCP_ACK | 0x08, 30);
	probe_feed_client(p, AF_INET, IPPROTO_TCP, NULL, pkt, n, n, 1000);
	/* A pure ACK of something else. */
	n = client_segment(pkt, 7781, 0xdeadbeef, PKT_TCP_ACK, 0);
	probe_feed_client(p, AF_INET, IPPROTO_TCP, NULL, pkt, n, n, 1000);
	/* The client's own keep-alive (seq one lower) is not an answer. */
	n = client_segment(pkt, 7781, 0xdeadbef0, PKT_TCP_ACK, 0);
	pkt[27] = 0x03;
	probe_feed_client(p, AF_INET, IPPROTO_TCP, NULL, pkt, n, n, 1000);
	/* A UDP datagram is not a TCP answer; a truncated capture neither. */
	n = client_segment(pkt, 7781, 0xdeadbef0, PKT_TCP_ACK, 0);
	probe_feed_client(p, AF_INET, IPPROTO_UDP, NULL, pkt, n, n, 1000);
	probe_feed_client(p, AF_INET, IPPROTO_TCP, NULL, pkt, 30, n, 1000);
	ck_assert_uint_eq(c->client_answers, 0);
	/* The keep-alive's answer, then once more: counted once. */
	probe_feed_client(p, AF_INET, IPPROTO_TCP, NULL, pkt, n, n, 1000);
	probe_feed_client(p, AF_INET, IPPROTO_TCP, NULL, pkt, n, n, 1000);
	ck_assert_uint_eq(c->client_answers, 1);
	/* The control's RST: its seq is the probe's ack, base + TTL. */
	n = client_segment(pkt, 7782, 0, PKT_TCP_RST, 0);
	pkt[27] = 0x05;
	probe_feed_client(p, AF_INET, IPPROTO_TCP, NULL, pkt, n, n, 1000);
	ck_assert_uint_eq(c->client_answers, 2);
	done = 0;
	run_at(p, 10);
	ck_assert(done);
	ck_assert_int_eq(done_result.reached[LADDER_FLOW], 1);
	ck_assert_int_eq(done_result.last_hop[LADDER_FLOW], 1);
	ck_assert(done_result.hops[LADDER_FLOW][1].client);
	test_done(p);
}
END_TEST

/* A silent router at hop 2: the client's answers are put at the TTL that
 * reached it (4), not at the lowest unanswered one. */
START_TEST(test_client_ttl_past_silent_hop)
{
	struct gw_time t0 = { 1, 1700000000000000ULL, 0 };
	struct prober *p = test_prober();
	struct gap_record r;
	uint8_t msg[256], pkt[256];
	uint64_t ms;
	size_t n;

	gap_open_rec(&r);
	ck_assert_int_eq(probe_start(p, &r, &t0), 1);
	for (ms = 0; ms <= 150; ms += 50) {
		run_at(p, ms);		/* TTL ms / 50 + 1, both ladders */
		if (ms == 0 || ms == 100) {
			uint8_t ttl = (uint8_t)(ms / 50 + 1);

			n = answer(msg, ttl == 1 ? "198.18.4.1" : "198.18.2.1",
				   LADDER_FLOW, ttl);
			probe_feed_icmp(p, AF_INET, NULL, msg, n, ms * 1000 + 100);
			n = answer(msg, ttl == 1 ? "198.18.4.1" : "198.18.2.1",
				   LADDER_CONTROL, ttl);
			probe_feed_icmp(p, AF_INET, NULL, msg, n, ms * 1000 + 100);
		}
	}
	/* 0.2 ms after TTL 4 went out: the RST names TTL 4 exactly, the
	 * keep-alive's ACK is placed by its timing. */
	n = client_segment(pkt, 7782, 0, PKT_TCP_RST, 0);
	pkt[27] = 0x08;
	probe_feed_client(p, AF_INET, IPPROTO_TCP, NULL, pkt, n, n, 150200);
	n = client_segment(pkt, 7781, 0xdeadbef0, PKT_TCP_ACK, 0);
	probe_feed_client(p, AF_INET, IPPROTO_TCP, NULL, pkt, n, n, 150200);
	done = 0;
	run_at(p, 160);
	ck_assert(done);
	ck_assert(!done_result.hops[LADDER_FLOW][2].answered);
	ck_assert(!done_result.hops[LADDER_CONTROL][2].answered);
	ck_assert(done_result.hops[LADDER_FLOW][4].client);
	ck_assert(done_result.hops[LADDER_CONTROL][4].client);
	ck_assert_int_eq(done_result.last_hop[LADDER_CONTROL], 4);
	test_done(p);
}
END_TEST

START_TEST(test_client_answers_udp)
{
	struct gw_time t0 = { 1, 1700000000000000ULL, 0 };
	struct prober *p = test_prober();
	const struct probe_counters *c = probe_counters(p);
	struct in6_addr client6 = a6("2001:2:0:1::2");
	struct gap_record r;
	uint8_t dgram[8] = { 0x9c, 0x40, 0x1e, 0x65, 0, 8, 0, 0 };
	size_t n;

	/* The server was the silent side: the client's datagrams on the
	 * flow are its game traffic, not answers. */
	gap_open_rec(&r);
	r.key.proto = IPPROTO_UDP;
	r.key.client = client6;
	r.key.server = a6("2001:2:0:4::2");
	r.cause = CAUSE_PATH_LOSS_TO_CLIENT;
	r.silent = SILENT_SERVER;
	ck_assert_int_eq(probe_start(p, &r, &t0), 1);
	run_at(p, 0);
	n = sizeof(dgram);
	probe_feed_client(p, AF_INET6, IPPROTO_UDP, &client6, dgram, n, n, 1000);
	ck_assert_uint_eq(c->client_answers, 0);
	/* On the control 5-tuple (server port 7782) anything answers. */
	dgram[3] = 0x66;
	probe_feed_client(p, AF_INET6, IPPROTO_UDP, &client6, dgram, n, n, 1000);
	ck_assert_uint_eq(c->client_answers, 1);
	/* A silent client's datagram on the flow is an answer. */
	r.key.client = client6 = a6("2001:2:0:1::3");
	r.silent = SILENT_CLIENT;
	r.cause = CAUSE_PATH_LOSS_TO_SERVER;
	ck_assert_int_eq(probe_start(p, &r, &t0), 1);
	run_at(p, 0);
	dgram[3] = 0x65;
	probe_feed_client(p, AF_INET6, IPPROTO_UDP, &client6, dgram, n, n, 1000);
	ck_assert_uint_eq(c->client_answers, 2);
	probe_close(p);
}
END_TEST

/* Every router answers both ladders; the control reaches the client and
 * the flow does not: the verdict points at the client's edge. */
START_TEST(test_verdict_client_edge)
{
	struct gw_time t0 = { 1, 1700000000000000ULL, 0 };
	struct prober *p = test_prober();
	struct gap_record r;

	gap_open_rec(&r);
	ck_assert_int_eq(probe_start(p, &r, &t0), 1);
	climb(p, 3, 3, 1);
	ck_assert_str_eq(done_result.verdict,
			 "this flow's packets are dropped after hop 3 "
			 "(198.18.2.1), the last router before the client: that "
			 "router, the client's own edge (a NAT or firewall that "
			 "lost this flow) or the client drops them; a fresh flow "
			 "reaches the client");
	test_done(p);
}
END_TEST

/* Ladder starts: a burst of --probe-max-ladders, then one per interval. */
START_TEST(test_ladder_interval)
{
	struct probe_config cfg = {
		.mark = PROBE_MARK_DEFAULT, .max_ttl = 4, .pace_ms = 50,
		.rate = 1000, .max_ladders = 3, .ladder_interval_ms = 2000,
		.client_interval_s = 60, .timeout_ms = 100, .no_sockets = 1,
	};
	struct gw_time t = { 1, 1700000000000000ULL, 0 };
	const struct probe_counters *c;
	struct gap_record r;
	struct prober *p;
	char err[128], addr[32];
	uint64_t ms;
	int k;

	p = probe_open(&cfg, err, sizeof(err));
	ck_assert_ptr_nonnull(p);
	c = probe_counters(p);
	gap_open_rec(&r);
	for (k = 0; k < 3; k++) {
		snprintf(addr, sizeof(addr), "198.18.1.%d", 2 + k);
		r.key.client = a4(addr);
		ck_assert_int_eq(probe_start(p, &r, &t), 1);
	}
	/* All three end unanswered within a second. */
	for (ms = 0; ms <= 1000; ms += 10)
		run_at(p, ms);
	ck_assert_uint_eq(c->ladders_done, 3);
	/* Slots are free, the burst is spent: refused until 2 s have
	 * passed since the burst. */
	t.mono_us = 1000 * 1000;
	r.key.client = a4("198.18.1.9");
	ck_assert_int_eq(probe_start(p, &r, &t), 0);
	ck_assert_uint_eq(c->limit_ladder_interval, 1);
	t.mono_us = 2001 * 1000;	/* a token and a little */
	ck_assert_int_eq(probe_start(p, &r, &t), 1);
	r.key.client = a4("198.18.1.10");
	ck_assert_int_eq(probe_start(p, &r, &t), 0);
	ck_assert_uint_eq(c->limit_ladder_interval, 2);
	test_done(p);
}
END_TEST

/* The control 5-tuple's port is the next one up that is no game port. */
START_TEST(test_control_port)
{
	struct probe_config cfg = {
		.mark = PROBE_MARK_DEFAULT, .max_ttl = 4, .pace_ms = 50,
		.rate = 1000, .max_ladders = 2, .client_interval_s = 60,
		.timeout_ms = 10, .no_sockets = 1,
	};
	struct gw_time t = { 1, 1700000000000000ULL, 0 };
	static struct portset ports;
	struct gap_record r;
	struct prober *p;
	char err[128];
	uint64_t ms;

	ck_assert_int_eq(portset_parse(&ports, "7781-7783,1", err, sizeof(err)), 0);
	cfg.ports = &ports;
	p = probe_open(&cfg, err, sizeof(err));
	ck_assert_ptr_nonnull(p);
	gap_open_rec(&r);
	ck_assert_int_eq(probe_start(p, &r, &t), 1);
	done = 0;
	for (ms = 0; ms < 1000 && !done; ms += 10)
		run_at(p, ms);
	ck_assert(done);
	ck_assert_int_eq(done_result.control_port, 7784);
	/* At the top it wraps, past port 1 (a game port too). */
	r.key.client = a4("198.18.1.3");
	r.key.server_port = 65535;
	t.mono_us = 1000 * 1000;
	ck_assert_int_eq(probe_start(p, &r, &t), 1);
	done = 0;
	for (ms = 1000; ms < 2000 && !done; ms += 10)
		run_at(p, ms);
	ck_assert(done);
	ck_assert_int_eq(done_result.control_port, 2);
	ck_assert_uint_eq(probe_counters(p)->ladders_done, 2);
	test_done(p);
}
END_TEST

/* Both ladders stop at the same hop: a stateful device, or the path. */
START_TEST(test_verdict_both_stop)
{
	struct gw_time t0 = { 1, 1700000000000000ULL, 0 };
	struct prober *p = test_prober();
	struct gap_record r;

	gap_open_rec(&r);
	ck_assert_int_eq(probe_start(p, &r, &t0), 1);
	climb(p, 2, 2, 0);
	ck_assert_str_eq(done_result.verdict,
			 "both this flow and a fresh flow (an ACK without a "
			 "handshake) stop after hop 2 (198.18.3.1): that router or "
			 "one after it drops both, as a stateful firewall or NAT "
			 "with no state for either does, or the path beyond it is "
			 "down");
	/* Five silent TTLs past the highest answer, then it stopped. */
	ck_assert_int_eq(done_result.sent[LADDER_FLOW], 7);
	test_done(p);
}
END_TEST

static Suite *probe_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("probe");

	tcase_add_test(tc, test_build_tcp4);
	tcase_add_test(tc, test_build_udp4_and_payload);
	tcase_add_test(tc, test_build_v6);
	tcase_add_test(tc, test_parse_icmp4);
	tcase_add_test(tc, test_parse_icmp6);
	tcase_add_test(tc, test_ladder_matching);
	tcase_add_test(tc, test_ignored_and_counted);
	tcase_add_test(tc, test_wanted);
	tcase_add_test(tc, test_ladder_limit);
	tcase_add_test(tc, test_ladder_interval);
	tcase_add_test(tc, test_control_port);
	tcase_add_test(tc, test_payload_parse);
	tcase_add_test(tc, test_client_answers_tcp);
	tcase_add_test(tc, test_client_ttl_past_silent_hop);
	tcase_add_test(tc, test_client_answers_udp);
	tcase_add_test(tc, test_verdict_client_edge);
	tcase_add_test(tc, test_verdict_both_stop);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(probe_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
