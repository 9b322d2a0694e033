/*
 * mkwhere - write a planted dataset for gapwatch report's "where":
 * exposure, gap and probe records of players in many carriers, and the
 * table rigs/mkmmdb turns into the carriers' and countries' MMDB files.
 *
 * usage: mkwhere -o FILE --mmdb-tsv FILE [--truth FILE] [--gaps N]
 *                [--asns N] [--prefixes N] [--hours N] [--factor F]
 *                [--planted N] [--burst M] [--country-factor F] [--seed N]
 *
 * Every carrier (AS64500 + i) has --prefixes client prefixes, half of the
 * odd carriers' IPv6 /48s, the rest IPv4 /24s; carriers differ in size
 * (players per prefix), so that the biggest tops a count of gaps without
 * being an outlier. Each carrier's prefixes sit behind two border hops,
 * but the planted one's all behind one hop. Gaps fall on prefixes in
 * proportion to their player-hours, the planted carrier's (its hop's)
 * --factor times more; --factor 1 is the null dataset, where nothing is
 * an outlier. A fifth of the gaps have a probe record that stops at
 * their prefix's hop. The truth file says the planted carrier and hop.
 * --burst M: a player's gaps come in runs (a geometric number, M on
 * average: one bad home router reconnects and drops again), so that the
 * networks' counts spread more than Poisson's, as a real server's do; the
 * default, 1, is one gap a player. --country-factor F: the carriers of
 * one country (US: carriers 3, 13, 23, ...) F times the base rate, the
 * country's own effect and no single carrier's. The same seed writes the
 * same files.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define START_S		1795000000LL	/* 2026-11-18T... */
#define ASN_BASE	64500
#define COUNTRY_PLANTED	3		/* --country-factor's: US */
#define FACTOR_MIN	0.01		/* a rate 100 times below the base */

/* Ten countries, a carrier's by its number. */
static const char *const countries[10] = {
	"DE", "FR", "GB", "US", "BR", "JP", "IN", "PL", "SE", "NL"
};

static uint64_t rng_state;

/* splitmix64, as rigs/mkreport. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double unif(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

struct pfx {
	unsigned int asn;		/* index */
	unsigned int idx;		/* within the carrier */
	int v6;
	double players;
	double weight;			/* cumulative, for the draw */
};

static void pfx_name(const struct pfx *p, char *buf, size_t len)
{
	if (p->v6)
		snprintf(buf, len, "2001:db8:%x::/48", p->asn << 8 | p->idx);
	else
		snprintf(buf, len, "10.%u.%u.0/24", p->asn, p->idx);
}

static void client_addr(const struct pfx *p, unsigned int host, char *buf,
			size_t len)
{
	if (p->v6)
		snprintf(buf, len, "[2001:db8:%x::%x]:%u", p->asn << 8 | p->idx,
			 host + 1, 40000 + host % 20000);
	else
		snprintf(buf, len, "10.%u.%u.%u:%u", p->asn, p->idx, host % 254 + 1,
			 40000 + host % 20000);
}

/* The prefix's border hop: one of two of its carrier, or the planted's
 * one. */
static void hop_name(const struct pfx *p, unsigned int planted, char *buf,
		     size_t len)
{
	snprintf(buf, len, "100.64.%u.%u", p->asn,
		 p->asn == planted ? 1 : 1 + p->idx % 2);
}

static void iso_time(int64_t us, char *buf, size_t len)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(us % 1000000));
}

static unsigned long num(const char *opt, const char *v)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (*v < '0' || *v > '9' || *end) {
		fprintf(stderr, "mkwhere: %s: '%s' is not a number\n", opt, v);
		exit(2);
	}
	return n;
}

/* A number of at least min. */
static double real(const char *opt, const char *v, double min)
{
	char *end;
	double x = strtod(v, &end);

	if (end == v || *end || !(x >= min)) {
		fprintf(stderr, "mkwhere: %s: '%s' is not a number of at least %g\n",
			opt, v, min);
		exit(2);
	}
	return x;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mkwhere -o FILE --mmdb-tsv FILE [--truth FILE] [--gaps N]\n"
		"               [--asns N] [--prefixes N] [--hours N] [--factor F]\n"
		"               [--planted N] [--burst M] [--country-factor F] [--seed N]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mmdb-tsv", required_argument, NULL, 'm' },
		{ "truth", required_argument, NULL, 't' },
		{ "gaps", required_argument, NULL, 'g' },
		{ "asns", required_argument, NULL, 'a' },
		{ "prefixes", required_argument, NULL, 'p' },
		{ "hours", required_argument, NULL, 'H' },
		{ "factor", required_argument, NULL, 'F' },
		{ "planted", required_argument, NULL, 'P' },
		{ "burst", required_argument, NULL, 'b' },
		{ "country-factor", required_argument, NULL, 'C' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *tsv = NULL, *truth = NULL;
	unsigned long gaps = 100000, asns = 50, per = 20, hours = 24, planted = 7;
	unsigned long seed = 1, g, h, n, i;
	double factor = 5.0, burst = 1.0, country = 1.0, total = 0, x;
	struct pfx *p;
	FILE *f, *m;
	char name[64], cl[64], t1[64], t2[64], hop[32];
	int opt;

	while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'm': tsv = optarg; break;
		case 't': truth = optarg; break;
		case 'g': gaps = num("--gaps", optarg); break;
		case 'a': asns = num("--asns", optarg); break;
		case 'p': per = num("--prefixes", optarg); break;
		case 'H': hours = num("--hours", optarg); break;
		case 'P': planted = num("--planted", optarg); break;
		case 's': seed = num("--seed", optarg); break;
		case 'b': burst = real("--burst", optarg, 1.0); break;
		case 'C': country = real("--country-factor", optarg, FACTOR_MIN); break;
		case 'F': factor = real("--factor", optarg, FACTOR_MIN); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (out == NULL || tsv == NULL || asns == 0 || asns > 200 || per == 0 ||
	    per > 256 || hours == 0 || planted >= asns) {
		usage(stderr);
		return 2;
	}
	rng_state = seed;
	n = asns * per;
	p = calloc(n, sizeof(*p));
	f = fopen(out, "w");
	m = fopen(tsv, "w");
	if (p == NULL || f == NULL || m == NULL) {
		fprintf(stderr, "mkwhere: cannot create %s or %s: %m\n", out, tsv);
		return 1;
	}
	for (i = 0; i < n; i++) {
		/* Carrier 0 is ten times the others: it tops a raw count. */
		double size = i / per == 0 ? 200.0 : 10.0 + 30.0 * unif();

		p[i].asn = (unsigned int)(i / per);
		p[i].idx = (unsigned int)(i % per);
		p[i].v6 = (p[i].asn & 1) && p[i].idx % 2;
		p[i].players = size * (0.5 + unif());
		total += p[i].players * (p[i].asn == planted ? factor : 1.0) *
			 (p[i].asn % 10 == COUNTRY_PLANTED ? country : 1.0);
		p[i].weight = total;
		pfx_name(&p[i], name, sizeof(name));
		fprintf(m, "%s\t%lu\tCarrier %lu\t%s\n", name, ASN_BASE + (unsigned long)p[i].asn,
			(unsigned long)p[i].asn, countries[p[i].asn % 10]);
	}
	/* An exposure record an hour; a player is on half the time. */
	for (h = 0; h < hours; h++) {
		iso_time((START_S + (int64_t)h * 3600) * 1000000, t1, sizeof(t1));
		iso_time((START_S + (int64_t)(h + 1) * 3600) * 1000000, t2, sizeof(t2));
		fprintf(f, "{\"type\":\"exposure\",\"schema\":1,\"host\":\"gs1\",\"queue\":0,"
			"\"start\":\"%s\",\"end\":\"%s\",\"prefix_v4\":24,\"prefix_v6\":48,"
			"\"prefixes\":%lu,\"by_prefix\":[", t1, t2, n);
		for (i = 0; i < n; i++) {
			pfx_name(&p[i], name, sizeof(name));
			fprintf(f, "%s[\"%s\",%lu,%.3f]", i ? "," : "", name,
				(unsigned long)(p[i].players + 0.5), p[i].players * 1800.0);
		}
		fprintf(f, "],\"other\":{\"prefixes\":0,\"flows\":0,\"flow_seconds\":0,"
			"\"table_full\":0}}\n");
	}
	for (g = 0; g < gaps;) {
		unsigned long lo = 0, hi = n - 1, mid, run = 1, r;
		int64_t start = START_S * 1000000 +
				(int64_t)(unif() * (double)hours * 3600e6);
		int64_t dur = 3000000 + (int64_t)(unif() * 20e6);
		unsigned int host;

		x = unif() * total;
		while (lo < hi) {
			mid = (lo + hi) / 2;
			if (p[mid].weight < x)
				lo = mid + 1;
			else
				hi = mid;
		}
		host = (unsigned int)(rnd() % 50000);
		if (burst > 1.0)
			while (unif() >= 1.0 / burst)
				run++;
		/* The run's gaps a minute apart, from the same player. */
		for (r = 0; r < run && g < gaps; r++, g++, start += 60000000) {
			client_addr(&p[lo], host, cl, sizeof(cl));
			iso_time(start, t1, sizeof(t1));
			iso_time(start + dur, t2, sizeof(t2));
			fprintf(f, "{\"type\":\"gap\",\"schema\":1,\"host\":\"gs1\",\"id\":\"w-0-%lu\","
				"\"proto\":\"udp\",\"client\":\"%s\",\"server\":\"198.18.0.1:7781\","
				"\"start\":\"%s\",\"end\":\"%s\",\"duration_ms\":%.3f,"
				"\"silent\":\"client\",\"outcome\":\"reconnected\","
				"\"cause\":\"path_loss_to_server\"}\n", g, cl, t1, t2,
				(double)dur / 1000.0);
			if (rnd() % 5 == 0) {
				hop_name(&p[lo], (unsigned int)planted, hop, sizeof(hop));
				fprintf(f, "{\"type\":\"probe\",\"schema\":1,\"host\":\"gs1\","
					"\"id\":\"w-0-%lu\",\"client\":\"%s\",\"last_hop\":{\"addr\":\"%s\"},"
					"\"control_client_reached\":%s}\n", g, cl, hop,
					rnd() % 10 < 7 ? "true" : "false");
			}
		}
	}
	if (truth) {
		FILE *t = fopen(truth, "w");

		if (t == NULL) {
			fprintf(stderr, "mkwhere: cannot create %s: %m\n", truth);
			return 1;
		}
		fprintf(t, "AS%lu\n100.64.%lu.1\n", ASN_BASE + planted, planted);
		if (fclose(t) != 0)
			return 1;
	}
	free(p);
	if (fclose(f) != 0 || fclose(m) != 0) {
		fprintf(stderr, "mkwhere: cannot write %s: %m\n", out);
		return 1;
	}
	return 0;
}
