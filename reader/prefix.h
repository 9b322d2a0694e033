/*
 * prefix.h - address prefixes: the --client filter's items and the
 * report's groups of clients. Addresses are IPv6, IPv4 v4-mapped (addr.h);
 * an IPv4 /24 is a /120 here.
 */
#ifndef GAPWATCH_PREFIX_H
#define GAPWATCH_PREFIX_H

#include <stddef.h>
#include <netinet/in.h>

struct gw_prefix {
	struct in6_addr addr;		/* v4 as v4-mapped, masked */
	unsigned int len;		/* 0..128, counted on the v6 form */
};

/* prefix_parse - "ADDR" or "ADDR/LEN" into p. Returns 0, or -1. */
int prefix_parse(const char *s, struct gw_prefix *p);

/* prefix_match - 1 when a is inside p, else 0. */
int prefix_match(const struct gw_prefix *p, const struct in6_addr *a);

/*
 * prefix_group - the reporting group of an address: its /24 for IPv4,
 * its /48 for IPv6.
 */
void prefix_group(const struct in6_addr *a, struct gw_prefix *p);

/* prefix_format - "198.18.3.0/24", "2001:db8:1::/48", a /128 bare. Returns buf. */
char *prefix_format(const struct gw_prefix *p, char *buf, size_t len);

#endif
