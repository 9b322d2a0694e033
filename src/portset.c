/*
 * portset.c - the game's server ports, and which end is the server.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portset.h"

int portset_parse(struct portset *s, const char *list, char *err,
		  size_t errlen)
{
	const char *p = list, *item;
	unsigned long lo, hi, port;
	char *end;

	memset(s, 0, sizeof(*s));
	if (*p == '\0') {
		snprintf(err, errlen, "empty port list");
		return -1;
	}
	for (;;) {
		item = p;
		if (!isdigit((unsigned char)*p))
			goto bad;
		errno = 0;
		lo = strtoul(p, &end, 10);
		hi = lo;
		if (*end == '-') {
			p = end + 1;
			if (!isdigit((unsigned char)*p))
				goto bad;
			hi = strtoul(p, &end, 10);
		}
		if (errno || lo == 0 || hi > 65535 || lo > hi) {
			snprintf(err, errlen,
				 "port range '%.*s' is not within 1-65535 or "
				 "runs backwards", (int)(end - item), item);
			return -1;
		}
		for (port = lo; port <= hi; port++) {
			if (!portset_has(s, (uint16_t)port))
				s->count++;
			s->bits[port >> 6] |= 1ULL << (port & 63);
		}
		if (*end == '\0')
			return 0;
		if (*end != ',')
			goto bad;
		p = end + 1;
	}
bad:
	snprintf(err, errlen,
		 "bad port list '%s' (expected e.g. 7781,7000-7010)", list);
	return -1;
}
