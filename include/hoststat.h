/*
 * hoststat.h - the server's own drop counters, which need no BPF: the
 * namespace's SNMP and netstat MIBs (/proc/net/snmp, /proc/net/netstat),
 * the CPUs' backlog (/proc/net/softnet_stat, host-wide), and the network
 * devices' (rtnetlink IFLA_STATS64, every device but loopback, summed).
 *
 * Context for every gap, and the fallback when the drop watcher is off:
 * they count for the whole host (or namespace), not for one flow, so
 * they say "something here dropped", never whose packet it was. Opened at
 * set-up (the files and the socket stay open: the run's user and the
 * seccomp allow-list need nothing more); read on the correlator's clock.
 */
#ifndef GAPWATCH_HOSTSTAT_H
#define GAPWATCH_HOSTSTAT_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"		/* struct host_counters */

struct hoststat;

/* hoststat_open - open the sources. NULL with a reason in err when none
 * of them opens. */
struct hoststat *hoststat_open(char *err, size_t errlen);
void hoststat_close(struct hoststat *h);

/* hoststat_read - every counter now into *c (a source that fails leaves
 * its counters at their last value). */
void hoststat_read(struct hoststat *h, struct host_counters *c);

/* hoststat_growth - b - a, counter by counter (no wrap), into *out. */
void hoststat_growth(const struct host_counters *a,
		     const struct host_counters *b, struct host_counters *out);

#endif
