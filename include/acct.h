/*
 * acct.h - what the rules sent towards a queue: the kernel's nfacct
 * objects that gapwatch-rules puts just before the NFQUEUE jumps
 * (xt_nfacct), read with libnetfilter_acct.
 *
 * With fail-open a packet that finds the queue full is accepted unseen
 * and counted by no queue counter; the rules' counter minus what we
 * received is that count. Not thread-safe: one worker owns a struct acct.
 * Read on the worker's sample tick, never per packet.
 */
#ifndef GAPWATCH_ACCT_H
#define GAPWATCH_ACCT_H

#include <stddef.h>
#include <stdint.h>

/* The objects of queue N: "gapwatch-qN-in" (client to server) and
 * "gapwatch-qN-out" (server to client); gapwatch-rules uses the same. */
#define ACCT_NAME_FMT	"gapwatch-q%u-%s"
#define ACCT_NAME_LEN	32

struct acct;

/*
 * acct_open - the counters of queue num. Opens a netfilter netlink socket
 * (call with set-up's privileges) and reads them once: the objects may
 * come later (the rules are installed once gapwatchd is bound), so a
 * missing one is no failure. Returns NULL with a message in err naming
 * the queue and the cause when the socket fails or the kernel has no
 * nfnetlink_acct; else the acct, and a note in err (empty when the
 * counters are there) saying which object is missing.
 */
struct acct *acct_open(uint16_t num, char *err, size_t errlen);

/* acct_close - close. Accepts NULL. */
void acct_close(struct acct *a);

/*
 * acct_packets - the packets both objects counted, summed, into *packets.
 * Returns 0, or -1 (errno from the socket, or ENOENT while an object is
 * missing); *packets is unchanged then.
 */
int acct_packets(struct acct *a, uint64_t *packets);

#endif
