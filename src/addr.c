/*
 * addr.c - printing addresses and endpoints.
 */
#include <stdio.h>
#include <arpa/inet.h>

#include "addr.h"

char *addr_format(const struct in6_addr *a, char *buf, size_t len)
{
	socklen_t n;
	const char *s;

	if (len == 0)
		return buf;
	n = len > INET6_ADDRSTRLEN ? INET6_ADDRSTRLEN : (socklen_t)len;
	if (addr_is_v4(a))
		s = inet_ntop(AF_INET, a->s6_addr + 12, buf, n);
	else
		s = inet_ntop(AF_INET6, a, buf, n);
	/* Only a short buffer fails; leave the caller a string anyway. */
	if (s == NULL)
		buf[0] = '\0';
	return buf;
}

char *addr_endpoint_format(const struct in6_addr *a, uint16_t port, char *buf,
			   size_t len)
{
	char host[INET6_ADDRSTRLEN];

	addr_format(a, host, sizeof(host));
	snprintf(buf, len, addr_is_v4(a) ? "%s:%u" : "[%s]:%u", host, port);
	return buf;
}
