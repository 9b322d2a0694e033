/*
 * test_config.c - port lists, queue ranges, config file and command line
 * (src/config.c).
 *
 * config_load() prints its complaints on stderr: the tests point fd 2 at
 * a temporary file around the call and then read what was said.
 *
 * getopt keeps state between calls, so every test makes one config_load()
 * call and relies on Check running it in a child of its own (the default
 * CK_FORK=yes); test_load_twice is about the second call on purpose.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "evidence.h"

#define ARGC(a)	((int)(sizeof(a) / sizeof((a)[0])) - 1)	/* NULL-terminated */

static char said[8192];		/* what the last call printed on stderr */

/* Run config_load with stderr (and stdout) captured into said[]. */
static int load(struct config *cfg, int argc, char **argv)
{
	char path[] = "/tmp/gapwatch-test-stderr-XXXXXX";
	int fd = mkstemp(path), saved_err, saved_out, rc;
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	unlink(path);
	fflush(stderr);
	fflush(stdout);
	saved_err = dup(2);
	saved_out = dup(1);
	ck_assert_int_ge(saved_err, 0);
	ck_assert_int_ge(saved_out, 0);
	ck_assert_int_eq(dup2(fd, 2), 2);
	ck_assert_int_eq(dup2(fd, 1), 1);
	rc = config_load(cfg, argc, argv);
	fflush(stderr);
	fflush(stdout);
	dup2(saved_err, 2);
	dup2(saved_out, 1);
	close(saved_err);
	close(saved_out);
	n = pread(fd, said, sizeof(said) - 1, 0);
	ck_assert_int_ge(n, 0);
	said[n] = '\0';
	close(fd);
	return rc;
}

/* Write text to a new temporary config file; path receives its name. */
static void write_conf(char *path, size_t len, const char *text)
{
	int fd;

	snprintf(path, len, "/tmp/gapwatch-test-conf-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void said_has(const char *what)
{
	ck_assert_msg(strstr(said, what) != NULL, "expected \"%s\" in: %s", what,
		      said);
}

/* --- portset_parse --- */

START_TEST(test_ports_good)
{
	struct portset s;
	char err[128];

	ck_assert_int_eq(portset_parse(&s, "7781", err, sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 1);
	ck_assert(portset_has(&s, 7781));
	ck_assert(!portset_has(&s, 7780));
	ck_assert(!portset_has(&s, 7782));
	ck_assert(!portset_has(&s, 0));

	ck_assert_int_eq(portset_parse(&s, "7000-7010,7781", err, sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 12);
	ck_assert(portset_has(&s, 7000));
	ck_assert(portset_has(&s, 7005));
	ck_assert(portset_has(&s, 7010));
	ck_assert(portset_has(&s, 7781));
	ck_assert(!portset_has(&s, 6999));
	ck_assert(!portset_has(&s, 7011));
	ck_assert(!portset_has(&s, 7781 - 64));	/* the same bit, a word down */

	/* Cleared first: nothing of the previous list remains. */
	ck_assert_int_eq(portset_parse(&s, "1,65535", err, sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 2);
	ck_assert(portset_has(&s, 1));
	ck_assert(portset_has(&s, 65535));
	ck_assert(!portset_has(&s, 7781));

	/* Overlaps count once. */
	ck_assert_int_eq(portset_parse(&s, "7781,7780-7782,7781", err,
				       sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 3);

	ck_assert_int_eq(portset_parse(&s, "1-65535", err, sizeof(err)), 0);
	ck_assert_uint_eq(s.count, 65535);
	ck_assert(!portset_has(&s, 0));
	ck_assert(portset_has(&s, 65535));
}
END_TEST

START_TEST(test_ports_bad)
{
	static const char *const bad[] = {
		"", "0", "70000", "10-5", "abc", "1,,2", "7781-", ",7781",
		"7781,", " 7781", "7781 ", "-5", "0-10", "7781x", "65536",
		"1-65536", "99999999999999999999", "7000-7010-7020", "+7781",
	};
	struct portset s;
	char err[128];
	size_t k;

	for (k = 0; k < GW_ARRAY_SIZE(bad); k++) {
		err[0] = '\0';
		ck_assert_msg(portset_parse(&s, bad[k], err, sizeof(err)) == -1,
			      "'%s' accepted", bad[k]);
		ck_assert_msg(err[0] != '\0', "no reason for '%s'", bad[k]);
	}
	/* The reasons name what was wrong. */
	portset_parse(&s, "", err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "empty"));
	portset_parse(&s, "70000", err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "70000"));
	portset_parse(&s, "abc", err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "abc"));
	portset_parse(&s, "10-5", err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "10-5"));
}
END_TEST

/* --- queue_range_parse --- */

START_TEST(test_queue_range)
{
	static const char *const bad[] = {
		"5-2", "65536", "0-100", "", "abc", "1-", "-1", "1x", "1-2-3",
		"0-65535", "99999999999999999999",
	};
	uint16_t first = 99, count = 99;
	char err[128];
	size_t k;

	ck_assert_int_eq(queue_range_parse("0", &first, &count, err, sizeof(err)), 0);
	ck_assert_uint_eq(first, 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(queue_range_parse("2-5", &first, &count, err, sizeof(err)), 0);
	ck_assert_uint_eq(first, 2);
	ck_assert_uint_eq(count, 4);
	ck_assert_int_eq(queue_range_parse("65535", &first, &count, err,
					   sizeof(err)), 0);
	ck_assert_uint_eq(first, 65535);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(queue_range_parse("0-63", &first, &count, err,
					   sizeof(err)), 0);
	ck_assert_uint_eq(count, QUEUES_MAX);
	ck_assert_int_eq(queue_range_parse("7-7", &first, &count, err,
					   sizeof(err)), 0);
	ck_assert_uint_eq(first, 7);
	ck_assert_uint_eq(count, 1);

	for (k = 0; k < GW_ARRAY_SIZE(bad); k++) {
		first = 99;
		count = 99;
		err[0] = '\0';
		ck_assert_msg(queue_range_parse(bad[k], &first, &count, err,
						sizeof(err)) == -1,
			      "'%s' accepted", bad[k]);
		ck_assert_msg(err[0] != '\0', "no reason for '%s'", bad[k]);
		/* A failed parse leaves the outputs alone. */
		ck_assert_uint_eq(first, 99);
		ck_assert_uint_eq(count, 99);
	}
	queue_range_parse("0-100", &first, &count, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "101"));
	ck_assert_ptr_nonnull(strstr(err, "64"));
	queue_range_parse("5-2", &first, &count, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "5-2"));
}
END_TEST

/* --- config_load --- */

START_TEST(test_load_defaults)
{
	char *argv[] = { "gapwatchd", "--ports", "7781", NULL };
	struct config cfg;

	ck_assert_int_eq(load(&cfg, ARGC(argv), argv), 0);
	ck_assert_str_eq(said, "");
	ck_assert(portset_has(&cfg.ports, 7781));
	ck_assert_uint_eq(cfg.ports.count, 1);
	ck_assert_uint_eq(cfg.queue_first, 0);
	ck_assert_uint_eq(cfg.queue_count, 1);
	ck_assert_uint_eq(cfg.engine.gap_min_us,
			  ENGINE_GAP_MIN_MS * USEC_PER_MSEC);
	ck_assert_uint_eq(cfg.engine.gap_factor, ENGINE_GAP_FACTOR);
	ck_assert_uint_eq(cfg.engine.max_flows, ENGINE_MAX_FLOWS);
	ck_assert_uint_eq(cfg.engine.flow_timeout_us,
			  ENGINE_FLOW_TIMEOUT_S * USEC_PER_SEC);
	ck_assert_uint_eq(cfg.engine.reconnect_window_us,
			  ENGINE_RECONNECT_WINDOW_S * USEC_PER_SEC);
	ck_assert_uint_eq(cfg.engine.closed_linger_us,
			  ENGINE_CLOSED_LINGER_S * USEC_PER_SEC);
	ck_assert_uint_eq(cfg.engine.invalid_mark, ENGINE_INVALID_MARK);
	ck_assert_uint_eq(cfg.engine.evidence_packets, EVIDENCE_RING_DEFAULT);
	ck_assert_uint_eq(cfg.queue.maxlen, QUEUE_MAXLEN);
	ck_assert_uint_eq(cfg.queue.copy_range, QUEUE_COPY_RANGE);
	ck_assert_uint_eq(cfg.queue.wait_ms * USEC_PER_MSEC, ENGINE_TICK_US);
	ck_assert_uint_eq(cfg.ct.connmark, CT_CONNMARK);
	ck_assert_uint_eq(cfg.ct.max_tracked, ENGINE_MAX_FLOWS);
	ck_assert_uint_eq(cfg.probe.mark, PROBE_MARK_DEFAULT);
	ck_assert_uint_eq(cfg.probe.timeout_ms, PROBE_TIMEOUT_MS_DEFAULT);
	ck_assert_uint_eq(cfg.stats_interval_s, CONFIG_STATS_INTERVAL_S);
	ck_assert_uint_eq(cfg.pcap_max_mb, CONFIG_PCAP_MAX_MB);
	ck_assert_int_eq(cfg.probing, 0);
	ck_assert_str_eq(cfg.output, "/var/log/gapwatch/gaps.jsonl");
	ck_assert_ptr_null(cfg.read_file);
	ck_assert_ptr_null(cfg.config_file);
	ck_assert_int_eq(cfg.foreground, 0);
	ck_assert_int_eq(cfg.check_only, 0);
}
END_TEST

START_TEST(test_load_options)
{
	char *argv[] = {
		"gapwatchd", "-p", "7000-7010", "-q", "2-5", "--gap-min", "500",
		"--gap-factor", "4", "--max-flows", "1000", "-f", "-v", "-n",
		"-o", "/tmp/out.jsonl", "--stats-interval", "0", "--probe",
		"--probe-udp-payload", "0x4757", "--probe-ladder-interval-ms", "0",
		NULL,
	};
	struct config cfg;

	ck_assert_int_eq(load(&cfg, ARGC(argv), argv), 0);
	ck_assert_uint_eq(cfg.ports.count, 11);
	ck_assert_uint_eq(cfg.queue_first, 2);
	ck_assert_uint_eq(cfg.queue_count, 4);
	ck_assert_uint_eq(cfg.engine.gap_min_us, 500 * USEC_PER_MSEC);
	ck_assert_uint_eq(cfg.engine.gap_factor, 4);
	ck_assert_uint_eq(cfg.engine.max_flows, 1000);
	ck_assert_uint_eq(cfg.stats_interval_s, 0);
	ck_assert_int_eq(cfg.foreground, 1);
	ck_assert_int_eq(cfg.verbose, 1);
	ck_assert_int_eq(cfg.check_only, 1);
	ck_assert_str_eq(cfg.output, "/tmp/out.jsonl");
	ck_assert_int_eq(cfg.probing, 1);
	ck_assert_uint_eq(cfg.probe.udp_payload.len, 2);
	ck_assert_uint_eq(cfg.probe.udp_payload.bytes[1], 0x57);
	ck_assert_uint_eq(cfg.probe.ladder_interval_ms, 0);
	ck_assert_uint_eq(cfg.probe.max_ladders, PROBE_LADDERS_DEFAULT);
}
END_TEST

/*
 * Every option lands in its module's own configuration, in the module's
 * unit; the largest values fit (a day of flow timeout in microseconds),
 * and every module's port set is the one parsed.
 */
START_TEST(test_load_into_modules)
{
	char *argv[] = {
		"gapwatchd", "-p", "7781", "--flow-timeout", "86400",
		"--gap-min", "3600000", "--reconnect-window", "3600",
		"--max-flows", "5000", "--queue-maxlen", "8", "--copy-range",
		"128", "--rcvbuf", "65536", "--invalid-mark", "0x1",
		"--untracked-mark", "0", "--connmark", "0x2", "--pcap-packets",
		"0", "--probe-mark", "0x4", "--probe-max-ttl", "9",
		"--probe-pace-ms", "7", "--probe-rate", "11",
		"--probe-client-interval", "12", "--probe-timeout-ms", "13",
		"--probe-max-ladders", "14", NULL,
	};
	struct config cfg;

	ck_assert_int_eq(load(&cfg, ARGC(argv), argv), 0);
	ck_assert_str_eq(said, "");
	ck_assert_uint_eq(cfg.engine.flow_timeout_us, 86400 * USEC_PER_SEC);
	ck_assert_uint_eq(cfg.engine.gap_min_us, 3600000 * USEC_PER_MSEC);
	ck_assert_uint_eq(cfg.engine.reconnect_window_us, 3600 * USEC_PER_SEC);
	ck_assert_uint_eq(cfg.engine.max_flows, 5000);
	ck_assert_uint_eq(cfg.ct.max_tracked, 5000);
	ck_assert_uint_eq(cfg.queue.maxlen, 8);	/* a tiny queue is allowed */
	ck_assert_uint_eq(cfg.queue.copy_range, 128);
	ck_assert_uint_eq(cfg.queue.rcvbuf, 65536);
	ck_assert_uint_eq(cfg.engine.invalid_mark, 0x1);
	ck_assert_uint_eq(cfg.engine.untracked_mark, 0);
	ck_assert_uint_eq(cfg.ct.connmark, 0x2);
	ck_assert_uint_eq(cfg.engine.evidence_packets, 0);
	ck_assert_uint_eq(cfg.probe.mark, 0x4);
	ck_assert_uint_eq(cfg.probe.max_ttl, 9);
	ck_assert_uint_eq(cfg.probe.pace_ms, 7);
	ck_assert_uint_eq(cfg.probe.rate, 11);
	ck_assert_uint_eq(cfg.probe.client_interval_s, 12);
	ck_assert_uint_eq(cfg.probe.timeout_ms, 13);
	ck_assert_uint_eq(cfg.probe.max_ladders, 14);
	ck_assert_ptr_eq(cfg.engine.ports, &cfg.ports);
	ck_assert_ptr_eq(cfg.ct.ports, &cfg.ports);
	ck_assert_ptr_eq(cfg.probe.ports, &cfg.ports);
}
END_TEST

/*
 * Each case below is one config_load() call in a test of its own: Check
 * runs every test in a fresh child, so getopt starts from scratch. What
 * happens on a second call in one process is test_load_twice's business.
 */
struct bad_cmdline {
	const char *argv[10];
	const char *says[2];
};

static const struct bad_cmdline bad_cmdlines[] = {
	{ { "gapwatchd", "-f" }, { "--ports" } },
	{ { "gapwatchd", "--ports", "7781", "--gap-min", "abc" },
	  { "--gap-min", "'abc'" } },
	{ { "gapwatchd", "--ports", "7781", "--max-flows", "15" },
	  { "--max-flows", "16" } },
	{ { "gapwatchd", "--ports", "7781", "--gap-min", "" },
	  { "--gap-min" } },
	{ { "gapwatchd", "--ports", "7781", "--gap-min", "-5" },
	  { "--gap-min", "'-5'" } },
	{ { "gapwatchd", "--ports", "7781", "--gap-factor", "101" },
	  { "--gap-factor", "1..100" } },
	{ { "gapwatchd", "--ports", "7781", "--queue-maxlen", "0" },
	  { "--queue-maxlen", "1..1048576" } },
	{ { "gapwatchd", "--ports", "0" }, { "--ports", "ports" } },
	{ { "gapwatchd", "--ports", "7781", "-q", "0-100" },
	  { "--queue", "101" } },
	{ { "gapwatchd", "--ports", "7781", "--bogus" }, { "usage" } },
	{ { "gapwatchd", "--ports", "7781", "stray" }, { "'stray'" } },
	{ { "gapwatchd", "--ports", "7781", "--gap-min" }, { "usage" } },
	{ { "gapwatchd", "-c", "/nonexistent/gapwatchd.conf", "--ports", "7781" },
	  { "/nonexistent/gapwatchd.conf" } },
	{ { "gapwatchd", "--ports", "7781", "--probe-udp-payload", "475" },
	  { "--probe-udp-payload", "'475'" } },
	{ { "gapwatchd", "--ports", "7781", "--probe-udp-payload", "g0" },
	  { "--probe-udp-payload", "hex" } },
	{ { "gapwatchd", "--ports", "7781", "--probe-max-ladders", "0" },
	  { "--probe-max-ladders", "1..256" } },
};

static int argv_of(const char *const *src, char **dst)
{
	int n = 0;

	while (src[n]) {
		dst[n] = (char *)src[n];
		n++;
	}
	dst[n] = NULL;
	return n;
}

START_TEST(test_load_bad_cmdline)
{
	const struct bad_cmdline *b = &bad_cmdlines[_i];
	char *argv[11];
	int argc = argv_of(b->argv, argv), k;
	struct config cfg;

	ck_assert_int_eq(load(&cfg, argc, argv), -1);
	for (k = 0; k < 2 && b->says[k]; k++)
		said_has(b->says[k]);
}
END_TEST

START_TEST(test_load_read_implies)
{
	char *argv[] = { "gapwatchd", "--ports", "7781", "--read", "x.pcap", NULL };
	struct config cfg;

	ck_assert_int_eq(load(&cfg, ARGC(argv), argv), 0);
	ck_assert_str_eq(cfg.read_file, "x.pcap");
	ck_assert_int_eq(cfg.foreground, 1);
	ck_assert_str_eq(cfg.output, "-");
}
END_TEST

START_TEST(test_load_read_with_output)
{
	char *argv[] = { "gapwatchd", "--read", "x.pcap", "-o", "out.jsonl",
			 "--ports", "7781", NULL };
	struct config cfg;

	ck_assert_int_eq(load(&cfg, ARGC(argv), argv), 0);
	ck_assert_str_eq(cfg.output, "out.jsonl");
	ck_assert_int_eq(cfg.foreground, 1);
}
END_TEST

START_TEST(test_load_help)
{
	char *argv[] = { "gapwatchd", "--ports", "7781", "--help", NULL };
	struct config cfg;

	ck_assert_int_eq(load(&cfg, ARGC(argv), argv), 1);
	said_has("usage: gapwatchd");
}
END_TEST

START_TEST(test_load_version)
{
	char *argv[] = { "gapwatchd", "-V", NULL };
	struct config cfg;

	ck_assert_int_eq(load(&cfg, ARGC(argv), argv), 1);
	said_has("gapwatchd ");
}
END_TEST

START_TEST(test_load_file)
{
	char path[64], *argv[] = { "gapwatchd", "-c", path, NULL };
	struct config cfg;

	write_conf(path, sizeof(path),
		   "# gapwatchd.conf\n"
		   "\n"
		   "ports = 7781\n"
		   "  gap-min = 500   # half a second\n"
		   "gap-factor=4\n"
		   "foreground = yes\n"
		   "output = /tmp/from-file.jsonl\n"
		   "queue = 3\n"
		   "flow-timeout = 60");		/* no final newline */
	ck_assert_int_eq(load(&cfg, ARGC(argv), argv), 0);
	ck_assert_str_eq(said, "");
	ck_assert(portset_has(&cfg.ports, 7781));
	ck_assert_uint_eq(cfg.ports.count, 1);
	ck_assert_uint_eq(cfg.engine.gap_min_us, 500 * USEC_PER_MSEC);
	ck_assert_uint_eq(cfg.engine.gap_factor, 4);
	ck_assert_int_eq(cfg.foreground, 1);
	ck_assert_str_eq(cfg.output, "/tmp/from-file.jsonl");
	ck_assert_uint_eq(cfg.queue_first, 3);
	ck_assert_uint_eq(cfg.queue_count, 1);
	ck_assert_uint_eq(cfg.engine.flow_timeout_us, 60 * USEC_PER_SEC);
	ck_assert_str_eq(cfg.config_file, path);
	unlink(path);
}
END_TEST

struct bad_file {
	const char *text;
	unsigned int line;
	const char *says;
};

static const struct bad_file bad_files[] = {
	{ "ports = 7781\n# fine\ngap-min = 500\nthis line has no equals sign\n",
	  4, "name = value" },
	{ "ports = 7781\ngap-min = abc\n", 2, "gap-min" },
	{ "\n\nnot-an-option = 1\nports = 7781\n", 3, "not-an-option" },
	{ "ports = 7781\ncheck = yes\n", 2, "check" },	/* -n only */
	{ "ports = 7781\nforeground = maybe\n", 2, "maybe" },
	{ "ports = 70000\n", 1, "70000" },
	{ "ports = 7781\noutput =\n", 2, "output" },
};

START_TEST(test_load_file_bad_line)
{
	const struct bad_file *b = &bad_files[_i];
	char path[64], where[96], *argv[] = { "gapwatchd", "-c", path, NULL };
	struct config cfg;

	write_conf(path, sizeof(path), b->text);
	ck_assert_int_eq(load(&cfg, ARGC(argv), argv), -1);
	snprintf(where, sizeof(where), "%s:%u:", path, b->line);
	said_has(where);
	said_has(b->says);
	unlink(path);
}
END_TEST

/* Loop 0: options before -c; loop 1: after it. Either way they win. */
START_TEST(test_load_command_line_overrides_file)
{
	char path[64];
	char *before[] = { "gapwatchd", "--gap-min", "700", "--ports", "9000",
			   "-c", path, NULL };
	char *after[] = { "gapwatchd", "-c", path, "--gap-min", "700", "--ports",
			  "9000", NULL };
	struct config cfg;

	write_conf(path, sizeof(path),
		   "ports = 7781\ngap-min = 500\ngap-factor = 5\n");
	if (_i == 0)
		ck_assert_int_eq(load(&cfg, ARGC(before), before), 0);
	else
		ck_assert_int_eq(load(&cfg, ARGC(after), after), 0);
	ck_assert_uint_eq(cfg.engine.gap_min_us, 700 * USEC_PER_MSEC);
	ck_assert_uint_eq(cfg.engine.gap_factor, 5);		/* from the file */
	ck_assert(portset_has(&cfg.ports, 9000));
	ck_assert(!portset_has(&cfg.ports, 7781));	/* replaced, not added */
	ck_assert_uint_eq(cfg.ports.count, 1);
	unlink(path);
}
END_TEST

/*
 * config_load() is a plain function: called a second time in a process
 * (a reload, a tool checking several files, a test), it must read its
 * new argv from the start, -c included, whatever getopt's state after
 * the first call.
 */
START_TEST(test_load_twice)
{
	char path[64];
	char *first[] = { "gapwatchd", "--ports", "7781", NULL };
	char *second[] = { "gapwatchd", "-c", path, "--gap-min", "700", NULL };
	struct config cfg;

	write_conf(path, sizeof(path), "ports = 7781\ngap-min = 500\ngap-factor = 5\n");
	ck_assert_int_eq(load(&cfg, ARGC(first), first), 0);
	ck_assert_int_eq(load(&cfg, ARGC(second), second), 0);
	ck_assert_uint_eq(cfg.engine.gap_factor, 5);
	ck_assert_uint_eq(cfg.engine.gap_min_us, 700 * USEC_PER_MSEC);
	ck_assert(portset_has(&cfg.ports, 7781));
	unlink(path);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_ports_good);
	tcase_add_test(tc, test_ports_bad);
	tcase_add_test(tc, test_queue_range);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, test_load_defaults);
	tcase_add_test(tc, test_load_options);
	tcase_add_test(tc, test_load_into_modules);
	tcase_add_loop_test(tc, test_load_bad_cmdline, 0,
			    (int)GW_ARRAY_SIZE(bad_cmdlines));
	tcase_add_test(tc, test_load_read_implies);
	tcase_add_test(tc, test_load_read_with_output);
	tcase_add_test(tc, test_load_help);
	tcase_add_test(tc, test_load_version);
	tcase_add_test(tc, test_load_file);
	tcase_add_loop_test(tc, test_load_file_bad_line, 0,
			    (int)GW_ARRAY_SIZE(bad_files));
	tcase_add_loop_test(tc, test_load_command_line_overrides_file, 0, 2);
	tcase_add_test(tc, test_load_twice);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
