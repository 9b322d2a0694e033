/*
 * evidence.c - per-flow packet rings, the pool of gap buffers, and the
 * recorder that moves a gap's packets from one to the other.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"

int ev_pool_init(struct ev_pool *p)
{
	uint32_t k;

	memset(p, 0, sizeof(*p));
	/* calloc: buffers never used are never touched. */
	p->bufs = calloc(EVIDENCE_BUFFERS, sizeof(*p->bufs));
	if (p->bufs == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (k = 0; k < EVIDENCE_BUFFERS; k++)
		p->free_list[k] = (uint16_t)(EVIDENCE_BUFFERS - k);
	p->nfree = EVIDENCE_BUFFERS;
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

void ev_pool_fini(struct ev_pool *p)
{
	if (p->bufs == NULL)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->bufs);
	p->bufs = NULL;
}

uint16_t ev_pool_take(struct ev_pool *p)
{
	uint16_t slot = 0;

	pthread_mutex_lock(&p->lock);
	if (p->nfree)
		slot = p->free_list[--p->nfree];
	else
		p->exhausted++;
	pthread_mutex_unlock(&p->lock);
	return slot;
}

void ev_pool_give(struct ev_pool *p, uint16_t slot)
{
	pthread_mutex_lock(&p->lock);
	p->free_list[p->nfree++] = slot;
	pthread_mutex_unlock(&p->lock);
}

int ev_rings_init(struct ev_rings *r, uint32_t capacity, uint32_t per_flow)
{
	memset(r, 0, sizeof(*r));
	r->per_flow = per_flow;
	if (per_flow == 0)
		return 0;
	r->pkts = calloc(((size_t)capacity + 1) * per_flow, sizeof(*r->pkts));
	r->head = calloc((size_t)capacity + 1, 1);
	r->count = calloc((size_t)capacity + 1, 1);
	if (r->pkts == NULL || r->head == NULL || r->count == NULL) {
		ev_rings_fini(r);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void ev_rings_fini(struct ev_rings *r)
{
	free(r->pkts);
	free(r->head);
	free(r->count);
	memset(r, 0, sizeof(*r));
}

void ev_ring_reset(struct ev_rings *r, uint32_t i)
{
	if (r->per_flow) {
		r->head[i] = 0;
		r->count[i] = 0;
	}
}

void ev_ring_add(struct ev_rings *r, uint32_t i, const struct ev_pkt *pkt)
{
	r->pkts[(size_t)i * r->per_flow + r->head[i]] = *pkt;
	r->head[i] = (uint8_t)((r->head[i] + 1) % r->per_flow);
	if (r->count[i] < r->per_flow)
		r->count[i]++;
}

void ev_buffer_append(struct ev_buffer *b, const struct ev_pkt *pkt)
{
	if (b->count == EVIDENCE_GAP_PACKETS) {
		b->truncated++;
		return;
	}
	b->pkts[b->count++] = *pkt;
}

void ev_ring_copy(const struct ev_rings *r, uint32_t i, struct ev_buffer *b)
{
	const struct ev_pkt *ring = &r->pkts[(size_t)i * r->per_flow];
	uint32_t n = r->count[i], k;

	for (k = 0; k < n; k++)
		ev_buffer_append(b, &ring[(r->head[i] + r->per_flow - n + k) %
					  r->per_flow]);
}

/* --- the recorder ---------------------------------------------------------- */

int ev_recorder_init(struct ev_recorder *r, uint32_t capacity,
		     uint32_t per_flow, ev_done_cb done, void *ctx)
{
	memset(r, 0, sizeof(*r));
	if (per_flow == 0 || done == NULL)
		return 0;
	r->done = done;
	r->ctx = ctx;
	r->slot = calloc((size_t)capacity + 1, sizeof(*r->slot));
	if (r->slot == NULL || ev_pool_init(&r->pool) < 0 ||
	    ev_rings_init(&r->rings, capacity, per_flow) < 0) {
		ev_recorder_fini(r);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void ev_recorder_fini(struct ev_recorder *r)
{
	ev_rings_fini(&r->rings);
	ev_pool_fini(&r->pool);
	free(r->slot);
	r->slot = NULL;
	r->npost = 0;
}

void ev_recorder_flow_new(struct ev_recorder *r, uint32_t i)
{
	ev_ring_reset(&r->rings, i);
	r->slot[i] = 0;
}

static void detach(struct ev_recorder *r, uint32_t i, uint16_t slot)
{
	if (i && r->slot[i] == slot)
		r->slot[i] = 0;
}

/* The buffer is complete: no flow feeds it any more; hand it over. */
static void finish(struct ev_recorder *r, uint16_t slot)
{
	struct ev_buffer *b = ev_pool_buffer(&r->pool, slot);
	uint32_t k;

	detach(r, b->flow, slot);
	detach(r, b->successor, slot);
	for (k = 0; k < r->npost; k++) {
		if (r->post[k] == slot) {
			r->post[k] = r->post[--r->npost];
			break;
		}
	}
	r->done(r->ctx, &r->pool, slot);
}

int ev_recorder_gap_open(struct ev_recorder *r, uint32_t i,
			 const struct flow_key *key, uint16_t queue,
			 uint64_t seq, int64_t wall_offset_us)
{
	struct ev_buffer *b;
	uint16_t slot;

	if (r->slot[i])
		finish(r, r->slot[i]);		/* the last gap's */
	slot = ev_pool_take(&r->pool);
	if (slot == 0)
		return 0;
	b = ev_pool_buffer(&r->pool, slot);
	b->key = *key;
	b->successor_port = 0;
	b->queue = queue;
	b->seq = seq;
	b->wall_offset_us = wall_offset_us;
	b->flow = i;
	b->successor = 0;
	b->post_until_us = 0;
	b->post_left = EVIDENCE_POST_PACKETS;
	b->count = 0;
	b->truncated = 0;
	ev_ring_copy(&r->rings, i, b);
	r->slot[i] = slot;
	return 1;
}

int ev_recorder_recording(const struct ev_recorder *r, uint32_t i)
{
	return ev_recorder_on(r) && r->slot[i] &&
	       ev_pool_buffer(&r->pool, r->slot[i])->flow == i;
}

/*
 * Keep recording a little longer (the retransmissions that follow, the
 * reconnect's handshake), or stop at once when nothing more can come.
 */
void ev_recorder_gap_close(struct ev_recorder *r, uint32_t i,
			   enum gap_outcome outcome, uint32_t successor,
			   uint16_t successor_port, uint64_t now_us)
{
	uint16_t slot = r->slot[i];
	struct ev_buffer *b;

	/* A buffer of its own: flow i may feed the post-roll of the gap it
	 * is the successor of, which this gap's end does not end. */
	if (!ev_recorder_recording(r, i))
		return;
	b = ev_pool_buffer(&r->pool, slot);
	if (outcome == OUTCOME_EXPIRED || outcome == OUTCOME_EVICTED ||
	    outcome == OUTCOME_OPEN_AT_EXIT) {
		finish(r, slot);
		return;
	}
	assert(r->npost < EVIDENCE_BUFFERS);
	b->post_until_us = now_us + EVIDENCE_POST_US;
	if (successor) {
		b->successor = successor;
		b->successor_port = successor_port;
		if (r->slot[successor] == 0)
			r->slot[successor] = slot;
	}
	r->post[r->npost++] = slot;
}

void ev_recorder_packet(struct ev_recorder *r, uint32_t i, int from_client,
			const struct packet *pkt, uint64_t now_us)
{
	struct ev_pkt p = {
		.mono_us = now_us,
		.seq = pkt->seq,
		.ack = pkt->ack,
		.payload_len = pkt->payload_len > UINT16_MAX ? UINT16_MAX :
				(uint16_t)pkt->payload_len,
		.window = pkt->window,
		.from_client = (uint8_t)from_client,
		.tcp_flags = pkt->tcp_flags,
		.ttl = pkt->ttl,
	};
	uint16_t slot = r->slot[i];
	struct ev_buffer *b;

	ev_ring_add(&r->rings, i, &p);
	if (slot == 0)
		return;
	b = ev_pool_buffer(&r->pool, slot);
	p.flow = i != b->flow;
	ev_buffer_append(b, &p);
	if (b->post_until_us && --b->post_left == 0)
		finish(r, slot);
}

void ev_recorder_flow_gone(struct ev_recorder *r, uint32_t i)
{
	if (r->slot[i])
		finish(r, r->slot[i]);
}

void ev_recorder_tick(struct ev_recorder *r, uint64_t now_us)
{
	uint32_t k = 0;

	while (k < r->npost) {
		uint16_t slot = r->post[k];

		if (ev_pool_buffer(&r->pool, slot)->post_until_us <= now_us)
			finish(r, slot);	/* moves post[] */
		else
			k++;
	}
}

uint64_t ev_recorder_next_due(const struct ev_recorder *r)
{
	uint64_t due = UINT64_MAX, t;
	uint32_t k;

	for (k = 0; k < r->npost; k++) {
		t = ev_pool_buffer(&r->pool, r->post[k])->post_until_us;
		if (t < due)
			due = t;
	}
	return due;
}

void ev_recorder_finish(struct ev_recorder *r)
{
	while (r->npost)
		finish(r, r->post[0]);
}
