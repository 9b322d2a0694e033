/*
 * addr.h - addresses as every module keeps them: IPv6, with IPv4 stored
 * v4-mapped (::ffff:a.b.c.d), so that one comparison and one hash serve
 * both families; and as records print them.
 */
#ifndef GAPWATCH_ADDR_H
#define GAPWATCH_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

/* "[ffff:...:ffff]:65535" and its terminating NUL fit. */
#define ADDR_ENDPOINT_LEN	(INET6_ADDRSTRLEN + 8)

/*
 * addr_from_v4 - a's v4-mapped form of the IPv4 address at v4 (4 bytes,
 * network order, any alignment). Inline: the packet parser calls it twice
 * a packet.
 */
static inline void addr_from_v4(struct in6_addr *a, const void *v4)
{
	static const uint8_t v4mapped_prefix[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	memcpy(a->s6_addr, v4mapped_prefix, sizeof(v4mapped_prefix));
	memcpy(a->s6_addr + 12, v4, 4);
}

/* addr_is_v4 - 1 when a is a v4-mapped address, else 0. */
static inline int addr_is_v4(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a);
}

/*
 * addr_format - "198.18.0.1" or "2001:db8::1" (v4-mapped printed as
 * IPv4) into buf, which should hold INET6_ADDRSTRLEN bytes; a shorter
 * buffer gets an empty string. Returns buf.
 */
char *addr_format(const struct in6_addr *a, char *buf, size_t len);

/*
 * addr_endpoint_format - "198.18.0.1:40000" or "[2001:db8::1]:40000" into
 * buf (ADDR_ENDPOINT_LEN bytes). Returns buf.
 */
char *addr_endpoint_format(const struct in6_addr *a, uint16_t port, char *buf,
			   size_t len);

#endif
