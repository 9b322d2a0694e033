/*
 * fuzz_packet - libFuzzer harness: the packet parser on any bytes.
 *
 * The first byte picks how much longer than the capture the packet was on
 * the wire (a cut copy range, GSO super-packets); the rest is the IP
 * packet. The parser must never read outside the buffer (ASan), never
 * overflow (UBSan), and say PARSE_OK only for a packet whose fields stay
 * inside what was captured.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct packet pkt;
	uint8_t *copy;
	size_t extra;

	if (size < 1)
		return 0;
	extra = (size_t)data[0] * 97;
	/* An exact-size heap copy: ASan sees any read past its end. */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (parse_packet(copy, size - 1, size - 1 + extra, &pkt) == PARSE_OK) {
		if (pkt.proto != IPPROTO_TCP && pkt.proto != IPPROTO_UDP)
			abort();
		if (pkt.family != AF_INET && pkt.family != AF_INET6)
			abort();
	}
	free(copy);
	return 0;
}
