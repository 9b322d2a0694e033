/*
 * queue.h - one NFQUEUE: bind, configure, receive, verdict.
 *
 * Every packet gets NF_ACCEPT, in order, in batches (NFQNL_MSG_VERDICT_BATCH
 * accepts every id up to the one given). The queue never holds a packet
 * longer than one receive batch and never drops one.
 */
#ifndef GAPWATCH_QUEUE_H
#define GAPWATCH_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "gapwatch.h"

#define QUEUE_COPY_RANGE	256	/* IPv6 + extension headers + TCP */
#define QUEUE_MAXLEN		4096
#define QUEUE_RECV_BATCH	64	/* messages per recvmmsg() */
#define QUEUE_PROC_FILE		"/proc/net/netfilter/nfnetlink_queue"

struct queue_params {
	uint32_t copy_range;
	uint32_t maxlen;
	uint32_t rcvbuf;		/* 0: sized from maxlen and copy range */
	uint32_t wait_ms;		/* longest a waiting receive blocks */
};

/* Optional kernel features, as found at bind time: 1 on, 0 not here. */
struct queue_features {
	int fail_open;
	int conntrack;
	int gso;
	int uid_gid;
};

struct queue_stats {
	uint64_t received;
	uint64_t verdict_batches;
	uint64_t verdict_errors;
	uint64_t enobufs;
	uint64_t truncated;
	uint64_t recv_errors;
	uint64_t bad_messages;
};

/* Called for each queued packet, with its mark (NFQA_MARK, 0 if none);
 * now was read right after the receive. */
typedef void (*queue_packet_cb)(void *ctx, const uint8_t *pkt, size_t caplen,
				size_t wirelen, uint32_t mark,
				const struct gw_time *now);

struct queue;

/*
 * queue_open - bind queue num and configure it. Optional features are
 * asked for one by one and what the kernel refused is logged once.
 * Returns NULL with a message in err naming the queue and the cause.
 */
struct queue *queue_open(uint16_t num, const struct queue_params *p,
			 char *err, size_t errlen);

/* queue_close - unbind and close. Accepts NULL. */
void queue_close(struct queue *q);

int queue_fd(const struct queue *q);
uint16_t queue_num(const struct queue *q);
const struct queue_features *queue_features(const struct queue *q);
const struct queue_stats *queue_stats(const struct queue *q);

/*
 * queue_id_holes - packet ids the kernel gave that never reached us, from
 * the first packet received on: deliveries that failed (our socket buffer
 * was full) and that fail-open accepted unseen. Cumulative.
 */
uint64_t queue_id_holes(const struct queue *q);

/*
 * queue_receive - receive what is waiting (at most max_packets), hand each
 * packet to cb, and accept them. With wait, block up to the queue's
 * wait_ms for the first packet; without, never block. Returns the number
 * of packets received; errors are counted in queue_stats, never returned,
 * because a receive error must not stop the inspector.
 */
unsigned int queue_receive(struct queue *q, unsigned int max_packets,
			   int wait, queue_packet_cb cb, void *ctx);

/*
 * queue_proc_counters - read queue num's queue_dropped and user_dropped
 * from /proc/net/netfilter/nfnetlink_queue (QUEUE_PROC_FILE). Returns 0, or -1 when the
 * queue is not listed or the file cannot be read.
 */
int queue_proc_counters(uint16_t num, uint64_t *queue_dropped,
			uint64_t *user_dropped);

/*
 * queue_loss_counters - the same for q, from the file as opened by
 * queue_open() (with set-up's privileges: it is mode 0440). Returns 0, or
 * -1 when it could not be opened or lists no q.
 */
int queue_loss_counters(struct queue *q, uint64_t *queue_dropped,
			uint64_t *user_dropped);

#endif
