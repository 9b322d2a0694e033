/*
 * replay.c - the capture-file source: libpcap in, engine out.
 *
 * Time comes from the capture: the same timestamps drive the timers and
 * the reports, so a replay tells the story the live daemon would have told
 * about the same packets.
 */
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "linktype.h"
#include "replay.h"

/* The latest second a capture may name (9999-12-31T23:59:59Z): a later
 * one (pcapng stamps are 64 bits) would overflow the microseconds. */
#define REPLAY_MAX_SEC		253402300799LL

/*
 * Run the timers through the capture's quiet time before the packet at
 * "to", at the moments the live daemon's ticks would come (every
 * ENGINE_TICK_US after the last packet), so that a gap is detected when
 * live detection would see it, not at the next packet. Only the ticks at
 * which something is due are run, so a quiet spell costs the timers that
 * fire in it, not its length.
 */
static void advance(struct engine *e, struct gw_time *now, uint64_t to)
{
	uint64_t base = now->mono_us, tick = 0, due, k, t;

	/* Most packets follow the last within a tick: nothing to run. */
	if (to <= base + ENGINE_TICK_US)
		return;
	for (;;) {
		due = engine_next_due(e);
		if (due >= to)
			return;
		/* The first tick after the last one run, at or after due. */
		k = due > base ? (due - base + ENGINE_TICK_US - 1) / ENGINE_TICK_US : 0;
		if (k <= tick)
			k = tick + 1;
		t = base + k * ENGINE_TICK_US;
		if (t >= to)
			return;
		tick = k;
		now->mono_us = now->wall_us = t;
		now->stamp_us = 0;
		engine_tick(e, now);
	}
}

/*
 * A record's time stamp in microseconds, or -1 when it cannot be one (a
 * negative or oversized second, microseconds outside 0..999999: libpcap's
 * fields are signed and a hostile file says anything).
 */
static int64_t stamp_of(const struct pcap_pkthdr *h)
{
	if (h->ts.tv_sec < 0 || h->ts.tv_sec > REPLAY_MAX_SEC ||
	    h->ts.tv_usec < 0 || h->ts.tv_usec >= (long)USEC_PER_SEC)
		return -1;
	return (int64_t)h->ts.tv_sec * (int64_t)USEC_PER_SEC + h->ts.tv_usec;
}

int replay_run(const char *path, struct engine *e, struct replay_stats *st,
	       char *err, size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *frame;
	struct gw_time now = { 0, 0, 0 };
	pcap_t *p;
	int dlt, off, rc;
	int64_t stamp;
	uint64_t ts, late;

	memset(st, 0, sizeof(*st));
	p = pcap_open_offline_with_tstamp_precision(path,
			PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (p == NULL) {
		/* libpcap names the file in some messages, not in others. */
		if (strstr(errbuf, path) != NULL)
			snprintf(err, errlen, "cannot read capture %s", errbuf);
		else
			snprintf(err, errlen, "cannot read capture %s: %s", path,
				 errbuf);
		return -1;
	}
	dlt = pcap_datalink(p);
	if (!linktype_supported(dlt)) {
		snprintf(err, errlen,
			 "capture %s: link type %s is not supported (use "
			 "Ethernet, raw IP, Linux cooked or loopback captures)",
			 path, pcap_datalink_val_to_name(dlt) ?
				   pcap_datalink_val_to_name(dlt) : "unknown");
		pcap_close(p);
		return -1;
	}
	while ((rc = pcap_next_ex(p, &h, &frame)) == 1) {
		stamp = stamp_of(h);
		late = 0;
		if (stamp < 0) {
			/* No time at all: the packet counts at the clock. */
			st->time_invalid++;
			ts = st->packets ? now.mono_us : 0;
		} else if ((uint64_t)stamp < now.mono_us) {
			/* Merged captures can step back a little; the clock
			 * must not, or timers would run backwards. The packet
			 * keeps its own stamp for the windows it counts in. */
			st->time_backwards++;
			ts = now.mono_us;
			late = (uint64_t)stamp ? (uint64_t)stamp : 1;
		} else {
			ts = (uint64_t)stamp;
		}
		if (st->packets == 0)
			st->first_us = ts;
		else
			advance(e, &now, ts);
		now.mono_us = ts;
		now.wall_us = ts;
		now.stamp_us = late;
		st->last_us = ts;
		st->packets++;
		engine_tick(e, &now);
		off = linktype_ip_offset(dlt, frame, h->caplen);
		if (off == LINKTYPE_VLAN_LIMIT) {
			st->vlan_limit++;
			continue;
		}
		if (off < 0) {
			st->not_ip++;
			continue;
		}
		engine_packet(e, frame + off, h->caplen - (size_t)off,
			      h->len > (unsigned)off ? h->len - (size_t)off : 0,
			      &now);
	}
	if (rc == PCAP_ERROR) {
		/* A truncated capture (still being written) ends here: what
		 * was read so far is reported, and the error is said. */
		snprintf(err, errlen, "capture %s: %s (after %llu packets)", path,
			 pcap_geterr(p), (unsigned long long)st->packets);
		pcap_close(p);
		return -1;
	}
	pcap_close(p);
	return 0;
}
