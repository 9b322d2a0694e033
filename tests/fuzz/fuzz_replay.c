/*
 * fuzz_replay - libFuzzer harness: a capture file of any content through
 * the capture reader, the engine and the record encoder, as
 * `gapwatchd --read` runs them.
 *
 * The input is written to a memory file and replayed on ports 7781 and
 * 7000-7010 (the seeds use them); every record the engine reports is
 * classified and encoded as the correlator and the report writer would.
 * Must never crash, hang or report a sanitizer error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <arpa/inet.h>

#include <jansson.h>

#include "cause.h"
#include "config.h"
#include "engine.h"
#include "exposure.h"
#include "portset.h"
#include "replay.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;
static int memfd = -1;

static void encode(void *ctx, const struct gap_record *rec)
{
	struct gap_record r = *rec;
	json_t *o;
	char *line;

	(void)ctx;
	cause_classify(&r);
	o = report_gap_json(&r, NULL, "fuzz");
	if (o == NULL)
		return;
	line = json_dumps(o, JSON_COMPACT);
	free(line);
	json_decref(o);
}

/* An interval's exposure, as the writer would make a record of it. */
static void expose(void *ctx, const struct exposure *x, uint64_t end_us)
{
	struct exposure_batch *b = exposure_snapshot(x, end_us);
	char pfx[INET6_ADDRSTRLEN + 4];
	uint32_t k;

	(void)ctx;
	if (b == NULL)
		return;
	exposure_batch_sort(b);
	for (k = 0; k < b->n; k++)
		if (exposure_prefix_format(b->entries[k].key, pfx, sizeof(pfx))[0] == '\0')
			abort();
	free(b);
}

static int setup(void)
{
	char err[128];

	/* The daemon's defaults, with a small table: more flows than that
	 * only exercise eviction. */
	config_defaults(&cfg);
	if (portset_parse(&cfg.ports, "7781,7000-7010", err, sizeof(err)) < 0)
		return -1;
	cfg.engine.max_flows = 64;
	/* An interval a minute: a capture's hours cross several. */
	cfg.engine.exposure_interval_us = 60 * USEC_PER_SEC;
	cfg.engine.exposure_cb = expose;
	memfd = memfd_create("fuzz_replay", 0);
	return memfd < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay_stats st;
	struct gw_time start = { 0, 0, 0 };
	struct engine *e;
	char path[64], err[256];

	if (memfd < 0 && setup() < 0)
		abort();
	if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	e = engine_new(&cfg.engine, encode, NULL, &start);
	if (e == NULL)
		abort();
	memset(&st, 0, sizeof(st));
	if (replay_run(path, e, &st, err, sizeof(err)) == 0) {
		struct gw_time end = { st.last_us, st.last_us, 0 };

		engine_finish(e, &end);
	}
	engine_free(e);
	return 0;
}
