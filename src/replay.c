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

#include "replay.h"

#define REPLAY_MAX_STEPPED_US	(86400 * USEC_PER_SEC)

#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88a8

static unsigned int be16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static int ip_by_ethertype(unsigned int type, int offset)
{
	return type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6 ? offset : -1;
}

static int ip_by_version(const uint8_t *frame, size_t caplen, int offset)
{
	unsigned int v;

	if (caplen <= (size_t)offset)
		return -1;
	v = frame[offset] >> 4;
	return v == 4 || v == 6 ? offset : -1;
}

int replay_ip_offset(int dlt, const uint8_t *frame, size_t caplen)
{
	size_t off;
	unsigned int type;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return -1;
		off = 12;
		type = be16(frame + off);
		/* Up to two VLAN tags (802.1Q, QinQ). */
		while ((type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) &&
		       off < 20 && caplen >= off + 6) {
			off += 4;
			type = be16(frame + off);
		}
		return ip_by_ethertype(type, (int)off + 2);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return ip_by_version(frame, caplen, 0);
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return -1;
		return ip_by_ethertype(be16(frame + 14), 16);
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return -1;
		return ip_by_ethertype(be16(frame), 20);
	case DLT_NULL:
	case DLT_LOOP:
		/* The family is in host or network order depending on the
		 * writer: the IP version nibble tells either way. */
		if (caplen < 4)
			return -1;
		return ip_by_version(frame, caplen, 4);
	default:
		return -1;
	}
}

static int dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
		return 1;
	default:
		return 0;
	}
}

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
	if (!dlt_supported(dlt)) {
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
		off = replay_ip_offset(dlt, frame, h->caplen);
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
