/*
 * evidence.h - the packets behind a gap, recorded for its pcap file.
 *
 * Every flow keeps a small ring of its last packets' header summaries
 * (no payload: 24 bytes a packet). When a gap opens, the ring is copied
 * into a gap buffer taken from a bounded pool; the flow's packets during
 * the gap, and a few after it (the reconnect's handshake from the same
 * client included) are added; then the buffer goes to its owner's
 * callback (the correlator, which has pcapstore.c write it as a pcap
 * file) and is given back. Nothing here allocates after set-up, writes a
 * file, or reads a clock: the engine says what happened and when.
 */
#ifndef GAPWATCH_EVIDENCE_H
#define GAPWATCH_EVIDENCE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "flowkey.h"
#include "packet.h"
#include "record.h"

#define EVIDENCE_RING_DEFAULT	8	/* packets kept per flow */
#define EVIDENCE_RING_MAX	64
#define EVIDENCE_GAP_PACKETS	256	/* per gap, before + during + after */
#define EVIDENCE_POST_PACKETS	12	/* after the gap ends */
#define EVIDENCE_POST_US	(3 * 1000 * 1000)
#define EVIDENCE_BUFFERS	512	/* gaps being recorded at once */

/* One packet, as the pcap will show it. */
struct ev_pkt {
	uint64_t mono_us;
	uint32_t seq;
	uint32_t ack;
	uint16_t payload_len;		/* saturating */
	uint16_t window;
	uint8_t from_client;
	uint8_t tcp_flags;
	uint8_t ttl;
	uint8_t flow;			/* 0: the gap's flow, 1: its successor */
};

struct ev_buffer {
	struct flow_key key;		/* the gap's flow */
	uint16_t successor_port;	/* the reconnect's client port, or 0 */
	uint16_t queue;
	uint64_t seq;			/* the gap's record seq */
	int64_t wall_offset_us;		/* wall = mono + this */
	uint32_t flow;			/* engine flow indices that append */
	uint32_t successor;		/* to this buffer, 0: none */
	uint64_t post_until_us;		/* mono; 0 while the gap is open */
	uint32_t post_left;
	uint32_t count;
	uint32_t truncated;		/* packets that did not fit */
	struct ev_pkt pkts[EVIDENCE_GAP_PACKETS];
};

/* --- the pool of gap buffers: the engine takes, the writer gives back --- */

struct ev_pool {
	pthread_mutex_t lock;
	struct ev_buffer *bufs;		/* [EVIDENCE_BUFFERS] */
	uint16_t free_list[EVIDENCE_BUFFERS];
	uint32_t nfree;
	uint64_t exhausted;		/* takes refused: pool empty */
};

/* ev_pool_init - allocate the buffers. Returns 0, or -1 with ENOMEM. */
int ev_pool_init(struct ev_pool *p);
/* ev_pool_fini - free the buffers; a pool never initialised is fine. */
void ev_pool_fini(struct ev_pool *p);
/* ev_pool_take - a free buffer's slot (index + 1), or 0 (counted). */
uint16_t ev_pool_take(struct ev_pool *p);
/* ev_pool_give - return a taken slot (any thread). */
void ev_pool_give(struct ev_pool *p, uint16_t slot);
/* ev_pool_buffer - the buffer of a taken slot. */
static inline struct ev_buffer *ev_pool_buffer(const struct ev_pool *p,
					      uint16_t slot)
{
	return &p->bufs[slot - 1];
}

/*
 * ev_buffer_append - add pkt to b, or count it in b->truncated when b is
 * full.
 */
void ev_buffer_append(struct ev_buffer *b, const struct ev_pkt *pkt);

/* --- the per-flow rings, indexed like the flow table (1..capacity) ---- */

struct ev_rings {
	struct ev_pkt *pkts;		/* [(capacity + 1) * per_flow] */
	uint8_t *head;			/* [capacity + 1] */
	uint8_t *count;
	uint32_t per_flow;
};

/*
 * ev_rings_init - rings of per_flow (<= EVIDENCE_RING_MAX) packets for
 * capacity flows; per_flow 0 allocates nothing. Returns 0, or -1 with
 * ENOMEM.
 */
int ev_rings_init(struct ev_rings *r, uint32_t capacity, uint32_t per_flow);
void ev_rings_fini(struct ev_rings *r);
/* ev_ring_reset - a new flow in slot i starts with an empty ring. */
void ev_ring_reset(struct ev_rings *r, uint32_t i);
/* ev_ring_add - keep pkt in flow i's ring, its oldest packet overwritten. */
void ev_ring_add(struct ev_rings *r, uint32_t i, const struct ev_pkt *pkt);
/* ev_ring_copy - the ring of flow i, oldest first, appended to b. */
void ev_ring_copy(const struct ev_rings *r, uint32_t i, struct ev_buffer *b);

/* --- the recorder: the whole life cycle of a gap's evidence ---------- */

/*
 * A gap's packets are complete (before, during, and a few after it): the
 * callee now owns slot of pool and gives it back with ev_pool_give().
 */
typedef void (*ev_done_cb)(void *ctx, struct ev_pool *pool, uint16_t slot);

/*
 * One per engine, driven by its thread. A buffer is recording while its
 * gap is open, then in its post-roll: until EVIDENCE_POST_PACKETS more
 * packets or EVIDENCE_POST_US have passed, the reconnect's successor
 * flow's packets included; then it is done.
 */
struct ev_recorder {
	struct ev_rings rings;		/* the last packets of every flow */
	struct ev_pool pool;		/* buffers of gaps being recorded */
	uint16_t *slot;			/* [capacity + 1]: the buffer a flow's
					 * packets go to, 0: none */
	uint16_t post[EVIDENCE_BUFFERS];	/* buffers in their post-roll */
	uint32_t npost;
	ev_done_cb done;
	void *ctx;
};

/*
 * ev_recorder_init - a recorder for capacity flows, rings of per_flow
 * packets, reporting finished buffers to done(ctx, ...). per_flow 0 or
 * done NULL makes a recorder that is off (ev_recorder_on() is 0) and
 * allocates nothing. Returns 0, or -1 with ENOMEM.
 */
int ev_recorder_init(struct ev_recorder *r, uint32_t capacity,
		     uint32_t per_flow, ev_done_cb done, void *ctx);
/* ev_recorder_fini - free everything; buffers not done are dropped. */
void ev_recorder_fini(struct ev_recorder *r);

/*
 * ev_recorder_on - 1 when evidence is recorded. The functions below may
 * be called only then.
 */
static inline int ev_recorder_on(const struct ev_recorder *r)
{
	return r->rings.per_flow != 0;
}

/* ev_recorder_flow_new - flow i is new: an empty ring, no buffer. */
void ev_recorder_flow_new(struct ev_recorder *r, uint32_t i);

/*
 * ev_recorder_gap_open - flow i (key) opened gap seq of queue: finish
 * what flow i still fed (its last gap's post-roll), take a buffer and
 * start it with the ring. wall_offset_us is wall minus mono, for the
 * pcap's timestamps. Returns 1, or 0 when the pool was empty (the gap
 * has no evidence).
 */
int ev_recorder_gap_open(struct ev_recorder *r, uint32_t i,
			 const struct flow_key *key, uint16_t queue,
			 uint64_t seq, int64_t wall_offset_us);

/*
 * ev_recorder_recording - 1 when flow i's own gap is being recorded (its
 * gap record may name a pcap), else 0.
 */
int ev_recorder_recording(const struct ev_recorder *r, uint32_t i);

/*
 * ev_recorder_gap_close - flow i's gap ended at now_us with outcome: its
 * buffer starts its post-roll, following successor (the reconnect's flow
 * index, client port successor_port; 0: none) too, or is done at once
 * when the flow is gone (expired, evicted, open at exit).
 */
void ev_recorder_gap_close(struct ev_recorder *r, uint32_t i,
			   enum gap_outcome outcome, uint32_t successor,
			   uint16_t successor_port, uint64_t now_us);

/*
 * ev_recorder_packet - flow i saw pkt (from the client when from_client)
 * at now_us: into its ring, and into the buffer it feeds, if any.
 */
void ev_recorder_packet(struct ev_recorder *r, uint32_t i, int from_client,
			const struct packet *pkt, uint64_t now_us);

/* ev_recorder_flow_gone - flow i is forgotten: the buffer it fed is done. */
void ev_recorder_flow_gone(struct ev_recorder *r, uint32_t i);

/* ev_recorder_tick - post-rolls whose time is over at now_us are done. */
void ev_recorder_tick(struct ev_recorder *r, uint64_t now_us);

/* ev_recorder_next_due - the earliest post-roll end, UINT64_MAX if none. */
uint64_t ev_recorder_next_due(const struct ev_recorder *r);

/* ev_recorder_finish - the end of the source: every post-roll is done. */
void ev_recorder_finish(struct ev_recorder *r);

#endif
