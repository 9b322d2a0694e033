/*
 * packet.c - IPv4/IPv6 + TCP/UDP header parser for the packet path.
 *
 * This runs once per queued packet, millions of times a second, so it
 * reads the headers byte by byte rather than through the struct ip,
 * ip6_hdr and tcphdr overlays: the payload of a netlink attribute is only 4-byte aligned
 * (and a pcap record not even that), and byte reads settle alignment and
 * byte order in one go. The compiler turns them into plain loads.
 *
 * Every length is checked twice, in this order: against what the IP
 * header says the packet spans (failing that, the packet cannot be right:
 * PARSE_MALFORMED) and then against what we were handed (failing that,
 * the copy range cut it: PARSE_TRUNCATED). Bytes beyond the IP length
 * (Ethernet padding) are never looked at.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "packet.h"
#include "wire.h"

#define IP4_HDRLEN	20
#define IP4_MF		0x2000
#define IP4_OFFMASK	0x1fff

#define IP6_HDRLEN	40
#define IP6_EXT_MINLEN	8
#define IP6_MF		0x0001
#define IP6_OFFMASK	0xfff8

#define TCP_HDRLEN	20
#define UDP_HDRLEN	8

/*
 * Our own names for the TCP options: glibc only declares TCPOPT_* under
 * _DEFAULT_SOURCE, and this file must build with a strict -std as well.
 */
#define TCP_OPT_EOL	0
#define TCP_OPT_NOP	1
#define TCP_OPT_MSS	2
#define TCP_OPT_WSCALE	3
#define TCP_OPT_SACK_OK	4
#define TCP_OPT_TS	8
#define TCP_OLEN_MSS	4
#define TCP_OLEN_WSCALE	3
/* RFC 7323 2.3: a larger shift is taken as 14. It also keeps 0xff free. */
#define TCP_MAX_WSCALE	14
#define TCP_NO_WSCALE	0xff

static const char *const result_names[PARSE_RESULT_MAX] = {
	[PARSE_OK]		= "ok",
	[PARSE_TRUNCATED]	= "truncated",
	[PARSE_MALFORMED]	= "malformed",
	[PARSE_NOT_TCP_UDP]	= "not_tcp_udp",
	[PARSE_FRAGMENT]	= "fragment",
	[PARSE_EXT_LIMIT]	= "ext_limit",
};

static inline size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/*
 * th is the TCP header; avail is how much of the segment the capture
 * holds and tlen how much the IP header says there is (avail <= tlen).
 */
static enum parse_result parse_tcp(const uint8_t *th, size_t avail,
				   size_t tlen, struct packet *pkt)
{
	size_t hl, off;
	uint8_t kind, olen;

	if (tlen < TCP_HDRLEN)
		return PARSE_MALFORMED;
	if (avail < TCP_HDRLEN)
		return PARSE_TRUNCATED;
	hl = (size_t)(th[12] >> 4) * 4;
	if (hl < TCP_HDRLEN || hl > tlen)
		return PARSE_MALFORMED;
	if (hl > avail)
		return PARSE_TRUNCATED;

	pkt->sport = wire_get16(th);
	pkt->dport = wire_get16(th + 2);
	pkt->seq = wire_get32(th + 4);
	pkt->ack = wire_get32(th + 8);
	/* The whole byte: ECE and CWR have no PKT_TCP_* name but are kept. */
	pkt->tcp_flags = th[13];
	pkt->window = wire_get16(th + 14);
	pkt->mss = 0;
	pkt->wscale = TCP_NO_WSCALE;
	pkt->tcp_opts = 0;

	off = TCP_HDRLEN;
	while (off < hl) {
		kind = th[off];
		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			off++;
			continue;
		}
		/*
		 * A length byte missing, below 2 (which would never advance)
		 * or running past the data offset: no sender builds that, so
		 * nothing else in this header is worth trusting either.
		 */
		if (off + 1 >= hl)
			return PARSE_MALFORMED;
		olen = th[off + 1];
		if (olen < 2 || off + olen > hl)
			return PARSE_MALFORMED;
		/* Known kinds of the wrong size are skipped, as Linux does. */
		if (kind == TCP_OPT_MSS && olen == TCP_OLEN_MSS)
			pkt->mss = wire_get16(th + off + 2);
		else if (kind == TCP_OPT_WSCALE && olen == TCP_OLEN_WSCALE)
			pkt->wscale = th[off + 2] > TCP_MAX_WSCALE ?
				      TCP_MAX_WSCALE : th[off + 2];
		else if (kind == TCP_OPT_SACK_OK)
			pkt->tcp_opts |= PKT_OPT_SACK_OK;
		else if (kind == TCP_OPT_TS)
			pkt->tcp_opts |= PKT_OPT_TS;
		off += olen;
	}

	pkt->payload_len = (uint32_t)(tlen - hl);
	return PARSE_OK;
}

/*
 * The UDP length field is ignored: with UDP GSO it describes one segment
 * or has wrapped, and the IP length already bounds the datagram.
 */
static enum parse_result parse_udp(const uint8_t *uh, size_t avail,
				   size_t tlen, struct packet *pkt)
{
	if (tlen < UDP_HDRLEN)
		return PARSE_MALFORMED;
	if (avail < UDP_HDRLEN)
		return PARSE_TRUNCATED;

	pkt->sport = wire_get16(uh);
	pkt->dport = wire_get16(uh + 2);
	pkt->seq = 0;
	pkt->ack = 0;
	pkt->tcp_flags = 0;
	pkt->window = 0;
	pkt->mss = 0;
	pkt->wscale = TCP_NO_WSCALE;
	pkt->tcp_opts = 0;
	pkt->payload_len = (uint32_t)(tlen - UDP_HDRLEN);
	return PARSE_OK;
}

static enum parse_result parse_l4(uint8_t proto, const uint8_t *l4,
				  size_t avail, size_t tlen,
				  struct packet *pkt)
{
	pkt->proto = proto;
	switch (proto) {
	case IPPROTO_TCP:
		return parse_tcp(l4, avail, tlen, pkt);
	case IPPROTO_UDP:
		return parse_udp(l4, avail, tlen, pkt);
	default:
		return PARSE_NOT_TCP_UDP;
	}
}

static enum parse_result parse_ip4(const uint8_t *buf, size_t caplen,
				   size_t wirelen, struct packet *pkt)
{
	size_t hl, iplen;
	uint16_t frag;

	if (caplen < IP4_HDRLEN)
		return PARSE_TRUNCATED;
	hl = (size_t)(buf[0] & 0x0f) * 4;
	if (hl < IP4_HDRLEN)
		return PARSE_MALFORMED;
	iplen = wire_get16(buf + 2);
	/* GSO/TSO super-packets leave the length for the NIC to fill in. */
	if (iplen == 0)
		iplen = wirelen;
	/* More than the wire carried: a cut-short copy, whose lengths
	 * would make up payload nobody sent. */
	if (iplen < hl || iplen > wirelen)
		return PARSE_MALFORMED;
	if (hl > caplen)
		return PARSE_TRUNCATED;

	frag = wire_get16(buf + 6);
	if (frag & IP4_OFFMASK)
		return PARSE_FRAGMENT;
	pkt->first_fragment = (frag & IP4_MF) != 0;

	pkt->family = AF_INET;
	pkt->ttl = buf[8];
	pkt->ct = 0;
	addr_from_v4(&pkt->src, buf + 12);
	addr_from_v4(&pkt->dst, buf + 16);

	return parse_l4(buf[9], buf + hl, min_size(caplen, iplen) - hl,
			iplen - hl, pkt);
}

/*
 * The extension headers are walked wherever they stand in the chain, as
 * the kernel's ipv6_skip_exthdr() (and so conntrack) does; RFC 8200 wants
 * hop-by-hop first, but refusing it elsewhere would only make us blind to
 * packets that conntrack still sees.
 */
static enum parse_result parse_ip6(const uint8_t *buf, size_t caplen,
				   size_t wirelen, struct packet *pkt)
{
	const uint8_t *eh;
	size_t iplen, off, hl;
	uint16_t frag;
	uint8_t nh;
	int n;

	if (caplen < IP6_HDRLEN)
		return PARSE_TRUNCATED;
	iplen = wire_get16(buf + 4);
	/*
	 * Zero is a jumbogram (RFC 2675) or a BIG TCP GSO packet, with or
	 * without its hop-by-hop jumbo option: either way the wire length
	 * is the one to believe.
	 */
	if (iplen == 0)
		iplen = wirelen;
	else
		iplen += IP6_HDRLEN;
	if (iplen < IP6_HDRLEN || iplen > wirelen)
		return PARSE_MALFORMED;

	pkt->first_fragment = 0;
	nh = buf[6];
	off = IP6_HDRLEN;
	for (n = 0;; n++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_FRAGMENT:
		case IPPROTO_AH:
			break;
		default:
			goto transport;
		}
		if (n == PKT_MAX_EXT_HEADERS)
			return PARSE_EXT_LIMIT;
		if (off + IP6_EXT_MINLEN > iplen)
			return PARSE_MALFORMED;
		if (off + IP6_EXT_MINLEN > caplen)
			return PARSE_TRUNCATED;
		eh = buf + off;
		switch (nh) {
		case IPPROTO_FRAGMENT:
			hl = IP6_EXT_MINLEN;
			frag = wire_get16(eh + 2);
			if (frag & IP6_OFFMASK)
				return PARSE_FRAGMENT;
			/* Offset 0 without M is an atomic fragment (RFC 6946). */
			pkt->first_fragment = (frag & IP6_MF) != 0;
			break;
		case IPPROTO_AH:
			hl = ((size_t)eh[1] + 2) * 4;
			break;
		default:
			hl = ((size_t)eh[1] + 1) * 8;
			break;
		}
		if (off + hl > iplen)
			return PARSE_MALFORMED;
		if (off + hl > caplen)
			return PARSE_TRUNCATED;
		nh = eh[0];
		off += hl;
	}

transport:
	pkt->family = AF_INET6;
	pkt->ttl = buf[7];
	pkt->ct = 0;
	memcpy(&pkt->src, buf + 8, sizeof(pkt->src));
	memcpy(&pkt->dst, buf + 24, sizeof(pkt->dst));

	return parse_l4(nh, buf + off, min_size(caplen, iplen) - off,
			iplen - off, pkt);
}

enum parse_result parse_packet(const uint8_t *buf, size_t caplen,
			       size_t wirelen, struct packet *pkt)
{
	if (caplen == 0)
		return PARSE_TRUNCATED;
	switch (buf[0] >> 4) {
	case 4:
		return parse_ip4(buf, caplen, wirelen, pkt);
	case 6:
		return parse_ip6(buf, caplen, wirelen, pkt);
	default:
		return PARSE_MALFORMED;
	}
}

const char *parse_result_name(enum parse_result r)
{
	if ((unsigned int)r >= PARSE_RESULT_MAX)
		return "unknown";
	return result_names[r];
}

