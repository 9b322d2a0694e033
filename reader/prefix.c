/*
 * prefix.c - address prefixes: parsing, matching, grouping, printing.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "prefix.h"

static void mask(struct in6_addr *a, unsigned int len)
{
	unsigned int k;

	for (k = 0; k < 16; k++) {
		if (len >= 8 * (k + 1))
			continue;
		if (len <= 8 * k)
			a->s6_addr[k] = 0;
		else
			a->s6_addr[k] &= (uint8_t)(0xff << (8 - (len - 8 * k)));
	}
}

int prefix_parse(const char *s, struct gw_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	struct in_addr v4addr;
	unsigned long len;
	int v4;

	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, &v4addr) == 1) {
		addr_from_v4(&p->addr, &v4addr);
		v4 = 1;
	} else if (inet_pton(AF_INET6, buf, &p->addr) == 1) {
		v4 = 0;
	} else {
		return -1;
	}
	len = v4 ? 32 : 128;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		len = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || len > (v4 ? 32u : 128u))
			return -1;
	}
	p->len = (unsigned int)len + (v4 ? 96 : 0);
	mask(&p->addr, p->len);
	return 0;
}

int prefix_match(const struct gw_prefix *p, const struct in6_addr *a)
{
	unsigned int full = p->len / 8, rest = p->len % 8;

	if (memcmp(&p->addr, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a->s6_addr[full] ^ p->addr.s6_addr[full]) &
		(uint8_t)(0xff << (8 - rest))) == 0;
}

void prefix_group(const struct in6_addr *a, struct gw_prefix *p)
{
	p->addr = *a;
	p->len = addr_is_v4(a) ? 96 + 24 : 48;
	mask(&p->addr, p->len);
}

char *prefix_format(const struct gw_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int v4 = addr_is_v4(&p->addr) && p->len >= 96;

	addr_format(&p->addr, a, sizeof(a));
	if (p->len == 128)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, v4 ? p->len - 96 : p->len);
	return buf;
}
