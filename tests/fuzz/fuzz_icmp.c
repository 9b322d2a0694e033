/*
 * fuzz_icmp - libFuzzer harness: the hop locator's answers on any bytes.
 *
 * The first byte picks the family; the rest is what the raw sockets would
 * read: an IPv4 packet (outer header, then ICMP), or an ICMPv6 message.
 * It goes to the quote parser, then to a prober (no sockets) whose ladder
 * for a stalled TCP flow is running, as an ICMP answer and as a packet
 * from the client, and the ladder is run to its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"
#include "probe.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0_WALL		1700000000000000ULL

/* A finished ladder: encoded as its records would be. */
static void on_done(void *ctx, const struct probe_result *result)
{
	struct gap_record rec;
	json_t *o;

	(void)ctx;
	memset(&rec, 0, sizeof(rec));
	rec.key.proto = IPPROTO_TCP;
	o = report_gap_json(&rec, result, "fuzz");
	json_decref(o);
}

static void stalled_flow(struct gap_record *r)
{
	static const uint8_t client[4] = { 198, 18, 1, 2 }, server[4] = { 198, 18, 2, 2 };

	memset(r, 0, sizeof(*r));
	r->is_open_event = 1;
	r->seq = 1;
	r->key.proto = IPPROTO_TCP;
	addr_from_v4(&r->key.client, client);
	addr_from_v4(&r->key.server, server);
	r->key.client_port = 40000;
	r->key.server_port = 7781;
	r->silent = SILENT_CLIENT;
	r->cause = CAUSE_PATH_LOSS_TO_SERVER;
	r->tcp_known = 1;
	r->keepalive_seq = 0xdeadbeef;
	r->keepalive_ack = 0x01020304;
	r->server_window = 501;
}

static void run_at(struct prober *p, uint64_t us)
{
	struct gw_time t = { us, T0_WALL + us, 0 };

	probe_run(p, &t, on_done, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_config cfg = {
		.mark = PROBE_MARK_DEFAULT, .max_ttl = 8, .pace_ms = 50,
		.rate = 1000, .max_ladders = 2, .client_interval_s = 60,
		.timeout_ms = 1000, .no_sockets = 1,
	};
	struct probe_answer a;
	struct gap_record rec;
	struct in6_addr from;
	struct prober *p;
	struct gw_time t = { 1, T0_WALL + 1, 0 };
	char err[128];
	uint8_t *msg;
	size_t n;
	int v6;

	if (size < 1)
		return 0;
	v6 = data[0] & 1;
	n = size - 1;
	msg = malloc(n ? n : 1);	/* exact size: ASan sees overreads */
	if (msg == NULL)
		return 0;
	memcpy(msg, data + 1, n);
	/* The answer's source, for ICMPv6: the client or a router. */
	memset(&from, 0, sizeof(from));
	from.s6_addr[0] = 0x20;
	from.s6_addr[15] = data[0] >> 1;
	if (v6)
		probe_parse_icmp6(&from, msg, n, &a);
	else
		probe_parse_icmp4(msg, n, &a);

	p = probe_open(&cfg, err, sizeof(err));
	if (p == NULL)
		abort();
	stalled_flow(&rec);
	probe_start(p, &rec, &t);
	run_at(p, 1);
	run_at(p, 60 * 1000);
	probe_feed_icmp(p, v6 ? AF_INET6 : AF_INET, &from, msg, n, 70 * 1000);
	probe_feed_client(p, v6 ? AF_INET6 : AF_INET, IPPROTO_TCP, &from, msg,
			  n, n, 80 * 1000);
	probe_feed_client(p, v6 ? AF_INET6 : AF_INET, IPPROTO_UDP, &from, msg,
			  n, n, 90 * 1000);
	run_at(p, 10 * 1000 * 1000);
	probe_close(p);
	free(msg);
	return 0;
}
