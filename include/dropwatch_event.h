/*
 * dropwatch_event.h - what the drop watcher's BPF program sends for each
 * packet of the game ports that the kernel freed as dropped: shared by
 * bpf/dropwatch.bpf.c and src/dropwatch.c. Fixed layout, host order.
 */
#ifndef GAPWATCH_DROPWATCH_EVENT_H
#define GAPWATCH_DROPWATCH_EVENT_H

#include <linux/types.h>

struct dw_event {
	__u64 mono_ns;		/* bpf_ktime_get_ns: CLOCK_MONOTONIC */
	__u64 location;		/* the kernel address that dropped it */
	__u32 reason;		/* enum skb_drop_reason */
	__u8 family;		/* 4 or 6 */
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 tcp_flags;		/* TCP: the header's flags byte */
	__u8 pad;
	__u16 sport, dport;
	__u8 saddr[16];		/* IPv4 in the first 4 bytes */
	__u8 daddr[16];
};

/* The game ports, one bit each: the program's only map lookup. */
struct dw_ports {
	__u64 bits[65536 / 64];
};

#endif
