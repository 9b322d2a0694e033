/*
 * where.c - gaps, players and rates by prefix, carrier, country and hop,
 * and the outliers among them (where.h states the test).
 *
 * Everything is keyed by the client prefix (/24, /48): the exposure
 * records count players per prefix, a carrier or country is looked up
 * once per prefix, and a prefix belongs to the hop most of its ladders
 * stopped at.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "agg.h"
#include "gapwatch.h"
#include "filter.h"
#include "geo.h"
#include "gwtime.h"
#include "htab.h"
#include "prefix.h"
#include "rec.h"
#include "schema.h"
#include "where.h"

#define HOP_NAME_LEN	48
/* More flow time than an interval of a day can hold for 2^26 flows (the
 * daemon's --max-flows): a value beyond is no daemon's, and is skipped. */
#define WHERE_SECONDS_MAX	(86400.0 * 67108864.0)

struct pfx_entry {
	uint64_t h;
	struct in6_addr key;		/* the group's masked address */
	double flow_s;
	uint64_t flows;
	uint64_t gaps;
	uint32_t hop1;			/* its hop's index + 1; 0: none */
	uint64_t hop_ladders;		/* its ladders that stopped there */
	uint32_t asn;			/* --mmdb's carrier, once asn_known */
	int asn_known;
	uint64_t cc;			/* its country's group key; 0 unknown */
};

/* Ladders of one prefix that stopped at one hop. */
struct pair_entry {
	uint64_t h;
	struct in6_addr key;
	uint32_t hop;			/* index into hops */
	uint64_t ladders, state_lost;
};

struct hopname_entry {
	uint64_t h;
	uint32_t idx;
};

/* One group while it is summed up. */
struct grp_entry {
	uint64_t h;
	uint64_t key;
	struct where_row row;
	/* The outlying carrier with the most of its gaps (explain()). */
	uint64_t by_key, by_gaps;
};

struct where {
	struct geo *geo;
	const struct gw_filter *f;
	struct htab pfx;		/* struct pfx_entry */
	struct htab pairs;		/* struct pair_entry */
	struct htab hopnames;		/* struct hopname_entry */
	char (*hops)[HOP_NAME_LEN];
	uint32_t nhops, caphops;
	double other_s;			/* exposure of unlisted prefixes */
	uint64_t other_flows;
	int oom;
	struct where_result res;
};

const char *where_kind_name(enum where_kind k)
{
	static const char *const names[WHERE_KINDS] = {
		[WHERE_PREFIX] = "prefix", [WHERE_ASN] = "asn",
		[WHERE_COUNTRY] = "country", [WHERE_HOP] = "hop",
	};

	return names[k];
}

struct where *where_new(struct geo *geo, const struct gw_filter *f)
{
	struct where *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->geo = geo;
	w->f = f;
	htab_init(&w->pfx, sizeof(struct pfx_entry), 1024, 2);
	htab_init(&w->pairs, sizeof(struct pair_entry), 256, 2);
	htab_init(&w->hopnames, sizeof(struct hopname_entry), 64, 2);
	return w;
}

void where_free(struct where *w)
{
	if (w == NULL)
		return;
	htab_free(&w->pfx);
	htab_free(&w->pairs);
	htab_free(&w->hopnames);
	free(w->hops);
	free(w);
}

static int pfx_match(const void *entry, const void *key)
{
	return memcmp(&((const struct pfx_entry *)entry)->key, key, 16) == 0;
}

static struct pfx_entry *pfx_get(struct where *w, const struct in6_addr *k)
{
	uint64_t h = htab_hash(k, 16);
	struct pfx_entry *e = htab_find(&w->pfx, h, pfx_match, k);

	if (e == NULL) {
		e = htab_insert(&w->pfx, h);
		if (e == NULL)
			w->oom = 1;
		else
			e->key = *k;
	}
	return e;
}

/* Does the filter take this record's host and this prefix? */
static int selected(const struct where *w, const char *host,
		    const struct gw_prefix *p)
{
	struct span h = { host, host ? (uint32_t)strlen(host) : 0, 0 };

	return filter_match_host(w->f, host ? &h : NULL) &&
	       filter_match_client(w->f, &p->addr);
}

static int json_time_us(json_t *v, int64_t *us)
{
	const char *s = json_string_value(v);

	return s ? gwt_parse_rfc3339(s, strlen(s), us) : -1;
}

/* The share of [start, end) inside the report's window: an interval that
 * straddles --since counts for its part, as its players were spread over
 * it. */
static double window_share(const struct where *w, int64_t start, int64_t end)
{
	int64_t lo = start, hi = end;

	if (w->f->since_us != GWT_NONE && w->f->since_us > lo)
		lo = w->f->since_us;
	if (w->f->until_us != GWT_NONE && w->f->until_us < hi)
		hi = w->f->until_us;
	if (end <= start)
		return lo <= start && start < (w->f->until_us == GWT_NONE ?
					       INT64_MAX : w->f->until_us);
	return hi > lo ? (double)(hi - lo) / (double)(end - start) : 0.0;
}

void where_exposure(struct where *w, const char *line, size_t len)
{
	json_t *o, *list, *e, *other;
	struct gw_prefix p;
	struct pfx_entry *pe;
	int64_t start, end;
	double share, s;
	size_t k;

	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	list = o ? json_object_get(o, FIELD_EXPOSURE_BY_PREFIX) : NULL;
	if (!json_is_array(list) ||
	    json_time_us(json_object_get(o, FIELD_START), &start) < 0 ||
	    json_time_us(json_object_get(o, FIELD_END), &end) < 0 || end < start) {
		w->res.exposure_bad++;
		json_decref(o);
		return;
	}
	share = window_share(w, start, end);
	w->res.exposure_records++;
	w->res.have_exposure = 1;
	json_array_foreach(list, k, e) {
		const char *name = json_string_value(json_array_get(e, 0));
		json_t *flows = json_array_get(e, 1), *secs = json_array_get(e, 2);

		if (name == NULL || !json_is_integer(flows) || !json_is_number(secs) ||
		    json_integer_value(flows) < 0 || json_number_value(secs) < 0 ||
		    json_number_value(secs) > WHERE_SECONDS_MAX ||
		    prefix_parse(name, &p) < 0) {
			w->res.exposure_bad++;
			continue;
		}
		/* A prefix of another length than ours is grouped as ours. */
		prefix_group(&p.addr, &p);
		if (share <= 0 ||
		    !selected(w, json_string_value(json_object_get(o, FIELD_HOST)), &p))
			continue;
		if ((pe = pfx_get(w, &p.addr)) == NULL)
			break;
		s = json_number_value(secs) * share;
		pe->flow_s += s;
		pe->flows += (uint64_t)((double)json_integer_value(flows) * share + 0.5);
	}
	other = json_object_get(o, FIELD_EXPOSURE_OTHER);
	if (share > 0 && w->f->nclients == 0) {
		double os = json_number_value(json_object_get(other,
					      FIELD_EXPOSURE_FLOW_SECONDS));
		json_int_t of = json_integer_value(json_object_get(other,
						   FIELD_EXPOSURE_FLOWS));

		if (os >= 0 && os <= WHERE_SECONDS_MAX && of >= 0) {
			w->other_s += os * share;
			w->other_flows += (uint64_t)of;
		} else {
			w->res.exposure_bad++;
		}
	}
	json_decref(o);
}

static int hopname_match(const void *entry, const void *key)
{
	const struct where *w = ((const void *const *)key)[0];
	const char *name = ((const void *const *)key)[1];

	return strcmp(w->hops[((const struct hopname_entry *)entry)->idx], name) == 0;
}

/* The index of hop's name, added on first sight; -1 on ENOMEM. */
static int64_t hop_index(struct where *w, const char *hop)
{
	const void *key[2] = { w, hop };
	uint64_t h = htab_hash(hop, strlen(hop));
	struct hopname_entry *e = htab_find(&w->hopnames, h, hopname_match, key);
	void *grown;

	if (e != NULL)
		return e->idx;
	if (w->nhops == w->caphops) {
		uint32_t cap = w->caphops ? w->caphops * 2 : 64;

		grown = realloc(w->hops, (size_t)cap * HOP_NAME_LEN);
		if (grown == NULL)
			return -1;
		w->hops = grown;
		w->caphops = cap;
	}
	if ((e = htab_insert(&w->hopnames, h)) == NULL)
		return -1;
	snprintf(w->hops[w->nhops], HOP_NAME_LEN, "%s", hop);
	e->idx = w->nhops;
	return w->nhops++;
}

static int pair_match(const void *entry, const void *key)
{
	const struct pair_entry *e = entry, *k = key;

	return e->hop == k->hop && memcmp(&e->key, &k->key, 16) == 0;
}

void where_probe(struct where *w, const struct in6_addr *client,
		 const char *hop, int state_lost)
{
	struct pair_entry k = { 0 }, *e;
	struct gw_prefix p;
	int64_t idx = hop_index(w, hop);

	if (idx < 0) {
		w->oom = 1;
		return;
	}
	prefix_group(client, &p);
	k.key = p.addr;
	k.hop = (uint32_t)idx;
	k.h = htab_hash(&k.key, 16) ^ ((uint64_t)k.hop * 0x9e3779b97f4a7c15ULL);
	if (k.h <= HTAB_DELETED)
		k.h += 2;
	e = htab_find(&w->pairs, k.h, pair_match, &k);
	if (e == NULL) {
		if ((e = htab_insert(&w->pairs, k.h)) == NULL) {
			w->oom = 1;
			return;
		}
		e->key = k.key;
		e->hop = k.hop;
	}
	e->ladders++;
	e->state_lost += state_lost != 0;
}

void where_record(void *ctx, const struct gw_rec *r, const char *line,
		  size_t len)
{
	struct where *w = ctx;
	struct in6_addr client;
	char hop[HOP_NAME_LEN];

	if (r->type == REC_EXPOSURE) {
		where_exposure(w, line, len);
		return;
	}
	if (r->type == REC_PROBE &&
	    rec_probe_stop(r, &client, hop, sizeof(hop)) == 0)
		where_probe(w, &client, hop, r->control_reached);
}

/* ---- the test ---- */

/* The regularised lower incomplete gamma P(a, x): a series below a + 1,
 * a continued fraction above (Numerical Recipes, 6.2), in logs so that
 * thousands of gaps neither overflow nor underflow. */
static double gamma_p(double a, double x)
{
	double lg = lgamma(a), sum, del, ap, b, c, d, h, an;
	int n;

	if (x <= 0)
		return 0.0;
	if (x < a + 1) {
		ap = a;
		sum = del = 1.0 / a;
		for (n = 0; n < 100000; n++) {
			ap += 1;
			del *= x / ap;
			sum += del;
			if (fabs(del) < fabs(sum) * 1e-15)
				break;
		}
		return sum * exp(-x + a * log(x) - lg);
	}
	b = x + 1 - a;
	c = 1.0 / 1e-300;
	d = 1.0 / b;
	h = d;
	for (n = 1; n < 100000; n++) {
		an = -n * (n - a);
		b += 2;
		d = an * d + b;
		if (fabs(d) < 1e-300)
			d = 1e-300;
		c = b + an / c;
		if (fabs(c) < 1e-300)
			c = 1e-300;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-15)
			break;
	}
	return 1.0 - exp(-x + a * log(x) - lg) * h;
}

/* P(X >= k) = P(k, mu) for the gamma function's a = k; k need not be
 * whole (a count over phi). */
static double tail(double k, double mu)
{
	if (k <= 0)
		return 1.0;
	if (mu <= 0)
		return 0.0;
	return gamma_p(k, mu);
}

double where_poisson_tail(uint64_t k, double mu)
{
	return tail((double)k, mu);
}

double where_quasi_tail(uint64_t k, double mu, double phi)
{
	return phi > 1.0 ? tail((double)k / phi, mu / phi) : tail((double)k, mu);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* The median of v[n], which it sorts. */
static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A normal variable's standard deviation over its MAD: 1 / 0.6745. */
#define MAD_TO_SD	1.482602218505602

double where_dispersion(double *z, size_t n)
{
	double m, sd;
	size_t i;

	if (n < WHERE_DISPERSION_GROUPS)
		return 1.0;
	m = median(z, n);
	for (i = 0; i < n; i++)
		z[i] = fabs(z[i] - m);
	sd = MAD_TO_SD * median(z, n);
	return sd * sd > 1.0 ? sd * sd : 1.0;
}

/* ---- the groups ---- */

/* A group's key (an ASN, a country, a hop's index, a prefix's hash)
 * spread over the table, never one of its two marks. */
static uint64_t grp_hash(uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;

	return h <= HTAB_DELETED ? h + 2 : h;
}

static struct grp_entry *grp_find(struct htab *t, uint64_t key)
{
	return htab_find(t, grp_hash(key), NULL, NULL);
}

static struct grp_entry *grp_get(struct where *w, struct htab *t, uint64_t key)
{
	uint64_t h = grp_hash(key);
	struct grp_entry *e;

	e = htab_find(t, h, NULL, NULL);
	if (e == NULL) {
		e = htab_insert(t, h);
		if (e == NULL)
			w->oom = 1;
		else
			e->key = key;
	}
	return e;
}

static void grp_add(struct where_row *row, const struct pfx_entry *p)
{
	row->gaps += p->gaps;
	row->flows += p->flows;
	row->player_hours += p->flow_s / 3600.0;
	row->prefixes++;
}

static int row_before(const struct where_row *a, const struct where_row *b)
{
	if (a->outlier != b->outlier)
		return a->outlier > b->outlier;
	if (a->excess != b->excess)
		return a->excess > b->excess;
	return strcmp(a->name, b->name) < 0;
}

static int is_outlier(int tested, double p, const struct where_kind_result *k)
{
	return tested && k->tested && p < WHERE_ALPHA / k->tested;
}

/* Test every group of t; phi is at least floor. */
static void test_groups(struct where *w, struct htab *t,
			struct where_kind_result *k, double floor)
{
	double lambda = w->res.rate / 1000.0;
	struct grp_entry *e;
	size_t pos = 0;
	unsigned int i;
	double *terms;

	while ((e = htab_next(t, &pos)) != NULL) {
		struct where_row *r = &e->row;

		k->groups++;
		r->expected = lambda * r->player_hours;
		r->excess = (double)r->gaps - r->expected;
		r->rate = r->player_hours > 0 ?
			  (double)r->gaps / r->player_hours * 1000.0 : 0.0;
		r->tested = r->expected >= WHERE_MIN_EXPECTED;
		k->tested += r->tested;
	}
	k->dispersion = 1.0;
	if (k->tested >= WHERE_DISPERSION_GROUPS) {
		if ((terms = malloc(k->tested * sizeof(*terms))) == NULL) {
			w->oom = 1;
			return;
		}
		i = 0;
		pos = 0;
		while ((e = htab_next(t, &pos)) != NULL) {
			const struct where_row *r = &e->row;

			if (r->tested)
				terms[i++] = ((double)r->gaps - r->expected) /
					     sqrt(r->expected);
		}
		k->dispersion = where_dispersion(terms, i);
		free(terms);
	}
	if (k->dispersion < floor)
		k->dispersion = floor;
	pos = 0;
	while ((e = htab_next(t, &pos)) != NULL) {
		struct where_row *r = &e->row;

		r->p = where_quasi_tail(r->gaps, r->expected, k->dispersion);
		r->outlier = is_outlier(r->tested, r->p, k);
		k->outliers += r->outlier;
	}
}

/* Keep the WHERE_TOP groups of t with the most excess. */
static void keep_top(struct htab *t, struct where_kind_result *k)
{
	const struct grp_entry *e;
	size_t pos = 0;
	unsigned int i, j;

	while ((e = htab_next(t, &pos)) != NULL) {
		const struct where_row *r = &e->row;

		for (i = 0; i < k->n; i++)
			if (row_before(r, &k->rows[i]))
				break;
		if (i == WHERE_TOP)
			continue;
		j = k->n < WHERE_TOP ? k->n++ : WHERE_TOP - 1;
		memmove(&k->rows[i + 1], &k->rows[i], (j - i) * sizeof(k->rows[0]));
		k->rows[i] = *r;
	}
}

/* The kinds a carrier can explain: its own networks, and the countries
 * it serves. (A hop is where on the path, not whose players: a carrier's
 * border hop is told beside the carrier, not explained by it.) */
static const int explained_kinds[] = { WHERE_PREFIX, WHERE_COUNTRY };

/*
 * An outlying network or country whose excess is one outlying carrier's:
 * without that carrier's prefixes (the outlying carrier with the most of
 * its gaps), would it still be an outlier, at its kind's phi and m? If
 * not, it is explained by that carrier, and says its rate without it. A
 * country whose carriers are all worse is not explained by any one of
 * them. 0, or -1 on ENOMEM.
 */
static uint64_t part_key(int kind, uint64_t group, uint64_t asn)
{
	return htab_hash(&(uint64_t[3]){ (uint64_t)kind, group, asn }, 24);
}

static int explain(struct where *w, struct htab groups[WHERE_KINDS])
{
	double lambda = w->res.rate / 1000.0;
	struct htab by;			/* part_key(kind, group, carrier) */
	struct pfx_entry *p;
	const struct grp_entry *part;
	struct grp_entry *g, *a, *pair;
	size_t pos = 0, k;
	int rc = -1;

	htab_init(&by, sizeof(struct grp_entry), 64, 2);
	while ((p = htab_next(&w->pfx, &pos)) != NULL) {
		if (p->flow_s <= 0 || p->asn == 0 ||
		    (a = grp_find(&groups[WHERE_ASN], p->asn)) == NULL ||
		    !a->row.outlier)
			continue;
		for (k = 0; k < GW_ARRAY_SIZE(explained_kinds); k++) {
			int kind = explained_kinds[k];
			uint64_t key = kind == WHERE_PREFIX ? htab_hash(&p->key, 16) : p->cc;

			if ((g = grp_find(&groups[kind], key)) == NULL)
				continue;
			if ((pair = grp_get(w, &by, part_key(kind, key, p->asn))) == NULL)
				goto out;
			grp_add(&pair->row, p);
			if (pair->row.gaps > g->by_gaps) {
				g->by_key = p->asn;
				g->by_gaps = pair->row.gaps;
			}
		}
	}
	for (k = 0; k < GW_ARRAY_SIZE(explained_kinds); k++) {
		int kind = explained_kinds[k];
		struct where_kind_result *kr = &w->res.kind[kind];

		pos = 0;
		while ((g = htab_next(&groups[kind], &pos)) != NULL) {
			struct where_row *r = &g->row;
			int none_left;
			uint64_t gaps;
			double hours, mu;

			if (!r->outlier || g->by_gaps == 0 ||
			    (part = grp_find(&by, part_key(kind, g->key, g->by_key))) == NULL)
				continue;
			none_left = part->row.prefixes >= r->prefixes;
			gaps = none_left ? 0 : r->gaps - part->row.gaps;
			hours = none_left ? 0 : r->player_hours - part->row.player_hours;
			mu = lambda * hours;
			if (is_outlier(mu >= WHERE_MIN_EXPECTED,
				       where_quasi_tail(gaps, mu, kr->dispersion), kr))
				continue;
			kr->explained++;
			a = grp_find(&groups[WHERE_ASN], g->by_key);
			snprintf(r->explained_by, sizeof(r->explained_by), "%s",
				 a ? a->row.name : "?");
			r->rest_hours = hours;
			r->rest_rate = hours > 0 ? (double)gaps / hours * 1000.0 : 0;
		}
	}
	rc = 0;
out:
	htab_free(&by);
	if (rc < 0)
		w->oom = 1;
	return rc;
}

/* Each prefix's hop: the one most of its ladders stopped at (ties: the
 * first seen). 0 on success, -1 on ENOMEM. */
static int prefix_hops(struct where *w)
{
	const struct pair_entry *e;
	struct pfx_entry *p;
	size_t pos = 0;

	while ((e = htab_next(&w->pairs, &pos)) != NULL) {
		if ((p = pfx_get(w, &e->key)) == NULL)
			return -1;
		if (e->ladders > p->hop_ladders ||
		    (e->ladders == p->hop_ladders && e->hop + 1 < p->hop1)) {
			p->hop_ladders = e->ladders;
			p->hop1 = e->hop + 1;
		}
	}
	return 0;
}

const struct where_result *where_finish(struct where *w,
					const struct agg_result *r)
{
	struct htab groups[WHERE_KINDS], asnhop;
	struct where_result *res = &w->res;
	const struct pair_entry *pe;
	struct pfx_entry *p;
	struct gw_prefix g;
	double listed_s = 0;
	size_t k, pos;
	int kind;

	res->have_asn = w->geo && geo_has_asn(w->geo);
	res->have_country = w->geo && geo_has_country(w->geo);
	for (k = 0; k < r->npoints; k++) {
		prefix_group(&r->points[k].client, &g);
		if ((p = pfx_get(w, &g.addr)) == NULL)
			return NULL;
		p->gaps++;
	}
	pos = 0;
	while ((p = htab_next(&w->pfx, &pos)) != NULL) {
		res->flows += p->flows;
		if (p->flow_s > 0) {
			listed_s += p->flow_s;
			res->gaps += p->gaps;
		} else {
			res->gaps_unexposed += p->gaps;
		}
	}
	res->flows += w->other_flows;
	res->player_hours = (listed_s + w->other_s) / 3600.0;
	res->rate = listed_s > 0 ? (double)res->gaps / (listed_s / 3600.0) * 1000.0 : 0;
	if (!res->have_exposure || listed_s <= 0)
		return w->oom ? NULL : res;

	for (kind = 0; kind < WHERE_KINDS; kind++)
		htab_init(&groups[kind], sizeof(struct grp_entry), 64, 2);
	htab_init(&asnhop, sizeof(struct grp_entry), 64, 2);
	if (prefix_hops(w) < 0)
		goto out;
	pos = 0;
	while ((p = htab_next(&w->pfx, &pos)) != NULL) {
		struct geo_info gi = { 0, NULL, "" };
		struct grp_entry *e;
		struct gw_prefix pf;

		if (p->flow_s <= 0)
			continue;
		prefix_group(&p->key, &pf);
		if (w->geo) {
			geo_lookup(w->geo, &p->key, &gi);
			p->asn = gi.asn;
			p->asn_known = 1;
			res->asn_unknown += res->have_asn && gi.asn == 0;
			res->country_unknown += res->have_country && gi.country[0] == 0;
		}
		if ((e = grp_get(w, &groups[WHERE_PREFIX], htab_hash(&p->key, 16))) == NULL)
			goto out;
		prefix_format(&pf, e->row.name, sizeof(e->row.name));
		grp_add(&e->row, p);
		if (res->have_asn) {
			if ((e = grp_get(w, &groups[WHERE_ASN], gi.asn)) == NULL)
				goto out;
			if (gi.asn)
				snprintf(e->row.name, sizeof(e->row.name), "AS%u%s%s",
					 gi.asn, gi.as_org ? " " : "",
					 gi.as_org ? gi.as_org : "");
			else
				snprintf(e->row.name, sizeof(e->row.name), "unknown");
			grp_add(&e->row, p);
		}
		if (res->have_country) {
			uint64_t cc = gi.country[0] ? (uint64_t)(uint8_t)gi.country[0] << 8 |
					(uint8_t)gi.country[1] : 0;

			p->cc = cc;
			if ((e = grp_get(w, &groups[WHERE_COUNTRY], cc)) == NULL)
				goto out;
			snprintf(e->row.name, sizeof(e->row.name), "%s",
				 cc ? gi.country : "unknown");
			grp_add(&e->row, p);
		}
		if (p->hop1) {
			if ((e = grp_get(w, &groups[WHERE_HOP], p->hop1)) == NULL)
				goto out;
			snprintf(e->row.name, sizeof(e->row.name), "%s",
				 w->hops[p->hop1 - 1]);
			grp_add(&e->row, p);
		}
	}
	/* Ladders per hop, and per carrier and hop for "n % of AS64500's
	 * ladders stop after 203.0.113.1". */
	pos = 0;
	while ((pe = htab_next(&w->pairs, &pos)) != NULL) {
		struct geo_info gi = { 0, NULL, "" };
		struct grp_entry *e;
		struct pfx_entry *pp;

		if ((e = grp_get(w, &groups[WHERE_HOP], pe->hop + 1)) == NULL)
			goto out;
		if (e->row.name[0] == '\0')
			snprintf(e->row.name, sizeof(e->row.name), "%s", w->hops[pe->hop]);
		e->row.ladders += pe->ladders;
		e->row.state_lost += pe->state_lost;
		e->row.path_down += pe->ladders - pe->state_lost;
		if (!res->have_asn)
			continue;
		/* The exposed prefixes were looked up above; the others once. */
		if ((pp = pfx_get(w, &pe->key)) == NULL)
			goto out;
		if (!pp->asn_known) {
			geo_lookup(w->geo, &pp->key, &gi);
			pp->asn = gi.asn;
			pp->asn_known = 1;
		}
		if ((e = grp_get(w, &asnhop, (uint64_t)pp->asn << 32 | pe->hop)) == NULL)
			goto out;
		e->row.ladders += pe->ladders;
		if ((e = grp_get(w, &groups[WHERE_ASN], pp->asn)) == NULL)
			goto out;
		e->row.asn_ladders += pe->ladders;
	}
	pos = 0;
	if (res->have_asn) {
		const struct grp_entry *ah;

		while ((ah = htab_next(&asnhop, &pos)) != NULL) {
			struct grp_entry *e = grp_get(w, &groups[WHERE_ASN], ah->key >> 32);
			uint32_t hop = (uint32_t)(ah->key & 0xffffffffu);
			struct grp_entry *he = grp_find(&groups[WHERE_HOP], hop + 1);

			if (e == NULL)
				goto out;
			/* The carriers whose ladders stop at the hop. */
			if (he != NULL && ah->key >> 32)
				he->row.asns++;
			if (ah->row.ladders > e->row.top_hop_ladders ||
			    (ah->row.ladders == e->row.top_hop_ladders &&
			     strcmp(w->hops[hop], e->row.top_hop) < 0)) {
				e->row.top_hop_ladders = ah->row.ladders;
				snprintf(e->row.top_hop, sizeof(e->row.top_hop), "%s",
					 w->hops[hop]);
			}
		}
	}
	/* The prefixes first: their spread is the players' own (a player's
	 * gaps come in runs), which every coarser group has as well. */
	test_groups(w, &groups[WHERE_PREFIX], &res->kind[WHERE_PREFIX], 1.0);
	for (kind = 0; kind < WHERE_KINDS; kind++)
		if (kind != WHERE_PREFIX)
			test_groups(w, &groups[kind], &res->kind[kind],
				    res->kind[WHERE_PREFIX].dispersion);
	if (res->have_asn && res->kind[WHERE_ASN].outliers && explain(w, groups) < 0)
		goto out;
	for (kind = 0; kind < WHERE_KINDS; kind++)
		keep_top(&groups[kind], &res->kind[kind]);
out:
	for (kind = 0; kind < WHERE_KINDS; kind++)
		htab_free(&groups[kind]);
	htab_free(&asnhop);
	return w->oom ? NULL : res;
}
