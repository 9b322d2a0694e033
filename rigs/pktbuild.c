/*
 * pktbuild.c - synthetic packets for the tests.
 *
 * Byte offsets rather than header structs, so that the builder shares no
 * struct layout (nor mistake) with the parser it is there to test.
 */
#include <arpa/inet.h>
#include <string.h>

#include "pktbuild.h"

#define PAYLOAD_BYTE	0x5a

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* RFC 1071 one's complement sum, big-endian words, odd byte padded. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (; n > 1; p += 2, n -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t pktbuild(uint8_t *buf, size_t len, const struct pktspec *s)
{
	uint8_t src[16], dst[16], *l4;
	size_t alen, iphl, l4hl, l4len, csum_off;
	uint16_t csum;
	uint32_t sum;

	switch (s->family) {
	case AF_INET:
		alen = 4;
		iphl = 20;
		break;
	case AF_INET6:
		alen = 16;
		iphl = 40;
		break;
	default:
		return 0;
	}
	switch (s->proto) {
	case IPPROTO_TCP:
		l4hl = s->mss ? 24 : 20;
		csum_off = 16;
		break;
	case IPPROTO_UDP:
		l4hl = 8;
		csum_off = 6;
		break;
	default:
		return 0;
	}
	if (inet_pton(s->family, s->src, src) != 1 ||
	    inet_pton(s->family, s->dst, dst) != 1)
		return 0;
	l4len = l4hl + s->payload_len;
	/* IPv4 counts its header in the 16-bit length, IPv6 does not. */
	if (l4len > 0xffff - (s->family == AF_INET ? iphl : 0))
		return 0;
	if (iphl + l4len > len)
		return 0;

	memset(buf, 0, iphl + l4hl);
	if (s->family == AF_INET) {
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)(iphl + l4len));
		put16(buf + 6, 0x4000);		/* DF, as Linux sends */
		buf[8] = s->ttl ? s->ttl : 64;
		buf[9] = (uint8_t)s->proto;
		memcpy(buf + 12, src, 4);
		memcpy(buf + 16, dst, 4);
		put16(buf + 10, fold(sum16(buf, iphl, 0)));
	} else {
		buf[0] = 0x60;
		put16(buf + 4, (uint16_t)l4len);
		buf[6] = (uint8_t)s->proto;
		buf[7] = s->ttl ? s->ttl : 64;
		memcpy(buf + 8, src, 16);
		memcpy(buf + 24, dst, 16);
	}

	l4 = buf + iphl;
	put16(l4, s->sport);
	put16(l4 + 2, s->dport);
	if (s->proto == IPPROTO_TCP) {
		put32(l4 + 4, s->seq);
		put32(l4 + 8, s->ack);
		l4[12] = (uint8_t)(l4hl / 4 << 4);
		l4[13] = s->tcp_flags;
		put16(l4 + 14, s->window);
		if (s->mss) {
			l4[20] = 2;		/* kind MSS, 4 bytes: no padding */
			l4[21] = 4;
			put16(l4 + 22, s->mss);
		}
	} else {
		put16(l4 + 4, (uint16_t)l4len);
	}
	memset(l4 + l4hl, PAYLOAD_BYTE, s->payload_len);

	/*
	 * The pseudo header, in 16-bit words: both addresses, the protocol
	 * and the transport length (IPv6 widens both to 32 bits, which
	 * adds only zero words).
	 */
	sum = sum16(src, alen, 0);
	sum = sum16(dst, alen, sum);
	sum += (uint32_t)s->proto + (uint32_t)l4len;
	csum = fold(sum16(l4, l4len, sum));
	/* A UDP checksum of 0 means "none"; its complement says the same. */
	if (s->proto == IPPROTO_UDP && csum == 0)
		csum = 0xffff;
	put16(l4 + csum_off, csum);

	return iphl + l4len;
}
