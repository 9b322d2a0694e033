/*
 * dropwatch.bpf.c - the kernel half of the drop watcher: on every packet
 * the kernel frees as dropped (tp_btf/kfree_skb, with its reason and
 * location), keep those of gapwatchd's own network namespace and the game
 * ports, either direction, and send them to the correlator through a ring
 * buffer. Everything else is filtered here, in the kernel: a flood of
 * other traffic that the server drops costs a few loads per packet.
 */
#include "vmlinux-min.h"
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "dropwatch_event.h"

#define IPPROTO_TCP	6
#define IPPROTO_UDP	17
#define IP_OFFSET	0x1fff
/* The ring buffer (1 MiB) wakes its reader only once this much waits:
 * a flood of drops then costs no wake-up per event, and the correlator,
 * which reads before every record and at least every 250 ms, still
 * empties it long before it fills. */
#define RING_SIZE	(1 << 20)
#define WAKE_BYTES	(RING_SIZE / 4)
/* skb->network_header when nothing set it (the driver's own drops). */
#define HEADER_UNSET	0xffff

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load: gapwatchd's network namespace. */
const volatile __u32 netns_ino = 0;

/* Counted here, read by the loader from the mapped .bss. */
__u64 dw_matched = 0;	/* game-port drops in our namespace */
__u64 dw_lost = 0;	/* of those, not sent: the ring buffer was full */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RING_SIZE);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dw_ports);
} game_ports SEC(".maps");

static __always_inline int port_on(const struct dw_ports *p, __u16 port)
{
	return (p->bits[(port >> 6) & 1023] >> (port & 63)) & 1;
}

/* The namespace of the packet: its device's, else its socket's (a
 * packet the server sends has no device before routing). */
static __always_inline __u32 skb_netns(struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct sock *sk;

	if (dev)
		return BPF_CORE_READ(dev, nd_net.net, ns.inum);
	sk = BPF_CORE_READ(skb, sk);
	if (sk)
		return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(on_kfree_skb, struct sk_buff *skb, void *location, int reason)
{
	const struct dw_ports *ports;
	struct dw_event *ev;
	unsigned char *head, *l3, *l4;
	__u8 ip[40], l4h[14];
	__u16 nh, sport, dport;
	__u8 proto, family;
	__u32 key = 0;

	if (reason <= 1)	/* SKB_NOT_DROPPED_YET, SKB_CONSUMED */
		return 0;
	if (skb_netns(skb) != netns_ino)
		return 0;
	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	if (head == 0 || nh == HEADER_UNSET)
		return 0;
	l3 = head + nh;
	if (bpf_probe_read_kernel(ip, 20, l3) < 0)
		return 0;
	if ((ip[0] >> 4) == 4) {
		/* A later fragment carries no ports. */
		if ((((__u16)ip[6] << 8) | ip[7]) & IP_OFFSET)
			return 0;
		family = 4;
		proto = ip[9];
		l4 = l3 + (ip[0] & 0x0f) * 4;
	} else if ((ip[0] >> 4) == 6) {
		if (bpf_probe_read_kernel(ip, 40, l3) < 0)
			return 0;
		family = 6;
		proto = ip[6];	/* no extension header walk: rare here */
		l4 = l3 + 40;
	} else {
		return 0;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 0;
	if (bpf_probe_read_kernel(l4h, proto == IPPROTO_TCP ? 14 : 4, l4) < 0)
		return 0;
	sport = ((__u16)l4h[0] << 8) | l4h[1];
	dport = ((__u16)l4h[2] << 8) | l4h[3];
	ports = bpf_map_lookup_elem(&game_ports, &key);
	if (ports == NULL || (!port_on(ports, sport) && !port_on(ports, dport)))
		return 0;
	__sync_fetch_and_add(&dw_matched, 1);
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (ev == NULL) {
		__sync_fetch_and_add(&dw_lost, 1);
		return 0;
	}
	ev->mono_ns = bpf_ktime_get_ns();
	ev->location = (__u64)location;
	ev->reason = (__u32)reason;
	ev->family = family;
	ev->proto = proto;
	ev->tcp_flags = proto == IPPROTO_TCP ? l4h[13] : 0;
	ev->pad = 0;
	ev->sport = sport;
	ev->dport = dport;
	if (family == 4) {
		__builtin_memset(ev->saddr, 0, sizeof(ev->saddr));
		__builtin_memset(ev->daddr, 0, sizeof(ev->daddr));
		__builtin_memcpy(ev->saddr, ip + 12, 4);
		__builtin_memcpy(ev->daddr, ip + 16, 4);
	} else {
		__builtin_memcpy(ev->saddr, ip + 8, 16);
		__builtin_memcpy(ev->daddr, ip + 24, 16);
	}
	bpf_ringbuf_submit(ev, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >=
				   WAKE_BYTES ? BPF_RB_FORCE_WAKEUP :
						BPF_RB_NO_WAKEUP);
	return 0;
}
