/*
 * where.h - where the gaps happen: client networks (prefixes), carriers
 * (ASNs) and countries from --mmdb, and the hops where probe ladders
 * stop, each with its players (the exposure records) and its rate of
 * gaps per 1,000 player-hours, and whether that rate is significantly
 * above the server's.
 *
 * The test, stated once: a group with E player-hours would see
 * mu = rate_all x E gaps at the overall rate; it is an outlier when
 * P(X >= gaps) < WHERE_ALPHA / m for X ~ Poisson(mu), with m the groups
 * of its kind that were tested (Bonferroni), and it is tested only when
 * mu >= WHERE_MIN_EXPECTED. Groups are ranked by their excess gaps,
 * gaps - mu: what they explain, not what they are big for.
 *
 * Players are not one population: real groups spread around the overall
 * rate more than Poisson's variance allows, and a plain Poisson test
 * would flag many networks that are merely ordinary. So the spread is
 * measured (quasi-Poisson): phi, the variance of the tested groups'
 * Pearson residuals (gaps - mu) / sqrt(mu) (1 under Poisson), estimated
 * as the square of 1.4826 times their median absolute deviation from
 * their median: robust to the few outliers sought, and to the shift they
 * give every other group by raising the overall rate. With phi > 1 the
 * test is P(X >= gaps / phi) for X ~ Poisson(mu / phi). phi is 1 when
 * the spread is Poisson's or less, or when fewer than
 * WHERE_DISPERSION_GROUPS groups were tested (too few to measure it).
 * The prefixes' phi is the players' own spread (a player's gaps come in
 * runs: one bad home router drops again and again), which every coarser
 * group has as well: it is the least phi of carriers, countries and hops.
 */
#ifndef GAPWATCH_WHERE_H
#define GAPWATCH_WHERE_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

struct agg_result;
struct geo;
struct gw_filter;
struct gw_rec;

#define WHERE_ALPHA		0.001	/* family-wise, per kind of group */
#define WHERE_MIN_EXPECTED	5.0	/* gaps at the overall rate */
#define WHERE_TOP		10	/* rows a kind lists */
#define WHERE_DISPERSION_GROUPS	20	/* tested groups to measure phi */

enum where_kind { WHERE_PREFIX, WHERE_ASN, WHERE_COUNTRY, WHERE_HOP,
		  WHERE_KINDS };

struct where_row {
	char name[160];			/* "198.18.3.0/24", "AS64500 Name",
					 * "DE", a hop's address */
	uint64_t gaps;
	uint64_t flows;			/* players: flows that began */
	double player_hours;
	double rate;			/* gaps per 1,000 player-hours */
	double expected;		/* at the overall rate */
	double excess;			/* gaps - expected */
	double p;			/* P(X >= gaps), quasi-Poisson */
	int tested;			/* expected >= WHERE_MIN_EXPECTED */
	int outlier;
	uint64_t prefixes;		/* prefixes in the group */
	uint64_t ladders;		/* hops: ladders that stopped there */
	uint64_t state_lost, path_down;	/* hops: the verdicts' split */
	uint64_t asns;			/* hops: carriers whose ladders did */
	/* networks, countries: an outlier no more without the outlying
	 * carrier named here ("" none), and its player-hours and rate
	 * without them (a network of that carrier: 0 hours) */
	char explained_by[160];
	double rest_hours, rest_rate;
	/* ASNs: the hop most of its ladders stopped at */
	char top_hop[48];
	uint64_t top_hop_ladders, asn_ladders;
};

struct where_kind_result {
	unsigned int n;			/* rows[], the most excess first */
	struct where_row rows[WHERE_TOP];
	unsigned int groups;		/* groups seen */
	unsigned int tested;		/* of those, tested (m) */
	unsigned int outliers;
	unsigned int explained;		/* outliers explained by a carrier */
	double dispersion;		/* phi, >= 1 */
};

struct where_result {
	int have_exposure;		/* any exposure record read */
	int have_asn, have_country;	/* --mmdb gave them */
	uint64_t exposure_records;
	uint64_t exposure_bad;		/* exposure lines it could not use */
	double player_hours;		/* all prefixes', "other" included */
	uint64_t flows;
	uint64_t gaps;			/* gaps with a known prefix exposure */
	uint64_t gaps_unexposed;	/* gaps whose prefix had no exposure */
	double rate;			/* overall, per 1,000 player-hours */
	uint64_t asn_unknown, country_unknown;	/* prefixes --mmdb lacked */
	struct where_kind_result kind[WHERE_KINDS];
};

struct where;

/* where_new - geo (may be NULL, borrowed) names carriers and countries;
 * f's time window and hosts select the exposure. NULL on ENOMEM. */
struct where *where_new(struct geo *geo, const struct gw_filter *f);
void where_free(struct where *w);

/* where_record - an agg_record_fn (ctx: the where): the exposure and
 * probe records. */
void where_record(void *ctx, const struct gw_rec *r, const char *line,
		  size_t len);

/* where_exposure - one exposure record's line (parsed here: few, big). */
void where_exposure(struct where *w, const char *line, size_t len);

/* where_probe - a probe ladder of client that stopped after hop. */
void where_probe(struct where *w, const struct in6_addr *client,
		 const char *hop, int state_lost);

/* where_finish - the groups of r's gaps (agg_finish'ed). NULL on ENOMEM. */
const struct where_result *where_finish(struct where *w,
					const struct agg_result *r);

/* where_poisson_tail - P(X >= k) for X ~ Poisson(mu). */
double where_poisson_tail(uint64_t k, double mu);

/* where_quasi_tail - the same with a spread phi (>= 1) times Poisson's:
 * P(X >= k / phi) for X ~ Poisson(mu / phi). */
double where_quasi_tail(uint64_t k, double mu, double phi);

/* where_dispersion - phi from the n tested groups' Pearson residuals
 * (gaps - mu) / sqrt(mu), which it reorders. */
double where_dispersion(double *z, size_t n);

/* where_kind_name - "prefix", "asn", "country", "hop". */
const char *where_kind_name(enum where_kind k);

#endif
