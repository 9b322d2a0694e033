/*
 * portset.h - the game's server ports, and which end of a packet is the
 * server.
 */
#ifndef GAPWATCH_PORTSET_H
#define GAPWATCH_PORTSET_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#include "flowkey.h"

struct portset {
	uint64_t bits[65536 / 64];
	uint32_t count;
};

static inline int portset_has(const struct portset *s, uint16_t port)
{
	return (s->bits[port >> 6] >> (port & 63)) & 1;
}

/*
 * portset_parse - parse "7781,7000-7010" into s (cleared first).
 * Returns 0, or -1 with a reason written to err.
 */
int portset_parse(struct portset *s, const char *list, char *err,
		  size_t errlen);

/*
 * portset_orient - the key of a packet (or conntrack tuple) from src:sport
 * to dst:dport, its ends named by which one is a server port (the
 * destination's port wins when both are). Returns the side that sent it
 * (SIDE_CLIENT or SIDE_SERVER) with k filled (padding zeroed), or -1 when
 * neither port is a server port (k untouched). Inline: the engine calls it
 * for every packet.
 */
static inline int portset_orient(const struct portset *s, uint8_t proto,
				 const struct in6_addr *src, uint16_t sport,
				 const struct in6_addr *dst, uint16_t dport,
				 struct flow_key *k)
{
	int side;

	if (portset_has(s, dport))
		side = SIDE_CLIENT;
	else if (portset_has(s, sport))
		side = SIDE_SERVER;
	else
		return -1;
	memset(k, 0, sizeof(*k));
	k->proto = proto;
	if (side == SIDE_CLIENT) {
		k->client = *src;
		k->server = *dst;
		k->client_port = sport;
		k->server_port = dport;
	} else {
		k->client = *dst;
		k->server = *src;
		k->client_port = dport;
		k->server_port = sport;
	}
	return side;
}

#endif
