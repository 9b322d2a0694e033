/*
 * acct.c - the rules' nfacct counters of one queue (NFNL_SUBSYS_ACCT).
 *
 * One GET per object and reading: the answer is one message, so a
 * reading is two request/answer pairs on a socket of our own, at the
 * sample tick.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_acct/libnetfilter_acct.h>
#include <linux/netfilter/nfnetlink_acct.h>

#include "acct.h"

static const char *const acct_dirs[2] = { "in", "out" };

struct acct {
	struct mnl_socket *nl;
	unsigned int portid;
	uint32_t seq;
	char name[2][ACCT_NAME_LEN];
	struct nfacct *obj;		/* the answer, parsed */
};

static int answer_cb(const struct nlmsghdr *nlh, void *data)
{
	struct acct *a = data;

	return nfacct_nlmsg_parse_payload(nlh, a->obj) < 0 ? MNL_CB_ERROR :
							     MNL_CB_OK;
}

/* The packets of object name into *packets. Returns 0, or -1 (errno). */
static int get_one(struct acct *a, const char *name, uint64_t *packets)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	ssize_t n;
	int rc;

	nlh = nfacct_nlmsg_build_hdr(buf, NFNL_MSG_ACCT_GET, NLM_F_ACK,
				     ++a->seq);
	nfacct_attr_set_str(a->obj, NFACCT_ATTR_NAME, name);
	nfacct_nlmsg_build_payload(nlh, a->obj);
	if (mnl_socket_sendto(a->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	/* The object, then the ACK; an error (ENOENT) ends it at once. */
	do {
		n = mnl_socket_recvfrom(a->nl, buf, sizeof(buf));
		if (n < 0)
			return -1;
		rc = mnl_cb_run(buf, (size_t)n, a->seq, a->portid, answer_cb, a);
	} while (rc > 0);
	if (rc < 0)
		return -1;
	*packets = nfacct_attr_get_u64(a->obj, NFACCT_ATTR_PKTS);
	return 0;
}

int acct_packets(struct acct *a, uint64_t *packets)
{
	uint64_t sum = 0, p;
	unsigned int k;

	for (k = 0; k < 2; k++) {
		if (get_one(a, a->name[k], &p) < 0)
			return -1;
		sum += p;
	}
	*packets = sum;
	return 0;
}

struct acct *acct_open(uint16_t num, char *err, size_t errlen)
{
	struct acct *a;
	uint64_t p;
	unsigned int k;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, errlen, "queue %u: rule counters: %s", num,
			 strerror(errno));
		return NULL;
	}
	for (k = 0; k < 2; k++)
		snprintf(a->name[k], sizeof(a->name[k]), ACCT_NAME_FMT, num,
			 acct_dirs[k]);
	a->seq = (uint32_t)time(NULL);
	a->obj = nfacct_alloc();
	a->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (a->obj == NULL || a->nl == NULL ||
	    mnl_socket_bind(a->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "queue %u: rule counters: netlink: %s",
			 num, strerror(errno));
		goto fail;
	}
	a->portid = mnl_socket_get_portid(a->nl);
	err[0] = '\0';
	for (k = 0; k < 2; k++) {
		if (get_one(a, a->name[k], &p) == 0)
			continue;
		if (errno != ENOENT) {
			/* EOPNOTSUPP: no nfnetlink_acct in this kernel. */
			snprintf(err, errlen, "queue %u: rule counter %s: %s",
				 num, a->name[k], strerror(errno));
			goto fail;
		}
		snprintf(err, errlen, "queue %u: no rule counter %s (rules "
			 "without the counters, or not installed yet): counted "
			 "from when it appears", num, a->name[k]);
		break;
	}
	return a;
fail:
	acct_close(a);
	return NULL;
}

void acct_close(struct acct *a)
{
	if (a == NULL)
		return;
	if (a->nl != NULL)
		mnl_socket_close(a->nl);
	if (a->obj != NULL)
		nfacct_free(a->obj);
	free(a);
}
