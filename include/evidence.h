/*
 * evidence.h - the packets behind a gap, as a pcap file.
 *
 * Every flow keeps a small ring of its last packets' header summaries
 * (no payload: 24 bytes a packet). When a gap opens, the ring is copied
 * into a gap buffer taken from a bounded pool; the flow's packets during
 * the gap, and a few after it (the reconnect's handshake from the same
 * client included) are added; then the buffer goes to the correlator,
 * which writes it as a pcap file (raw IP, headers rebuilt from the
 * summaries) and gives the buffer back. Nothing here allocates after
 * set-up, and nothing here writes a file on a verdict thread.
 */
#ifndef GAPWATCH_EVIDENCE_H
#define GAPWATCH_EVIDENCE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "packet.h"

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

struct ev_pool {
	pthread_mutex_t lock;		/* the engine takes, the writer gives */
	struct ev_buffer *bufs;		/* [EVIDENCE_BUFFERS] */
	uint16_t free_list[EVIDENCE_BUFFERS];
	uint32_t nfree;
	uint64_t exhausted;		/* gaps without evidence: pool empty */
};

/* Per-flow rings, indexed like the flow table. */
struct ev_rings {
	struct ev_pkt *pkts;		/* [(capacity + 1) * per_flow] */
	uint8_t *head;			/* [capacity + 1] */
	uint8_t *count;
	uint32_t per_flow;
};

int ev_pool_init(struct ev_pool *p);
void ev_pool_fini(struct ev_pool *p);
/* ev_take - a free buffer's index + 1, or 0 (counted) when none is. */
uint16_t ev_take(struct ev_pool *p);
/* ev_give - return a buffer (any thread). */
void ev_give(struct ev_pool *p, uint16_t slot);
static inline struct ev_buffer *ev_buffer(struct ev_pool *p, uint16_t slot)
{
	return &p->bufs[slot - 1];
}

int ev_rings_init(struct ev_rings *r, uint32_t capacity, uint32_t per_flow);
void ev_rings_fini(struct ev_rings *r);
/* ev_ring_reset - a new flow in slot i starts with an empty ring. */
void ev_ring_reset(struct ev_rings *r, uint32_t i);
void ev_ring_add(struct ev_rings *r, uint32_t i, const struct ev_pkt *pkt);
/* ev_ring_copy - the ring of flow i, oldest first, into b. */
void ev_ring_copy(const struct ev_rings *r, uint32_t i, struct ev_buffer *b);

void ev_append(struct ev_buffer *b, const struct ev_pkt *pkt);

/*
 * ev_write_pcap - write b as a pcap file at path (raw IP, headers rebuilt
 * from the summaries, payloads left out). Returns the bytes written, or
 * -1 with errno set.
 */
long ev_write_pcap(const struct ev_buffer *b, const char *path);

/*
 * The directory of pcap files, capped in size: when a new file takes the
 * total over max_bytes the oldest files go first (those found at start-up
 * included, by modification time). Used by one thread.
 */
struct ev_store_counters {
	uint64_t written;
	uint64_t write_errors;
	uint64_t removed;
	uint64_t bytes;			/* on disk now */
};

struct ev_store;

/* ev_store_open - create dir if needed and take stock of its pcaps. */
struct ev_store *ev_store_open(const char *dir, uint64_t max_bytes, char *err,
			       size_t errlen);
void ev_store_close(struct ev_store *s);

/* ev_store_path - the file for a gap named name ("RUN-Q-SEQ"). */
void ev_store_path(const struct ev_store *s, const char *name, char *buf,
		   size_t len);

/* ev_store_write - write b as name's pcap, then enforce the cap. */
int ev_store_write(struct ev_store *s, const struct ev_buffer *b,
		   const char *name);

const struct ev_store_counters *ev_store_counters(const struct ev_store *s);

#endif
