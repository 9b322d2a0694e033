/*
 * nfq-acceptall - the reference consumer for the throughput benchmark:
 * the canonical libmnl NFQUEUE loop (libnetfilter_queue's examples/
 * nf-queue.c), one recv and one ACCEPT verdict per packet, nothing else.
 * gapwatchd is measured against it in the same run.
 *
 * usage: nfq-acceptall QUEUE [COPY_RANGE]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

static volatile sig_atomic_t stop;
static unsigned long long packets;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int queue_cb(const struct nlmsghdr *nlh, void *data)
{
	struct mnl_socket *nl = data;
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	struct nfqnl_msg_packet_hdr *ph;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *v;
	uint16_t queue = ntohs(((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->res_id);

	if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL)
		return MNL_CB_ERROR;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	v = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, queue);
	nfq_nlmsg_verdict_put(v, (int)ntohl(ph->packet_id), NF_ACCEPT);
	if (mnl_socket_sendto(nl, v, v->nlmsg_len) < 0)
		return MNL_CB_ERROR;
	packets++;
	return MNL_CB_OK;
}

int main(int argc, char **argv)
{
	size_t sizeof_buf = 0xffff + (MNL_SOCKET_BUFFER_SIZE / 2);
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	unsigned int portid, queue, range = 128;
	struct sigaction sa;
	char *buf;
	ssize_t n;

	if (argc < 2) {
		fprintf(stderr, "usage: nfq-acceptall QUEUE [COPY_RANGE]\n");
		return 2;
	}
	queue = (unsigned int)strtoul(argv[1], NULL, 10);
	if (argc > 2)
		range = (unsigned int)strtoul(argv[2], NULL, 10);
	buf = malloc(sizeof_buf);
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (buf == NULL || nl == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nfq-acceptall: netlink");
		return 1;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("nfq-acceptall: bind");
		return 1;
	}
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)range);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_FAIL_OPEN));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("nfq-acceptall: params");
		return 1;
	}
	/* No SA_RESTART: the blocking recv must return on SIGTERM. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		n = mnl_socket_recvfrom(nl, buf, sizeof_buf);
		if (n < 0) {
			if (errno == ENOBUFS)
				continue;
			if (errno == EINTR)
				break;
			perror("nfq-acceptall: recv");
			break;
		}
		mnl_cb_run(buf, (size_t)n, 0, portid, queue_cb, nl);
	}
	printf("{\"received\":%llu}\n", packets);
	mnl_socket_close(nl);
	free(buf);
	return 0;
}
