/*
 * queue.c - NFQUEUE consumer on libmnl + libnetfilter_queue.
 *
 * Receives with recvmmsg() so one system call brings many packets, reads
 * the clocks once per receive, and answers each receive with a single
 * NFQNL_MSG_VERDICT_BATCH. On every error path the verdict is ACCEPT: the
 * batch verdict covers any id we could not parse, and fail-open covers the
 * queue being full.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "log.h"
#include "queue.h"

/* Netlink and nfqueue overhead around the copied bytes of one packet,
 * plus the skb's own: what one queued packet costs in the receive buffer. */
#define QUEUE_MSG_OVERHEAD 1536

struct queue {
	struct mnl_socket *nl;
	unsigned int portid;
	uint16_t num;
	uint32_t seq;
	size_t bufsize;
	uint8_t *bufs;			/* QUEUE_RECV_BATCH x bufsize */
	struct mmsghdr msgs[QUEUE_RECV_BATCH];
	struct iovec iov[QUEUE_RECV_BATCH];
	uint32_t max_id;		/* highest id not yet accepted */
	int have_id;
	/* Ids are given in order, one per packet sent to us: the span from
	 * the first received to the highest, minus what was received, is
	 * what fail-open passed when its delivery failed. */
	uint32_t high_id;
	uint64_t id_span;
	struct queue_features features;
	struct queue_stats stats;
	/* per receive: the callback and its clock reading */
	queue_packet_cb cb;
	void *cb_ctx;
	struct gw_time now;
	/* The kernel's counters, opened at set-up: the file is mode 0440,
	 * unreadable once privileges are dropped. NULL: unknown. */
	FILE *proc;
};

int queue_fd(const struct queue *q)
{
	return mnl_socket_get_fd(q->nl);
}

uint16_t queue_num(const struct queue *q)
{
	return q->num;
}

const struct queue_features *queue_features(const struct queue *q)
{
	return &q->features;
}

const struct queue_stats *queue_stats(const struct queue *q)
{
	return &q->stats;
}

uint64_t queue_id_holes(const struct queue *q)
{
	/* An id that does not move forward (the kernel's sequence restarted
	 * under us) is received but spans nothing: never a wrapped count. */
	if (q->id_span <= q->stats.received)
		return 0;
	return q->id_span - q->stats.received;
}

static int packet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct queue *q = data;
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	struct nfqnl_msg_packet_hdr *ph;
	uint32_t id, caplen, wirelen, mark = 0;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph)) {
		/* Verdict: ACCEPT, by the next batch verdict. */
		q->stats.bad_messages++;
		return MNL_CB_OK;
	}
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	id = ntohl(ph->packet_id);
	if (!q->have_id || (int32_t)(id - q->max_id) > 0)
		q->max_id = id;
	q->have_id = 1;
	if (q->stats.received == 0 || (int32_t)(id - q->high_id) > 0) {
		q->id_span += q->stats.received ? id - q->high_id : 1;
		q->high_id = id;
	}
	q->stats.received++;
	if (q->cb == NULL || attr[NFQA_PAYLOAD] == NULL)
		return MNL_CB_OK;
	caplen = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	wirelen = caplen;
	if (attr[NFQA_CAP_LEN] != NULL &&
	    mnl_attr_validate(attr[NFQA_CAP_LEN], MNL_TYPE_U32) == 0)
		wirelen = ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN]));
	if (attr[NFQA_MARK] != NULL &&
	    mnl_attr_validate(attr[NFQA_MARK], MNL_TYPE_U32) == 0)
		mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
	q->cb(q->cb_ctx, mnl_attr_get_payload(attr[NFQA_PAYLOAD]), caplen,
	      wirelen, mark, &q->now);
	return MNL_CB_OK;
}

static void send_verdict(struct queue *q)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	if (!q->have_id)
		return;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT_BATCH, q->num);
	nfq_nlmsg_verdict_put(nlh, (int)q->max_id, NF_ACCEPT);
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		/* Keep have_id: the next batch covers these ids too. */
		q->stats.verdict_errors++;
		return;
	}
	q->stats.verdict_batches++;
	q->have_id = 0;
}

/*
 * Send one config message with NLM_F_ACK and wait for its answer. Packets
 * may arrive before the answer (rules already in place): they are noted
 * for the batch verdict that ends the setup. Returns 0 or -errno.
 */
static int config_request(struct queue *q, struct nlmsghdr *nlh)
{
	uint8_t *buf = q->bufs;
	ssize_t n;
	int rc;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++q->seq;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(q->nl, buf, q->bufsize);
		if (n < 0) {
			if (errno == ENOBUFS || errno == EINTR)
				continue;
			return -errno;
		}
		rc = mnl_cb_run(buf, (size_t)n, q->seq, q->portid, NULL, NULL);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc == MNL_CB_ERROR)
			return -errno;
		/* A queued packet (seq 0) came in between: note its id. */
		mnl_cb_run(buf, (size_t)n, 0, q->portid, packet_cb, q);
	}
}

static int config_flag(struct queue *q, uint32_t flag, int on)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);

	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(on ? flag : 0));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flag));
	return config_request(q, nlh);
}

/* Ask for one optional flag in a message of its own: the kernel keeps
 * only the last NFQA_CFG_FLAGS of a message, and one refused flag must
 * not take the others down with it. */
static int probe_flag(struct queue *q, uint32_t flag, const char *name,
		      const char *why_missing)
{
	int rc = config_flag(q, flag, 1);

	if (rc == 0) {
		log_info("queue %u: %s: available", q->num, name);
		return 1;
	}
	if (rc == -EOPNOTSUPP || rc == -EINVAL)
		log_info("queue %u: %s: not on this kernel (%s)", q->num, name,
			 why_missing);
	else
		log_warnx("queue %u: %s: refused: %s", q->num, name,
			  strerror(-rc));
	return 0;
}

static const char *bind_hint(uint16_t num, int err)
{
	uint64_t qd, ud;

	switch (err) {
	case EPERM:
		/* The kernel says EPERM as well when another socket owns
		 * the queue: the queue being listed tells the two apart. */
		if (queue_proc_counters(num, &qd, &ud) == 0)
			return " (another process is bound to this queue)";
		return " (are you root, or do you have CAP_NET_ADMIN?)";
	case EBUSY:
		return " (another process is bound to this queue)";
	default:
		return "";
	}
}

static void set_rcvbuf(struct queue *q, uint32_t bytes)
{
	int fd = mnl_socket_get_fd(q->nl), v = (int)bytes;
	socklen_t len = sizeof(v);

	/* RCVBUFFORCE ignores rmem_max (we run with CAP_NET_ADMIN); fall
	 * back to the capped variant and say what we got. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0)
		log_warn("queue %u: cannot set receive buffer to %u bytes",
			 q->num, bytes);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 &&
	    (uint32_t)v < bytes)
		log_warnx("queue %u: receive buffer is %d bytes, wanted %u: "
			  "expect ENOBUFS under load", q->num, v, bytes);
}

struct queue *queue_open(uint16_t num, const struct queue_params *p,
			 char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct queue *q;
	unsigned int k;
	int rc;

	q = calloc(1, sizeof(*q));
	if (q == NULL) {
		snprintf(err, errlen, "queue %u: out of memory", num);
		return NULL;
	}
	q->num = num;
	/* A message holds the copied bytes plus attributes; a full-size
	 * copy needs 64 KiB plus headroom (libmnl's advice). */
	q->bufsize = p->copy_range + MNL_SOCKET_BUFFER_SIZE;
	if (p->copy_range > 0xffff - MNL_SOCKET_BUFFER_SIZE)
		q->bufsize = 0xffff + MNL_SOCKET_BUFFER_SIZE / 2;
	q->bufs = malloc(q->bufsize * QUEUE_RECV_BATCH);
	if (q->bufs == NULL) {
		snprintf(err, errlen, "queue %u: out of memory", num);
		goto err_free;
	}
	for (k = 0; k < QUEUE_RECV_BATCH; k++) {
		q->iov[k].iov_base = q->bufs + k * q->bufsize;
		q->iov[k].iov_len = q->bufsize;
		q->msgs[k].msg_hdr.msg_iov = &q->iov[k];
		q->msgs[k].msg_hdr.msg_iovlen = 1;
	}

	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (q->nl == NULL) {
		snprintf(err, errlen, "queue %u: cannot open netlink socket: %s",
			 num, strerror(errno));
		goto err_bufs;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "queue %u: cannot bind netlink socket: %s",
			 num, strerror(errno));
		goto err_socket;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	set_rcvbuf(q, p->rcvbuf ? p->rcvbuf :
		   p->maxlen * (p->copy_range + QUEUE_MSG_OVERHEAD));

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	rc = config_request(q, nlh);
	if (rc < 0) {
		snprintf(err, errlen, "cannot bind queue %u: %s%s", num,
			 strerror(-rc), bind_hint(num, -rc));
		goto err_socket;
	}
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)p->copy_range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, p->maxlen);
	rc = config_request(q, nlh);
	if (rc < 0) {
		snprintf(err, errlen,
			 "cannot set copy range %u and length %u on queue %u: %s",
			 p->copy_range, p->maxlen, num, strerror(-rc));
		goto err_unbind;
	}
	q->features.fail_open = probe_flag(q, NFQA_CFG_F_FAIL_OPEN, "fail-open",
		"a full queue will drop packets");
	if (!q->features.fail_open)
		log_warnx("queue %u: without fail-open a full queue drops "
			  "packets; they are counted as queue_dropped", num);
	q->features.gso = probe_flag(q, NFQA_CFG_F_GSO, "GSO",
		"large packets are segmented before queueing");
	q->features.conntrack = probe_flag(q, NFQA_CFG_F_CONNTRACK,
		"conntrack attribute",
		"no CONFIG_NETFILTER_NETLINK_GLUE_CT; conntrack facts come "
		"from ctnetlink and rule marks");
	/* Only detected: we have no use for socket owners, and asking the
	 * kernel for them costs a lookup per packet. */
	q->features.uid_gid = probe_flag(q, NFQA_CFG_F_UID_GID, "UID/GID",
					 "socket owners unknown");
	if (q->features.uid_gid && config_flag(q, NFQA_CFG_F_UID_GID, 0) < 0)
		log_warn("queue %u: cannot turn UID/GID off again", num);
	/* Set last: the answers to the config requests above are waited
	 * for without a time limit. */
	if (p->wait_ms) {
		struct timeval tv = {
			.tv_sec = p->wait_ms / 1000,
			.tv_usec = (p->wait_ms % 1000) * 1000,
		};

		if (setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET,
			       SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
			snprintf(err, errlen, "queue %u: cannot set receive "
				 "timeout: %s", num, strerror(errno));
			goto err_unbind;
		}
	}
	q->proc = fopen(QUEUE_PROC_FILE, "re");
	/* Packets that came in during setup. */
	send_verdict(q);
	return q;

err_unbind:
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
	mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
err_socket:
	mnl_socket_close(q->nl);
err_bufs:
	free(q->bufs);
err_free:
	free(q);
	return NULL;
}

void queue_close(struct queue *q)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	if (q == NULL)
		return;
	send_verdict(q);
	/* Unbind explicitly: packets still queued are then dropped by the
	 * kernel either way, but --queue-bypass takes over at once. */
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		log_warn("queue %u: cannot unbind", q->num);
	mnl_socket_close(q->nl);
	if (q->proc != NULL)
		fclose(q->proc);
	free(q->bufs);
	free(q);
}

unsigned int queue_receive(struct queue *q, unsigned int max_packets,
			   int wait, queue_packet_cb cb, void *ctx)
{
	int fd = mnl_socket_get_fd(q->nl);
	uint64_t before = q->stats.received;
	/* MSG_WAITFORONE: block (up to SO_RCVTIMEO) for the first message
	 * only, so one system call both waits and brings a batch. */
	int flags = wait ? MSG_WAITFORONE : MSG_DONTWAIT;
	int n, k;

	q->cb = cb;
	q->cb_ctx = ctx;
	while (q->stats.received - before < max_packets) {
		for (k = 0; k < QUEUE_RECV_BATCH; k++)
			q->msgs[k].msg_hdr.msg_flags = 0;
		n = recvmmsg(fd, q->msgs, QUEUE_RECV_BATCH, flags, NULL);
		flags = MSG_DONTWAIT;
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				/* The kernel could not hand us packets: with
				 * fail-open they passed unseen. Count it and
				 * go on; nothing to resynchronise. */
				q->stats.enobufs++;
				continue;
			}
			if (errno == EINTR)
				break;
			q->stats.recv_errors++;
			break;
		}
		gw_clock_read(&q->now);
		for (k = 0; k < n; k++) {
			if (q->msgs[k].msg_hdr.msg_flags & MSG_TRUNC) {
				/* Verdict: ACCEPT, by this batch. */
				q->stats.truncated++;
				continue;
			}
			if (mnl_cb_run(q->bufs + (size_t)k * q->bufsize,
				       q->msgs[k].msg_len, 0, q->portid,
				       packet_cb, q) < 0) {
				/* An error answer to a verdict, or garbage:
				 * counted, never fatal. */
				q->stats.verdict_errors += errno != 0;
			}
		}
		send_verdict(q);
		if (n < QUEUE_RECV_BATCH)
			break;
	}
	q->cb = NULL;
	return (unsigned int)(q->stats.received - before);
}

/* Queue num's line of the kernel's file f: 0, or -1 if not listed. */
static int proc_find(FILE *f, uint16_t num, uint64_t *queue_dropped,
		     uint64_t *user_dropped)
{
	unsigned long long qd, ud;
	unsigned int qnum, portid, total, mode, range;
	char line[256];
	int found = -1;

	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%u %u %u %u %u %llu %llu", &qnum, &portid,
			   &total, &mode, &range, &qd, &ud) == 7 &&
		    qnum == num) {
			*queue_dropped = qd;
			*user_dropped = ud;
			found = 0;
			break;
		}
	}
	return found;
}

int queue_proc_counters(uint16_t num, uint64_t *queue_dropped,
			uint64_t *user_dropped)
{
	FILE *f = fopen(QUEUE_PROC_FILE, "re");
	int rc;

	if (f == NULL)
		return -1;
	rc = proc_find(f, num, queue_dropped, user_dropped);
	fclose(f);
	return rc;
}

int queue_loss_counters(struct queue *q, uint64_t *queue_dropped,
			uint64_t *user_dropped)
{
	if (q->proc == NULL)
		return -1;
	/* From offset 0 the kernel writes the file afresh. */
	rewind(q->proc);
	return proc_find(q->proc, q->num, queue_dropped, user_dropped);
}
