/*
 * hoststat.c - the server's drop counters from /proc and rtnetlink.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <libmnl/libmnl.h>

#include "hoststat.h"

/* A counter of a /proc/net MIB file: its section and name there. */
struct mib_field {
	const char *section;		/* "Udp:", "TcpExt:" */
	const char *name;
	size_t off;
};

#define F(sec, name, member) { sec, name, offsetof(struct host_counters, member) }
static const struct mib_field snmp_fields[] = {
	F("Udp:", "InErrors", udp_in_errors),
	F("Udp:", "RcvbufErrors", udp_rcvbuf_errors),
	F("Udp:", "SndbufErrors", udp_sndbuf_errors),
	F("Udp:", "MemErrors", udp_mem_errors),
};
static const struct mib_field netstat_fields[] = {
	F("TcpExt:", "ListenOverflows", tcp_listen_overflows),
	F("TcpExt:", "ListenDrops", tcp_listen_drops),
	F("TcpExt:", "TCPBacklogDrop", tcp_backlog_drop),
	F("TcpExt:", "TCPRcvQDrop", tcp_rcvq_drop),
	F("TcpExt:", "TCPZeroWindowDrop", tcp_zero_window_drop),
	F("TcpExt:", "TCPOFODrop", tcp_ofo_drop),
	F("TcpExt:", "PAWSEstab", tcp_paws_estab),
	F("TcpExt:", "TCPTimeouts", tcp_timeouts),
};
#undef F

struct hoststat {
	FILE *snmp, *netstat, *softnet;
	struct mnl_socket *rtnl;
	uint32_t seq;
	struct host_counters nic;	/* the devices, summed (one dump) */
};

static void set(struct host_counters *c, size_t off, uint64_t v)
{
	memcpy((char *)c + off, &v, sizeof(v));
}

/* Counter name of section sec in fields, or NULL. */
static const struct mib_field *mib_find(const struct mib_field *fields,
					size_t n, const char *sec,
					const char *name)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (!strcmp(fields[k].section, sec) &&
		    !strcmp(fields[k].name, name))
			return &fields[k];
	return NULL;
}

/* A MIB file: pairs of lines, "Sec: name name ..." then "Sec: v v ...". */
static void read_mib(FILE *f, const struct mib_field *fields, size_t n,
		     struct host_counters *c)
{
	char names[4096], values[4096], *ns, *vs, *tn, *tv, *sec;
	const struct mib_field *m;

	if (f == NULL)
		return;
	rewind(f);
	while (fgets(names, sizeof(names), f) &&
	       fgets(values, sizeof(values), f)) {
		sec = strtok_r(names, " \n", &ns);
		tv = strtok_r(values, " \n", &vs);
		if (sec == NULL || tv == NULL || strcmp(sec, tv) != 0)
			continue;
		while ((tn = strtok_r(NULL, " \n", &ns)) != NULL &&
		       (tv = strtok_r(NULL, " \n", &vs)) != NULL)
			if ((m = mib_find(fields, n, sec, tn)) != NULL)
				set(c, m->off, strtoull(tv, NULL, 10));
	}
}

/* One line a CPU: processed, dropped, time_squeeze, ... (hex). */
static void read_softnet(FILE *f, struct host_counters *c)
{
	unsigned int processed, dropped, squeezed;
	char line[512];
	uint64_t d = 0, s = 0;

	if (f == NULL)
		return;
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%x %x %x", &processed, &dropped, &squeezed) == 3) {
			d += dropped;
			s += squeezed;
		}
	c->softnet_dropped = d;
	c->softnet_squeezed = s;
}

static int link_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFLA_MAX) < 0)
		return MNL_CB_OK;
	if (type == IFLA_STATS64 &&
	    mnl_attr_get_payload_len(a) < sizeof(struct rtnl_link_stats64))
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct hoststat *h = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = { NULL };
	struct rtnl_link_stats64 st;

	if (ifi->ifi_flags & IFF_LOOPBACK)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr, tb);
	if (tb[IFLA_STATS64] == NULL)
		return MNL_CB_OK;
	memcpy(&st, mnl_attr_get_payload(tb[IFLA_STATS64]), sizeof(st));
	h->nic.nic_rx_dropped += st.rx_dropped;
	h->nic.nic_rx_missed += st.rx_missed_errors;
	h->nic.nic_rx_fifo += st.rx_fifo_errors;
	h->nic.nic_tx_dropped += st.tx_dropped;
	return MNL_CB_OK;
}

/* Every device's IFLA_STATS64, one dump; 0, or -1 (counters kept). */
static int read_links(struct hoststat *h, struct host_counters *c)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtgenmsg *rt;
	unsigned int portid;
	ssize_t n;
	int rc = MNL_CB_OK;

	if (h->rtnl == NULL)
		return -1;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++h->seq;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(h->rtnl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	memset(&h->nic, 0, sizeof(h->nic));
	portid = mnl_socket_get_portid(h->rtnl);
	while (rc > MNL_CB_STOP) {
		n = mnl_socket_recvfrom(h->rtnl, buf, sizeof(buf));
		if (n <= 0)
			return -1;
		rc = mnl_cb_run(buf, (size_t)n, h->seq, portid, link_cb, h);
	}
	if (rc < 0)
		return -1;
	c->nic_rx_dropped = h->nic.nic_rx_dropped;
	c->nic_rx_missed = h->nic.nic_rx_missed;
	c->nic_rx_fifo = h->nic.nic_rx_fifo;
	c->nic_tx_dropped = h->nic.nic_tx_dropped;
	return 0;
}

struct hoststat *hoststat_open(char *err, size_t errlen)
{
	struct hoststat *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		snprintf(err, errlen, "host counters: out of memory");
		return NULL;
	}
	h->snmp = fopen("/proc/net/snmp", "re");
	h->netstat = fopen("/proc/net/netstat", "re");
	h->softnet = fopen("/proc/net/softnet_stat", "re");
	h->rtnl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (h->rtnl && mnl_socket_bind(h->rtnl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(h->rtnl);
		h->rtnl = NULL;
	}
	h->seq = (uint32_t)time(NULL);
	if (!h->snmp && !h->netstat && !h->softnet && !h->rtnl) {
		snprintf(err, errlen, "host counters: cannot open /proc/net/snmp: %s",
			 strerror(errno));
		free(h);
		return NULL;
	}
	return h;
}

void hoststat_close(struct hoststat *h)
{
	if (h == NULL)
		return;
	if (h->snmp)
		fclose(h->snmp);
	if (h->netstat)
		fclose(h->netstat);
	if (h->softnet)
		fclose(h->softnet);
	if (h->rtnl)
		mnl_socket_close(h->rtnl);
	free(h);
}

void hoststat_read(struct hoststat *h, struct host_counters *c)
{
	read_mib(h->snmp, snmp_fields, sizeof(snmp_fields) / sizeof(snmp_fields[0]), c);
	read_mib(h->netstat, netstat_fields,
		 sizeof(netstat_fields) / sizeof(netstat_fields[0]), c);
	read_softnet(h->softnet, c);
	read_links(h, c);
}

void hoststat_growth(const struct host_counters *a,
		     const struct host_counters *b, struct host_counters *out)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
	uint64_t *o = (uint64_t *)out;
	unsigned int k;

	for (k = 0; k < HOST_COUNTERS; k++)
		o[k] = y[k] > x[k] ? y[k] - x[k] : 0;
}
