/*
 * wire.h - IP packets as bytes: big-endian fields, the Internet checksum,
 * and the IPv4/IPv6 + TCP/UDP headers that gapwatch writes (probes, the
 * headers rebuilt in pcap evidence, the tests' packets).
 *
 * Byte offsets rather than header structs: no alignment, no struct
 * layout shared with the parser that reads these packets. No library, no
 * I/O, no allocation. Addresses are kept as addr.h says (IPv4 v4-mapped).
 */
#ifndef GAPWATCH_WIRE_H
#define GAPWATCH_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define WIRE_IP4_HLEN	20
#define WIRE_IP6_HLEN	40
#define WIRE_TCP_HLEN	20		/* without options */
#define WIRE_TCP_MSS_LEN 4		/* the MSS option */
#define WIRE_UDP_HLEN	8

/* wire_get16 / wire_get32 - the big-endian value at p (any alignment). */
static inline uint16_t wire_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t wire_get32(const uint8_t *p)
{
	return (uint32_t)wire_get16(p) << 16 | wire_get16(p + 2);
}

/* wire_put16 / wire_put32 - store v big-endian at p (any alignment). */
static inline void wire_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wire_put32(uint8_t *p, uint32_t v)
{
	wire_put16(p, (uint16_t)(v >> 16));
	wire_put16(p + 2, (uint16_t)v);
}

/*
 * wire_hex_digit - the value of the hex digit c (either case), or -1: for
 * bytes written as text (--probe-udp-payload, JSON's \u escapes).
 */
static inline int wire_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * wire_sum - sum adds the len bytes at buf as big-endian 16-bit words (an
 * odd last byte padded with zero), RFC 1071. Returns the sum unfolded,
 * for wire_checksum() or further wire_sum() calls. len must stay below
 * 128 KiB a call for 32 bits not to overflow.
 */
uint32_t wire_sum(const void *buf, size_t len, uint32_t sum);

/*
 * wire_checksum - the Internet checksum of the len bytes at buf on top of
 * sum (0, or a pseudo-header's wire_pseudo_sum()): folded, complemented.
 */
uint16_t wire_checksum(const void *buf, size_t len, uint32_t sum);

/*
 * wire_pseudo_sum - the unfolded sum of the transport pseudo-header of
 * src -> dst (both v4-mapped: RFC 768/793's, else RFC 8200's) for proto
 * and a transport length of l4_len bytes.
 */
uint32_t wire_pseudo_sum(const struct in6_addr *src, const struct in6_addr *dst,
			 uint8_t proto, uint32_t l4_len);

/* The headers of one packet. */
struct wire_spec {
	struct in6_addr src, dst;	/* both v4-mapped: IPv4 */
	uint16_t sport, dport;
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t ttl;			/* TTL or hop limit */
	uint16_t ip_id;			/* IPv4 */
	uint32_t flow_label;		/* IPv6, 20 bits */
	uint32_t seq, ack;		/* TCP */
	uint8_t tcp_flags;		/* TCP, the flags byte */
	uint16_t window;		/* TCP */
	uint16_t mss;			/* TCP MSS option; 0: none */
	uint32_t payload_len;		/* transport payload after the headers */
};

/* wire_header_len - the IP + transport header bytes of s. */
size_t wire_header_len(const struct wire_spec *s);

/*
 * wire_write_headers - the IP and transport headers of s at buf, which
 * holds wire_header_len(s) bytes: IPv4 with DF set and its header
 * checksum, or IPv6 without extension headers; the transport checksum
 * 0. The length fields count payload_len; one that 16 bits cannot hold
 * is written 0, as GSO super-packets and jumbograms carry it. Returns the
 * header length.
 */
size_t wire_write_headers(const struct wire_spec *s, uint8_t *buf);

/*
 * wire_set_l4_checksum - the transport checksum of the packet s at pkt,
 * whose headers wire_write_headers() wrote and whose payload follows
 * them. A UDP checksum that comes out 0 is sent as 0xffff (0 means none).
 */
void wire_set_l4_checksum(const struct wire_spec *s, uint8_t *pkt);

#endif
