/*
 * flowkey.h - a flow's name: its 5-tuple, told as client and server.
 *
 * Every module that names a flow (the engine, the records, conntrack, the
 * evidence) uses this key. Addresses are IPv6, IPv4 v4-mapped (wire.h).
 */
#ifndef GAPWATCH_FLOWKEY_H
#define GAPWATCH_FLOWKEY_H

#include <stdint.h>
#include <netinet/in.h>

enum flow_side { SIDE_CLIENT = 0, SIDE_SERVER = 1 };

struct flow_key {
	struct in6_addr client;
	struct in6_addr server;
	uint16_t client_port;
	uint16_t server_port;
	uint8_t proto;
	uint8_t pad[3];		/* zero: keys are hashed and compared whole */
};

#endif
