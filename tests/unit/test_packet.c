/*
 * test_packet.c - unit tests for the header parser (src/packet.c).
 *
 * Packets come from pktbuild() and are then edited in place for the odd
 * cases. The edits leave checksums stale on purpose: the parser never
 * looks at them (with GSO they are legitimately wrong).
 *
 * Wherever a length is cut short, the bytes are copied to the very end
 * of a heap block of that exact size, so that under AddressSanitizer a
 * read one byte past caplen is a reported overflow, not a silent pass.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "packet.h"
#include "pktbuild.h"
#include "wire.h"

#define PKTMAX		2048
#define FUZZ_MAXLEN	120
#define FUZZ_ROUNDS	200000

static const struct pktspec tcp4_syn = {
	.family = AF_INET, .proto = IPPROTO_TCP,
	.src = "198.18.0.1", .dst = "198.51.100.7",
	.sport = 40000, .dport = 27015, .ttl = 57,
	.tcp_flags = PKT_TCP_SYN, .seq = 0x11223344, .window = 64240,
	.mss = 1460,
};

static const struct pktspec udp4 = {
	.family = AF_INET, .proto = IPPROTO_UDP,
	.src = "198.18.0.1", .dst = "198.51.100.7",
	.sport = 3074, .dport = 3478, .payload_len = 100,
};

static const struct pktspec tcp6 = {
	.family = AF_INET6, .proto = IPPROTO_TCP,
	.src = "2001:db8::1", .dst = "2001:db8:ffff::2",
	.sport = 443, .dport = 51000,
	.tcp_flags = PKT_TCP_ACK | PKT_TCP_PSH,
	.seq = 0xfffffff0, .ack = 0x80000001, .window = 501,
	.payload_len = 1200,
};

static const struct pktspec udp6 = {
	.family = AF_INET6, .proto = IPPROTO_UDP,
	.src = "2001:db8::1", .dst = "2001:db8:ffff::2",
	.sport = 27005, .dport = 27015, .ttl = 3, .payload_len = 50,
};

static size_t build(uint8_t *p, const struct pktspec *s)
{
	size_t len = pktbuild(p, PKTMAX, s);

	ck_assert_uint_gt(len, 0);
	return len;
}

static enum parse_result parse(const uint8_t *p, size_t len,
			       struct packet *pkt)
{
	return parse_packet(p, len, len, pkt);
}

/* Insert n bytes at off and grow the IP length field to match. */
static size_t insert(uint8_t *p, size_t len, size_t off, const void *data,
		     size_t n)
{
	ck_assert_uint_le(len + n, PKTMAX);
	memmove(p + off + n, p + off, len - off);
	memcpy(p + off, data, n);
	if (p[0] >> 4 == 4)
		wire_put16(p + 2, (uint16_t)(wire_get16(p + 2) + n));
	else
		wire_put16(p + 4, (uint16_t)(wire_get16(p + 4) + n));
	return len + n;
}

/* Append IPv4 options (n a multiple of 4) to the IPv4 header. */
static size_t ip4_add_options(uint8_t *p, size_t len, const void *opt,
			      size_t n)
{
	len = insert(p, len, (size_t)(p[0] & 0x0f) * 4, opt, n);
	p[0] += (uint8_t)(n / 4);
	return len;
}

/* Append TCP options (n a multiple of 4) to the TCP header at l4. */
static size_t tcp_add_options(uint8_t *p, size_t len, size_t l4,
			      const void *opt, size_t n)
{
	len = insert(p, len, l4 + (size_t)(p[l4 + 12] >> 4) * 4, opt, n);
	p[l4 + 12] += (uint8_t)(n / 4 << 4);
	return len;
}

/*
 * Put an IPv6 extension header of hl bytes right behind the fixed
 * header: pushing in reverse builds a chain in order. Option headers
 * are filled with one PadN option, as a sender would pad them.
 */
static size_t ip6_push_ext(uint8_t *p, size_t len, uint8_t type, size_t hl)
{
	uint8_t eh[256];

	ck_assert_uint_le(hl, sizeof(eh));
	memset(eh, 0, hl);
	eh[0] = p[6];
	switch (type) {
	case IPPROTO_AH:
		eh[1] = (uint8_t)(hl / 4 - 2);
		break;
	case IPPROTO_FRAGMENT:
		ck_assert_uint_eq(hl, 8);
		break;
	default:
		eh[1] = (uint8_t)(hl / 8 - 1);
		if (type != IPPROTO_ROUTING) {
			eh[2] = 1;
			eh[3] = (uint8_t)(hl - 4);
		}
		break;
	}
	len = insert(p, len, 40, eh, hl);
	p[6] = type;
	return len;
}

static void assert_addr(const struct in6_addr *a, const char *text)
{
	struct in6_addr want;

	ck_assert_int_eq(inet_pton(AF_INET6, text, &want), 1);
	ck_assert_msg(memcmp(a, &want, sizeof(want)) == 0,
		      "address is not %s", text);
}

/*
 * Every caplen from 0 to len: below hdrlen the headers are cut and the
 * answer must be TRUNCATED; from there on the IP length decides the
 * payload, however little of it was captured.
 */
static void check_truncation(const uint8_t *pkt, size_t len, size_t hdrlen,
			     uint32_t payload_len)
{
	struct packet out;
	enum parse_result r;
	uint8_t *block, *p;
	size_t n;

	block = malloc(len);
	ck_assert_ptr_ne(block, NULL);
	for (n = 0; n <= len; n++) {
		p = block + (len - n);
		memcpy(p, pkt, n);
		r = parse_packet(p, n, len, &out);
		if (n < hdrlen) {
			ck_assert_msg(r == PARSE_TRUNCATED,
				      "caplen %zu: %s", n, parse_result_name(r));
		} else {
			ck_assert_msg(r == PARSE_OK,
				      "caplen %zu: %s", n, parse_result_name(r));
			ck_assert_uint_eq(out.payload_len, payload_len);
		}
	}
	free(block);
}

START_TEST(test_ip4_tcp_syn)
{
	static const uint8_t ws[] = { 1, 3, 3, 7 };	/* NOP, wscale 7 */
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	len = build(p, &tcp4_syn);
	len = tcp_add_options(p, len, 20, ws, sizeof(ws));
	ck_assert_uint_eq(len, 20 + 28);

	ck_assert_int_eq(parse(p, len, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.family, AF_INET);
	ck_assert_uint_eq(pkt.proto, IPPROTO_TCP);
	assert_addr(&pkt.src, "::ffff:198.18.0.1");
	assert_addr(&pkt.dst, "::ffff:198.51.100.7");
	ck_assert_uint_eq(pkt.sport, 40000);
	ck_assert_uint_eq(pkt.dport, 27015);
	ck_assert_uint_eq(pkt.seq, 0x11223344);
	ck_assert_uint_eq(pkt.ack, 0);
	ck_assert_uint_eq(pkt.window, 64240);
	ck_assert_uint_eq(pkt.mss, 1460);
	ck_assert_uint_eq(pkt.wscale, 7);
	ck_assert_uint_eq(pkt.tcp_flags, PKT_TCP_SYN);
	ck_assert_uint_eq(pkt.ttl, 57);
	ck_assert_uint_eq(pkt.payload_len, 0);
	ck_assert_uint_eq(pkt.first_fragment, 0);
	ck_assert(addr_is_v4(&pkt.src));
}
END_TEST

START_TEST(test_ip4_udp)
{
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	len = build(p, &udp4);
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.family, AF_INET);
	ck_assert_uint_eq(pkt.proto, IPPROTO_UDP);
	assert_addr(&pkt.src, "::ffff:198.18.0.1");
	assert_addr(&pkt.dst, "::ffff:198.51.100.7");
	ck_assert_uint_eq(pkt.sport, 3074);
	ck_assert_uint_eq(pkt.dport, 3478);
	ck_assert_uint_eq(pkt.ttl, 64);
	ck_assert_uint_eq(pkt.payload_len, 100);
	ck_assert_uint_eq(pkt.seq, 0);
	ck_assert_uint_eq(pkt.ack, 0);
	ck_assert_uint_eq(pkt.window, 0);
	ck_assert_uint_eq(pkt.tcp_flags, 0);
	ck_assert_uint_eq(pkt.mss, 0);
	ck_assert_uint_eq(pkt.wscale, 0xff);
	ck_assert_uint_eq(pkt.first_fragment, 0);
}
END_TEST

START_TEST(test_ip4_options)
{
	/* Seven NOPs and an EOL: ihl 7. */
	static const uint8_t opt[8] = { 1, 1, 1, 1, 1, 1, 1, 0 };
	struct pktspec s = tcp4_syn;
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	s.tcp_flags = PKT_TCP_ACK | 0x40;	/* ECE passes through */
	s.mss = 0;
	s.payload_len = 10;
	len = build(p, &s);
	len = ip4_add_options(p, len, opt, sizeof(opt));
	ck_assert_uint_eq(p[0], 0x47);
	ck_assert_uint_eq(wire_get16(p + 2), 28 + 20 + 10);

	ck_assert_int_eq(parse(p, len, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.sport, 40000);
	ck_assert_uint_eq(pkt.dport, 27015);
	ck_assert_uint_eq(pkt.seq, 0x11223344);
	ck_assert_uint_eq(pkt.tcp_flags, PKT_TCP_ACK | 0x40);
	ck_assert_uint_eq(pkt.payload_len, 10);
	assert_addr(&pkt.dst, "::ffff:198.51.100.7");
}
END_TEST

START_TEST(test_ip6_tcp)
{
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	len = build(p, &tcp6);
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.family, AF_INET6);
	ck_assert_uint_eq(pkt.proto, IPPROTO_TCP);
	assert_addr(&pkt.src, "2001:db8::1");
	assert_addr(&pkt.dst, "2001:db8:ffff::2");
	ck_assert_uint_eq(pkt.sport, 443);
	ck_assert_uint_eq(pkt.dport, 51000);
	ck_assert_uint_eq(pkt.seq, 0xfffffff0);
	ck_assert_uint_eq(pkt.ack, 0x80000001);
	ck_assert_uint_eq(pkt.window, 501);
	ck_assert_uint_eq(pkt.tcp_flags, PKT_TCP_ACK | PKT_TCP_PSH);
	ck_assert_uint_eq(pkt.mss, 0);
	ck_assert_uint_eq(pkt.wscale, 0xff);
	ck_assert_uint_eq(pkt.ttl, 64);
	ck_assert_uint_eq(pkt.payload_len, 1200);
	ck_assert_uint_eq(pkt.first_fragment, 0);
	ck_assert(!addr_is_v4(&pkt.src));
}
END_TEST

START_TEST(test_ip6_udp_ext)
{
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	len = build(p, &udp6);
	len = ip6_push_ext(p, len, IPPROTO_DSTOPTS, 8);
	len = ip6_push_ext(p, len, IPPROTO_HOPOPTS, 16);
	ck_assert_uint_eq(p[6], IPPROTO_HOPOPTS);
	ck_assert_uint_eq(wire_get16(p + 4), 16 + 8 + 8 + 50);

	ck_assert_int_eq(parse(p, len, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.family, AF_INET6);
	ck_assert_uint_eq(pkt.proto, IPPROTO_UDP);
	ck_assert_uint_eq(pkt.sport, 27005);
	ck_assert_uint_eq(pkt.dport, 27015);
	ck_assert_uint_eq(pkt.ttl, 3);
	ck_assert_uint_eq(pkt.payload_len, 50);
	ck_assert_uint_eq(pkt.first_fragment, 0);
	assert_addr(&pkt.src, "2001:db8::1");
}
END_TEST

START_TEST(test_ip6_routing_ah)
{
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	/*
	 * AH counts 4-byte units less two: its length byte of 4 means 24
	 * bytes, where the 8-byte rule of the others would read 40.
	 */
	len = build(p, &tcp6);
	len = ip6_push_ext(p, len, IPPROTO_AH, 24);
	len = ip6_push_ext(p, len, IPPROTO_ROUTING, 24);
	ck_assert_uint_eq(p[40 + 24 + 1], 4);

	ck_assert_int_eq(parse(p, len, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.proto, IPPROTO_TCP);
	ck_assert_uint_eq(pkt.sport, 443);
	ck_assert_uint_eq(pkt.seq, 0xfffffff0);
	ck_assert_uint_eq(pkt.payload_len, 1200);
}
END_TEST

START_TEST(test_ip6_ext_limit)
{
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;
	int i;

	len = build(p, &udp6);
	for (i = 0; i < PKT_MAX_EXT_HEADERS; i++)
		len = ip6_push_ext(p, len, IPPROTO_DSTOPTS, 8);
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.payload_len, 50);

	len = ip6_push_ext(p, len, IPPROTO_DSTOPTS, 8);
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_EXT_LIMIT);
}
END_TEST

START_TEST(test_ip4_first_fragment)
{
	struct pktspec s = udp4;
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	s.payload_len = 1472;
	len = build(p, &s);
	wire_put16(p + 6, 0x2000);		/* MF, offset 0 */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.first_fragment, 1);
	ck_assert_uint_eq(pkt.sport, 3074);
	ck_assert_uint_eq(pkt.dport, 3478);
	ck_assert_uint_eq(pkt.payload_len, 1472);
}
END_TEST

START_TEST(test_ip4_later_fragment)
{
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	len = build(p, &udp4);
	wire_put16(p + 6, 1480 / 8);		/* last fragment */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_FRAGMENT);
	wire_put16(p + 6, 0x2000 | 1480 / 8);	/* a middle one */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_FRAGMENT);
	wire_put16(p + 6, 0x1000);		/* offset 32768: the top bit counts */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_FRAGMENT);
}
END_TEST

START_TEST(test_ip6_fragments)
{
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	len = build(p, &udp6);
	len = ip6_push_ext(p, len, IPPROTO_FRAGMENT, 8);

	wire_put16(p + 42, 1480 | 1);	/* offset 1480 (in place), M */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_FRAGMENT);
	wire_put16(p + 42, 1480);		/* the last one */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_FRAGMENT);
	wire_put16(p + 42, 0x8000);		/* offset 32768: the top bit counts */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_FRAGMENT);

	wire_put16(p + 42, 1);		/* first: offset 0, M */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.first_fragment, 1);
	ck_assert_uint_eq(pkt.sport, 27005);
	ck_assert_uint_eq(pkt.payload_len, 50);

	wire_put16(p + 42, 0);		/* atomic fragment: a whole packet */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.first_fragment, 0);
}
END_TEST

START_TEST(test_truncate_ip4_tcp)
{
	struct pktspec s = tcp4_syn;
	uint8_t p[PKTMAX];
	size_t len;

	s.payload_len = 30;
	len = build(p, &s);
	check_truncation(p, len, 20 + 24, 30);
}
END_TEST

START_TEST(test_truncate_ip6_udp)
{
	uint8_t p[PKTMAX];
	size_t len;

	len = build(p, &udp6);
	check_truncation(p, len, 40 + 8, 50);
}
END_TEST

START_TEST(test_truncate_ip6_ext_tcp)
{
	struct pktspec s = tcp6;
	uint8_t p[PKTMAX];
	size_t len;

	s.mss = 1220;
	s.payload_len = 20;
	len = build(p, &s);
	len = ip6_push_ext(p, len, IPPROTO_AH, 12);
	len = ip6_push_ext(p, len, IPPROTO_DSTOPTS, 16);
	len = ip6_push_ext(p, len, IPPROTO_FRAGMENT, 8);
	len = ip6_push_ext(p, len, IPPROTO_HOPOPTS, 8);
	wire_put16(p + 48 + 2, 1);		/* a first fragment */
	check_truncation(p, len, 40 + 8 + 8 + 16 + 12 + 24, 20);
}
END_TEST

START_TEST(test_copy_range)
{
	struct pktspec s = tcp4_syn;
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	/* The copy range takes the headers and a little payload. */
	s.tcp_flags = PKT_TCP_ACK;
	s.payload_len = 1400;
	len = build(p, &s);
	ck_assert_int_eq(parse_packet(p, 64, len, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.payload_len, 1400);
	ck_assert_uint_eq(pkt.mss, 1460);

	s = udp6;
	s.payload_len = 1400;
	len = build(p, &s);
	ck_assert_int_eq(parse_packet(p, 48, len, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.payload_len, 1400);
}
END_TEST

START_TEST(test_trailing_padding)
{
	struct pktspec s = udp4;
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	/* An Ethernet minimum frame pads 28 bytes of IP to 46. */
	s.payload_len = 0;
	len = build(p, &s);
	ck_assert_uint_eq(len, 28);
	memset(p + len, 0xff, 46 - len);
	ck_assert_int_eq(parse(p, 46, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.payload_len, 0);

	/* Padding is not the TCP header's to read either. */
	s = tcp4_syn;
	s.mss = 0;
	len = build(p, &s);
	p[20 + 12] = 6 << 4;
	memset(p + len, 1, 46 - len);
	ck_assert_int_eq(parse(p, 46, &pkt), PARSE_MALFORMED);
}
END_TEST

START_TEST(test_gso_zero_length)
{
	struct pktspec s = tcp4_syn;
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	s.tcp_flags = PKT_TCP_ACK;
	s.mss = 0;
	s.payload_len = 100;
	len = build(p, &s);
	wire_put16(p + 2, 0);
	ck_assert_int_eq(parse_packet(p, len, 64000, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.payload_len, 64000 - 40);
	/* Zero with a wire length too short for the header. */
	ck_assert_int_eq(parse_packet(p, len, 19, &pkt), PARSE_MALFORMED);

	s = tcp6;
	len = build(p, &s);
	wire_put16(p + 4, 0);
	ck_assert_int_eq(parse_packet(p, len, 185000, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.payload_len, 185000 - 60);

	/* BIG TCP as GRO built it, with a hop-by-hop jumbo option. */
	len = build(p, &s);
	len = ip6_push_ext(p, len, IPPROTO_HOPOPTS, 8);
	wire_put16(p + 4, 0);
	ck_assert_int_eq(parse_packet(p, len, 185008, &pkt), PARSE_OK);
	ck_assert_uint_eq(pkt.payload_len, 185000 - 60);
}
END_TEST

START_TEST(test_bad_version)
{
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	len = build(p, &udp4);
	p[0] = 0x55;
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_MALFORMED);
	p[0] = 0x05;
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_MALFORMED);
	/* An IPv4 packet claiming 6 is too short for an IPv6 header. */
	p[0] = 0x65;
	ck_assert_int_eq(parse(p, 28, &pkt), PARSE_TRUNCATED);
}
END_TEST

START_TEST(test_ip4_bad_ihl)
{
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	len = build(p, &udp4);
	p[0] = 0x44;
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_MALFORMED);
	p[0] = 0x40;
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_MALFORMED);
	/* ihl 15 needs 60 bytes: the IP length (128) has them, caplen not. */
	p[0] = 0x4f;
	ck_assert_int_eq(parse_packet(p, 40, len, &pkt), PARSE_TRUNCATED);
}
END_TEST

/*
 * An IP length beyond what the wire carried (a copy cut short in a real
 * capture, whose IP header still says the whole length): malformed, not a
 * packet whose missing payload counts as data sent again.
 */
START_TEST(test_ip_length_beyond_wire)
{
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	len = build(p, &udp4);
	ck_assert_int_eq(parse_packet(p, len, len - 1, &pkt), PARSE_MALFORMED);
	ck_assert_int_eq(parse_packet(p, len - 1, len, &pkt), PARSE_OK);
	len = build(p, &udp6);
	ck_assert_int_eq(parse_packet(p, len, len - 1, &pkt), PARSE_MALFORMED);
	ck_assert_int_eq(parse_packet(p, len, len + 18, &pkt), PARSE_OK);
}
END_TEST

START_TEST(test_short_ip_length)
{
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	len = build(p, &udp4);
	wire_put16(p + 2, 19);
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_MALFORMED);
	wire_put16(p + 2, 20 + 7);		/* no room for the UDP header */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_MALFORMED);

	len = build(p, &tcp4_syn);
	wire_put16(p + 2, 20 + 10);		/* nor for the TCP header */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_MALFORMED);
	wire_put16(p + 2, 20 + 20);		/* nor for its MSS option */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_MALFORMED);

	len = build(p, &tcp6);
	wire_put16(p + 4, 19);
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_MALFORMED);

	/* An extension header running past the payload length. */
	len = build(p, &udp6);
	len = ip6_push_ext(p, len, IPPROTO_HOPOPTS, 8);
	p[41] = 16;			/* 136 bytes, 66 on offer */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_MALFORMED);
	wire_put16(p + 4, 4);		/* not even its first 8 bytes */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_MALFORMED);
}
END_TEST

START_TEST(test_tcp_bad_doff)
{
	struct pktspec s = tcp4_syn;
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	s.mss = 0;
	s.payload_len = 40;
	len = build(p, &s);
	p[32] = 4 << 4;
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_MALFORMED);
	p[32] = 0;
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_MALFORMED);
	/* 60 bytes fit in the IP length but not in 50 captured bytes. */
	p[32] = 15 << 4;
	ck_assert_int_eq(parse_packet(p, 50, len, &pkt), PARSE_TRUNCATED);

	s.payload_len = 0;
	len = build(p, &s);
	p[32] = 15 << 4;		/* past the IP length */
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_MALFORMED);
}
END_TEST

START_TEST(test_tcp_options)
{
	static const struct {
		uint8_t opt[4];
		enum parse_result r;
		uint16_t mss;
		uint8_t wscale;
	} t[] = {
		{ { 2, 4, 0x05, 0xb4 }, PARSE_OK, 1460, 0xff },
		{ { 1, 3, 3, 9 }, PARSE_OK, 0, 9 },
		{ { 1, 3, 3, 15 }, PARSE_OK, 0, 14 },	/* RFC 7323 cap */
		{ { 1, 1, 1, 1 }, PARSE_OK, 0, 0xff },
		{ { 0, 2, 4, 1 }, PARSE_OK, 0, 0xff },	/* nothing after EOL */
		{ { 2, 3, 5, 0 }, PARSE_OK, 0, 0xff },	/* MSS of wrong size */
		{ { 2, 0, 5, 0 }, PARSE_MALFORMED, 0, 0 },
		{ { 2, 1, 1, 1 }, PARSE_MALFORMED, 0, 0 },
		{ { 2, 5, 5, 0 }, PARSE_MALFORMED, 0, 0 },
		{ { 1, 1, 8, 10 }, PARSE_MALFORMED, 0, 0 },
		{ { 1, 1, 1, 8 }, PARSE_MALFORMED, 0, 0 },	/* no length byte */
	};
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len, i;

	len = build(p, &tcp4_syn);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memcpy(p + 40, t[i].opt, 4);
		ck_assert_msg(parse(p, len, &pkt) == t[i].r, "case %zu", i);
		if (t[i].r != PARSE_OK)
			continue;
		ck_assert_uint_eq(pkt.mss, t[i].mss);
		ck_assert_uint_eq(pkt.wscale, t[i].wscale);
	}
}
END_TEST

START_TEST(test_not_tcp_udp)
{
	uint8_t p[PKTMAX];
	struct packet pkt;
	size_t len;

	len = build(p, &udp4);
	p[9] = IPPROTO_ICMP;
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_NOT_TCP_UDP);

	len = build(p, &udp6);
	p[6] = IPPROTO_ICMPV6;
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_NOT_TCP_UDP);

	/* Found only after walking the extension headers. */
	len = ip6_push_ext(p, len, IPPROTO_DSTOPTS, 8);
	len = ip6_push_ext(p, len, IPPROTO_HOPOPTS, 8);
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_NOT_TCP_UDP);
	p[48] = IPPROTO_ESP;
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_NOT_TCP_UDP);
	p[48] = IPPROTO_NONE;
	ck_assert_int_eq(parse(p, len, &pkt), PARSE_NOT_TCP_UDP);
}
END_TEST

START_TEST(test_addr_format)
{
	char buf[INET6_ADDRSTRLEN], small[8];
	struct in6_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:198.18.0.1", &a), 1);
	ck_assert(addr_is_v4(&a));
	ck_assert_str_eq(addr_format(&a, buf, sizeof(buf)),
			 "198.18.0.1");
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:255.255.255.255", &a), 1);
	ck_assert_str_eq(addr_format(&a, buf, sizeof(buf)),
			 "255.255.255.255");

	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", &a), 1);
	ck_assert(!addr_is_v4(&a));
	ck_assert_str_eq(addr_format(&a, buf, sizeof(buf)),
			 "2001:db8::1");
	ck_assert_int_eq(inet_pton(AF_INET6, "::", &a), 1);
	ck_assert(!addr_is_v4(&a));
	ck_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "::");

	/* Too small: an empty string, never an overrun. */
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", &a), 1);
	ck_assert_str_eq(addr_format(&a, small, sizeof(small)), "");
}
END_TEST

START_TEST(test_result_names)
{
	ck_assert_str_eq(parse_result_name(PARSE_OK), "ok");
	ck_assert_str_eq(parse_result_name(PARSE_TRUNCATED), "truncated");
	ck_assert_str_eq(parse_result_name(PARSE_MALFORMED), "malformed");
	ck_assert_str_eq(parse_result_name(PARSE_NOT_TCP_UDP), "not_tcp_udp");
	ck_assert_str_eq(parse_result_name(PARSE_FRAGMENT), "fragment");
	ck_assert_str_eq(parse_result_name(PARSE_EXT_LIMIT), "ext_limit");
	ck_assert_str_eq(parse_result_name(PARSE_RESULT_MAX), "unknown");
}
END_TEST

/* xorshift64*: the same sequence on every libc, unlike rand(). */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

START_TEST(test_fuzz_random)
{
	uint64_t seed = 0x6761707761746368ULL;
	unsigned long bad = 0;
	struct packet pkt;
	enum parse_result r;
	uint8_t *block, *p;
	size_t n, j, wirelen;
	unsigned long i;

	block = malloc(FUZZ_MAXLEN);
	ck_assert_ptr_ne(block, NULL);
	for (i = 0; i < FUZZ_ROUNDS; i++) {
		n = rnd(&seed) % (FUZZ_MAXLEN + 1);
		p = block + (FUZZ_MAXLEN - n);
		for (j = 0; j < n; j++)
			p[j] = (uint8_t)rnd(&seed);
		if (n > 0 && (i & 1))
			p[0] = (uint8_t)((p[0] & 0x0f) |
					 (rnd(&seed) & 1 ? 0x40 : 0x60));
		wirelen = n + rnd(&seed) % 2000;
		r = parse_packet(p, n, wirelen, &pkt);
		/* One assertion at the end: each one costs Check a write. */
		if ((unsigned int)r >= PARSE_RESULT_MAX)
			bad++;
	}
	free(block);
	ck_assert_uint_eq(bad, 0);
}
END_TEST

/*
 * Random bytes rarely get past the IP header; flipping a few bytes of
 * well-formed packets walks the extension header and TCP option loops.
 */
START_TEST(test_fuzz_mutate)
{
	static const uint8_t ws[] = { 1, 3, 3, 7, 1, 1, 8, 10, 0, 0, 0, 0,
				      0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t seeds[3][PKTMAX], *block, *p;
	uint64_t seed = 0x6d75746174650a00ULL;
	size_t seedlen[3], len, n, k, flips;
	unsigned long i, bad = 0, ok = 0;
	struct pktspec s = tcp6;
	struct packet pkt;
	enum parse_result r;

	seedlen[0] = build(seeds[0], &tcp4_syn);
	seedlen[0] = tcp_add_options(seeds[0], seedlen[0], 20, ws, sizeof(ws));
	s.mss = 1220;
	s.payload_len = 8;
	seedlen[1] = build(seeds[1], &s);
	seedlen[1] = ip6_push_ext(seeds[1], seedlen[1], IPPROTO_AH, 16);
	seedlen[1] = ip6_push_ext(seeds[1], seedlen[1], IPPROTO_FRAGMENT, 8);
	seedlen[1] = ip6_push_ext(seeds[1], seedlen[1], IPPROTO_HOPOPTS, 8);
	seedlen[2] = build(seeds[2], &udp6);

	block = malloc(PKTMAX);
	ck_assert_ptr_ne(block, NULL);
	for (i = 0; i < FUZZ_ROUNDS / 2; i++) {
		k = i % 3;
		len = seedlen[k];
		n = len - rnd(&seed) % (len / 4 + 1);
		p = block + (PKTMAX - n);
		memcpy(p, seeds[k], n);
		for (flips = rnd(&seed) % 4 + 1; flips > 0; flips--)
			p[rnd(&seed) % n] = (uint8_t)rnd(&seed);
		r = parse_packet(p, n, len, &pkt);
		if ((unsigned int)r >= PARSE_RESULT_MAX)
			bad++;
		ok += r == PARSE_OK;
	}
	free(block);
	ck_assert_uint_eq(bad, 0);
	/* Make sure the mutations did not all die at the IP header. */
	ck_assert_uint_gt(ok, FUZZ_ROUNDS / 20);
}
END_TEST

static Suite *packet_suite(void)
{
	Suite *s = suite_create("packet");
	TCase *tc;

	tc = tcase_create("headers");
	tcase_add_test(tc, test_ip4_tcp_syn);
	tcase_add_test(tc, test_ip4_udp);
	tcase_add_test(tc, test_ip4_options);
	tcase_add_test(tc, test_ip6_tcp);
	tcase_add_test(tc, test_ip6_udp_ext);
	tcase_add_test(tc, test_ip6_routing_ah);
	tcase_add_test(tc, test_ip6_ext_limit);
	tcase_add_test(tc, test_not_tcp_udp);
	suite_add_tcase(s, tc);

	tc = tcase_create("fragments");
	tcase_add_test(tc, test_ip4_first_fragment);
	tcase_add_test(tc, test_ip4_later_fragment);
	tcase_add_test(tc, test_ip6_fragments);
	suite_add_tcase(s, tc);

	tc = tcase_create("lengths");
	tcase_add_test(tc, test_truncate_ip4_tcp);
	tcase_add_test(tc, test_truncate_ip6_udp);
	tcase_add_test(tc, test_truncate_ip6_ext_tcp);
	tcase_add_test(tc, test_copy_range);
	tcase_add_test(tc, test_trailing_padding);
	tcase_add_test(tc, test_gso_zero_length);
	tcase_add_test(tc, test_bad_version);
	tcase_add_test(tc, test_ip4_bad_ihl);
	tcase_add_test(tc, test_ip_length_beyond_wire);
	tcase_add_test(tc, test_short_ip_length);
	tcase_add_test(tc, test_tcp_bad_doff);
	tcase_add_test(tc, test_tcp_options);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_addr_format);
	tcase_add_test(tc, test_result_names);
	suite_add_tcase(s, tc);

	/* Generous: sanitizers and valgrind slow the loops tenfold. */
	tc = tcase_create("fuzz");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fuzz_random);
	tcase_add_test(tc, test_fuzz_mutate);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(packet_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
