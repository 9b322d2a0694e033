/*
 * probe.h - the hop locator: TTL ladders on a stalled flow's own 5-tuple.
 *
 * When a gap opens and the packets point at the path, the correlator asks
 * the prober to send, from the server, copies of a harmless packet of the
 * flow (TCP: the keep-alive ACK, seq = snd_una - 1; UDP: an empty
 * datagram) with TTL / hop limit 1, 2, 3 ... and, interleaved, the same
 * ladder on a control 5-tuple (the next server port up that is not a
 * game port). Routers
 * answer expired probes with ICMP time-exceeded quoting the probe; the
 * client answers the ones that reach it (an ACK or RST, or an ICMP
 * unreachable). The last hop of the flow's ladder stands just before the
 * device that drops; the control ladder tells "this flow's state is dead"
 * from "the path is dead".
 *
 * Threading: a prober is driven by one thread (the correlator's). It is
 * entirely off the packet path: no verdict loop ever calls it.
 *
 * The packet builders and the quote parser are pure functions (no socket),
 * for the unit tests.
 */
#ifndef GAPWATCH_PROBE_H
#define GAPWATCH_PROBE_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "gapwatch.h"
#include "record.h"

/* Defaults (documented in gapwatchd(8)). */
#define PROBE_MARK_DEFAULT	0x08000000
#define PROBE_MAX_TTL_DEFAULT	30
#define PROBE_TTL_LIMIT		63	/* the IP ID / flow label has 6 bits */
#define PROBE_PACE_MS_DEFAULT	50
#define PROBE_RATE_DEFAULT	100	/* probes per second, all ladders */
/*
 * A Linux router answers one destination (this server) with at most 6
 * ICMP errors at once, then one a second (icmp_ratelimit 1000 ms, burst
 * 6); a ladder asks each router twice (flow + control). So when every
 * ladder crosses the same routers (many flows cut by one device), 3
 * ladders at once, then one per 2 s, is what those routers can answer.
 */
#define PROBE_LADDERS_DEFAULT	3
#define PROBE_LADDER_INTERVAL_MS 2000
#define PROBE_CLIENT_INTERVAL_S	60	/* one ladder per client per minute */
#define PROBE_TIMEOUT_MS_DEFAULT 1000	/* wait after the last probe */
/* Stop climbing when this many TTLs past the highest answer are silent. */
#define PROBE_SILENT_HOPS	5
/* Results kept for the closing "gap" record of a still-open gap. */
#define PROBE_RESULTS_KEPT	64
/* The longest verdict text (probe_result.verdict), its NUL included. */
#define PROBE_VERDICT_LEN	320
/* The largest UDP probe payload (--probe-udp-payload): well below any
 * path's MTU, so the probe never needs fragmenting. */
#define PROBE_PAYLOAD_MAX	512

/* The IP ID (IPv4) and flow label (IPv6) of a probe: ours, ladder, TTL. */
#define PROBE_ID_MAGIC		0x4700
#define PROBE_ID_MASK		0xff80
#define PROBE_LABEL_MAGIC	0x47000
#define PROBE_LABEL_MASK	0xfff80

enum probe_ladder { LADDER_FLOW = 0, LADDER_CONTROL = 1 };

static inline uint16_t probe_ip_id(int ladder, uint8_t ttl)
{
	return (uint16_t)(PROBE_ID_MAGIC | (ladder << 6) | (ttl & 0x3f));
}

static inline uint32_t probe_flow_label(int ladder, uint8_t ttl)
{
	return (uint32_t)(PROBE_LABEL_MAGIC | (ladder << 6) | (ttl & 0x3f));
}

/* One probe packet. Addresses v4-mapped for IPv4. */
struct probe_spec {
	struct in6_addr src, dst;
	uint16_t sport, dport;
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t ttl;			/* 1..PROBE_TTL_LIMIT */
	uint8_t ladder;			/* LADDER_* */
	uint32_t seq, ack;		/* TCP */
	uint16_t window;		/* TCP */
	const uint8_t *payload;		/* UDP; NULL: empty datagram */
	size_t payload_len;
};

/*
 * probe_build - the whole IP packet of spec (IPv4 header with checksum, or
 * IPv6 header with hop limit and flow label; TCP ACK or UDP with checksum)
 * into buf. Returns its length, or 0 when len is too small.
 */
size_t probe_build(const struct probe_spec *spec, uint8_t *buf, size_t len);

/* An ICMP answer to one of our probes, as the quote tells it. */
struct probe_answer {
	struct in6_addr responder;	/* who sent the ICMP */
	struct in6_addr src, dst;	/* the quoted probe's addresses */
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t ttl;			/* from the IP ID / flow label */
	uint8_t ladder;
	uint8_t time_exceeded;		/* 0: destination unreachable */
	uint8_t code;
	uint32_t seq;			/* TCP */
};

enum probe_quote {
	QUOTE_OK = 0,
	QUOTE_TRUNCATED,	/* shorter than the IP header + 8 bytes */
	QUOTE_NOT_OURS,		/* not a TCP/UDP packet with our IP ID/label */
	QUOTE_OTHER,		/* another ICMP type, or malformed outer packet */
};

/*
 * probe_parse_icmp4 - pkt is what a raw IPPROTO_ICMP socket reads: the
 * outer IPv4 header, then the ICMP message. Fills a on QUOTE_OK.
 */
enum probe_quote probe_parse_icmp4(const uint8_t *pkt, size_t len,
				   struct probe_answer *a);

/*
 * probe_parse_icmp6 - msg is what a raw ICMPv6 socket reads (the message
 * without the IPv6 header); from is its source. Fills a on QUOTE_OK.
 */
enum probe_quote probe_parse_icmp6(const struct in6_addr *from,
				   const uint8_t *msg, size_t len,
				   struct probe_answer *a);

/* What a UDP probe carries; len 0: an empty datagram. */
struct probe_payload {
	uint32_t len;
	uint8_t bytes[PROBE_PAYLOAD_MAX];
};

/*
 * probe_payload_parse - hex digits ("4757000001", an optional "0x" first)
 * into out. Returns 0, or -1 if text is not an even number of hex digits
 * making at most PROBE_PAYLOAD_MAX bytes.
 */
int probe_payload_parse(const char *text, struct probe_payload *out);

struct portset;

struct probe_config {
	const struct portset *ports;	/* game ports: never a control port */
	uint32_t mark;			/* SO_MARK of every probe */
	uint32_t max_ttl;
	uint32_t pace_ms;		/* between two TTLs of a ladder */
	uint32_t rate;			/* probes per second, all ladders */
	uint32_t max_ladders;		/* at once, and the start burst */
	uint32_t ladder_interval_ms;	/* one more start per; 0: no limit */
	uint32_t client_interval_s;	/* per client address */
	uint32_t timeout_ms;		/* after a ladder's last probe */
	struct probe_payload udp_payload;
	int no_sockets;			/* tests: build probes, send nothing */
};

/* Every limit hit, drop and error, for the stats record. */
struct probe_counters {
	uint64_t gaps_considered;	/* gap_open records seen */
	uint64_t skipped_cause;		/* the cause does not point at the path */
	uint64_t skipped_tcp_unknown;	/* TCP without a known keep-alive */
	uint64_t skipped_family;	/* no socket for the address family */
	uint64_t limit_ladders;		/* --probe-max-ladders reached */
	uint64_t limit_ladder_interval;	/* --probe-ladder-interval-ms */
	uint64_t limit_client;		/* client probed within the interval */
	uint64_t limit_rate;		/* probe sends delayed by --probe-rate */
	uint64_t ladders_started;
	uint64_t ladders_done;
	uint64_t probes_sent;
	uint64_t send_errors;
	uint64_t icmp_received;
	uint64_t icmp_matched;
	uint64_t icmp_truncated;	/* quotes too short to match */
	uint64_t icmp_not_ours;		/* quotes of packets we did not send */
	uint64_t icmp_unmatched;	/* ours by the ID, but no ladder's */
	uint64_t client_answers;	/* ACK/RST/unreachable from the client */
	uint64_t recv_errors;
};

struct prober;

/*
 * probe_open - open the raw sockets: IPv4 and IPv6 send sockets (header
 * included, SO_MARK = cfg->mark), ICMP and ICMPv6 receive sockets. Needs
 * CAP_NET_RAW (and CAP_NET_ADMIN for SO_MARK on kernels before 5.17).
 * IPv6 sockets that cannot be opened are skipped with a warning when
 * IPv4 works. Returns NULL with a reason in err.
 */
struct prober *probe_open(const struct probe_config *cfg, char *err,
			  size_t errlen);

/* probe_close - close every socket, free every result. NULL ok. */
void probe_close(struct prober *p);

/*
 * probe_wanted - does this record call for a ladder (a gap_open whose
 * cause points at the path; TCP only with a known keep-alive)? 0 or 1;
 * counts the reason when 0 (p may be NULL for tests: no counting).
 */
int probe_wanted(struct prober *p, const struct gap_record *rec);

/*
 * probe_start - start a ladder for rec if probe_wanted() and the limits
 * allow. Returns 1 when a ladder started, 0 otherwise (counted).
 */
int probe_start(struct prober *p, const struct gap_record *rec,
		const struct gw_time *now);

/*
 * probe_fds - the descriptors to poll for reading, into pfd (at most
 * max). Returns how many.
 */
int probe_fds(const struct prober *p, struct pollfd *pfd, int max);

/* probe_timeout_ms - how long the caller may sleep; -1: no ladder runs. */
int probe_timeout_ms(const struct prober *p, const struct gw_time *now);

/* One TTL of a finished ladder. */
struct probe_hop {
	struct in6_addr addr;		/* who answered (when answered) */
	uint32_t rtt_us;
	uint8_t answered;
	uint8_t client;			/* the answer came from the client */
	uint8_t unreachable;		/* an ICMP unreachable, with code */
	uint8_t code;
};

/*
 * What a finished ladder found, as plain data: the report writes it as
 * the probe record and as the "probe" object of the gap's closing record.
 */
struct probe_result {
	uint16_t queue;			/* the gap: (queue, seq) */
	uint64_t seq;
	struct flow_key key;		/* the flow probed */
	uint16_t control_port;		/* the control ladder's server port */
	uint8_t sent[2];		/* [LADDER_*]: TTLs 1..sent went out */
	uint8_t last_hop[2];		/* the last hop's TTL; 0: none */
	uint8_t reached[2];		/* TTL that reached the client; 0: none */
	uint64_t duration_us;
	struct probe_hop hops[2][PROBE_TTL_LIMIT + 1];	/* [ladder][ttl] */
	char verdict[PROBE_VERDICT_LEN];
};

/*
 * A ladder finished: result is valid during the call only; the callee
 * copies what it keeps.
 */
typedef void (*probe_done_cb)(void *ctx, const struct probe_result *result);

/*
 * probe_run - read the answers waiting on the sockets, send the probes
 * that are due, finish the ladders that are done (through cb).
 */
void probe_run(struct prober *p, const struct gw_time *now, probe_done_cb cb,
	       void *ctx);

/*
 * probe_feed_icmp - handle one ICMP (AF_INET: outer IPv4 header first) or
 * ICMPv6 (AF_INET6: message only, from its source) answer received at
 * now: matched to its ladder, or ignored and counted. The sockets' reader
 * and the tests call it.
 */
void probe_feed_icmp(struct prober *p, int family,
		     const struct in6_addr *from, const uint8_t *buf,
		     size_t len, uint64_t now);

/*
 * probe_feed_client - handle one TCP or UDP (proto) packet the host
 * received (the raw receive sockets' reader and the tests call it): pkt
 * starts with the IPv4 header (AF_INET), or with the transport header of
 * a packet from "from" (AF_INET6, as raw IPv6 sockets deliver it); caplen
 * bytes of it are at pkt, len is its whole length. A packet that answers a running ladder's probe marks the client
 * reached; anything else is ignored. For TCP only a packet that answers
 * the probe counts: on the flow, a pure ACK of the keep-alive (ack =
 * seq + 1, seq = the client's next) or a RST; on the control 5-tuple,
 * anything (its RST's seq names the TTL). For UDP, any
 * datagram from the client counts, but on the flow's own 5-tuple only
 * when the client was the silent side (else its game traffic would).
 */
void probe_feed_client(struct prober *p, int family, uint8_t proto,
		       const struct in6_addr *from, const uint8_t *pkt,
		       size_t caplen, size_t len, uint64_t now);

/* probe_counters - the counters; only the driving thread may call. */
const struct probe_counters *probe_counters(const struct prober *p);

#endif
