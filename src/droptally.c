/*
 * droptally.c - the last drops the server's kernel made of game packets,
 * and the share of one gap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "droptally.h"

/* Distinct reasons counted per window before the rarest are merged. */
#define REASONS_SEEN	16

int droptally_init(struct droptally *t, uint64_t since_us)
{
	memset(t, 0, sizeof(*t));
	t->ev = calloc(DROPTALLY_KEPT, sizeof(*t->ev));
	if (t->ev == NULL) {
		errno = ENOMEM;
		return -1;
	}
	t->since_us = since_us;
	return 0;
}

void droptally_fini(struct droptally *t)
{
	free(t->ev);
	t->ev = NULL;
}

void droptally_add(struct droptally *t, const struct drop_event *e)
{
	if (t->count == DROPTALLY_KEPT)
		t->forgotten_us = t->ev[t->next].wall_us;
	else
		t->count++;
	t->ev[t->next] = *e;
	t->next = (t->next + 1) % DROPTALLY_KEPT;
}

void droptally_lost(struct droptally *t, uint64_t from_us, uint64_t to_us)
{
	if (t->lost_last_us == 0 || from_us < t->lost_first_us)
		t->lost_first_us = from_us;
	if (to_us > t->lost_last_us)
		t->lost_last_us = to_us;
}

/* The same client and server port, another client port: no flow yet. */
static int same_client(const struct flow_key *a, const struct flow_key *b)
{
	return a->proto == b->proto && a->server_port == b->server_port &&
	       !memcmp(&a->client, &b->client, sizeof(a->client)) &&
	       !memcmp(&a->server, &b->server, sizeof(a->server));
}

struct seen {
	uint32_t reason;
	uint32_t count;
	uint64_t location;		/* of the first */
};

/* Count e under its reason; beyond REASONS_SEEN distinct ones a reason
 * is counted in the total only. */
static void tally(struct seen *seen, unsigned int *n, const struct drop_event *e)
{
	unsigned int k;

	for (k = 0; k < *n; k++)
		if (seen[k].reason == e->reason)
			break;
	if (k == *n) {
		if (*n == REASONS_SEEN)
			return;
		(*n)++;
		seen[k].reason = e->reason;
	}
	seen[k].count++;
	/* Walked newest first: the last one met is the first drop. */
	seen[k].location = e->location;
}

static int by_count(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->reason < y->reason ? -1 : x->reason > y->reason;
}

void droptally_window(const struct droptally *t, struct gap_record *rec,
		      uint64_t locations[LOCAL_DROP_REASONS])
{
	struct local_drops *d = &rec->drops;
	uint64_t from = rec->start_us;
	uint64_t to = rec->is_open_event ? rec->detected_us :
					   rec->end_us + DROPTALLY_GRACE_US;
	struct seen seen[REASONS_SEEN];
	unsigned int n = 0, k;
	uint32_t i, idx;

	memset(d, 0, sizeof(*d));
	memset(seen, 0, sizeof(seen));
	d->since_us = t->since_us;
	d->watching = t->since_us <= from;
	d->complete = d->watching &&
		      !(t->lost_last_us && t->lost_first_us <= to &&
			t->lost_last_us >= from) &&
		      !(t->forgotten_us && t->forgotten_us >= from);
	for (i = 0; i < t->count; i++) {
		const struct drop_event *e;

		idx = (t->next + DROPTALLY_KEPT - 1 - i) % DROPTALLY_KEPT;
		e = &t->ev[idx];
		if (e->wall_us < from)
			break;
		if (e->wall_us > to)
			continue;
		if (!memcmp(&e->key, &rec->key, sizeof(e->key))) {
			d->count++;
			if (d->last_us == 0)
				d->last_us = e->wall_us;
			d->first_us = e->wall_us;
			tally(seen, &n, e);
		} else if (same_client(&e->key, &rec->key)) {
			d->other_ports++;
			/* SYN without ACK: a new connection's first. */
			d->other_syns += (e->tcp_flags & 0x12) == 0x02;
		}
	}
	qsort(seen, n, sizeof(seen[0]), by_count);
	d->nreasons = (uint8_t)(n < LOCAL_DROP_REASONS ? n : LOCAL_DROP_REASONS);
	for (k = 0; k < d->nreasons; k++) {
		d->by_reason[k].reason = seen[k].reason;
		d->by_reason[k].count = seen[k].count;
		locations[k] = seen[k].location;
	}
}
