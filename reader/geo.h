/*
 * geo.h - carriers and countries of client addresses, from the MMDB files
 * the operator gives gapwatch report --mmdb (GeoLite2 or DB-IP lite ASN
 * and country databases, read with libmaxminddb). Nothing is downloaded.
 */
#ifndef GAPWATCH_GEO_H
#define GAPWATCH_GEO_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define GEO_MAX_FILES	4	/* --mmdb files */
#define GEO_ORG_MAX	128	/* an organisation's name is cut there */

struct geo_info {
	uint32_t asn;		/* 0: unknown */
	const char *as_org;	/* NULL: unknown; the geo's, until geo_close */
	char country[3];	/* ISO 3166-1 alpha-2, "" unknown */
};

struct geo_counts {
	uint64_t lookups;
	uint64_t asn_unknown, country_unknown;	/* no file knew it */
	uint64_t errors;	/* a lookup or a value the file got wrong */
};

struct geo;

/*
 * geo_open - open the n files (1..GEO_MAX_FILES, mapped). Returns the
 * geo, or NULL with "FILE: reason" in err: a file that cannot be opened
 * (strerror: "No such file or directory"), one that is no MMDB or is
 * corrupt (libmaxminddb's MMDB_strerror), one with neither ASNs nor
 * countries. Which file gives what comes from its database_type, else
 * from its first records.
 */
struct geo *geo_open(const char *const *paths, unsigned int n, char *err,
		     size_t errlen);
void geo_close(struct geo *g);	/* accepts NULL */

int geo_has_asn(const struct geo *g);		/* some file gives ASNs */
int geo_has_country(const struct geo *g);	/* some file, countries */

/*
 * geo_lookup - a's network (IPv4 as v4-mapped) in every file; a field
 * that no file knows stays unknown and is counted.
 */
void geo_lookup(struct geo *g, const struct in6_addr *a, struct geo_info *out);

const struct geo_counts *geo_counts(const struct geo *g);

#endif
