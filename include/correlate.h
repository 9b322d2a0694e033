/*
 * correlate.h - the stage between the engines and the report: adds
 * conntrack's facts, classifies the cause, groups gaps that started
 * together into clusters (the inspector's own losses aside), and hands
 * the record to the report writer.
 *
 * Live, it is a thread of its own fed through a bounded queue, so that
 * conntrack lookups never stall a verdict loop; a record that finds the
 * queue full is reported as it is and counted. In replay it runs inline.
 */
#ifndef GAPWATCH_CORRELATE_H
#define GAPWATCH_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "conntrack.h"
#include "dropwatch.h"
#include "engine.h"
#include "hoststat.h"
#include "evidence.h"
#include "pcapstore.h"
#include "probe.h"
#include "report.h"

/* Gaps starting within this of a cluster's first start join it. */
#define CLUSTER_WINDOW_US	USEC_PER_SEC
#define CLUSTERS_KEPT		64
/* Records the correlator may be behind by. */
#define CORRELATE_QUEUE		4096

struct cluster_state {
	struct gap_cluster clusters[CLUSTERS_KEPT];
	uint32_t next;			/* slot reused next */
	uint64_t next_id;
};

/*
 * cluster_assign - place rec in a cluster by its start time. A gap_open
 * record joins (or founds) a cluster; a closing record only reads its
 * cluster's size now. rec->cluster is set when the cluster has at least
 * two gaps.
 */
void cluster_assign(struct cluster_state *cs, struct gap_record *rec);

/* Descriptors the prober may add to the correlator's poll. */
#define PROBE_FDS_MAX	6

struct correlator;

/* What the correlator is given to work with; any may be NULL. */
struct correlate_parts {
	struct ct *ct;			/* conntrack facts */
	struct pcapstore *store;	/* pcap files */
	struct prober *prober;		/* probe ladders; only threaded */
	struct dropwatch *drops;	/* the kernel's drops of game packets */
	const char *drops_off;		/* without them: why (the stats say) */
	struct hoststat *host;		/* the server's drop counters */
};

/*
 * correlator_new - from parts (copied). With threaded, a thread owns them
 * from now on; the correlator closes them. Returns NULL with a reason in
 * err.
 */
struct correlator *correlator_new(const struct correlate_parts *parts,
				  struct report *report, int threaded,
				  char *err, size_t errlen);

/* correlator_submit - an engine's gap callback (ctx: the correlator). */
void correlator_submit(void *ctx, const struct gap_record *rec);

/* correlator_blind - an engine's blind callback: the "blind" record, at
 * once (it needs no correlation). */
void correlator_blind(void *ctx, const struct blind_record *iv);

/* correlator_evidence - an engine's evidence callback: write the pcap. */
void correlator_evidence(void *ctx, struct ev_pool *pool, uint16_t slot);

/* correlator_exposure - an engine's exposure callback: the "exposure"
 * record, written from the correlator's thread. */
void correlator_exposure(void *ctx, const struct exposure *x,
			 uint64_t end_wall_us);

/*
 * correlator_probe_done - the prober's done callback (ctx: the
 * correlator): reports the probe record now and keeps a copy of the
 * result for the gap's closing record, which carries it as its "probe"
 * object. The tests call it to fake a finished ladder.
 */
void correlator_probe_done(void *ctx, const struct probe_result *res);

/* correlator_counters - a consistent copy of the counters. */
void correlator_counters(struct correlator *c, struct correlate_counters *out);

/*
 * correlator_stop - process what is queued and stop the thread; the
 * counters stay readable and later records are correlated inline.
 */
void correlator_stop(struct correlator *c);

/* correlator_free - stop, close ct, store and prober, free. NULL ok. */
void correlator_free(struct correlator *c);

#endif
