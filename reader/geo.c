/*
 * geo.c - MMDB lookups with libmaxminddb. Which file gives what is told
 * by its metadata (database_type names ASN, Country or City) and, for a
 * file that names neither, by the fields of its first records: the two
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

/* Does the entry hold an ASN, a country? */
static void kind_of_entry(struct geo_file *f, MMDB_entry_s *entry)
{
	MMDB_entry_data_s v;

	if (MMDB_get_value(entry, &v, "autonomous_system_number", NULL) ==
	    MMDB_SUCCESS && v.has_data && v.type == MMDB_DATA_TYPE_UINT32)
		f->asn = 1;
	if (MMDB_get_value(entry, &v, "country", "iso_code", NULL) ==
	    MMDB_SUCCESS && v.has_data && v.type == MMDB_DATA_TYPE_UTF8_STRING)
		f->country = 1;
}

/*
 * Bounds of the walk below: a hostile file's tree may loop back on
 * itself, and a sample of the first records is enough to tell the kind.
 */
#define WALK_NODES	65536
#define WALK_RECORDS	16
#define WALK_DEPTH	256

/*
 * The file's kind from its metadata; for a type that names neither (a
 * renamed or third-party file), from the first data records of its
 * search tree, whatever networks they are for.
 */
static void kind_of(struct geo_file *f)
{
	const char *type = f->db.metadata.database_type;
	uint32_t stack[WALK_DEPTH];
	unsigned int depth = 0, nodes = 0, records = 0;

	f->asn = has(type, "ASN") || has(type, "asn");
	f->country = has(type, "Country") || has(type, "City") ||
		     has(type, "country") || has(type, "city");
	if (f->asn || f->country || f->db.metadata.node_count == 0)
		return;
	stack[depth++] = 0;
	while (depth > 0 && nodes++ < WALK_NODES && records < WALK_RECORDS &&
	       !(f->asn && f->country)) {
		MMDB_search_node_s node;
		int side;

		if (MMDB_read_node(&f->db, stack[--depth], &node) != MMDB_SUCCESS)
			continue;
		/* Right first onto the stack: the lowest networks come first. */
		for (side = 1; side >= 0; side--) {
			uint8_t t = side ? node.right_record_type : node.left_record_type;
			uint64_t rec = side ? node.right_record : node.left_record;

			if (t == MMDB_RECORD_TYPE_DATA && records < WALK_RECORDS) {
				records++;
				kind_of_entry(f, side ? &node.right_record_entry :
						  &node.left_record_entry);
			} else if (t == MMDB_RECORD_TYPE_SEARCH_NODE &&
				   depth < WALK_DEPTH && rec <= UINT32_MAX) {
				stack[depth++] = (uint32_t)rec;
			}
		}
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

		errno = 0;
		rc = MMDB_open(paths[k], MMDB_MODE_MMAP, &f->db);
		if (rc != MMDB_SUCCESS) {
			/* libmaxminddb keeps open(2)'s errno for these two:
			 * "No such file or directory" says more than its text. */
			int io = (rc == MMDB_FILE_OPEN_ERROR || rc == MMDB_IO_ERROR) &&
				 errno != 0;

			snprintf(err, errlen, "%s: %s", paths[k],
				 io ? strerror(errno) : MMDB_strerror(rc));
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

/*
 * The length of the valid UTF-8 character at s (n bytes left), or 0.
 * Overlong forms, surrogates and code points past U+10FFFF are invalid:
 * jansson refuses them, and the JSON report must not lose a row.
 */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	size_t len, k;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * The kept copy of a name of len bytes (not NUL-terminated in the file):
 * invalid UTF-8 and control characters (a NUL would cut it, a newline
 * break a text report's line) become '?', and it is cut at GEO_ORG_MAX
 * bytes between characters. NULL on ENOMEM.
 */
static const char *org_intern(struct geo *g, const char *s, uint32_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	char buf[GEO_ORG_MAX + 1];
	struct org_entry *e;
	size_t i = 0, o = 0, c;
	uint64_t h;

	while (i < len) {
		c = utf8_char(u + i, len - i);
		if (c == 0 || (c == 1 && (u[i] < 0x20 || u[i] == 0x7f))) {
			if (o + 1 > GEO_ORG_MAX)
				break;
			buf[o++] = '?';
			i += c ? c : 1;
			continue;
		}
		if (o + c > GEO_ORG_MAX)
			break;
		memcpy(buf + o, u + i, c);
		o += c;
		i += c;
	}
	buf[o] = '\0';
	h = htab_hash(buf, o);
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
	} else if (rc != MMDB_SUCCESS) {
		g->counts.errors++;
	}
	if (out->asn == 0)
		return;
	/* A carrier without a name is still a carrier: the ASN stays. */
	rc = MMDB_get_value(entry, &v, "autonomous_system_organization", NULL);
	if (rc == MMDB_SUCCESS && v.has_data) {
		if (v.type != MMDB_DATA_TYPE_UTF8_STRING)
			g->counts.errors++;
		else if ((out->as_org = org_intern(g, v.utf8_string,
						   v.data_size)) == NULL)
			g->counts.errors++;
	} else if (rc != MMDB_SUCCESS) {
		g->counts.errors++;
	}
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
	} else if (rc != MMDB_SUCCESS) {
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
