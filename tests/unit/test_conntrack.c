/*
 * test_conntrack.c - the conntrack module without a kernel: entries
 * (built with libnetfilter_conntrack, never sent) mapped to flow keys and
 * filled into records, event messages typed, each flow's event history
 * and the part of it a gap's window selects, timeouts recognised, lost
 * events counted, resyncs, the table's health from its samples, the
 * eviction of the stalest history, and the at_open lookups kept for the
 * closing record.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "addr.h"
#include "conntrack.h"
#include "flowkey.h"
#include "portset.h"

#define SEC		USEC_PER_SEC
#define T0		(1700000000ULL * SEC)	/* a wall time */
#define GAME_PORT	7781

static struct portset ports;

/* An address as the engine keys it: IPv4 v4-mapped (addr.h). */
static struct in6_addr ip(const char *text)
{
	struct in6_addr a;
	struct in_addr v4;

	if (inet_pton(AF_INET, text, &v4) == 1)
		addr_from_v4(&a, &v4);
	else
		ck_assert_int_eq(inet_pton(AF_INET6, text, &a), 1);
	return a;
}

/* Flow n: client 10.0.0.n:40000+n to the game server. */
static struct flow_key key_n(unsigned int n)
{
	struct flow_key k;
	char buf[32];

	memset(&k, 0, sizeof(k));
	snprintf(buf, sizeof(buf), "10.0.%u.%u", n >> 8, n & 255);
	k.client = ip(buf);
	k.server = ip("203.0.113.1");
	k.client_port = (uint16_t)(40000 + n);
	k.server_port = GAME_PORT;
	k.proto = IPPROTO_UDP;
	return k;
}

static struct ct *new_ct(uint32_t max_tracked)
{
	struct ct_config cfg = { .ports = &ports, .max_tracked = max_tracked };
	char err[128];
	struct ct *ct = ct_new(&cfg, err, sizeof(err));

	ck_assert_msg(ct != NULL, "ct_new: %s", err);
	return ct;
}

static void event(struct ct *ct, const struct flow_key *k, uint8_t type,
		  uint64_t wall_us, uint32_t timeout_s)
{
	struct ct_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.wall_us = wall_us;
	ev.timeout_s = timeout_s;
	ct_track_event(ct, k, &ev);
}

/* A closed gap of flow k from start to end, silent both ways. */
static struct gap_record gap(const struct flow_key *k, uint64_t start,
			     uint64_t end)
{
	struct gap_record r;

	memset(&r, 0, sizeof(r));
	r.key = *k;
	r.seq = 1;
	r.silent = SILENT_BOTH;
	r.start_us = start;
	r.detected_us = start + SEC / 2;
	r.end_us = end;
	return r;
}

/* What ct_window says of that gap. */
static struct gap_record window(const struct ct *ct, const struct flow_key *k,
				uint64_t start, uint64_t end)
{
	struct gap_record r = gap(k, start, end);

	ct_window(ct, &r);
	return r;
}

static void tcp_entry4(struct nf_conntrack *c, const char *src, uint16_t sport,
		       const char *dst, uint16_t dport)
{
	struct in_addr s, d;

	ck_assert_int_eq(inet_pton(AF_INET, src, &s), 1);
	ck_assert_int_eq(inet_pton(AF_INET, dst, &d), 1);
	nfct_set_attr_u8(c, ATTR_ORIG_L3PROTO, AF_INET);
	nfct_set_attr_u8(c, ATTR_ORIG_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u32(c, ATTR_ORIG_IPV4_SRC, s.s_addr);
	nfct_set_attr_u32(c, ATTR_ORIG_IPV4_DST, d.s_addr);
	nfct_set_attr_u16(c, ATTR_ORIG_PORT_SRC, htons(sport));
	nfct_set_attr_u16(c, ATTR_ORIG_PORT_DST, htons(dport));
}

static void put_counters(struct nlmsghdr *nlh, uint16_t type, uint64_t packets,
			 uint64_t bytes)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(packets));
	mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(bytes));
	mnl_attr_nest_end(nlh, nest);
}

/*
 * Parse into c a ctnetlink NEW message of a TCP entry with this state,
 * timeout, mark and status, and counters 10/1000 (original) and 20/2000
 * (reply).
 */
static void entry_message(struct nf_conntrack *c, uint8_t state,
			  uint32_t timeout, uint32_t mark, uint32_t status)
{
	char buf[1024];		/* room for one entry's attributes */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nlattr *proto, *tcp;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(timeout));
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(status));
	proto = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
	tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
	mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, state);
	mnl_attr_nest_end(nlh, tcp);
	mnl_attr_nest_end(nlh, proto);
	put_counters(nlh, CTA_COUNTERS_ORIG, 10, 1000);
	put_counters(nlh, CTA_COUNTERS_REPLY, 20, 2000);
	ck_assert_int_eq(nfct_nlmsg_parse(nlh, c), 0);
}

START_TEST(test_new_bad)
{
	struct ct_config cfg = { .ports = &ports, .max_tracked = 0 };
	char err[128] = "";

	ck_assert_ptr_null(ct_new(&cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "cannot track 0 flows"));
	ct_close(NULL);
}
END_TEST

START_TEST(test_entry_key_v4)
{
	struct nf_conntrack *c = nfct_new();
	struct flow_key k, want;

	ck_assert_ptr_nonnull(c);
	/* Opened by the client: client first, v4-mapped. */
	tcp_entry4(c, "198.51.100.7", 40001, "203.0.113.1", GAME_PORT);
	ck_assert_int_eq(ct_entry_key(&ports, c, &k), 0);
	memset(&want, 0, sizeof(want));
	want.client = ip("198.51.100.7");
	want.server = ip("203.0.113.1");
	want.client_port = 40001;
	want.server_port = GAME_PORT;
	want.proto = IPPROTO_TCP;
	ck_assert_mem_eq(&k, &want, sizeof(k));
	/* Opened by the server (its port is the source): still client
	 * first, the same key. */
	tcp_entry4(c, "203.0.113.1", GAME_PORT, "198.51.100.7", 40001);
	memset(&k, 0xaa, sizeof(k));
	ck_assert_int_eq(ct_entry_key(&ports, c, &k), 0);
	ck_assert_mem_eq(&k, &want, sizeof(k));
	/* No game port: not ours. */
	tcp_entry4(c, "198.51.100.7", 40001, "203.0.113.1", 80);
	ck_assert_int_eq(ct_entry_key(&ports, c, &k), -1);
	/* Neither TCP nor UDP. */
	tcp_entry4(c, "198.51.100.7", 40001, "203.0.113.1", GAME_PORT);
	nfct_set_attr_u8(c, ATTR_ORIG_L4PROTO, IPPROTO_ICMP);
	ck_assert_int_eq(ct_entry_key(&ports, c, &k), -1);
	/* Neither IPv4 nor IPv6. */
	tcp_entry4(c, "198.51.100.7", 40001, "203.0.113.1", GAME_PORT);
	nfct_set_attr_u8(c, ATTR_ORIG_L3PROTO, AF_UNSPEC);
	ck_assert_int_eq(ct_entry_key(&ports, c, &k), -1);
	nfct_destroy(c);
}
END_TEST

START_TEST(test_entry_key_v6)
{
	struct nf_conntrack *c = nfct_new();
	struct in6_addr cl = ip("2001:db8::7"), sv = ip("2001:db8:1::1");
	struct flow_key k;

	ck_assert_ptr_nonnull(c);
	nfct_set_attr_u8(c, ATTR_ORIG_L3PROTO, AF_INET6);
	nfct_set_attr_u8(c, ATTR_ORIG_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u16(c, ATTR_ORIG_PORT_SRC, htons(50000));
	nfct_set_attr_u16(c, ATTR_ORIG_PORT_DST, htons(GAME_PORT));
	/* Without its addresses an entry is not used. */
	ck_assert_int_eq(ct_entry_key(&ports, c, &k), -1);
	nfct_set_attr(c, ATTR_ORIG_IPV6_SRC, &cl);
	nfct_set_attr(c, ATTR_ORIG_IPV6_DST, &sv);
	ck_assert_int_eq(ct_entry_key(&ports, c, &k), 0);
	ck_assert_mem_eq(&k.client, &cl, sizeof(cl));
	ck_assert_mem_eq(&k.server, &sv, sizeof(sv));
	ck_assert_uint_eq(k.client_port, 50000);
	ck_assert_uint_eq(k.server_port, GAME_PORT);
	ck_assert_uint_eq(k.proto, IPPROTO_UDP);
	nfct_destroy(c);
}
END_TEST

START_TEST(test_entry_fill)
{
	struct nf_conntrack *c = nfct_new();
	struct ct_entry e;

	ck_assert_ptr_nonnull(c);
	/* Nothing set: found, and the rest as it was. */
	memset(&e, 0, sizeof(e));
	e.timeout_s = 99;
	ct_entry_fill(c, &e);
	ck_assert_uint_eq(e.found, 1);
	ck_assert_uint_eq(e.timeout_s, 99);
	ck_assert_uint_eq(e.packets[0], 0);

	/* The counters cannot be set, only parsed: the whole entry comes
	 * from a message, as the kernel would send it. */
	entry_message(c, 3, 431999, CT_CONNMARK | 1, 0x18e);
	memset(&e, 0, sizeof(e));
	ct_entry_fill(c, &e);
	ck_assert_uint_eq(e.found, 1);
	ck_assert_uint_eq(e.looked_up, 0);	/* the caller's to say */
	ck_assert_uint_eq(e.tcp_state, 3);
	ck_assert_uint_eq(e.timeout_s, 431999);
	ck_assert_uint_eq(e.mark, CT_CONNMARK | 1);
	ck_assert_uint_eq(e.status, 0x18e);
	ck_assert_uint_eq(e.packets[0], 10);
	ck_assert_uint_eq(e.packets[1], 20);
	ck_assert_uint_eq(e.bytes[0], 1000);
	ck_assert_uint_eq(e.bytes[1], 2000);
	nfct_destroy(c);
}
END_TEST

START_TEST(test_event_type)
{
	uint16_t new = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	uint16_t del = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	uint16_t get = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;

	ck_assert_int_eq(ct_event_type(new, NLM_F_CREATE | NLM_F_EXCL), CT_EV_NEW);
	ck_assert_int_eq(ct_event_type(new, NLM_F_CREATE), CT_EV_NEW);
	ck_assert_int_eq(ct_event_type(new, NLM_F_EXCL), CT_EV_NEW);
	ck_assert_int_eq(ct_event_type(new, 0), CT_EV_UPDATE);
	ck_assert_int_eq(ct_event_type(del, 0), CT_EV_DESTROY);
	ck_assert_int_eq(ct_event_type(get, 0), -1);
}
END_TEST

START_TEST(test_history_keeps_last)
{
	struct ct *ct = new_ct(16);
	struct flow_key k = key_n(1), other = key_n(2);
	struct gap_record r;
	unsigned int n;

	/* Ten events, one a second: the history keeps the last six, in
	 * order; the other flow's events are its own. */
	for (n = 0; n < 10; n++)
		event(ct, &k, n ? CT_EV_UPDATE : CT_EV_NEW, T0 + n * SEC, 30);
	event(ct, &other, CT_EV_NEW, T0 + 5 * SEC, 30);
	ck_assert_uint_eq(ct_counters(ct)->tracked, 2);
	r = window(ct, &k, T0 + SEC, T0 + 20 * SEC);
	ck_assert_uint_eq(r.ct.available, 1);
	ck_assert_uint_eq(r.ct.nevents, CT_HISTORY);
	for (n = 0; n < CT_HISTORY; n++) {
		ck_assert_uint_eq(r.ct.events[n].wall_us,
				  T0 + (10 - CT_HISTORY + n) * SEC);
		ck_assert_uint_eq(r.ct.events[n].type, CT_EV_UPDATE);
	}
	ck_assert_uint_eq(r.ct.events_missed, 0);
	/* A flow with no history: available, no events. */
	k = key_n(3);
	r = window(ct, &k, T0, T0 + 20 * SEC);
	ck_assert_uint_eq(r.ct.available, 1);
	ck_assert_uint_eq(r.ct.nevents, 0);
	ct_close(ct);
}
END_TEST

START_TEST(test_window_bounds)
{
	struct ct *ct = new_ct(16);
	struct flow_key k = key_n(1);
	const uint64_t start = T0 + 10 * SEC, end = T0 + 20 * SEC;
	struct gap_record r;

	/* Around the closed gap's window [start - lead, end + grace]. */
	event(ct, &k, CT_EV_UPDATE, start - CT_WINDOW_LEAD_US - 1, 30);
	event(ct, &k, CT_EV_UPDATE, start - CT_WINDOW_LEAD_US, 30);
	event(ct, &k, CT_EV_UPDATE, start + 2 * SEC, 30);
	event(ct, &k, CT_EV_UPDATE, end + CT_GRACE_US, 30);
	event(ct, &k, CT_EV_UPDATE, end + CT_GRACE_US + 1, 30);
	r = window(ct, &k, start, end);
	ck_assert_uint_eq(r.ct.nevents, 3);
	ck_assert_uint_eq(r.ct.events[0].wall_us, start - CT_WINDOW_LEAD_US);
	ck_assert_uint_eq(r.ct.events[1].wall_us, start + 2 * SEC);
	ck_assert_uint_eq(r.ct.events[2].wall_us, end + CT_GRACE_US);
	/* An open record's window ends at its detection. */
	r = gap(&k, start, end);
	r.is_open_event = 1;
	r.detected_us = start + 2 * SEC - 1;
	ct_window(ct, &r);
	ck_assert_uint_eq(r.ct.nevents, 1);
	r.detected_us = start + 2 * SEC;
	ct_window(ct, &r);
	ck_assert_uint_eq(r.ct.nevents, 2);
	/* A gap starting within the lead of time zero: from 0. */
	r = window(ct, &k, SEC / 2, end);
	ck_assert_uint_eq(r.ct.nevents, 4);
	ck_assert_uint_eq(r.ct.events[0].wall_us, start - CT_WINDOW_LEAD_US - 1);
	ct_close(ct);
}
END_TEST

START_TEST(test_destroy_by_timeout)
{
	struct ct *ct = new_ct(16);
	struct flow_key k = key_n(1), q = key_n(2), z = key_n(3);
	const uint64_t start = T0 + 10 * SEC;
	struct gap_record r;

	/* Timeout 30 s at the last UPDATE: a DESTROY at start + 28 s (the
	 * slack's edge) is a timeout, one a microsecond earlier is not. */
	event(ct, &k, CT_EV_UPDATE, start - SEC / 2, 30);
	event(ct, &k, CT_EV_DESTROY, start + 30 * SEC - CT_TIMEOUT_SLACK_US - 1, 0);
	event(ct, &k, CT_EV_DESTROY, start + 30 * SEC - CT_TIMEOUT_SLACK_US, 0);
	r = window(ct, &k, start, start + 40 * SEC);
	ck_assert_uint_eq(r.ct.nevents, 3);
	ck_assert_uint_eq(r.ct.events[0].by_timeout, 0);	/* UPDATE */
	ck_assert_uint_eq(r.ct.events[1].by_timeout, 0);
	ck_assert_uint_eq(r.ct.events[2].by_timeout, 1);
	/* The DESTROY's own zero timeout did not replace the 30 s. */
	ck_assert_uint_eq(r.ct.events[2].timeout_s, 0);

	/* Only the client silent, and the server sent in the window: the
	 * flow was not quiet, so no timeout. */
	r = gap(&k, start, start + 40 * SEC);
	r.silent = SILENT_CLIENT;
	r.side[SIDE_SERVER].packets = 3;
	ct_window(ct, &r);
	ck_assert_uint_eq(r.ct.events[2].by_timeout, 0);
	/* The server silent and the client sent nothing: quiet. */
	r.silent = SILENT_SERVER;
	r.side[SIDE_SERVER].packets = 3;
	r.side[SIDE_CLIENT].packets = 0;
	ct_window(ct, &r);
	ck_assert_uint_eq(r.ct.events[2].by_timeout, 1);

	/* No timeout ever known: never by_timeout. */
	event(ct, &z, CT_EV_NEW, start - SEC / 2, 0);
	event(ct, &z, CT_EV_DESTROY, start + 100 * SEC, 0);
	r = window(ct, &z, start, start + 100 * SEC);
	ck_assert_uint_eq(r.ct.nevents, 2);
	ck_assert_uint_eq(r.ct.events[1].by_timeout, 0);

	/* The last known timeout is the latest NEW/UPDATE's: 10 s. */
	event(ct, &q, CT_EV_NEW, start - SEC / 2, 120);
	event(ct, &q, CT_EV_UPDATE, start - SEC / 4, 10);
	event(ct, &q, CT_EV_DESTROY, start + 8 * SEC, 0);
	r = window(ct, &q, start, start + 9 * SEC);
	ck_assert_uint_eq(r.ct.nevents, 3);
	ck_assert_uint_eq(r.ct.events[2].by_timeout, 1);
	ct_close(ct);
}
END_TEST

START_TEST(test_missed_events)
{
	struct ct *ct = new_ct(16);
	struct flow_key k = key_n(1);
	const uint64_t start = T0 + 100 * SEC, end = start + 10 * SEC;
	struct gap_record r;
	unsigned int n;

	ct_resync_begin(ct, start - CT_WINDOW_LEAD_US - 1);	/* before */
	ct_resync_begin(ct, start);
	ct_resync_begin(ct, end + CT_GRACE_US);
	ct_resync_begin(ct, end + CT_GRACE_US + 1);		/* after */
	ck_assert_uint_eq(ct_counters(ct)->resyncs, 4);
	r = window(ct, &k, start, end);
	ck_assert_uint_eq(r.ct.events_missed, 2);
	ck_assert_uint_eq(r.ct.nevents, 0);
	/* Only the last CT_MISSED times are remembered. */
	for (n = 0; n < CT_MISSED + 6; n++)
		ct_resync_begin(ct, start + n);
	ct_window(ct, &r);
	ck_assert_uint_eq(r.ct.events_missed, CT_MISSED);
	ct_close(ct);
}
END_TEST

START_TEST(test_resync_destroys_vanished)
{
	struct ct *ct = new_ct(16);
	struct flow_key a = key_n(1), b = key_n(2), c = key_n(3), d = key_n(4);
	const uint64_t t = T0 + 50 * SEC;
	struct gap_record r;

	event(ct, &a, CT_EV_NEW, T0, 30);
	event(ct, &b, CT_EV_NEW, T0, 30);
	event(ct, &c, CT_EV_NEW, T0, 30);
	event(ct, &c, CT_EV_DESTROY, T0 + SEC, 0);
	ct_resync_begin(ct, t);
	ct_resync_seen(ct, &a);		/* a's entry is still there */
	ct_resync_seen(ct, &d);		/* d has no history: nothing */
	ct_resync_end(ct, t);
	/* a: untouched; b: vanished, a DESTROY at t; c: already gone. */
	r = window(ct, &a, T0 + SEC, t);
	ck_assert_uint_eq(r.ct.nevents, 1);
	r = window(ct, &b, T0 + SEC, t);
	ck_assert_uint_eq(r.ct.nevents, 2);
	ck_assert_uint_eq(r.ct.events[1].type, CT_EV_DESTROY);
	ck_assert_uint_eq(r.ct.events[1].wall_us, t);
	r = window(ct, &c, T0 + SEC, t);
	ck_assert_uint_eq(r.ct.nevents, 2);
	ck_assert_uint_eq(r.ct.events[1].wall_us, T0 + SEC);
	ck_assert_uint_eq(ct_counters(ct)->tracked, 3);	/* no d */
	/* A second resync that sees no entry: a gets its DESTROY now, b
	 * none again (its last event is one). */
	ct_resync_begin(ct, t + SEC);
	ct_resync_end(ct, t + SEC);
	r = window(ct, &a, T0 + SEC, t + SEC);
	ck_assert_uint_eq(r.ct.nevents, 2);
	ck_assert_uint_eq(r.ct.events[1].type, CT_EV_DESTROY);
	ck_assert_uint_eq(r.ct.events[1].wall_us, t + SEC);
	r = window(ct, &b, T0 + SEC, t + SEC);
	ck_assert_uint_eq(r.ct.nevents, 2);
	ck_assert_uint_eq(ct_counters(ct)->resyncs, 2);
	ct_close(ct);
}
END_TEST

static struct ct_health health(uint32_t count, uint64_t base)
{
	struct ct_health h;

	h.count = count;
	h.max = 262144;
	h.invalid = base + 1;
	h.drop = base + 2;
	h.early_drop = base + 3;
	h.insert_failed = base + 4;
	h.error = base + 5;
	h.search_restart = base + 6;
	return h;
}

START_TEST(test_health)
{
	struct ct *ct = new_ct(16);
	struct flow_key k = key_n(1);
	struct ct_health h;
	struct gap_record r;

	/* No samples yet: no health. */
	r = window(ct, &k, T0, T0 + SEC);
	ck_assert_uint_eq(r.ct.health.max, 0);
	ck_assert_uint_eq(r.ct.health.drop, 0);

	h = health(100, 0);
	ct_add_sample(ct, T0, &h);
	h = health(200, 10);
	ct_add_sample(ct, T0 + SEC, &h);
	h = health(300, 1000);
	ct_add_sample(ct, T0 + 2 * SEC, &h);
	ck_assert_uint_eq(ct_counters(ct)->count, 300);
	ck_assert_uint_eq(ct_counters(ct)->max, 262144);
	/* From the sample at or before the start to the newest. */
	r = window(ct, &k, T0 + SEC + SEC / 2, T0 + 2 * SEC);
	ck_assert_uint_eq(r.ct.health.count, 300);
	ck_assert_uint_eq(r.ct.health.max, 262144);
	ck_assert_uint_eq(r.ct.health.invalid, 990);
	ck_assert_uint_eq(r.ct.health.drop, 990);
	ck_assert_uint_eq(r.ct.health.early_drop, 990);
	ck_assert_uint_eq(r.ct.health.insert_failed, 990);
	ck_assert_uint_eq(r.ct.health.error, 990);
	ck_assert_uint_eq(r.ct.health.search_restart, 990);
	/* Starting before every sample: from the oldest. */
	r = window(ct, &k, T0 - 5 * SEC, T0);
	ck_assert_uint_eq(r.ct.health.drop, 1000);
	/* Starting at the newest: no growth, the size still given. */
	r = window(ct, &k, T0 + 2 * SEC, T0 + 3 * SEC);
	ck_assert_uint_eq(r.ct.health.drop, 0);
	ck_assert_uint_eq(r.ct.health.count, 300);
	ct_close(ct);
}
END_TEST

START_TEST(test_eviction)
{
	struct ct *ct = new_ct(3);
	struct flow_key a = key_n(1), b = key_n(2), c = key_n(3), d = key_n(4);
	struct gap_record r;

	event(ct, &a, CT_EV_NEW, T0, 30);
	event(ct, &b, CT_EV_NEW, T0 + 1, 30);
	event(ct, &c, CT_EV_NEW, T0 + 2, 30);
	event(ct, &a, CT_EV_UPDATE, T0 + 3, 30);	/* a: recent again */
	ck_assert_uint_eq(ct_counters(ct)->tracked, 3);
	ck_assert_uint_eq(ct_counters(ct)->evicted, 0);
	/* A fourth flow: b, the stalest, gives way. */
	event(ct, &d, CT_EV_NEW, T0 + 4, 30);
	ck_assert_uint_eq(ct_counters(ct)->tracked, 3);
	ck_assert_uint_eq(ct_counters(ct)->evicted, 1);
	r = window(ct, &b, T0 + SEC, T0 + 2 * SEC);
	ck_assert_uint_eq(r.ct.nevents, 0);
	r = window(ct, &a, T0 + SEC, T0 + 2 * SEC);
	ck_assert_uint_eq(r.ct.nevents, 2);
	/* b comes back with a fresh history, evicting c. */
	event(ct, &b, CT_EV_UPDATE, T0 + 5, 30);
	ck_assert_uint_eq(ct_counters(ct)->evicted, 2);
	r = window(ct, &b, T0 + SEC, T0 + 2 * SEC);
	ck_assert_uint_eq(r.ct.nevents, 1);
	ck_assert_uint_eq(r.ct.events[0].wall_us, T0 + 5);
	r = window(ct, &c, T0 + SEC, T0 + 2 * SEC);
	ck_assert_uint_eq(r.ct.nevents, 0);
	ck_assert_uint_eq(ct_counters(ct)->tracked, 3);
	ct_close(ct);
}
END_TEST

static struct ct_entry entry(uint32_t mark)
{
	struct ct_entry e;

	memset(&e, 0, sizeof(e));
	e.looked_up = 1;
	e.found = 1;
	e.mark = mark;
	return e;
}

START_TEST(test_open_gaps)
{
	struct ct *ct = new_ct(16);
	struct ct_entry e = entry(1), got;

	/* Kept until taken, once; per queue and seq. */
	ct_open_gap_keep(ct, 0, 7, &e);
	e = entry(2);
	ct_open_gap_keep(ct, 1, 7, &e);
	e = entry(3);
	ct_open_gap_keep(ct, 0, 7, &e);		/* again: the first stays */
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(ct_open_gap_take(ct, 0, 8, &got), 0);
	ck_assert_uint_eq(got.found, 0);	/* untouched */
	ck_assert_int_eq(ct_open_gap_take(ct, 0, 7, &got), 1);
	ck_assert_uint_eq(got.mark, 1);
	ck_assert_int_eq(ct_open_gap_take(ct, 0, 7, &got), 0);
	ck_assert_int_eq(ct_open_gap_take(ct, 1, 7, &got), 1);
	ck_assert_uint_eq(got.mark, 2);
	ck_assert_uint_eq(ct_counters(ct)->open_lookups_lost, 0);
	ct_close(ct);
}
END_TEST

START_TEST(test_open_gaps_full)
{
	struct ct *ct = new_ct(16);
	struct ct_entry e, got;
	uint64_t seq;

	/* One slot always stays empty: CT_OPEN_GAPS - 1 kept, the next
	 * lost and counted. Full, the probe chains are long. */
	for (seq = 1; seq < CT_OPEN_GAPS; seq++) {
		e = entry((uint32_t)seq);
		ct_open_gap_keep(ct, 3, seq, &e);
	}
	ck_assert_uint_eq(ct_counters(ct)->open_lookups_lost, 0);
	e = entry(0);
	ct_open_gap_keep(ct, 3, CT_OPEN_GAPS, &e);
	ck_assert_uint_eq(ct_counters(ct)->open_lookups_lost, 1);
	ck_assert_int_eq(ct_open_gap_take(ct, 3, CT_OPEN_GAPS, &got), 0);
	/* Take every third out of the chains; the rest are all still
	 * found, with their own at_open. */
	for (seq = 1; seq < CT_OPEN_GAPS; seq += 3) {
		ck_assert_int_eq(ct_open_gap_take(ct, 3, seq, &got), 1);
		ck_assert_uint_eq(got.mark, seq);
	}
	for (seq = 1; seq < CT_OPEN_GAPS; seq++) {
		int kept = (seq - 1) % 3 != 0;

		ck_assert_int_eq(ct_open_gap_take(ct, 3, seq, &got), kept);
		if (kept)
			ck_assert_uint_eq(got.mark, seq);
	}
	/* All free again: a whole table's worth fits once more. */
	for (seq = 1; seq < CT_OPEN_GAPS; seq++) {
		e = entry((uint32_t)seq);
		ct_open_gap_keep(ct, 4, seq, &e);
	}
	ck_assert_uint_eq(ct_counters(ct)->open_lookups_lost, 1);
	ct_close(ct);
}
END_TEST

static Suite *conntrack_suite(void)
{
	Suite *s = suite_create("conntrack");
	TCase *tc = tcase_create("entries");

	tcase_add_test(tc, test_new_bad);
	tcase_add_test(tc, test_entry_key_v4);
	tcase_add_test(tc, test_entry_key_v6);
	tcase_add_test(tc, test_entry_fill);
	tcase_add_test(tc, test_event_type);
	suite_add_tcase(s, tc);

	tc = tcase_create("histories");
	tcase_add_test(tc, test_history_keeps_last);
	tcase_add_test(tc, test_window_bounds);
	tcase_add_test(tc, test_destroy_by_timeout);
	tcase_add_test(tc, test_missed_events);
	tcase_add_test(tc, test_resync_destroys_vanished);
	tcase_add_test(tc, test_health);
	tcase_add_test(tc, test_eviction);
	suite_add_tcase(s, tc);

	tc = tcase_create("open gaps");
	tcase_add_test(tc, test_open_gaps);
	tcase_add_test(tc, test_open_gaps_full);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conntrack_suite());
	char err[128];
	int failed;

	if (portset_parse(&ports, "7781", err, sizeof(err)) < 0)
		return EXIT_FAILURE;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
