/*
 * wire.c - IP packet bytes: the Internet checksum and header writing.
 */
#include <string.h>

#include "addr.h"
#include "wire.h"

uint32_t wire_sum(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t wire_checksum(const void *buf, size_t len, uint32_t sum)
{
	sum = wire_sum(buf, len, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t wire_pseudo_sum(const struct in6_addr *src, const struct in6_addr *dst,
			 uint8_t proto, uint32_t l4_len)
{
	/* IPv6 widens the length and the protocol to 32 bits: that adds
	 * only zero words, so one sum serves both families. */
	size_t skip = addr_is_v4(src) ? 12 : 0;
	uint32_t sum;

	sum = wire_sum(src->s6_addr + skip, sizeof(src->s6_addr) - skip, 0);
	sum = wire_sum(dst->s6_addr + skip, sizeof(dst->s6_addr) - skip, sum);
	return sum + proto + (l4_len >> 16) + (l4_len & 0xffff);
}

static size_t l4_header_len(const struct wire_spec *s)
{
	if (s->proto == IPPROTO_TCP)
		return WIRE_TCP_HLEN + (s->mss ? WIRE_TCP_MSS_LEN : 0);
	return WIRE_UDP_HLEN;
}

size_t wire_header_len(const struct wire_spec *s)
{
	return (addr_is_v4(&s->src) ? WIRE_IP4_HLEN : WIRE_IP6_HLEN) +
	       l4_header_len(s);
}

/* A length field: 0 when 16 bits cannot say it. */
static uint16_t len16(uint64_t len)
{
	return len > 0xffff ? 0 : (uint16_t)len;
}

size_t wire_write_headers(const struct wire_spec *s, uint8_t *buf)
{
	size_t l4_hlen = l4_header_len(s), hlen = wire_header_len(s);
	uint64_t l4_len = (uint64_t)l4_hlen + s->payload_len;
	uint8_t *l4 = buf + hlen - l4_hlen;

	memset(buf, 0, hlen);
	if (addr_is_v4(&s->src)) {
		buf[0] = 0x45;
		wire_put16(buf + 2, len16(WIRE_IP4_HLEN + l4_len));
		wire_put16(buf + 4, s->ip_id);
		wire_put16(buf + 6, 0x4000);		/* DF, as Linux sends */
		buf[8] = s->ttl;
		buf[9] = s->proto;
		memcpy(buf + 12, &s->src.s6_addr[12], 4);
		memcpy(buf + 16, &s->dst.s6_addr[12], 4);
		wire_put16(buf + 10, wire_checksum(buf, WIRE_IP4_HLEN, 0));
	} else {
		wire_put32(buf, 6u << 28 | (s->flow_label & 0xfffff));
		wire_put16(buf + 4, len16(l4_len));
		buf[6] = s->proto;
		buf[7] = s->ttl;
		memcpy(buf + 8, &s->src, 16);
		memcpy(buf + 24, &s->dst, 16);
	}
	wire_put16(l4, s->sport);
	wire_put16(l4 + 2, s->dport);
	if (s->proto == IPPROTO_TCP) {
		wire_put32(l4 + 4, s->seq);
		wire_put32(l4 + 8, s->ack);
		l4[12] = (uint8_t)(l4_hlen / 4 << 4);
		l4[13] = s->tcp_flags;
		wire_put16(l4 + 14, s->window);
		if (s->mss) {
			l4[20] = 2;		/* kind MSS, 4 bytes: no padding */
			l4[21] = WIRE_TCP_MSS_LEN;
			wire_put16(l4 + 22, s->mss);
		}
	} else {
		wire_put16(l4 + 4, len16(l4_len));
	}
	return hlen;
}

void wire_set_l4_checksum(const struct wire_spec *s, uint8_t *pkt)
{
	size_t l4_hlen = l4_header_len(s);
	uint8_t *l4 = pkt + wire_header_len(s) - l4_hlen;
	uint32_t l4_len = (uint32_t)l4_hlen + s->payload_len;
	uint16_t ck;

	ck = wire_checksum(l4, l4_len,
			   wire_pseudo_sum(&s->src, &s->dst, s->proto, l4_len));
	if (s->proto == IPPROTO_TCP) {
		wire_put16(l4 + 16, ck);
	} else {
		/* A UDP checksum of 0 means "none"; its complement says the
		 * same. */
		wire_put16(l4 + 6, ck ? ck : 0xffff);
	}
}
