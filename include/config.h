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

#include "conntrack.h"
#include "engine.h"
#include "portset.h"
#include "probe.h"
#include "queue.h"

/* Exit codes, documented in gapwatchd(8). */
#define EXIT_OK		0
#define EXIT_RUNTIME	1	/* start-up or run-time failure */
#define EXIT_USAGE	2	/* bad option, config file or value */

#define QUEUES_MAX	64

/* The daemon's own defaults (documented in gapwatchd(8)). */
#define CONFIG_OUTPUT_DEFAULT		"/var/log/gapwatch/gaps.jsonl"
#define CONFIG_PIDFILE_DEFAULT		"/run/gapwatch/gapwatchd.pid"
#define CONFIG_USER_DEFAULT		"gapwatch"	/* runs as, after set-up */
#define CONFIG_STATS_INTERVAL_S		60
#define CONFIG_PCAP_MAX_MB		256	/* the pcap directory's cap */

/*
 * queue_range_parse - parse "N" or "N-M" (0..65535, N <= M, at most
 * QUEUES_MAX queues). Returns 0, or -1 with a reason in err.
 */
int queue_range_parse(const char *s, uint16_t *first, uint16_t *count,
		      char *err, size_t errlen);

/*
 * The options, in the modules' own configuration structs, so that each
 * module gets its struct as it is. Their port set pointers point at
 * cfg->ports: a struct config is not copied (a module's struct may be).
 */
struct config {
	struct portset ports;
	uint16_t queue_first;
	uint16_t queue_count;
	/* queue, seed and evidence_cb are per run; evidence_packets is
	 * --pcap-packets (0: no pcap evidence). */
	struct engine_config engine;
	struct queue_params queue;
	struct ct_config ct;
	struct probe_config probe;
	const char *output;		/* path or "-" */
	const char *read_file;		/* --read: replay, then exit */
	const char *pidfile;
	const char *config_file;
	const char *user;		/* --user: runs as after set-up */
	int seccomp;			/* --seccomp: system-call allow-list */
	uint32_t stats_interval_s;	/* 0: stats only at exit */
	int no_conntrack;		/* no ctnetlink correlation */
	int no_drop_watch;		/* no BPF drop watcher */
	const char *host_name;		/* records' "host"; NULL: gethostname */
	const char *metrics_addr;	/* --metrics; NULL: none */
	const char *metrics_textfile;	/* --metrics-textfile; NULL: none */
	const char *pcap_dir;		/* NULL: default (live) or none (replay) */
	uint32_t pcap_max_mb;
	int no_pcap;
	int probing;			/* --probe: hop locator ladders */
	int foreground;
	int use_syslog;			/* also in the foreground */
	int verbose;
	int check_only;			/* -n: validate and exit */
	char strings[8][4096];		/* storage for values from a file */
};

/*
 * config_defaults - every option at its default (no ports yet), the
 * modules' structs pointing at cfg->ports.
 */
void config_defaults(struct config *cfg);

/*
 * config_load - fill cfg from defaults, the config file named by -c, and
 * argv. Prints usage/--help/--version itself. Returns 0 to run, 1 when the
 * program should exit 0 now (--help, --version), or -1 after printing
 * why the configuration is bad (exit EXIT_USAGE).
 */
int config_load(struct config *cfg, int argc, char **argv);

#endif
