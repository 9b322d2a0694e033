/*
 * flow.h - the flow table: fixed pool, two hash indexes, LRU order
 * (hashidx.h keeps the links).
 *
 * All memory is allocated by flow_table_init(); inserting, looking up and
 * evicting never allocate. A flow is named by its index (1..capacity, 0 is
 * "none"), which the timer wheel shares.
 *
 * Two indexes: by 5-tuple (every packet), and by "service" = protocol +
 * client address + server address + server port, which finds the earlier
 * flows of a client that reconnects from a new port.
 */
#ifndef GAPWATCH_FLOW_H
#define GAPWATCH_FLOW_H

#include <stdint.h>

#include "flowkey.h"
#include "hashidx.h"

/*
 * Counters over a window that restarts at a side's new data. win[WIN_OWN]
 * restarts when this side sends new data, win[WIN_PEER] when the peer
 * does: at any moment they describe "since the last heartbeat" on either
 * side, which is exactly the window of a gap. 16 bits, saturating.
 */
enum { WIN_OWN = 0, WIN_PEER = 1 };

struct flow_window {
	uint16_t packets;
	uint16_t retransmits;
	uint16_t big_retransmits;	/* of near-MSS segments */
	uint16_t dup_acks;
	uint16_t zero_windows;
	uint16_t invalid;		/* conntrack said INVALID */
};

/* Per-direction flags. */
#define DIR_SEQ_KNOWN	0x01
#define DIR_ACK_KNOWN	0x02
#define DIR_SYN		0x04
#define DIR_FIN		0x08
#define DIR_RST		0x10
/* The options of this side's SYN: with its MSS and TTL, what tells one
 * device behind an address from another (engine.c, same_device). */
#define DIR_SYN_WSCALE	0x20
#define DIR_SYN_SACK	0x40
#define DIR_SYN_TS	0x80
#define DIR_SYN_OPTS	(DIR_SYN_WSCALE | DIR_SYN_SACK | DIR_SYN_TS)

struct flow_dir {
	uint64_t last_us;	/* any packet */
	uint64_t data_us;	/* last new payload (liveness) */
	uint64_t unacked_us;	/* TCP: our data waits for the peer since */
	uint32_t interval_us;	/* learned heartbeat interval */
	uint32_t next_seq;	/* TCP: highest seq + len + SYN/FIN */
	uint32_t last_ack;
	struct flow_window win[2];
	uint16_t last_window;
	uint16_t mss;
	uint16_t unacked_retx;	/* retransmissions since unacked_us */
	uint16_t unacked_packets;	/* packets since unacked_us */
	uint8_t unacked_big_retx;	/* saturating: keeps the dir at 72 bytes */
	uint8_t samples;	/* intervals learned, saturating */
	uint8_t ttl;		/* last TTL / hop limit */
	uint8_t flags;		/* DIR_* */
};

/* Flow state bits. */
#define FLOW_GAP_OPEN	0x01	/* a gap is open; gap_* fields valid */
#define FLOW_CLOSED	0x02	/* RST seen, or FIN both ways */
#define FLOW_SUPERSEDED	0x04	/* the client reconnected from a new port */
#define FLOW_GUESSED	0x08	/* superseded by a low-confidence match */
#define FLOW_SUCCESSOR	0x10	/* it closed an older flow's gap */

struct flow {
	struct flow_key key;
	struct flow_dir dir[2];		/* [SIDE_CLIENT], [SIDE_SERVER] */
	uint64_t invalid_first_us;	/* current run of INVALID packets */
	uint64_t invalid_last_us;
	uint64_t gap_opened_us;		/* when the gap was detected */
	uint32_t gap_seq;		/* per-engine gap number */
	uint32_t created_ms;		/* low 32 bits of the mono ms */
	uint32_t tuple_next;		/* 5-tuple chain (hashidx) */
	uint32_t service_next;		/* service chain (hashidx) */
	struct hashidx_link lru;	/* LRU order (hashidx) */
	uint8_t state;			/* FLOW_* */
	uint8_t gap_side;		/* the side that went silent */
	uint8_t gap_trigger;		/* enum gap_trigger (record.h) */
	uint8_t gap_ttl_before[2];
	uint64_t gap_end_us;		/* when the last gap closed */
};

struct flow_table {
	struct flow *flows;		/* [capacity + 1]; [0] unused */
	struct hashidx_pool slots;	/* flows in use, LRU order */
	struct hashidx tuples;		/* by 5-tuple */
	struct hashidx services;	/* by service */
	uint32_t seed;
};

/*
 * flow_table_init - allocate a table for up to capacity flows.
 * Returns 0, or -1 with errno ENOMEM or EINVAL (capacity 0 or above
 * HASHIDX_CAPACITY_MAX).
 */
int flow_table_init(struct flow_table *t, uint32_t capacity, uint32_t seed);
void flow_table_fini(struct flow_table *t);

/* flow_key_hash - a seeded 32-bit hash of the whole key. */
uint32_t flow_key_hash(const struct flow_key *k, uint32_t seed);

/* flow_lookup - index of the flow with this key, or 0. */
uint32_t flow_lookup(const struct flow_table *t, const struct flow_key *k);

/*
 * flow_insert - take a free slot, zero it, set its key and link it in both
 * indexes at the head of the LRU. Returns its index, or 0 when the table
 * is full (the caller evicts flow_lru_oldest() and tries again).
 */
uint32_t flow_insert(struct flow_table *t, const struct flow_key *k);

/* flow_remove - unlink flow i from every index and free its slot. */
void flow_remove(struct flow_table *t, uint32_t i);

/* flow_touch - move flow i to the head of the LRU. */
static inline void flow_touch(struct flow_table *t, uint32_t i)
{
	hashidx_pool_touch(&t->slots, i);
}

/* flow_lru_oldest - the least recently used flow, or 0 if empty. */
static inline uint32_t flow_lru_oldest(const struct flow_table *t)
{
	return hashidx_pool_oldest(&t->slots);
}

/* flow_lru_newest / flow_lru_older - every flow, the most recent
 * first; 0 at the end. */
static inline uint32_t flow_lru_newest(const struct flow_table *t)
{
	return t->slots.head;
}

static inline uint32_t flow_lru_older(const struct flow_table *t, uint32_t i)
{
	return hashidx_pool_link(&t->slots, i)->next;
}

/* flow_count - the flows in the table. */
static inline uint32_t flow_count(const struct flow_table *t)
{
	return t->slots.count;
}

/*
 * flow_slots_end - one past the highest index ever used: every flow is
 * below it (a freed slot keeps its last flow's contents).
 */
static inline uint32_t flow_slots_end(const struct flow_table *t)
{
	return hashidx_pool_end(&t->slots);
}

static inline struct flow *flow_get(const struct flow_table *t, uint32_t i)
{
	return &t->flows[i];
}

/*
 * flow_service_first / flow_service_next - walk the flows sharing k's
 * service (proto, client address, server address, server port), k's own
 * flow included. Returns 0 at the end.
 */
uint32_t flow_service_first(const struct flow_table *t,
			    const struct flow_key *k);
uint32_t flow_service_next(const struct flow_table *t, uint32_t i,
			   const struct flow_key *k);

#endif
