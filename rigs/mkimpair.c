/*
 * mkimpair - write a capture of impaired game traffic as the server's
 * capture point sees it: reordering, duplication, loss, retransmission
 * with exponential back-off, outages, application silences, keep-alives,
 * resets and reconnects, and a clock that steps back and jumps. For the
 * tshark agreement test (tests/integration/t-tshark.sh).
 *
 * usage: mkimpair -o FILE [--seed N] [--flows N] [--seconds S]
 *                 [--udp-percent P] [--ethernet] [--back-permille N]
 *                 [--jump-at S --jump-s S]
 *
 * The same options give the same file, byte for byte: one seeded
 * generator (splitmix64), no clock, no addresses from the host.
 *
 * Each flow is simulated on its own: a client 198.19.0.x (or
 * 2001:db8:19::x) and the server 198.18.2.2 (2001:db8::2) port 7781,
 * heartbeats every 200..500 ms from both sides, and a tiny TCP: every
 * segment is acknowledged at once, lost data is retransmitted from the
 * oldest unacknowledged byte when the RTO (200 ms, doubling) fires, and
 * while it backs off the application's new data waits. The capture point
 * is the server: a client packet is captured when it arrives (so a lost
 * one never is), a server packet when it leaves (so a lost one is).
 * Every 6..14 s a flow goes through an episode of 3..7 s: the path to the
 * server down, the path to the client down, the client's or the server's
 * application silent. Some TCP flows end with a FIN, some with the client's
 * RST after an outage and a reconnect from a new port.
 *
 * The clock, after the simulation: --back-permille packets get a time
 * 1..50 ms before their own (a merged capture stepping back), and every
 * packet from --jump-at on is --jump-s later (a clock step forward).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "packet.h"
#include "pktbuild.h"

#define US		1000000ULL
#define T_BASE		(1700000000ULL * US)
#define RTO_MIN_US	200000U
#define RTO_MAX_US	(60U * 1000000)
#define ACK_DELAY_US	30
#define MAX_EPISODES	16
#define MAX_PENDING	256
#define SERVER_PORT	7781
#define MAX_SEG		1400

enum { CLIENT = 0, SERVER = 1 };

enum episode_kind { EP_TO_SERVER_DOWN, EP_TO_CLIENT_DOWN, EP_CLIENT_QUIET,
		    EP_SERVER_QUIET, EP_KINDS };

enum flow_end { END_NONE, END_FIN, END_RST };

struct episode {
	enum episode_kind kind;
	uint64_t from, to;
};

/* A packet on its way to the other end. */
struct pending {
	uint64_t at;
	uint32_t seq, ack, len;
	uint8_t to, flags;
};

/* One direction's sender and receiver state, named by the sending side. */
struct side {
	uint32_t nxt, una;	/* sender: next new byte, oldest unacked */
	uint32_t rcv;		/* receiver of the other side: in order up to */
	uint32_t hole_seq, hole_end;	/* received beyond rcv (one range) */
	uint64_t rto_at;	/* 0: no timer */
	uint32_t rto_us;
	uint32_t queued;	/* application bytes waiting for the back-off */
	int backoff;
	int fin;		/* sent its FIN, the last sequence number */
	uint64_t next_hb;
	uint32_t interval_us;
};

struct flow {
	char client[48], server[48];
	int v6, udp, handshake, keepalives;
	int reset;		/* the client ended it with a RST */
	uint16_t port;
	uint32_t owd_us;	/* one-way delay client <-> server */
	uint64_t start, end_at;
	enum flow_end end;
	struct episode ep[MAX_EPISODES];
	int nep;
	struct side s[2];
	struct pending pend[MAX_PENDING];
	int npend;
	int closed;
};

struct rec {
	uint64_t t;
	uint32_t n, flow, seq, ack, len;
	uint8_t from_client, flags;
	uint16_t mss;
};

static uint64_t rng_state;
static struct rec *recs;
static size_t nrecs, caprecs;
static struct flow *flows;
static size_t nflows, capflows;
static unsigned long stats_episodes[EP_KINDS], stats_reordered,
	stats_late_reordered, stats_duplicated, stats_lost, stats_rto,
	stats_keepalives, stats_backwards, stats_rst, stats_fin;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static uint64_t between(uint64_t lo, uint64_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

static int chance(unsigned int permille)
{
	return rnd() % 1000 < permille;
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	*cap = *cap ? *cap * 2 : 1024;
	if (*cap < need)
		*cap = need;
	p = realloc(p, *cap * size);
	if (p == NULL) {
		fprintf(stderr, "mkimpair: out of memory\n");
		exit(1);
	}
	return p;
}

static int in_episode(const struct flow *f, enum episode_kind k, uint64_t t)
{
	int i;

	for (i = 0; i < f->nep; i++)
		if (f->ep[i].kind == k && t >= f->ep[i].from && t < f->ep[i].to)
			return 1;
	return 0;
}

static void capture(uint32_t fi, int from, uint64_t t, uint32_t seq,
		    uint32_t ack, uint32_t len, uint8_t flags, uint16_t mss)
{
	struct rec *r;

	recs = grow(recs, &caprecs, nrecs + 1, sizeof(*recs));
	r = &recs[nrecs];
	r->t = t;
	r->n = (uint32_t)nrecs;
	r->flow = fi;
	r->seq = seq;
	r->ack = ack;
	r->len = len;
	r->from_client = from == CLIENT;
	r->flags = flags;
	r->mss = mss;
	nrecs++;
}

static void travel(struct flow *f, int to, uint64_t at, uint32_t seq,
		   uint32_t ack, uint32_t len, uint8_t flags)
{
	struct pending *p;

	if (f->npend == MAX_PENDING) {
		fprintf(stderr, "mkimpair: too many packets in flight\n");
		exit(1);
	}
	p = &f->pend[f->npend++];
	p->at = at;
	p->to = (uint8_t)to;
	p->seq = seq;
	p->ack = ack;
	p->len = len;
	p->flags = flags;
}

/* Side "from" sends a segment at t; lag delays it on the way. */
static void send_lagged(uint32_t fi, int from, uint64_t t, uint32_t seq,
			uint32_t len, uint8_t flags, uint64_t lag)
{
	struct flow *f = &flows[fi];
	uint32_t ack = f->s[!from].rcv;
	int down = in_episode(f, from == CLIENT ? EP_TO_SERVER_DOWN :
			      EP_TO_CLIENT_DOWN, t);
	int lost = down || chance(10);

	if (f->udp) {
		seq = ack = 0;
		flags = 0;
	} else if (!(flags & PKT_TCP_SYN)) {
		flags |= PKT_TCP_ACK;
	}
	if (lost && !down)
		stats_lost++;
	if (from == SERVER) {
		capture(fi, SERVER, t, seq, ack, len, flags, 0);
		if (!lost)
			travel(f, CLIENT, t + f->owd_us, seq, ack, len, flags);
		return;
	}
	if (lost)
		return;
	travel(f, SERVER, t + f->owd_us + lag, seq, ack, len, flags);
	if (chance(5)) {
		stats_duplicated++;
		travel(f, SERVER, t + f->owd_us + lag + between(20, 200), seq,
		       ack, len, flags);
	}
}

static void send_seg(uint32_t fi, int from, uint64_t t, uint32_t seq,
		     uint32_t len, uint8_t flags)
{
	send_lagged(fi, from, t, seq, len, flags, 0);
}

static void arm(struct side *s, uint64_t t)
{
	if (s->rto_at == 0)
		s->rto_at = t + s->rto_us;
}

/* New application data of side i; the client's is now and then sent in
 * two segments of which the first is overtaken on the way. */
static void send_data(uint32_t fi, int i, uint64_t t, uint32_t len)
{
	struct flow *f = &flows[fi];
	struct side *s = &f->s[i];
	uint32_t first = len / 2;

	if (f->udp) {
		send_seg(fi, i, t, 0, len, 0);
		return;
	}
	if (i == CLIENT && len > 1 && chance(60)) {
		/* Overtaken by 0.3..2.8 ms, now and then by 3.5..9 ms. */
		uint64_t lag = chance(150) ? between(3600, 9000) :
					     between(400, 2900);

		if (lag > 3000)
			stats_late_reordered++;
		else
			stats_reordered++;
		send_lagged(fi, i, t, s->nxt, first, PKT_TCP_PSH, lag);
		send_seg(fi, i, t + 100, s->nxt + first, len - first,
			 PKT_TCP_PSH);
	} else {
		send_seg(fi, i, t, s->nxt, len, PKT_TCP_PSH);
	}
	s->nxt += len;
	arm(s, t);
}

/* Side i's receiver got [seq, seq + len) of the other side's data. */
static void receive(struct side *from, uint32_t seq, uint32_t len)
{
	uint32_t end = seq + len;

	if ((int32_t)(seq - from->rcv) <= 0) {
		if ((int32_t)(end - from->rcv) > 0)
			from->rcv = end;
		if (from->hole_end &&
		    (int32_t)(from->hole_seq - from->rcv) <= 0) {
			if ((int32_t)(from->hole_end - from->rcv) > 0)
				from->rcv = from->hole_end;
			from->hole_seq = from->hole_end = 0;
		}
	} else if (from->hole_end == 0 || seq == from->hole_end) {
		if (from->hole_end == 0)
			from->hole_seq = seq;
		from->hole_end = end;
	}
}

/* Side i's sender got an acknowledgement up to ack. */
static void acked(uint32_t fi, int i, uint32_t ack, uint64_t t)
{
	struct side *s = &flows[fi].s[i];

	if ((int32_t)(ack - s->una) <= 0)
		return;
	s->una = ack;
	s->rto_us = RTO_MIN_US;
	s->rto_at = s->una == s->nxt ? 0 : t + s->rto_us;
	if (s->backoff) {
		s->backoff = 0;
		while (s->queued) {
			uint32_t q = s->queued > MAX_SEG ? MAX_SEG : s->queued;

			s->queued -= q;
			send_data(fi, i, t += 10, q);
		}
	}
}

static void arrive(uint32_t fi, const struct pending *p)
{
	struct flow *f = &flows[fi];
	int to = p->to, from = !to;
	struct side *peer = &f->s[from];

	if (to == SERVER)
		capture(fi, CLIENT, p->at, p->seq, p->ack, p->len, p->flags, 0);
	if (f->closed)
		return;
	if (f->udp)
		return;
	if (p->flags & PKT_TCP_RST) {
		f->closed = 1;
		return;
	}
	if (p->flags & PKT_TCP_ACK)
		acked(fi, to, p->ack, p->at);
	if (p->len || (p->flags & PKT_TCP_FIN) ||
	    p->seq == peer->rcv - 1) {
		/* Data, a FIN or a keep-alive: acknowledge it at once. */
		receive(peer, p->seq, p->len + !!(p->flags & PKT_TCP_FIN));
		send_seg(fi, to, p->at + ACK_DELAY_US, f->s[to].nxt, 0, 0);
	}
	if ((p->flags & PKT_TCP_FIN) && to == SERVER) {
		/* The server closes too; the client's last ACK ends it. */
		send_seg(fi, SERVER, p->at + 2 * ACK_DELAY_US, f->s[SERVER].nxt,
			 0, PKT_TCP_FIN);
		f->s[SERVER].nxt++;
		f->s[SERVER].fin = 1;
		arm(&f->s[SERVER], p->at);
	}
	if ((p->flags & PKT_TCP_FIN) && to == CLIENT)
		f->closed = 1;
}

static void rto_fire(uint32_t fi, int i, uint64_t t)
{
	struct side *s = &flows[fi].s[i];
	uint32_t len = s->nxt - s->una - (uint32_t)s->fin;

	if (s->una == s->nxt) {
		s->rto_at = 0;
		return;
	}
	stats_rto++;
	if (len)
		send_seg(fi, i, t, s->una, len > MAX_SEG ? MAX_SEG : len,
			 PKT_TCP_PSH);
	else
		send_seg(fi, i, t, s->una, 0, PKT_TCP_FIN);
	s->rto_us = s->rto_us * 2 > RTO_MAX_US ? RTO_MAX_US : s->rto_us * 2;
	s->rto_at = t + s->rto_us;
	s->backoff = 1;
}

static void heartbeat(uint32_t fi, int i, uint64_t t)
{
	struct flow *f = &flows[fi];
	struct side *s = &f->s[i];
	uint32_t len = (uint32_t)between(20, 60);

	s->next_hb = t + s->interval_us * 9 / 10 +
		     between(0, s->interval_us / 5);
	if (in_episode(f, i == CLIENT ? EP_CLIENT_QUIET : EP_SERVER_QUIET, t)) {
		/* A silent application; its TCP may still probe. */
		if (!f->udp && i == CLIENT && f->keepalives && chance(300)) {
			stats_keepalives++;
			send_seg(fi, CLIENT, t, s->nxt - 1, 0, 0);
		}
		return;
	}
	if (s->backoff)
		s->queued += len;
	else
		send_data(fi, i, t, len);
}

static void handshake(uint32_t fi, uint64_t t)
{
	struct flow *f = &flows[fi];
	struct side *c = &f->s[CLIENT], *s = &f->s[SERVER];
	uint64_t at = t + f->owd_us;

	capture(fi, CLIENT, at, c->nxt - 1, 0, 0, PKT_TCP_SYN, 1460);
	capture(fi, SERVER, at + ACK_DELAY_US, s->nxt - 1, c->nxt, 0,
		PKT_TCP_SYN | PKT_TCP_ACK, 1460);
	capture(fi, CLIENT, at + ACK_DELAY_US + 2 * f->owd_us, c->nxt, s->nxt,
		0, PKT_TCP_ACK, 0);
}

/* Take the earliest event of flow fi before the horizon; 0 when none. */
static int step(uint32_t fi, uint64_t horizon)
{
	struct flow *f = &flows[fi];
	uint64_t best = horizon;
	int kind = -1, k, which = 0;

	for (k = 0; k < f->npend; k++) {
		if (f->pend[k].at < best) {
			best = f->pend[k].at;
			kind = 0;
			which = k;
		}
	}
	for (k = 0; k < 2 && !f->closed; k++) {
		if (f->s[k].rto_at && f->s[k].rto_at < best) {
			best = f->s[k].rto_at;
			kind = 1;
			which = k;
		}
		if (f->s[k].next_hb < best && f->s[k].next_hb < f->end_at) {
			best = f->s[k].next_hb;
			kind = 2;
			which = k;
		}
	}
	if (!f->closed && f->end != END_NONE && f->end_at < best) {
		/* The client ends the flow. */
		uint8_t flag = f->end == END_FIN ? PKT_TCP_FIN : PKT_TCP_RST;

		send_seg(fi, CLIENT, f->end_at, f->s[CLIENT].nxt, 0, flag);
		if (flag == PKT_TCP_FIN) {
			f->s[CLIENT].nxt++;
			f->s[CLIENT].fin = 1;
			arm(&f->s[CLIENT], f->end_at);
		} else {
			f->closed = 1;
			f->reset = 1;
		}
		f->end = END_NONE;
		return 1;
	}
	if (kind == 0) {
		struct pending p = f->pend[which];

		f->pend[which] = f->pend[--f->npend];
		arrive(fi, &p);
	} else if (kind == 1) {
		rto_fire(fi, which, best);
	} else if (kind == 2) {
		heartbeat(fi, which, best);
	}
	return kind >= 0;
}

/* Flow k's client from port at start; handshake -1: by chance. */
static uint32_t new_flow(uint32_t k, uint64_t start, int udp, uint16_t port,
			 int handshake)
{
	struct flow *f;
	uint32_t fi = (uint32_t)nflows;
	int i;

	flows = grow(flows, &capflows, nflows + 1, sizeof(*flows));
	f = &flows[nflows++];
	memset(f, 0, sizeof(*f));
	f->v6 = k % 8 == 7;
	if (f->v6) {
		snprintf(f->client, sizeof(f->client), "2001:db8:19::%x", k + 1);
		snprintf(f->server, sizeof(f->server), "2001:db8::2");
	} else {
		snprintf(f->client, sizeof(f->client), "198.19.%u.%u",
			 (k + 1) >> 8 & 255, (k + 1) & 255);
		snprintf(f->server, sizeof(f->server), "198.18.2.2");
	}
	f->udp = udp;
	f->port = port;
	f->start = start;
	f->end_at = UINT64_MAX;
	f->owd_us = (uint32_t)between(2000, 30000);
	f->handshake = handshake >= 0 ? handshake : !udp && chance(800);
	f->keepalives = chance(500);
	for (i = 0; i < 2; i++) {
		struct side *s = &f->s[i];

		s->nxt = s->una = (uint32_t)rnd();
		s->rto_us = RTO_MIN_US;
		s->interval_us = (uint32_t)between(200000, 500000);
		s->next_hb = start + between(0, s->interval_us) +
			     (f->handshake ? 4U * f->owd_us : 0);
	}
	/* Each side's receiver starts where the other side's data starts. */
	f->s[CLIENT].rcv = f->s[CLIENT].nxt;
	f->s[SERVER].rcv = f->s[SERVER].nxt;
	return fi;
}

static void plan(uint32_t fi, uint64_t horizon)
{
	struct flow *f = &flows[fi];
	uint64_t t = f->start + between(6, 14) * US;

	while (f->nep < MAX_EPISODES && t + 8 * US < horizon) {
		struct episode *e = &f->ep[f->nep++];

		e->kind = (enum episode_kind)between(0, EP_KINDS - 1);
		if (f->udp && e->kind == EP_TO_CLIENT_DOWN)
			e->kind = EP_TO_SERVER_DOWN;
		e->from = t;
		e->to = t + between(3000, 7000) * 1000;
		stats_episodes[e->kind]++;
		t = e->to + between(6, 14) * US;
	}
	if (f->udp || f->nep == 0)
		return;
	if (chance(200)) {
		f->end = END_FIN;
		f->end_at = f->ep[f->nep - 1].to + between(1, 4) * US;
		stats_fin++;
	} else if (f->ep[0].kind == EP_TO_SERVER_DOWN && chance(500)) {
		/* The client gave up during the outage; its reset arrives
		 * when the path is back, and it reconnects. */
		f->end = END_RST;
		f->end_at = f->ep[0].to + 10000;
		f->nep = 1;
		stats_rst++;
	}
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->n < y->n ? -1 : x->n > y->n;
}

static unsigned long arg_num(const char *opt, const char *v)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (*v == '\0' || *end != '\0') {
		fprintf(stderr, "mkimpair: %s: '%s' is not a number\n", opt, v);
		exit(2);
	}
	return n;
}

static void simulate(uint32_t fi, uint64_t horizon)
{
	if (flows[fi].handshake)
		handshake(fi, flows[fi].start);
	while (step(fi, horizon))
		;
}

static int write_capture(const char *out, int ethernet, unsigned long back,
			 uint64_t jump_at, uint64_t jump_us)
{
	pcap_t *p = pcap_open_dead(ethernet ? DLT_EN10MB : DLT_RAW, 65535);
	pcap_dumper_t *d = p ? pcap_dump_open(p, out) : NULL;
	uint8_t buf[1600];
	size_t k;

	if (d == NULL) {
		fprintf(stderr, "mkimpair: cannot write %s: %s\n", out,
			p ? pcap_geterr(p) : "out of memory");
		if (p)
			pcap_close(p);
		return 1;
	}
	qsort(recs, nrecs, sizeof(*recs), rec_cmp);
	for (k = 0; k < nrecs; k++) {
		const struct rec *r = &recs[k];
		const struct flow *f = &flows[r->flow];
		struct pktspec s;
		struct pcap_pkthdr h;
		size_t off = ethernet ? 14 : 0, len;
		uint64_t t = r->t;

		memset(&s, 0, sizeof(s));
		s.family = f->v6 ? AF_INET6 : AF_INET;
		s.proto = f->udp ? IPPROTO_UDP : IPPROTO_TCP;
		s.src = r->from_client ? f->client : f->server;
		s.dst = r->from_client ? f->server : f->client;
		s.sport = r->from_client ? f->port : SERVER_PORT;
		s.dport = r->from_client ? SERVER_PORT : f->port;
		s.ttl = r->from_client ? 52 : 64;
		s.tcp_flags = r->flags;
		s.seq = r->seq;
		s.ack = r->ack;
		s.window = 64000;
		s.mss = r->mss;
		s.payload_len = r->len;
		len = pktbuild(buf + off, sizeof(buf) - off, &s);
		if (len == 0) {
			fprintf(stderr, "mkimpair: cannot build a packet\n");
			return 1;
		}
		if (ethernet) {
			static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1,
							  2, 0, 0, 0, 0, 2 };

			memcpy(buf, macs, sizeof(macs));
			buf[12] = f->v6 ? 0x86 : 0x08;
			buf[13] = f->v6 ? 0xdd : 0x00;
			len += off;
		}
		if (k > 0 && chance(back)) {
			t -= between(1000, 50000);
			stats_backwards++;
		}
		if (jump_us && t >= jump_at)
			t += jump_us;
		t += T_BASE;
		h.ts.tv_sec = (time_t)(t / US);
		h.ts.tv_usec = (suseconds_t)(t % US);
		h.caplen = h.len = (bpf_u_int32)len;
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 'S' },
		{ "flows", required_argument, NULL, 'f' },
		{ "seconds", required_argument, NULL, 's' },
		{ "udp-percent", required_argument, NULL, 'u' },
		{ "ethernet", no_argument, NULL, 'e' },
		{ "back-permille", required_argument, NULL, 'b' },
		{ "jump-at", required_argument, NULL, 'j' },
		{ "jump-s", required_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long seed = 1, nf = 40, seconds = 90, udp_percent = 25;
	unsigned long back = 0, jump_at = 0, jump_s = 0, k;
	const char *out = NULL;
	int ethernet = 0, c;
	uint64_t horizon;

	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'S': seed = arg_num("--seed", optarg); break;
		case 'f': nf = arg_num("--flows", optarg); break;
		case 's': seconds = arg_num("--seconds", optarg); break;
		case 'u': udp_percent = arg_num("--udp-percent", optarg); break;
		case 'e': ethernet = 1; break;
		case 'b': back = arg_num("--back-permille", optarg); break;
		case 'j': jump_at = arg_num("--jump-at", optarg); break;
		case 'J': jump_s = arg_num("--jump-s", optarg); break;
		default:
			fprintf(stderr, "usage: mkimpair -o FILE [--seed N] [--flows N] "
				"[--seconds S] [--udp-percent P] [--ethernet] "
				"[--back-permille N] [--jump-at S --jump-s S]\n");
			return 2;
		}
	}
	if (out == NULL || nf == 0 || nf > 4000 || seconds == 0 ||
	    seconds > 86400 || udp_percent > 100 || back > 1000) {
		fprintf(stderr, "mkimpair: need -o FILE, 1..4000 flows, "
			"1..86400 seconds, udp-percent <= 100, back-permille <= 1000\n");
		return 2;
	}
	rng_state = seed;
	horizon = seconds * US;
	for (k = 0; k < nf; k++) {
		int udp = k * 100 / nf >= 100 - udp_percent;
		uint32_t fi = new_flow((uint32_t)k, between(0, 2 * US), udp,
				       (uint16_t)(20000 + k), -1);

		plan(fi, horizon);
		simulate(fi, horizon);
		if (flows[fi].reset) {
			/* Its client reconnects from a new port. */
			uint32_t n = new_flow((uint32_t)k, flows[fi].end_at + 100000,
					      0, (uint16_t)(40000 + k), 1);

			simulate(n, horizon);
		}
	}
	if (write_capture(out, ethernet, back, jump_at * US, jump_s * US))
		return 1;
	fprintf(stderr, "mkimpair: %zu flows, %zu packets; episodes: %lu to-server "
		"down, %lu to-client down, %lu client quiet, %lu server quiet; "
		"%lu reordered (%lu by more than 3 ms), %lu duplicated, %lu lost, "
		"%lu RTO retransmissions, %lu keep-alives, %lu FIN, %lu RST, "
		"%lu stepped back\n", nflows, nrecs,
		stats_episodes[EP_TO_SERVER_DOWN], stats_episodes[EP_TO_CLIENT_DOWN],
		stats_episodes[EP_CLIENT_QUIET], stats_episodes[EP_SERVER_QUIET],
		stats_reordered, stats_late_reordered, stats_duplicated,
		stats_lost, stats_rto, stats_keepalives, stats_fin, stats_rst,
		stats_backwards);
	free(recs);
	free(flows);
	return 0;
}
