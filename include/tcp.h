/*
 * tcp.h - what one segment means for its direction of a flow.
 *
 * tcp_classify() only looks; tcp_apply() then moves the direction's
 * sequence state. The engine needs the classification before it changes
 * anything, to close a gap with the counters of the gap's window.
 */
#ifndef GAPWATCH_TCP_H
#define GAPWATCH_TCP_H

#include "flow.h"
#include "packet.h"

#define SEG_NEW_DATA	0x01	/* payload beyond anything sent before */
#define SEG_RETRANSMIT	0x02	/* payload, SYN or FIN sent again */
#define SEG_DUP_ACK	0x04	/* pure ACK repeating the last one */
#define SEG_ZERO_WINDOW	0x08	/* receive window closed */
#define SEG_KEEPALIVE	0x10	/* seq = next - 1, at most one byte */
#define SEG_BIG		0x20	/* a near-MSS segment (with SEG_RETRANSMIT) */
#define SEG_INVALID	0x40	/* conntrack said INVALID (from the mark) */

/* Serial-number arithmetic (RFC 1982) on 32-bit sequence numbers. */
static inline int seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline int seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/*
 * A segment that ends before the highest data and arrives less than this
 * after it was overtaken (reordered), not retransmitted. Wireshark's
 * threshold when it has no handshake RTT; gapwatch keeps it for every
 * flow: a retransmission comes an RTO (200 ms or more) after the data it
 * repeats, while a heartbeat sent right after it may be only an RTT away.
 */
#define TCP_REORDER_US	3000

/*
 * tcp_classify - SEG_* bits for segment p sent by self to peer at now_us
 * (all but SEG_INVALID, which the engine sets from the packet's mark).
 * For UDP every datagram with payload is SEG_NEW_DATA. A reordered
 * segment (see TCP_REORDER_US) is neither new data nor a retransmission.
 */
unsigned int tcp_classify(const struct flow_dir *self,
			  const struct flow_dir *peer, const struct packet *p,
			  uint64_t now_us);

/* tcp_apply - advance self's sequence, ack, window and flag state. */
void tcp_apply(struct flow_dir *self, const struct packet *p);

/*
 * tcp_in_flight - bytes self sent that peer has not acknowledged, or 0
 * when either side's numbers are unknown.
 */
uint32_t tcp_in_flight(const struct flow_dir *self, const struct flow_dir *peer);

#endif
