/*
 * engine.c - the engine: flow liveness, heartbeat learning, gaps and their
 * outcomes.
 *
 * Liveness is measured on new data, not on packets: a heartbeat is data,
 * and a side whose TCP still ACKs but whose application sends nothing is
 * silent in the sense that matters to a game. Each side learns its own
 * heartbeat interval; a gap opens when a side's data has been missing for
 * max(gap_min, factor x interval). Sides that have not learned an interval
 * yet never open a gap: a flow's first seconds say too little.
 *
 * Timers are lazy. A packet only moves a flow's timer when it brings the
 * deadline forward (rare: the interval shrank); the usual packet pushes
 * the deadline back and leaves the timer where it is, and the timer, when
 * it fires early, recomputes and re-arms. That keeps the packet path O(1)
 * and the tick proportional to the flows that are actually due.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blind.h"
#include "engine.h"
#include "evidence.h"
#include "exposure.h"
#include "portset.h"
#include "samples.h"
#include "tcp.h"
#include "timer.h"

/* 16.4 ms slots x 16384 = a 268 s horizon; see timer.h. */
#define WHEEL_SLOT_BITS	14
#define WHEEL_SHIFT	14

/*
 * Reconnect and rebinding matches look at this many of a client address's
 * flows to the service, newest first: behind a CGNAT thousands of players
 * share an address, and a walk over all of them per new flow would be a
 * quadratic cost on the packet path.
 */
#define RECONNECT_SCAN_MAX	64
/* Unambiguous reconnects whose give-up delay is kept (the median is the
 * service's: clients of one game give up after about the same time). */
#define RECONNECT_DELAYS	16
/* A candidate is the likely one, not a guess, when its silence fits the
 * give-up delay this much better than the next one's, and 3 times. */
#define RECONNECT_MARGIN_US	(250 * USEC_PER_MSEC)

/* Samples of the inspector's loss counters kept, oldest overwritten: at
 * the daemon's one per 100 ms, the last 13 minutes; a gap that began
 * earlier is measured from the oldest sample. */
#define INSPECTOR_HISTORY 8192

struct engine {
	struct engine_config cfg;
	struct flow_table flows;
	struct timer_wheel wheel;
	uint64_t *due_us;		/* [capacity + 1]: armed deadline */
	engine_gap_cb cb;
	void *cb_ctx;
	struct gw_wall wall;		/* the wall clock, followed */
	uint64_t now_us;		/* mono of the last call */
	uint64_t stamp_us;		/* its packet's own time (gapwatch.h) */
	uint32_t gap_seq;
	uint32_t open_gaps;
	struct samples inspector;	/* struct inspector_counters, mono */
	struct blind blind;		/* its blind intervals */
	uint64_t counters[EC_MAX];
	struct ev_recorder rec;		/* the packets of every gap */
	uint64_t giveup_us[RECONNECT_DELAYS];	/* unambiguous reconnects' */
	uint32_t ngiveup, next_giveup;
	uint64_t giveup_median_us;		/* 0: none learned yet */
	struct exposure exposure;	/* slots NULL: off */
	uint64_t exposure_since_us;	/* mono: the interval's start */
	uint64_t exposure_due_us;	/* mono: its end */
};

/* How reconnect_check() chose, for the record. */
struct reconnect_match {
	uint8_t candidates;
	uint8_t method;
	uint8_t confidence;
};

const uint64_t *engine_counters(const struct engine *e)
{
	return e->counters;
}

uint32_t engine_flow_count(const struct engine *e)
{
	return flow_count(&e->flows);
}

uint32_t engine_open_gaps(const struct engine *e)
{
	return e->open_gaps;
}

static inline void set_time(struct engine *e, const struct gw_time *now)
{
	e->now_us = now->mono_us;
	e->stamp_us = now->stamp_us && now->stamp_us < now->mono_us ?
			      now->stamp_us : now->mono_us;
	gw_wall_follow(&e->wall, now);
}

static uint64_t to_wall(const struct engine *e, uint64_t mono_us)
{
	return mono_us ? mono_us + (uint64_t)e->wall.offset_us : 0;
}

static uint32_t threshold_us(const struct engine *e, const struct flow_dir *d)
{
	uint64_t t = (uint64_t)d->interval_us * e->cfg.gap_factor;

	if (t < e->cfg.gap_min_us)
		t = e->cfg.gap_min_us;
	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static int side_learned(const struct flow_dir *d)
{
	return d->samples >= ENGINE_LEARN_SAMPLES;
}

static uint64_t since_gap(const struct flow *f, uint64_t t)
{
	/* A silence that a closed gap already covered is not new. */
	return t > f->gap_end_us ? t : f->gap_end_us;
}

/* When side s's data silence becomes a gap; UINT64_MAX for never. */
static uint64_t silence_due(const struct engine *e, const struct flow *f,
			    int s)
{
	const struct flow_dir *d = &f->dir[s];

	if (!side_learned(d))
		return UINT64_MAX;
	/* A TCP side with data waiting for the peer's ACK has stopped
	 * because TCP holds it back: the peer's silence explains it, and
	 * that is the gap (unacked_due), not this one. */
	if (f->key.proto == IPPROTO_TCP && d->unacked_us &&
	    tcp_in_flight(d, &f->dir[!s]) > 0)
		return UINT64_MAX;
	return since_gap(f, d->data_us) + threshold_us(e, d);
}

/*
 * When the other side's data, unacknowledged by side s, becomes a gap of
 * s: the partial silence of a flow whose small packets pass and whose
 * acknowledgements do not (path loss towards s, a path-MTU black hole).
 */
static uint64_t unacked_due(const struct engine *e, const struct flow *f,
			    int s)
{
	const struct flow_dir *w = &f->dir[!s];

	if (f->key.proto != IPPROTO_TCP || w->unacked_us == 0 ||
	    tcp_in_flight(w, &f->dir[s]) == 0)
		return UINT64_MAX;
	return since_gap(f, w->unacked_us) + threshold_us(e, &f->dir[s]);
}

static uint64_t gap_start(const struct flow *f)
{
	return f->gap_trigger == TRIGGER_UNACKED ?
		       f->dir[!f->gap_side].unacked_us :
		       f->dir[f->gap_side].data_us;
}

/* The flow's last packet, either side. */
static uint64_t flow_last_us(const struct flow *f)
{
	return f->dir[0].last_us > f->dir[1].last_us ? f->dir[0].last_us :
						       f->dir[1].last_us;
}

static uint64_t flow_deadline(const struct engine *e, const struct flow *f)
{
	uint64_t last = flow_last_us(f);
	uint64_t due, d;
	int s;

	if (f->state & FLOW_CLOSED)
		return last + e->cfg.closed_linger_us;
	due = last + e->cfg.flow_timeout_us;
	if ((f->state & (FLOW_GAP_OPEN | FLOW_SUPERSEDED)) ||
	    ((f->dir[0].flags | f->dir[1].flags) & DIR_FIN))
		return due;
	for (s = 0; s < 2; s++) {
		d = silence_due(e, f, s);
		if (d < due)
			due = d;
		d = unacked_due(e, f, s);
		if (d < due)
			due = d;
	}
	return due;
}

static void schedule(struct engine *e, uint32_t i, uint64_t due)
{
	e->due_us[i] = due;
	timer_arm(&e->wheel, i, due);
}

/* Loss counters as they stood at mono time t: the last sample at or
 * before t, or the oldest one kept; zero before the first sample. */
static const struct inspector_counters *inspector_at(const struct engine *e,
						     uint64_t t)
{
	static const struct inspector_counters zero;
	const struct inspector_counters *c = samples_at(&e->inspector, t);

	return c ? c : &zero;
}

/* An interval that ended, to the source's callback, in wall time. */
static void blind_ended(struct engine *e, struct blind_record *iv)
{
	e->counters[EC_BLIND_INTERVALS]++;
	e->counters[EC_BLIND_MISSED] += iv->missed;
	e->counters[EC_BLIND_MS] += (iv->end_us - iv->start_us) / USEC_PER_MSEC;
	if (e->cfg.blind_cb == NULL)
		return;
	iv->queue = e->cfg.queue;
	iv->start_us = to_wall(e, iv->start_us);
	iv->end_us = to_wall(e, iv->end_us);
	e->cfg.blind_cb(e->cb_ctx, iv);
}

void engine_inspector_sample(struct engine *e, const struct gw_time *now,
			     const struct inspector_counters *c)
{
	struct blind_record iv;

	set_time(e, now);
	samples_add(&e->inspector, now->mono_us, c);
	if (blind_sample(&e->blind, now->mono_us, c, &iv))
		blind_ended(e, &iv);
}

/*
 * The inspector's part of a gap's record: what its counters grew by over
 * the window, and when gapwatchd first went blind in it. A window with
 * losses but older than every interval kept was blind, for all we know,
 * from its start.
 */
static void inspector_fill(const struct engine *e, uint64_t from,
			   struct gap_record *rec)
{
	uint64_t at;

	inspector_growth(inspector_at(e, from), inspector_at(e, e->now_us),
			 &rec->inspector);
	if (!blind_grew(&rec->inspector))
		return;
	if (blind_first(&e->blind, from, e->now_us, &at) < 0)
		at = from;
	rec->blind_from_us = to_wall(e, at);
}

/*
 * Fill the facts of a gap on flow f. The quiet side's counters are those
 * since its own last data, the other side's those since the quiet side's
 * last data: both are exactly the gap's window. pkt, when given, is the
 * packet that ends the gap; it is not yet accounted in the flow.
 */
static void gap_fill(const struct engine *e, const struct flow *f,
		     struct gap_record *rec, const struct packet *pkt,
		     int pkt_side)
{
	int s = f->gap_side, side;

	memset(rec, 0, sizeof(*rec));
	rec->seq = f->gap_seq;
	rec->queue = e->cfg.queue;
	rec->key = f->key;
	rec->trigger = f->gap_trigger;
	rec->start_us = to_wall(e, gap_start(f));
	rec->detected_us = to_wall(e, f->gap_opened_us);
	rec->end_us = to_wall(e, e->now_us);
	/* The interval is not learned while a gap is open: the threshold
	 * is the one that was passed. */
	rec->threshold_us = threshold_us(e, &f->dir[f->gap_side]);
	rec->expected_interval_us = f->dir[s].interval_us;
	for (side = 0; side < 2; side++) {
		const struct flow_dir *d = &f->dir[side];
		/* A silence's window starts at the quiet side's last data:
		 * its own window, the other's window since the quiet side's
		 * data. A wait for an acknowledgement starts at the waiting
		 * side's data: the quiet side's window since the peer's. */
		int win = side == s && f->gap_trigger == TRIGGER_SILENCE ?
				  WIN_OWN : WIN_PEER;
		const struct flow_window *w = &d->win[win];
		struct gap_side_facts *g = &rec->side[side];

		g->last_packet_us = to_wall(e, d->last_us);
		g->packets = w->packets;
		g->retransmits = w->retransmits;
		g->dup_acks = w->dup_acks;
		g->zero_windows = w->zero_windows;
		g->invalid = w->invalid;
		g->big_retransmits = w->big_retransmits;
		if (f->gap_trigger == TRIGGER_UNACKED && side != s) {
			/* The waiting side's windows restart at the other
			 * side's data, which keeps coming: count from the
			 * moment its data started waiting instead. */
			g->packets = d->unacked_packets;
			g->retransmits = d->unacked_retx;
			g->big_retransmits = d->unacked_big_retx;
		}
		g->mss = d->mss;
		g->bytes_in_flight = tcp_in_flight(d, &f->dir[!side]);
		g->ttl_before = f->gap_ttl_before[side];
		g->ttl_after = pkt && pkt_side == side ? pkt->ttl : d->ttl;
		g->fin = !!(d->flags & DIR_FIN);
		g->rst = !!(d->flags & DIR_RST);
	}
	if (pkt) {
		rec->side[pkt_side].fin |= !!(pkt->tcp_flags & PKT_TCP_FIN);
		rec->side[pkt_side].rst |= !!(pkt->tcp_flags & PKT_TCP_RST);
	}
	{
		const struct flow_dir *o = &f->dir[!s];

		/* For a wait on acknowledgements the other side's windows
		 * restart at every heartbeat of the quiet side: only its
		 * last packet says whether it fell silent too. */
		int other_quiet = e->now_us - o->last_us >= threshold_us(e, o) ||
				  (f->gap_trigger == TRIGGER_SILENCE &&
				   rec->side[!s].packets == 0);

		rec->silent = other_quiet ? SILENT_BOTH : (enum gap_silent)s;
	}
	if ((f->dir[SIDE_CLIENT].flags & (DIR_SEQ_KNOWN | DIR_ACK_KNOWN)) ==
	    (DIR_SEQ_KNOWN | DIR_ACK_KNOWN)) {
		rec->tcp_known = f->key.proto == IPPROTO_TCP;
		rec->keepalive_seq = f->dir[SIDE_CLIENT].last_ack - 1;
		rec->keepalive_ack = f->dir[SIDE_CLIENT].next_seq;
		rec->server_window = f->dir[SIDE_SERVER].last_window;
	}
	if (f->invalid_first_us) {
		rec->invalid_first_us = to_wall(e, f->invalid_first_us);
		rec->invalid_last_us = to_wall(e, f->invalid_last_us);
	}
	inspector_fill(e, gap_start(f), rec);
}

static void gap_open(struct engine *e, struct flow *f, int side,
		     enum gap_trigger trigger)
{
	struct gap_record rec;
	uint32_t i;

	f->state |= FLOW_GAP_OPEN;
	f->gap_side = (uint8_t)side;
	f->gap_trigger = (uint8_t)trigger;
	f->gap_opened_us = e->now_us;
	f->gap_seq = ++e->gap_seq;
	f->gap_ttl_before[SIDE_CLIENT] = f->dir[SIDE_CLIENT].ttl;
	f->gap_ttl_before[SIDE_SERVER] = f->dir[SIDE_SERVER].ttl;
	e->open_gaps++;
	e->counters[EC_GAPS_OPENED]++;
	i = (uint32_t)(f - flow_get(&e->flows, 0));
	if (ev_recorder_on(&e->rec) &&
	    !ev_recorder_gap_open(&e->rec, i, &f->key, e->cfg.queue,
				  f->gap_seq, e->wall.offset_us))
		e->counters[EC_EVIDENCE_LOST]++;

	gap_fill(e, f, &rec, NULL, 0);
	rec.is_open_event = 1;
	rec.has_pcap = (uint8_t)ev_recorder_recording(&e->rec, i);
	e->cb(e->cb_ctx, &rec);
}

static void gap_close(struct engine *e, struct flow *f,
		      enum gap_outcome outcome, const struct packet *pkt,
		      int pkt_side, const struct flow *successor,
		      const struct reconnect_match *m)
{
	uint32_t i = (uint32_t)(f - flow_get(&e->flows, 0)), next = 0;
	struct gap_record rec;

	gap_fill(e, f, &rec, pkt, pkt_side);
	rec.outcome = outcome;
	if (successor) {
		next = (uint32_t)(successor - flow_get(&e->flows, 0));
		rec.reconnect_port = successor->key.client_port;
		/* From the silence to the successor's first packet. */
		uint64_t first = (e->now_us / 1000 -
				  (uint32_t)(e->now_us / 1000 - successor->created_ms)) *
				 1000;

		rec.reconnect_delay_us = first > gap_start(f) ?
						 first - gap_start(f) : 0;
		rec.reconnect_candidates = m->candidates;
		rec.reconnect_method = m->method;
		rec.reconnect_confidence = m->confidence;
	}
	rec.has_pcap = (uint8_t)ev_recorder_recording(&e->rec, i);
	f->state &= ~FLOW_GAP_OPEN;
	f->gap_end_us = e->now_us;
	e->open_gaps--;
	e->counters[EC_GAPS_CLOSED]++;
	e->cb(e->cb_ctx, &rec);
	if (ev_recorder_on(&e->rec))
		ev_recorder_gap_close(&e->rec, i, outcome, next,
				      successor ? successor->key.client_port : 0,
				      e->now_us);
}

/* The flow's first packet, mono: created_ms keeps its low 32 bits (49
 * days), more than any flow lives. */
static uint64_t flow_first_us(const struct engine *e, const struct flow *f)
{
	uint64_t now_ms = e->now_us / USEC_PER_MSEC;
	uint32_t age_ms = (uint32_t)now_ms - f->created_ms;

	return age_ms > now_ms ? 0 : (now_ms - age_ms) * USEC_PER_MSEC;
}

/* The flow's time in this exposure interval, up to its last packet, and
 * the flow itself if it began in it: counted once, when it is forgotten
 * or when the interval ends, whichever comes first. */
static void expose_flow(struct engine *e, const struct flow *f)
{
	uint64_t first = flow_first_us(e, f), last = flow_last_us(f);
	uint64_t from = first > e->exposure_since_us ? first :
						       e->exposure_since_us;
	uint32_t began = first >= e->exposure_since_us;

	if (began || last > from)
		exposure_add(&e->exposure, &f->key.client, began,
			     last > from ? last - from : 0);
}

/* The interval ends at now: every live flow's time so far, to the
 * callback, and (unless this is the last) a new interval. Once an
 * interval (an hour): a walk of the flow table is nothing beside it. */
static void exposure_end(struct engine *e, int last)
{
	uint32_t i;

	for (i = flow_lru_newest(&e->flows); i;
	     i = flow_lru_older(&e->flows, i))
		expose_flow(e, flow_get(&e->flows, i));
	/* An interval without a player (a replay's jump to its first
	 * packet, a server with nobody on) has nothing to say. */
	if (!exposure_empty(&e->exposure))
		e->cfg.exposure_cb(e->cb_ctx, &e->exposure, to_wall(e, e->now_us));
	if (last) {
		e->exposure_due_us = UINT64_MAX;
		return;
	}
	exposure_reset(&e->exposure, to_wall(e, e->now_us));
	e->exposure_since_us = e->now_us;
	e->exposure_due_us = e->now_us + e->cfg.exposure_interval_us;
}

static void flow_forget(struct engine *e, uint32_t i, enum gap_outcome outcome)
{
	struct flow *f = flow_get(&e->flows, i);

	if (e->exposure.slots)
		expose_flow(e, f);
	if (f->state & FLOW_GAP_OPEN)
		gap_close(e, f, outcome, NULL, 0, NULL, NULL);
	if (ev_recorder_on(&e->rec))
		ev_recorder_flow_gone(&e->rec, i);
	timer_cancel(&e->wheel, i);
	flow_remove(&e->flows, i);
}

/* The side that is due to open a gap, and why; the longest silence
 * first. Returns -1 if none is due. */
static int due_side(const struct engine *e, const struct flow *f,
		    enum gap_trigger *trigger)
{
	uint64_t best = UINT64_MAX, start;
	int s, pick = -1;

	for (s = 0; s < 2; s++) {
		if (e->now_us >= silence_due(e, f, s)) {
			start = f->dir[s].data_us;
			if (start < best) {
				best = start;
				pick = s;
				*trigger = TRIGGER_SILENCE;
			}
		}
		if (e->now_us >= unacked_due(e, f, s)) {
			start = f->dir[!s].unacked_us;
			if (start < best) {
				best = start;
				pick = s;
				*trigger = TRIGGER_UNACKED;
			}
		}
	}
	return pick;
}

/* Devices behind one address differ in their initial TTL (their OS),
 * their link's MSS and the options their stack puts in a SYN: a
 * candidate that differs in any is not the same device. What one of the
 * two never showed (no SYN seen, unknown) fits anything. */
static int same_device(const struct flow_dir *a, const struct flow_dir *b)
{
	if (a->ttl && b->ttl && a->ttl != b->ttl)
		return 0;
	if (a->mss && b->mss && a->mss != b->mss)
		return 0;
	if ((a->flags & b->flags & DIR_SYN) &&
	    (a->flags & DIR_SYN_OPTS) != (b->flags & DIR_SYN_OPTS))
		return 0;
	return 1;
}

static uint64_t distance_us(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/*
 * The candidates for one match, scored as they are scanned: the lowest
 * error wins. How many there were, how many alike, and how far the best
 * is ahead of the next say how sure the match is.
 */
struct match_scan {
	unsigned int candidates;
	unsigned int alike;
	unsigned int doubtful;		/* taken by a guess: may be this one */
	uint64_t best_err, second_err;
	struct flow *best;
};

static void scan_init(struct match_scan *ms)
{
	memset(ms, 0, sizeof(*ms));
	ms->best_err = ms->second_err = UINT64_MAX;
}

static void scan_offer(struct match_scan *ms, struct flow *f, int alike,
		       uint64_t err)
{
	ms->candidates++;
	if (!alike)
		return;
	ms->alike++;
	if (ms->best == NULL || err < ms->best_err) {
		ms->second_err = ms->best_err;
		ms->best_err = err;
		ms->best = f;
	} else if (err < ms->second_err) {
		ms->second_err = err;
	}
}

static void scan_decide(const struct engine *e, const struct match_scan *ms,
			struct reconnect_match *m)
{
	unsigned int all = ms->candidates + ms->doubtful;

	m->candidates = (uint8_t)(all > 255 ? 255 : all);
	if (ms->candidates == 1) {
		m->method = RECONNECT_ONLY;
		m->confidence = CONFIDENCE_FULL;
	} else if (ms->alike == 1) {
		m->method = RECONNECT_FINGERPRINT;
		m->confidence = CONFIDENCE_FULL;
	} else if (e->giveup_median_us) {
		m->method = RECONNECT_DELAY;
		m->confidence = ms->second_err - ms->best_err >= RECONNECT_MARGIN_US &&
					ms->second_err / 3 >= ms->best_err ?
				CONFIDENCE_HIGH : CONFIDENCE_LOW;
	} else {
		m->method = RECONNECT_ORDER;
		m->confidence = CONFIDENCE_LOW;
	}
	/* A flow that an earlier guess gave away may have been this one:
	 * what is left after a guess is a guess too. */
	if (ms->doubtful) {
		if (m->method == RECONNECT_ONLY)
			m->method = RECONNECT_ORDER;
		m->confidence = CONFIDENCE_LOW;
	}
}

/* An unambiguous reconnect teaches the service's give-up delay. */
static void learn_giveup(struct engine *e, uint64_t delay_us)
{
	uint64_t sorted[RECONNECT_DELAYS];
	uint32_t n, k, j;

	e->giveup_us[e->next_giveup] = delay_us;
	e->next_giveup = (e->next_giveup + 1) % RECONNECT_DELAYS;
	if (e->ngiveup < RECONNECT_DELAYS)
		e->ngiveup++;
	n = e->ngiveup;
	memcpy(sorted, e->giveup_us, n * sizeof(sorted[0]));
	for (k = 1; k < n; k++)		/* 16 at most: insertion sort */
		for (j = k; j > 0 && sorted[j - 1] > sorted[j]; j--) {
			uint64_t t = sorted[j];

			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	e->giveup_median_us = sorted[n / 2];
}

/*
 * A new flow that came before the old one's gap opened: a UDP client whose
 * NAT rebound shows up from its new port at once, with no handshake and no
 * silence of the old port yet; a TCP client quicker to give up than our
 * threshold. The decision waits until the old port's gap opens (a bounded
 * window: its threshold); then the gap closes with it: of the flows of the
 * address created since the old port's last data, alive (its client sent
 * since) and not already another gap's successor, one of the same device,
 * the first created. On an address where other players talk, a TCP
 * newcomer may be one of them: a guess.
 */
static int rebound(struct engine *e, uint32_t i)
{
	struct flow *f = flow_get(&e->flows, i), *n;
	uint32_t last_ms = (uint32_t)(f->dir[SIDE_CLIENT].data_us / 1000), j;
	struct reconnect_match m;
	struct match_scan ms;
	uint32_t scanned, others = 0;

	scan_init(&ms);
	for (j = flow_service_first(&e->flows, &f->key), scanned = 0;
	     j && scanned < RECONNECT_SCAN_MAX;
	     j = flow_service_next(&e->flows, j, &f->key), scanned++) {
		n = flow_get(&e->flows, j);
		if (j == i)
			continue;
		/* Created after the old port's last data (ms, wrapping),
		 * and alive: its client sent data since. */
		if ((int32_t)(n->created_ms - last_ms) < 0 ||
		    n->dir[SIDE_CLIENT].data_us <= f->dir[SIDE_CLIENT].data_us ||
		    (n->state & (FLOW_SUCCESSOR | FLOW_CLOSED))) {
			others++;
			continue;
		}
		scan_offer(&ms, n, same_device(&f->dir[SIDE_CLIENT],
					       &n->dir[SIDE_CLIENT]),
			   (uint32_t)(n->created_ms - last_ms));
	}
	if (ms.best == NULL)
		return 0;
	/* The delay model speaks of old flows giving up, not of rebinds:
	 * several new ports are told apart by device and order alone. */
	scan_decide(e, &ms, &m);
	if (m.method == RECONNECT_DELAY)
		m.method = RECONNECT_ORDER;
	if (m.method == RECONNECT_ORDER ||
	    (f->key.proto == IPPROTO_TCP && others && m.method == RECONNECT_ONLY))
		m.confidence = CONFIDENCE_LOW;
	f->state |= FLOW_SUPERSEDED;
	ms.best->state |= FLOW_SUCCESSOR;
	if (m.confidence == CONFIDENCE_LOW)
		f->state |= FLOW_GUESSED;
	e->counters[EC_RECONNECTS]++;
	gap_close(e, f, OUTCOME_RECONNECTED, NULL, 0, ms.best, &m);
	return 1;
}

static void on_timer(void *ctx, uint32_t i, uint64_t now_us)
{
	struct engine *e = ctx;
	struct flow *f = flow_get(&e->flows, i);
	uint64_t last = flow_last_us(f);
	uint64_t idle_max = f->state & FLOW_CLOSED ? e->cfg.closed_linger_us :
						     e->cfg.flow_timeout_us;
	enum gap_trigger trigger = TRIGGER_SILENCE;
	int side;

	e->counters[EC_TIMERS_FIRED]++;
	if (now_us >= last + idle_max) {
		e->counters[EC_FLOWS_EXPIRED]++;
		flow_forget(e, i, OUTCOME_EXPIRED);
		return;
	}
	if (!(f->state & (FLOW_GAP_OPEN | FLOW_CLOSED | FLOW_SUPERSEDED)) &&
	    !((f->dir[0].flags | f->dir[1].flags) & DIR_FIN)) {
		side = due_side(e, f, &trigger);
		if (side >= 0) {
			gap_open(e, f, side, trigger);
			if (side == SIDE_CLIENT)
				rebound(e, i);
		}
	}
	schedule(e, i, flow_deadline(e, f));
}

uint64_t engine_next_due(const struct engine *e)
{
	uint64_t due = timer_next_due(&e->wheel), post;

	if (ev_recorder_on(&e->rec)) {
		post = ev_recorder_next_due(&e->rec);
		if (post < due)
			due = post;
	}
	/* An interval with nobody in it has nothing to write: a replay's
	 * quiet year is not stepped through an hour at a time. */
	if (e->exposure_due_us < due &&
	    (flow_count(&e->flows) || !exposure_empty(&e->exposure)))
		due = e->exposure_due_us;
	return due;
}

void engine_tick(struct engine *e, const struct gw_time *now)
{
	set_time(e, now);
	timer_advance(&e->wheel, now->mono_us, on_timer, e);
	if (ev_recorder_on(&e->rec))
		ev_recorder_tick(&e->rec, e->now_us);
	/* UINT64_MAX when off: one comparison a tick. */
	if (e->now_us >= e->exposure_due_us)
		exposure_end(e, 0);
}

/*
 * A client that gives up on a dead flow reconnects at once from a new
 * port (the seed's Windows client, error 10053). A new flow of the same
 * client address to the same service closes the gap of an older flow that
 * is silent: open, or overdue by half an interval, so a client faster to
 * give up than our threshold is still seen. Behind one address (CGNAT, a
 * café) several may be silent: a candidate of another device is not it;
 * of the rest, the one whose silence fits the service's give-up delay
 * (learned from the unambiguous reconnects), or before one is learned the
 * first to fall silent, which is the first to give up. The record says
 * how many could have been it and how sure the choice is.
 */
static void reconnect_check(struct engine *e, uint32_t fresh)
{
	struct flow *nf = flow_get(&e->flows, fresh), *f;
	struct reconnect_match m;
	struct match_scan ms;
	uint32_t i, scanned;
	uint64_t quiet, heard;

	scan_init(&ms);
	for (i = flow_service_first(&e->flows, &nf->key), scanned = 0;
	     i && scanned < RECONNECT_SCAN_MAX;
	     i = flow_service_next(&e->flows, i, &nf->key), scanned++) {
		const struct flow_dir *c;
		uint64_t overdue;

		if (i == fresh)
			continue;
		f = flow_get(&e->flows, i);
		c = &f->dir[SIDE_CLIENT];
		quiet = e->now_us - c->data_us;
		if ((f->state & FLOW_GUESSED) && !(f->state & FLOW_CLOSED) &&
		    quiet <= e->cfg.reconnect_window_us) {
			ms.doubtful++;
			continue;
		}
		if (f->state & (FLOW_CLOSED | FLOW_SUPERSEDED))
			continue;
		if (!(f->state & FLOW_GAP_OPEN)) {
			overdue = side_learned(c) ?
				  (uint64_t)c->interval_us * 3 / 2 :
				  e->cfg.gap_min_us;
			if (c->data_us == 0 || quiet < overdue)
				continue;
		}
		if (quiet > e->cfg.reconnect_window_us)
			continue;
		/* A client gives up a fixed time after it last heard the
		 * server, and its last packet (an ACK of what it heard) says
		 * when that was: the give-up delay counts from there. */
		heard = e->now_us - c->last_us;
		scan_offer(&ms, f, same_device(c, &nf->dir[SIDE_CLIENT]),
			   e->giveup_median_us ?
			   distance_us(heard, e->giveup_median_us) :
			   UINT64_MAX - heard);
	}
	if (ms.best == NULL)
		return;
	scan_decide(e, &ms, &m);
	f = ms.best;
	if (m.method == RECONNECT_ONLY)
		learn_giveup(e, e->now_us - f->dir[SIDE_CLIENT].last_us);
	if (!(f->state & FLOW_GAP_OPEN))
		gap_open(e, f, SIDE_CLIENT, TRIGGER_SILENCE);
	f->state |= FLOW_SUPERSEDED;
	if (m.confidence == CONFIDENCE_LOW)
		f->state |= FLOW_GUESSED;
	nf->state |= FLOW_SUCCESSOR;
	e->counters[EC_RECONNECTS]++;
	gap_close(e, f, OUTCOME_RECONNECTED, NULL, 0, nf, &m);
}

static uint32_t flow_create(struct engine *e, const struct flow_key *k)
{
	uint32_t i = flow_insert(&e->flows, k);

	if (i == 0) {
		e->counters[EC_FLOWS_EVICTED]++;
		flow_forget(e, flow_lru_oldest(&e->flows), OUTCOME_EVICTED);
		i = flow_insert(&e->flows, k);
	}
	if (ev_recorder_on(&e->rec))
		ev_recorder_flow_new(&e->rec, i);
	flow_get(&e->flows, i)->created_ms = (uint32_t)(e->now_us / 1000);
	e->counters[EC_FLOWS_CREATED]++;
	return i;
}

static inline void window_count(struct flow_window *w, unsigned int seg)
{
	/* Saturate: a window that long is not a heartbeat gap any more. */
	if (w->packets != UINT16_MAX)
		w->packets++;
	if ((seg & SEG_RETRANSMIT) && w->retransmits != UINT16_MAX)
		w->retransmits++;
	if ((seg & SEG_DUP_ACK) && w->dup_acks != UINT16_MAX)
		w->dup_acks++;
	if ((seg & SEG_ZERO_WINDOW) && w->zero_windows != UINT16_MAX)
		w->zero_windows++;
	if ((seg & SEG_INVALID) && w->invalid != UINT16_MAX)
		w->invalid++;
	if ((seg & (SEG_RETRANSMIT | SEG_BIG)) == (SEG_RETRANSMIT | SEG_BIG) &&
	    w->big_retransmits != UINT16_MAX)
		w->big_retransmits++;
}

/*
 * Follow how long each side's data has waited for the other's ACK. The
 * clock restarts whenever the ACK moves: a flow that acknowledges slowly
 * is fine, one whose acknowledgements stop while data waits is not.
 */
static void track_unacked(struct engine *e, struct flow_dir *d,
			  struct flow_dir *peer, const struct packet *pkt,
			  unsigned int seg)
{
	if ((pkt->tcp_flags & PKT_TCP_ACK) && (peer->flags & DIR_SEQ_KNOWN) &&
	    (!(d->flags & DIR_ACK_KNOWN) || seq_gt(pkt->ack, d->last_ack))) {
		peer->unacked_us = seq_gt(peer->next_seq, pkt->ack) ?
					   e->now_us : 0;
		peer->unacked_retx = 0;
		peer->unacked_big_retx = 0;
		peer->unacked_packets = 0;
	}
	/* The packet that starts the wait is not in it, nor one stamped
	 * before the wait began. */
	if ((seg & SEG_NEW_DATA) && d->unacked_us == 0) {
		d->unacked_us = e->now_us;
		return;
	}
	if (d->unacked_us == 0 || e->stamp_us < d->unacked_us)
		return;
	if (d->unacked_packets != UINT16_MAX)
		d->unacked_packets++;
	if (seg & SEG_RETRANSMIT) {
		if (d->unacked_retx != UINT16_MAX)
			d->unacked_retx++;
		if ((seg & SEG_BIG) && d->unacked_big_retx != UINT8_MAX)
			d->unacked_big_retx++;
	}
}

/* Asymmetric average: quick to follow a longer interval (fewer false
 * gaps), slow to believe a shorter one (a burst within a heartbeat). */
static void learn_interval(struct flow_dir *d, uint64_t sample_us)
{
	if (sample_us > UINT32_MAX)
		sample_us = UINT32_MAX;
	if (d->samples == 0)
		d->interval_us = (uint32_t)sample_us;
	else if (sample_us > d->interval_us)
		d->interval_us += (uint32_t)((sample_us - d->interval_us) / 2);
	else
		d->interval_us -= (uint32_t)((d->interval_us - sample_us) / 16);
	if (d->samples != UINT8_MAX)
		d->samples++;
}

static void account(struct engine *e, struct flow *f, int side,
		    const struct packet *pkt, unsigned int seg, int gap_ended)
{
	struct flow_dir *d = &f->dir[side], *peer = &f->dir[!side];

	/* A packet stamped before a window began (a capture whose time
	 * steps back) belongs to no window that began later. */
	if (e->stamp_us >= d->data_us)
		window_count(&d->win[WIN_OWN], seg);
	if (e->stamp_us >= peer->data_us)
		window_count(&d->win[WIN_PEER], seg);
	if (seg & SEG_RETRANSMIT)
		e->counters[EC_RETRANSMITS]++;
	if (seg & SEG_INVALID) {
		e->counters[EC_INVALID]++;
		if (side == SIDE_CLIENT) {
			if (f->invalid_first_us == 0)
				f->invalid_first_us = e->now_us;
			f->invalid_last_us = e->now_us;
		}
	}
	if ((seg & SEG_INVALID) && side == SIDE_CLIENT) {
		/* Dropped before the server's TCP: its sequence numbers,
		 * flags and acknowledgements never happened for the flow. */
		d->last_us = e->now_us;
		d->ttl = pkt->ttl;
		return;
	}
	if (pkt->proto == IPPROTO_TCP)
		track_unacked(e, d, peer, pkt, seg);
	if ((seg & SEG_NEW_DATA) && side == SIDE_CLIENT) {
		/* The client's valid data again: its run of INVALID
		 * packets has ended. */
		f->invalid_first_us = 0;
		f->invalid_last_us = 0;
	}
	if (seg & SEG_NEW_DATA) {
		/* The interval that spanned a gap is the gap, not a
		 * heartbeat: learning it would raise the threshold. */
		if (d->data_us && !gap_ended && !(f->state & FLOW_GAP_OPEN) &&
		    d->data_us >= f->gap_end_us)
			learn_interval(d, e->now_us - d->data_us);
		d->data_us = e->now_us;
		memset(&d->win[WIN_OWN], 0, sizeof(d->win[WIN_OWN]));
		memset(&peer->win[WIN_PEER], 0, sizeof(peer->win[WIN_PEER]));
	}
	d->last_us = e->now_us;
	d->ttl = pkt->ttl;
	tcp_apply(d, pkt);
	if ((d->flags & DIR_RST) ||
	    ((d->flags & DIR_FIN) && (peer->flags & DIR_FIN)))
		f->state |= FLOW_CLOSED;
}

/* Does this packet start a flow: a client's SYN, or any UDP datagram? */
static int opens_flow(const struct packet *pkt, int side)
{
	if (pkt->proto == IPPROTO_UDP)
		return 1;
	return side == SIDE_CLIENT &&
	       (pkt->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) == PKT_TCP_SYN;
}

/* Does a packet from the gap's side end it? New data ends a silence; an
 * acknowledgement that moves ends a wait for one. */
static int resumes(const struct flow *f, const struct packet *pkt,
		   unsigned int seg)
{
	const struct flow_dir *d = &f->dir[f->gap_side];

	if (f->gap_trigger == TRIGGER_SILENCE)
		return !!(seg & SEG_NEW_DATA);
	return !(seg & SEG_INVALID) && (pkt->tcp_flags & PKT_TCP_ACK) &&
	       (d->flags & DIR_ACK_KNOWN) && seq_gt(pkt->ack, d->last_ack);
}

void engine_packet_parsed(struct engine *e, const struct packet *pkt,
			  size_t wirelen, const struct gw_time *now)
{
	struct flow_key k;
	struct flow *f;
	unsigned int seg;
	uint32_t i;
	int side, fresh = 0, gap_ended = 0;
	uint64_t due;

	set_time(e, now);
	e->counters[EC_PACKETS]++;
	e->counters[EC_BYTES] += wirelen;
	side = portset_orient(e->cfg.ports, pkt->proto, &pkt->src, pkt->sport,
			      &pkt->dst, pkt->dport, &k);
	if (side < 0) {
		e->counters[EC_UNMATCHED]++;
		return;
	}
	i = flow_lookup(&e->flows, &k);
	if (i && (flow_get(&e->flows, i)->state & FLOW_CLOSED) &&
	    opens_flow(pkt, side) && pkt->proto == IPPROTO_TCP) {
		/* The client reused the port of a closed connection. */
		e->counters[EC_FLOWS_EXPIRED]++;
		flow_forget(e, i, OUTCOME_EXPIRED);
		i = 0;
	}
	if (i == 0) {
		i = flow_create(e, &k);
		fresh = 1;
	} else {
		flow_touch(&e->flows, i);
	}
	f = flow_get(&e->flows, i);
	seg = tcp_classify(&f->dir[side], &f->dir[!side], pkt, e->stamp_us);
	if ((pkt->ct & PKT_CT_INVALID) && side == SIDE_CLIENT) {
		/* It reached us, but the filter table (ufw drops INVALID by
		 * default) will likely drop it before the server sees it:
		 * evidence, not liveness, and nothing the server's TCP
		 * acknowledges. The server's own INVALID packets leave the
		 * host (ufw filters INVALID on input): they count as sent. */
		seg = (seg & ~(SEG_NEW_DATA | SEG_RETRANSMIT | SEG_DUP_ACK)) |
		      SEG_INVALID;
	} else if (pkt->ct & PKT_CT_INVALID) {
		seg |= SEG_INVALID;
	}

	if ((f->state & FLOW_GAP_OPEN) &&
	    !((seg & SEG_INVALID) && side == SIDE_CLIENT)) {
		if (pkt->tcp_flags & PKT_TCP_RST) {
			gap_close(e, f, side == SIDE_CLIENT ? OUTCOME_CLIENT_RST :
							      OUTCOME_SERVER_RST,
				  pkt, side, NULL, NULL);
			gap_ended = 1;
		} else if (pkt->tcp_flags & PKT_TCP_FIN) {
			gap_close(e, f, OUTCOME_FIN, pkt, side, NULL, NULL);
			gap_ended = 1;
		} else if (side == f->gap_side && resumes(f, pkt, seg)) {
			gap_close(e, f, OUTCOME_RESUMED, pkt, side, NULL, NULL);
			gap_ended = 1;
		}
	}
	if ((f->state & FLOW_SUPERSEDED) && side == SIDE_CLIENT &&
	    (seg & SEG_NEW_DATA)) {
		/* The old flow talks again: the "reconnect" was another
		 * client behind the same address (CGNAT). Watch it again. */
		f->state &= ~(FLOW_SUPERSEDED | FLOW_GUESSED);
	}
	account(e, f, side, pkt, seg, gap_ended);

	if (fresh) {
		if (opens_flow(pkt, side) && side == SIDE_CLIENT)
			reconnect_check(e, i);
		/* After the check: a reconnect's first packet belongs in the
		 * old flow's evidence too. */
		if (ev_recorder_on(&e->rec))
			ev_recorder_packet(&e->rec, i, side == SIDE_CLIENT, pkt,
					   e->now_us);
		schedule(e, i, flow_deadline(e, f));
		return;
	}
	if (ev_recorder_on(&e->rec))
		ev_recorder_packet(&e->rec, i, side == SIDE_CLIENT, pkt,
				   e->now_us);
	due = flow_deadline(e, f);
	if (due < e->due_us[i] || !timer_armed(&e->wheel, i))
		schedule(e, i, due);
}

void engine_packet(struct engine *e, const uint8_t *buf, size_t caplen,
		   size_t wirelen, const struct gw_time *now)
{
	engine_packet_marked(e, buf, caplen, wirelen, 0, now);
}

void engine_packet_marked(struct engine *e, const uint8_t *buf, size_t caplen,
			  size_t wirelen, uint32_t mark,
			  const struct gw_time *now)
{
	static const enum engine_counter parse_counter[PARSE_RESULT_MAX] = {
		[PARSE_TRUNCATED] = EC_PARSE_TRUNCATED,
		[PARSE_MALFORMED] = EC_PARSE_MALFORMED,
		[PARSE_NOT_TCP_UDP] = EC_PARSE_NOT_TCP_UDP,
		[PARSE_FRAGMENT] = EC_PARSE_FRAGMENT,
		[PARSE_EXT_LIMIT] = EC_PARSE_EXT_LIMIT,
	};
	struct packet pkt;
	enum parse_result r;

	r = parse_packet(buf, caplen, wirelen, &pkt);
	if (r != PARSE_OK) {
		e->counters[EC_PACKETS]++;
		e->counters[EC_BYTES] += wirelen;
		e->counters[parse_counter[r]]++;
		return;
	}
	if (mark & e->cfg.invalid_mark)
		pkt.ct |= PKT_CT_INVALID;
	if (mark & e->cfg.untracked_mark)
		pkt.ct |= PKT_CT_UNTRACKED;
	engine_packet_parsed(e, &pkt, wirelen, now);
}

static void close_all(struct engine *e, enum gap_outcome outcome)
{
	uint32_t i;

	for (i = 1; i < flow_slots_end(&e->flows) && e->open_gaps; i++) {
		struct flow *f = flow_get(&e->flows, i);

		/* A freed slot keeps its state bits, but a flow is freed
		 * only after its gap is closed: FLOW_GAP_OPEN means live. */
		if (f->state & FLOW_GAP_OPEN)
			gap_close(e, f, outcome, NULL, 0, NULL, NULL);
	}
}

void engine_finish(struct engine *e, const struct gw_time *now)
{
	struct blind_record iv;

	set_time(e, now);
	if (blind_flush(&e->blind, &iv))
		blind_ended(e, &iv);
	close_all(e, OUTCOME_OPEN_AT_EXIT);
	if (ev_recorder_on(&e->rec))
		ev_recorder_finish(&e->rec);
	if (e->exposure.slots)
		exposure_end(e, 1);
}

struct engine *engine_new(const struct engine_config *cfg, engine_gap_cb cb,
			  void *ctx, const struct gw_time *now)
{
	struct engine *e;

	if (cfg->ports == NULL || cfg->max_flows == 0 || cfg->gap_factor == 0 ||
	    cb == NULL || (cfg->exposure_interval_us && !cfg->exposure_cb)) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->cfg = *cfg;
	e->cb = cb;
	e->cb_ctx = ctx;
	gw_wall_init(&e->wall, now);
	set_time(e, now);
	if (flow_table_init(&e->flows, cfg->max_flows, cfg->seed) < 0)
		goto err_engine;
	if (timer_init(&e->wheel, cfg->max_flows, WHEEL_SLOT_BITS, WHEEL_SHIFT,
		       now->mono_us) < 0)
		goto err_flows;
	e->due_us = calloc((size_t)cfg->max_flows + 1, sizeof(*e->due_us));
	if (e->due_us == NULL)
		goto err_wheel;
	blind_init(&e->blind);
	if (samples_init(&e->inspector, INSPECTOR_HISTORY,
			 sizeof(struct inspector_counters)) < 0)
		goto err_due;
	if (ev_recorder_init(&e->rec, cfg->max_flows, cfg->evidence_packets,
			     cfg->evidence_cb, ctx) < 0)
		goto err_history;
	e->exposure_due_us = UINT64_MAX;
	if (cfg->exposure_interval_us) {
		if (exposure_init(&e->exposure, cfg->queue, now->wall_us) < 0)
			goto err_recorder;
		e->exposure_since_us = now->mono_us;
		e->exposure_due_us = now->mono_us + cfg->exposure_interval_us;
	}
	return e;

err_recorder:
	ev_recorder_fini(&e->rec);
err_history:
	samples_fini(&e->inspector);
err_due:
	free(e->due_us);
err_wheel:
	timer_fini(&e->wheel);
err_flows:
	flow_table_fini(&e->flows);
err_engine:
	free(e);
	errno = ENOMEM;
	return NULL;
}

void engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	exposure_fini(&e->exposure);
	ev_recorder_fini(&e->rec);
	samples_fini(&e->inspector);
	free(e->due_us);
	timer_fini(&e->wheel);
	flow_table_fini(&e->flows);
	free(e);
}
