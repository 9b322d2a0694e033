/*
 * mkreport - write a synthetic gapwatchd report (JSON Lines), for the
 * tests and the benchmark of gapwatch(8).
 *
 * usage: mkreport [-o FILE] [-n LINES] [--seed N] [--start TIME]
 *                 [--window S] [--clients N] [--open-permille N] [--bad]
 *
 * The lines look like gapwatchd's: every field of report_gap_json() in the
 * same order, a "gap_open" record at each gap's detection and its "gap"
 * record at its end, in the order they would be written, and a "stats"
 * record every 60 s. The gaps start over the window at a rate that swings
 * like a day's load, with bursts of many flows at once (which carry a
 * "cluster"); clients come from a pool (198.18.0.0/15 and 2001:db8::/32)
 * where a few clients have most of the gaps; causes, outcomes and
 * durations follow rough real-world shares. Some records carry the
 * later fields (cluster, conntrack, pcap) and a field no gapwatch knows.
 * --open-permille gaps never get their gap record (still open). --bad
 * makes line LINES/2 one that is not JSON and ends the file in the
 * middle of a record, as a daemon being written to would.
 *
 * The same seed writes the same file. Exactly LINES lines are written
 * (the cut last line counts as one).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memmem, vasprintf, strptime, timegm, st_mtim */
#endif
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STATS_INTERVAL_US	60000000LL

static int64_t stats_interval = STATS_INTERVAL_US;

static uint64_t rng_state;

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double unif(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static double normal(void)
{
	double u = unif(), v = unif();

	return sqrt(-2.0 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

struct cause {
	const char *name;
	unsigned int permille;
	double median_s;
	const char *explanation;
	const char *next_step;
};

static const struct cause causes[] = {
	{ "path_loss_to_server", 440, 4.0,
	  "the client's packets stopped arriving while the server kept sending "
	  "(retransmitting): they are lost on the way to the server",
	  "look at the path from the client: middleboxes (stateful firewalls, CGNAT) "
	  "that lost this flow's state; a quick reconnect from a new port confirms it" },
	{ "client_app_stall", 150, 2.5,
	  "the client's TCP still acknowledges but its application sends no data",
	  "the transport is alive: look at the client application (hang, GC pause, "
	  "blocked thread)" },
	{ "unknown", 120, 3.5,
	  "the packets alone do not tell who dropped this flow",
	  "see the evidence; correlate with conntrack state and the middlebox logs" },
	{ "path_loss_to_client", 60, 5.0,
	  "the server's data goes unacknowledged while the client keeps "
	  "sending: it is lost on the way to the client",
	  "look at the path towards the client and the server's egress rules" },
	{ "local_drop_invalid", 50, 6.0,
	  "the client's packets arrive but conntrack marks them INVALID and a "
	  "local rule drops them",
	  "look at the rule that drops INVALID packets (ufw before.rules) and "
	  "net.netfilter.nf_conntrack_tcp_loose" },
	{ "nat_rebind", 50, 3.0,
	  "the client's address came back from a new source port without a "
	  "handshake: a NAT on the path lost its mapping",
	  "look at the client's NAT (home router, CGNAT) mapping timeouts" },
	{ "conntrack_destroyed", 40, 8.0,
	  "the flow's conntrack entry was destroyed while the flow was alive",
	  "look for conntrack -F, ruleset reloads (ufw reload) or scripts at that time" },
	{ "server_app_stall", 40, 2.2,
	  "the server's TCP still acknowledges but the server application sends no data",
	  "look at the server process (event loop stalls, lock contention, CPU)" },
	{ "pmtu_blackhole", 30, 12.0,
	  "only full-size segments go unacknowledged while small packets flow: "
	  "a path MTU black hole",
	  "check the path MTU (tunnels, PPPoE) and MSS clamping; look for ICMP "
	  "fragmentation-needed being filtered" },
	{ "inspector_loss", 20, 3.0,
	  "gapwatchd itself lost packets during this gap, so the silence may be its own",
	  "raise --queue-maxlen and the socket buffer, add queues (--queue N-M), "
	  "and check queue_dropped/user_dropped in /proc/net/netfilter/nfnetlink_queue" },
};

#define NCAUSES (sizeof(causes) / sizeof(causes[0]))

struct gap {
	uint64_t seq;
	int64_t start, detected, end;
	int64_t threshold, interval;
	unsigned int cause;
	const char *outcome;
	unsigned int client;		/* pool index */
	uint16_t cport, sport, rport;
	uint8_t udp, open, cluster;
	uint32_t cluster_size;
	int64_t cluster_first;
	uint64_t cluster_id;
	uint32_t sretx, cretx, cpk, spk;
};

/* Closes waiting to be written, a min-heap on end time. */
static struct gap *heap;
static size_t nheap, heap_cap;

static void heap_push(const struct gap *g)
{
	size_t i;

	if (nheap == heap_cap) {
		heap_cap = heap_cap ? heap_cap * 2 : 1024;
		heap = realloc(heap, heap_cap * sizeof(*heap));
		if (heap == NULL) {
			fprintf(stderr, "mkreport: out of memory\n");
			exit(1);
		}
	}
	i = nheap++;
	heap[i] = *g;
	while (i > 0 && heap[(i - 1) / 2].end > heap[i].end) {
		struct gap t = heap[i];

		heap[i] = heap[(i - 1) / 2];
		heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct gap heap_pop(void)
{
	struct gap top = heap[0];
	size_t i = 0;

	heap[0] = heap[--nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct gap t;

		if (l < nheap && heap[l].end < heap[m].end)
			m = l;
		if (r < nheap && heap[r].end < heap[m].end)
			m = r;
		if (m == i)
			break;
		t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
	return top;
}

static char run_id[16];
static unsigned int nclients = 20000;

static void fmt_time(int64_t us, char *buf, size_t len)
{
	time_t s = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, len, "\"%04u-%02u-%02uT%02u:%02u:%02u.%06uZ\"",
		 (unsigned int)(tm.tm_year + 1900) % 10000,
		 (unsigned int)(tm.tm_mon + 1) % 100, (unsigned int)tm.tm_mday % 100,
		 (unsigned int)tm.tm_hour % 100, (unsigned int)tm.tm_min % 100,
		 (unsigned int)tm.tm_sec % 100, (unsigned int)(us % 1000000));
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/* Client k of the pool: one in five is IPv6. */
static void client_addr(unsigned int k, uint16_t port, char *buf, size_t len,
			int *v6)
{
	uint64_t h = mix(k + 1);

	*v6 = h % 5 == 0;
	if (*v6)
		snprintf(buf, len, "[2001:db8:%x:%x::%x]:%u",
			 (unsigned int)(h >> 8 & 0xffff),
			 (unsigned int)(h >> 24 & 0xff),
			 (unsigned int)(h >> 32 & 0xffff) + 1, port);
	else
		snprintf(buf, len, "198.%u.%u.%u:%u",
			 18 + (unsigned int)(h >> 8 & 1),
			 (unsigned int)(h >> 16 & 0xff),
			 (unsigned int)(h >> 24 & 0xff) % 254 + 1, port);
}

static double ms(int64_t us)
{
	return (double)us / 1000.0;
}

static void write_gap(FILE *f, const struct gap *g, int open, int extra)
{
	const struct cause *c = &causes[g->cause];
	char client[64], server[64], t_start[48], t_end[48], t_det[48];
	char t_lc[48], t_ls[48], t_cf[48];
	int64_t end = open ? g->detected : g->end;
	int64_t last_c, last_s;
	int v6;

	client_addr(g->client, g->cport, client, sizeof(client), &v6);
	snprintf(server, sizeof(server), v6 ? "[2001:db8:ffff::2]:%u" :
		 "198.18.2.2:%u", g->sport);
	fmt_time(g->start, t_start, sizeof(t_start));
	fmt_time(g->end, t_end, sizeof(t_end));
	fmt_time(g->detected, t_det, sizeof(t_det));
	last_c = g->start + 40000;
	last_s = g->start + (end - g->start) * 2 / 3;
	fmt_time(last_c, t_lc, sizeof(t_lc));
	fmt_time(last_s, t_ls, sizeof(t_ls));
	fprintf(f, "{\"type\":\"%s\",\"id\":\"%s-%u-%llu\",\"proto\":\"%s\","
		"\"client\":\"%s\",\"server\":\"%s\",\"start\":%s,\"end\":%s,"
		"\"detected\":%s,\"duration_ms\":%.3f,\"threshold_ms\":%.3f,"
		"\"expected_interval_ms\":%.3f,\"silent\":\"client\","
		"\"last_client_packet\":%s,\"last_server_packet\":%s,"
		"\"client_packets\":%u,\"server_packets\":%u,"
		"\"client_retransmits\":%u,\"server_retransmits\":%u,"
		"\"dup_acks\":0,\"zero_windows\":0,"
		"\"bytes_in_flight\":{\"client\":0,\"server\":%u},"
		"\"ttl\":{\"client_before\":%u,\"client_after\":%s,"
		"\"server_before\":64,\"server_after\":%s},",
		open ? "gap_open" : "gap", run_id, (unsigned int)(g->seq % 4),
		(unsigned long long)g->seq, g->udp ? "udp" : "tcp", client, server,
		t_start, open ? "null" : t_end, t_det, ms(end - g->start),
		ms(g->threshold), ms(g->interval), t_lc, t_ls, g->cpk, g->spk,
		g->cretx, g->sretx, g->udp ? 0 : 30 * (g->sretx ? 1 : 0),
		50 + g->client % 10, open ? "null" : "57", open ? "null" : "64");
	if (open)
		fprintf(f, "\"outcome\":null,\"reconnect\":null,");
	else if (strcmp(g->outcome, "reconnected") == 0)
		fprintf(f, "\"outcome\":\"reconnected\",\"reconnect\":"
			"{\"client_port\":%u,\"delay_ms\":%.3f},",
			g->rport, ms(g->end - g->start));
	else
		fprintf(f, "\"outcome\":\"%s\",\"reconnect\":null,", g->outcome);
	fprintf(f, "\"cause\":\"%s\",\"evidence\":\"", c->name);
	if (g->sretx)
		fprintf(f, "no client data arrived while the server retransmitted "
			"%u times (%u packets, 30 bytes unacknowledged)",
			g->sretx, g->spk);
	else
		fprintf(f, "client silent (%u packets) while the server sent %u "
			"packets, 0 retransmissions", g->cpk, g->spk);
	fprintf(f, "\",\"explanation\":\"%s\",\"next_step\":\"%s\","
		"\"inspector\":{\"queue_dropped\":%u,\"user_dropped\":0,"
		"\"enobufs\":0,\"truncated\":0,\"lost_packets\":%s},\"queue\":%u",
		c->explanation, c->next_step,
		strcmp(c->name, "inspector_loss") == 0 ? 12 : 0,
		strcmp(c->name, "inspector_loss") == 0 ? "true" : "false",
		(unsigned int)(g->seq % 4));
	if (g->cluster) {
		fmt_time(g->cluster_first, t_cf, sizeof(t_cf));
		fprintf(f, ",\"cluster\":{\"id\":\"%s-c%llu\",\"size\":%u,"
			"\"first_start\":%s}", run_id,
			(unsigned long long)g->cluster_id, g->cluster_size, t_cf);
	}
	if (strncmp(c->name, "conntrack", 9) == 0 ||
	    strcmp(c->name, "local_drop_invalid") == 0)
		fprintf(f, ",\"conntrack\":{\"at_open\":{\"exists\":%s,\"state\":"
			"\"ESTABLISHED\",\"timeout_s\":%u},\"invalid_packets\":%u,"
			"\"events\":[{\"time\":%s,\"type\":\"DESTROY\"}]}",
			g->cause % 2 ? "true" : "false", 299, g->cpk, t_start);
	if (!open && g->seq % 20 == 0)
		fprintf(f, ",\"pcap\":\"/var/lib/gapwatch/pcap/%s-%u-%llu.pcap\"",
			run_id, (unsigned int)(g->seq % 4), (unsigned long long)g->seq);
	if (extra)
		fprintf(f, ",\"future_field\":{\"from\":\"a newer gapwatchd\","
			"\"list\":[1,2.5e3,true,null,\"\\u00e9\\n\"]}");
	fputs("}\n", f);
}

static void write_stats(FILE *f, int64_t t, int64_t started, uint64_t flows,
			uint64_t opened, uint64_t closed)
{
	char when[48];

	fmt_time(t, when, sizeof(when));
	fprintf(f, "{\"type\":\"stats\",\"time\":%s,\"uptime_s\":%lld,"
		"\"queues\":4,\"packets\":%llu,\"bytes\":%llu,\"unmatched\":0,"
		"\"flows_created\":%llu,\"flows_expired\":0,\"flows_evicted\":0,"
		"\"gaps_opened\":%llu,\"gaps_closed\":%llu,\"reconnects\":0,"
		"\"retransmits\":0,\"timers_fired\":0,\"parse_errors\":"
		"{\"truncated\":0,\"malformed\":0,\"not_tcp_udp\":0,\"fragment\":0,"
		"\"ext_limit\":0},\"flows\":%llu,\"gaps_open\":%llu,"
		"\"queue_received\":0,\"verdict_batches\":0,\"verdict_errors\":0,"
		"\"enobufs\":0,\"truncated\":0,\"recv_errors\":0,\"bad_messages\":0,"
		"\"queue_dropped\":0,\"user_dropped\":0,\"report_dropped\":0,"
		"\"report_write_errors\":0}\n",
		when, (long long)((t - started) / 1000000),
		(unsigned long long)flows * 3000, (unsigned long long)flows * 200000,
		(unsigned long long)flows, (unsigned long long)opened,
		(unsigned long long)closed, (unsigned long long)(flows / 4),
		(unsigned long long)(opened - closed));
}

static const char *pick_outcome(unsigned int cause, int udp)
{
	double u = unif();
	const char *name = causes[cause].name;

	if (strcmp(name, "path_loss_to_server") == 0 ||
	    strcmp(name, "conntrack_destroyed") == 0 ||
	    strcmp(name, "local_drop_invalid") == 0) {
		if (!udp && u < 0.65)
			return "reconnected";
		return u < 0.8 ? "expired" : u < 0.95 ? "resumed" : "client_rst";
	}
	if (strcmp(name, "nat_rebind") == 0)
		return u < 0.7 ? "reconnected" : "expired";
	if (u < 0.75)
		return "resumed";
	if (u < 0.85)
		return udp ? "expired" : "fin";
	if (u < 0.95)
		return udp ? "resumed" : "server_rst";
	return "evicted";
}

static unsigned int pick_cause(int udp)
{
	unsigned int r, k, acc = 0;

	for (;;) {
		r = (unsigned int)(rnd() % 1000);
		acc = 0;
		for (k = 0; k < NCAUSES; k++) {
			acc += causes[k].permille;
			if (r < acc)
				break;
		}
		if (k == NCAUSES)
			k = 0;
		/* nat_rebind is a UDP story, app stalls need TCP's ACKs. */
		if (udp && (strstr(causes[k].name, "app_stall") ||
			    strcmp(causes[k].name, "pmtu_blackhole") == 0))
			continue;
		if (!udp && strcmp(causes[k].name, "nat_rebind") == 0)
			continue;
		return k;
	}
}

/*
 * Every line goes through here first: with --bad, the line at bad_at is
 * one that is not JSON, and the record waits one line.
 */
static void line_slot(FILE *f, unsigned long *written, unsigned long bad_at)
{
	if (*written == bad_at) {
		fputs("this line is not JSON {\"type\":\"gap\"\n", f);
		(*written)++;
	}
	(*written)++;
}

static int parse_time(const char *s, int64_t *us)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || (*end != 'Z' && *end != '\0'))
		return -1;
	*us = (int64_t)timegm(&tm) * 1000000;
	return 0;
}

static unsigned long arg_num(const char *opt, const char *v)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (*v == '\0' || *end != '\0') {
		fprintf(stderr, "mkreport: %s: '%s' is not a number\n", opt, v);
		exit(2);
	}
	return n;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mkreport [-o FILE] [-n LINES] [--seed N] [--start TIME]\n"
		"                [--window S] [--clients N] [--open-permille N] [--bad]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "lines", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, 'S' },
		{ "window", required_argument, NULL, 'w' },
		{ "clients", required_argument, NULL, 'c' },
		{ "open-permille", required_argument, NULL, 'O' },
		{ "bad", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long lines = 10000, seed = 1, window_s = 12 * 3600;
	unsigned long open_permille = 5, written = 0, bad_at, limit;
	int64_t start = 1795586400000000LL;	/* 2026-11-25T06:00:00Z */
	int64_t t, mean_gap, next_stats, detected;
	uint64_t seq = 0, flows = 1000, opened = 0, closed = 0;
	int bad = 0, opt;
	const char *out = NULL;
	uint32_t burst_left = 0, burst_size = 0;
	int64_t burst_first = 0;
	uint64_t burst_id = 0;
	unsigned int burst_cause = 0;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "o:n:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'n': lines = arg_num("--lines", optarg); break;
		case 's': seed = arg_num("--seed", optarg); break;
		case 'w': window_s = arg_num("--window", optarg); break;
		case 'c': nclients = (unsigned int)arg_num("--clients", optarg); break;
		case 'O': open_permille = arg_num("--open-permille", optarg); break;
		case 'b': bad = 1; break;
		case 'S':
			if (parse_time(optarg, &start) < 0) {
				fprintf(stderr, "mkreport: --start: '%s' is not "
					"YYYY-MM-DDTHH:MM:SSZ\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || window_s == 0 || nclients == 0 || open_permille > 1000) {
		usage(stderr);
		return 2;
	}
	f = out ? fopen(out, "w") : stdout;
	if (f == NULL) {
		fprintf(stderr, "mkreport: cannot create %s: %m\n", out);
		return 1;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	rng_state = seed;
	snprintf(run_id, sizeof(run_id), "%08llx",
		 (unsigned long long)(mix(seed) & 0xffffffff));
	/* About two lines a gap. */
	mean_gap = (int64_t)((double)window_s * 1e6 / ((double)lines / 2.0 + 1));
	if (mean_gap < 1)
		mean_gap = 1;
	/* The bad line is line LINES / 2 (written counts the lines before). */
	bad_at = bad && lines >= 4 ? lines / 2 - 1 : (unsigned long)-1;
	/* Stats every minute, but never more than one line in twenty. */
	if ((double)window_s * 1e6 / STATS_INTERVAL_US > (double)lines / 20.0)
		stats_interval = (int64_t)((double)window_s * 1e6 /
					   ((double)lines / 20.0 + 1));
	t = start;
	next_stats = start + stats_interval;
	/* --bad: the last line is the cut one. */
	limit = bad && lines > 0 ? lines - 1 : lines;
	while (written < limit) {
		struct gap g;
		double load, med;
		unsigned int zipf;

		memset(&g, 0, sizeof(g));
		/* A day's swing (load 0.4 .. 1.6), and now and then a burst:
		 * many flows silent within a second (a firewall reload). */
		if (burst_left) {
			burst_left--;
			t += (int64_t)(unif() * 20000);
			g.cluster = 1;
		} else {
			load = 1.0 + 0.6 * sin(2 * M_PI * (double)(t - start) /
					       (double)(window_s * 1000000ULL));
			t += (int64_t)(-log(unif() + 1e-12) * (double)mean_gap / load);
			if (unif() < 0.001) {
				burst_left = 20 + (uint32_t)(rnd() % 180);
				burst_size = burst_left + 1;
				burst_first = t;
				burst_id++;
				burst_cause = unif() < 0.5 ? 6 : 0;
				g.cluster = 1;
			}
		}
		g.seq = ++seq;
		g.start = t;
		zipf = (unsigned int)((double)nclients * pow(unif(), 3.0));
		g.client = zipf < nclients ? zipf : nclients - 1;
		g.cport = (uint16_t)(1024 + rnd() % 64000);
		g.udp = rnd() % 100 < 15;
		g.sport = g.udp ? 7777 : (rnd() % 10 < 8 ? 7781 : 27015);
		if (g.cluster) {
			g.cause = burst_cause;
			g.udp = 0;
			g.cluster_size = burst_size;
			g.cluster_first = burst_first;
			g.cluster_id = burst_id;
		} else {
			g.cause = pick_cause(g.udp);
		}
		g.interval = 500000 + (int64_t)(rnd() % 500000);
		g.threshold = g.interval * 3 > 1500000 ? g.interval * 3 : 1500000;
		med = causes[g.cause].median_s * 1e6;
		g.outcome = pick_outcome(g.cause, g.udp);
		if (strcmp(g.outcome, "expired") == 0)
			g.end = g.start + 300000000;
		else
			g.end = g.start + (int64_t)(med * exp(0.8 * normal()));
		if (g.end < g.start + g.threshold + 1000)
			g.end = g.start + g.threshold + 1000 + (int64_t)(rnd() % 500000);
		g.detected = g.start + g.threshold;
		g.rport = (uint16_t)(g.cport + 1 + rnd() % 50);
		if (!g.udp && strstr(causes[g.cause].name, "path_loss_to_server")) {
			/* RTO back-off: 200, 400, 800 ms ... within the gap */
			int64_t rto = 200000, sum = rto;

			while (sum < g.end - g.start && g.sretx < 15) {
				g.sretx++;
				rto *= 2;
				sum += rto;
			}
		}
		g.cpk = g.cause == 1 ? 3 + (uint32_t)(rnd() % 10) : 0;
		g.spk = g.sretx + 1 + (uint32_t)(rnd() % 5);
		g.cretx = 0;
		g.open = rnd() % 1000 < open_permille;
		detected = g.detected;
		flows += 1 + rnd() % 3;
		/* Write what happened before this gap's detection. */
		while (written < limit && nheap && heap[0].end <= detected) {
			struct gap c;

			if (next_stats <= heap[0].end) {
				line_slot(f, &written, bad_at);
				write_stats(f, next_stats, start - 3600000000LL,
					    flows, opened, closed);
				next_stats += stats_interval;
				continue;
			}
			c = heap_pop();
			line_slot(f, &written, bad_at);
			closed++;
			write_gap(f, &c, 0, c.seq % 97 == 0);
		}
		while (next_stats <= detected && written < limit) {
			line_slot(f, &written, bad_at);
			write_stats(f, next_stats, start - 3600000000LL, flows,
				    opened, closed);
			next_stats += stats_interval;
		}
		if (written >= limit)
			break;
		line_slot(f, &written, bad_at);
		opened++;
		write_gap(f, &g, 1, 0);
		if (!g.open)
			heap_push(&g);
	}
	if (bad) {
		/* A record cut by the end of the file. */
		fputs("{\"type\":\"gap\",\"id\":\"cut-", f);
		written++;
	}
	free(heap);
	if (fflush(f) != 0 || (out && fclose(f) != 0)) {
		fprintf(stderr, "mkreport: cannot write %s: %m\n", out ? out : "stdout");
		return 1;
	}
	return 0;
}
