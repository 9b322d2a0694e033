/*
 * tcp.c - per-direction TCP segment analysis.
 *
 * This is the inspector's view, not a TCP state machine: it sees each
 * segment once, early in netfilter, and wants to know "new data, the same
 * data again, the same ACK again, a closed window". Sequence numbers use
 * serial arithmetic so wrap-around needs no special case.
 *
 * "The same data again" is a retransmission only when it comes too long
 * after the highest data to be that data's reordered predecessor: the
 * out-of-order rule of Wireshark's TCP analysis (tcp_analyze_sequence_
 * number), so that the counters agree with what tshark calls
 * tcp.analysis.retransmission.
 */
#include "tcp.h"

/*
 * Sent before the highest data, arriving within TCP_REORDER_US of it, not
 * ending where it ends (that is the same segment again) and not yet
 * acknowledged by the peer (who cannot have acknowledged data still on its
 * way): overtaken, not sent twice. data_us is when next_seq last grew with
 * data.
 */
static int reordered(const struct flow_dir *self, const struct flow_dir *peer,
		     uint32_t end, uint64_t now_us)
{
	/* Written as a sum: a packet stamped before the highest data (a
	 * capture whose time steps back) is as late as can be, not late by
	 * a wrapped difference. */
	if (end == self->next_seq || now_us >= self->data_us + TCP_REORDER_US)
		return 0;
	return !(peer->flags & DIR_ACK_KNOWN) || seq_gt(end, peer->last_ack);
}

unsigned int tcp_classify(const struct flow_dir *self,
			  const struct flow_dir *peer, const struct packet *p,
			  uint64_t now_us)
{
	unsigned int seg = 0;
	uint32_t seglen, end;

	if (p->proto != IPPROTO_TCP)
		return p->payload_len ? SEG_NEW_DATA : 0;

	seglen = p->payload_len + !!(p->tcp_flags & PKT_TCP_SYN) +
		 !!(p->tcp_flags & PKT_TCP_FIN);
	if (p->window == 0 && !(p->tcp_flags & PKT_TCP_RST))
		seg |= SEG_ZERO_WINDOW;

	if (!(self->flags & DIR_SEQ_KNOWN)) {
		/* Joined mid-stream (daemon started late): all data is new. */
		if (p->payload_len)
			seg |= SEG_NEW_DATA;
	} else if (p->payload_len <= 1 && p->seq == self->next_seq - 1 &&
		   !(p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_FIN | PKT_TCP_RST))) {
		/* A keep-alive probe: the transport is alive, no data. */
		seg |= SEG_KEEPALIVE;
	} else if (seglen) {
		end = p->seq + seglen;
		if (seq_gt(end, self->next_seq)) {
			seg |= p->payload_len ? SEG_NEW_DATA : 0;
			/* Repacketised: bytes already sent go again with new
			 * ones. New data for liveness, and a retransmission,
			 * as tshark counts it. */
			if (p->payload_len && seq_lt(p->seq, self->next_seq) &&
			    !reordered(self, peer, end, now_us))
				seg |= SEG_RETRANSMIT;
		} else if (!reordered(self, peer, end, now_us)) {
			seg |= SEG_RETRANSMIT;
		}
		/* "Big" is three quarters of the MSS the peer advertised (or
		 * 1000 bytes when we never saw its SYN): what a path-MTU
		 * black hole swallows while small segments pass. */
		if (p->payload_len >= (peer->mss ? peer->mss * 3U / 4 : 1000U))
			seg |= SEG_BIG;
	} else if ((p->tcp_flags & (PKT_TCP_ACK | PKT_TCP_RST | PKT_TCP_SYN)) ==
			   PKT_TCP_ACK &&
		   (self->flags & DIR_ACK_KNOWN) && p->ack == self->last_ack &&
		   p->window == self->last_window &&
		   (peer->flags & DIR_SEQ_KNOWN) && seq_gt(peer->next_seq, p->ack)) {
		/* RFC 5681's duplicate ACK: no data, same ack and window,
		 * while the peer has data outstanding. */
		seg |= SEG_DUP_ACK;
	}
	return seg;
}

void tcp_apply(struct flow_dir *self, const struct packet *p)
{
	uint32_t end;

	if (p->proto != IPPROTO_TCP)
		return;
	if (p->tcp_flags & PKT_TCP_RST) {
		self->flags |= DIR_RST;
		return;
	}
	end = p->seq + p->payload_len + !!(p->tcp_flags & PKT_TCP_SYN) +
	      !!(p->tcp_flags & PKT_TCP_FIN);
	if (!(self->flags & DIR_SEQ_KNOWN) || seq_gt(end, self->next_seq)) {
		self->next_seq = end;
		self->flags |= DIR_SEQ_KNOWN;
	}
	if (p->tcp_flags & PKT_TCP_ACK) {
		if (!(self->flags & DIR_ACK_KNOWN) ||
		    seq_gt(p->ack, self->last_ack))
			self->last_ack = p->ack;
		self->flags |= DIR_ACK_KNOWN;
	}
	self->last_window = p->window;
	if (p->tcp_flags & PKT_TCP_SYN) {
		self->flags = (uint8_t)((self->flags & ~DIR_SYN_OPTS) | DIR_SYN |
			      (p->wscale != 0xff ? DIR_SYN_WSCALE : 0) |
			      (p->tcp_opts & PKT_OPT_SACK_OK ? DIR_SYN_SACK : 0) |
			      (p->tcp_opts & PKT_OPT_TS ? DIR_SYN_TS : 0));
		if (p->mss)
			self->mss = p->mss;
	}
	if (p->tcp_flags & PKT_TCP_FIN)
		self->flags |= DIR_FIN;
}

uint32_t tcp_in_flight(const struct flow_dir *self, const struct flow_dir *peer)
{
	if (!(self->flags & DIR_SEQ_KNOWN) || !(peer->flags & DIR_ACK_KNOWN))
		return 0;
	if (!seq_gt(self->next_seq, peer->last_ack))
		return 0;
	return self->next_seq - peer->last_ack;
}
