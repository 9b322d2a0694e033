/*
 * pktbuild.h - build synthetic IPv4/IPv6 + TCP/UDP packets for tests.
 *
 * The packets are what a host would send: valid lengths and checksums,
 * IPv4 with DF set, no IP options, no IPv6 extension headers. Tests that
 * need anything odder build a plain packet and then edit its bytes.
 */
#ifndef GAPWATCH_PKTBUILD_H
#define GAPWATCH_PKTBUILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

struct pktspec {
	int family;		/* AF_INET or AF_INET6 */
	int proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	const char *src, *dst;	/* textual addresses */
	uint16_t sport, dport;
	uint8_t ttl;		/* 0 means 64 */
	uint8_t tcp_flags;	/* PKT_TCP_* */
	uint32_t seq, ack;
	uint16_t window;
	uint16_t mss;		/* 0: no MSS option */
	uint32_t payload_len;	/* payload bytes (filled with 0x5a) */
};

/*
 * pktbuild - write the packet described by s into buf, starting with the
 * IP header. Returns its length, or 0 if it does not fit in len bytes, is
 * longer than an IP length field can say, or s names an unknown family,
 * protocol or unparsable address.
 */
size_t pktbuild(uint8_t *buf, size_t len, const struct pktspec *s);

#endif
