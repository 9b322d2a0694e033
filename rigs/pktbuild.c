/*
 * pktbuild.c - synthetic packets for the tests.
 *
 * The headers are written by wire.c, as gapwatchd writes its probes and
 * the headers of its pcap evidence; byte offsets rather than header
 * structs, so that the builder shares no struct layout (nor mistake) with
 * the parser it is there to test.
 */
#include <arpa/inet.h>
#include <string.h>

#include "addr.h"
#include "pktbuild.h"
#include "wire.h"

#define PAYLOAD_BYTE	0x5a

/* addr's textual form in family, kept as addr.h says; -1 if unparsable. */
static int parse_addr(int family, const char *text, struct in6_addr *a)
{
	uint8_t v4[4];

	if (family == AF_INET6)
		return inet_pton(AF_INET6, text, a) == 1 ? 0 : -1;
	if (inet_pton(AF_INET, text, v4) != 1)
		return -1;
	addr_from_v4(a, v4);
	return 0;
}

size_t pktbuild(uint8_t *buf, size_t len, const struct pktspec *s)
{
	struct wire_spec w = {
		.sport = s->sport,
		.dport = s->dport,
		.proto = (uint8_t)s->proto,
		.ttl = s->ttl ? s->ttl : 64,
		.seq = s->seq,
		.ack = s->ack,
		.tcp_flags = s->tcp_flags,
		.window = s->window,
		.mss = s->mss,
		.payload_len = s->payload_len,
	};
	size_t hlen, l4len;

	if ((s->family != AF_INET && s->family != AF_INET6) ||
	    (s->proto != IPPROTO_TCP && s->proto != IPPROTO_UDP) ||
	    parse_addr(s->family, s->src, &w.src) < 0 ||
	    parse_addr(s->family, s->dst, &w.dst) < 0)
		return 0;
	hlen = wire_header_len(&w);
	l4len = hlen - (s->family == AF_INET ? WIRE_IP4_HLEN : WIRE_IP6_HLEN) +
		s->payload_len;
	/* IPv4 counts its header in the 16-bit length, IPv6 does not. */
	if (l4len > 0xffff - (s->family == AF_INET ? WIRE_IP4_HLEN : 0) ||
	    hlen + s->payload_len > len)
		return 0;
	wire_write_headers(&w, buf);
	memset(buf + hlen, PAYLOAD_BYTE, s->payload_len);
	wire_set_l4_checksum(&w, buf);
	return hlen + s->payload_len;
}
