/*
 * test_tcp.c - segment classification (src/tcp.c) on hand-written
 * segments: one direction's state, one packet, the SEG_* bits.
 *
 * The reordering cases follow Wireshark's out-of-order rule: a segment
 * that ends before the highest data and arrives within TCP_REORDER_US of
 * it was overtaken, not sent twice.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tcp.h"

#define T0	(1000ULL * 1000000)

/* A direction that has sent data up to next_seq, the last of it at T0. */
static struct flow_dir sender(uint32_t next_seq)
{
	struct flow_dir d;

	memset(&d, 0, sizeof(d));
	d.flags = DIR_SEQ_KNOWN | DIR_ACK_KNOWN;
	d.next_seq = next_seq;
	d.data_us = T0;
	d.last_ack = 5000;
	d.last_window = 64000;
	return d;
}

static struct packet segment(uint32_t seq, uint32_t len)
{
	struct packet p;

	memset(&p, 0, sizeof(p));
	p.proto = IPPROTO_TCP;
	p.tcp_flags = PKT_TCP_ACK | PKT_TCP_PSH;
	p.seq = seq;
	p.ack = 5000;
	p.payload_len = len;
	p.window = 64000;
	return p;
}

static struct flow_dir peer_dir(void)
{
	struct flow_dir d;

	memset(&d, 0, sizeof(d));
	d.flags = DIR_SEQ_KNOWN | DIR_ACK_KNOWN;
	d.next_seq = 5100;	/* 100 bytes the sender has not acked */
	d.last_ack = 1000;
	d.mss = 1460;
	return d;
}

START_TEST(test_new_data)
{
	struct flow_dir d = sender(1100), peer = peer_dir();
	struct packet p = segment(1100, 20);

	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 200000),
			  SEG_NEW_DATA);
	/* Partly new: still new data. */
	p = segment(1090, 20);
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 1000),
			  SEG_NEW_DATA);
}
END_TEST

/* Sent A = [1000, 1050) then B = [1050, 1100); B was seen first. */
START_TEST(test_reordered_is_not_retransmission)
{
	struct flow_dir d = sender(1100), peer = peer_dir();
	struct packet a = segment(1000, 50);

	ck_assert_uint_eq(tcp_classify(&d, &peer, &a, T0 + 400), 0);
	ck_assert_uint_eq(tcp_classify(&d, &peer, &a, T0 + TCP_REORDER_US - 1),
			  0);
	/* The same segment an RTO later: sent again. */
	ck_assert_uint_eq(tcp_classify(&d, &peer, &a, T0 + TCP_REORDER_US),
			  SEG_RETRANSMIT);
	ck_assert_uint_eq(tcp_classify(&d, &peer, &a, T0 + 200000),
			  SEG_RETRANSMIT);
}
END_TEST

START_TEST(test_duplicate_of_highest_is_retransmission)
{
	struct flow_dir d = sender(1100), peer = peer_dir();
	struct packet b = segment(1050, 50);

	/* Ends where the highest data ends: the same segment twice, however
	 * soon (a duplicated packet, or a retransmission of the last one). */
	ck_assert_uint_eq(tcp_classify(&d, &peer, &b, T0 + 50),
			  SEG_RETRANSMIT);
	/* A coalesced retransmission of everything outstanding, too. */
	b = segment(1000, 100);
	ck_assert_uint_eq(tcp_classify(&d, &peer, &b, T0 + 50),
			  SEG_RETRANSMIT);
}
END_TEST

/* A copy of data the peer has acknowledged is sent again, however soon:
 * Wireshark's spurious retransmission. */
START_TEST(test_acknowledged_copy_is_retransmission)
{
	struct flow_dir d = sender(1100), peer = peer_dir();
	struct packet a = segment(1000, 50);

	peer.last_ack = 1050;
	ck_assert_uint_eq(tcp_classify(&d, &peer, &a, T0 + 400),
			  SEG_RETRANSMIT);
	peer.last_ack = 1049;
	ck_assert_uint_eq(tcp_classify(&d, &peer, &a, T0 + 400), 0);
	peer.flags = DIR_SEQ_KNOWN;	/* no ACK seen: nothing known acked */
	peer.last_ack = 1100;
	ck_assert_uint_eq(tcp_classify(&d, &peer, &a, T0 + 400), 0);
}
END_TEST

/*
 * Bytes already sent going again with new ones (a repacketised
 * retransmission, found on a real capture): new data, and a
 * retransmission as tshark counts it; within the out-of-order time of the
 * highest data it was overtaken, not resent. A segment stamped before the
 * highest data (a capture whose time steps back) is in that time too.
 */
START_TEST(test_repacketised)
{
	struct flow_dir d = sender(1100), peer = peer_dir();
	struct packet p = segment(1080, 40);

	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 200000),
			  SEG_NEW_DATA | SEG_RETRANSMIT);
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 1000), SEG_NEW_DATA);
	p = segment(1000, 50);
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 - 5000), 0);
}
END_TEST

START_TEST(test_reordered_big_segment)
{
	struct flow_dir d = sender(4000), peer = peer_dir();
	struct packet p = segment(1000, 1460);

	/* Big but overtaken: no retransmission, so no big retransmission. */
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 1000), SEG_BIG);
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 300000),
			  SEG_RETRANSMIT | SEG_BIG);
}
END_TEST

START_TEST(test_reordered_across_wrap)
{
	struct flow_dir d = sender(40), peer = peer_dir();
	struct packet p = segment(UINT32_MAX - 59, 50);	/* ends at 4294967286 */

	peer.last_ack = UINT32_MAX - 99;

	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 100), 0);
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 5000),
			  SEG_RETRANSMIT);
	p = segment(UINT32_MAX - 9, 60);	/* ends at 50: new */
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 100),
			  SEG_NEW_DATA);
}
END_TEST

START_TEST(test_syn_and_fin_again)
{
	struct flow_dir d, peer = peer_dir();
	struct packet p = segment(999, 0);

	/* A SYN sent again ends where the highest sequence ends. */
	memset(&d, 0, sizeof(d));
	d.flags = DIR_SEQ_KNOWN | DIR_SYN;
	d.next_seq = 1000;
	p.tcp_flags = PKT_TCP_SYN;
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, 100), SEG_RETRANSMIT);
	/* A FIN again at once ends where the highest sequence ends. */
	d = sender(1101);
	p = segment(1100, 0);
	p.tcp_flags = PKT_TCP_ACK | PKT_TCP_FIN;
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 10),
			  SEG_RETRANSMIT);
}
END_TEST

START_TEST(test_keepalive_and_dup_ack)
{
	struct flow_dir d = sender(1100), peer = peer_dir();
	struct packet p = segment(1099, 0);

	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 10), SEG_KEEPALIVE);
	p.payload_len = 1;
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 900000),
			  SEG_KEEPALIVE);
	/* Same ACK and window while the peer has data outstanding. */
	p = segment(1100, 0);
	p.tcp_flags = PKT_TCP_ACK;
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 10), SEG_DUP_ACK);
	p.window = 0;
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 10),
			  SEG_ZERO_WINDOW);
}
END_TEST

START_TEST(test_mid_stream_and_udp)
{
	struct flow_dir d, peer = peer_dir();
	struct packet p = segment(1000, 20);

	memset(&d, 0, sizeof(d));
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0), SEG_NEW_DATA);
	p.proto = IPPROTO_UDP;
	d = sender(2000);
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 1), SEG_NEW_DATA);
	p.payload_len = 0;
	ck_assert_uint_eq(tcp_classify(&d, &peer, &p, T0 + 1), 0);
}
END_TEST

/* tcp_apply: an overtaken segment leaves the highest sequence alone. */
START_TEST(test_apply_keeps_highest)
{
	struct flow_dir d = sender(1100);
	struct packet p = segment(1000, 50);

	tcp_apply(&d, &p);
	ck_assert_uint_eq(d.next_seq, 1100);
	p = segment(1100, 30);
	tcp_apply(&d, &p);
	ck_assert_uint_eq(d.next_seq, 1130);
}
END_TEST

static Suite *tcp_suite(void)
{
	Suite *s = suite_create("tcp");
	TCase *tc = tcase_create("classify");

	tcase_add_test(tc, test_new_data);
	tcase_add_test(tc, test_reordered_is_not_retransmission);
	tcase_add_test(tc, test_duplicate_of_highest_is_retransmission);
	tcase_add_test(tc, test_acknowledged_copy_is_retransmission);
	tcase_add_test(tc, test_reordered_big_segment);
	tcase_add_test(tc, test_repacketised);
	tcase_add_test(tc, test_reordered_across_wrap);
	tcase_add_test(tc, test_syn_and_fin_again);
	tcase_add_test(tc, test_keepalive_and_dup_ack);
	tcase_add_test(tc, test_mid_stream_and_udp);
	tcase_add_test(tc, test_apply_keeps_highest);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tcp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
