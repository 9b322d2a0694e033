/*
 * test_evidence.c - unit tests for the per-flow rings, the pool of gap
 * buffers and the recorder (src/evidence.c), and for the pcap files and
 * their capped directory (src/pcapstore.c).
 *
 * The recorder is driven by hand-written timelines, as the engine drives
 * it: flow indices, times and outcomes are the test's, so every packet's
 * place in a buffer is known exactly. pcap files are read back with
 * libpcap and their packets with the engine's own parser.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <pcap/pcap.h>

#include "addr.h"
#include "evidence.h"
#include "packet.h"
#include "pcapstore.h"
#include "wire.h"

#define CAPACITY	8
#define PER_FLOW	4

static void addr(struct in6_addr *a, const char *text)
{
	uint8_t v4[4];

	if (inet_pton(AF_INET, text, v4) == 1) {
		addr_from_v4(a, v4);
		return;
	}
	ck_assert_int_eq(inet_pton(AF_INET6, text, a), 1);
}

static struct flow_key key(const char *client, uint16_t cport,
			   const char *server, uint16_t sport, uint8_t proto)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	addr(&k.client, client);
	addr(&k.server, server);
	k.client_port = cport;
	k.server_port = sport;
	k.proto = proto;
	return k;
}

static struct ev_pkt ring_pkt(uint64_t us)
{
	struct ev_pkt p = { .mono_us = us, .seq = (uint32_t)us };

	return p;
}

/* --- rings ----------------------------------------------------------- */

static struct ev_buffer buf;

START_TEST(test_ring_wraps_oldest_first)
{
	struct ev_rings r;
	struct ev_pkt p;
	uint64_t t;

	ck_assert_int_eq(ev_rings_init(&r, CAPACITY, PER_FLOW), 0);
	for (t = 1; t <= 6; t++) {
		p = ring_pkt(t);
		ev_ring_add(&r, 2, &p);
	}
	memset(&buf, 0, sizeof(buf));
	ev_ring_copy(&r, 2, &buf);
	ck_assert_uint_eq(buf.count, PER_FLOW);
	for (t = 0; t < PER_FLOW; t++)
		ck_assert_uint_eq(buf.pkts[t].mono_us, 3 + t);
	/* Its neighbours are untouched. */
	memset(&buf, 0, sizeof(buf));
	ev_ring_copy(&r, 1, &buf);
	ev_ring_copy(&r, 3, &buf);
	ck_assert_uint_eq(buf.count, 0);
	ev_rings_fini(&r);
}
END_TEST

START_TEST(test_ring_partial_and_reset)
{
	struct ev_rings r;
	struct ev_pkt p;

	ck_assert_int_eq(ev_rings_init(&r, CAPACITY, PER_FLOW), 0);
	p = ring_pkt(10);
	ev_ring_add(&r, CAPACITY, &p);
	p = ring_pkt(11);
	ev_ring_add(&r, CAPACITY, &p);
	memset(&buf, 0, sizeof(buf));
	ev_ring_copy(&r, CAPACITY, &buf);
	ck_assert_uint_eq(buf.count, 2);
	ck_assert_uint_eq(buf.pkts[0].mono_us, 10);
	ck_assert_uint_eq(buf.pkts[1].mono_us, 11);

	ev_ring_reset(&r, CAPACITY);
	memset(&buf, 0, sizeof(buf));
	ev_ring_copy(&r, CAPACITY, &buf);
	ck_assert_uint_eq(buf.count, 0);
	p = ring_pkt(12);
	ev_ring_add(&r, CAPACITY, &p);
	ev_ring_copy(&r, CAPACITY, &buf);
	ck_assert_uint_eq(buf.count, 1);
	ck_assert_uint_eq(buf.pkts[0].mono_us, 12);
	ev_rings_fini(&r);
}
END_TEST

START_TEST(test_rings_off)
{
	struct ev_rings r;

	ck_assert_int_eq(ev_rings_init(&r, CAPACITY, 0), 0);
	ck_assert_ptr_null(r.pkts);
	ck_assert_ptr_null(r.head);
	ck_assert_uint_eq(r.per_flow, 0);
	ev_rings_fini(&r);
}
END_TEST

START_TEST(test_buffer_truncates)
{
	struct ev_pkt p;
	uint32_t k;

	memset(&buf, 0, sizeof(buf));
	for (k = 0; k < EVIDENCE_GAP_PACKETS + 3; k++) {
		p = ring_pkt(k);
		ev_buffer_append(&buf, &p);
	}
	ck_assert_uint_eq(buf.count, EVIDENCE_GAP_PACKETS);
	ck_assert_uint_eq(buf.truncated, 3);
	ck_assert_uint_eq(buf.pkts[EVIDENCE_GAP_PACKETS - 1].mono_us,
			  EVIDENCE_GAP_PACKETS - 1);
}
END_TEST

/* --- the pool -------------------------------------------------------- */

START_TEST(test_pool_take_give_exhaust)
{
	static uint8_t seen[EVIDENCE_BUFFERS + 1];
	struct ev_pool p;
	uint16_t slot, again;
	uint32_t k;

	memset(seen, 0, sizeof(seen));
	ck_assert_int_eq(ev_pool_init(&p), 0);
	for (k = 0; k < EVIDENCE_BUFFERS; k++) {
		slot = ev_pool_take(&p);
		ck_assert_uint_ge(slot, 1);
		ck_assert_uint_le(slot, EVIDENCE_BUFFERS);
		ck_assert_uint_eq(seen[slot], 0);
		seen[slot] = 1;
		ck_assert_ptr_eq(ev_pool_buffer(&p, slot), &p.bufs[slot - 1]);
	}
	ck_assert_uint_eq(p.exhausted, 0);
	ck_assert_uint_eq(ev_pool_take(&p), 0);
	ck_assert_uint_eq(ev_pool_take(&p), 0);
	ck_assert_uint_eq(p.exhausted, 2);

	ev_pool_give(&p, 17);
	again = ev_pool_take(&p);
	ck_assert_uint_eq(again, 17);
	ck_assert_uint_eq(ev_pool_take(&p), 0);
	ck_assert_uint_eq(p.exhausted, 3);
	ev_pool_fini(&p);
	ev_pool_fini(&p);		/* twice is fine */
}
END_TEST

/* --- the recorder ----------------------------------------------------- */

#define DONE_MAX	4

/* What the owner was handed: copies, the slots given back at once. */
static struct ev_buffer done_buf[DONE_MAX];
static unsigned int ndone;

static void on_done(void *ctx, struct ev_pool *pool, uint16_t slot)
{
	unsigned int *calls = ctx;

	(*calls)++;
	if (ndone < DONE_MAX)
		done_buf[ndone] = *ev_pool_buffer(pool, slot);
	ndone++;
	ev_pool_give(pool, slot);
}

static unsigned int calls;
static struct ev_recorder rec;
static struct flow_key gap_key;

static void recorder_setup(void)
{
	ndone = 0;
	calls = 0;
	gap_key = key("198.18.0.1", 40000, "198.18.0.2", 7781, IPPROTO_TCP);
	ck_assert_int_eq(ev_recorder_init(&rec, CAPACITY, PER_FLOW, on_done,
					  &calls), 0);
	ck_assert(ev_recorder_on(&rec));
}

static void recorder_teardown(void)
{
	ev_recorder_fini(&rec);
}

/* A packet of flow i at t: seq t, the client's when t is odd. */
static void feed(uint32_t i, uint64_t t)
{
	struct packet p;

	memset(&p, 0, sizeof(p));
	p.seq = (uint32_t)t;
	p.ack = 1000 + (uint32_t)t;
	p.window = 512;
	p.payload_len = 10;
	p.tcp_flags = PKT_TCP_ACK;
	p.ttl = 60;
	ev_recorder_packet(&rec, i, (int)(t & 1), &p, t);
}

START_TEST(test_recorder_post_roll_by_packets)
{
	const struct ev_buffer *b = &done_buf[0];
	uint64_t t;
	uint32_t k;

	ev_recorder_flow_new(&rec, 1);
	for (t = 1; t <= 3; t++)
		feed(1, t);
	ck_assert_int_eq(ev_recorder_gap_open(&rec, 1, &gap_key, 2, 7, 5000), 1);
	ck_assert_int_eq(ev_recorder_recording(&rec, 1), 1);
	feed(1, 10);
	feed(1, 11);
	ev_recorder_gap_close(&rec, 1, OUTCOME_RESUMED, 0, 0, 20);
	ck_assert_int_eq(ev_recorder_recording(&rec, 1), 1);
	for (t = 21; t < 21 + EVIDENCE_POST_PACKETS - 1; t++)
		feed(1, t);
	ck_assert_uint_eq(ndone, 0);
	feed(1, 21 + EVIDENCE_POST_PACKETS - 1);
	ck_assert_uint_eq(ndone, 1);
	ck_assert_uint_eq(calls, 1);		/* with the owner's ctx */

	/* The ring, the gap, the post-roll: in order, all of flow 1. */
	ck_assert_uint_eq(b->count, 3 + 2 + EVIDENCE_POST_PACKETS);
	ck_assert_uint_eq(b->truncated, 0);
	ck_assert_uint_eq(b->pkts[0].mono_us, 1);
	ck_assert_uint_eq(b->pkts[2].mono_us, 3);
	ck_assert_uint_eq(b->pkts[3].mono_us, 10);
	ck_assert_uint_eq(b->pkts[5].mono_us, 21);
	ck_assert_uint_eq(b->pkts[b->count - 1].mono_us,
			  21 + EVIDENCE_POST_PACKETS - 1);
	for (k = 0; k < b->count; k++) {
		ck_assert_uint_eq(b->pkts[k].flow, 0);
		ck_assert_uint_eq(b->pkts[k].seq, b->pkts[k].mono_us);
		ck_assert_uint_eq(b->pkts[k].from_client, b->pkts[k].mono_us & 1);
	}
	ck_assert_uint_eq(b->pkts[3].ack, 1010);
	ck_assert_uint_eq(b->pkts[3].window, 512);
	ck_assert_uint_eq(b->pkts[3].tcp_flags, PKT_TCP_ACK);
	ck_assert_uint_eq(b->pkts[3].ttl, 60);
	ck_assert_uint_eq(b->pkts[3].payload_len, 10);
	ck_assert_int_eq(memcmp(&b->key, &gap_key, sizeof(gap_key)), 0);
	ck_assert_uint_eq(b->queue, 2);
	ck_assert_uint_eq(b->seq, 7);
	ck_assert_int_eq(b->wall_offset_us, 5000);
	ck_assert_uint_eq(b->successor, 0);

	/* Done: the flow feeds nothing any more, its ring goes on. */
	ck_assert_int_eq(ev_recorder_recording(&rec, 1), 0);
	feed(1, 100);
	ck_assert_uint_eq(ndone, 1);
	ck_assert_uint_eq(rec.npost, 0);
	ck_assert_uint_eq(rec.pool.nfree, EVIDENCE_BUFFERS);
}
END_TEST

START_TEST(test_recorder_post_roll_by_time)
{
	uint64_t end = 1000000;

	ev_recorder_flow_new(&rec, 3);
	feed(3, 5);
	ck_assert_int_eq(ev_recorder_gap_open(&rec, 3, &gap_key, 0, 1, 0), 1);
	ev_recorder_gap_close(&rec, 3, OUTCOME_FIN, 0, 0, end);
	feed(3, end + 1);
	{
		struct packet big = { .payload_len = 70000 };

		ev_recorder_packet(&rec, 3, 1, &big, end + 2);
	}
	ev_recorder_tick(&rec, end + EVIDENCE_POST_US - 1);
	ck_assert_uint_eq(ndone, 0);
	ev_recorder_tick(&rec, end + EVIDENCE_POST_US);
	ck_assert_uint_eq(ndone, 1);
	ck_assert_uint_eq(done_buf[0].count, 3);
	ck_assert_uint_eq(done_buf[0].pkts[1].mono_us, end + 1);
	ck_assert_uint_eq(done_buf[0].pkts[2].payload_len, UINT16_MAX);
	ck_assert_uint_eq(done_buf[0].post_until_us, end + EVIDENCE_POST_US);
	ev_recorder_tick(&rec, end + 2 * EVIDENCE_POST_US);
	ck_assert_uint_eq(ndone, 1);
}
END_TEST

START_TEST(test_recorder_follows_successor)
{
	const struct ev_buffer *b = &done_buf[0];

	ev_recorder_flow_new(&rec, 1);
	feed(1, 1);
	ck_assert_int_eq(ev_recorder_gap_open(&rec, 1, &gap_key, 0, 4, 0), 1);
	/* The reconnect's first packet closes the gap, then is recorded,
	 * as the engine does it. */
	ev_recorder_flow_new(&rec, 2);
	ev_recorder_gap_close(&rec, 1, OUTCOME_RECONNECTED, 2, 40001, 11);
	ck_assert_int_eq(ev_recorder_recording(&rec, 2), 0);	/* not its gap */
	feed(2, 11);
	feed(2, 13);
	feed(1, 14);
	feed(2, 15);
	ev_recorder_flow_gone(&rec, 2);		/* the buffer it fed is done */
	ck_assert_uint_eq(ndone, 1);
	ck_assert_uint_eq(b->count, 5);
	ck_assert_uint_eq(b->pkts[0].mono_us, 1);
	ck_assert_uint_eq(b->pkts[0].flow, 0);
	ck_assert_uint_eq(b->pkts[1].mono_us, 11);
	ck_assert_uint_eq(b->pkts[1].flow, 1);
	ck_assert_uint_eq(b->pkts[2].flow, 1);
	ck_assert_uint_eq(b->pkts[3].mono_us, 14);
	ck_assert_uint_eq(b->pkts[3].flow, 0);
	ck_assert_uint_eq(b->pkts[4].flow, 1);
	ck_assert_uint_eq(b->successor, 2);
	ck_assert_uint_eq(b->successor_port, 40001);
	/* Both flows are detached. */
	feed(1, 16);
	feed(2, 17);
	ck_assert_uint_eq(ndone, 1);
	ck_assert_uint_eq(rec.npost, 0);
}
END_TEST

START_TEST(test_recorder_done_at_once)
{
	static const enum gap_outcome gone[] = {
		OUTCOME_EXPIRED, OUTCOME_EVICTED, OUTCOME_OPEN_AT_EXIT,
	};
	unsigned int k;

	for (k = 0; k < sizeof(gone) / sizeof(gone[0]); k++) {
		ev_recorder_flow_new(&rec, 1);
		ck_assert_int_eq(ev_recorder_gap_open(&rec, 1, &gap_key, 0, k,
						      0), 1);
		ev_recorder_gap_close(&rec, 1, gone[k], 0, 0, 10);
		ck_assert_uint_eq(ndone, k + 1);
		ck_assert_uint_eq(rec.npost, 0);
	}
}
END_TEST

START_TEST(test_recorder_reopen_and_finish)
{
	ev_recorder_flow_new(&rec, 1);
	feed(1, 1);
	ck_assert_int_eq(ev_recorder_gap_open(&rec, 1, &gap_key, 0, 1, 0), 1);
	ev_recorder_gap_close(&rec, 1, OUTCOME_RESUMED, 0, 0, 2);
	feed(1, 3);
	/* A new gap during the post-roll: the last one is done first. */
	ck_assert_int_eq(ev_recorder_gap_open(&rec, 1, &gap_key, 0, 2, 0), 1);
	ck_assert_uint_eq(ndone, 1);
	ck_assert_uint_eq(done_buf[0].seq, 1);
	ck_assert_uint_eq(done_buf[0].count, 2);
	ev_recorder_gap_close(&rec, 1, OUTCOME_RESUMED, 0, 0, 4);
	ev_recorder_flow_new(&rec, 5);
	ck_assert_int_eq(ev_recorder_gap_open(&rec, 5, &gap_key, 0, 3, 0), 1);
	ev_recorder_gap_close(&rec, 5, OUTCOME_RESUMED, 0, 0, 4);
	ck_assert_uint_eq(rec.npost, 2);
	/* The source ends: every post-roll is done. */
	ev_recorder_finish(&rec);
	ck_assert_uint_eq(ndone, 3);
	ck_assert_uint_eq(done_buf[1].seq, 2);
	ck_assert_uint_eq(done_buf[1].count, 2);	/* the ring: 1, 3 */
	ck_assert_uint_eq(done_buf[1].pkts[1].mono_us, 3);
	ck_assert_uint_eq(done_buf[2].seq, 3);
	ck_assert_uint_eq(rec.npost, 0);
	ck_assert_uint_eq(rec.pool.nfree, EVIDENCE_BUFFERS);
}
END_TEST

START_TEST(test_recorder_truncates)
{
	uint64_t t;

	ev_recorder_flow_new(&rec, 1);
	for (t = 1; t <= PER_FLOW; t++)
		feed(1, t);
	ck_assert_int_eq(ev_recorder_gap_open(&rec, 1, &gap_key, 0, 1, 0), 1);
	for (t = 10; t < 10 + EVIDENCE_GAP_PACKETS + 5; t++)
		feed(1, t);
	ev_recorder_gap_close(&rec, 1, OUTCOME_EXPIRED, 0, 0, t);
	ck_assert_uint_eq(ndone, 1);
	ck_assert_uint_eq(done_buf[0].count, EVIDENCE_GAP_PACKETS);
	ck_assert_uint_eq(done_buf[0].truncated, PER_FLOW + 5);
	ck_assert_uint_eq(done_buf[0].pkts[EVIDENCE_GAP_PACKETS - 1].mono_us,
			  10 + EVIDENCE_GAP_PACKETS - PER_FLOW - 1);
}
END_TEST

START_TEST(test_recorder_pool_empty)
{
	struct ev_recorder r;
	uint32_t i;

	ndone = 0;
	ck_assert_int_eq(ev_recorder_init(&r, EVIDENCE_BUFFERS + 1, 2, on_done,
					  &calls), 0);
	for (i = 1; i <= EVIDENCE_BUFFERS; i++) {
		ev_recorder_flow_new(&r, i);
		ck_assert_int_eq(ev_recorder_gap_open(&r, i, &gap_key, 0, i, 0),
				 1);
	}
	ev_recorder_flow_new(&r, i);
	ck_assert_int_eq(ev_recorder_gap_open(&r, i, &gap_key, 0, i, 0), 0);
	ck_assert_int_eq(ev_recorder_recording(&r, i), 0);
	ck_assert_uint_eq(r.pool.exhausted, 1);
	ev_recorder_gap_close(&r, i, OUTCOME_RESUMED, 0, 0, 1);
	ck_assert_uint_eq(r.npost, 0);
	ev_recorder_flow_gone(&r, 1);
	ck_assert_uint_eq(ndone, 1);
	ck_assert_int_eq(ev_recorder_gap_open(&r, i, &gap_key, 0, i, 0), 1);
	ev_recorder_fini(&r);
}
END_TEST

START_TEST(test_recorder_off)
{
	struct ev_recorder r;

	ck_assert_int_eq(ev_recorder_init(&r, CAPACITY, 0, on_done, NULL), 0);
	ck_assert(!ev_recorder_on(&r));
	ck_assert_int_eq(ev_recorder_recording(&r, 1), 0);
	ev_recorder_fini(&r);
	ck_assert_int_eq(ev_recorder_init(&r, CAPACITY, PER_FLOW, NULL, NULL), 0);
	ck_assert(!ev_recorder_on(&r));
	ev_recorder_fini(&r);
}
END_TEST

/* --- pcap files and the store ----------------------------------------- */

static char dir[64];

static void store_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_evidence.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void store_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void fill(struct ev_buffer *b, const struct flow_key *k, uint64_t seq,
		 uint32_t n)
{
	uint32_t j;

	memset(b, 0, sizeof(*b));
	b->key = *k;
	b->seq = seq;
	b->queue = 3;
	b->wall_offset_us = 1700000000LL * 1000000;
	b->successor_port = 40001;
	for (j = 0; j < n; j++) {
		struct ev_pkt *p = &b->pkts[b->count++];

		p->mono_us = 2500000 + j * 1000;
		p->seq = 100 + j;
		p->ack = 900 + j;
		p->payload_len = (uint16_t)(j * 10);
		p->window = 4096;
		p->from_client = j % 2 == 0;
		p->tcp_flags = PKT_TCP_ACK | (j == 0 ? PKT_TCP_SYN : 0);
		p->ttl = (uint8_t)(50 + j);
		p->flow = j == n - 1;	/* the last one: the successor's */
	}
}

/* Dump 5 packets of client <-> server and read them back. */
static void check_dump(const char *client, const char *server, uint8_t proto)
{
	struct flow_key k = key(client, 40000, server, 7781, proto);
	int v4 = addr_is_v4(&k.client);
	size_t hl = (v4 ? 20 : 40) + (proto == IPPROTO_TCP ? 20 : 8);
	char err[PCAP_ERRBUF_SIZE], path[256];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct packet pkt;
	struct stat st;
	unsigned int j;
	pcap_t *p;
	long size;

	fill(&buf, &k, 1, 5);
	snprintf(path, sizeof(path), "%s/x.pcap", dir);
	size = pcapstore_dump(&buf, path);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(size, st.st_size);
	ck_assert_int_eq(size, 24 + 5 * (16 + (long)hl));

	p = pcap_open_offline(path, err);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(pcap_datalink(p), DLT_RAW);
	for (j = 0; j < 5; j++) {
		ck_assert_int_eq(pcap_next_ex(p, &h, &data), 1);
		ck_assert_uint_eq(h->caplen, hl);
		ck_assert_uint_eq(h->len, hl + j * 10);
		ck_assert_int_eq(h->ts.tv_sec, 1700000002);
		ck_assert_int_eq(h->ts.tv_usec, 500000 + j * 1000);
		ck_assert_int_eq(parse_packet(data, h->caplen, h->len, &pkt),
				 PARSE_OK);
		ck_assert_uint_eq(pkt.proto, proto);
		ck_assert_uint_eq(pkt.payload_len, j * 10);
		ck_assert_uint_eq(pkt.ttl, 50 + j);
		if (v4)		/* the IPv4 header checksum is right */
			ck_assert_uint_eq(wire_checksum(data, 20, 0), 0);
		if (j % 2 == 0) {
			ck_assert_mem_eq(&pkt.src, &k.client, 16);
			ck_assert_mem_eq(&pkt.dst, &k.server, 16);
			/* The last packet is the successor's. */
			ck_assert_uint_eq(pkt.sport, j == 4 ? 40001 : 40000);
			ck_assert_uint_eq(pkt.dport, 7781);
		} else {
			ck_assert_mem_eq(&pkt.src, &k.server, 16);
			ck_assert_mem_eq(&pkt.dst, &k.client, 16);
			ck_assert_uint_eq(pkt.sport, 7781);
			ck_assert_uint_eq(pkt.dport, 40000);
		}
		if (proto == IPPROTO_TCP) {
			ck_assert_uint_eq(pkt.seq, 100 + j);
			ck_assert_uint_eq(pkt.ack, 900 + j);
			ck_assert_uint_eq(pkt.window, 4096);
			ck_assert_uint_eq(pkt.tcp_flags,
					  PKT_TCP_ACK | (j ? 0 : PKT_TCP_SYN));
		}
	}
	ck_assert_int_eq(pcap_next_ex(p, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(p);
}

START_TEST(test_pcap_headers_rebuilt)
{
	check_dump("198.18.0.1", "198.18.0.2", IPPROTO_TCP);
	check_dump("198.18.0.1", "198.18.0.2", IPPROTO_UDP);
	check_dump("2001:db8::1", "2001:db8::2", IPPROTO_TCP);
	check_dump("2001:db8::1", "2001:db8::2", IPPROTO_UDP);
}
END_TEST

START_TEST(test_pcap_dump_error)
{
	char path[128];

	memset(&buf, 0, sizeof(buf));
	snprintf(path, sizeof(path), "%s/no/such/dir.pcap", dir);
	errno = 0;
	ck_assert_int_eq(pcapstore_dump(&buf, path), -1);
	ck_assert_int_ne(errno, 0);
}
END_TEST

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

START_TEST(test_store_names_and_cap)
{
	struct flow_key k = key("198.18.0.1", 40000, "198.18.0.2", 7781,
				IPPROTO_TCP);
	const struct pcapstore_counters *c;
	struct pcapstore *s;
	char err[256], path[3][256];
	long one;
	int j;

	/* A file of 3 packets: 24 + 3 x (16 + 40) bytes; room for two. */
	one = 24 + 3 * (16 + 40);
	s = pcapstore_open(dir, "r1", 2 * (uint64_t)one + 10, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	c = pcapstore_counters(s);
	pcapstore_path(s, 3, 41, path[0], sizeof(path[0]));
	ck_assert_str_eq(path[0] + strlen(dir), "/r1-3-41.pcap");
	for (j = 0; j < 3; j++) {
		fill(&buf, &k, 41 + j, 3);
		pcapstore_path(s, 3, 41 + j, path[j], sizeof(path[j]));
		ck_assert_int_eq(pcapstore_write(s, &buf), 0);
		ck_assert_int_eq(file_size(path[j]), one);
	}
	/* The third took the total over: the oldest went. */
	ck_assert_int_eq(file_size(path[0]), -1);
	ck_assert_int_eq(file_size(path[1]), one);
	ck_assert_uint_eq(c->written, 3);
	ck_assert_uint_eq(c->removed, 1);
	ck_assert_uint_eq(c->bytes, 2 * (uint64_t)one);
	ck_assert_uint_eq(c->write_errors, 0);
	pcapstore_close(s);

	/* A new run counts what the last one left, oldest by mtime first. */
	{
		struct utimbuf old = { 1000, 1000 };

		ck_assert_int_eq(utime(path[2], &old), 0);
	}
	s = pcapstore_open(dir, "r2", 2 * (uint64_t)one + 10, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	c = pcapstore_counters(s);
	ck_assert_uint_eq(c->bytes, 2 * (uint64_t)one);
	fill(&buf, &k, 1, 3);
	/* Packets that did not fit the buffer: counted for the stats. */
	buf.truncated = 4;
	ck_assert_int_eq(pcapstore_write(s, &buf), 0);
	ck_assert_uint_eq(c->truncated, 4);
	ck_assert_int_eq(file_size(path[2]), -1);	/* the oldest mtime */
	ck_assert_int_eq(file_size(path[1]), one);
	pcapstore_path(s, 3, 1, path[0], sizeof(path[0]));
	ck_assert_int_eq(file_size(path[0]), one);
	ck_assert_uint_eq(c->removed, 1);
	ck_assert_uint_eq(c->bytes, 2 * (uint64_t)one);
	pcapstore_close(s);
	pcapstore_close(NULL);
}
END_TEST

START_TEST(test_store_errors)
{
	struct pcapstore *s;
	char err[256], sub[128];

	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	s = pcapstore_open(sub, "r", 1 << 20, err, sizeof(err));
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "cannot create pcap directory"));

	s = pcapstore_open(dir, "r", 1 << 20, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(rmdir(dir), 0);	/* the directory goes away */
	memset(&buf, 0, sizeof(buf));
	ck_assert_int_eq(pcapstore_write(s, &buf), -1);
	ck_assert_uint_eq(pcapstore_counters(s)->write_errors, 1);
	ck_assert_uint_eq(pcapstore_counters(s)->written, 0);
	pcapstore_close(s);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
}
END_TEST

static Suite *evidence_suite(void)
{
	Suite *s = suite_create("evidence");
	TCase *tc;

	tc = tcase_create("rings and pool");
	tcase_add_test(tc, test_ring_wraps_oldest_first);
	tcase_add_test(tc, test_ring_partial_and_reset);
	tcase_add_test(tc, test_rings_off);
	tcase_add_test(tc, test_buffer_truncates);
	tcase_add_test(tc, test_pool_take_give_exhaust);
	suite_add_tcase(s, tc);

	tc = tcase_create("recorder");
	tcase_add_checked_fixture(tc, recorder_setup, recorder_teardown);
	tcase_add_test(tc, test_recorder_post_roll_by_packets);
	tcase_add_test(tc, test_recorder_post_roll_by_time);
	tcase_add_test(tc, test_recorder_follows_successor);
	tcase_add_test(tc, test_recorder_done_at_once);
	tcase_add_test(tc, test_recorder_reopen_and_finish);
	tcase_add_test(tc, test_recorder_truncates);
	tcase_add_test(tc, test_recorder_pool_empty);
	tcase_add_test(tc, test_recorder_off);
	suite_add_tcase(s, tc);

	tc = tcase_create("pcapstore");
	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_add_test(tc, test_pcap_headers_rebuilt);
	tcase_add_test(tc, test_pcap_dump_error);
	tcase_add_test(tc, test_store_names_and_cap);
	tcase_add_test(tc, test_store_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(evidence_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
