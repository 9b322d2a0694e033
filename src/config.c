/*
 * config.c - defaults, config file, command line.
 *
 * One table describes every option; the config file uses the same names
 * as the long options ("gap-min = 2000"), so there is one set of
 * spellings, one validator per option and one place to document them.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "metrics.h"
#include "conntrack.h"
#include "engine.h"
#include "evidence.h"
#include "probe.h"
#include "queue.h"

enum opt_type {
	OPT_FLAG, OPT_UINT, OPT_STRING, OPT_PORTS, OPT_QUEUE, OPT_MARK, OPT_PAYLOAD
};

struct opt {
	const char *name;
	int short_name;
	enum opt_type type;
	size_t offset;			/* of the field in struct config */
	size_t size;			/* OPT_UINT: 4 or 8 bytes */
	uint32_t min, max;		/* OPT_UINT, in the option's unit */
	const char *unit;
	uint64_t scale;			/* OPT_UINT: field = value x scale */
};

#define AT(f)	offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define NONE	0, 0
#define MS_US	USEC_PER_MSEC		/* milliseconds into microseconds */
#define S_US	USEC_PER_SEC		/* seconds into microseconds */

static const struct opt opts[] = {
	{ "foreground", 'f', OPT_FLAG, AT(foreground), 0, 1, NULL, 1 },
	{ "queue", 'q', OPT_QUEUE, NONE, 0, 0, NULL, 1 },
	{ "ports", 'p', OPT_PORTS, NONE, 0, 0, NULL, 1 },
	{ "output", 'o', OPT_STRING, AT(output), 0, 0, NULL, 1 },
	{ "read", 'r', OPT_STRING, AT(read_file), 0, 0, NULL, 1 },
	{ "pidfile", 'P', OPT_STRING, AT(pidfile), 0, 0, NULL, 1 },
	{ "gap-min", 1000, OPT_UINT, AT(engine.gap_min_us), 1, 3600000, "milliseconds", MS_US },
	{ "gap-factor", 1001, OPT_UINT, AT(engine.gap_factor), 1, 100, "times the interval", 1 },
	{ "max-flows", 1002, OPT_UINT, AT(engine.max_flows), 16, 1U << 26, "flows", 1 },
	{ "flow-timeout", 1003, OPT_UINT, AT(engine.flow_timeout_us), 1, 86400, "seconds", S_US },
	{ "reconnect-window", 1004, OPT_UINT, AT(engine.reconnect_window_us), 1, 3600, "seconds", S_US },
	{ "stats-interval", 1005, OPT_UINT, AT(stats_interval_s), 0, 86400, "seconds", 1 },
	{ "queue-maxlen", 1006, OPT_UINT, AT(queue.maxlen), 1, 1U << 20, "packets", 1 },
	{ "copy-range", 1007, OPT_UINT, AT(queue.copy_range), 64, 0xffff, "bytes", 1 },
	{ "rcvbuf", 1008, OPT_UINT, AT(queue.rcvbuf), 0, 1U << 30, "bytes", 1 },
	{ "syslog", 1009, OPT_FLAG, AT(use_syslog), 0, 1, NULL, 1 },
	{ "invalid-mark", 1010, OPT_MARK, AT(engine.invalid_mark), 0, 0, NULL, 1 },
	{ "untracked-mark", 1011, OPT_MARK, AT(engine.untracked_mark), 0, 0, NULL, 1 },
	{ "connmark", 1012, OPT_MARK, AT(ct.connmark), 0, 0, NULL, 1 },
	{ "no-conntrack", 1013, OPT_FLAG, AT(no_conntrack), 0, 1, NULL, 1 },
	{ "pcap-dir", 1014, OPT_STRING, AT(pcap_dir), 0, 0, NULL, 1 },
	{ "pcap-packets", 1015, OPT_UINT, AT(engine.evidence_packets), 0, EVIDENCE_RING_MAX, "packets", 1 },
	{ "pcap-max-mb", 1016, OPT_UINT, AT(pcap_max_mb), 1, 1U << 20, "megabytes", 1 },
	{ "no-pcap", 1017, OPT_FLAG, AT(no_pcap), 0, 1, NULL, 1 },
	{ "probe", 1018, OPT_FLAG, AT(probing), 0, 1, NULL, 1 },
	{ "probe-mark", 1019, OPT_MARK, AT(probe.mark), 0, 0, NULL, 1 },
	{ "probe-max-ttl", 1020, OPT_UINT, AT(probe.max_ttl), 1, PROBE_TTL_LIMIT, "hops", 1 },
	{ "probe-pace-ms", 1021, OPT_UINT, AT(probe.pace_ms), 1, 10000, "milliseconds", 1 },
	{ "probe-rate", 1022, OPT_UINT, AT(probe.rate), 1, 10000, "probes per second", 1 },
	{ "probe-max-ladders", 1023, OPT_UINT, AT(probe.max_ladders), 1, 256, "ladders", 1 },
	{ "probe-client-interval", 1024, OPT_UINT, AT(probe.client_interval_s), 0, 86400, "seconds", 1 },
	{ "probe-timeout-ms", 1025, OPT_UINT, AT(probe.timeout_ms), 10, 60000, "milliseconds", 1 },
	{ "probe-udp-payload", 1026, OPT_PAYLOAD, AT(probe.udp_payload), 0, 0, NULL, 1 },
	{ "probe-ladder-interval-ms", 1027, OPT_UINT, AT(probe.ladder_interval_ms), 0, 3600000, "milliseconds", 1 },
	{ "verbose", 'v', OPT_FLAG, AT(verbose), 0, 1, NULL, 1 },
	{ "check", 'n', OPT_FLAG, AT(check_only), 0, 1, NULL, 1 },
	{ "user", 'u', OPT_STRING, AT(user), 0, 0, NULL, 1 },
	{ "seccomp", 1028, OPT_FLAG, AT(seccomp), 0, 1, NULL, 1 },
	{ "no-drop-watch", 1029, OPT_FLAG, AT(no_drop_watch), 0, 1, NULL, 1 },
	{ "host-name", 1030, OPT_STRING, AT(host_name), 0, 0, NULL, 1 },
	{ "metrics", 1031, OPT_STRING, AT(metrics_addr), 0, 0, NULL, 1 },
	{ "metrics-textfile", 1032, OPT_STRING, AT(metrics_textfile), 0, 0, NULL, 1 },
	{ "exposure-interval", 1033, OPT_UINT, AT(engine.exposure_interval_us), 0, 86400, "seconds", S_US },
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: gapwatchd [-f|--foreground] [-q|--queue N|N-M] [-p|--ports LIST]\n"
"                 [-o|--output FILE|-] [--gap-min MS] [--gap-factor K]\n"
"                 [--max-flows N] [-r|--read FILE.pcap] [--stats-interval S]\n"
"                 [-c|--config FILE] [-P|--pidfile FILE] [--flow-timeout S]\n"
"                 [--reconnect-window S] [--queue-maxlen N] [--copy-range B]\n"
"                 [--rcvbuf B] [--invalid-mark BIT] [--untracked-mark BIT]\n"
"                 [--connmark BIT] [--no-conntrack] [--pcap-dir DIR]\n"
"                 [--pcap-packets N] [--pcap-max-mb MB] [--no-pcap]\n"
"                 [--no-drop-watch] [--host-name NAME] [--exposure-interval S]\n"
"                 [--metrics [ADDR:]PORT] [--metrics-textfile PATH]\n"
"                 [--probe] [--probe-mark BIT] [--probe-max-ttl N]\n"
"                 [--probe-pace-ms MS] [--probe-rate PPS]\n"
"                 [--probe-max-ladders N] [--probe-ladder-interval-ms MS]\n"
"                 [--probe-client-interval S]\n"
"                 [--probe-timeout-ms MS] [--probe-udp-payload HEX]\n"
"                 [-u|--user NAME] [--seccomp]\n"
"                 [--syslog] [-v|--verbose] [-n|--check]\n"
"                 [-h|--help] [-V|--version]\n"
"\n"
"Watches game flows on NFQUEUE (or in a capture with --read) and reports\n"
"every silent gap as a JSON line. See gapwatchd(8).\n"
"\n"
"  -p, --ports LIST        server ports, e.g. 7781,7000-7010 (required)\n"
"  -q, --queue N|N-M       NFQUEUE number(s), one thread each (default 0)\n"
"  -o, --output FILE|-     gap records (default %s,\n"
"                          stdout with --read)\n"
"      --gap-min MS        smallest silence reported as a gap (default %u)\n"
"      --gap-factor K      a gap is K missed heartbeats (default %u)\n"
"      --max-flows N       flow table size, LRU beyond (default %u)\n"
"  -r, --read FILE.pcap    analyse a capture instead of a queue, then exit\n"
"      --stats-interval S  stats record every S seconds, 0 = only at exit\n"
"                          (default %u)\n"
"  -f, --foreground        do not detach; log to stderr\n"
"  -P, --pidfile FILE      pid file (default %s unless -f)\n"
"      --pcap-dir DIR      pcap files of each gap's packets (default\n"
"                          /var/log/gapwatch/pcap; with --read: none)\n"
"      --probe             locate the hop that drops a stalled flow (TTL\n"
"                          ladders from the server; needs CAP_NET_RAW)\n"
"  -u, --user NAME         run as NAME after set-up, with CAP_NET_ADMIN\n"
"                          only (and CAP_NET_RAW with --probe); root keeps\n"
"                          every privilege, not recommended (default %s)\n"
"      --seccomp           allow only the system calls gapwatchd makes\n"
"      --host-name NAME    every record's \"host\" (default: the host name)\n"
"      --metrics [ADDR:]PORT  Prometheus metrics on /metrics (a bare port:\n"
"                          loopback)\n"
"      --metrics-textfile PATH  the same for node_exporter's textfile\n"
"                          collector, rewritten every 5 s\n"
"      --no-drop-watch     do not watch the kernel's drops of game packets\n"
"                          (BPF on skb:kfree_skb; needs CAP_BPF, CAP_PERFMON)\n"
"      --exposure-interval S  an exposure record (players per client prefix)\n"
"                          every S seconds and at exit, 0 = none (default %u)\n"
"  -n, --check             check the configuration and exit\n",
		CONFIG_OUTPUT_DEFAULT, ENGINE_GAP_MIN_MS, ENGINE_GAP_FACTOR,
		ENGINE_MAX_FLOWS, CONFIG_STATS_INTERVAL_S, CONFIG_PIDFILE_DEFAULT,
		CONFIG_USER_DEFAULT, ENGINE_EXPOSURE_INTERVAL_S);
}

int queue_range_parse(const char *s, uint16_t *first, uint16_t *count,
		      char *err, size_t errlen)
{
	unsigned long lo, hi;
	char *end;

	if (!isdigit((unsigned char)*s))
		goto bad;
	errno = 0;
	lo = strtoul(s, &end, 10);
	hi = lo;
	if (*end == '-') {
		if (!isdigit((unsigned char)end[1]))
			goto bad;
		hi = strtoul(end + 1, &end, 10);
	}
	if (*end != '\0' || errno)
		goto bad;
	if (hi > 65535 || lo > hi) {
		snprintf(err, errlen, "queue '%s' is not within 0-65535 or runs "
			 "backwards", s);
		return -1;
	}
	if (hi - lo + 1 > QUEUES_MAX) {
		snprintf(err, errlen, "queue range '%s' has %lu queues; at most %d",
			 s, hi - lo + 1, QUEUES_MAX);
		return -1;
	}
	*first = (uint16_t)lo;
	*count = (uint16_t)(hi - lo + 1);
	return 0;
bad:
	snprintf(err, errlen, "bad queue '%s' (expected N or N-M)", s);
	return -1;
}

static int parse_flag(const char *value, int *out)
{
	if (value == NULL || !strcmp(value, "yes") || !strcmp(value, "true") ||
	    !strcmp(value, "on") || !strcmp(value, "1"))
		*out = 1;
	else if (!strcmp(value, "no") || !strcmp(value, "false") ||
		 !strcmp(value, "off") || !strcmp(value, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* Apply one option. "where" names its source for messages; "store" keeps
 * string values from a config file alive (argv's live anyway). */
static int apply(struct config *cfg, const struct opt *o, const char *value,
		 const char *where, char *store, size_t storelen)
{
	char err[200];
	unsigned long long v;
	char *end;
	void *field = (char *)cfg + o->offset;

	switch (o->type) {
	case OPT_FLAG:
		if (parse_flag(value, field) < 0) {
			fprintf(stderr, "gapwatchd: %s: '%s' is not yes or no\n",
				where, value);
			return -1;
		}
		return 0;
	case OPT_UINT:
		errno = 0;
		v = strtoull(value, &end, 10);
		if (!isdigit((unsigned char)*value) || *end != '\0' || errno ||
		    v < o->min || v > o->max) {
			fprintf(stderr, "gapwatchd: %s: '%s' is not a number of "
				"%s in %u..%u\n", where, value, o->unit, o->min,
				o->max);
			return -1;
		}
		v *= o->scale;
		if (o->size == sizeof(uint64_t)) {
			*(uint64_t *)field = v;
		} else {
			/* The table's limits keep every value in the field. */
			assert(o->size == sizeof(uint32_t) && v <= UINT32_MAX);
			*(uint32_t *)field = (uint32_t)v;
		}
		return 0;
	case OPT_STRING:
		if (*value == '\0') {
			fprintf(stderr, "gapwatchd: %s: empty value\n", where);
			return -1;
		}
		if (store) {
			snprintf(store, storelen, "%s", value);
			value = store;
		}
		*(const char **)field = value;
		return 0;
	case OPT_MARK:
		/* One bit, so that ours can live beside the operator's own
		 * marks; 0 turns the feature off. */
		errno = 0;
		v = strtoull(value, &end, 0);
		if (!isdigit((unsigned char)*value) || *end != '\0' || errno ||
		    v > UINT32_MAX || (v & (v - 1)) != 0) {
			fprintf(stderr, "gapwatchd: %s: '%s' is not a single mark "
				"bit (e.g. 0x20000000) or 0\n", where, value);
			return -1;
		}
		*(uint32_t *)field = (uint32_t)v;
		return 0;
	case OPT_PAYLOAD:
		if (probe_payload_parse(value, field) < 0) {
			fprintf(stderr, "gapwatchd: %s: '%s' is not a payload in "
				"hex (an even number of hex digits, at most %d "
				"bytes, e.g. 47570001)\n", where, value,
				PROBE_PAYLOAD_MAX);
			return -1;
		}
		return 0;
	case OPT_PORTS:
		if (portset_parse(&cfg->ports, value, err, sizeof(err)) < 0) {
			fprintf(stderr, "gapwatchd: %s: %s\n", where, err);
			return -1;
		}
		return 0;
	case OPT_QUEUE:
		if (queue_range_parse(value, &cfg->queue_first, &cfg->queue_count,
				      err, sizeof(err)) < 0) {
			fprintf(stderr, "gapwatchd: %s: %s\n", where, err);
			return -1;
		}
		return 0;
	}
	return -1;
}

static const struct opt *find_opt(const char *name)
{
	size_t k;

	for (k = 0; k < GW_ARRAY_SIZE(opts); k++)
		if (!strcmp(opts[k].name, name))
			return &opts[k];
	return NULL;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int load_file(struct config *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096], where[600], *key, *value, *eq;
	const struct opt *o;
	unsigned int lineno = 0, nstrings = 0;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "gapwatchd: cannot open config file %s: %s\n",
			path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fprintf(stderr, "gapwatchd: %s: line too long\n", where);
			rc = -1;
			break;
		}
		if ((eq = strchr(line, '#')) != NULL)
			*eq = '\0';
		key = trim(line);
		if (*key == '\0')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL) {
			fprintf(stderr, "gapwatchd: %s: expected 'name = value'\n",
				where);
			rc = -1;
			continue;
		}
		*eq = '\0';
		key = trim(key);
		value = trim(eq + 1);
		o = find_opt(key);
		snprintf(where, sizeof(where), "%s:%u: %s", path, lineno, key);
		if (o == NULL || !strcmp(key, "check")) {
			fprintf(stderr, "gapwatchd: %s: unknown option '%s'\n",
				where, key);
			rc = -1;
			continue;
		}
		if (o->type == OPT_STRING && nstrings == GW_ARRAY_SIZE(cfg->strings)) {
			fprintf(stderr, "gapwatchd: %s: too many path options\n",
				where);
			rc = -1;
			continue;
		}
		if (apply(cfg, o, value, where,
			  o->type == OPT_STRING ? cfg->strings[nstrings] : NULL,
			  sizeof(cfg->strings[0])) < 0)
			rc = -1;
		else if (o->type == OPT_STRING)
			nstrings++;
	}
	if (ferror(f)) {
		fprintf(stderr, "gapwatchd: cannot read config file %s: %s\n",
			path, strerror(errno));
		rc = -1;
	}
	fclose(f);
	return rc;
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->queue_count = 1;
	cfg->engine = (struct engine_config){
		.ports = &cfg->ports,
		.max_flows = ENGINE_MAX_FLOWS,
		.gap_min_us = ENGINE_GAP_MIN_MS * USEC_PER_MSEC,
		.gap_factor = ENGINE_GAP_FACTOR,
		.flow_timeout_us = ENGINE_FLOW_TIMEOUT_S * USEC_PER_SEC,
		.closed_linger_us = ENGINE_CLOSED_LINGER_S * USEC_PER_SEC,
		.reconnect_window_us = ENGINE_RECONNECT_WINDOW_S * USEC_PER_SEC,
		.exposure_interval_us = ENGINE_EXPOSURE_INTERVAL_S * USEC_PER_SEC,
		.invalid_mark = ENGINE_INVALID_MARK,
		.untracked_mark = ENGINE_UNTRACKED_MARK,
		.evidence_packets = EVIDENCE_RING_DEFAULT,
	};
	cfg->queue = (struct queue_params){
		.copy_range = QUEUE_COPY_RANGE,
		.maxlen = QUEUE_MAXLEN,
		/* A receive waits at most until the engine's next tick. */
		.wait_ms = ENGINE_TICK_US / USEC_PER_MSEC,
	};
	cfg->ct = (struct ct_config){
		.ports = &cfg->ports,
		.connmark = CT_CONNMARK,
	};
	cfg->probe = (struct probe_config){
		.ports = &cfg->ports,
		.mark = PROBE_MARK_DEFAULT,
		.max_ttl = PROBE_MAX_TTL_DEFAULT,
		.pace_ms = PROBE_PACE_MS_DEFAULT,
		.rate = PROBE_RATE_DEFAULT,
		.max_ladders = PROBE_LADDERS_DEFAULT,
		.ladder_interval_ms = PROBE_LADDER_INTERVAL_MS,
		.client_interval_s = PROBE_CLIENT_INTERVAL_S,
		.timeout_ms = PROBE_TIMEOUT_MS_DEFAULT,
	};
	cfg->stats_interval_s = CONFIG_STATS_INTERVAL_S;
	cfg->pcap_max_mb = CONFIG_PCAP_MAX_MB;
	cfg->user = CONFIG_USER_DEFAULT;
}

int config_load(struct config *cfg, int argc, char **argv)
{
	struct option longopts[GW_ARRAY_SIZE(opts) + 4];
	char shortopts[64] = "+c:hV", *sp = shortopts + strlen(shortopts);
	const struct opt *o;
	char where[64];
	size_t k, n = 0;
	int c, rc = 0;

	config_defaults(cfg);
	for (k = 0; k < GW_ARRAY_SIZE(opts); k++) {
		longopts[n].name = opts[k].name;
		longopts[n].has_arg = opts[k].type == OPT_FLAG ? no_argument :
								 required_argument;
		longopts[n].flag = NULL;
		longopts[n].val = opts[k].short_name;
		n++;
		if (opts[k].short_name < 256) {
			*sp++ = (char)opts[k].short_name;
			if (opts[k].type != OPT_FLAG)
				*sp++ = ':';
		}
	}
	longopts[n++] = (struct option){ "config", required_argument, NULL, 'c' };
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	*sp = '\0';

	/* First pass: only -c, --help and --version, so that the command
	 * line can override the file whatever their order. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == 'V') {
			printf("gapwatchd %s\n", PACKAGE_VERSION);
			return 1;
		}
		if (c == 'c')
			cfg->config_file = optarg;
	}
	if (cfg->config_file && load_file(cfg, cfg->config_file) < 0)
		return -1;

	optind = 0;
	opterr = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'c')
			continue;
		if (c == '?') {
			usage(stderr);
			return -1;
		}
		o = NULL;
		for (k = 0; k < GW_ARRAY_SIZE(opts); k++)
			if (opts[k].short_name == c)
				o = &opts[k];
		snprintf(where, sizeof(where), "--%s", o->name);
		if (apply(cfg, o, o->type == OPT_FLAG ? NULL : optarg, where,
			  NULL, 0) < 0)
			rc = -1;
	}
	if (optind < argc) {
		fprintf(stderr, "gapwatchd: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return -1;
	}
	if (rc < 0)
		return -1;
	if (cfg->ports.count == 0) {
		fprintf(stderr, "gapwatchd: no server ports: give --ports LIST "
			"(e.g. --ports 7781) or 'ports = ...' in the config file\n");
		return -1;
	}
	if (cfg->metrics_addr) {
		struct sockaddr_storage sa;
		socklen_t salen;
		char why[160];

		if (metrics_parse_addr(cfg->metrics_addr, &sa, &salen, why,
				       sizeof(why)) < 0) {
			fprintf(stderr, "gapwatchd: --metrics: %s\n", why);
			return -1;
		}
	}
	if (cfg->read_file)
		cfg->foreground = 1;
	if (cfg->output == NULL)
		cfg->output = cfg->read_file ? "-" : CONFIG_OUTPUT_DEFAULT;
	/* Conntrack keeps a history for as many flows as an engine has. */
	cfg->ct.max_tracked = cfg->engine.max_flows;
	return 0;
}
