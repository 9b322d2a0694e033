/*
 * packet.h - parse IPv4/IPv6 + TCP/UDP headers into a small, flat record.
 *
 * The parser never allocates and never reads outside [buf, buf + caplen).
 * Addresses are kept as addr.h says: IPv6, IPv4 v4-mapped.
 */
#ifndef GAPWATCH_PACKET_H
#define GAPWATCH_PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* TCP flag bits as they stand in the TCP header's flags byte. */
#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10
#define PKT_TCP_URG 0x20

/* Walking more IPv6 extension headers than this is treated as hostile. */
#define PKT_MAX_EXT_HEADERS 8

enum parse_result {
	PARSE_OK = 0,
	PARSE_TRUNCATED,	/* headers cut short by the capture/copy range */
	PARSE_MALFORMED,	/* lengths or fields that cannot be right */
	PARSE_NOT_TCP_UDP,	/* another transport (ICMP, ESP, ...) */
	PARSE_FRAGMENT,		/* a non-first fragment: carries no ports */
	PARSE_EXT_LIMIT,	/* too many IPv6 extension headers */
	PARSE_RESULT_MAX
};

struct packet {
	struct in6_addr src;
	struct in6_addr dst;
	uint32_t seq;		/* TCP only */
	uint32_t ack;		/* TCP only */
	uint32_t payload_len;	/* transport payload, from the IP lengths */
	uint16_t sport;
	uint16_t dport;
	uint16_t window;	/* TCP, unscaled as on the wire */
	uint16_t mss;		/* TCP MSS option, 0 if absent */
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t ttl;		/* IPv4 TTL or IPv6 hop limit */
	uint8_t tcp_flags;	/* flags byte as is: PKT_TCP_*, ECE, CWR */
	uint8_t wscale;		/* TCP window scale shift (<= 14), 0xff if absent */
	uint8_t tcp_opts;	/* PKT_OPT_*: other options present */
	uint8_t first_fragment;	/* 1 if offset 0 and MF (IPv4) or M (IPv6) */
	uint8_t ct;		/* PKT_CT_*: set by the source, not the parser */
};

/* TCP options present beyond MSS and window scale (a SYN's tell which
 * stack sent it). */
#define PKT_OPT_SACK_OK		0x01
#define PKT_OPT_TS		0x02

/* What conntrack said of the packet, from the marks the rules set. */
#define PKT_CT_INVALID		0x01
#define PKT_CT_UNTRACKED	0x02

/*
 * parse_packet - parse the network-layer packet at buf.
 * @buf:     first byte of the IPv4 or IPv6 header
 * @caplen:  bytes available at buf (the copy range or capture length)
 * @wirelen: length of the packet on the wire (>= caplen); taken when
 *           the IP length field is zero (IPv4 GSO/TSO super-packets,
 *           IPv6 jumbograms and BIG TCP); an IP length beyond it is
 *           PARSE_MALFORMED
 * @pkt:     filled on PARSE_OK; undefined otherwise
 *
 * Returns PARSE_OK or the reason the packet was not parsed. Checksums are
 * never checked: with GSO they are legitimately incomplete.
 */
enum parse_result parse_packet(const uint8_t *buf, size_t caplen,
			       size_t wirelen, struct packet *pkt);

/* parse_result_name - short stable name of a result, for counters. */
const char *parse_result_name(enum parse_result r);

#endif
