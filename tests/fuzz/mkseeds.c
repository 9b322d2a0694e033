/*
 * mkseeds - write the fuzzers' seed corpora: inputs the project makes
 * itself, so that the fuzzers start from well-formed packets, captures
 * and quotes instead of from nothing.
 *
 * usage: mkseeds DIR   Writes DIR/packet, DIR/replay, DIR/icmp.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include <pcap/pcap.h>

#include "addr.h"
#include "packet.h"
#include "pktbuild.h"
#include "probe.h"

static const char *top;

static void mkdir_or_die(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "mkseeds: cannot create %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
}

/* One seed file: a prefix byte (the harness's selector), then bytes. */
static void seed(const char *corpus, const char *name, uint8_t prefix,
		 const uint8_t *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", top, corpus, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(&prefix, 1, 1, f) != 1 ||
	    (len && fwrite(buf, 1, len, f) != len) || fclose(f) != 0) {
		fprintf(stderr, "mkseeds: cannot write %s\n", path);
		exit(1);
	}
}

static const struct pktspec packets[] = {
	{ AF_INET, IPPROTO_TCP, "198.18.1.2", "198.18.2.2", 40000, 7781, 64,
	  PKT_TCP_SYN, 1000, 0, 64240, 1460, 0 },
	{ AF_INET, IPPROTO_TCP, "198.18.2.2", "198.18.1.2", 7781, 40000, 64,
	  PKT_TCP_ACK | PKT_TCP_PSH, 5000, 1001, 501, 0, 30 },
	{ AF_INET, IPPROTO_UDP, "198.18.1.2", "198.18.2.2", 40001, 7781, 64,
	  0, 0, 0, 0, 0, 20 },
	{ AF_INET6, IPPROTO_TCP, "2001:2::2", "2001:2:0:2::2", 40002, 7781, 64,
	  PKT_TCP_SYN, 7, 0, 65535, 1440, 0 },
	{ AF_INET6, IPPROTO_UDP, "2001:2::2", "2001:2:0:2::2", 40003, 7781, 64,
	  0, 0, 0, 0, 0, 48 },
	{ AF_INET, IPPROTO_TCP, "198.18.1.2", "198.18.2.2", 40000, 7781, 64,
	  PKT_TCP_RST, 1001, 0, 0, 0, 0 },
};

static void packet_seeds(void)
{
	uint8_t buf[2048];
	char name[32];
	size_t k, n;

	for (k = 0; k < sizeof(packets) / sizeof(packets[0]); k++) {
		n = pktbuild(buf, sizeof(buf), &packets[k]);
		snprintf(name, sizeof(name), "pkt%zu", k);
		seed("packet", name, 0, buf, n);
		/* The same packet cut short by a copy range. */
		snprintf(name, sizeof(name), "pkt%zu-cut", k);
		seed("packet", name, 3, buf, n > 40 ? 40 : n);
	}
}

/*
 * A capture of a TCP and a UDP game flow: heartbeats every 300 ms, then
 * the client falls silent while the server retransmits, then the client
 * reconnects from a new port. linktype frames each IP packet.
 */
static void capture(const char *name, int linktype)
{
	char path[4096];
	uint8_t frame[2048], ip[2048];
	struct pcap_pkthdr h;
	struct pktspec s;
	pcap_dumper_t *d;
	pcap_t *p;
	size_t hl = 0, n;
	uint32_t cseq = 1000, sseq = 5000;
	int k;

	snprintf(path, sizeof(path), "%s/replay/%s", top, name);
	p = pcap_open_dead(linktype, 65535);
	d = p ? pcap_dump_open(p, path) : NULL;
	if (d == NULL) {
		fprintf(stderr, "mkseeds: cannot write %s\n", path);
		exit(1);
	}
	memset(frame, 0, sizeof(frame));
	if (linktype == DLT_EN10MB) {
		/* With an 802.1Q tag, as a trunk port shows it. */
		frame[12] = 0x81;
		frame[14] = 0x00;
		frame[15] = 0x07;
		frame[16] = 0x08;
		hl = 18;
	} else if (linktype == DLT_LINUX_SLL2) {
		frame[0] = 0x08;
		hl = 20;
	}
	for (k = 0; k < 40; k++) {
		int from_client = k % 2 == 0, silent = k >= 20 && k < 34;

		memset(&s, 0, sizeof(s));
		s.family = AF_INET;
		s.proto = k % 5 == 4 ? IPPROTO_UDP : IPPROTO_TCP;
		s.tcp_flags = PKT_TCP_ACK | PKT_TCP_PSH;
		s.payload_len = 20;
		s.window = 501;
		if (from_client && silent)
			continue;
		if (from_client) {
			s.src = "198.18.1.2";
			s.dst = "198.18.2.2";
			s.sport = k >= 34 ? 40100 : 40000;
			s.dport = 7781;
			s.seq = cseq;
			s.ack = sseq;
			cseq += 20;
		} else {
			s.src = "198.18.2.2";
			s.dst = "198.18.1.2";
			s.sport = 7781;
			s.dport = k >= 34 ? 40100 : 40000;
			s.seq = silent ? sseq - 20 : sseq;	/* retransmits */
			s.ack = cseq;
			if (!silent)
				sseq += 20;
		}
		n = pktbuild(ip, sizeof(ip), &s);
		memcpy(frame + hl, ip, n);
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = 1700000000 + k * 3 / 10;
		h.ts.tv_usec = (k * 300000) % 1000000;
		h.caplen = h.len = (uint32_t)(hl + n);
		pcap_dump((u_char *)d, &h, frame);
	}
	pcap_dump_close(d);
	pcap_close(p);
}

/* A router's time-exceeded for the hop locator's probe at ttl. */
static void icmp_seeds(void)
{
	static const uint8_t client[4] = { 198, 18, 1, 2 }, server[4] = { 198, 18, 2, 2 };
	static const uint8_t router[4] = { 198, 18, 2, 1 };
	struct probe_spec s;
	uint8_t probe[128], msg[256];
	size_t n;

	memset(&s, 0, sizeof(s));
	addr_from_v4(&s.src, server);
	addr_from_v4(&s.dst, client);
	s.sport = 7781;
	s.dport = 40000;
	s.proto = IPPROTO_TCP;
	s.ttl = 1;
	s.ladder = LADDER_FLOW;
	s.seq = 0xdeadbeef - 1;
	s.ack = 0x01020304;
	s.window = 501;
	n = probe_build(&s, probe, sizeof(probe));
	memset(msg, 0, 28);
	msg[0] = 0x45;
	msg[8] = 64;
	msg[9] = IPPROTO_ICMP;
	memcpy(msg + 12, router, 4);
	memcpy(msg + 16, server, 4);
	msg[20] = 11;		/* time exceeded */
	memcpy(msg + 28, probe, n > 48 ? 48 : n);
	seed("icmp", "time-exceeded4", 0, msg, 28 + (n > 48 ? 48 : n));
	msg[20] = 3;		/* port unreachable, from the client */
	msg[21] = 3;
	memcpy(msg + 12, client, 4);
	seed("icmp", "unreachable4", 0, msg, 28 + (n > 48 ? 48 : n));

	s.src.s6_addr[0] = 0x20;
	s.src.s6_addr[1] = 0x01;
	s.src.s6_addr[15] = 2;
	s.dst = s.src;
	s.dst.s6_addr[7] = 2;
	n = probe_build(&s, probe, sizeof(probe));
	memset(msg, 0, 8);
	msg[0] = 3;		/* ICMPv6 time exceeded */
	memcpy(msg + 8, probe, n);
	seed("icmp", "time-exceeded6", 1, msg, 8 + n);
}

int main(int argc, char **argv)
{
	char path[4096];
	const char *const corpora[] = { "packet", "replay", "icmp" };
	size_t k;

	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	top = argv[1];
	mkdir_or_die(top);
	for (k = 0; k < sizeof(corpora) / sizeof(corpora[0]); k++) {
		snprintf(path, sizeof(path), "%s/%s", top, corpora[k]);
		mkdir_or_die(path);
	}
	packet_seeds();
	capture("raw.pcap", DLT_RAW);
	capture("ether-vlan.pcap", DLT_EN10MB);
	capture("sll2.pcap", DLT_LINUX_SLL2);
	icmp_seeds();
	return 0;
}
