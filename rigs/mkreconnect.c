/*
 * mkreconnect - write a capture of TCP game flows where many players
 * share one client address (CGNAT) and a device on the path loses all of
 * an address's flows at once: each victim's client gives up a fixed time
 * after its last heartbeat got through (its next one is lost, its TCP
 * retransmits it, then aborts) and reconnects at once from a new port.
 * The truth, one line per victim ("OLD_CLIENT:PORT NEW_PORT"), goes to
 * --truth, for a test to hold gapwatchd's matches against.
 *
 * usage: mkreconnect -o FILE --truth FILE [--addresses N] [--per-address P]
 *                    [--cut-addresses K] [--lone N] [--giveup-ms D]
 *                    [--jitter-ms J] [--interval-ms I] [--ttl-variety]
 *                    [--seed S]
 *
 * Every player sends a heartbeat (20 bytes) every --interval-ms with its
 * own phase; the server answers each (30 bytes) 20 ms later, and the
 * client acknowledges 20 ms after that. At 10 s the first --cut-addresses
 * addresses lose every flow (the server retransmits into silence with
 * RTO back-off from 200 ms); --lone more addresses lose one player each
 * at 3 s (an unambiguous reconnect: one silent flow on its address). A
 * victim reconnects at its last data + --giveup-ms (+- --jitter-ms,
 * uniform). With --ttl-variety, half of the players of an address are
 * one kind of device (initial TTL 128), half another (64). 50 s in all.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "packet.h"
#include "pktbuild.h"

#define T0_US		(1700000000ULL * 1000000)
/* Late enough that every flow has learned its heartbeat (3 intervals). */
#define END_US		(50ULL * 1000000)
#define CUT_US		(25ULL * 1000000)
#define LONE_US		(15ULL * 1000000)
#define SERVER		"198.18.2.2"

struct pkt {
	uint64_t t;			/* after T0 */
	uint32_t order;
	char client[16];
	uint16_t cport;
	uint8_t from_client, flags, ttl;
	uint16_t mss;
	uint32_t seq, ack, len;
};

static struct pkt *pkts;
static size_t npkts, cap;

static void emit(uint64_t t, const char *client, uint16_t cport, int from_client,
		 uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len,
		 uint8_t ttl, uint16_t mss)
{
	struct pkt *p;

	if (t >= END_US)
		return;
	if (npkts == cap) {
		cap = cap ? cap * 2 : 1 << 16;
		pkts = realloc(pkts, cap * sizeof(*pkts));
		if (pkts == NULL) {
			fprintf(stderr, "mkreconnect: out of memory\n");
			exit(1);
		}
	}
	p = &pkts[npkts];
	p->t = t;
	p->order = (uint32_t)npkts++;
	snprintf(p->client, sizeof(p->client), "%s", client);
	p->cport = cport;
	p->from_client = (uint8_t)from_client;
	p->flags = flags;
	p->seq = seq;
	p->ack = ack;
	p->len = len;
	p->ttl = ttl;
	p->mss = mss;
}

static int by_time(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static unsigned long num(const char *opt, const char *v)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (*v == '\0' || *end != '\0') {
		fprintf(stderr, "mkreconnect: %s: '%s' is not a number\n", opt, v);
		exit(2);
	}
	return n;
}

/*
 * One connection of a player from cport, from start until it is cut at
 * cut (0: never), heartbeats at phase + k * interval. Returns the time of
 * its last heartbeat that got through (0 when never cut).
 */
static uint64_t connection(const char *client, uint16_t cport, uint64_t start,
			   uint64_t phase, uint64_t interval, uint64_t cut,
			   uint8_t ttl, uint32_t *iss)
{
	uint32_t cseq = *iss, sseq = *iss * 7 + 1000000, retx;
	uint64_t t, last = 0, rto;
	const uint8_t A = PKT_TCP_ACK, PA = PKT_TCP_ACK | PKT_TCP_PSH;

	*iss += 100000;
	emit(start, client, cport, 1, PKT_TCP_SYN, cseq++, 0, 0, ttl, 1460);
	emit(start + 10000, client, cport, 0, PKT_TCP_SYN | A, sseq++, cseq, 0, 64, 1460);
	emit(start + 20000, client, cport, 1, A, cseq, sseq, 0, ttl, 0);
	for (t = start + phase; t < END_US; t += interval) {
		if (cut && t >= cut) {
			/* The server's answer to the last heartbeat went
			 * out unacknowledged: it retransmits, RTO doubling. */
			for (retx = 0, rto = 200000; retx < 8; retx++, rto *= 2)
				emit(last + 20000 + rto * 2 - 200000, client, cport,
				     0, PA, sseq - 30, cseq, 30, 64, 0);
			return last;
		}
		emit(t, client, cport, 1, PA, cseq, sseq, 20, ttl, 0);
		cseq += 20;
		if (cut && t + 20000 >= cut) {
			/* Lost on the way back: the server's answer goes
			 * unacknowledged. */
			emit(t + 20000, client, cport, 0, PA, sseq, cseq, 30, 64, 0);
			sseq += 30;
			last = t;
			for (retx = 0, rto = 200000; retx < 8; retx++, rto *= 2)
				emit(t + 20000 + rto * 2 - 200000 + 200000, client,
				     cport, 0, PA, sseq - 30, cseq, 30, 64, 0);
			return last;
		}
		emit(t + 20000, client, cport, 0, PA, sseq, cseq, 30, 64, 0);
		sseq += 30;
		emit(t + 40000, client, cport, 1, A, cseq, sseq, 0, ttl, 0);
		last = t;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "truth", required_argument, NULL, 't' },
		{ "addresses", required_argument, NULL, 'a' },
		{ "per-address", required_argument, NULL, 'p' },
		{ "cut-addresses", required_argument, NULL, 'k' },
		{ "lone", required_argument, NULL, 'l' },
		{ "giveup-ms", required_argument, NULL, 'g' },
		{ "jitter-ms", required_argument, NULL, 'j' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "ttl-variety", no_argument, NULL, 'v' },
		{ "seed", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char *out = NULL, *truth = NULL;
	unsigned long addresses = 770, per = 13, cutk = 8, lone = 20;
	unsigned long giveup_ms = 9000, jitter_ms = 0, interval_ms = 3000, seed = 1;
	int variety = 0, c;
	uint32_t iss = 1000;
	unsigned long a, k;
	uint8_t buf[256];
	pcap_t *p;
	pcap_dumper_t *d;
	FILE *tf;
	size_t n;

	while ((c = getopt_long(argc, argv, "o:t:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 't': truth = optarg; break;
		case 'a': addresses = num("--addresses", optarg); break;
		case 'p': per = num("--per-address", optarg); break;
		case 'k': cutk = num("--cut-addresses", optarg); break;
		case 'l': lone = num("--lone", optarg); break;
		case 'g': giveup_ms = num("--giveup-ms", optarg); break;
		case 'j': jitter_ms = num("--jitter-ms", optarg); break;
		case 'i': interval_ms = num("--interval-ms", optarg); break;
		case 'v': variety = 1; break;
		case 's': seed = num("--seed", optarg); break;
		default:
			fprintf(stderr, "usage: mkreconnect -o FILE --truth FILE "
				"[--addresses N] [--per-address P] [--cut-addresses K] "
				"[--lone N] [--giveup-ms D] [--jitter-ms J] "
				"[--interval-ms I] [--ttl-variety] [--seed S]\n");
			return 2;
		}
	}
	if (out == NULL || truth == NULL || per == 0 || per > 200 ||
	    cutk + lone > addresses || addresses > 60000 || interval_ms == 0 ||
	    jitter_ms * 2 >= giveup_ms) {
		fprintf(stderr, "mkreconnect: needs -o and --truth; per-address "
			"1..200, cut + lone <= addresses <= 60000, interval > 0, "
			"jitter < giveup / 2\n");
		return 2;
	}
	srandom((unsigned int)seed);
	tf = fopen(truth, "w");
	if (tf == NULL) {
		perror(truth);
		return 1;
	}
	for (a = 0; a < addresses; a++) {
		char client[16];

		snprintf(client, sizeof(client), "198.19.%lu.%lu", a >> 8, a & 255);
		for (k = 0; k < per; k++) {
			uint16_t port = (uint16_t)(20000 + k * 2);
			uint8_t ttl = variety && k % 2 ? 114 : 50;
			uint64_t phase = (uint64_t)(random() % (long)(interval_ms * 1000));
			uint64_t cut = a < cutk ? CUT_US :
				       a < cutk + lone && k == 0 ? LONE_US : 0;
			uint64_t last, back;
			long jit;

			last = connection(client, port, 0, phase + 100000,
					  interval_ms * 1000, cut, ttl, &iss);
			if (!cut)
				continue;
			jit = jitter_ms ? random() % (long)(2 * jitter_ms * 1000 + 1) -
					  (long)(jitter_ms * 1000) : 0;
			back = last + giveup_ms * 1000 + (uint64_t)jit;
			connection(client, (uint16_t)(port + 1), back, 100000,
				   interval_ms * 1000, 0, ttl, &iss);
			fprintf(tf, "%s:%u %u\n", client, port, port + 1);
		}
	}
	fclose(tf);
	qsort(pkts, npkts, sizeof(*pkts), by_time);
	p = pcap_open_dead(DLT_RAW, 65535);
	d = p ? pcap_dump_open(p, out) : NULL;
	if (d == NULL) {
		fprintf(stderr, "mkreconnect: cannot write %s: %s\n", out,
			p ? pcap_geterr(p) : "out of memory");
		return 1;
	}
	for (n = 0; n < npkts; n++) {
		const struct pkt *q = &pkts[n];
		struct pktspec s = {
			.family = AF_INET, .proto = IPPROTO_TCP,
			.src = q->from_client ? q->client : SERVER,
			.dst = q->from_client ? SERVER : q->client,
			.sport = q->from_client ? q->cport : 7781,
			.dport = q->from_client ? 7781 : q->cport,
			.ttl = q->ttl, .tcp_flags = q->flags, .seq = q->seq,
			.ack = q->ack, .window = 64000, .mss = q->mss,
			.payload_len = q->len,
		};
		struct pcap_pkthdr h;
		size_t len = pktbuild(buf, sizeof(buf), &s);
		uint64_t t = T0_US + q->t;

		h.ts.tv_sec = (time_t)(t / 1000000);
		h.ts.tv_usec = (suseconds_t)(t % 1000000);
		h.caplen = h.len = (bpf_u_int32)len;
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(p);
	free(pkts);
	return 0;
}
