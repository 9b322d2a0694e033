/*
 * vmlinux-min.h - the few kernel types the drop watcher reads, for CO-RE.
 *
 * Not the whole vmlinux.h that bpftool dumps: that is the build host's
 * kernel, 100k lines, and absent where the build host has no BTF (a
 * build chroot, a package builder). These declarations carry only the
 * members read; preserve_access_index makes every access a CO-RE
 * relocation that libbpf fixes up against the running kernel's BTF at
 * load, so their layout here does not matter and one build runs on any
 * kernel with BTF. Anonymous unions in the kernel's sk_buff are matched
 * by member name.
 */
#ifndef GAPWATCH_VMLINUX_MIN_H
#define GAPWATCH_VMLINUX_MIN_H

#include <linux/types.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct ns_common {
	unsigned int inum;
};

struct net {
	struct ns_common ns;
};

typedef struct {
	struct net *net;
} possible_net_t;

struct net_device {
	possible_net_t nd_net;
};

struct sock_common {
	possible_net_t skc_net;
};

struct sock {
	struct sock_common __sk_common;
};

struct sk_buff {
	struct net_device *dev;
	struct sock *sk;
	unsigned char *head;
	__u16 network_header;
};

#pragma clang attribute pop

#endif
