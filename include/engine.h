/*
 * engine.h - the gap engine: packets and time in, gap records out.
 *
 * One engine per packet source (a queue thread, or a replay). It owns a
 * flow table and a timer wheel and is not thread-safe: one thread drives
 * it. It never reads a clock, a socket or a file; the source passes every
 * reading of time in, so replay and unit tests drive the very same code.
 */
#ifndef GAPWATCH_ENGINE_H
#define GAPWATCH_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "gapwatch.h"
#include "packet.h"
#include "record.h"

struct portset;

typedef void (*engine_gap_cb)(void *ctx, const struct gap_record *rec);

struct ev_pool;

/*
 * A gap's packets are complete (before, during, and a few after it): the
 * callee now owns buffer slot of pool and gives it back with
 * ev_pool_give(). The engine hands it to its recorder as is: the same
 * contract as evidence.h's ev_done_cb.
 */
typedef void (*engine_evidence_cb)(void *ctx, struct ev_pool *pool,
				   uint16_t slot);

/* A blind interval ended (blind.h); times are wall. */
typedef void (*engine_blind_cb)(void *ctx, const struct blind_record *iv);

struct exposure;

/* An exposure interval ended (exposure.h): the table is the callee's to
 * read until it returns, then it is emptied for the next one. */
typedef void (*engine_exposure_cb)(void *ctx, const struct exposure *x,
				   uint64_t end_wall_us);

struct engine_config {
	const struct portset *ports;	/* server ports; not copied */
	uint16_t queue;			/* for record ids */
	uint32_t max_flows;
	uint32_t gap_min_us;		/* floor of every threshold */
	uint32_t gap_factor;		/* threshold = factor x interval */
	uint64_t flow_timeout_us;	/* idle flow is forgotten (up to a day) */
	uint32_t closed_linger_us;	/* closed flow kept for late packets */
	uint32_t reconnect_window_us;	/* old silent flow -> new flow */
	uint32_t seed;			/* flow hash seed */
	uint32_t invalid_mark;		/* packet mark bit: conntrack INVALID */
	uint32_t untracked_mark;	/* packet mark bit: UNTRACKED */
	uint32_t evidence_packets;	/* per-flow ring; 0: no pcap evidence */
	engine_evidence_cb evidence_cb;	/* called with cb's ctx */
	engine_blind_cb blind_cb;	/* the same; NULL: not told */
	uint64_t exposure_interval_us;	/* 0: no exposure is counted */
	engine_exposure_cb exposure_cb;	/* the same; needed with it */
};

/* Defaults (documented in gapwatchd(8)). */
#define ENGINE_GAP_MIN_MS	2000
#define ENGINE_GAP_FACTOR	3
#define ENGINE_FLOW_TIMEOUT_S	300
#define ENGINE_CLOSED_LINGER_S	10
#define ENGINE_RECONNECT_WINDOW_S 120
#define ENGINE_MAX_FLOWS	262144
#define ENGINE_INVALID_MARK	0x20000000
#define ENGINE_UNTRACKED_MARK	0x40000000
#define ENGINE_EXPOSURE_INTERVAL_S 3600

/*
 * Every source runs engine_tick() this often: the live loop at most this
 * long after the last tick, the replay in steps of it through a
 * capture's quiet time. One value for both, so that live and replay tell
 * the same story about the same packets: a gap is reported at most one
 * tick plus one wheel slot (16 ms) after its threshold.
 */
#define ENGINE_TICK_US		(20 * USEC_PER_MSEC)

/* Heartbeat learning: intervals needed before a side can open a gap. */
#define ENGINE_LEARN_SAMPLES	3

enum engine_counter {
	EC_PACKETS,
	EC_BYTES,
	EC_PARSE_TRUNCATED,
	EC_PARSE_MALFORMED,
	EC_PARSE_NOT_TCP_UDP,
	EC_PARSE_FRAGMENT,
	EC_PARSE_EXT_LIMIT,
	EC_UNMATCHED,		/* neither port is a server port */
	EC_FLOWS_CREATED,
	EC_FLOWS_EXPIRED,
	EC_FLOWS_EVICTED,
	EC_GAPS_OPENED,
	EC_GAPS_CLOSED,
	EC_RECONNECTS,
	EC_RETRANSMITS,
	EC_INVALID,		/* packets marked INVALID by the rules */
	EC_EVIDENCE_LOST,	/* gaps without a pcap: all buffers busy */
	EC_TIMERS_FIRED,
	EC_BLIND_INTERVALS,	/* blind intervals that ended */
	EC_BLIND_MISSED,	/* packets they missed */
	EC_BLIND_MS,		/* their time, summed */
	EC_MAX
};

struct engine;

/*
 * engine_new - create an engine that reports through cb(ctx, ...).
 * now is the time the source starts at. Returns NULL with errno set
 * (ENOMEM, EINVAL for a bad configuration).
 */
struct engine *engine_new(const struct engine_config *cfg, engine_gap_cb cb,
			  void *ctx, const struct gw_time *now);
void engine_free(struct engine *e);

/*
 * engine_packet - account one IP packet seen at now. caplen bytes are at
 * buf; wirelen is the packet's real length. Never fails: whatever cannot
 * be parsed is counted and ignored.
 */
void engine_packet(struct engine *e, const uint8_t *buf, size_t caplen,
		   size_t wirelen, const struct gw_time *now);

/*
 * engine_packet_marked - the same, for a packet that carries the mark the
 * rules set (NFQA_MARK): the INVALID and UNTRACKED bits of the engine's
 * configuration say what conntrack made of it.
 */
void engine_packet_marked(struct engine *e, const uint8_t *buf, size_t caplen,
			  size_t wirelen, uint32_t mark,
			  const struct gw_time *now);

/* engine_packet_parsed - the same for a packet already parsed. */
void engine_packet_parsed(struct engine *e, const struct packet *pkt,
			  size_t wirelen, const struct gw_time *now);

/* engine_tick - run the timers due at now (gap detection, expiry). */
void engine_tick(struct engine *e, const struct gw_time *now);

/*
 * engine_next_due - the earliest mono time at which engine_tick() would
 * do anything (a timer's slot, a post-roll's end), UINT64_MAX if never:
 * replay skips the quiet ticks before it (the live loop just ticks).
 */
uint64_t engine_next_due(const struct engine *e);

/*
 * engine_inspector_sample - record the source's loss counters as read at
 * now; gap records carry their growth over each gap's window. A blind
 * interval that this reading ends goes to the blind callback.
 */
void engine_inspector_sample(struct engine *e, const struct gw_time *now,
			     const struct inspector_counters *c);

/* engine_finish - report every open gap as open_at_exit, and the
 * exposure of the interval so far. */
void engine_finish(struct engine *e, const struct gw_time *now);

/* engine_counters - the EC_* counters, indexed by enum engine_counter. */
const uint64_t *engine_counters(const struct engine *e);

/*
 * engine_parse_errors - of counters c, the packets the parser refused as
 * bad: truncated, malformed, too many extension headers (another
 * transport or a later fragment is no error).
 */
static inline uint64_t engine_parse_errors(const uint64_t *c)
{
	return c[EC_PARSE_TRUNCATED] + c[EC_PARSE_MALFORMED] +
	       c[EC_PARSE_EXT_LIMIT];
}
uint32_t engine_flow_count(const struct engine *e);
uint32_t engine_open_gaps(const struct engine *e);

#endif
