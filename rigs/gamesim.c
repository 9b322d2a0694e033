/*
 * gamesim.c - game traffic simulator for the gapwatch tests and benchmark
 * (modes server, client, flood, sink; see doc/gamesim.md).
 *
 * Single-threaded: server and client run one epoll loop with per-connection
 * timers in a binary heap ordered by expiry; all timing is CLOCK_MONOTONIC;
 * signal handlers only set a flag.  TCP messages start with their total
 * size (2 bytes, big endian), so counts survive coalescing by retransmission.
 * Every mode ends by writing one JSON line of stats.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <search.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NEVER		INT64_MAX
#define MAX_MSG		65507	/* largest UDP payload over IPv4 */
#define RETRY_MS	200	/* client: wait before connecting again */
#define UDP_IDLE_MS	60000	/* server: forget a UDP client silent this long */
#define MAX_EVENTS	100000	/* client: events kept for the stats line */
#define BATCH		64	/* epoll, read, sendmmsg and recvmmsg batch */
#define SINK_BUF	2048	/* sink: bytes kept of each datagram */

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

enum mode { M_SERVER, M_CLIENT, M_FLOOD, M_SINK };
static const char *const mode_names[] = { "server", "client", "flood", "sink" };

/* Options; fixed once parsed.  Times in ms; -1: not given. */
static struct {
	int mode, tcp, echo, no_reconnect;
	const char *addr_str, *stats;	/* --listen/--connect as given */
	struct sockaddr_storage addr, bind;
	socklen_t addr_len, bind_len;	/* bind_len 0: no --bind */
	long flows, ping_interval, ping_size, timeout;
	long pause_at, pause_for, rebind_at, size, rate, burst, sources;
	long rcvbuf;
	double duration;		/* seconds; 0: until a signal */
} opt;

/* Counters for the stats line; each mode prints those it uses. */
static struct {
	unsigned long long sent, received, send_skipped, send_errors, recv_errors;
	unsigned long long connects, reconnects, timeouts, disconnects;
	unsigned long long connect_failures, rebinds, events_dropped;
	unsigned long long clients_seen, clients_dropped, clients_closed;
	unsigned long long accept_errors;
	long long max_silence_ms;
} cnt;

static volatile sig_atomic_t stop;	/* set by SIGTERM/SIGINT */
static sigset_t wait_mask;		/* signal mask while waiting */
static int exit_status;
static int64_t t0_ns;			/* CLOCK_MONOTONIC at start */
static uint8_t msgbuf[MAX_MSG];		/* outgoing message: size + zeros */
static uint8_t rxbuf[65536];

/* ---- diagnostics, time, signals, limits ---- */

__attribute__((format(printf, 1, 0)))
static void vmsg(const char *fmt, va_list ap)
{
	fputs("gamesim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

__attribute__((format(printf, 1, 2)))
static void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(1);
}

/* Nanoseconds since program start. */
static int64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die("cannot read CLOCK_MONOTONIC: %s", strerror(errno));
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - t0_ns;
}

static int64_t now_ms(void)
{
	return now_ns() / 1000000;
}

static int64_t end_ms(void)
{
	return opt.duration > 0 ? (int64_t)(opt.duration * 1000) : NEVER;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * SIGTERM/SIGINT set stop (no SA_RESTART: blocking calls return EINTR).
 * With block set they stay blocked except inside epoll_pwait()/ppoll()
 * with wait_mask, so no signal slips in between testing stop and sleeping.
 */
static void setup_signals(int block)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, &wait_mask) < 0)
		die("cannot install signal handlers: %s", strerror(errno));
}

/* Flows and clients need a descriptor each: take what the hard limit allows. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("cannot read RLIMIT_NOFILE: %s", strerror(errno));
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 1 << 20 : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("cannot raise RLIMIT_NOFILE: %s", strerror(errno));
}

/* ---- addresses ---- */

/*
 * Parse "a.b.c.d:port" or "[v6]:port" (with_port), or a bare address
 * "a.b.c.d", "v6" or "[v6]".  Returns 0, or -1 if s is none of these.
 */
static int parse_addr(const char *s, int with_port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	const char *host = s, *port = NULL;
	int bracketed = s[0] == '[';
	unsigned long pnum = 0;
	char buf[INET6_ADDRSTRLEN], *end;
	size_t hlen = strlen(s);

	if (bracketed) {
		const char *rb = strchr(s, ']');

		if (!rb || (rb[1] && rb[1] != ':'))
			return -1;
		host = s + 1;
		hlen = (size_t)(rb - host);
		port = rb[1] ? rb + 2 : NULL;
	} else if (with_port && (port = strrchr(s, ':'))) {
		hlen = (size_t)(port++ - s);
	}
	if ((port != NULL) != with_port || hlen >= sizeof(buf))
		return -1;
	memcpy(buf, host, hlen);
	buf[hlen] = '\0';
	if (port) {
		errno = 0;
		pnum = strtoul(port, &end, 10);
		if (port[0] < '0' || port[0] > '9' || *end || errno || !pnum ||
		    pnum > 65535)
			return -1;
	}
	memset(ss, 0, sizeof(*ss));
	if (!bracketed && inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)pnum);
		*len = sizeof(*v4);
	} else if ((bracketed || !with_port) &&
		   inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)pnum);
		*len = sizeof(*v6);
	} else {
		return -1;
	}
	return 0;
}

static uint16_t addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* "a.b.c.d:port" or "[v6]:port" into buf; returns buf. */
static const char *fmt_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET6 ?
		(const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr :
		(const void *)&((const struct sockaddr_in *)ss)->sin_addr;
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(ss->ss_family, a, ip, sizeof(ip)))
		strcpy(ip, "?");
	snprintf(buf, len, ss->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		 addr_port(ss));
	return buf;
}

/* ---- timers: a binary min-heap of struct timer embedded in flows/peers ---- */

struct timer {
	int64_t due;		/* ms since start; NEVER: nothing scheduled */
	size_t pos;		/* index in heap[] */
};

static struct timer **heap;
static size_t heap_len, heap_cap;

static void heap_swap(size_t a, size_t b)
{
	struct timer *t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
	heap[a]->pos = a;
	heap[b]->pos = b;
}

/* Restore the heap order around position i. */
static void heap_fix(size_t i)
{
	while (i > 0 && heap[i]->due < heap[(i - 1) / 2]->due) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < heap_len && heap[l]->due < heap[m]->due)
			m = l;
		if (l + 1 < heap_len && heap[l + 1]->due < heap[m]->due)
			m = l + 1;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

static void timer_add(struct timer *t)
{
	if (heap_len == heap_cap) {
		size_t cap = heap_cap ? 2 * heap_cap : 64;
		struct timer **h = realloc(heap, cap * sizeof(*h));

		if (!h)
			die("out of memory for %zu timers", cap);
		heap = h;
		heap_cap = cap;
	}
	t->due = NEVER;
	t->pos = heap_len;
	heap[heap_len++] = t;
}

static void timer_set(struct timer *t, int64_t due)
{
	t->due = due;
	heap_fix(t->pos);
}

static void timer_del(struct timer *t)
{
	size_t i = t->pos;

	heap[i] = heap[--heap_len];
	heap[i]->pos = i;
	if (i < heap_len)
		heap_fix(i);
}

static int64_t timer_next(void)
{
	return heap_len ? heap[0]->due : NEVER;
}

/* Wait for events until due; returns their number, 0 on timeout or signal. */
static int wait_events(int ep, struct epoll_event *ev, int64_t due)
{
	int64_t now = now_ms();
	int ms = due == NEVER ? -1 : due <= now ? 0 :
		 due - now > INT_MAX ? INT_MAX : (int)(due - now);
	int n = epoll_pwait(ep, ev, BATCH, ms, &wait_mask);

	if (n < 0 && errno != EINTR)
		die("epoll_pwait: %s", strerror(errno));
	return n < 0 ? 0 : n;
}

/* ---- messages and stats ---- */

/* A TCP connection's framing state. */
struct conn {
	size_t in_size, in_got;		/* message being received */
	size_t out_size, out_off;	/* message being sent; out_size 0: none */
};

static const uint8_t *msg_make(size_t size)
{
	msgbuf[0] = (uint8_t)(size >> 8);
	msgbuf[1] = (uint8_t)size;
	return msgbuf;
}

/*
 * Consume received bytes (*n at *p) up to the end of a message.  Returns
 * the size of the message completed, 0 if the input ran out first.  A size
 * field below 2 (not a gamesim peer) counts as a 2-byte message.
 */
static size_t conn_feed(struct conn *c, const uint8_t **p, size_t *n)
{
	while (*n > 0) {
		size_t k = 1;

		if (c->in_got < 2)
			c->in_size = c->in_size << 8 | **p;
		else
			k = c->in_size - c->in_got < *n ? c->in_size - c->in_got : *n;
		c->in_got += k;
		*p += k;
		*n -= k;
		if (c->in_got >= 2 && c->in_got >= c->in_size) {
			size_t size = c->in_got;

			c->in_got = c->in_size = 0;
			return size;
		}
	}
	return 0;
}

/* Write what the socket takes of the pending message; -1 on a failure. */
static int conn_flush(int fd, struct conn *c)
{
	while (c->out_off < c->out_size) {
		ssize_t w = send(fd, msg_make(c->out_size) + c->out_off,
				 c->out_size - c->out_off, MSG_NOSIGNAL);

		if (w < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		c->out_off += (size_t)w;
	}
	c->out_size = 0;
	return 0;
}

/*
 * Send and count one message of size bytes.  TCP (c set): first finish a
 * message the socket buffer had no room for; while that is stuck, skip new
 * ones.  UDP: one datagram, to the connected peer or to to.  Returns -1
 * (errno set) only when a TCP connection failed.
 */
static int msg_send(int fd, struct conn *c, size_t size,
		    const struct sockaddr_storage *to, socklen_t to_len)
{
	if (!c) {
		if (sendto(fd, msg_make(size), size, 0, (const struct sockaddr *)to,
			   to_len) >= 0)
			cnt.sent++;
		else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			cnt.send_skipped++;
		else
			cnt.send_errors++;	/* e.g. ECONNREFUSED from an ICMP error */
		return 0;
	}
	if (conn_flush(fd, c) < 0)
		return -1;
	if (c->out_size) {
		cnt.send_skipped++;
		return 0;
	}
	c->out_size = size;
	c->out_off = 0;
	cnt.sent++;
	return conn_flush(fd, c);
}

/* Open the stats destination at start-up, so that a bad path fails early. */
static FILE *stats_open(void)
{
	FILE *f = opt.stats ? fopen(opt.stats, "w") : stdout;

	if (!f)
		die("cannot open stats file %s: %s", opt.stats, strerror(errno));
	return f;
}

static void stats_close(FILE *f)
{
	if (ferror(f) | fclose(f)) {
		msg("cannot write stats to %s: %s",
		    opt.stats ? opt.stats : "standard output", strerror(errno));
		exit_status = 1;
	}
}

/* ---- client ---- */

enum ev_type { EV_CONNECT, EV_CONNECT_FAILED, EV_TIMEOUT, EV_CLOSED, EV_REBIND,
	       EV_PAUSE, EV_RESUME };
static const char *const ev_names[] = { "connect", "connect_failed", "timeout",
					"closed", "rebind", "pause", "resume" };

static struct event {
	int64_t t_ms;
	int type, flow;			/* flow -1: all flows */
	int err;			/* errno; 0: none; -1: end of stream */
	uint16_t old_port, port;	/* 0: not applicable */
} events[MAX_EVENTS];
static size_t n_events;

static void event_add(int64_t now, int type, int flow, uint16_t old_port,
		      uint16_t port, int err)
{
	if (n_events == MAX_EVENTS)
		cnt.events_dropped++;
	else
		events[n_events++] = (struct event){ now, type, flow, err, old_port, port };
}

static const char *err_str(int err)
{
	return err > 0 ? strerror(err) : "end of stream";
}

struct flow {
	struct timer tm;
	int id, fd;
	enum { F_WAIT, F_CONNECTING, F_UP, F_DEAD } state;
	int connected_before;	/* the next connect is a reconnect */
	int failing;		/* a connect failure was reported */
	uint16_t port;		/* local port of the current socket */
	int64_t retry_at;	/* F_WAIT: when to connect again */
	int64_t last_rx;	/* last message, or start of the connection */
	int64_t last_msg;	/* last message on this connection; -1: none */
	int64_t next_ping;	/* the ping cadence runs even while down */
	struct conn c;
};

static struct flow *flows;
static int client_ep, live_flows, paused;

/* Schedule the flow's timer at its earliest deadline. */
static void flow_arm(struct flow *f)
{
	int64_t due = NEVER;

	if (f->state == F_WAIT)
		due = f->retry_at;
	else if (f->state != F_DEAD && opt.timeout)
		due = f->last_rx + opt.timeout;
	if (f->state != F_DEAD && opt.ping_interval && f->next_ping < due)
		due = f->next_ping;
	timer_set(&f->tm, due);
}

/* Close the flow's socket; rst: abort it with SO_LINGER {1, 0} (TCP RST). */
static void flow_close(struct flow *f, int rst)
{
	struct linger lg = { 1, 0 };

	if (rst && setsockopt(f->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		msg("flow %d: cannot set SO_LINGER: %s", f->id, strerror(errno));
	if (close(f->fd) < 0)
		msg("flow %d: close: %s", f->id, strerror(errno));
	f->fd = -1;
}

/*
 * Create, bind and connect a new socket for the flow.  Returns 0 when
 * connected, 1 while a TCP connect is in progress, -1 with errno set.
 */
static int flow_socket(struct flow *f)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = f };
	int one = 1, r, e;
	int fd = socket(opt.addr.ss_family, (opt.tcp ? SOCK_STREAM : SOCK_DGRAM) |
			SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if ((opt.tcp && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) ||
	    (opt.bind_len && bind(fd, (struct sockaddr *)&opt.bind, opt.bind_len) < 0))
		goto fail;
	r = connect(fd, (struct sockaddr *)&opt.addr, opt.addr_len);
	if (r < 0 && errno != EINPROGRESS)
		goto fail;
	if (r < 0)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(client_ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto fail;
	f->fd = fd;
	return r < 0;
fail:
	e = errno;
	close(fd);	/* its own failure would add nothing to errno e */
	errno = e;
	return -1;
}

static void flow_connect(struct flow *f, int64_t now);

/*
 * The flow lost its socket: EV_CONNECT_FAILED, EV_TIMEOUT (ours: abort with
 * a RST and reconnect at once) or EV_CLOSED (by the server or the network).
 * Otherwise reconnect in RETRY_MS; with --no-reconnect the flow ends, and a
 * failed connect ends the run with status 1.
 */
static void flow_down(struct flow *f, int64_t now, int type, int err)
{
	char next[40] = "giving up";

	if (!opt.no_reconnect && type == EV_TIMEOUT)
		strcpy(next, "reconnecting from a new port");
	else if (!opt.no_reconnect)
		snprintf(next, sizeof(next), "reconnecting in %d ms", RETRY_MS);
	event_add(now, type, f->id, type == EV_CONNECT_FAILED ? 0 : f->port, 0, err);
	if (f->fd >= 0)
		flow_close(f, type == EV_TIMEOUT && opt.tcp);
	if (type == EV_CONNECT_FAILED) {
		cnt.connect_failures++;
		if (opt.no_reconnect) {
			msg("cannot connect to %s: %s", opt.addr_str, strerror(err));
			exit_status = 1;
		} else if (!f->failing) {
			msg("flow %d: cannot connect to %s: %s; retrying every %d ms",
			    f->id, opt.addr_str, strerror(err), RETRY_MS);
		}
		f->failing = 1;
	} else if (type == EV_TIMEOUT) {
		cnt.timeouts++;
		msg("flow %d: timeout after %ld ms without data, %s", f->id,
		    opt.timeout, next);
	} else {
		cnt.disconnects++;
		msg("flow %d: connection closed by server (%s), %s", f->id,
		    err_str(err), next);
	}
	if (opt.no_reconnect) {
		f->state = F_DEAD;
		if (--live_flows == 0 || exit_status)
			stop = 1;
	} else if (type == EV_TIMEOUT) {
		flow_connect(f, now);
		return;
	} else {
		f->state = F_WAIT;
		f->retry_at = now + RETRY_MS;
	}
	flow_arm(f);
}

/* The socket is connected (old_port 0) or replaced a rebound one. */
static void flow_up(struct flow *f, int64_t now, uint16_t old_port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char buf[INET6_ADDRSTRLEN + 8];

	if (getsockname(f->fd, (struct sockaddr *)&ss, &len) < 0) {
		flow_down(f, now, EV_CONNECT_FAILED, errno);
		return;
	}
	f->port = addr_port(&ss);
	f->state = F_UP;
	f->last_rx = now;
	f->last_msg = -1;
	memset(&f->c, 0, sizeof(f->c));
	fmt_addr(&ss, buf, sizeof(buf));
	if (old_port) {
		cnt.rebinds++;
		event_add(now, EV_REBIND, f->id, old_port, f->port, 0);
		msg("flow %d: rebound from port %u to %s", f->id, old_port, buf);
	} else {
		cnt.connects++;
		cnt.reconnects += (unsigned)f->connected_before;
		event_add(now, EV_CONNECT, f->id, 0, f->port, 0);
		if (f->connected_before || f->failing)
			msg("flow %d: connected from %s", f->id, buf);
		f->connected_before = 1;
	}
	f->failing = 0;
	flow_arm(f);
}

static void flow_connect(struct flow *f, int64_t now)
{
	int r = flow_socket(f);

	if (r < 0) {
		flow_down(f, now, EV_CONNECT_FAILED, errno);
	} else if (r == 0) {
		flow_up(f, now, 0);
	} else {
		f->state = F_CONNECTING;
		f->last_rx = now;	/* --timeout bounds the connect too */
		flow_arm(f);
	}
}

static void flow_msg(struct flow *f, int64_t now)
{
	cnt.received++;
	if (f->last_msg >= 0 && now - f->last_msg > cnt.max_silence_ms)
		cnt.max_silence_ms = now - f->last_msg;
	f->last_msg = f->last_rx = now;
}

/* Read up to BATCH times; level-triggered epoll reports the rest. */
static void flow_read(struct flow *f, int64_t now)
{
	for (int i = 0; i < BATCH; i++) {
		ssize_t n = recv(f->fd, rxbuf, sizeof(rxbuf), 0);
		const uint8_t *p = rxbuf;
		size_t left = n > 0 ? (size_t)n : 0;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (!opt.tcp) {
			if (n < 0) {
				cnt.recv_errors++;	/* ICMP error: the timeout decides */
				return;
			}
			flow_msg(f, now);
			continue;
		}
		if (n <= 0) {
			flow_down(f, now, EV_CLOSED, n < 0 ? errno : -1);
			return;
		}
		while (conn_feed(&f->c, &p, &left))
			flow_msg(f, now);
	}
}

static void flow_event(struct flow *f, int64_t now)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = f };
	socklen_t len = sizeof(int);
	int err = 0;

	if (f->state != F_CONNECTING) {
		flow_read(f, now);
		return;
	}
	if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	else if (!err && epoll_ctl(client_ep, EPOLL_CTL_MOD, f->fd, &ev) < 0)
		err = errno;
	if (err)
		flow_down(f, now, EV_CONNECT_FAILED, err);
	else
		flow_up(f, now, 0);
}

static void flow_tick(struct flow *f, int64_t now)
{
	int expired = opt.timeout && now - f->last_rx >= opt.timeout;

	if (f->state == F_WAIT && now >= f->retry_at)
		flow_connect(f, now);
	else if (f->state == F_UP && expired)
		flow_down(f, now, EV_TIMEOUT, 0);
	else if (f->state == F_CONNECTING && expired)
		flow_down(f, now, EV_CONNECT_FAILED, ETIMEDOUT);
	if (opt.ping_interval && f->state != F_DEAD && now >= f->next_ping) {
		if (f->state == F_UP && !paused &&
		    msg_send(f->fd, opt.tcp ? &f->c : NULL, (size_t)opt.ping_size,
			     NULL, 0) < 0)
			flow_down(f, now, EV_CLOSED, errno);
		f->next_ping += ((now - f->next_ping) / opt.ping_interval + 1) *
				opt.ping_interval;
	}
	flow_arm(f);
}

/* --rebind-at: every UDP flow moves to a new socket, without a handshake. */
static void client_rebind(int64_t now)
{
	for (long i = 0; i < opt.flows; i++) {
		struct flow *f = &flows[i];
		uint16_t old = f->port;

		if (f->state != F_UP)
			continue;
		flow_close(f, 0);
		if (flow_socket(f) < 0)
			flow_down(f, now, EV_CONNECT_FAILED, errno);
		else
			flow_up(f, now, old);
	}
}

static void client_stats(FILE *out)
{
	fprintf(out, "{\"mode\":\"client\",\"proto\":\"%s\",\"flows\":%ld,"
		"\"connects\":%llu,\"reconnects\":%llu,\"timeouts\":%llu,"
		"\"disconnects\":%llu,\"connect_failures\":%llu,\"rebinds\":%llu,"
		"\"sent\":%llu,\"received\":%llu,\"send_skipped\":%llu,"
		"\"send_errors\":%llu,\"recv_errors\":%llu,\"max_silence_ms\":%lld,"
		"\"events_dropped\":%llu,\"events\":[",
		opt.tcp ? "tcp" : "udp", opt.flows, cnt.connects, cnt.reconnects,
		cnt.timeouts, cnt.disconnects, cnt.connect_failures, cnt.rebinds,
		cnt.sent, cnt.received, cnt.send_skipped, cnt.send_errors,
		cnt.recv_errors, cnt.max_silence_ms, cnt.events_dropped);
	for (size_t i = 0; i < n_events; i++) {
		const struct event *e = &events[i];

		fprintf(out, "%s{\"t_ms\":%" PRId64 ",\"event\":\"%s\"", i ? "," : "",
			e->t_ms, ev_names[e->type]);
		if (e->flow >= 0)
			fprintf(out, ",\"flow\":%d", e->flow);
		if (e->old_port)
			fprintf(out, ",\"old_port\":%u", e->old_port);
		if (e->port)
			fprintf(out, ",\"port\":%u", e->port);
		if (e->err)
			fprintf(out, ",\"error\":\"%s\"", err_str(e->err));
		fputc('}', out);
	}
	fputs("]}\n", out);
}

static void run_client(void)
{
	FILE *out = stats_open();
	struct epoll_event ev[BATCH];
	int64_t now = now_ms(), end = end_ms();
	int64_t pause_start = opt.pause_at >= 0 ? opt.pause_at : NEVER;
	int64_t pause_end = opt.pause_at >= 0 ? opt.pause_at + opt.pause_for : NEVER;
	int64_t rebind = opt.rebind_at >= 0 ? opt.rebind_at : NEVER;

	flows = calloc((size_t)opt.flows, sizeof(*flows));
	if (!flows)
		die("out of memory for %ld flows", opt.flows);
	client_ep = epoll_create1(EPOLL_CLOEXEC);
	if (client_ep < 0)
		die("epoll_create1: %s", strerror(errno));
	srandom((unsigned)(getpid() ^ now_ns()));
	live_flows = (int)opt.flows;
	for (long i = 0; i < opt.flows; i++) {
		flows[i].id = (int)i;
		flows[i].fd = -1;
		flows[i].next_ping = opt.ping_interval ?
				     now + random() % opt.ping_interval : 0;
		timer_add(&flows[i].tm);
	}
	for (long i = 0; i < opt.flows && !stop; i++)
		flow_connect(&flows[i], now);
	while (!stop) {
		int64_t due;
		int n;

		now = now_ms();
		if (now >= end)
			break;
		if (now >= pause_start) {
			paused = 1;
			pause_start = NEVER;
			event_add(now, EV_PAUSE, -1, 0, 0, 0);
		}
		if (now >= pause_end) {
			paused = 0;
			pause_end = NEVER;
			event_add(now, EV_RESUME, -1, 0, 0, 0);
			for (long i = 0; i < opt.flows; i++) {
				flows[i].next_ping = now;	/* catch up at once */
				flow_arm(&flows[i]);
			}
		}
		if (now >= rebind) {
			rebind = NEVER;
			client_rebind(now);
		}
		while (!stop && timer_next() <= now)
			flow_tick(container_of(heap[0], struct flow, tm), now);
		if (stop)	/* set by a flow: --no-reconnect */
			break;
		due = timer_next();
		due = pause_start < due ? pause_start : due;
		due = pause_end < due ? pause_end : due;
		due = rebind < due ? rebind : due;
		n = wait_events(client_ep, ev, end < due ? end : due);
		now = now_ms();
		for (int i = 0; i < n && !stop; i++)
			flow_event(ev[i].data.ptr, now);
	}
	client_stats(out);
	stats_close(out);
	for (long i = 0; i < opt.flows; i++)
		if (flows[i].fd >= 0)
			flow_close(&flows[i], 0);
	close(client_ep);	/* nothing left to report at exit */
	free(flows);
	free(heap);
}

/* ---- server ---- */

struct peer {
	struct timer tm;
	int fd;				/* TCP connection; -1 for UDP */
	struct sockaddr_storage addr;	/* UDP: the client's address */
	socklen_t addr_len;
	int64_t next_ping, last_rx;
	struct conn c;
};

static void *udp_peers;		/* tsearch() tree of UDP peers by address */
static int server_fd;		/* listening TCP or bound UDP socket */

static int peer_cmp(const void *a, const void *b)
{
	const struct peer *x = a, *y = b;

	if (x->addr_len != y->addr_len)
		return x->addr_len < y->addr_len ? -1 : 1;
	return memcmp(&x->addr, &y->addr, x->addr_len);
}

static void peer_arm(struct peer *p)
{
	int64_t due = opt.ping_interval ? p->next_ping : NEVER;

	if (p->fd < 0 && p->last_rx + UDP_IDLE_MS < due)
		due = p->last_rx + UDP_IDLE_MS;
	timer_set(&p->tm, due);
}

/* A new client: a TCP connection fd, or (fd -1) a UDP source address. */
static struct peer *peer_new(int64_t now, int fd, const struct sockaddr_storage *addr,
			     socklen_t addr_len)
{
	struct peer *p = calloc(1, sizeof(*p));

	if (!p)
		die("out of memory for client %llu", cnt.clients_seen + 1);
	p->fd = fd;
	if (fd < 0) {
		memcpy(&p->addr, addr, addr_len);
		p->addr_len = addr_len;
		if (!tsearch(p, &udp_peers, peer_cmp))
			die("out of memory for client %llu", cnt.clients_seen + 1);
	}
	p->next_ping = now + opt.ping_interval;
	p->last_rx = now;
	cnt.clients_seen++;
	timer_add(&p->tm);
	peer_arm(p);
	return p;
}

static void peer_free(struct peer *p)
{
	timer_del(&p->tm);
	if (p->fd >= 0 && close(p->fd) < 0)
		msg("close: %s", strerror(errno));
	if (p->fd < 0)
		tdelete(p, &udp_peers, peer_cmp);
	free(p);
}

static void peer_tick(struct peer *p, int64_t now)
{
	int tcp = p->fd >= 0;

	if (!tcp && now - p->last_rx >= UDP_IDLE_MS) {
		cnt.clients_dropped++;
		peer_free(p);
		return;
	}
	if (opt.ping_interval && now >= p->next_ping) {
		if (msg_send(tcp ? p->fd : server_fd, tcp ? &p->c : NULL,
			     (size_t)opt.ping_size, &p->addr, p->addr_len) < 0) {
			cnt.clients_closed++;
			peer_free(p);
			return;
		}
		p->next_ping += ((now - p->next_ping) / opt.ping_interval + 1) *
				opt.ping_interval;
	}
	peer_arm(p);
}

static void peer_read(struct peer *p)
{
	for (int i = 0; i < BATCH; i++) {
		ssize_t n = recv(p->fd, rxbuf, sizeof(rxbuf), 0);
		const uint8_t *q = rxbuf;
		size_t left = n > 0 ? (size_t)n : 0, size;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			goto closed;
		while ((size = conn_feed(&p->c, &q, &left))) {
			cnt.received++;
			if (opt.echo && msg_send(p->fd, &p->c, size, NULL, 0) < 0)
				goto closed;
		}
	}
	return;
closed:
	cnt.clients_closed++;
	peer_free(p);
}

static void server_accept(int ep, int64_t now)
{
	int one = 1;

	for (int i = 0; i < BATCH; i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		int fd = accept4(server_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (fd < 0 && errno == ECONNABORTED)
			continue;
		if (fd < 0) {
			cnt.accept_errors++;
			msg("cannot accept on %s: %s", opt.addr_str, strerror(errno));
			return;
		}
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
			cnt.accept_errors++;
			msg("cannot set TCP_NODELAY: %s", strerror(errno));
			close(fd);	/* its own failure would add nothing */
			continue;
		}
		ev.data.ptr = peer_new(now, fd, NULL, 0);
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			cnt.accept_errors++;
			msg("epoll_ctl: %s", strerror(errno));
			peer_free(ev.data.ptr);
		}
	}
}

static void server_read_udp(int64_t now)
{
	for (int i = 0; i < BATCH; i++) {
		struct peer key, *p;
		void *node;
		ssize_t n;

		key.addr_len = sizeof(key.addr);
		n = recvfrom(server_fd, rxbuf, sizeof(rxbuf), 0,
			     (struct sockaddr *)&key.addr, &key.addr_len);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				cnt.recv_errors++;
			return;
		}
		node = tfind(&key, &udp_peers, peer_cmp);
		p = node ? *(struct peer **)node :
		    peer_new(now, -1, &key.addr, key.addr_len);
		p->last_rx = now;	/* the timer catches up when it fires */
		cnt.received++;
		if (opt.echo)
			msg_send(server_fd, NULL, (size_t)n, &p->addr, p->addr_len);
	}
}

static void run_server(void)
{
	FILE *out = stats_open();
	struct epoll_event ev[BATCH], lev = { .events = EPOLLIN, .data.ptr = NULL };
	int64_t now, end = end_ms();
	int one = 1, ep;

	server_fd = socket(opt.addr.ss_family, (opt.tcp ? SOCK_STREAM : SOCK_DGRAM) |
			   SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (server_fd < 0)
		die("cannot create a socket for %s: %s", opt.addr_str, strerror(errno));
	if (opt.tcp && setsockopt(server_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("cannot set SO_REUSEADDR: %s", strerror(errno));
	if (opt.rcvbuf) {
		int rb = (int)opt.rcvbuf;

		if (setsockopt(server_fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb)) < 0)
			die("cannot set SO_RCVBUF %d: %s", rb, strerror(errno));
	}
	if (bind(server_fd, (struct sockaddr *)&opt.addr, opt.addr_len) < 0)
		die("cannot bind %s: %s", opt.addr_str, strerror(errno));
	if (opt.tcp && listen(server_fd, SOMAXCONN) < 0)
		die("cannot listen on %s: %s", opt.addr_str, strerror(errno));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, server_fd, &lev) < 0)
		die("epoll: %s", strerror(errno));
	while (!stop) {
		int n;

		now = now_ms();
		if (now >= end)
			break;
		if (opt.pause_at >= 0 && now >= opt.pause_at &&
		    now < opt.pause_at + opt.pause_for) {
			/* A stalled game loop: it neither reads nor sends; the
			 * socket's buffer fills and the kernel drops. */
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			nanosleep(&ts, NULL);
			continue;
		}
		while (timer_next() <= now)
			peer_tick(container_of(heap[0], struct peer, tm), now);
		n = wait_events(ep, ev, end < timer_next() ? end : timer_next());
		now = now_ms();
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr)
				peer_read(ev[i].data.ptr);
			else if (opt.tcp)
				server_accept(ep, now);
			else
				server_read_udp(now);
		}
	}
	fprintf(out, "{\"mode\":\"server\",\"proto\":\"%s\",\"clients_seen\":%llu,"
		"\"clients_dropped\":%llu,\"clients_closed\":%llu,\"received\":%llu,"
		"\"sent\":%llu,\"send_skipped\":%llu,\"send_errors\":%llu,"
		"\"recv_errors\":%llu,\"accept_errors\":%llu}\n",
		opt.tcp ? "tcp" : "udp", cnt.clients_seen, cnt.clients_dropped,
		cnt.clients_closed, cnt.received, cnt.sent, cnt.send_skipped,
		cnt.send_errors, cnt.recv_errors, cnt.accept_errors);
	stats_close(out);
	while (heap_len)
		peer_free(container_of(heap[0], struct peer, tm));
	close(ep);		/* nothing left to report at exit */
	close(server_fd);
	free(heap);
}

/* ---- flood and sink (UDP benchmark) ---- */

/*
 * One connected UDP socket per flow gives N distinct source ports.  Each
 * sendmmsg() sends a batch on one socket, then the next socket has its
 * turn; with --rate, a batch holds only what is due, down to one datagram.
 */
static void run_flood(void)
{
	static struct mmsghdr mm[BATCH];
	struct iovec iov = { msgbuf, (size_t)opt.size };
	unsigned long long sent = 0, errors = 0;
	int64_t start, now, end;
	int *fds = calloc((size_t)opt.flows, sizeof(*fds));
	long cur = 0;
	double secs;

	if (!fds)
		die("out of memory for %ld flows", opt.flows);
	for (long i = 0; i < opt.flows; i++) {
		fds[i] = socket(opt.addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0)
			die("cannot create socket for flow %ld: %s", i, strerror(errno));
		if (opt.bind_len) {
			/* --sources: flow i from the i-th address after
			 * --bind (modulo N), as distinct players are. */
			struct sockaddr_storage b = opt.bind;
			struct sockaddr_in *sin = (struct sockaddr_in *)&b;

			if (opt.sources > 1)
				sin->sin_addr.s_addr = htonl(ntohl(sin->sin_addr.s_addr) +
							     (uint32_t)(i % opt.sources));
			if (bind(fds[i], (struct sockaddr *)&b, opt.bind_len) < 0)
				die("cannot bind flow %ld: %s", i, strerror(errno));
		}
		if (connect(fds[i], (struct sockaddr *)&opt.addr, opt.addr_len) < 0)
			die("cannot connect flow %ld to %s: %s", i, opt.addr_str,
			    strerror(errno));
	}
	for (int i = 0; i < BATCH; i++) {
		mm[i].msg_hdr.msg_iov = &iov;
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	start = now = now_ns();
	end = opt.duration > 0 ? start + (int64_t)(opt.duration * 1e9) : NEVER;
	while (!stop && now < end) {
		/* --burst: datagrams per flow per turn. Small bursts keep
		 * every flow steady, as a game's are; 64 is the fastest. */
		unsigned int want = opt.burst ? (unsigned int)opt.burst : BATCH;
		int n;

		if (opt.rate > 0) {
			unsigned long long due = (unsigned long long)
				((double)(now - start) * 1e-9 * (double)opt.rate) + 1;
			int64_t next = start + (int64_t)((double)sent * 1e9 / (double)opt.rate);
			int64_t abs = (next < end ? next : end) + t0_ns;
			struct timespec ts = { abs / 1000000000, abs % 1000000000 };

			if (due <= sent) {	/* sleep until the next one is due */
				n = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
				if (n && n != EINTR)
					die("clock_nanosleep: %s", strerror(n));
				now = now_ns();
				continue;
			}
			if (due - sent < want)
				want = (unsigned int)(due - sent);
		}
		n = sendmmsg(fds[cur], mm, want, 0);
		if (n > 0)
			sent += (unsigned long long)n;
		else if (n < 0 && errno != EINTR)
			errors++;	/* e.g. ECONNREFUSED: no sink (yet) */
		cur = (cur + 1) % opt.flows;
		now = now_ns();
	}
	secs = (double)(now - start) / 1e9;
	printf("{\"mode\":\"flood\",\"flows\":%ld,\"size\":%ld,\"sent\":%llu,"
	       "\"send_errors\":%llu,\"seconds\":%.3f,\"pps\":%.0f}\n", opt.flows,
	       opt.size, sent, errors, secs, secs > 0 ? (double)sent / secs : 0.0);
	stats_close(stdout);
	for (long i = 0; i < opt.flows; i++)
		close(fds[i]);	/* nothing left to report at exit */
	free(fds);
}

/*
 * One ppoll() (the only place SIGTERM/SIGINT get through) per recvmmsg()
 * batch.  Kernel drops come from SO_RXQ_OVFL, a running total per socket.
 */
static void run_sink(void)
{
	static uint8_t bufs[BATCH][SINK_BUF];
	static char ctl[BATCH][CMSG_SPACE(sizeof(uint32_t))];
	static struct iovec iov[BATCH];
	static struct mmsghdr mm[BATCH];
	unsigned long long received = 0, errors = 0;
	uint32_t dropped = 0;
	int64_t first = 0, last = 0, end = NEVER;
	int one = 1, rcvbuf = 32 << 20;
	double secs;
	int fd = socket(opt.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("cannot create a socket for %s: %s", opt.addr_str, strerror(errno));
	/* SO_RCVBUFFORCE needs CAP_NET_ADMIN; SO_RCVBUF is capped by rmem_max */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		die("cannot set SO_RCVBUF: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) < 0)
		die("cannot set SO_RXQ_OVFL: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&opt.addr, opt.addr_len) < 0)
		die("cannot bind %s: %s", opt.addr_str, strerror(errno));
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], SINK_BUF };
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_control = ctl[i];
	}
	if (opt.duration > 0)
		end = now_ns() + (int64_t)(opt.duration * 1e9);
	while (!stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t now = now_ns(), left = end - now;
		struct timespec ts = { left / 1000000000, left % 1000000000 };
		struct cmsghdr *cm;
		int n;

		if (now >= end)
			break;
		if (ppoll(&pfd, 1, end == NEVER ? NULL : &ts, &wait_mask) < 0) {
			if (errno == EINTR)
				continue;
			die("ppoll: %s", strerror(errno));
		}
		for (int i = 0; i < BATCH; i++)
			mm[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				errors++;
			continue;
		}
		last = now_ns();
		if (!received)
			first = last;
		received += (unsigned long long)n;
		for (cm = CMSG_FIRSTHDR(&mm[n - 1].msg_hdr); cm;
		     cm = CMSG_NXTHDR(&mm[n - 1].msg_hdr, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL)
				memcpy(&dropped, CMSG_DATA(cm), sizeof(dropped));
	}
	secs = (double)(last - first) / 1e9;
	printf("{\"mode\":\"sink\",\"received\":%llu,\"dropped\":%u,\"recv_errors\":%llu,"
	       "\"seconds\":%.3f,\"pps\":%.0f}\n", received, dropped, errors, secs,
	       secs > 0 ? (double)received / secs : 0.0);
	stats_close(stdout);
	close(fd);		/* nothing left to report at exit */
}

/* ---- command line ---- */

static const char usage_text[] =
"usage: gamesim server --proto tcp|udp --listen ADDR:PORT [--ping-interval MS]\n"
"                      [--ping-size N] [--echo] [--duration S] [--stats FILE]\n"
"                      [--pause-at MS --pause-for MS] [--rcvbuf BYTES]\n"
"       gamesim client --proto tcp|udp --connect ADDR:PORT [--flows N]\n"
"                      [--ping-interval MS] [--ping-size N] [--timeout MS]\n"
"                      [--no-reconnect] [--duration S]\n"
"                      [--pause-at MS --pause-for MS] [--rebind-at MS]\n"
"                      [--bind ADDR] [--stats FILE]\n"
"       gamesim flood --connect ADDR:PORT --flows N --size BYTES\n"
"                     [--duration S] [--rate PPS] [--burst N]\n"
"                     [--bind ADDR [--sources N]]\n"
"       gamesim sink --listen ADDR:PORT [--duration S]\n"
"ADDR:PORT is a.b.c.d:port or [v6]:port.  See rigs/README.md.\n";

static _Noreturn void usage(FILE *f, int status)
{
	fputs(usage_text, f);
	exit(status);
}

__attribute__((format(printf, 1, 2), noreturn))
static void bad_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	usage(stderr, 2);
}

static const struct option longopts[] = {
	{ "proto", required_argument, NULL, 'p' },
	{ "listen", required_argument, NULL, 'l' },
	{ "connect", required_argument, NULL, 'c' },
	{ "ping-interval", required_argument, NULL, 'i' },
	{ "ping-size", required_argument, NULL, 's' },
	{ "echo", no_argument, NULL, 'e' },
	{ "duration", required_argument, NULL, 'd' },
	{ "stats", required_argument, NULL, 'o' },
	{ "flows", required_argument, NULL, 'n' },
	{ "timeout", required_argument, NULL, 't' },
	{ "no-reconnect", no_argument, NULL, 'N' },
	{ "pause-at", required_argument, NULL, 'a' },
	{ "pause-for", required_argument, NULL, 'f' },
	{ "rebind-at", required_argument, NULL, 'r' },
	{ "bind", required_argument, NULL, 'b' },
	{ "size", required_argument, NULL, 'S' },
	{ "rate", required_argument, NULL, 'R' },
	{ "burst", required_argument, NULL, 'B' },
	{ "sources", required_argument, NULL, 'X' },
	{ "rcvbuf", required_argument, NULL, 'K' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};
/* Per mode, by longopts[].val: the options taken and those required. */
static const char *const allowed[] = { "plisedoafKh", "pcisdontNafrbh", "cndSRBbXh", "ldh" };
static const char *const required[] = { "pl", "pc", "cnS", "l" };

static const char *opt_name(int val)
{
	const struct option *o = longopts;

	while (o->val != val)
		o++;
	return o->name;
}

static long num(int val, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		bad_usage("--%s: expected an integer from %ld to %ld, got '%s'",
			  opt_name(val), min, max, s);
	return v;
}

static void parse_args(int argc, char **argv)
{
	const long day = 86400000;
	char seen[128] = { 0 }, *end;
	int o, m;

	if (argc < 2)
		bad_usage("missing mode");
	for (m = 0; m < 4 && strcmp(argv[1], mode_names[m]); m++)
		;
	if (m == 4 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		usage(stdout, 0);
	if (m == 4)
		bad_usage("unknown mode '%s'", argv[1]);
	opt.mode = m;
	opt.flows = 1;
	opt.ping_interval = m == M_SERVER ? 20000 : 3000;
	opt.ping_size = m == M_SERVER ? 30 : 20;
	opt.pause_at = opt.pause_for = opt.rebind_at = -1;
	opterr = 0;
	while ((o = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) != -1) {
		if (o == '?')	/* argv + 1 shifts optind by one */
			bad_usage("bad option or missing argument: %s", argv[optind]);
		if (!strchr(allowed[m], o))
			bad_usage("--%s is not an option of %s", opt_name(o), argv[1]);
		seen[o] = 1;
		switch (o) {
		case 'p':
			if (strcmp(optarg, "tcp") && strcmp(optarg, "udp"))
				bad_usage("--proto: expected tcp or udp, got '%s'", optarg);
			opt.tcp = !strcmp(optarg, "tcp");
			break;
		case 'l':
		case 'c':
			opt.addr_str = optarg;
			if (parse_addr(optarg, 1, &opt.addr, &opt.addr_len) < 0)
				bad_usage("--%s: expected a.b.c.d:port or [v6]:port, got '%s'",
					  opt_name(o), optarg);
			break;
		case 'b':
			if (parse_addr(optarg, 0, &opt.bind, &opt.bind_len) < 0)
				bad_usage("--bind: expected an IPv4 or IPv6 address, got '%s'",
					  optarg);
			break;
		case 'd':
			errno = 0;
			opt.duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(opt.duration > 0) ||
			    opt.duration > 1e6)
				bad_usage("--duration: expected seconds > 0, got '%s'", optarg);
			break;
		case 'i': opt.ping_interval = num(o, optarg, 0, day); break;
		case 's': opt.ping_size = num(o, optarg, 2, MAX_MSG); break;
		case 'e': opt.echo = 1; break;
		case 'o': opt.stats = optarg; break;
		case 'n': opt.flows = num(o, optarg, 1, 1000000); break;
		case 't': opt.timeout = num(o, optarg, 0, day); break;
		case 'N': opt.no_reconnect = 1; break;
		case 'a': opt.pause_at = num(o, optarg, 0, day); break;
		case 'f': opt.pause_for = num(o, optarg, 1, day); break;
		case 'r': opt.rebind_at = num(o, optarg, 0, day); break;
		case 'S': opt.size = num(o, optarg, 1, MAX_MSG); break;
		case 'R': opt.rate = num(o, optarg, 1, 1000000000); break;
		case 'B': opt.burst = num(o, optarg, 1, BATCH); break;
		case 'X': opt.sources = num(o, optarg, 1, 1L << 24); break;
		case 'K': opt.rcvbuf = num(o, optarg, 1, 1L << 30); break;
		case 'h': usage(stdout, 0);
		}
	}
	if (optind + 1 < argc)
		bad_usage("unexpected argument '%s'", argv[optind + 1]);
	for (const char *r = required[m]; *r; r++)
		if (!seen[(int)*r])
			bad_usage("%s needs --%s", argv[1], opt_name(*r));
	if ((opt.pause_at < 0) != (opt.pause_for < 0))
		bad_usage("--pause-at and --pause-for go together");
	if (opt.rebind_at >= 0 && opt.tcp)
		bad_usage("--rebind-at needs --proto udp");
	if (opt.bind_len && opt.bind.ss_family != opt.addr.ss_family)
		bad_usage("--bind and --connect must be of the same address family");
	if (opt.sources > 1 && (!opt.bind_len || opt.bind.ss_family != AF_INET))
		bad_usage("--sources needs --bind with an IPv4 address");
}

int main(int argc, char **argv)
{
	t0_ns = now_ns();
	parse_args(argc, argv);
	raise_nofile();
	setup_signals(opt.mode != M_FLOOD);
	switch (opt.mode) {
	case M_SERVER: run_server(); break;
	case M_CLIENT: run_client(); break;
	case M_FLOOD: run_flood(); break;
	case M_SINK: run_sink(); break;
	}
	return exit_status;
}
