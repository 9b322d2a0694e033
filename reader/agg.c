/*
 * agg.c - report files in, aggregates out: what the gaps that count add
 * up to.
 *
 * A gap leaves two records: "gap_open" when it is detected and "gap" when
 * it ends. A gap counts once: by its "gap" record when there is one, and
 * as open when its gap_open has no gap record anywhere in the input. That
 * must not depend on the order the files are given in (a shell glob puts
 * gaps.jsonl before gaps.jsonl.1), so the ids of closed gaps are kept as
 * 64-bit hashes, and the gap_opens still waiting for their end keep their
 * line until agg_finish(). With the files in time order that wait is
 * short: only gaps open at the same moment wait together.
 *
 * Memory per gap: a 40-byte point, 16 bytes of closed-id set, 16 of flow
 * set, and a client table entry per distinct client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "agg.h"
#include "gwtime.h"
#include "htab.h"
#include "lines.h"
#include "printable.h"

/* Bad lines named on stderr per file; the rest are only counted. */
#define WARN_PER_FILE		5
/* The stats counters summed over a window (struct agg_stats). */
#define STATS_VALUES		9

const int64_t agg_hist_edges_ms[AGG_HIST_BINS - 1] = {
	500, 1000, 2000, 3000, 5000, 10000, 20000, 30000, 60000, 120000, 300000,
};

/* The sets: entries of a hash alone. */
struct hash_entry {
	uint64_t h;
};

/* Clients (or prefixes): gaps and silent time per address. */
struct addr_entry {
	uint64_t h;
	struct in6_addr key;
	uint32_t gaps;
	uint32_t clients;
	int64_t silent_us;
};

/* A gap_open waiting for its gap record. */
struct pending {
	uint64_t h;			/* of its id */
	char *line;
	size_t len;
};

static int addr_match(const void *entry, const void *key)
{
	return memcmp(&((const struct addr_entry *)entry)->key, key, 16) == 0;
}

/* The entry of address k, added (gaps 0) on first sight; NULL on ENOMEM. */
static struct addr_entry *addr_get(struct htab *t, const struct in6_addr *k)
{
	uint64_t h = htab_hash(k, 16);
	struct addr_entry *e = htab_find(t, h, addr_match, k);

	if (e == NULL) {
		e = htab_insert(t, h);
		if (e != NULL)
			e->key = *k;
	}
	return e;
}

/* Adds h to a set: 1 if added, 0 if there already, -1 on ENOMEM. */
static int set_add(struct htab *t, uint64_t h)
{
	if (htab_find(t, h, NULL, NULL) != NULL)
		return 0;
	return htab_insert(t, h) != NULL ? 1 : -1;
}

struct hop_entry {
	uint64_t h;
	struct agg_hop hop;
};

/* The key of a hop with a client or a prefix, for the sets of pairs. */
static uint64_t pair_hash(uint64_t hop, const void *key, size_t len, int kind)
{
	unsigned char buf[8 + 16 + 1];

	memcpy(buf, &hop, 8);
	memcpy(buf + 8, key, len);
	buf[8 + len] = (unsigned char)kind;
	return htab_hash(buf, 8 + len + 1);
}

/* The longest gaps kept for the HTML table: a min-heap on duration. */
struct kept {
	int64_t dur_us;
	int64_t start_us;
	char *line;
};

struct agg {
	struct gw_filter f;
	unsigned int keep;
	agg_gap_fn on_gap;
	void *on_gap_ctx;
	int jansson;			/* parse with json_loadb (measuring) */
	agg_record_fn on_record;	/* NULL: none */
	void *on_record_ctx;
	struct agg_result r;
	size_t points_cap;
	int64_t *delays;		/* reconnect delays */
	size_t ndelays, delays_cap;
	struct htab closed;		/* ids of "gap" records */
	struct htab flows;
	struct htab clusters;
	struct htab hops;		/* struct hop_entry, by the hop's text */
	struct htab hop_pairs;		/* (hop, client) and (hop, prefix) seen */
	struct htab clients;		/* struct addr_entry */
	struct htab pending;		/* struct pending */
	struct kept *kept;
	size_t nkept;
	char **longest;			/* agg_finish: kept lines, longest first */
	/* the stats record segment being read (one daemon run) */
	int64_t seg_uptime;
	int64_t seg_before[STATS_VALUES], seg_last[STATS_VALUES];
	int seg_open;
	int finished;
	int oom;
	/* messages about the file being read */
	const char *file;
	unsigned int warned;
};

/* ---- aggregation ---- */

int64_t agg_percentile(const int64_t *v, size_t n, unsigned int p)
{
	size_t rank;

	if (n == 0)
		return 0;
	/* rank = ceil(p * n / 100), in integers, at least 1 */
	rank = (size_t)(((uint64_t)p * n + 99) / 100);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

struct agg *agg_new(const struct gw_filter *f, unsigned int keep,
		    agg_gap_fn on_gap, void *ctx)
{
	struct agg *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->f = *f;
	a->keep = keep;
	a->on_gap = on_gap;
	a->on_gap_ctx = ctx;
	/* The sets double as they fill; the waiting gap_opens come and go,
	 * their table keeps more room. */
	htab_init(&a->closed, sizeof(struct hash_entry), 1024, 2);
	htab_init(&a->flows, sizeof(struct hash_entry), 1024, 2);
	htab_init(&a->clusters, sizeof(struct hash_entry), 1024, 2);
	htab_init(&a->hops, sizeof(struct hop_entry), 64, 2);
	htab_init(&a->hop_pairs, sizeof(struct hash_entry), 1024, 2);
	htab_init(&a->clients, sizeof(struct addr_entry), 1024, 2);
	htab_init(&a->pending, sizeof(struct pending), 256, 4);
	a->jansson = getenv("GAPWATCH_PARSER") != NULL &&
		     strcmp(getenv("GAPWATCH_PARSER"), "jansson") == 0;
	a->r.first_us = a->r.last_us = GWT_NONE;
	a->r.data_first_us = a->r.data_last_us = GWT_NONE;
	a->r.big_cluster_first_us = GWT_NONE;
	if (a->keep) {
		a->kept = calloc(a->keep, sizeof(*a->kept));
		if (a->kept == NULL) {
			free(a);
			return NULL;
		}
	}
	a->seg_uptime = -1;
	/* Outcome 0 is "open", whether or not a gap stays open. */
	a->r.outcomes[AGG_OUTCOME_OPEN].name = strdup("open");
	a->r.noutcomes = 1;
	if (a->r.outcomes[AGG_OUTCOME_OPEN].name == NULL) {
		free(a->kept);
		free(a);
		return NULL;
	}
	return a;
}

void agg_set_record_hook(struct agg *a, agg_record_fn fn, void *ctx)
{
	a->on_record = fn;
	a->on_record_ctx = ctx;
}

void agg_free(struct agg *a)
{
	struct pending *p;
	size_t k;

	if (a == NULL)
		return;
	for (k = 0; k < a->r.ncauses; k++) {
		free(a->r.causes[k].name);
		free(a->r.causes[k].explanation);
		free(a->r.causes[k].next_step);
	}
	for (k = 0; k < a->r.noutcomes; k++)
		free(a->r.outcomes[k].name);
	for (k = 0; k < a->r.nhosts; k++)
		free(a->r.hosts[k].name);
	k = 0;
	while ((p = htab_next(&a->pending, &k)) != NULL)
		free(p->line);
	for (k = 0; k < a->nkept; k++)
		free(a->kept[k].line);
	htab_free(&a->pending);
	free(a->kept);
	free(a->longest);
	free(a->r.points);
	free(a->r.big_cluster_id);
	free(a->delays);
	htab_free(&a->closed);
	htab_free(&a->flows);
	htab_free(&a->clusters);
	htab_free(&a->hops);
	htab_free(&a->hop_pairs);
	htab_free(&a->clients);
	free(a);
}

static char *span_dup(const struct span *s)
{
	size_t n = (size_t)s->len + 1;
	char *p = malloc(n);

	return p ? printable_fix(span_copy(s, p, n)) : NULL;
}

/* The index of a cause or outcome name, added on first sight. */
static unsigned int intern(struct agg_name *names, unsigned int *n,
			   const struct span *s, const char *dflt, int *oom)
{
	char buf[64];
	const char *name;
	unsigned int k;
	int fixed = 0;

	if (s->p != NULL && s->len > 0 && s->len < sizeof(buf)) {
		name = span_copy(s, buf, sizeof(buf));
	} else {
		name = dflt;
	}
again:
	for (k = 0; k < *n; k++)
		if (strcmp(names[k].name, name) == 0)
			return k;
	/* Names are kept printable, made so when not found as they are:
	 * every gap comes here three times, and its names are seldom new. */
	if (name == buf && !fixed) {
		fixed = 1;
		printable_fix(buf);
		goto again;
	}
	if (*n == AGG_MAX_NAMES - 1) {
		/* The last slot collects every name past the others. */
		name = AGG_OTHER_NAME;
		for (k = 0; k < *n; k++)
			if (strcmp(names[k].name, name) == 0)
				return k;
	}
	if (*n == AGG_MAX_NAMES)
		return AGG_MAX_NAMES - 1;
	names[*n].name = strdup(name);
	if (names[*n].name == NULL) {
		*oom = 1;
		return 0;
	}
	return (*n)++;
}

/* A line kept past its reading, NUL-terminated; NULL on ENOMEM. */
static char *line_dup(const char *line, size_t len)
{
	char *copy = malloc(len + 1);

	if (copy != NULL) {
		memcpy(copy, line, len);
		copy[len] = '\0';
	}
	return copy;
}

static void kept_sift_down(struct kept *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct kept t;

		if (l < n && h[l].dur_us < h[m].dur_us)
			m = l;
		if (r < n && h[r].dur_us < h[m].dur_us)
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void keep_line(struct agg *a, int64_t dur, int64_t start,
		      const char *line, size_t len)
{
	char *copy;
	size_t i;

	if (a->nkept == a->keep && dur <= a->kept[0].dur_us)
		return;
	copy = line_dup(line, len);
	if (copy == NULL) {
		a->oom = 1;
		return;
	}
	if (a->nkept < a->keep) {
		/* sift up */
		i = a->nkept++;
		a->kept[i] = (struct kept){ dur, start, copy };
		while (i > 0 && a->kept[(i - 1) / 2].dur_us > a->kept[i].dur_us) {
			struct kept t = a->kept[i];

			a->kept[i] = a->kept[(i - 1) / 2];
			a->kept[(i - 1) / 2] = t;
			i = (i - 1) / 2;
		}
		return;
	}
	free(a->kept[0].line);
	a->kept[0] = (struct kept){ dur, start, copy };
	kept_sift_down(a->kept, a->nkept, 0);
}

/* Keeps a gap_open's line until its gap record comes (or agg_finish). */
static int pend_add(struct htab *t, uint64_t h, const char *line, size_t len)
{
	char *copy = line_dup(line, len);
	struct pending *p;

	if (copy == NULL)
		return -1;
	p = htab_insert(t, h);
	if (p == NULL) {
		free(copy);
		return -1;
	}
	p->line = copy;
	p->len = len;
	return 0;
}

static void seen_time(struct agg *a, int64_t t)
{
	if (t == GWT_NONE)
		return;
	if (a->r.data_first_us == GWT_NONE || t < a->r.data_first_us)
		a->r.data_first_us = t;
	if (a->r.data_last_us == GWT_NONE || t > a->r.data_last_us)
		a->r.data_last_us = t;
}

/* a + b for durations (never negative), stopping at INT64_MAX: a file
 * may say any duration, and a signed overflow is undefined. */
static int64_t sum_us(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* A gap's point, its cause and outcome not yet named; 1 when the filter
 * lets it through, else 0. */
static int gap_point(const struct agg *a, const struct gw_rec *r, int open,
		     struct gap_point *out)
{
	struct gap_point pt;
	struct filter_gap fg;

	memset(&pt, 0, sizeof(pt));
	pt.start_us = r->start_us;
	if (r->has & REC_HAS_DURATION)
		pt.dur_us = r->duration_us;
	else if (r->has & REC_HAS_END)
		pt.dur_us = r->end_us - r->start_us;
	if (pt.dur_us < 0)
		pt.dur_us = 0;
	pt.open = (uint8_t)open;
	/* An endpoint that does not parse counts as "::", port 0. */
	if (rec_endpoint(&r->client, &pt.client, &(uint16_t){ 0 }) < 0)
		memset(&pt.client, 0, sizeof(pt.client));
	if (rec_endpoint(&r->server, &(struct in6_addr){ { { 0 } } },
			  &pt.server_port) < 0)
		pt.server_port = 0;
	fg = (struct filter_gap){ pt.start_us, pt.dur_us, &r->cause,
				  pt.server_port, &pt.client, &r->host };
	*out = pt;
	return filter_match(&a->f, &fg);
}

/* One gap that counts (closed, or open for good): filter and add. */
static void add_gap(struct agg *a, const struct gw_rec *r, int open,
		    const char *line, size_t len)
{
	struct gap_point pt;
	struct addr_entry *ke;
	unsigned int c;
	uint64_t fh;

	if (!gap_point(a, r, open, &pt)) {
		a->r.filtered++;
		return;
	}
	c = intern(a->r.causes, &a->r.ncauses, &r->cause, "unknown", &a->oom);
	pt.cause = (uint8_t)c;
	if (a->r.causes[c].explanation == NULL && r->explanation.p != NULL) {
		a->r.causes[c].explanation = span_dup(&r->explanation);
		a->r.causes[c].next_step = span_dup(&r->next_step);
	}
	a->r.causes[c].gaps++;
	if (open) {
		a->r.causes[c].open++;
		pt.outcome = AGG_OUTCOME_OPEN;
	} else {
		pt.outcome = (uint8_t)intern(a->r.outcomes, &a->r.noutcomes,
					     &r->outcome, "none", &a->oom);
	}
	a->r.outcomes[pt.outcome].gaps++;
	/* Records of before schema 1 have no host: one of their own. */
	pt.host = (uint8_t)intern(a->r.hosts, &a->r.nhosts, &r->host, "-",
				  &a->oom);
	a->r.hosts[pt.host].gaps++;
	if (open)
		a->r.hosts[pt.host].open++;

	if (a->r.npoints == a->points_cap) {
		size_t ncap = a->points_cap ? a->points_cap * 2 : 4096;
		struct gap_point *np = realloc(a->r.points, ncap * sizeof(*np));

		if (np == NULL) {
			a->oom = 1;
			return;
		}
		a->r.points = np;
		a->points_cap = ncap;
	}
	a->r.points[a->r.npoints++] = pt;
	a->r.gaps++;
	if (open)
		a->r.open++;
	else
		a->r.closed++;

	ke = addr_get(&a->clients, &pt.client);
	if (ke == NULL) {
		a->oom = 1;
	} else {
		ke->gaps++;
		ke->silent_us = sum_us(ke->silent_us, pt.dur_us);
	}
	fh = htab_hash(r->client.p, r->client.len) ^
	     htab_hash(r->server.p, r->server.len) * 31 ^
	     htab_hash(r->proto.p, r->proto.len) * 7;
	if (set_add(&a->flows, fh > HTAB_DELETED ? fh : fh + 2) < 0)
		a->oom = 1;

	if (!open && (r->has & REC_HAS_RECONNECT)) {
		if (SPAN_IS(&r->reconnect_confidence, "full"))
			a->r.reconnect_full++;
		else if (SPAN_IS(&r->reconnect_confidence, "high"))
			a->r.reconnect_high++;
		else if (SPAN_IS(&r->reconnect_confidence, "low"))
			a->r.reconnect_low++;
		if (a->ndelays == a->delays_cap) {
			size_t ncap = a->delays_cap ? a->delays_cap * 2 : 1024;
			int64_t *nd = realloc(a->delays, ncap * sizeof(*nd));

			if (nd == NULL) {
				a->oom = 1;
				return;
			}
			a->delays = nd;
			a->delays_cap = ncap;
		}
		a->delays[a->ndelays++] = r->reconnect_delay_us;
	}
	if (r->has & REC_HAS_PCAP)
		a->r.with_pcap++;
	if (r->has & REC_HAS_CONNTRACK)
		a->r.with_conntrack++;
	if (r->has & REC_HAS_PROBE)
		a->r.with_probe++;
	if (r->lost_packets)
		a->r.lost_packets++;
	if (!open && (r->has & REC_HAS_LOCAL_DROPS)) {
		a->r.watched++;
		if (r->drops_count > 0)
			a->r.server_dropped++;
		else if (r->drops_complete)
			a->r.exonerated++;
	}
	if ((r->has & REC_HAS_CLUSTER) && r->cluster_id.p != NULL) {
		if (set_add(&a->clusters,
			    htab_hash(r->cluster_id.p, r->cluster_id.len)) < 0)
			a->oom = 1;
		if (r->cluster_size > a->r.big_cluster_size) {
			free(a->r.big_cluster_id);
			a->r.big_cluster_id = span_dup(&r->cluster_id);
			a->r.big_cluster_size = r->cluster_size;
			a->r.big_cluster_first_us = r->cluster_first_us ?
						    r->cluster_first_us : GWT_NONE;
		}
	}
	if (a->keep)
		keep_line(a, pt.dur_us, pt.start_us, line, len);
	if (a->on_gap != NULL)
		a->on_gap(a->on_gap_ctx, r, open);
}

/* ---- probe records: where the ladders stop ---- */

static void add_probe(struct agg *a, const struct gw_rec *r)
{
	struct in6_addr client;
	struct gw_prefix pfx;
	struct hop_entry *e;
	uint64_t h;
	char addr[48];

	if (rec_probe_stop(r, &client, addr, sizeof(addr)) < 0)
		return;
	a->r.ladders++;
	h = htab_hash(addr, strlen(addr));
	e = htab_find(&a->hops, h, NULL, NULL);
	if (e == NULL) {
		if ((e = htab_insert(&a->hops, h)) == NULL) {
			a->oom = 1;
			return;
		}
		snprintf(e->hop.addr, sizeof(e->hop.addr), "%s", addr);
		a->r.hops_seen++;
	}
	e->hop.ladders++;
	if (r->control_reached)
		e->hop.state_lost++;
	else
		e->hop.path_down++;
	e->hop.players += set_add(&a->hop_pairs,
				  pair_hash(h, &client, sizeof(client), 0)) == 1;
	prefix_group(&client, &pfx);
	e->hop.prefixes += set_add(&a->hop_pairs,
				   pair_hash(h, &pfx.addr, sizeof(pfx.addr), 1)) == 1;
}

/* The hops with the most ladders, into the result. */
static void finish_hops(struct agg *a)
{
	const struct hop_entry *e;
	size_t pos = 0;
	unsigned int k, j;

	while ((e = htab_next(&a->hops, &pos)) != NULL) {
		for (k = 0; k < a->r.nhops; k++)
			if (e->hop.ladders > a->r.hops[k].ladders ||
			    (e->hop.ladders == a->r.hops[k].ladders &&
			     strcmp(e->hop.addr, a->r.hops[k].addr) < 0))
				break;
		if (k == AGG_TOP)
			continue;
		if (a->r.nhops < AGG_TOP)
			a->r.nhops++;
		for (j = a->r.nhops - 1; j > k; j--)
			a->r.hops[j] = a->r.hops[j - 1];
		a->r.hops[k] = e->hop;
	}
}

/* ---- stats records: counters since the daemon started ---- */

static void stats_values(const struct gw_rec *r, int64_t v[STATS_VALUES])
{
	v[0] = r->flows_created;
	v[1] = r->queue_dropped;
	v[2] = r->user_dropped;
	v[3] = r->enobufs;
	v[4] = r->report_dropped;
	v[5] = r->unseen;
	v[6] = r->id_holes;
	v[7] = r->blind_intervals;
	v[8] = r->blind_missed;
}

static void stats_close_segment(struct agg *a)
{
	int64_t *t[STATS_VALUES] = {
		&a->r.stats.flows_created, &a->r.stats.queue_dropped,
		&a->r.stats.user_dropped, &a->r.stats.enobufs,
		&a->r.stats.report_dropped, &a->r.stats.unseen,
		&a->r.stats.id_holes, &a->r.stats.blind_intervals,
		&a->r.stats.blind_missed,
	};
	int k;

	if (!a->seg_open)
		return;
	for (k = 0; k < STATS_VALUES; k++)
		if (a->seg_last[k] > a->seg_before[k])
			*t[k] += a->seg_last[k] - a->seg_before[k];
	a->seg_open = 0;
}

/*
 * A run's counters grow until the daemon restarts (its uptime goes back):
 * each run adds what grew inside the window, its last value in the window
 * less its last value before it.
 */
static void add_stats(struct agg *a, const struct gw_rec *r)
{
	int64_t v[STATS_VALUES];

	a->r.lines.stats++;
	if (!(r->has & REC_HAS_TIME))
		return;
	seen_time(a, r->time_us);
	if (a->f.until_us != GWT_NONE && r->time_us > a->f.until_us)
		return;
	stats_values(r, v);
	if (!a->seg_open || ((r->has & REC_HAS_UPTIME) && r->uptime_s < a->seg_uptime)) {
		stats_close_segment(a);
		memset(a->seg_before, 0, sizeof(a->seg_before));
		memset(a->seg_last, 0, sizeof(a->seg_last));
		a->seg_open = 1;
	}
	a->seg_uptime = (r->has & REC_HAS_UPTIME) ? r->uptime_s : a->seg_uptime;
	if (a->f.since_us != GWT_NONE && r->time_us < a->f.since_us) {
		memcpy(a->seg_before, v, sizeof(v));
		memcpy(a->seg_last, v, sizeof(v));
		return;
	}
	a->r.stats.records++;
	memcpy(a->seg_last, v, sizeof(v));
}

/* ---- lines ---- */

static void warn_line(struct agg *a, const char *where, const char *what)
{
	if (where == NULL)
		return;
	a->warned++;
	if (a->warned <= WARN_PER_FILE)
		fprintf(stderr, "gapwatch: %s: %s: skipped\n", where, what);
}

void agg_line(struct agg *a, const char *line, size_t len, int last,
	      const char *where)
{
	struct gw_rec r;
	enum rec_result res;
	struct pending *p;
	void *keep = NULL;
	uint64_t h;
	size_t k;

	a->r.lines.lines++;
	for (k = 0; k < len; k++)
		if (line[k] != ' ' && line[k] != '\t' && line[k] != '\r')
			break;
	if (k == len) {
		a->r.lines.blank++;
		return;
	}
	if (a->jansson)
		res = rec_scan_jansson(line, len, &r, &keep);
	else
		res = rec_scan(line, len, &r);
	if (res != REC_OK) {
		if (last) {
			a->r.lines.truncated++;
			warn_line(a, where, "incomplete last line (still being written?)");
		} else if (res == REC_NOT_JSON) {
			a->r.lines.not_json++;
			warn_line(a, where, "not JSON");
		} else {
			a->r.lines.not_object++;
			warn_line(a, where, "JSON but not an object");
		}
		goto out;
	}
	switch (r.type) {
	case REC_STATS:
		add_stats(a, &r);
		goto out;
	case REC_PROBE:
		a->r.lines.probe++;
		add_probe(a, &r);
		if (a->on_record != NULL)
			a->on_record(a->on_record_ctx, &r, line, len);
		goto out;
	case REC_EXPOSURE:
		a->r.lines.exposure++;
		if (a->on_record != NULL)
			a->on_record(a->on_record_ctx, &r, line, len);
		goto out;
	case REC_OTHER:
		/* Records of a type we do not know: a newer daemon's. */
		a->r.lines.other++;
		goto out;
	case REC_GAP:
	case REC_GAP_OPEN:
		break;
	}
	if (!(r.has & REC_HAS_ID) || r.id.len == 0 || !(r.has & REC_HAS_START) ||
	    !(r.has & (REC_HAS_DURATION | REC_HAS_END))) {
		a->r.lines.bad_record++;
		warn_line(a, where, !(r.has & REC_HAS_ID) || r.id.len == 0 ?
			  "gap record without an id" : !(r.has & REC_HAS_START) ?
			  "gap record without a valid start" :
			  "gap record without duration_ms or end");
		goto out;
	}
	seen_time(a, r.start_us);
	seen_time(a, (r.has & REC_HAS_END) ? r.end_us : GWT_NONE);
	seen_time(a, (r.has & REC_HAS_DETECTED) ? r.detected_us : GWT_NONE);
	h = htab_hash(r.id.p, r.id.len);
	if (r.type == REC_GAP_OPEN) {
		a->r.lines.gap_open++;
		/* Its gap was seen already (files given newest first), or
		 * the same gap_open twice (a file given twice). */
		if (htab_find(&a->closed, h, NULL, NULL) ||
		    htab_find(&a->pending, h, NULL, NULL))
			goto out;
		if (pend_add(&a->pending, h, line, len) < 0)
			a->oom = 1;
		else if (a->on_record != NULL &&
			 gap_point(a, &r, 1, &(struct gap_point){ 0 }))
			a->on_record(a->on_record_ctx, &r, line, len);
		goto out;
	}
	a->r.lines.gap++;
	if (a->on_record != NULL)
		a->on_record(a->on_record_ctx, &r, line, len);
	switch (set_add(&a->closed, h)) {
	case 0:
		a->r.lines.duplicate++;
		goto out;
	case -1:
		a->oom = 1;
		break;
	}
	p = htab_find(&a->pending, h, NULL, NULL);
	if (p != NULL) {
		free(p->line);
		htab_delete(&a->pending, p);
	}
	add_gap(a, &r, 0, line, len);
out:
	rec_release(keep);
}

static void agg_file_line(void *ctx, const char *line, size_t len,
			  unsigned int flags, uint64_t lineno)
{
	struct agg *a = ctx;
	char where[4096];

	snprintf(where, sizeof(where), "%s:%llu", a->file,
		 (unsigned long long)lineno);
	if (flags & LINE_TOO_LONG) {
		a->r.lines.lines++;
		a->r.lines.too_long++;
		warn_line(a, where, "line longer than 4 MiB");
		return;
	}
	agg_line(a, line, len, (flags & LINE_LAST) != 0, where);
}

int agg_file(struct agg *a, const char *path, char *err, size_t errlen)
{
	uint64_t lines0 = a->r.lines.lines;
	int rc;

	a->file = path;
	a->warned = 0;
	a->r.files++;
	rc = lines_read(path, agg_file_line, a, err, errlen);
	if (a->warned > WARN_PER_FILE)
		fprintf(stderr, "gapwatch: %s: %u more bad lines skipped\n", path,
			a->warned - WARN_PER_FILE);
	if (rc == 0 && a->r.lines.lines == lines0)
		fprintf(stderr, "gapwatch: %s: empty file\n", path);
	if (a->oom && rc == 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		rc = -1;
	}
	if (rc < 0)
		a->r.files_failed++;
	return rc;
}

const struct agg_lines *agg_counts(const struct agg *a)
{
	return &a->r.lines;
}

/* ---- the end ---- */

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

static int cmp_point_start(const void *x, const void *y)
{
	const struct gap_point *a = x, *b = y;

	return (a->start_us > b->start_us) - (a->start_us < b->start_us);
}

static int cmp_kept_desc(const void *x, const void *y)
{
	const struct kept *a = x, *b = y;

	if (a->dur_us != b->dur_us)
		return (a->dur_us < b->dur_us) - (a->dur_us > b->dur_us);
	return (a->start_us > b->start_us) - (a->start_us < b->start_us);
}

/* More gaps first, then more silent time, then the lower address. */
static int top_before(const struct agg_top *a, const struct agg_top *b)
{
	int c;

	if (a->gaps != b->gaps)
		return a->gaps > b->gaps;
	if (a->silent_us != b->silent_us)
		return a->silent_us > b->silent_us;
	c = memcmp(&a->key.addr, &b->key.addr, 16);
	return c < 0;
}

static void top_offer(struct agg_top *top, unsigned int *n, const struct agg_top *e)
{
	unsigned int i;

	if (*n == AGG_TOP && !top_before(e, &top[AGG_TOP - 1]))
		return;
	i = *n < AGG_TOP ? (*n)++ : AGG_TOP - 1;
	while (i > 0 && top_before(e, &top[i - 1])) {
		top[i] = top[i - 1];
		i--;
	}
	top[i] = *e;
}

/* Sort names by gaps (desc; "open" stays first among outcomes) and
 * renumber the points. */
static void sort_names(struct agg_name *names, unsigned int n, unsigned int fixed,
		       uint8_t map[AGG_MAX_NAMES])
{
	unsigned int order[AGG_MAX_NAMES], i, j, t;
	struct agg_name tmp[AGG_MAX_NAMES];

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = fixed; i < n; i++)
		for (j = i; j > fixed; j--) {
			const struct agg_name *x = &names[order[j]];
			const struct agg_name *y = &names[order[j - 1]];

			if (x->gaps > y->gaps ||
			    (x->gaps == y->gaps && strcmp(x->name, y->name) < 0)) {
				t = order[j];
				order[j] = order[j - 1];
				order[j - 1] = t;
			} else {
				break;
			}
		}
	for (i = 0; i < n; i++) {
		tmp[i] = names[order[i]];
		map[order[i]] = (uint8_t)i;
	}
	memcpy(names, tmp, n * sizeof(*names));
}

static void finish_pending(struct agg *a)
{
	struct pending *p;
	struct gw_rec r;
	void *keep = NULL;
	size_t k = 0;

	while ((p = htab_next(&a->pending, &k)) != NULL) {
		if (htab_find(&a->closed, p->h, NULL, NULL))
			continue;
		if ((a->jansson ? rec_scan_jansson(p->line, p->len, &r, &keep) :
		     rec_scan(p->line, p->len, &r)) == REC_OK)
			add_gap(a, &r, 1, p->line, p->len);
		rec_release(keep);
		keep = NULL;
	}
}

static void finish_durations(struct agg *a)
{
	struct agg_result *r = &a->r;
	uint64_t *keyed;
	int64_t *all;
	size_t k, n = 0, i, j;

	keyed = malloc((r->closed ? r->closed : 1) * sizeof(*keyed));
	all = malloc((r->closed ? r->closed : 1) * sizeof(*all));
	if (keyed == NULL || all == NULL) {
		a->oom = 1;
		goto out;
	}
	/* One sort serves every cause: the cause in the top byte. */
	for (k = 0; k < r->npoints; k++) {
		const struct gap_point *p = &r->points[k];
		uint64_t d = (uint64_t)p->dur_us;

		if (p->open)
			continue;
		if (d >= (1ULL << 56))
			d = (1ULL << 56) - 1;
		keyed[n] = (uint64_t)p->cause << 56 | d;
		all[n++] = (int64_t)d;
	}
	if (n) {
		qsort(keyed, n, sizeof(*keyed), cmp_u64);
		qsort(all, n, sizeof(*all), cmp_i64);
	}
	r->median_us = agg_percentile(all, n, 50);
	r->p95_us = agg_percentile(all, n, 95);
	r->max_us = n ? all[n - 1] : 0;
	for (i = 0; i < n; i = j) {
		unsigned int c = (unsigned int)(keyed[i] >> 56);
		size_t m;

		for (j = i; j < n && (keyed[j] >> 56) == c; j++)
			all[j - i] = (int64_t)(keyed[j] & ((1ULL << 56) - 1));
		m = j - i;
		r->causes[c].median_us = agg_percentile(all, m, 50);
		r->causes[c].p95_us = agg_percentile(all, m, 95);
		r->causes[c].max_us = all[m - 1];
	}
	if (a->ndelays)
		qsort(a->delays, a->ndelays, sizeof(*a->delays), cmp_i64);
	r->reconnects = a->ndelays;
	r->reconnect_median_us = agg_percentile(a->delays, a->ndelays, 50);
	r->reconnect_p95_us = agg_percentile(a->delays, a->ndelays, 95);
out:
	free(keyed);
	free(all);
}

static void finish_tops(struct agg *a)
{
	struct agg_result *r = &a->r;
	struct htab pfx;
	struct addr_entry *ke, *pe;
	struct agg_top e;
	struct gw_prefix g;
	uint64_t (*cc)[AGG_MAX_NAMES];
	unsigned int t, c;
	size_t k = 0;

	htab_init(&pfx, sizeof(struct addr_entry), 1024, 2);
	while ((ke = htab_next(&a->clients, &k)) != NULL) {
		memset(&e, 0, sizeof(e));
		e.key.addr = ke->key;
		e.key.len = 128;
		e.gaps = ke->gaps;
		e.clients = 1;
		e.silent_us = ke->silent_us;
		top_offer(r->top_clients, &r->ntop_clients, &e);
		prefix_group(&ke->key, &g);
		pe = addr_get(&pfx, &g.addr);
		if (pe == NULL) {
			a->oom = 1;
			break;
		}
		pe->gaps += ke->gaps;
		pe->clients++;
		pe->silent_us = sum_us(pe->silent_us, ke->silent_us);
	}
	k = 0;
	while ((pe = htab_next(&pfx, &k)) != NULL) {
		memset(&e, 0, sizeof(e));
		prefix_group(&pe->key, &e.key);	/* pe->key is one already */
		e.gaps = pe->gaps;
		e.clients = pe->clients;
		e.silent_us = pe->silent_us;
		top_offer(r->top_prefixes, &r->ntop_prefixes, &e);
	}
	htab_free(&pfx);
	r->clients = a->clients.live;

	/* The commonest cause and the latest gap of each top entry. */
	cc = calloc(2 * AGG_TOP, sizeof(*cc));
	if (cc == NULL) {
		a->oom = 1;
		return;
	}
	for (t = 0; t < r->ntop_clients; t++)
		r->top_clients[t].last_us = GWT_NONE;
	for (t = 0; t < r->ntop_prefixes; t++)
		r->top_prefixes[t].last_us = GWT_NONE;
	for (k = 0; k < r->npoints; k++) {
		const struct gap_point *p = &r->points[k];

		for (t = 0; t < r->ntop_clients; t++) {
			struct agg_top *x = &r->top_clients[t];

			if (memcmp(&x->key.addr, &p->client, 16) != 0)
				continue;
			cc[t][p->cause]++;
			if (p->start_us > x->last_us)
				x->last_us = p->start_us;
		}
		for (t = 0; t < r->ntop_prefixes; t++) {
			struct agg_top *x = &r->top_prefixes[t];

			if (!prefix_match(&x->key, &p->client))
				continue;
			cc[AGG_TOP + t][p->cause]++;
			if (p->start_us > x->last_us)
				x->last_us = p->start_us;
		}
	}
	for (t = 0; t < 2 * AGG_TOP; t++) {
		struct agg_top *x = t < AGG_TOP ? &r->top_clients[t] :
				    &r->top_prefixes[t - AGG_TOP];

		for (c = 0; c < r->ncauses; c++)
			if (cc[t][c] > x->cause_gaps) {
				x->cause_gaps = cc[t][c];
				x->cause = (uint8_t)c;
			}
	}
	free(cc);
}

static void finish_minutes(struct agg *a)
{
	struct agg_result *r = &a->r;
	struct agg_minute m;
	size_t k, j;
	unsigned int i;

	for (k = 0; k < r->npoints; k = j) {
		int64_t s = r->points[k].start_us;

		m.minute_us = (s >= 0 ? s / 60000000 : (s - 59999999) / 60000000) *
			      60000000;
		for (j = k; j < r->npoints && r->points[j].start_us < m.minute_us + 60000000; j++)
			;
		m.gaps = j - k;
		if (r->nbusiest == AGG_BUSIEST && m.gaps <= r->busiest[AGG_BUSIEST - 1].gaps)
			continue;
		i = r->nbusiest < AGG_BUSIEST ? r->nbusiest++ : AGG_BUSIEST - 1;
		while (i > 0 && m.gaps > r->busiest[i - 1].gaps) {
			r->busiest[i] = r->busiest[i - 1];
			i--;
		}
		r->busiest[i] = m;
	}
}

/* Gaps that began within this of the first of a group are one event. */
#define HOST_EVENT_US	1000000

/*
 * Over the points (sorted by start): groups of gaps that began within a
 * second of the group's first; a group on two hosts or more is an event
 * upstream of them all (a carrier, an exchange), not one server's.
 */
static void finish_host_events(struct agg_result *r)
{
	size_t i = 0, j;

	while (i < r->npoints) {
		uint32_t hosts = 0;
		unsigned int n;

		for (j = i; j < r->npoints &&
		     r->points[j].start_us - r->points[i].start_us <= HOST_EVENT_US; j++)
			hosts |= 1U << r->points[j].host;
		n = (unsigned int)__builtin_popcount(hosts);
		if (n >= 2) {
			r->host_events++;
			r->host_event_gaps += j - i;
			if (j - i > r->big_event_gaps) {
				r->big_event_gaps = j - i;
				r->big_event_hosts = n;
				r->big_event_us = r->points[i].start_us;
			}
		}
		i = j;
	}
}

const struct agg_result *agg_finish(struct agg *a, int64_t now_us)
{
	struct agg_result *r = &a->r;
	uint8_t cmap[AGG_MAX_NAMES], omap[AGG_MAX_NAMES], hmap[AGG_MAX_NAMES];
	int64_t span;
	size_t k;
	unsigned int b;

	if (a->finished)
		return r;
	a->finished = 1;
	stats_close_segment(a);
	finish_pending(a);
	r->flows = a->flows.live;
	r->clusters = a->clusters.live;

	sort_names(r->causes, r->ncauses, 0, cmap);
	sort_names(r->outcomes, r->noutcomes, 1, omap);
	sort_names(r->hosts, r->nhosts, 0, hmap);
	for (k = 0; k < r->npoints; k++) {
		r->points[k].cause = cmap[r->points[k].cause];
		r->points[k].outcome = omap[r->points[k].outcome];
		r->points[k].host = hmap[r->points[k].host];
	}
	if (r->npoints)
		qsort(r->points, r->npoints, sizeof(*r->points), cmp_point_start);
	finish_host_events(r);
	finish_durations(a);
	for (k = 0; k < r->npoints; k++) {
		int64_t ms = r->points[k].dur_us / 1000;

		for (b = 0; b < AGG_HIST_BINS - 1; b++)
			if (ms < agg_hist_edges_ms[b])
				break;
		r->hist[b]++;
	}
	finish_tops(a);
	finish_minutes(a);
	finish_hops(a);

	/* The window: what was asked for, else what the data covers. */
	r->first_us = a->f.since_us != GWT_NONE ? a->f.since_us :
		      r->npoints ? r->points[0].start_us : r->data_first_us;
	if (a->f.until_us != GWT_NONE)
		r->last_us = a->f.until_us;
	else if (a->f.since_us != GWT_NONE)
		/* "since 1h": until now, or the data's end if it is later
		 * (a --now in the past, a clock that was ahead) */
		r->last_us = r->data_last_us != GWT_NONE && r->data_last_us > now_us ?
			     r->data_last_us : now_us;
	else
		r->last_us = r->data_last_us;
	span = r->first_us != GWT_NONE && r->last_us != GWT_NONE ?
	       r->last_us - r->first_us : 0;
	/* A rate over less than a minute would say little: at least one. */
	r->per_minute = (double)r->gaps / ((span > 60000000 ? (double)span : 6e7) / 6e7);

	if (a->keep) {
		if (a->nkept)
			qsort(a->kept, a->nkept, sizeof(*a->kept), cmp_kept_desc);
		a->longest = calloc(a->nkept ? a->nkept : 1, sizeof(*a->longest));
		if (a->longest == NULL)
			a->oom = 1;
		else
			for (k = 0; k < a->nkept; k++)
				a->longest[k] = a->kept[k].line;
	}
	return r;
}

char *const *agg_longest(const struct agg *a, size_t *n)
{
	*n = a->longest ? a->nkept : 0;
	return a->longest;
}
