/*
 * replaybench - how fast is the engine alone? Loads a capture into memory
 * (so disk and libpcap are out of the measurement), then times parse ->
 * flow -> gap over every packet, with the capture's clock, the way
 * gapwatchd --read runs it.
 *
 * usage: replaybench FILE.pcap [ROUNDS]
 * Prints one JSON line per round: packets, seconds, pps, flows, gaps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "config.h"
#include "engine.h"
#include "linktype.h"
#include "replay.h"

/* The flow hash seed of every round (the golden ratio's bits). */
#define BENCH_SEED	0x9e3779b9

struct frame {
	uint64_t ts_us;
	uint32_t off;		/* into the arena */
	uint32_t caplen;
	uint32_t wirelen;
};

/* Gaps detected: their gap_open records. */
static void count_gap(void *ctx, const struct gap_record *rec)
{
	if (rec->is_open_event)
		(*(unsigned long *)ctx)++;
}

/* The exposure table is on by default: its end of interval is the
 * engine's work, the record's formatting the writer thread's. */
static void count_exposure(void *ctx, const struct exposure *x,
			   uint64_t end_us)
{
	(void)ctx;
	(void)x;
	(void)end_us;
}

static double seconds_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE], err[200];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct frame *frames = NULL;
	uint8_t *arena = NULL;
	size_t nframes = 0, cap = 0, used = 0, arena_cap = 0, k;
	static struct config cfg;
	struct engine_config ec;
	int rounds = argc > 2 ? atoi(argv[2]) : 1, r, dlt, off;
	pcap_t *p;

	if (argc < 2) {
		fprintf(stderr, "usage: replaybench FILE.pcap [ROUNDS]\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], errbuf);
	if (p == NULL) {
		fprintf(stderr, "replaybench: %s\n", errbuf);
		return 1;
	}
	dlt = pcap_datalink(p);
	while (pcap_next_ex(p, &h, &data) == 1) {
		off = linktype_ip_offset(dlt, data, h->caplen);
		if (off < 0)
			continue;
		if (nframes == cap) {
			cap = cap ? cap * 2 : 65536;
			frames = realloc(frames, cap * sizeof(*frames));
		}
		if (used + h->caplen > arena_cap) {
			arena_cap = arena_cap ? arena_cap * 2 : 1 << 24;
			arena = realloc(arena, arena_cap);
		}
		if (frames == NULL || arena == NULL) {
			fprintf(stderr, "replaybench: out of memory\n");
			return 1;
		}
		frames[nframes].ts_us = (uint64_t)h->ts.tv_sec * USEC_PER_SEC +
					(uint64_t)h->ts.tv_usec;
		frames[nframes].off = (uint32_t)used;
		frames[nframes].caplen = h->caplen - (uint32_t)off;
		frames[nframes].wirelen = h->len - (uint32_t)off;
		memcpy(arena + used, data + off, frames[nframes].caplen);
		used += frames[nframes].caplen;
		nframes++;
	}
	pcap_close(p);
	if (nframes == 0) {
		fprintf(stderr, "replaybench: no IP packets in %s\n", argv[1]);
		return 1;
	}
	/* gapwatchd's defaults, without pcap evidence or marks (a capture
	 * has none), and a fixed seed so that rounds compare. */
	config_defaults(&cfg);
	if (portset_parse(&cfg.ports, "7781", err, sizeof(err)) < 0)
		return 1;
	ec = cfg.engine;
	ec.evidence_packets = 0;
	ec.invalid_mark = ec.untracked_mark = 0;
	ec.seed = BENCH_SEED;
	ec.exposure_cb = count_exposure;

	for (r = 0; r < rounds; r++) {
		struct gw_time now = { frames[0].ts_us, frames[0].ts_us, 0 };
		unsigned long gaps = 0;
		struct engine *e = engine_new(&ec, count_gap, &gaps, &now);
		double t0, t1;

		if (e == NULL) {
			perror("replaybench: engine");
			return 1;
		}
		t0 = seconds_now();
		for (k = 0; k < nframes; k++) {
			now.mono_us = now.wall_us = frames[k].ts_us;
			engine_tick(e, &now);
			engine_packet(e, arena + frames[k].off, frames[k].caplen,
				      frames[k].wirelen, &now);
		}
		t1 = seconds_now();
		printf("{\"packets\":%zu,\"seconds\":%.4f,\"pps\":%.0f,"
		       "\"flows\":%u,\"gaps\":%lu}\n", nframes, t1 - t0,
		       (double)nframes / (t1 - t0), engine_flow_count(e), gaps);
		engine_free(e);
	}
	free(frames);
	free(arena);
	return 0;
}
