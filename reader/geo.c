/*
 * geo.c - MMDB lookups with libmaxminddb. Which file gives what is told
 * by its metadata (database_type names ASN, Country or City) and, for a
 * file that names neither, by whether its data has the fields: the two
 * free formats (GeoLite2, DB-IP lite) share the field names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <maxminddb.h>

#include "addr.h"
#include "geo.h"
#include "htab.h"

struct geo_file {
	MMDB_s db;
	int asn, country;		/* what it gives */
};

/* An organisation's name, kept once for every prefix of its carrier. */
struct org_entry {
	uint64_t h;
	char *name;
};

struct geo {
	struct geo_file files[GEO_MAX_FILES];
	unsigned int n;
	struct htab orgs;		/* struct org_entry */
	struct geo_counts counts;
};

static int has(const char *type, const char *word)
{
	return type && strstr(type, word) != NULL;
}

/* The file's kind from its metadata, else from a probe of its data at
 * a well-known address (a file without it says nothing this way, and is
 * refused). */
static void kind_of(struct geo_file *f)
{
	const char *type = f->db.metadata.database_type;
	static const char *const probes[] = { "1.1.1.1", "8.8.8.8", "2001:4860::" };
	MMDB_entry_data_s v;
	unsigned int k;

	f->asn = has(type, "ASN") || has(type, "asn");
	f->country = has(type, "Country") || has(type, "City") ||
		     has(type, "country") || has(type, "city");
	if (f->asn || f->country)
		return;
	for (k = 0; k < sizeof(probes) / sizeof(probes[0]); k++) {
		int gai, err;
		MMDB_lookup_result_s r = MMDB_lookup_string(&f->db, probes[k], &gai, &err);

		if (gai || err != MMDB_SUCCESS || !r.found_entry)
			continue;
		if (MMDB_get_value(&r.entry, &v, "autonomous_system_number", NULL) ==
		    MMDB_SUCCESS && v.has_data)
			f->asn = 1;
		if (MMDB_get_value(&r.entry, &v, "country", "iso_code", NULL) ==
		    MMDB_SUCCESS && v.has_data)
			f->country = 1;
	}
}

struct geo *geo_open(const char *const *paths, unsigned int n, char *err,
		     size_t errlen)
{
	struct geo *g;
	unsigned int k;
	int rc;

	if (n == 0 || n > GEO_MAX_FILES) {
		snprintf(err, errlen, "1 to %d files", GEO_MAX_FILES);
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	htab_init(&g->orgs, sizeof(struct org_entry), 64, 2);
	for (k = 0; k < n; k++) {
		struct geo_file *f = &g->files[k];

		rc = MMDB_open(paths[k], MMDB_MODE_MMAP, &f->db);
		if (rc != MMDB_SUCCESS) {
			snprintf(err, errlen, "%s: %s", paths[k],
				 rc == MMDB_IO_ERROR && errno ? strerror(errno) :
				 MMDB_strerror(rc));
			goto fail;
		}
		g->n++;
		kind_of(f);
		if (!f->asn && !f->country) {
			snprintf(err, errlen, "%s: neither carriers (ASNs) nor "
				 "countries (database type '%s')", paths[k],
				 f->db.metadata.database_type ?
				 f->db.metadata.database_type : "");
			goto fail;
		}
	}
	return g;
fail:
	geo_close(g);
	return NULL;
}

void geo_close(struct geo *g)
{
	const struct org_entry *e;
	size_t pos = 0;
	unsigned int k;

	if (g == NULL)
		return;
	for (k = 0; k < g->n; k++)
		MMDB_close(&g->files[k].db);
	while ((e = htab_next(&g->orgs, &pos)) != NULL)
		free(e->name);
	htab_free(&g->orgs);
	free(g);
}

int geo_has_asn(const struct geo *g)
{
	unsigned int k;

	for (k = 0; k < g->n; k++)
		if (g->files[k].asn)
			return 1;
	return 0;
}

int geo_has_country(const struct geo *g)
{
	unsigned int k;

	for (k = 0; k < g->n; k++)
		if (g->files[k].country)
			return 1;
	return 0;
}

const struct geo_counts *geo_counts(const struct geo *g)
{
	return &g->counts;
}

static int org_match(const void *entry, const void *key)
{
	return strcmp(((const struct org_entry *)entry)->name, key) == 0;
}

/* The kept copy of a name of len bytes (not NUL-terminated in the
 * file), cut at GEO_ORG_MAX; NULL on ENOMEM. */
static const char *org_intern(struct geo *g, const char *s, uint32_t len)
{
	char buf[GEO_ORG_MAX + 1];
	struct org_entry *e;
	uint64_t h;
	uint32_t k;

	if (len > GEO_ORG_MAX)
		len = GEO_ORG_MAX;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* A NUL or a control character would end or break a report line. */
	for (k = 0; k < len; k++)
		if ((unsigned char)buf[k] < 0x20 || buf[k] == 0x7f)
			buf[k] = '?';
	h = htab_hash(buf, len);
	e = htab_find(&g->orgs, h, org_match, buf);
	if (e != NULL)
		return e->name;
	e = htab_insert(&g->orgs, h);
	if (e == NULL)
		return NULL;
	e->name = strdup(buf);
	if (e->name == NULL) {
		htab_delete(&g->orgs, e);
		return NULL;
	}
	return e->name;
}

static void lookup_asn(struct geo *g, MMDB_entry_s *entry, struct geo_info *out)
{
	MMDB_entry_data_s v;
	int rc;

	rc = MMDB_get_value(entry, &v, "autonomous_system_number", NULL);
	if (rc == MMDB_SUCCESS && v.has_data) {
		if (v.type == MMDB_DATA_TYPE_UINT32)
			out->asn = v.uint32;
		else
			g->counts.errors++;
	} else if (rc != MMDB_SUCCESS && rc != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
		g->counts.errors++;
	}
	if (out->asn == 0)
		return;
	rc = MMDB_get_value(entry, &v, "autonomous_system_organization", NULL);
	if (rc == MMDB_SUCCESS && v.has_data && v.type == MMDB_DATA_TYPE_UTF8_STRING)
		out->as_org = org_intern(g, v.utf8_string, v.data_size);
}

static void lookup_country(struct geo *g, MMDB_entry_s *entry,
			   struct geo_info *out)
{
	MMDB_entry_data_s v;
	int rc;

	rc = MMDB_get_value(entry, &v, "country", "iso_code", NULL);
	if (rc == MMDB_SUCCESS && v.has_data) {
		if (v.type == MMDB_DATA_TYPE_UTF8_STRING && v.data_size == 2 &&
		    v.utf8_string[0] >= 'A' && v.utf8_string[0] <= 'Z' &&
		    v.utf8_string[1] >= 'A' && v.utf8_string[1] <= 'Z') {
			out->country[0] = v.utf8_string[0];
			out->country[1] = v.utf8_string[1];
			out->country[2] = '\0';
		} else {
			g->counts.errors++;
		}
	} else if (rc != MMDB_SUCCESS && rc != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
		g->counts.errors++;
	}
}

void geo_lookup(struct geo *g, const struct in6_addr *a, struct geo_info *out)
{
	struct sockaddr_storage ss;
	unsigned int k;
	int err;

	memset(out, 0, sizeof(*out));
	memset(&ss, 0, sizeof(ss));
	/* An IPv4 address as AF_INET: libmaxminddb then finds it in an IPv4
	 * database and in an IPv6 one's ::/96 subtree alike. */
	if (addr_is_v4(a)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->s6_addr + 12, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = *a;
	}
	g->counts.lookups++;
	for (k = 0; k < g->n; k++) {
		struct geo_file *f = &g->files[k];
		MMDB_lookup_result_s r;

		r = MMDB_lookup_sockaddr(&f->db, (struct sockaddr *)&ss, &err);
		/* An IPv6 address in an IPv4 database: not known there. */
		if (err == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
			continue;
		if (err != MMDB_SUCCESS) {
			g->counts.errors++;
			continue;
		}
		if (!r.found_entry)
			continue;
		if (f->asn && out->asn == 0)
			lookup_asn(g, &r.entry, out);
		if (f->country && out->country[0] == '\0')
			lookup_country(g, &r.entry, out);
	}
	if (geo_has_asn(g) && out->asn == 0)
		g->counts.asn_unknown++;
	if (geo_has_country(g) && out->country[0] == '\0')
		g->counts.country_unknown++;
}
