/*
 * mkpcap - write a synthetic game-traffic capture, for the replay
 * benchmark and for trying gapwatchd --read without a live server.
 *
 * usage: mkpcap -o FILE [--flows N] [--packets N] [--interval-ms MS]
 *               [--udp-percent P] [--silent-flows N] [--per-prefix N]
 *
 * Flows take turns in a fixed round-robin, one packet each, so that every
 * flow sends once per interval: TCP flows cycle through client data,
 * server data (acking it) and a client ACK; UDP flows through a client and
 * a server datagram. The first --silent-flows flows stop sending from the
 * client half way through while their server keeps retransmitting: each
 * such flow makes one gap. Clients are 198.19.0.0/16 in order; with
 * --per-prefix N, N to a /24 from 10.0.0.0/8, so that 100k flows spread
 * over many client networks (the exposure table's sizing).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "packet.h"
#include "pktbuild.h"

struct flow_gen {
	char client[32];
	uint16_t port;
	uint8_t udp;
	uint8_t step;
	uint32_t client_seq, server_seq;
};

static unsigned long arg_num(const char *opt, const char *v)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (*v == '\0' || *end != '\0') {
		fprintf(stderr, "mkpcap: %s: '%s' is not a number\n", opt, v);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "flows", required_argument, NULL, 'f' },
		{ "packets", required_argument, NULL, 'n' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "udp-percent", required_argument, NULL, 'u' },
		{ "silent-flows", required_argument, NULL, 's' },
		{ "per-prefix", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long flows = 10000, packets = 1000000, interval_ms = 1000;
	unsigned long udp_percent = 30, silent = 0, per_prefix = 0, k, pfx;
	const char *out = NULL;
	struct flow_gen *g;
	struct pktspec s;
	pcap_dumper_t *d;
	pcap_t *p;
	uint8_t buf[256];
	int c;

	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': flows = arg_num("--flows", optarg); break;
		case 'n': packets = arg_num("--packets", optarg); break;
		case 'i': interval_ms = arg_num("--interval-ms", optarg); break;
		case 'u': udp_percent = arg_num("--udp-percent", optarg); break;
		case 's': silent = arg_num("--silent-flows", optarg); break;
		case 'p': per_prefix = arg_num("--per-prefix", optarg); break;
		default:
			fprintf(stderr, "usage: mkpcap -o FILE [--flows N] [--packets N] "
				"[--interval-ms MS] [--udp-percent P] [--silent-flows N] "
				"[--per-prefix N]\n");
			return 2;
		}
	}
	if (out == NULL || flows == 0 || flows > 1000000 || silent > flows ||
	    interval_ms == 0 || per_prefix > 254) {
		fprintf(stderr, "mkpcap: need -o FILE, 1..1000000 flows, "
			"silent-flows <= flows, interval > 0, per-prefix <= 254\n");
		return 2;
	}
	g = calloc(flows, sizeof(*g));
	p = pcap_open_dead(DLT_RAW, 65535);
	d = p ? pcap_dump_open(p, out) : NULL;
	if (g == NULL || d == NULL) {
		fprintf(stderr, "mkpcap: cannot write %s: %s\n", out,
			p ? pcap_geterr(p) : "out of memory");
		return 1;
	}
	for (k = 0; k < flows; k++) {
		pfx = per_prefix ? k / per_prefix : 0;
		if (per_prefix)
			snprintf(g[k].client, sizeof(g[k].client), "10.%lu.%lu.%lu",
				 (pfx >> 8) & 255, pfx & 255, k % per_prefix + 1);
		else
			snprintf(g[k].client, sizeof(g[k].client), "198.19.%lu.%lu",
				 (k >> 8) & 255, k & 255);
		g[k].port = (uint16_t)(20000 + (k >> 16));
		g[k].udp = k * 100 / flows >= 100 - udp_percent;
		g[k].client_seq = 1000 + (uint32_t)k;
		g[k].server_seq = 5000000 + (uint32_t)k;
	}
	for (k = 0; k < packets; k++) {
		struct flow_gen *f = &g[k % flows];
		uint64_t t_us = 1700000000ULL * 1000000 +
				k * interval_ms * 1000 / flows;
		int quiet = k % flows < silent && k >= packets / 2;
		int from_client;
		struct pcap_pkthdr h;
		size_t len;

		memset(&s, 0, sizeof(s));
		s.family = AF_INET;
		s.window = 64000;
		s.proto = f->udp ? IPPROTO_UDP : IPPROTO_TCP;
		from_client = f->udp ? f->step % 2 == 0 : f->step % 3 != 1;
		if (quiet)
			from_client = 0;
		if (from_client) {
			s.src = f->client;
			s.dst = "198.18.2.2";
			s.sport = f->port;
			s.dport = 7781;
		} else {
			s.src = "198.18.2.2";
			s.dst = f->client;
			s.sport = 7781;
			s.dport = f->port;
		}
		if (f->udp) {
			s.payload_len = from_client ? 20 : 30;
		} else if (from_client) {
			s.tcp_flags = PKT_TCP_ACK;
			s.seq = f->client_seq;
			s.ack = f->server_seq;
			s.payload_len = f->step % 3 == 0 ? 20 : 0;
			f->client_seq += s.payload_len;
		} else {
			s.tcp_flags = PKT_TCP_ACK | PKT_TCP_PSH;
			s.seq = f->server_seq;
			s.ack = f->client_seq;
			s.payload_len = 30;
			/* Unacked by a silent client: send the same again. */
			if (!quiet)
				f->server_seq += 30;
		}
		f->step++;
		len = pktbuild(buf, sizeof(buf), &s);
		h.ts.tv_sec = (time_t)(t_us / 1000000);
		h.ts.tv_usec = (suseconds_t)(t_us % 1000000);
		h.caplen = h.len = (bpf_u_int32)len;
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(p);
	free(g);
	return 0;
}
