/*
 * test_cause.c - the classifier (src/cause.c) on hand-made gap records,
 * the clusters (src/correlate.c), and the engine's conntrack-aware
 * behaviour: INVALID packets are evidence, not liveness, and data that
 * waits for an acknowledgement opens a gap of its own.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "config.h"
#include "correlate.h"
#include "engine.h"
#include "pktbuild.h"

#define T0	(1000 * USEC_PER_SEC)
#define MS(x)	((uint64_t)(x) * USEC_PER_MSEC)

static void tcp_gap(struct gap_record *r)
{
	memset(r, 0, sizeof(*r));
	r->key.proto = IPPROTO_TCP;
	r->key.client_port = 40000;
	r->key.server_port = 7781;
	r->silent = SILENT_CLIENT;
	r->outcome = OUTCOME_RESUMED;
	r->trigger = TRIGGER_SILENCE;
	r->start_us = T0;
	r->end_us = T0 + MS(5000);
	r->expected_interval_us = MS(500);
	r->side[SIDE_SERVER].packets = 6;
	r->side[SIDE_SERVER].retransmits = 4;
}

static void add_event(struct gap_record *r, uint8_t type, uint64_t at,
		      int by_timeout)
{
	struct ct_event *ev = &r->ct.events[r->ct.nevents++];

	ev->type = type;
	ev->wall_us = at;
	ev->by_timeout = (uint8_t)by_timeout;
}

START_TEST(test_path_loss_to_server)
{
	struct gap_record r;

	tcp_gap(&r);
	r.ct.available = 1;
	r.ct.at_open.looked_up = 1;
	r.ct.at_open.found = 1;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_PATH_LOSS_TO_SERVER);
	ck_assert_ptr_nonnull(strstr(r.evidence, "retransmitted 4 times"));
	ck_assert_ptr_nonnull(strstr(r.evidence, "healthy"));
}
END_TEST

START_TEST(test_inspector_loss_first)
{
	struct gap_record r;

	tcp_gap(&r);
	r.inspector.enobufs = 2;
	r.ct.available = 1;
	r.ct.health.drop = 5;		/* would be table_full otherwise */
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_INSPECTOR_LOSS);
	ck_assert_ptr_nonnull(strstr(r.evidence, "enobufs 2"));
}
END_TEST

/* A SIGSTOP as the records of issue 12 told it: both sides silent, and
 * no kernel counter moved; only what the rules counted and the stall. */
START_TEST(test_unseen_is_inspector_loss)
{
	struct gap_record r;

	tcp_gap(&r);
	r.silent = SILENT_BOTH;
	r.side[SIDE_SERVER].packets = 0;
	r.side[SIDE_SERVER].retransmits = 0;
	r.start_us = 1764648000ULL * USEC_PER_SEC;
	r.end_us = r.start_us + MS(3200);
	r.inspector.unseen = 48210;
	r.inspector.stalls = 1;
	r.inspector.stalled_us = MS(3000);
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_INSPECTOR_LOSS);
	ck_assert_ptr_nonnull(strstr(r.evidence,
		"saw none of the 48210 packets that passed its rules between "
		"2025-12-02T04:00:00.000000Z and "
		"2025-12-02T04:00:03.200000Z: the queue "
		"was full and fail-open passed them"));
	ck_assert_ptr_nonnull(strstr(r.evidence, "not scheduled for 3.0 s"));
}
END_TEST

START_TEST(test_id_holes_and_stall_alone)
{
	struct gap_record r;

	tcp_gap(&r);
	r.inspector.id_holes = 7;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_INSPECTOR_LOSS);
	ck_assert_ptr_nonnull(strstr(r.evidence, "saw none of the 7 packets"));
	ck_assert_ptr_nonnull(strstr(r.evidence, "socket buffer full"));
	ck_assert_ptr_null(strstr(r.evidence, "scheduled"));

	/* A stall with nothing counted (no rule counters): still ours. */
	tcp_gap(&r);
	r.ct.available = 1;
	r.ct.health.drop = 5;		/* would be table_full otherwise */
	r.inspector.stalls = 2;
	r.inspector.stalled_us = MS(1250);
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_INSPECTOR_LOSS);
	ck_assert_str_eq(r.evidence,
			 "gapwatchd was not scheduled for 1.2 s (2 stalls)");
}
END_TEST

/*
 * A silence that was a gap before gapwatchd went blind keeps the cause
 * its packets show and says the window was partly blind; one whose
 * blindness began before its threshold passed is the inspector's. A
 * timeline: the client falls silent at T0, the threshold is 2 s, the
 * server retransmits; gapwatchd is blind from T0 + 3 s (missing 50).
 */
START_TEST(test_partly_blind)
{
	struct gap_record r;

	tcp_gap(&r);
	r.start_us = 1764648000ULL * USEC_PER_SEC;
	r.end_us = r.start_us + MS(5000);
	r.threshold_us = MS(2000);
	r.inspector.unseen = 50;
	r.inspector.stalls = 1;
	r.inspector.stalled_us = MS(1000);
	r.blind_from_us = r.start_us + MS(3000);
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_PATH_LOSS_TO_SERVER);
	ck_assert_int_eq(r.partly_blind, 1);
	ck_assert_ptr_nonnull(strstr(r.evidence, "retransmitted 4 times"));
	ck_assert_ptr_nonnull(strstr(r.evidence,
		"; the window was partly blind: gapwatchd missed 50 packets "
		"from 2025-12-02T04:00:03.000000Z"));

	/* Blind exactly when the threshold passed: still a gap before. */
	r.blind_from_us = r.start_us + MS(2000);
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_PATH_LOSS_TO_SERVER);
	ck_assert_int_eq(r.partly_blind, 1);

	/* Blind before it: the silence may be ours alone. */
	r.blind_from_us = r.start_us + MS(1999);
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_INSPECTOR_LOSS);
	ck_assert_int_eq(r.partly_blind, 0);
	ck_assert_ptr_nonnull(strstr(r.evidence, "saw none of the 50 packets"));

	/* Losses but no moment known (the engine then gives the window's
	 * start): the inspector's. */
	r.blind_from_us = r.start_us;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_INSPECTOR_LOSS);

	/* No loss in the window: blind_from alone changes nothing. */
	tcp_gap(&r);
	r.blind_from_us = r.start_us + MS(3000);
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_PATH_LOSS_TO_SERVER);
	ck_assert_int_eq(r.partly_blind, 0);
	ck_assert_ptr_null(strstr(r.evidence, "blind"));
}
END_TEST

/* The server's kernel dropped the flow's packets: the reason's cause. */
static void drops(struct gap_record *r, const char *reason, const char *func,
		  uint32_t n)
{
	r->drops.since_us = r->start_us - MS(60000);
	r->drops.watching = 1;
	r->drops.complete = 1;
	r->drops.count = n;
	r->drops.nreasons = n ? 1 : 0;
	r->drops.by_reason[0].count = n;
	snprintf(r->drops.by_reason[0].name, sizeof(r->drops.by_reason[0].name),
		 "%s", reason);
	snprintf(r->drops.by_reason[0].func, sizeof(r->drops.by_reason[0].func),
		 "%s", func);
}

START_TEST(test_local_drops)
{
	static const struct {
		const char *reason, *func;
		enum gap_cause cause;
	} cases[] = {
		{ "NETFILTER_DROP", "nft_do_chain", CAUSE_LOCAL_DROP_FIREWALL },
		{ "SOCKET_RCVBUFF", "udp_queue_rcv_one_skb", CAUSE_LOCAL_DROP_SOCKET },
		{ "SOCKET_BACKLOG", "tcp_add_backlog", CAUSE_LOCAL_DROP_SOCKET },
		{ "PROTO_MEM", "tcp_v4_rcv", CAUSE_LOCAL_DROP_SOCKET },
		{ "FULL_RING", "veth_xmit", CAUSE_LOCAL_DROP_NIC },
		{ "CPU_BACKLOG", "enqueue_to_backlog", CAUSE_LOCAL_DROP_NIC },
		{ "QDISC_DROP", "__dev_queue_xmit", CAUSE_LOCAL_DROP_NIC },
		{ "TCP_INVALID_SEQUENCE", "tcp_validate_incoming", CAUSE_LOCAL_DROP_TCP },
		{ "TCP_RFC7323_PAWS", "tcp_validate_incoming", CAUSE_LOCAL_DROP_TCP },
		/* A reason the table does not know: where it was dropped. */
		{ "SOMETHING_NEW", "tcp_rcv_state_process", CAUSE_LOCAL_DROP_TCP },
		{ "SOMETHING_NEW", "nf_hook_slow", CAUSE_LOCAL_DROP_FIREWALL },
		{ "SOMETHING_NEW", "netif_receive_skb", CAUSE_LOCAL_DROP_NIC },
		{ "SOMETHING_NEW", "unknown_function", CAUSE_LOCAL_DROP_SOCKET },
	};
	struct gap_record r;
	unsigned int k;

	for (k = 0; k < GW_ARRAY_SIZE(cases); k++) {
		tcp_gap(&r);
		drops(&r, cases[k].reason, cases[k].func, 14);
		cause_classify(&r);
		ck_assert_msg(r.cause == cases[k].cause, "%s in %s: %s",
			      cases[k].reason, cases[k].func, cause_name(r.cause));
	}
	tcp_gap(&r);
	drops(&r, "NETFILTER_DROP", "nft_do_chain", 14);
	cause_classify(&r);
	ck_assert_str_eq(r.evidence, "the server dropped 14 of this flow's "
			 "packets: NETFILTER_DROP in nft_do_chain (14)");
	ck_assert_str_eq(cause_name(r.cause), "local_drop_firewall");

	/* INVALID packets explain the firewall's drop better. */
	tcp_gap(&r);
	drops(&r, "NETFILTER_DROP", "nft_do_chain", 3);
	r.side[SIDE_CLIENT].invalid = 3;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_LOCAL_DROP_INVALID);
	/* And the inspector's own blindness comes before all. */
	tcp_gap(&r);
	drops(&r, "NETFILTER_DROP", "nft_do_chain", 3);
	r.inspector.unseen = 9;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_INSPECTOR_LOSS);
}
END_TEST

/* No drop: a network cause carries the proof, or why there is none. */
START_TEST(test_exoneration)
{
	struct gap_record r;

	tcp_gap(&r);
	r.start_us = 1764648000ULL * USEC_PER_SEC;
	r.end_us = r.start_us + MS(5000);
	drops(&r, "", "", 0);
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_PATH_LOSS_TO_SERVER);
	ck_assert_ptr_nonnull(strstr(r.evidence, "; server kernel: 0 drops of "
		"this flow in the gap (watcher on since 2025-12-02T03:59:00.000000Z)"));

	r.drops.complete = 0;
	cause_classify(&r);
	ck_assert_ptr_nonnull(strstr(r.evidence, "no drop of this flow seen, but "
				     "some drop events were lost"));
	r.drops.watching = 0;
	cause_classify(&r);
	ck_assert_ptr_nonnull(strstr(r.evidence, "the watcher started after the "
				     "gap began"));

	/* A reconnect's SYN dropped: tied to the gap, the cause stays. */
	drops(&r, "", "", 0);
	r.drops.other_ports = 3;
	r.drops.other_syns = 2;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_PATH_LOSS_TO_SERVER);
	ck_assert_ptr_nonnull(strstr(r.evidence, "and 2 new connections (SYN) "
				     "from the client's address dropped"));

	/* Unwatched: the host's counters, said as the host's. */
	tcp_gap(&r);
	r.server_known = 1;
	r.server.udp_rcvbuf_errors = 56;
	r.server.nic_rx_missed = 2;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_PATH_LOSS_TO_SERVER);
	ck_assert_ptr_nonnull(strstr(r.evidence, "; server kernel: not watched; "
		"this host's counters in the gap: udp_rcvbuf_errors +56, "
		"nic_rx_missed +2"));
	/* Neither: nothing is said. */
	tcp_gap(&r);
	cause_classify(&r);
	ck_assert_ptr_null(strstr(r.evidence, "server kernel"));
}
END_TEST

START_TEST(test_table_full)
{
	struct gap_record r;

	/* Counters rising in the gap... */
	tcp_gap(&r);
	r.ct.available = 1;
	r.ct.health.early_drop = 3;
	r.ct.health.count = 1000;
	r.ct.health.max = 65536;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_CONNTRACK_TABLE_FULL);
	ck_assert_ptr_nonnull(strstr(r.evidence, "early_drop 3"));
	/* ...or the table at its maximum. */
	tcp_gap(&r);
	r.ct.available = 1;
	r.ct.health.count = 65536;
	r.ct.health.max = 65536;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_CONNTRACK_TABLE_FULL);
	ck_assert_ptr_nonnull(strstr(r.evidence, "65536/65536"));
	/* Without conntrack facts, counters are not looked at. */
	tcp_gap(&r);
	r.ct.health.drop = 3;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_PATH_LOSS_TO_SERVER);
}
END_TEST

START_TEST(test_destroyed)
{
	struct gap_record r;

	/* A flush: DESTROY not by timeout, INVALID packets after it. */
	tcp_gap(&r);
	r.ct.available = 1;
	add_event(&r, CT_EV_DESTROY, T0 + MS(100), 0);
	r.side[SIDE_CLIENT].invalid = 7;
	r.side[SIDE_SERVER].invalid = 2;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_CONNTRACK_DESTROYED);
	ck_assert_ptr_nonnull(strstr(r.evidence, "flush or reload"));
	ck_assert_ptr_nonnull(strstr(r.evidence, "9 INVALID"));
	/* A UDP flow picked up again by a mid-stream NEW. */
	tcp_gap(&r);
	r.key.proto = IPPROTO_UDP;
	r.ct.available = 1;
	add_event(&r, CT_EV_DESTROY, T0 + MS(100), 0);
	add_event(&r, CT_EV_NEW, T0 + MS(900), 0);
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_CONNTRACK_DESTROYED);
	ck_assert_ptr_nonnull(strstr(r.evidence, "mid-stream NEW"));
	/* A timeout inside a silence is its consequence: evidence only. */
	tcp_gap(&r);
	r.ct.available = 1;
	add_event(&r, CT_EV_DESTROY, T0 + MS(4000), 1);
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_PATH_LOSS_TO_SERVER);
	/* ...unless INVALID packets show the flow still wanted to talk. */
	r.side[SIDE_CLIENT].invalid = 1;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_CONNTRACK_DESTROYED);
	ck_assert_ptr_nonnull(strstr(r.evidence, "timed out"));
}
END_TEST

START_TEST(test_local_drop_invalid)
{
	struct gap_record r;

	tcp_gap(&r);
	r.side[SIDE_CLIENT].invalid = 5;
	r.side[SIDE_CLIENT].packets = 5;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_LOCAL_DROP_INVALID);
	ck_assert_ptr_nonnull(strstr(r.evidence, "5 client packets arrived"));
	ck_assert_str_eq(cause_name(r.cause), "local_drop_invalid");
	ck_assert_ptr_nonnull(strstr(cause_next_step(r.cause), "INVALID"));
}
END_TEST

START_TEST(test_nat_rebind)
{
	struct gap_record r;

	tcp_gap(&r);
	r.key.proto = IPPROTO_UDP;
	r.side[SIDE_SERVER].retransmits = 0;
	r.outcome = OUTCOME_RECONNECTED;
	r.reconnect_port = 40002;
	r.reconnect_delay_us = MS(1500);
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_NAT_REBIND);
	ck_assert_ptr_nonnull(strstr(r.evidence, "port 40002"));
	/* TCP: a fresh handshake is a reconnect, not a NAT rebinding. */
	r.key.proto = IPPROTO_TCP;
	r.side[SIDE_SERVER].retransmits = 3;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_PATH_LOSS_TO_SERVER);
}
END_TEST

START_TEST(test_pmtu_and_path_to_client)
{
	struct gap_record r;

	tcp_gap(&r);
	r.trigger = TRIGGER_UNACKED;
	r.side[SIDE_CLIENT].packets = 12;	/* heartbeats still pass */
	r.side[SIDE_CLIENT].mss = 1460;
	r.side[SIDE_SERVER].retransmits = 4;
	r.side[SIDE_SERVER].big_retransmits = 4;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_PMTU_BLACKHOLE);
	ck_assert_ptr_nonnull(strstr(r.evidence, "MSS 1460"));
	/* No SYN seen (joined mid-stream): the MSS is unknown, and the
	 * evidence says so instead of "MSS 0". */
	r.side[SIDE_CLIENT].mss = 0;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_PMTU_BLACKHOLE);
	ck_assert_ptr_nonnull(strstr(r.evidence, "MSS unknown"));
	ck_assert_ptr_null(strstr(r.evidence, "MSS 0"));
	/* Small segments lost as well: the path, not the MTU. */
	r.side[SIDE_SERVER].big_retransmits = 1;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_PATH_LOSS_TO_CLIENT);
	ck_assert_ptr_nonnull(strstr(r.evidence, "12 client packets"));
}
END_TEST

START_TEST(test_udp_and_stalls)
{
	struct gap_record r;

	/* UDP: the server kept sending into the client's silence. */
	tcp_gap(&r);
	r.key.proto = IPPROTO_UDP;
	r.side[SIDE_SERVER].retransmits = 0;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_PATH_LOSS_TO_SERVER);
	ck_assert_ptr_nonnull(strstr(r.evidence, "UDP"));
	/* TCP: ACKs from the client long after its data was due. */
	tcp_gap(&r);
	r.side[SIDE_SERVER].retransmits = 0;
	r.side[SIDE_CLIENT].packets = 4;
	r.side[SIDE_CLIENT].last_packet_us = T0 + MS(3000);
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_CLIENT_APP_STALL);
	/* Both silent, nothing else known. */
	tcp_gap(&r);
	r.silent = SILENT_BOTH;
	r.side[SIDE_SERVER].retransmits = 0;
	r.side[SIDE_SERVER].packets = 0;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(r.evidence, "both directions"));
}
END_TEST

/*
 * The evidence names the side that retransmitted, as the record's own
 * counters do (it once said "the client retransmitted" with the server's
 * count for every silent client).
 */
START_TEST(test_retransmitting_side_named)
{
	struct gap_record r;

	/* A silent client, opened by the server's unacknowledged data, and
	 * no client packet since. */
	tcp_gap(&r);
	r.trigger = TRIGGER_UNACKED;
	r.side[SIDE_SERVER].retransmits = 5;
	r.side[SIDE_SERVER].bytes_in_flight = 120;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_UNKNOWN);
	ck_assert_str_eq(r.evidence, "the server retransmitted 5 times (120 "
			 "bytes unacknowledged) and no client packet arrived");
	/* Both sides silent: the same counters, the same sentence. */
	r.silent = SILENT_BOTH;
	cause_classify(&r);
	ck_assert_ptr_nonnull(strstr(r.evidence, "the server retransmitted 5 times"));
	/* A silent server: the client retransmits into it. */
	tcp_gap(&r);
	r.silent = SILENT_SERVER;
	r.side[SIDE_SERVER].retransmits = 0;
	r.side[SIDE_SERVER].packets = 0;
	r.side[SIDE_CLIENT].packets = 3;
	r.side[SIDE_CLIENT].retransmits = 3;
	cause_classify(&r);
	ck_assert_int_eq(r.cause, CAUSE_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(r.evidence, "the client retransmitted 3 times"));
}
END_TEST

START_TEST(test_every_cause_has_texts)
{
	int c;

	for (c = CAUSE_INSPECTOR_LOSS; c < CAUSE_MAX; c++) {
		ck_assert_ptr_nonnull(cause_name(c));
		ck_assert_uint_gt(strlen(cause_explanation(c)), 20);
		ck_assert_uint_gt(strlen(cause_next_step(c)), 20);
	}
}
END_TEST

/* --- clusters --- */

static void open_at(struct cluster_state *cs, struct gap_record *r,
		    uint64_t start, int open)
{
	memset(r, 0, sizeof(*r));
	r->is_open_event = (uint8_t)open;
	r->start_us = start;
	cluster_assign(cs, r);
}

START_TEST(test_clusters)
{
	struct cluster_state cs;
	struct gap_record r, first;
	int k;

	memset(&cs, 0, sizeof(cs));
	/* One gap alone is not a cluster. */
	open_at(&cs, &first, T0, 1);
	ck_assert_uint_eq(first.cluster.id, 0);
	/* Nine more within a second: all join it, the size grows. */
	for (k = 1; k < 10; k++) {
		open_at(&cs, &r, T0 + MS(80) * k - MS(300), 1);
		ck_assert_uint_eq(r.cluster.size, (uint32_t)k + 1);
	}
	ck_assert_uint_ne(r.cluster.id, 0);
	ck_assert_uint_eq(r.cluster.first_start_us, T0 - MS(220));
	/* A closing record reads the size without adding to it. */
	open_at(&cs, &r, T0, 0);
	ck_assert_uint_eq(r.cluster.size, 10);
	open_at(&cs, &r, T0, 0);
	ck_assert_uint_eq(r.cluster.size, 10);
	/* Ten seconds later: another event, another cluster. */
	open_at(&cs, &r, T0 + MS(10000), 1);
	ck_assert_uint_eq(r.cluster.id, 0);
	open_at(&cs, &r, T0 + MS(10100), 1);
	ck_assert_uint_eq(r.cluster.size, 2);
	ck_assert_uint_ne(r.cluster.id, first.cluster.id);
}
END_TEST

/* --- the engine with marks --- */

struct collected {
	struct gap_record rec[16];
	int n;
};

static void collect(void *ctx, const struct gap_record *rec)
{
	struct collected *c = ctx;

	/* The correlator classifies what the engine reports. */
	if (c->n < 16) {
		c->rec[c->n] = *rec;
		cause_classify(&c->rec[c->n++]);
	}
}

static struct engine *engine_for(struct portset *ports, struct collected *c)
{
	struct engine_config cfg;
	struct gw_time now = { T0, T0, 0 };
	char err[100];

	ck_assert_int_eq(portset_parse(ports, "7781", err, sizeof(err)), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.ports = ports;
	cfg.max_flows = 64;
	cfg.gap_min_us = MS(1000);
	cfg.gap_factor = 3;
	cfg.flow_timeout_us = 60 * USEC_PER_SEC;
	cfg.closed_linger_us = 10 * USEC_PER_SEC;
	cfg.reconnect_window_us = 60 * USEC_PER_SEC;
	cfg.invalid_mark = ENGINE_INVALID_MARK;
	return engine_new(&cfg, collect, c, &now);
}

static void send_pkt(struct engine *e, uint64_t at, int from_client,
		     uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len,
		     uint16_t mss, uint32_t mark)
{
	struct pktspec s = {
		.family = AF_INET, .proto = IPPROTO_TCP,
		.src = from_client ? "198.18.0.1" : "198.18.2.2",
		.dst = from_client ? "198.18.2.2" : "198.18.0.1",
		.sport = from_client ? 40000 : 7781,
		.dport = from_client ? 7781 : 40000,
		.tcp_flags = flags, .seq = seq, .ack = ack, .window = 1000,
		.mss = mss, .payload_len = len,
	};
	uint8_t buf[4096];
	struct gw_time now = { at, at, 0 };
	size_t n = pktbuild(buf, sizeof(buf), &s);

	ck_assert_uint_gt(n, 0);
	engine_tick(e, &now);
	engine_packet_marked(e, buf, n, n, mark, &now);
}

static void tick_to(struct engine *e, uint64_t from, uint64_t to)
{
	struct gw_time now;
	uint64_t t;

	for (t = from; t <= to; t += MS(10)) {
		now.mono_us = now.wall_us = t;
		engine_tick(e, &now);
	}
}

/* Client heartbeats every 200 ms for 2 s (learned), then its packets
 * keep coming but all marked INVALID: a gap, not liveness. */
START_TEST(test_invalid_is_not_liveness)
{
	struct portset ports;
	struct collected c = { .n = 0 };
	struct engine *e = engine_for(&ports, &c);
	uint32_t cs = 1000, ss = 5000;
	uint64_t t;

	send_pkt(e, T0, 1, PKT_TCP_SYN, cs++, 0, 0, 1460, 0);
	send_pkt(e, T0 + MS(5), 0, PKT_TCP_SYN | PKT_TCP_ACK, ss++, cs, 0, 1460, 0);
	for (t = T0 + MS(10); t < T0 + MS(2000); t += MS(200)) {
		send_pkt(e, t, 1, PKT_TCP_ACK | PKT_TCP_PSH, cs, ss, 20, 0, 0);
		cs += 20;
		send_pkt(e, t + MS(5), 0, PKT_TCP_ACK, ss, cs, 0, 0, 0);
	}
	for (; t < T0 + MS(4000); t += MS(200)) {
		send_pkt(e, t, 1, PKT_TCP_ACK | PKT_TCP_PSH, cs, ss, 20, 0,
			 ENGINE_INVALID_MARK);
		cs += 20;
	}
	engine_finish(e, &(struct gw_time){ t, t, 0 });
	ck_assert_int_eq(c.n, 2);
	ck_assert_uint_eq(c.rec[0].is_open_event, 1);
	ck_assert_uint_eq(c.rec[1].side[SIDE_CLIENT].invalid, 10);
	ck_assert_uint_ne(c.rec[1].invalid_first_us, 0);
	ck_assert_uint_gt(c.rec[1].invalid_last_us, c.rec[1].invalid_first_us);
	ck_assert_int_eq(c.rec[1].cause, CAUSE_LOCAL_DROP_INVALID);
	ck_assert_uint_eq(engine_counters(e)[EC_INVALID], 10);
	engine_free(e);
}
END_TEST

/* The client's heartbeats pass and are acknowledged; a big server write
 * is never acknowledged and is retransmitted: a partial silence. */
START_TEST(test_unacked_big_segment)
{
	struct portset ports;
	struct collected c = { .n = 0 };
	struct engine *e = engine_for(&ports, &c);
	uint32_t cs = 1000, ss = 5000, big;
	uint64_t t;
	int k = 0;

	send_pkt(e, T0, 1, PKT_TCP_SYN, cs++, 0, 0, 1460, 0);
	send_pkt(e, T0 + MS(5), 0, PKT_TCP_SYN | PKT_TCP_ACK, ss++, cs, 0, 1460, 0);
	for (t = T0 + MS(10); t < T0 + MS(2000); t += MS(200)) {
		send_pkt(e, t, 1, PKT_TCP_ACK | PKT_TCP_PSH, cs, ss, 20, 0, 0);
		cs += 20;
		send_pkt(e, t + MS(5), 0, PKT_TCP_ACK | PKT_TCP_PSH, ss, cs, 30, 0, 0);
		ss += 30;
		send_pkt(e, t + MS(10), 1, PKT_TCP_ACK, cs, ss, 0, 0, 0);
	}
	/* 1400 bytes from the server: never acknowledged. */
	big = ss;
	send_pkt(e, t, 0, PKT_TCP_ACK | PKT_TCP_PSH, big, cs, 1400, 0, 0);
	ss += 1400;
	for (; t < T0 + MS(6000); t += MS(200)) {
		/* The client's heartbeats still arrive, acking the old data. */
		send_pkt(e, t + MS(1), 1, PKT_TCP_ACK | PKT_TCP_PSH, cs, big, 20, 0, 0);
		cs += 20;
		if (++k % 4 == 0)
			send_pkt(e, t + MS(2), 0, PKT_TCP_ACK, big, cs, 1400, 0, 0);
	}
	tick_to(e, t, t + MS(100));
	ck_assert_int_ge(c.n, 1);
	ck_assert_uint_eq(c.rec[0].is_open_event, 1);
	ck_assert_uint_eq(c.rec[0].trigger, TRIGGER_UNACKED);
	ck_assert_int_eq(c.rec[0].silent, SILENT_CLIENT);
	ck_assert_uint_gt(c.rec[0].side[SIDE_SERVER].big_retransmits, 0);
	ck_assert_int_eq(c.rec[0].cause, CAUSE_PMTU_BLACKHOLE);
	/* The acknowledgement comes at last: the gap ends, resumed. */
	send_pkt(e, t + MS(200), 1, PKT_TCP_ACK, cs, ss, 0, 0, 0);
	ck_assert_int_eq(c.n, 2);
	ck_assert_int_eq(c.rec[1].outcome, OUTCOME_RESUMED);
	ck_assert_int_eq(c.rec[1].cause, CAUSE_PMTU_BLACKHOLE);
	engine_free(e);
}
END_TEST

static Suite *cause_suite(void)
{
	Suite *s = suite_create("cause");
	TCase *tc = tcase_create("classify");

	tcase_add_test(tc, test_path_loss_to_server);
	tcase_add_test(tc, test_inspector_loss_first);
	tcase_add_test(tc, test_unseen_is_inspector_loss);
	tcase_add_test(tc, test_id_holes_and_stall_alone);
	tcase_add_test(tc, test_partly_blind);
	tcase_add_test(tc, test_local_drops);
	tcase_add_test(tc, test_exoneration);
	tcase_add_test(tc, test_table_full);
	tcase_add_test(tc, test_destroyed);
	tcase_add_test(tc, test_local_drop_invalid);
	tcase_add_test(tc, test_nat_rebind);
	tcase_add_test(tc, test_pmtu_and_path_to_client);
	tcase_add_test(tc, test_udp_and_stalls);
	tcase_add_test(tc, test_retransmitting_side_named);
	tcase_add_test(tc, test_every_cause_has_texts);
	suite_add_tcase(s, tc);
	tc = tcase_create("clusters");
	tcase_add_test(tc, test_clusters);
	suite_add_tcase(s, tc);
	tc = tcase_create("engine");
	tcase_add_test(tc, test_invalid_is_not_liveness);
	tcase_add_test(tc, test_unacked_big_segment);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cause_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
