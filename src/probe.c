/*
 * probe.c - the hop locator: TTL ladders on a stalled flow's 5-tuple, the
 * raw sockets they go out on, and the matching of the ICMP answers.
 *
 * Sockets. Probes are written whole (IP header included) on IPPROTO_RAW
 * sockets, so that TTL/hop limit, IP ID/flow label, addresses and ports
 * are exactly ours; both carry SO_MARK so that the rules never queue
 * them. ICMP and ICMPv6 raw sockets, filtered in the kernel to
 * time-exceeded and destination-unreachable, receive the routers'
 * answers. The client's own answers (the ACK our keep-alive calls for, or
 * a RST for the control flow, or a UDP reply) arrive on raw TCP/UDP
 * receive sockets that exist only while a ladder runs: a raw socket of a
 * transport protocol gets a copy of every such packet the host receives,
 * which is a cost we pay only while probing, never while merely
 * watching. (The NFQUEUE threads see those packets too, but handing them
 * across would put probe work on the packet path.)
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "packet.h"
#include "portset.h"
#include "probe.h"
#include "wire.h"

#define PROBE_PKT_MAX	1500
/* Clients remembered for the per-client interval. */
#define CLIENTS_KEPT	1024

enum { FAM4 = 0, FAM6 = 1 };
enum { RX_TCP = 0, RX_UDP = 1 };

/* One TTL of a ladder: what the result reports, and when it went out. */
struct hop {
	struct probe_hop seen;
	uint64_t sent_us;		/* mono; 0: not sent */
};

struct ladder {
	int active;
	uint16_t queue;
	uint64_t gap_seq;
	struct flow_key key;
	uint16_t control_port;		/* the control ladder's server port */
	uint32_t seq, ack;
	uint16_t window;
	uint8_t next_ttl;		/* next TTL to send, 1.. */
	uint8_t next_ladder;		/* LADDER_* to send next at next_ttl */
	uint8_t sending;		/* 0: all sent, waiting for answers */
	uint8_t reached[2];		/* TTL at which the client answered */
	uint8_t highest[2];		/* highest TTL answered */
	uint8_t client_silent;		/* the gap's silent side includes it */
	uint64_t next_us;		/* mono: next send due */
	uint64_t last_sent_us;
	uint64_t started_mono, started_wall;
	struct hop hops[2][PROBE_TTL_LIMIT + 1];
};

/* A token bucket: refilled with time, up to a burst. */
struct bucket {
	double tokens;
	uint64_t us;			/* mono: last refill */
};

struct client_seen {
	struct in6_addr addr;
	uint64_t mono_us;
	int used;
};

struct prober {
	struct probe_config cfg;
	int send_fd[2];			/* [FAM4], [FAM6]; -1 if none */
	int icmp_fd[2];
	int rx_fd[2][2];		/* [family][RX_*], while ladders run */
	struct ladder *ladders;		/* [cfg.max_ladders] */
	unsigned int nactive;
	struct client_seen clients[CLIENTS_KEPT];
	struct bucket probes;		/* --probe-rate */
	struct bucket starts;		/* --probe-ladder-interval-ms */
	struct probe_counters counters;
};

/* ---- packets ---- */

size_t probe_build(const struct probe_spec *s, uint8_t *buf, size_t len)
{
	struct wire_spec w = {
		.src = s->src,
		.dst = s->dst,
		.sport = s->sport,
		.dport = s->dport,
		.proto = s->proto,
		.ttl = s->ttl,
		.ip_id = probe_ip_id(s->ladder, s->ttl),
		.flow_label = probe_flow_label(s->ladder, s->ttl),
		.seq = s->seq,
		.ack = s->ack,
		.tcp_flags = PKT_TCP_ACK,
		.window = s->window,
		.payload_len = s->proto == IPPROTO_UDP && s->payload ?
				       (uint32_t)s->payload_len : 0,
	};
	size_t hlen = wire_header_len(&w), total = hlen + w.payload_len;

	if (len < total || total > 0xffff)
		return 0;
	wire_write_headers(&w, buf);
	if (w.payload_len)
		memcpy(buf + hlen, s->payload, w.payload_len);
	wire_set_l4_checksum(&w, buf);
	return total;
}

int probe_payload_parse(const char *text, struct probe_payload *out)
{
	size_t n, k;

	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		text += 2;
	n = strlen(text);
	if (n == 0 || n % 2 || n / 2 > PROBE_PAYLOAD_MAX)
		return -1;
	for (k = 0; k < n / 2; k++) {
		int hi = wire_hex_digit(text[2 * k]), lo = wire_hex_digit(text[2 * k + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out->bytes[k] = (uint8_t)(hi << 4 | lo);
	}
	out->len = (uint32_t)(n / 2);
	return 0;
}

/* The quoted transport header: ports, and TCP's seq. 8 bytes at q. */
static void read_quote_l4(const uint8_t *q, struct probe_answer *a)
{
	a->sport = wire_get16(q);
	a->dport = wire_get16(q + 2);
	a->seq = a->proto == IPPROTO_TCP ? wire_get32(q + 4) : 0;
}

enum probe_quote probe_parse_icmp4(const uint8_t *pkt, size_t len,
				   struct probe_answer *a)
{
	size_t ohl, qhl;
	const uint8_t *icmp, *q;
	uint16_t id;

	if (len < WIRE_IP4_HLEN || pkt[0] >> 4 != 4)
		return QUOTE_OTHER;
	ohl = (size_t)(pkt[0] & 0x0f) * 4;
	if (ohl < WIRE_IP4_HLEN || len < ohl + 8)
		return QUOTE_OTHER;
	icmp = pkt + ohl;
	if (icmp[0] != ICMP_TIME_EXCEEDED && icmp[0] != ICMP_DEST_UNREACH)
		return QUOTE_OTHER;
	memset(a, 0, sizeof(*a));
	addr_from_v4(&a->responder, pkt + 12);
	a->time_exceeded = icmp[0] == ICMP_TIME_EXCEEDED;
	a->code = icmp[1];
	q = icmp + 8;
	len -= ohl + 8;
	if (len < WIRE_IP4_HLEN)
		return QUOTE_TRUNCATED;
	if (q[0] >> 4 != 4)
		return QUOTE_NOT_OURS;
	qhl = (size_t)(q[0] & 0x0f) * 4;
	if (qhl < WIRE_IP4_HLEN || len < qhl + 8)
		return QUOTE_TRUNCATED;
	id = wire_get16(q + 4);
	a->proto = q[9];
	if ((id & PROBE_ID_MASK) != PROBE_ID_MAGIC ||
	    (a->proto != IPPROTO_TCP && a->proto != IPPROTO_UDP) ||
	    (wire_get16(q + 6) & 0x1fff) != 0)
		return QUOTE_NOT_OURS;
	a->ladder = (id >> 6) & 1;
	a->ttl = id & 0x3f;
	addr_from_v4(&a->src, q + 12);
	addr_from_v4(&a->dst, q + 16);
	read_quote_l4(q + qhl, a);
	return QUOTE_OK;
}

enum probe_quote probe_parse_icmp6(const struct in6_addr *from,
				   const uint8_t *msg, size_t len,
				   struct probe_answer *a)
{
	const uint8_t *q;
	uint32_t label;

	if (len < 8)
		return QUOTE_OTHER;
	if (msg[0] != ICMP6_TIME_EXCEEDED && msg[0] != ICMP6_DST_UNREACH)
		return QUOTE_OTHER;
	memset(a, 0, sizeof(*a));
	a->responder = *from;
	a->time_exceeded = msg[0] == ICMP6_TIME_EXCEEDED;
	a->code = msg[1];
	q = msg + 8;
	len -= 8;
	if (len < WIRE_IP6_HLEN)
		return QUOTE_TRUNCATED;
	if (q[0] >> 4 != 6)
		return QUOTE_NOT_OURS;
	label = wire_get32(q) & 0xfffff;
	/* Probes carry no extension headers: the next header is ours. */
	a->proto = q[6];
	if ((label & PROBE_LABEL_MASK) != PROBE_LABEL_MAGIC ||
	    (a->proto != IPPROTO_TCP && a->proto != IPPROTO_UDP))
		return QUOTE_NOT_OURS;
	if (len < WIRE_IP6_HLEN + 8)
		return QUOTE_TRUNCATED;
	a->ladder = (label >> 6) & 1;
	a->ttl = label & 0x3f;
	memcpy(&a->src, q + 8, 16);
	memcpy(&a->dst, q + 24, 16);
	read_quote_l4(q + WIRE_IP6_HLEN, a);
	return QUOTE_OK;
}

/* ---- sockets ---- */

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* A raw socket; -1 with errno set. */
static int raw_socket(int family, int proto)
{
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, proto);

	if (fd < 0)
		return -1;
	if (set_nonblock(fd) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int open_send(int family, uint32_t mark, char *err, size_t errlen)
{
	const char *name = family == AF_INET ? "IPv4" : "IPv6";
	int fd = raw_socket(family, IPPROTO_RAW);

	/* IPPROTO_RAW implies IP_HDRINCL (and IPV6_HDRINCL since 4.5). */
	if (fd < 0) {
		snprintf(err, errlen, "cannot open the raw %s probe socket: %s%s",
			 name, strerror(errno), errno == EPERM ?
			 " (--probe needs CAP_NET_RAW)" : "");
		return -1;
	}
	if (mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark,
			       sizeof(mark)) < 0) {
		snprintf(err, errlen, "cannot mark the %s probes (SO_MARK 0x%x): "
			 "%s%s", name, mark, strerror(errno), errno == EPERM ?
			 " (needs CAP_NET_RAW, or CAP_NET_ADMIN before Linux 5.17)" :
			 "");
		close(fd);
		return -1;
	}
	return fd;
}

static int open_icmp(int family, char *err, size_t errlen)
{
	int fd;

	if (family == AF_INET) {
		struct icmp_filter f = {
			.data = ~((1U << ICMP_TIME_EXCEEDED) |
				  (1U << ICMP_DEST_UNREACH)),
		};

		fd = raw_socket(AF_INET, IPPROTO_ICMP);
		if (fd >= 0 && setsockopt(fd, SOL_RAW, ICMP_FILTER, &f,
					  sizeof(f)) < 0)
			goto err_close;
	} else {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		fd = raw_socket(AF_INET6, IPPROTO_ICMPV6);
		if (fd >= 0 && setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
					  sizeof(f)) < 0)
			goto err_close;
	}
	if (fd < 0)
		snprintf(err, errlen, "cannot open the raw %s socket: %s%s",
			 family == AF_INET ? "ICMP" : "ICMPv6", strerror(errno),
			 errno == EPERM ? " (--probe needs CAP_NET_RAW)" : "");
	return fd;
err_close:
	snprintf(err, errlen, "cannot filter the %s socket: %s",
		 family == AF_INET ? "ICMP" : "ICMPv6", strerror(errno));
	close(fd);
	return -1;
}

struct prober *probe_open(const struct probe_config *cfg, char *err,
			  size_t errlen)
{
	struct prober *p = calloc(1, sizeof(*p));
	char err6[256];
	int f, k;

	if (p == NULL) {
		snprintf(err, errlen, "prober: out of memory");
		return NULL;
	}
	p->cfg = *cfg;
	for (f = 0; f < 2; f++) {
		p->send_fd[f] = p->icmp_fd[f] = -1;
		for (k = 0; k < 2; k++)
			p->rx_fd[f][k] = -1;
	}
	p->ladders = calloc(cfg->max_ladders, sizeof(*p->ladders));
	if (p->ladders == NULL) {
		snprintf(err, errlen, "prober: out of memory");
		goto err_free;
	}
	p->probes.tokens = cfg->rate;
	p->starts.tokens = cfg->max_ladders;
	if (cfg->no_sockets)
		return p;
	p->send_fd[FAM4] = open_send(AF_INET, cfg->mark, err, errlen);
	if (p->send_fd[FAM4] < 0)
		goto err_free;
	p->icmp_fd[FAM4] = open_icmp(AF_INET, err, errlen);
	if (p->icmp_fd[FAM4] < 0)
		goto err_close;
	/* A host without IPv6 still probes its IPv4 flows. */
	p->send_fd[FAM6] = open_send(AF_INET6, cfg->mark, err6, sizeof(err6));
	if (p->send_fd[FAM6] >= 0) {
		p->icmp_fd[FAM6] = open_icmp(AF_INET6, err6, sizeof(err6));
		if (p->icmp_fd[FAM6] < 0) {
			close(p->send_fd[FAM6]);
			p->send_fd[FAM6] = -1;
		}
	}
	if (p->send_fd[FAM6] < 0)
		log_warnx("%s: IPv6 flows will not be probed", err6);
	return p;

err_close:
	close(p->send_fd[FAM4]);
err_free:
	free(p->ladders);
	free(p);
	return NULL;
}

static void rx_close(struct prober *p)
{
	int f, k;

	for (f = 0; f < 2; f++)
		for (k = 0; k < 2; k++)
			if (p->rx_fd[f][k] >= 0) {
				close(p->rx_fd[f][k]);
				p->rx_fd[f][k] = -1;
			}
}

void probe_close(struct prober *p)
{
	int f;

	if (p == NULL)
		return;
	rx_close(p);
	for (f = 0; f < 2; f++) {
		if (p->send_fd[f] >= 0)
			close(p->send_fd[f]);
		if (p->icmp_fd[f] >= 0)
			close(p->icmp_fd[f]);
	}
	free(p->ladders);
	free(p);
}

/* The receive sockets for the client's answers, while ladders run. */
static void rx_open(struct prober *p)
{
	static const int fam[2] = { AF_INET, AF_INET6 };
	static const int proto[2] = { IPPROTO_TCP, IPPROTO_UDP };
	int f, k;

	for (f = 0; f < 2; f++) {
		if (p->send_fd[f] < 0)
			continue;
		for (k = 0; k < 2; k++) {
			if (p->rx_fd[f][k] >= 0)
				continue;
			p->rx_fd[f][k] = raw_socket(fam[f], proto[k]);
			/* Without it, routers' answers still come; only
			 * "client reached" is lost. */
			if (p->rx_fd[f][k] < 0) {
				p->counters.recv_errors++;
				log_warn("prober: cannot open a raw receive socket");
			}
		}
	}
}

static int family_of(const struct flow_key *k)
{
	return addr_is_v4(&k->client) ? FAM4 : FAM6;
}

/*
 * Let only the probed clients' packets into the receive sockets: without
 * this filter, a raw TCP or UDP socket gets a copy of every game packet
 * the host receives while a ladder runs. The kernel compares the low 32
 * bits of the source address (IPv4: all of it); probe_feed_client()
 * checks the rest. Failing to filter costs only copies: warned, counted,
 * and the socket left unfiltered.
 */
static void rx_filter(struct prober *p)
{
	/* load, then per client "equal? accept", then drop */
	struct sock_filter code[2 + 2 * 256];
	struct sock_fprog prog = { .filter = code };
	unsigned int k, n;
	int f, r;

	for (f = 0; f < 2; f++) {
		n = 0;
		code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			(uint32_t)SKF_NET_OFF + (f == FAM4 ? 12 : 20));
		for (k = 0; k < p->cfg.max_ladders && n + 3 <= GW_ARRAY_SIZE(code); k++) {
			const struct ladder *l = &p->ladders[k];

			if (!l->active || family_of(&l->key) != f)
				continue;
			code[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
				wire_get32(&l->key.client.s6_addr[12]), 0, 1);
			code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
								 0xffffffff);
		}
		code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
		prog.len = (unsigned short)n;
		for (r = 0; r < 2; r++) {
			int dummy = 0;

			if (p->rx_fd[f][r] < 0 ||
			    setsockopt(p->rx_fd[f][r], SOL_SOCKET, SO_ATTACH_FILTER,
				       &prog, sizeof(prog)) == 0)
				continue;
			/* The old filter would hide the new client: none. */
			setsockopt(p->rx_fd[f][r], SOL_SOCKET, SO_DETACH_FILTER,
				   &dummy, sizeof(dummy));
			p->counters.recv_errors++;
			log_warn("prober: cannot filter a raw receive socket");
		}
	}
}

/* ---- when to probe ---- */

int probe_wanted(struct prober *p, const struct gap_record *rec)
{
	int path;

	if (!rec->is_open_event)
		return 0;
	switch (rec->cause) {
	case CAUSE_PATH_LOSS_TO_SERVER:
	case CAUSE_PATH_LOSS_TO_CLIENT:
		path = 1;
		break;
	case CAUSE_UNKNOWN:
		/* A silent server is this host's business, not the path's. */
		path = rec->silent != SILENT_SERVER;
		break;
	default:
		/* Local causes, NAT, PMTU, application stalls and our own
		 * losses: a ladder would only add packets. */
		path = 0;
		break;
	}
	if (!path) {
		if (p)
			p->counters.skipped_cause++;
		return 0;
	}
	if (rec->key.proto == IPPROTO_TCP && !rec->tcp_known) {
		if (p)
			p->counters.skipped_tcp_unknown++;
		return 0;
	}
	return 1;
}

/* One ladder per client address per interval: claims the slot if free. */
static int client_allowed(struct prober *p, const struct in6_addr *a,
			  uint64_t now)
{
	uint64_t interval = (uint64_t)p->cfg.client_interval_s * USEC_PER_SEC;
	struct client_seen *oldest = &p->clients[0];
	unsigned int k;

	for (k = 0; k < CLIENTS_KEPT; k++) {
		struct client_seen *c = &p->clients[k];

		if (c->used && !memcmp(&c->addr, a, sizeof(*a))) {
			if (now - c->mono_us < interval)
				return 0;
			c->mono_us = now;
			return 1;
		}
		if (!c->used || (oldest->used && c->mono_us < oldest->mono_us))
			oldest = c;
	}
	/* The oldest entry goes; with 1024 clients in a minute, the limit
	 * then holds for the 1024 most recent. */
	oldest->addr = *a;
	oldest->mono_us = now;
	oldest->used = 1;
	return 1;
}

/* A 5-tuple nobody uses: the next port up that is not a game port. */
static uint16_t control_port(const struct prober *p, uint16_t port)
{
	uint16_t c = port;
	unsigned int n;

	for (n = 0; n < 65535; n++) {
		c = c == 65535 ? 1 : (uint16_t)(c + 1);
		if (p->cfg.ports == NULL || !portset_has(p->cfg.ports, c))
			return c;
	}
	return port == 65535 ? 65534 : (uint16_t)(port + 1);
}

/* Refill b at per_us tokens a microsecond, up to burst: is one there? */
static int bucket_ready(struct bucket *b, uint64_t now, double per_us,
			double burst)
{
	b->tokens += (double)(now - b->us) * per_us;
	b->us = now;
	if (b->tokens > burst)
		b->tokens = burst;
	return b->tokens >= 1.0;
}

/* Ladder starts: a burst of max_ladders, then one per interval. */
static int start_ready(struct prober *p, uint64_t now)
{
	return p->cfg.ladder_interval_ms == 0 ||
	       bucket_ready(&p->starts, now,
			    1.0 / ((double)p->cfg.ladder_interval_ms * USEC_PER_MSEC),
			    p->cfg.max_ladders);
}

int probe_start(struct prober *p, const struct gap_record *rec,
		const struct gw_time *now)
{
	struct ladder *l = NULL;
	unsigned int k;

	if (!rec->is_open_event)
		return 0;
	p->counters.gaps_considered++;
	if (!probe_wanted(p, rec))
		return 0;
	if (!p->cfg.no_sockets && p->send_fd[family_of(&rec->key)] < 0) {
		p->counters.skipped_family++;
		return 0;
	}
	for (k = 0; k < p->cfg.max_ladders && l == NULL; k++)
		if (!p->ladders[k].active)
			l = &p->ladders[k];
	if (l == NULL) {
		p->counters.limit_ladders++;
		return 0;
	}
	if (!start_ready(p, now->mono_us)) {
		p->counters.limit_ladder_interval++;
		return 0;
	}
	if (!client_allowed(p, &rec->key.client, now->mono_us)) {
		p->counters.limit_client++;
		return 0;
	}
	p->starts.tokens -= 1.0;
	memset(l, 0, sizeof(*l));
	l->active = 1;
	l->queue = rec->queue;
	l->gap_seq = rec->seq;
	l->key = rec->key;
	l->control_port = control_port(p, rec->key.server_port);
	l->client_silent = rec->silent != SILENT_SERVER;
	l->seq = rec->keepalive_seq;
	l->ack = rec->keepalive_ack;
	l->window = rec->server_window;
	l->next_ttl = 1;
	l->next_ladder = LADDER_FLOW;
	l->sending = 1;
	l->next_us = now->mono_us;
	l->started_mono = now->mono_us;
	l->started_wall = now->wall_us;
	if (p->nactive++ == 0 && !p->cfg.no_sockets)
		rx_open(p);
	rx_filter(p);
	p->counters.ladders_started++;
	return 1;
}

int probe_fds(const struct prober *p, struct pollfd *pfd, int max)
{
	int f, k, n = 0;

	for (f = 0; f < 2; f++) {
		if (p->icmp_fd[f] >= 0 && n < max) {
			pfd[n].fd = p->icmp_fd[f];
			pfd[n++].events = POLLIN;
		}
		for (k = 0; k < 2; k++)
			if (p->rx_fd[f][k] >= 0 && n < max) {
				pfd[n].fd = p->rx_fd[f][k];
				pfd[n++].events = POLLIN;
			}
	}
	return n;
}

static uint64_t ladder_deadline(const struct prober *p, const struct ladder *l)
{
	if (l->sending)
		return l->next_us;
	return l->last_sent_us + (uint64_t)p->cfg.timeout_ms * USEC_PER_MSEC;
}

int probe_timeout_ms(const struct prober *p, const struct gw_time *now)
{
	uint64_t next = UINT64_MAX, d;
	unsigned int k;

	for (k = 0; k < p->cfg.max_ladders; k++) {
		if (!p->ladders[k].active)
			continue;
		d = ladder_deadline(p, &p->ladders[k]);
		if (d < next)
			next = d;
	}
	if (next == UINT64_MAX)
		return -1;
	if (next <= now->mono_us)
		return 0;
	/* Round up: waking early would only spin. */
	return (int)((next - now->mono_us + 999) / 1000);
}

/* ---- sending ---- */

static int take_token(struct prober *p, uint64_t now)
{
	double burst = p->cfg.rate < 10 ? p->cfg.rate : 10;

	if (!bucket_ready(&p->probes, now, p->cfg.rate / 1e6, burst))
		return 0;
	p->probes.tokens -= 1.0;
	return 1;
}

static void send_probe(struct prober *p, struct ladder *l, int which,
		       uint8_t ttl, uint64_t now)
{
	struct probe_spec s;
	uint8_t buf[PROBE_PKT_MAX];
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t len;
	int f = family_of(&l->key);

	memset(&s, 0, sizeof(s));
	s.src = l->key.server;
	s.dst = l->key.client;
	s.sport = which == LADDER_FLOW ? l->key.server_port : l->control_port;
	s.dport = l->key.client_port;
	s.proto = l->key.proto;
	s.ttl = ttl;
	s.ladder = (uint8_t)which;
	s.seq = l->seq;
	/* The control 5-tuple has no state to respect: its ack carries the
	 * TTL, which the client's RST (seq = our ack) gives back. */
	s.ack = which == LADDER_CONTROL ? l->ack + ttl : l->ack;
	s.window = l->window;
	s.payload = p->cfg.udp_payload.bytes;
	s.payload_len = p->cfg.udp_payload.len;
	len = probe_build(&s, buf, sizeof(buf));
	assert(len > 0);
	memset(&ss, 0, sizeof(ss));
	if (f == FAM4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, &l->key.client.s6_addr[12], 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = l->key.client;
		sl = sizeof(*sin6);
	}
	l->hops[which][ttl].sent_us = now;
	if (p->cfg.no_sockets) {
		p->counters.probes_sent++;
		return;
	}
	if (sendto(p->send_fd[f], buf, len, 0, (struct sockaddr *)&ss, sl) < 0) {
		/* Counted; the TTL simply stays without an answer. */
		p->counters.send_errors++;
		return;
	}
	p->counters.probes_sent++;
}

/* Stop climbing: both reached, the control's client distance passed by
 * the flow, max TTL, or too many silent TTLs past the highest answer. */
static int ladder_stop_climbing(const struct prober *p, const struct ladder *l)
{
	uint8_t ttl = l->next_ttl;
	uint8_t highest = l->highest[0] > l->highest[1] ? l->highest[0] :
							    l->highest[1];

	if (ttl > p->cfg.max_ttl)
		return 1;
	if (l->reached[LADDER_FLOW] && l->reached[LADDER_CONTROL])
		return 1;
	if (l->reached[LADDER_FLOW] && ttl > l->reached[LADDER_FLOW])
		return 1;
	if (l->reached[LADDER_CONTROL] && ttl > l->reached[LADDER_CONTROL] + 1)
		return 1;
	return ttl > highest + PROBE_SILENT_HOPS;
}

static void ladder_send(struct prober *p, struct ladder *l, uint64_t now)
{
	while (l->sending && l->next_us <= now) {
		if (l->next_ladder == LADDER_FLOW && ladder_stop_climbing(p, l)) {
			l->sending = 0;
			break;
		}
		if (!take_token(p, now)) {
			p->counters.limit_rate++;
			l->next_us = now + USEC_PER_SEC / p->cfg.rate + 1;
			break;
		}
		send_probe(p, l, l->next_ladder, l->next_ttl, now);
		l->last_sent_us = now;
		if (l->next_ladder == LADDER_FLOW) {
			l->next_ladder = LADDER_CONTROL;
		} else {
			l->next_ladder = LADDER_FLOW;
			l->next_ttl++;
			l->next_us = now + (uint64_t)p->cfg.pace_ms * USEC_PER_MSEC;
		}
	}
}

/* ---- answers ---- */

/* server NULL: any (raw IPv6 sockets do not give the destination). */
static struct ladder *find_ladder(struct prober *p, const struct in6_addr *server,
				  const struct in6_addr *client,
				  uint16_t server_port, uint16_t client_port,
				  uint8_t proto, int *which)
{
	unsigned int k;

	for (k = 0; k < p->cfg.max_ladders; k++) {
		struct ladder *l = &p->ladders[k];

		if (!l->active || l->key.proto != proto ||
		    l->key.client_port != client_port ||
		    memcmp(&l->key.client, client, sizeof(*client)) ||
		    (server && memcmp(&l->key.server, server, sizeof(*server))))
			continue;
		if (server_port == l->key.server_port)
			*which = LADDER_FLOW;
		else if (server_port == l->control_port)
			*which = LADDER_CONTROL;
		else
			continue;
		return l;
	}
	return NULL;
}

static void record_hop(struct ladder *l, int which, uint8_t ttl,
		       const struct in6_addr *from, int client, int unreach,
		       uint8_t code, uint64_t now)
{
	struct hop *h = &l->hops[which][ttl];

	if (h->seen.answered || h->sent_us == 0)
		return;
	h->seen.answered = 1;
	h->seen.addr = *from;
	h->seen.client = (uint8_t)client;
	h->seen.unreachable = (uint8_t)unreach;
	h->seen.code = code;
	h->seen.rtt_us = (uint32_t)(now - h->sent_us);
	if (ttl > l->highest[which])
		l->highest[which] = ttl;
	if (client && (l->reached[which] == 0 || ttl < l->reached[which]))
		l->reached[which] = ttl;
}

static void on_icmp(struct prober *p, const struct probe_answer *a,
		    uint64_t now)
{
	struct ladder *l;
	int which, client;

	l = find_ladder(p, &a->src, &a->dst, a->sport, a->dport, a->proto,
			&which);
	if (l == NULL || which != a->ladder || a->ttl == 0 ||
	    a->ttl > PROBE_TTL_LIMIT ||
	    (a->proto == IPPROTO_TCP && a->seq != l->seq)) {
		p->counters.icmp_unmatched++;
		return;
	}
	p->counters.icmp_matched++;
	client = !memcmp(&a->responder, &l->key.client, sizeof(a->responder));
	if (client)
		p->counters.client_answers++;
	record_hop(l, which, a->ttl, &a->responder, client,
		   !a->time_exceeded, a->code, now);
}

void probe_feed_icmp(struct prober *p, int family,
		     const struct in6_addr *from, const uint8_t *buf,
		     size_t len, uint64_t now)
{
	struct probe_answer a;
	enum probe_quote q;

	p->counters.icmp_received++;
	if (family == AF_INET)
		q = probe_parse_icmp4(buf, len, &a);
	else
		q = probe_parse_icmp6(from, buf, len, &a);
	if (q == QUOTE_TRUNCATED)
		p->counters.icmp_truncated++;
	else if (q == QUOTE_NOT_OURS || q == QUOTE_OTHER)
		p->counters.icmp_not_ours++;
	else
		on_icmp(p, &a, now);
}

static void read_icmp(struct prober *p, int f, uint64_t now)
{
	uint8_t buf[PROBE_PKT_MAX];
	struct sockaddr_in6 from;
	socklen_t fl;
	ssize_t n;
	int budget = 256;

	while (budget--) {
		fl = sizeof(from);
		n = recvfrom(p->icmp_fd[f], buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				p->counters.recv_errors++;
			return;
		}
		probe_feed_icmp(p, f == FAM4 ? AF_INET : AF_INET6,
				&from.sin6_addr, buf, (size_t)n, now);
	}
}

/*
 * Does this packet from the client answer the ladder's probes on "which"?
 * l4 is the transport header, l4_len the transport length.
 */
static int answers_probe(const struct ladder *l, int which, const uint8_t *l4,
			 size_t l4_len)
{
	size_t doff;

	if (which == LADDER_CONTROL)
		return 1;	/* nothing else uses the control 5-tuple */
	if (l->key.proto == IPPROTO_UDP)
		return l->client_silent;
	if (l4_len < WIRE_TCP_HLEN)
		return 0;
	if (l4[13] & PKT_TCP_RST)
		return 1;
	/* The keep-alive's answer: a pure ACK of seq + 1 from the client's
	 * next seq. The client's own game data (it may still be sending, the
	 * way back being the broken one) carries a payload, and its own
	 * keep-alive a seq one lower: neither is an answer. */
	doff = (size_t)(l4[12] >> 4) * 4;
	return (l4[13] & PKT_TCP_ACK) && l4_len == doff &&
	       wire_get32(l4 + 8) == l->seq + 1 && wire_get32(l4 + 4) == l->ack;
}

/*
 * Which TTL reached the client? An ICMP answer quotes it; the client's
 * TCP RST to a control probe carries it too (its seq is the probe's ack,
 * base + TTL); the answers to the flow's keep-alive and UDP datagrams do
 * not. For those: the probe sent about one round trip before the answer
 * came (the highest answering router's RTT stands in for the client's)
 * among the TTLs no router answered. With the pacing (50 ms) above the
 * round trip that is the right one; beyond it the guess errs high.
 */
static uint8_t client_ttl(const struct ladder *l, int which, uint64_t now)
{
	const struct hop *hops = l->hops[which];
	uint8_t ttl, best = 0, h = l->highest[which];
	uint64_t rtt = h ? hops[h].seen.rtt_us : 0, want, d, best_d = UINT64_MAX;

	want = now > rtt ? now - rtt : 0;
	for (ttl = 1; ttl <= PROBE_TTL_LIMIT; ttl++) {
		const struct hop *x = &hops[ttl];

		if (x->sent_us == 0 || x->seen.answered || x->sent_us > now)
			continue;
		d = x->sent_us > want ? x->sent_us - want : want - x->sent_us;
		if (d < best_d) {
			best_d = d;
			best = ttl;
		}
	}
	return best;
}

static void client_reached(struct prober *p, struct ladder *l, int which,
			   const struct in6_addr *client, uint8_t ttl,
			   uint64_t now)
{
	if (ttl == 0 || ttl > PROBE_TTL_LIMIT || l->hops[which][ttl].sent_us == 0 ||
	    l->hops[which][ttl].seen.answered)
		ttl = client_ttl(l, which, now);
	if (ttl == 0)
		return;
	p->counters.client_answers++;
	record_hop(l, which, ttl, client, 1, 0, 0, now);
}

void probe_feed_client(struct prober *p, int family, uint8_t proto,
		       const struct in6_addr *from, const uint8_t *pkt,
		       size_t caplen, size_t len, uint64_t now)
{
	size_t need = proto == IPPROTO_TCP ? WIRE_TCP_HLEN : WIRE_UDP_HLEN;
	struct in6_addr src, dst;
	const uint8_t *l4 = pkt;
	size_t l4_len = len;
	struct ladder *l;
	uint8_t ttl = 0;
	int which;

	if (family == AF_INET) {
		size_t hl;

		if (caplen < WIRE_IP4_HLEN || (pkt[0] >> 4) != 4 || pkt[9] != proto)
			return;
		hl = (size_t)(pkt[0] & 0x0f) * 4;
		if (hl < WIRE_IP4_HLEN || caplen < hl + need ||
		    wire_get16(pkt + 2) < hl + need || wire_get16(pkt + 2) > len)
			return;
		addr_from_v4(&src, pkt + 12);
		addr_from_v4(&dst, pkt + 16);
		l4 = pkt + hl;
		l4_len = wire_get16(pkt + 2) - hl;
	} else {
		/* The transport only: matched by client and ports. */
		if (caplen < need)
			return;
		src = *from;
	}
	l = find_ladder(p, family == AF_INET ? &dst : NULL, &src, wire_get16(l4 + 2),
			wire_get16(l4), proto, &which);
	if (l == NULL || l->reached[which] ||
	    !answers_probe(l, which, l4, l4_len))
		return;
	if (which == LADDER_CONTROL && proto == IPPROTO_TCP &&
	    (l4[13] & PKT_TCP_RST)) {
		uint32_t d = wire_get32(l4 + 4) - l->ack;

		if (d >= 1 && d <= PROBE_TTL_LIMIT)
			ttl = (uint8_t)d;
	}
	client_reached(p, l, which, &src, ttl, now);
}

static void read_rx(struct prober *p, int f, int k, uint64_t now)
{
	/* The headers are all we read; MSG_TRUNC gives the whole length. */
	uint8_t buf[128];
	struct sockaddr_in6 from;
	socklen_t fl;
	ssize_t n;
	int budget = 1024;

	while (budget--) {
		fl = sizeof(from);
		n = recvfrom(p->rx_fd[f][k], buf, sizeof(buf), MSG_TRUNC,
			     (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				p->counters.recv_errors++;
			return;
		}
		probe_feed_client(p, f == FAM4 ? AF_INET : AF_INET6,
				  k == RX_TCP ? IPPROTO_TCP : IPPROTO_UDP,
				  &from.sin6_addr, buf,
				  (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf),
				  (size_t)n, now);
	}
}

/* ---- results ---- */

/* The client's distance once it answered (it answers the higher TTLs
 * too), else the highest TTL that answered, or 0. */
static uint8_t last_hop(const struct ladder *l, int which)
{
	uint8_t ttl, last = 0;

	if (l->reached[which])
		return l->reached[which];
	for (ttl = 1; ttl <= PROBE_TTL_LIMIT; ttl++)
		if (l->hops[which][ttl].seen.answered)
			last = ttl;
	return last;
}

static void verdict(const struct ladder *l, char *buf, size_t len)
{
	uint8_t k = last_hop(l, LADDER_FLOW), c = last_hop(l, LADDER_CONTROL);
	uint8_t r = l->reached[LADDER_CONTROL];
	char at[INET6_ADDRSTRLEN + 32];
	char addr[INET6_ADDRSTRLEN];

	if (l->reached[LADDER_FLOW]) {
		snprintf(buf, len, "this flow's probes reach the client (hop %u): "
			 "the way to the client is open; look at the way back",
			 l->reached[LADDER_FLOW]);
		return;
	}
	if (k == 0 && c == 0) {
		snprintf(buf, len, "no hop answered either ladder: ICMP is "
			 "filtered or rate-limited on this path");
		return;
	}
	if (k)
		snprintf(at, sizeof(at), "hop %u (%s)", k,
			 addr_format(&l->hops[LADDER_FLOW][k].seen.addr, addr,
					   sizeof(addr)));
	else
		snprintf(at, sizeof(at), "this host, before the first hop");
	if (k && r && k + 1 >= r) {
		/* Every router the fresh flow crossed answered this flow's
		 * probes too: the drop is at the client's end of the path. */
		if (l->key.proto == IPPROTO_UDP)
			snprintf(buf, len, "this flow's probes pass every router "
				 "up to %s, the last before the client, and a "
				 "UDP client need not answer them (see "
				 "--probe-udp-payload): that router, the client's "
				 "edge or the way back drops this flow", at);
		else
			snprintf(buf, len, "this flow's packets are dropped after "
				 "%s, the last router before the client: that "
				 "router, the client's own edge (a NAT or firewall "
				 "that lost this flow) or the client drops them; a "
				 "fresh flow reaches the client", at);
	} else if (r || c > k) {
		snprintf(buf, len, "this flow's packets are dropped after %s; "
			 "a fresh flow passes the same hop%s", at,
			 r ? " and reaches the client" : "");
	} else if (c == k) {
		/* The control is unsolicited (a TCP ACK without a
		 * handshake): a stateful device that lost this flow's state
		 * drops it too. */
		snprintf(buf, len, "both this flow and a fresh flow (%s) stop "
			 "after %s: that router or one after it drops both, as "
			 "a stateful firewall or NAT with no state for either "
			 "does, or the path beyond it is down",
			 l->key.proto == IPPROTO_TCP ?
			 "an ACK without a handshake" :
			 "from a port the client never heard from", at);
	} else {
		snprintf(buf, len, "the fresh flow stopped earlier (hop %u) than "
			 "this flow (%s): ICMP loss or rate limiting; inconclusive",
			 c, at);
	}
}

/* What a finished ladder found, as plain data for the correlator. */
static void ladder_result(const struct ladder *l, uint64_t now_mono,
			  struct probe_result *r)
{
	int which;
	uint8_t ttl;

	memset(r, 0, sizeof(*r));
	r->queue = l->queue;
	r->seq = l->gap_seq;
	r->key = l->key;
	r->control_port = l->control_port;
	r->duration_us = now_mono - l->started_mono;
	for (which = LADDER_FLOW; which <= LADDER_CONTROL; which++) {
		for (ttl = 1; ttl <= PROBE_TTL_LIMIT; ttl++) {
			if (l->hops[which][ttl].sent_us == 0)
				break;
			r->hops[which][ttl] = l->hops[which][ttl].seen;
		}
		r->sent[which] = (uint8_t)(ttl - 1);
		/* An answered TTL, so one of the hops copied above. */
		r->last_hop[which] = last_hop(l, which);
		r->reached[which] = l->reached[which];
	}
	verdict(l, r->verdict, sizeof(r->verdict));
}

static int ladder_done(const struct prober *p, const struct ladder *l,
		       uint64_t now)
{
	if (l->reached[LADDER_FLOW] && l->reached[LADDER_CONTROL])
		return 1;	/* nothing left to learn: stop sending too */
	if (l->sending)
		return 0;
	return now >= l->last_sent_us + (uint64_t)p->cfg.timeout_ms * USEC_PER_MSEC;
}

void probe_run(struct prober *p, const struct gw_time *now, probe_done_cb cb,
	       void *ctx)
{
	struct probe_result result;
	unsigned int k;
	int f, r;

	for (f = 0; f < 2; f++) {
		if (p->icmp_fd[f] >= 0)
			read_icmp(p, f, now->mono_us);
		for (r = 0; r < 2; r++)
			if (p->rx_fd[f][r] >= 0)
				read_rx(p, f, r, now->mono_us);
	}
	for (k = 0; k < p->cfg.max_ladders; k++) {
		struct ladder *l = &p->ladders[k];

		if (!l->active)
			continue;
		ladder_send(p, l, now->mono_us);
		if (!ladder_done(p, l, now->mono_us))
			continue;
		ladder_result(l, now->mono_us, &result);
		cb(ctx, &result);
		l->active = 0;
		p->counters.ladders_done++;
		if (--p->nactive == 0)
			rx_close(p);
		else
			rx_filter(p);
	}
}

const struct probe_counters *probe_counters(const struct prober *p)
{
	return &p->counters;
}
