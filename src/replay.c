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

#define REPLAY_MAX_STEPPED_US	(86400 * USEC_PER_SEC)

/*
 * Run the timers through the capture's quiet time before the packet at
 * "to", in the steps the live daemon ticks in, so that a gap is detected
 * at the moment live detection would see it, not at the next packet.
 * A silence longer than a day is crossed in one step.
 */
static void advance(struct engine *e, struct gw_time *now, uint64_t to)
{
	uint64_t t;

	if (to == 0 || to - now->mono_us > REPLAY_MAX_STEPPED_US)
		return;
	for (t = now->mono_us + ENGINE_TICK_US; t < to; t += ENGINE_TICK_US) {
		now->mono_us = now->wall_us = t;
		engine_tick(e, now);
	}
}

int replay_run(const char *path, struct engine *e, struct replay_stats *st,
	       char *err, size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *frame;
	struct gw_time now = { 0, 0 };
	pcap_t *p;
	int dlt, off, rc;
	uint64_t ts;

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
		ts = (uint64_t)h->ts.tv_sec * USEC_PER_SEC +
		     (uint64_t)h->ts.tv_usec;
		if (ts < now.mono_us) {
			/* Merged captures can step back a little; time must
			 * not, or timers would run backwards. */
			st->time_backwards++;
			ts = now.mono_us;
		}
		if (st->packets == 0)
			st->first_us = ts;
		advance(e, &now, st->packets ? ts : 0);
		now.mono_us = ts;
		now.wall_us = ts;
		st->last_us = ts;
		st->packets++;
		engine_tick(e, &now);
		off = linktype_ip_offset(dlt, frame, h->caplen);
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
