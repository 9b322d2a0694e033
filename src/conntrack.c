/*
 * conntrack.c - ctnetlink events, lookups and statistics for the gaps.
 *
 * Events come filtered in the kernel: the rules set a conntrack mark bit
 * on new game flows and a socket filter (nfct_filter, BSF) passes only
 * entries carrying it, so a busy server's other connections never reach
 * user space. Each flow keeps a short history of its events; a gap looks
 * at the part of it that falls in its window.
 *
 * The lookups and statistics dumps are synchronous netlink requests on a
 * socket of their own, bounded by a receive timeout; they run in the
 * correlator thread, never in a verdict loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "addr.h"
#include "conntrack.h"
#include "flow.h"
#include "hashidx.h"
#include "log.h"
#include "portset.h"
#include "samples.h"

/*
 * Larger than any netlink batch the kernel sends us: a dump's messages
 * come in buffers of at most 32 KiB, an event is one message.
 */
#define CT_BUF_SIZE	65536

/*
 * The tracked flows' hash seed is drawn per process (getrandom), as the
 * engine's is, so that a client cannot pick ports that all land in one
 * chain of a table it can fill. The placement of entries changes nothing
 * that is reported. CT_HASH_SEED (ASCII "gtck", any value would do) only
 * when the kernel has no random bytes yet, early at boot.
 */
#define CT_HASH_SEED	0x6774636bU

/*
 * Knuth's multiplicative hash constant, 2^32 / golden ratio: consecutive
 * gap numbers (as the engine hands them out) spread over the open-gap
 * slots instead of filling neighbours.
 */
#define CT_GOLDEN_32	2654435761U

/* A record has room for every event a history keeps. */
_Static_assert(CT_HISTORY <= CT_EVENTS_MAX, "a history must fit in a record");

struct ct_flow {
	struct flow_key key;		/* first: hashidx_find */
	uint32_t chain_next;		/* hashidx */
	struct hashidx_link lru;	/* hashidx */
	uint32_t last_timeout_s;	/* at the last NEW/UPDATE */
	uint32_t generation;		/* last resync that saw it */
	uint8_t nevents;
	uint8_t head;			/* next slot in events[] */
	struct ct_event events[CT_HISTORY];
};

_Static_assert(offsetof(struct ct_flow, key) == 0, "hashidx_find wants the key first");

struct ct_open_gap {
	uint64_t seq;			/* 0: free */
	uint16_t queue;
	struct ct_entry at_open;
};

struct ct {
	struct ct_config cfg;
	struct mnl_socket *events;
	struct mnl_socket *query;
	unsigned int query_portid;
	uint32_t seq;
	struct ct_flow *flows;		/* [max_tracked + 1] */
	struct hashidx index;		/* by key */
	struct hashidx_pool slots;	/* LRU order: the stalest evicted */
	uint32_t seed;			/* of the index's hash */
	uint32_t generation;
	struct samples samples;		/* struct ct_health (cumulative), wall */
	uint64_t missed[CT_MISSED];	/* wall times of ENOBUFS */
	uint32_t nmissed;
	struct ct_open_gap open_gaps[CT_OPEN_GAPS];
	uint32_t open_count;
	struct nf_conntrack *scratch;
	uint64_t now_wall_us;
	struct ct_counters counters;
	uint8_t buf[CT_BUF_SIZE];	/* a dump batch or one event */
};

const struct ct_counters *ct_counters(const struct ct *ct)
{
	return &ct->counters;
}

int ct_event_fd(const struct ct *ct)
{
	return mnl_socket_get_fd(ct->events);
}

/* --- tracked flows ------------------------------------------------------ */

static uint32_t key_hash(const struct ct *ct, const struct flow_key *k)
{
	return flow_key_hash(k, ct->seed);
}

static struct ct_flow *tracked_find(const struct ct *ct,
				    const struct flow_key *k)
{
	uint32_t i = hashidx_find(&ct->index, key_hash(ct, k), ct->flows,
				  sizeof(*ct->flows), k, sizeof(*k));

	return i ? &ct->flows[i] : NULL;
}

static void tracked_evict(struct ct *ct, uint32_t i)
{
	hashidx_del(&ct->index, key_hash(ct, &ct->flows[i].key), i);
	hashidx_pool_put(&ct->slots, i);
	ct->counters.tracked--;
}

/* The flow's history, created (evicting the stalest) when missing. */
static struct ct_flow *tracked_get(struct ct *ct, const struct flow_key *k)
{
	struct ct_flow *f = tracked_find(ct, k);
	uint32_t i;

	if (f != NULL) {
		hashidx_pool_touch(&ct->slots, (uint32_t)(f - ct->flows));
		return f;
	}
	i = hashidx_pool_take(&ct->slots);
	if (i == 0) {
		tracked_evict(ct, hashidx_pool_oldest(&ct->slots));
		ct->counters.evicted++;
		i = hashidx_pool_take(&ct->slots);
	}
	f = &ct->flows[i];
	f->key = *k;
	hashidx_add(&ct->index, key_hash(ct, k), i);
	ct->counters.tracked++;
	return f;
}

static void history_add(struct ct_flow *f, const struct ct_event *ev)
{
	f->events[f->head] = *ev;
	f->head = (uint8_t)((f->head + 1) % CT_HISTORY);
	if (f->nevents < CT_HISTORY)
		f->nevents++;
}

void ct_track_event(struct ct *ct, const struct flow_key *k,
		    const struct ct_event *ev)
{
	struct ct_flow *f = tracked_get(ct, k);

	if (ev->type != CT_EV_DESTROY && ev->timeout_s)
		f->last_timeout_s = ev->timeout_s;
	history_add(f, ev);
}

/* --- parsing ------------------------------------------------------------ */

/*
 * The flow key of a conntrack entry, client first. The original tuple is
 * what our rules saw (mangle PREROUTING runs before DNAT), so it matches
 * the packets' addresses. Returns -1 for an entry that is not a game flow.
 */
int ct_entry_key(const struct portset *ports, const struct nf_conntrack *c,
		 struct flow_key *k)
{
	uint8_t l3 = nfct_get_attr_u8(c, ATTR_ORIG_L3PROTO);
	uint8_t l4 = nfct_get_attr_u8(c, ATTR_ORIG_L4PROTO);
	struct in6_addr src, dst;
	uint16_t sport, dport;

	if (l4 != IPPROTO_TCP && l4 != IPPROTO_UDP)
		return -1;
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	if (l3 == AF_INET) {
		uint32_t a = nfct_get_attr_u32(c, ATTR_ORIG_IPV4_SRC);
		uint32_t b = nfct_get_attr_u32(c, ATTR_ORIG_IPV4_DST);

		addr_from_v4(&src, &a);
		addr_from_v4(&dst, &b);
	} else if (l3 == AF_INET6) {
		const void *a = nfct_get_attr(c, ATTR_ORIG_IPV6_SRC);
		const void *b = nfct_get_attr(c, ATTR_ORIG_IPV6_DST);

		if (a == NULL || b == NULL)
			return -1;
		memcpy(&src, a, 16);
		memcpy(&dst, b, 16);
	} else {
		return -1;
	}
	sport = ntohs(nfct_get_attr_u16(c, ATTR_ORIG_PORT_SRC));
	dport = ntohs(nfct_get_attr_u16(c, ATTR_ORIG_PORT_DST));
	return portset_orient(ports, l4, &src, sport, &dst, dport, k) < 0 ? -1 : 0;
}

void ct_entry_fill(const struct nf_conntrack *c, struct ct_entry *e)
{
	e->found = 1;
	if (nfct_attr_is_set(c, ATTR_TCP_STATE) > 0)
		e->tcp_state = nfct_get_attr_u8(c, ATTR_TCP_STATE);
	if (nfct_attr_is_set(c, ATTR_TIMEOUT) > 0)
		e->timeout_s = nfct_get_attr_u32(c, ATTR_TIMEOUT);
	if (nfct_attr_is_set(c, ATTR_MARK) > 0)
		e->mark = nfct_get_attr_u32(c, ATTR_MARK);
	if (nfct_attr_is_set(c, ATTR_STATUS) > 0)
		e->status = nfct_get_attr_u32(c, ATTR_STATUS);
	if (nfct_attr_is_set(c, ATTR_ORIG_COUNTER_PACKETS) > 0) {
		e->packets[0] = nfct_get_attr_u64(c, ATTR_ORIG_COUNTER_PACKETS);
		e->packets[1] = nfct_get_attr_u64(c, ATTR_REPL_COUNTER_PACKETS);
		e->bytes[0] = nfct_get_attr_u64(c, ATTR_ORIG_COUNTER_BYTES);
		e->bytes[1] = nfct_get_attr_u64(c, ATTR_REPL_COUNTER_BYTES);
	}
}

/* One conntrack message into a fresh scratch object; NULL on garbage. */
static struct nf_conntrack *parse_entry(struct ct *ct,
					const struct nlmsghdr *nlh)
{
	if (ct->scratch)
		nfct_destroy(ct->scratch);
	ct->scratch = nfct_new();
	if (ct->scratch == NULL || nfct_nlmsg_parse(nlh, ct->scratch) < 0)
		return NULL;
	return ct->scratch;
}

int ct_event_type(uint16_t nlmsg_type, uint16_t nlmsg_flags)
{
	switch (NFNL_MSG_TYPE(nlmsg_type)) {
	case IPCTNL_MSG_CT_NEW:
		/* The kernel announces a new entry as created, an update
		 * of one as a plain NEW. */
		return (nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) ?
			       CT_EV_NEW : CT_EV_UPDATE;
	case IPCTNL_MSG_CT_DELETE:
		return CT_EV_DESTROY;
	default:
		return -1;
	}
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct *ct = data;
	struct nf_conntrack *c = parse_entry(ct, nlh);
	struct ct_event ev;
	struct ct_entry e;
	struct flow_key k;
	int type;

	if (c == NULL)
		return MNL_CB_OK;
	if (ct_entry_key(ct->cfg.ports, c, &k) < 0) {
		ct->counters.events_ignored++;
		return MNL_CB_OK;
	}
	ct->counters.events++;
	type = ct_event_type(nlh->nlmsg_type, nlh->nlmsg_flags);
	if (type < 0)
		return MNL_CB_OK;
	memset(&ev, 0, sizeof(ev));
	memset(&e, 0, sizeof(e));
	ct_entry_fill(c, &e);
	ev.wall_us = ct->now_wall_us;
	ev.type = (uint8_t)type;
	ev.tcp_state = e.tcp_state;
	ev.timeout_s = e.timeout_s;
	ct_track_event(ct, &k, &ev);
	return MNL_CB_OK;
}

/* --- requests ------------------------------------------------------------ */

static struct nlmsghdr *request(struct ct *ct, uint8_t msg, uint16_t flags,
				uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(ct->buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++ct->seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/*
 * Send nlh on the query socket and run cb over the answer until the ACK
 * or NLMSG_DONE. Returns 0, or -errno (ENOENT: no such entry; EAGAIN: no
 * answer within CT_QUERY_TIMEOUT_MS).
 */
static int transact(struct ct *ct, struct nlmsghdr *nlh, mnl_cb_t cb,
		    void *data)
{
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int rc;

	ct->counters.queries++;
	if (mnl_socket_sendto(ct->query, nlh, nlh->nlmsg_len) < 0)
		goto fail;
	for (;;) {
		n = mnl_socket_recvfrom(ct->query, ct->buf, sizeof(ct->buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		rc = mnl_cb_run(ct->buf, (size_t)n, seq, ct->query_portid, cb,
				data);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc == MNL_CB_ERROR) {
			/* A late answer to a request that timed out. */
			if (errno == EPROTO)
				continue;
			goto fail;
		}
	}
fail:
	if (errno != ENOENT)
		ct->counters.query_errors++;
	return -errno;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct *ct = ((void **)data)[0];
	struct ct_entry *e = ((void **)data)[1];
	struct nf_conntrack *c = parse_entry(ct, nlh);

	if (c != NULL)
		ct_entry_fill(c, e);
	return MNL_CB_OK;
}

static void lookup(struct ct *ct, const struct flow_key *k, struct ct_entry *e)
{
	struct nf_conntrack *c = nfct_new();
	struct nlmsghdr *nlh;
	void *args[2] = { ct, e };
	int v4 = IN6_IS_ADDR_V4MAPPED(&k->client);
	int rc;

	memset(e, 0, sizeof(*e));
	if (c == NULL)
		return;
	if (v4) {
		uint32_t a, b;

		memcpy(&a, &k->client.s6_addr[12], 4);
		memcpy(&b, &k->server.s6_addr[12], 4);
		nfct_set_attr_u8(c, ATTR_L3PROTO, AF_INET);
		nfct_set_attr_u32(c, ATTR_IPV4_SRC, a);
		nfct_set_attr_u32(c, ATTR_IPV4_DST, b);
	} else {
		nfct_set_attr_u8(c, ATTR_L3PROTO, AF_INET6);
		nfct_set_attr(c, ATTR_IPV6_SRC, &k->client);
		nfct_set_attr(c, ATTR_IPV6_DST, &k->server);
	}
	nfct_set_attr_u8(c, ATTR_L4PROTO, k->proto);
	nfct_set_attr_u16(c, ATTR_PORT_SRC, htons(k->client_port));
	nfct_set_attr_u16(c, ATTR_PORT_DST, htons(k->server_port));
	nlh = request(ct, IPCTNL_MSG_CT_GET, NLM_F_ACK, v4 ? AF_INET : AF_INET6);
	if (nfct_nlmsg_build(nlh, c) < 0) {
		nfct_destroy(c);
		return;
	}
	nfct_destroy(c);
	rc = transact(ct, nlh, get_cb, args);
	e->looked_up = rc == 0 || rc == -ENOENT;
}

static int stats_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	/* Both attribute sets (per CPU, global) are u32; ignore others. */
	if (type > CTA_STATS_MAX || mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

static uint64_t stat_u32(const struct nlattr *const *tb, int type)
{
	return tb[type] ? ntohl(mnl_attr_get_u32(tb[type])) : 0;
}

static int stats_cpu_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_health *h = data;
	const struct nlattr *tb[CTA_STATS_MAX + 1] = { NULL };

	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), stats_attr_cb, tb);
	h->invalid += stat_u32(tb, CTA_STATS_INVALID);
	h->drop += stat_u32(tb, CTA_STATS_DROP);
	h->early_drop += stat_u32(tb, CTA_STATS_EARLY_DROP);
	h->insert_failed += stat_u32(tb, CTA_STATS_INSERT_FAILED);
	h->error += stat_u32(tb, CTA_STATS_ERROR);
	h->search_restart += stat_u32(tb, CTA_STATS_SEARCH_RESTART);
	return MNL_CB_OK;
}

static int stats_global_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_health *h = data;
	const struct nlattr *tb[CTA_STATS_MAX + 1] = { NULL };

	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), stats_attr_cb, tb);
	h->count = (uint32_t)stat_u32(tb, CTA_STATS_GLOBAL_ENTRIES);
	h->max = (uint32_t)stat_u32(tb, CTA_STATS_GLOBAL_MAX_ENTRIES);
	return MNL_CB_OK;
}

void ct_add_sample(struct ct *ct, uint64_t wall_us, const struct ct_health *h)
{
	samples_add(&ct->samples, wall_us, h);
	ct->counters.count = h->count;
	ct->counters.max = h->max;
}

void ct_sample(struct ct *ct, const struct gw_time *now)
{
	struct ct_health h;

	memset(&h, 0, sizeof(h));
	if (transact(ct, request(ct, IPCTNL_MSG_CT_GET_STATS_CPU, NLM_F_DUMP,
				 AF_UNSPEC), stats_cpu_cb, &h) < 0 ||
	    transact(ct, request(ct, IPCTNL_MSG_CT_GET_STATS, NLM_F_ACK,
				 AF_UNSPEC), stats_global_cb, &h) < 0)
		return;
	ct_add_sample(ct, now->wall_us, &h);
}

/* --- events and resync ---------------------------------------------------- */

void ct_resync_begin(struct ct *ct, uint64_t wall_us)
{
	ct->counters.resyncs++;
	ct->missed[ct->nmissed++ % CT_MISSED] = wall_us;
	ct->generation++;
}

void ct_resync_seen(struct ct *ct, const struct flow_key *k)
{
	struct ct_flow *f = tracked_find(ct, k);

	if (f != NULL)
		f->generation = ct->generation;
}

void ct_resync_end(struct ct *ct, uint64_t wall_us)
{
	struct ct_event ev;
	uint32_t i;

	memset(&ev, 0, sizeof(ev));
	ev.type = CT_EV_DESTROY;
	ev.wall_us = wall_us;
	/* Freed slots too: they are found by no key, and a slot taken
	 * again starts zeroed. */
	for (i = 1; i < hashidx_pool_end(&ct->slots); i++) {
		struct ct_flow *f = &ct->flows[i];
		const struct ct_event *last;

		if (f->nevents == 0 || f->generation == ct->generation)
			continue;
		last = &f->events[(f->head + CT_HISTORY - 1) % CT_HISTORY];
		if (last->type != CT_EV_DESTROY)
			history_add(f, &ev);
	}
}

static int resync_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct *ct = data;
	struct nf_conntrack *c = parse_entry(ct, nlh);
	struct flow_key k;

	if (c != NULL && ct_entry_key(ct->cfg.ports, c, &k) == 0)
		ct_resync_seen(ct, &k);
	return MNL_CB_OK;
}

/*
 * Events were lost. Dump the game flows' entries (the kernel filters the
 * dump by our connmark) and note a DESTROY for every tracked flow whose
 * entry has vanished meanwhile: that event is the one that matters most.
 */
static void resync(struct ct *ct)
{
	struct nlmsghdr *nlh;

	ct_resync_begin(ct, ct->now_wall_us);
	nlh = request(ct, IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC);
	if (ct->cfg.connmark) {
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(ct->cfg.connmark));
		mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(ct->cfg.connmark));
	}
	if (transact(ct, nlh, resync_cb, ct) < 0)
		return;
	ct_resync_end(ct, ct->now_wall_us);
}

void ct_read_events(struct ct *ct, const struct gw_time *now)
{
	ssize_t n;

	ct->now_wall_us = now->wall_us;
	for (;;) {
		n = recv(mnl_socket_get_fd(ct->events), ct->buf, sizeof(ct->buf),
			 MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* The kernel dropped events: count, resync
				 * by a dump, and go on reading. */
				ct->counters.enobufs++;
				resync(ct);
				continue;
			}
			log_warn("conntrack events: receive failed");
			return;
		}
		mnl_cb_run(ct->buf, (size_t)n, 0, 0, event_cb, ct);
	}
}

/* --- enrichment ------------------------------------------------------------ */

/* The slot where the probing for the open gap (queue, seq) starts. */
static uint32_t open_gap_home(uint16_t queue, uint64_t seq)
{
	return ((uint32_t)(seq * CT_GOLDEN_32) ^ queue) % CT_OPEN_GAPS;
}

static struct ct_open_gap *open_gap_slot(struct ct *ct, uint16_t queue,
					 uint64_t seq, int create)
{
	uint32_t k, h = open_gap_home(queue, seq);

	for (k = 0; k < CT_OPEN_GAPS; k++) {
		struct ct_open_gap *g = &ct->open_gaps[(h + k) % CT_OPEN_GAPS];

		if (g->seq == seq && g->queue == queue)
			return g;
		if (g->seq == 0)
			return create ? g : NULL;
	}
	return NULL;
}

/* Backward-shift deletion keeps the linear probing chains intact. */
static void open_gap_free(struct ct *ct, struct ct_open_gap *g)
{
	uint32_t i = (uint32_t)(g - ct->open_gaps), j = i, home;

	for (;;) {
		j = (j + 1) % CT_OPEN_GAPS;
		if (ct->open_gaps[j].seq == 0)
			break;
		home = open_gap_home(ct->open_gaps[j].queue,
				     ct->open_gaps[j].seq);
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			ct->open_gaps[i] = ct->open_gaps[j];
			i = j;
		}
	}
	ct->open_gaps[i].seq = 0;
}

void ct_open_gap_keep(struct ct *ct, uint16_t queue, uint64_t seq,
		      const struct ct_entry *at_open)
{
	/* Keep one slot empty: the probing and the backward-shift
	 * deletion both end at an empty slot. */
	struct ct_open_gap *g = ct->open_count < CT_OPEN_GAPS - 1 ?
					open_gap_slot(ct, queue, seq, 1) : NULL;

	if (g == NULL) {
		ct->counters.open_lookups_lost++;
	} else if (g->seq == 0) {
		g->seq = seq;
		g->queue = queue;
		g->at_open = *at_open;
		ct->open_count++;
	}
}

int ct_open_gap_take(struct ct *ct, uint16_t queue, uint64_t seq,
		     struct ct_entry *at_open)
{
	struct ct_open_gap *g = open_gap_slot(ct, queue, seq, 0);

	if (g == NULL)
		return 0;
	*at_open = g->at_open;
	open_gap_free(ct, g);
	ct->open_count--;
	return 1;
}

/* Neither side sent anything in the gap's window (the packet that ended
 * it is not counted in the window). */
static int quiet_both(const struct gap_record *rec)
{
	int s = rec->silent == SILENT_SERVER ? SIDE_SERVER : SIDE_CLIENT;

	return rec->silent == SILENT_BOTH || rec->side[!s].packets == 0;
}

void ct_window(const struct ct *ct, struct gap_record *rec)
{
	struct ct_facts *cf = &rec->ct;
	const struct ct_flow *f = tracked_find(ct, &rec->key);
	uint64_t from = rec->start_us > CT_WINDOW_LEAD_US ?
				rec->start_us - CT_WINDOW_LEAD_US : 0;
	/* A closing record waits CT_GRACE_US in the correlator: the NEW of
	 * a resumed flow and a DESTROY found at that moment come just after
	 * the packet that ended the gap. */
	uint64_t to = rec->is_open_event ? rec->detected_us :
					   rec->end_us + CT_GRACE_US;
	const struct ct_health *a, *b;
	uint32_t k;

	memset(cf, 0, sizeof(*cf));
	cf->available = 1;
	for (k = 0; f && k < f->nevents; k++) {
		const struct ct_event *ev = &f->events[(f->head + CT_HISTORY -
						       f->nevents + k) % CT_HISTORY];

		if (ev->wall_us < from || ev->wall_us > to)
			continue;
		cf->events[cf->nevents] = *ev;
		/* conntrack does not say why an entry died. A timeout is
		 * the only cause that needs the flow quiet for the whole
		 * timeout: when neither side sent anything in the gap's
		 * window before the DESTROY came that late, call it one. */
		if (ev->type == CT_EV_DESTROY && f->last_timeout_s &&
		    quiet_both(rec) &&
		    ev->wall_us + CT_TIMEOUT_SLACK_US >= rec->start_us +
				(uint64_t)f->last_timeout_s * USEC_PER_SEC)
			cf->events[cf->nevents].by_timeout = 1;
		cf->nevents++;
	}
	for (k = 0; k < ct->nmissed && k < CT_MISSED; k++)
		if (ct->missed[k] >= from && ct->missed[k] <= to)
			cf->events_missed++;

	/* The table's health: the growth of its statistics from the
	 * gap's start to the newest sample, the size as last read. */
	a = samples_at(&ct->samples, rec->start_us);
	b = samples_newest(&ct->samples);
	if (a && b) {
		cf->health.count = b->count;
		cf->health.max = b->max;
		cf->health.invalid = b->invalid - a->invalid;
		cf->health.drop = b->drop - a->drop;
		cf->health.early_drop = b->early_drop - a->early_drop;
		cf->health.insert_failed = b->insert_failed - a->insert_failed;
		cf->health.error = b->error - a->error;
		cf->health.search_restart = b->search_restart - a->search_restart;
	}
}

void ct_enrich(struct ct *ct, struct gap_record *rec)
{
	struct ct_facts *cf = &rec->ct;

	ct_window(ct, rec);
	if (rec->is_open_event) {
		lookup(ct, &rec->key, &cf->at_open);
		ct_open_gap_keep(ct, rec->queue, rec->seq, &cf->at_open);
	} else {
		lookup(ct, &rec->key, &cf->at_close);
		ct_open_gap_take(ct, rec->queue, rec->seq, &cf->at_open);
	}
}

/* --- set-up ---------------------------------------------------------------- */

static int attach_filter(struct ct *ct)
{
	struct nfct_filter_dump_mark mark = {
		.val = ct->cfg.connmark,
		.mask = ct->cfg.connmark,
	};
	struct nfct_filter *f = nfct_filter_create();
	int rc;

	if (f == NULL)
		return -1;
	nfct_filter_add_attr_u32(f, NFCT_FILTER_L4PROTO, IPPROTO_TCP);
	nfct_filter_add_attr_u32(f, NFCT_FILTER_L4PROTO, IPPROTO_UDP);
	nfct_filter_add_attr(f, NFCT_FILTER_MARK, &mark);
	rc = nfct_filter_attach(mnl_socket_get_fd(ct->events), f);
	nfct_filter_destroy(f);
	return rc;
}

/* A per-process seed; see CT_HASH_SEED. */
static uint32_t pick_seed(void)
{
	uint32_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		return CT_HASH_SEED;
	return seed;
}

struct ct *ct_new(const struct ct_config *cfg, char *err, size_t errlen)
{
	struct ct *ct = calloc(1, sizeof(*ct));

	if (ct == NULL) {
		snprintf(err, errlen, "conntrack: out of memory");
		return NULL;
	}
	ct->cfg = *cfg;
	ct->seed = pick_seed();
	if (cfg->max_tracked == 0 || cfg->max_tracked > HASHIDX_CAPACITY_MAX) {
		snprintf(err, errlen, "conntrack: cannot track %u flows "
			 "(1 to %u)", cfg->max_tracked, HASHIDX_CAPACITY_MAX);
		goto err_free;
	}
	ct->flows = calloc((size_t)cfg->max_tracked + 1, sizeof(*ct->flows));
	if (ct->flows == NULL ||
	    hashidx_pool_init(&ct->slots, cfg->max_tracked, ct->flows,
			      &ct->flows[0].lru, sizeof(*ct->flows)) < 0 ||
	    hashidx_init(&ct->index, cfg->max_tracked, &ct->flows[0].chain_next,
			 sizeof(*ct->flows)) < 0 ||
	    samples_init(&ct->samples, CT_SAMPLES, sizeof(struct ct_health)) < 0) {
		snprintf(err, errlen, "conntrack: out of memory for %u flows",
			 cfg->max_tracked);
		goto err_free;
	}
	return ct;

err_free:
	ct_close(ct);
	return NULL;
}

struct ct *ct_open(const struct ct_config *cfg, char *err, size_t errlen)
{
	struct timeval tv = { 0, CT_QUERY_TIMEOUT_MS * 1000 };
	int fd, size;
	struct ct *ct = ct_new(cfg, err, errlen);

	if (ct == NULL)
		return NULL;
	ct->events = mnl_socket_open(NETLINK_NETFILTER);
	if (ct->events == NULL ||
	    mnl_socket_bind(ct->events, NF_NETLINK_CONNTRACK_NEW |
			    NF_NETLINK_CONNTRACK_UPDATE |
			    NF_NETLINK_CONNTRACK_DESTROY, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "cannot subscribe to conntrack events: %s%s",
			 strerror(errno), errno == EPERM ? " (are you root?)" : "");
		goto err_sockets;
	}
	fd = mnl_socket_get_fd(ct->events);
	size = (int)(cfg->rcvbuf ? cfg->rcvbuf : CT_EVENT_RCVBUF);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		log_warn("conntrack events: cannot set receive buffer to %d bytes",
			 size);
	if (cfg->connmark) {
		if (attach_filter(ct) < 0) {
			log_warn("conntrack events: cannot attach the kernel filter; "
				 "filtering in user space");
		} else {
			ct->counters.kernel_filter = 1;
		}
	}

	ct->query = mnl_socket_open(NETLINK_NETFILTER);
	if (ct->query == NULL ||
	    mnl_socket_bind(ct->query, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "cannot open a conntrack query socket: %s",
			 strerror(errno));
		goto err_sockets;
	}
	ct->query_portid = mnl_socket_get_portid(ct->query);
	if (setsockopt(mnl_socket_get_fd(ct->query), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0) {
		snprintf(err, errlen, "conntrack: cannot set query timeout: %s",
			 strerror(errno));
		goto err_sockets;
	}
	return ct;

err_sockets:
	ct_close(ct);
	return NULL;
}

void ct_close(struct ct *ct)
{
	if (ct == NULL)
		return;
	if (ct->events)
		mnl_socket_close(ct->events);
	if (ct->query)
		mnl_socket_close(ct->query);
	if (ct->scratch)
		nfct_destroy(ct->scratch);
	samples_fini(&ct->samples);
	hashidx_fini(&ct->index);
	free(ct->flows);
	free(ct);
}
