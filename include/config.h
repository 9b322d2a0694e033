/*
 * config.h - command line and config file.
 *
 * Options come from built-in defaults, then the config file (-c), then the
 * command line, each overriding the one before. Every bad value is
 * reported with where it came from ("file:line" or "option --x") and why.
 */
#ifndef GAPWATCH_CONFIG_H
#define GAPWATCH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "portset.h"
#include "probe.h"

/* Exit codes, documented in gapwatchd(8). */
#define EXIT_OK		0
#define EXIT_RUNTIME	1	/* start-up or run-time failure */
#define EXIT_USAGE	2	/* bad option, config file or value */

#define QUEUES_MAX	64

/*
 * queue_range_parse - parse "N" or "N-M" (0..65535, N <= M, at most
 * QUEUES_MAX queues). Returns 0, or -1 with a reason in err.
 */
int queue_range_parse(const char *s, uint16_t *first, uint16_t *count,
		      char *err, size_t errlen);

struct config {
	struct portset ports;
	uint16_t queue_first;
	uint16_t queue_count;
	const char *output;		/* path or "-" */
	const char *read_file;		/* --read: replay, then exit */
	const char *pidfile;
	const char *config_file;
	uint32_t gap_min_ms;
	uint32_t gap_factor;
	uint32_t flow_timeout_s;
	uint32_t reconnect_window_s;
	uint32_t max_flows;
	uint32_t stats_interval_s;	/* 0: no periodic stats */
	uint32_t queue_maxlen;
	uint32_t copy_range;
	uint32_t rcvbuf;		/* bytes; 0: sized from maxlen */
	uint32_t invalid_mark;		/* packet mark bit the rules set */
	uint32_t untracked_mark;
	uint32_t connmark;		/* conntrack mark bit of game flows */
	int no_conntrack;		/* no ctnetlink correlation */
	const char *pcap_dir;		/* NULL: default (live) or none (replay) */
	uint32_t pcap_packets;		/* per-flow ring; 0: no pcap evidence */
	uint32_t pcap_max_mb;
	int no_pcap;
	int probe;			/* --probe: hop locator ladders */
	uint32_t probe_mark;
	uint32_t probe_max_ttl;
	uint32_t probe_pace_ms;
	uint32_t probe_rate;
	uint32_t probe_max_ladders;
	uint32_t probe_ladder_interval_ms;
	uint32_t probe_client_interval_s;
	uint32_t probe_timeout_ms;
	struct probe_payload probe_udp_payload;	/* len 0: empty datagram */
	int foreground;
	int use_syslog;			/* also in the foreground */
	int verbose;
	int check_only;			/* -n: validate and exit */
	char strings[4][4096];		/* storage for values from a file */
};

/*
 * config_load - fill cfg from defaults, the config file named by -c, and
 * argv. Prints usage/--help/--version itself. Returns 0 to run, 1 when the
 * program should exit 0 now (--help, --version), or -1 after printing
 * why the configuration is bad (exit EXIT_USAGE).
 */
int config_load(struct config *cfg, int argc, char **argv);

#endif
