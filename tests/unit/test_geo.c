/*
 * test_geo.c - carriers and countries from MMDB files (reader/geo.c).
 *
 * The databases are made at run time by rigs/mkmmdb (MaxMind::DB::Writer,
 * a build dependency: a missing module fails the test, it does not skip)
 * from the networks in NETS below, so that every expected value is in this
 * file. Odd databases (wrong value types, no known fields) come from a
 * few lines of Perl written next to them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memmem */
#endif
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "../../reader/geo.h"

#ifndef TOP_SRCDIR
#error "TOP_SRCDIR: the source tree, for rigs/mkmmdb (set in Makefile.am)"
#endif

/* 200 bytes of name: cut to GEO_ORG_MAX. */
#define LONG_ORG	"Long Carrier Name Of Some Length Indeed 0123456789 " \
			"Long Carrier Name Of Some Length Indeed 0123456789 " \
			"Long Carrier Name Of Some Length Indeed 0123456789 " \
			"Long Carrier Name Of Some Length Indeed 0123456"
/* 127 bytes, then a 2-byte character that would end at byte 129. */
#define EDGE_ORG_127	"Edge Carrier 0123456789 0123456789 0123456789 " \
			"0123456789 0123456789 0123456789 0123456789 " \
			"0123456789 0123456789 0123456789 0123"
#define EDGE_ORG	EDGE_ORG_127 "\xc3\xa9"

/*
 * PREFIX ASN ORG COUNTRY; an ASN of 0 or a country of "-": none.
 * 198.18.2.0/24 has a country and no carrier; 203.0.113.0/24 and
 * 2001:db8:ff::/48 are in no file.
 */
static const char NETS[] =
	"198.18.0.0/24\t64500\tExample Carrier\tDE\n"
	"198.18.1.0/24\t64501\tCarri\xc3\xa8re \xc3\x89xemple\tFR\n"
	"198.18.2.0/24\t0\t-\tUS\n"
	"198.18.3.0/24\t64503\t" LONG_ORG "\tGB\n"
	"198.18.4.0/24\t64504\t" EDGE_ORG "\tIT\n"
	"2001:db8:1::/48\t64502\tExample V6\tNL\n";

static char dir[64];
static char p_asn[128], p_country[128], p_asn4[128], p_country4[128];
static char p_typed[128];

static void must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "test_geo: %s failed: %s\n", what, strerror(errno));
		exit(EXIT_FAILURE);
	}
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	must(f != NULL, path);
	must(fwrite(data, 1, len, f) == len, path);
	must(fclose(f) == 0, path);
}

static void run(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0) {
		fprintf(stderr, "test_geo: '%s' failed (status %d): is "
			"libmaxmind-db-writer-perl installed? (tools/install-deps)\n",
			cmd, rc);
		exit(EXIT_FAILURE);
	}
}

/* The test databases, from NETS by rigs/mkmmdb. */
static void make_databases(void)
{
	char tsv[128], cmd[1024];

	snprintf(dir, sizeof(dir), "%s/test_geo.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	must(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(tsv, sizeof(tsv), "%s/nets.tsv", dir);
	write_file(tsv, NETS, sizeof(NETS) - 1);
	snprintf(p_asn, sizeof(p_asn), "%s/asn.mmdb", dir);
	snprintf(p_country, sizeof(p_country), "%s/country.mmdb", dir);
	snprintf(p_asn4, sizeof(p_asn4), "%s/asn4.mmdb", dir);
	snprintf(p_country4, sizeof(p_country4), "%s/country4.mmdb", dir);
	snprintf(p_typed, sizeof(p_typed), "%s/typed.mmdb", dir);
	snprintf(cmd, sizeof(cmd), "perl '%s/rigs/mkmmdb' --asn '%s' --country '%s' <'%s'",
		 TOP_SRCDIR, p_asn, p_country, tsv);
	run(cmd);
	snprintf(cmd, sizeof(cmd), "perl '%s/rigs/mkmmdb' --ipv4-only --asn '%s' "
		 "--country '%s' <'%s'", TOP_SRCDIR, p_asn4, p_country4, tsv);
	run(cmd);
	/* A type that names nothing: the kind must come from the records. */
	snprintf(cmd, sizeof(cmd), "perl '%s/rigs/mkmmdb' --database-type "
		 "Example-Networks --asn '%s' <'%s'", TOP_SRCDIR, p_typed, tsv);
	run(cmd);
}

/*
 * An odd database at dir/NAME.mmdb: one network, ::198.18.0.0/120 (the
 * IPv4 198.18.0.0/24), whose record is the Perl expression data with the
 * key types of the Perl expression types. Returns the path (static).
 */
static const char *odd_db(const char *name, const char *dbtype,
			  const char *types, const char *data)
{
	static char path[128];
	char script[128], cmd[2048];
	static const char prog[] =
		"use strict; use warnings; use MaxMind::DB::Writer::Tree;\n"
		"my ($out, $type, $types, $data) = @ARGV;\n"
		"$types = eval \"+$types\" or die $@; $data = eval \"+$data\" or die $@;\n"
		"my $t = MaxMind::DB::Writer::Tree->new(ip_version => 6,\n"
		"  record_size => 24, database_type => $type, languages => ['en'],\n"
		"  description => { en => 'gapwatch test' },\n"
		"  remove_reserved_networks => 0, alias_ipv6_to_ipv4 => 1,\n"
		"  map_key_type_callback => sub { $types->{ $_[0] } });\n"
		"$t->insert_network('::198.18.0.0/120', $data);\n"
		"open(my $fh, '>:raw', $out) or die \"$out: $!\";\n"
		"$t->write_tree($fh); close($fh) or die \"$out: $!\";\n";

	snprintf(script, sizeof(script), "%s/odd.pl", dir);
	write_file(script, prog, sizeof(prog) - 1);
	snprintf(path, sizeof(path), "%s/%s.mmdb", dir, name);
	snprintf(cmd, sizeof(cmd), "perl '%s' '%s' '%s' '%s' '%s'", script, path,
		 dbtype, types, data);
	run(cmd);
	return path;
}

static void remove_databases(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (dir[0] && system(cmd) != 0)
		fprintf(stderr, "test_geo: cannot remove %s\n", dir);
}

static struct in6_addr ip(const char *s)
{
	struct in6_addr a;
	struct in_addr v4;

	if (inet_pton(AF_INET, s, &v4) == 1)
		addr_from_v4(&a, &v4);
	else
		ck_assert_int_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct geo *open2(const char *a, const char *b)
{
	const char *paths[2] = { a, b };
	char err[512] = "";
	struct geo *g = geo_open(paths, b ? 2 : 1, err, sizeof(err));

	ck_assert_msg(g != NULL, "geo_open: %s", err);
	return g;
}

/* geo_open that must fail; the reason is left in err. */
static void open_fails(const char *path, char *err, size_t errlen)
{
	const char *paths[1] = { path };

	err[0] = '\0';
	ck_assert_ptr_null(geo_open(paths, 1, err, errlen));
	ck_assert_msg(strstr(err, path) != NULL, "'%s' does not name %s", err, path);
}

static struct geo_info look(struct geo *g, const char *addr)
{
	struct in6_addr a = ip(addr);
	struct geo_info gi;

	geo_lookup(g, &a, &gi);
	return gi;
}

static void counts_are(struct geo *g, uint64_t lookups, uint64_t asn_unknown,
		       uint64_t country_unknown, uint64_t errors)
{
	const struct geo_counts *c = geo_counts(g);

	ck_assert_uint_eq(c->lookups, lookups);
	ck_assert_uint_eq(c->asn_unknown, asn_unknown);
	ck_assert_uint_eq(c->country_unknown, country_unknown);
	ck_assert_uint_eq(c->errors, errors);
}

START_TEST(test_ipv4)
{
	struct geo *g = open2(p_asn, p_country);
	struct geo_info gi;

	ck_assert_int_eq(geo_has_asn(g), 1);
	ck_assert_int_eq(geo_has_country(g), 1);
	gi = look(g, "198.18.0.7");
	ck_assert_uint_eq(gi.asn, 64500);
	ck_assert_str_eq(gi.as_org, "Example Carrier");
	ck_assert_str_eq(gi.country, "DE");
	/* The UTF-8 name arrives as it was written. */
	gi = look(g, "198.18.1.200");
	ck_assert_uint_eq(gi.asn, 64501);
	ck_assert_str_eq(gi.as_org, "Carri\xc3\xa8re \xc3\x89xemple");
	ck_assert_str_eq(gi.country, "FR");
	counts_are(g, 2, 0, 0, 0);
	geo_close(g);
}
END_TEST

START_TEST(test_ipv6)
{
	struct geo *g = open2(p_country, p_asn);	/* either order */
	struct geo_info gi = look(g, "2001:db8:1:2::5");

	ck_assert_uint_eq(gi.asn, 64502);
	ck_assert_str_eq(gi.as_org, "Example V6");
	ck_assert_str_eq(gi.country, "NL");
	counts_are(g, 1, 0, 0, 0);
	geo_close(g);
}
END_TEST

START_TEST(test_unknown)
{
	struct geo *g = open2(p_asn, p_country);
	struct geo_info gi;

	gi = look(g, "203.0.113.5");
	ck_assert_uint_eq(gi.asn, 0);
	ck_assert_ptr_null(gi.as_org);
	ck_assert_str_eq(gi.country, "");
	counts_are(g, 1, 1, 1, 0);
	gi = look(g, "2001:db8:ff::1");
	ck_assert_uint_eq(gi.asn, 0);
	ck_assert_ptr_null(gi.as_org);
	ck_assert_str_eq(gi.country, "");
	counts_are(g, 2, 2, 2, 0);
	/* A country and no carrier: only the carrier is unknown. */
	gi = look(g, "198.18.2.1");
	ck_assert_uint_eq(gi.asn, 0);
	ck_assert_ptr_null(gi.as_org);
	ck_assert_str_eq(gi.country, "US");
	counts_are(g, 3, 3, 2, 0);
	geo_close(g);
}
END_TEST

/* The names are interned: one pointer per name, valid until geo_close. */
START_TEST(test_org_interned)
{
	struct geo *g = open2(p_asn, NULL);
	const char *first = look(g, "198.18.0.1").as_org;
	char addr[32];
	unsigned int k;

	for (k = 0; k < 300; k++) {
		snprintf(addr, sizeof(addr), "198.18.%u.%u", k % 5, k % 256);
		(void)look(g, addr);
	}
	ck_assert_ptr_eq(look(g, "198.18.0.254").as_org, first);
	ck_assert_str_eq(first, "Example Carrier");
	/* No country file: a country is not asked for, nor counted. */
	counts_are(g, 302, 60, 0, 0);
	geo_close(g);
}
END_TEST

START_TEST(test_org_cut)
{
	struct geo *g = open2(p_asn, NULL);
	struct geo_info gi = look(g, "198.18.3.1");

	ck_assert_uint_eq(strlen(LONG_ORG), 200);
	ck_assert_uint_eq(strlen(gi.as_org), GEO_ORG_MAX);
	ck_assert_int_eq(strncmp(gi.as_org, LONG_ORG, GEO_ORG_MAX), 0);
	/* Cut between characters: the 2-byte one that would cross goes. */
	ck_assert_uint_eq(strlen(EDGE_ORG_127), 127);
	gi = look(g, "198.18.4.1");
	ck_assert_str_eq(gi.as_org, EDGE_ORG_127);
	counts_are(g, 2, 0, 0, 0);
	geo_close(g);
}
END_TEST

START_TEST(test_ipv4_only)
{
	struct geo *g = open2(p_asn4, p_country4);
	struct geo_info gi;

	gi = look(g, "198.18.0.7");
	ck_assert_uint_eq(gi.asn, 64500);
	ck_assert_str_eq(gi.as_org, "Example Carrier");
	ck_assert_str_eq(gi.country, "DE");
	/* IPv6 in an IPv4 database: unknown, not an error. */
	gi = look(g, "2001:db8:1::5");
	ck_assert_uint_eq(gi.asn, 0);
	ck_assert_ptr_null(gi.as_org);
	ck_assert_str_eq(gi.country, "");
	counts_are(g, 2, 1, 1, 0);
	geo_close(g);
}
END_TEST

/* An IPv4 file and an IPv6 one: each answers what it knows. */
START_TEST(test_mixed_versions)
{
	struct geo *g = open2(p_asn4, p_country);
	struct geo_info gi = look(g, "2001:db8:1::5");

	ck_assert_uint_eq(gi.asn, 0);
	ck_assert_str_eq(gi.country, "NL");
	counts_are(g, 1, 1, 0, 0);
	geo_close(g);
}
END_TEST

START_TEST(test_country_only)
{
	struct geo *g = open2(p_country, NULL);
	struct geo_info gi;

	ck_assert_int_eq(geo_has_asn(g), 0);
	ck_assert_int_eq(geo_has_country(g), 1);
	gi = look(g, "198.18.0.7");
	ck_assert_uint_eq(gi.asn, 0);
	ck_assert_ptr_null(gi.as_org);
	ck_assert_str_eq(gi.country, "DE");
	counts_are(g, 1, 0, 0, 0);
	geo_close(g);
}
END_TEST

/* database_type "Example-Networks": an ASN file all the same. */
START_TEST(test_kind_from_data)
{
	struct geo *g = open2(p_typed, NULL);

	ck_assert_int_eq(geo_has_asn(g), 1);
	ck_assert_int_eq(geo_has_country(g), 0);
	ck_assert_uint_eq(look(g, "2001:db8:1::1").asn, 64502);
	geo_close(g);
}
END_TEST

START_TEST(test_missing)
{
	char path[160], err[512];

	snprintf(path, sizeof(path), "%s/no-such.mmdb", dir);
	open_fails(path, err, sizeof(err));
	ck_assert_msg(strstr(err, "No such file") != NULL, "%s", err);
	/* The second file missing: the first is closed again (ASan). */
	{
		const char *paths[2] = { p_asn, path };

		ck_assert_ptr_null(geo_open(paths, 2, err, sizeof(err)));
		ck_assert_msg(strstr(err, path) != NULL, "%s", err);
	}
}
END_TEST

START_TEST(test_corrupt)
{
	unsigned char junk[4096], *db;
	char path[160], err[512];
	unsigned int k, seed = 1;
	struct stat st;
	FILE *f;

	for (k = 0; k < sizeof(junk); k++) {
		seed = seed * 1103515245u + 12345u;
		junk[k] = (unsigned char)(seed >> 16);
	}
	snprintf(path, sizeof(path), "%s/random.mmdb", dir);
	write_file(path, junk, sizeof(junk));
	open_fails(path, err, sizeof(err));

	snprintf(path, sizeof(path), "%s/empty.mmdb", dir);
	write_file(path, "", 0);
	open_fails(path, err, sizeof(err));

	/* A real database cut in half: its metadata (at the end) is gone. */
	ck_assert_int_eq(stat(p_asn, &st), 0);
	db = malloc((size_t)st.st_size);
	ck_assert_ptr_nonnull(db);
	f = fopen(p_asn, "rb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(db, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	snprintf(path, sizeof(path), "%s/truncated.mmdb", dir);
	write_file(path, db, (size_t)st.st_size / 2);
	open_fails(path, err, sizeof(err));
	free(db);

	/* A directory is no database either. */
	open_fails(dir, err, sizeof(err));
}
END_TEST

/*
 * A hostile database: a real one with its tree and data scrambled but
 * its metadata kept, so that it opens. Lookups must not crash (ASan
 * watches) and every one is counted, whatever it finds.
 */
START_TEST(test_hostile)
{
	static const char marker[] = "\xab\xcd\xefMaxMind.com";
	const char *srcs[2] = { p_asn, p_typed };
	unsigned int seed = 7, round, s, k;
	unsigned char *db, *meta;
	char path[160], err[512], addr[64];
	struct stat st;
	FILE *f;

	for (s = 0; s < 2; s++) {
		ck_assert_int_eq(stat(srcs[s], &st), 0);
		db = malloc((size_t)st.st_size);
		ck_assert_ptr_nonnull(db);
		f = fopen(srcs[s], "rb");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fread(db, 1, (size_t)st.st_size, f),
				  (size_t)st.st_size);
		fclose(f);
		meta = memmem(db, (size_t)st.st_size, marker, sizeof(marker) - 1);
		ck_assert_ptr_nonnull(meta);
		for (round = 0; round < 20; round++) {
			const char *paths[1] = { path };
			struct geo *g;
			size_t n = (size_t)(meta - db);

			for (k = 0; k < n / 8 + 1; k++) {
				seed = seed * 1103515245u + 12345u;
				db[(seed >> 8) % n] = (unsigned char)(seed >> 20);
			}
			snprintf(path, sizeof(path), "%s/hostile.mmdb", dir);
			write_file(path, db, (size_t)st.st_size);
			err[0] = '\0';
			g = geo_open(paths, 1, err, sizeof(err));
			if (g == NULL) {
				ck_assert_msg(strstr(err, path) != NULL, "%s", err);
				continue;
			}
			for (k = 0; k < 200; k++) {
				struct geo_info gi;

				if (k % 2)
					snprintf(addr, sizeof(addr), "198.18.%u.%u",
						 k % 7, k);
				else
					snprintf(addr, sizeof(addr), "2001:db8:%x::%x",
						 k % 3, k);
				gi = look(g, addr);
				if (gi.as_org)
					ck_assert_uint_le(strlen(gi.as_org), GEO_ORG_MAX);
				ck_assert_uint_le(strlen(gi.country), 2);
			}
			ck_assert_uint_eq(geo_counts(g)->lookups, 200);
			geo_close(g);
		}
		free(db);
	}
}
END_TEST

/* Values of the wrong type, or no such field: errors, left unknown. */
START_TEST(test_wrong_types)
{
	const char *p;
	struct geo *g;
	struct geo_info gi;
	char err[512];

	/* The ASN as a string. */
	p = odd_db("asn-string", "GeoLite2-ASN",
		   "{ autonomous_system_number => q(utf8_string), "
		   "autonomous_system_organization => q(utf8_string) }",
		   "{ autonomous_system_number => q(64500), "
		   "autonomous_system_organization => q(Example) }");
	g = open2(p, NULL);
	gi = look(g, "198.18.0.1");
	ck_assert_uint_eq(gi.asn, 0);
	ck_assert_ptr_null(gi.as_org);
	counts_are(g, 1, 1, 0, 1);
	geo_close(g);

	/* The organisation as a number: the ASN stays, the name is unknown. */
	p = odd_db("org-number", "GeoLite2-ASN",
		   "{ autonomous_system_number => q(uint32), "
		   "autonomous_system_organization => q(uint32) }",
		   "{ autonomous_system_number => 64500, "
		   "autonomous_system_organization => 7 }");
	g = open2(p, NULL);
	gi = look(g, "198.18.0.1");
	ck_assert_uint_eq(gi.asn, 64500);
	ck_assert_ptr_null(gi.as_org);
	counts_are(g, 1, 0, 0, 1);
	geo_close(g);

	/* Control characters in a name: '?', not a broken line. */
	p = odd_db("org-control", "GeoLite2-ASN",
		   "{ autonomous_system_number => q(uint32), "
		   "autonomous_system_organization => q(utf8_string) }",
		   "{ autonomous_system_number => 64500, "
		   "autonomous_system_organization => qq(A\\nB\\x00C\\x7f) }");
	g = open2(p, NULL);
	ck_assert_str_eq(look(g, "198.18.0.1").as_org, "A?B?C?");
	counts_are(g, 1, 0, 0, 0);
	geo_close(g);

	/* A three-letter country, and a country that is a string. */
	p = odd_db("country-3", "GeoLite2-Country",
		   "{ country => q(map), iso_code => q(utf8_string) }",
		   "{ country => { iso_code => q(DEU) } }");
	g = open2(p, NULL);
	ck_assert_str_eq(look(g, "198.18.0.1").country, "");
	counts_are(g, 1, 0, 1, 1);
	geo_close(g);
	p = odd_db("country-string", "GeoLite2-Country",
		   "{ country => q(utf8_string) }", "{ country => q(DE) }");
	g = open2(p, NULL);
	ck_assert_str_eq(look(g, "198.18.0.1").country, "");
	counts_are(g, 1, 0, 1, 1);
	geo_close(g);

	/* Neither carriers nor countries: refused, and said so. */
	p = odd_db("neither", "Example-Other", "{ city => q(utf8_string) }",
		   "{ city => q(Berlin) }");
	open_fails(p, err, sizeof(err));
	ck_assert_msg(strstr(err, "neither") != NULL, "%s", err);
}
END_TEST

START_TEST(test_close_null)
{
	geo_close(NULL);
}
END_TEST

static Suite *geo_suite(void)
{
	Suite *s = suite_create("geo");
	TCase *tc;

	tc = tcase_create("lookup");
	tcase_add_test(tc, test_ipv4);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_unknown);
	tcase_add_test(tc, test_org_interned);
	tcase_add_test(tc, test_org_cut);
	tcase_add_test(tc, test_ipv4_only);
	tcase_add_test(tc, test_mixed_versions);
	tcase_add_test(tc, test_country_only);
	tcase_add_test(tc, test_kind_from_data);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad files");
	/* Perl's writer starts slowly, and ASan slows the scrambled runs. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_wrong_types);
	tcase_add_test(tc, test_close_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	make_databases();
	sr = srunner_create(geo_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_databases();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
