/*
 * evidence.c - per-flow packet rings, gap buffers, and their pcap files.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "evidence.h"

int ev_pool_init(struct ev_pool *p)
{
	uint32_t k;

	memset(p, 0, sizeof(*p));
	/* calloc: buffers never used are never touched. */
	p->bufs = calloc(EVIDENCE_BUFFERS, sizeof(*p->bufs));
	if (p->bufs == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (k = 0; k < EVIDENCE_BUFFERS; k++)
		p->free_list[k] = (uint16_t)(EVIDENCE_BUFFERS - k);
	p->nfree = EVIDENCE_BUFFERS;
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

void ev_pool_fini(struct ev_pool *p)
{
	if (p->bufs == NULL)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->bufs);
	p->bufs = NULL;
}

uint16_t ev_take(struct ev_pool *p)
{
	uint16_t slot = 0;

	pthread_mutex_lock(&p->lock);
	if (p->nfree)
		slot = p->free_list[--p->nfree];
	else
		p->exhausted++;
	pthread_mutex_unlock(&p->lock);
	if (slot) {
		struct ev_buffer *b = ev_buffer(p, slot);

		b->count = 0;
		b->truncated = 0;
		b->successor_port = 0;
		b->post_until_us = 0;
		b->post_left = EVIDENCE_POST_PACKETS;
	}
	return slot;
}

void ev_give(struct ev_pool *p, uint16_t slot)
{
	pthread_mutex_lock(&p->lock);
	p->free_list[p->nfree++] = slot;
	pthread_mutex_unlock(&p->lock);
}

int ev_rings_init(struct ev_rings *r, uint32_t capacity, uint32_t per_flow)
{
	memset(r, 0, sizeof(*r));
	r->per_flow = per_flow;
	if (per_flow == 0)
		return 0;
	r->pkts = calloc(((size_t)capacity + 1) * per_flow, sizeof(*r->pkts));
	r->head = calloc((size_t)capacity + 1, 1);
	r->count = calloc((size_t)capacity + 1, 1);
	if (r->pkts == NULL || r->head == NULL || r->count == NULL) {
		ev_rings_fini(r);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void ev_rings_fini(struct ev_rings *r)
{
	free(r->pkts);
	free(r->head);
	free(r->count);
	memset(r, 0, sizeof(*r));
}

void ev_ring_reset(struct ev_rings *r, uint32_t i)
{
	if (r->per_flow) {
		r->head[i] = 0;
		r->count[i] = 0;
	}
}

void ev_ring_add(struct ev_rings *r, uint32_t i, const struct ev_pkt *pkt)
{
	r->pkts[(size_t)i * r->per_flow + r->head[i]] = *pkt;
	r->head[i] = (uint8_t)((r->head[i] + 1) % r->per_flow);
	if (r->count[i] < r->per_flow)
		r->count[i]++;
}

void ev_append(struct ev_buffer *b, const struct ev_pkt *pkt)
{
	if (b->count == EVIDENCE_GAP_PACKETS) {
		b->truncated++;
		return;
	}
	b->pkts[b->count++] = *pkt;
}

void ev_ring_copy(const struct ev_rings *r, uint32_t i, struct ev_buffer *b)
{
	uint32_t n = r->count[i], k;

	for (k = 0; k < n; k++)
		ev_append(b, &r->pkts[(size_t)i * r->per_flow +
				      (r->head[i] + r->per_flow - n + k) %
					      r->per_flow]);
}

static uint16_t ip_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;
	size_t k;

	for (k = 0; k + 1 < len; k += 2)
		sum += (uint32_t)h[k] << 8 | h[k + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/*
 * Rebuild the headers of one packet. The transport checksum is left 0
 * (Wireshark does not check it by default, and the payload is not kept);
 * the lengths are the real ones, so the capture shows each packet as
 * "limited during capture". Returns the header length.
 */
static size_t rebuild(const struct ev_buffer *b, const struct ev_pkt *p,
		      uint8_t *out, uint32_t *wirelen)
{
	const struct in6_addr *src, *dst;
	uint16_t sport, dport, client_port;
	int v4 = IN6_IS_ADDR_V4MAPPED(&b->key.client);
	int tcp = b->key.proto == IPPROTO_TCP;
	size_t ip = v4 ? 20 : 40, l4 = tcp ? 20 : 8;
	uint32_t total = (uint32_t)(ip + l4) + p->payload_len;
	uint8_t *t = out + ip;

	client_port = p->flow ? b->successor_port : b->key.client_port;
	src = p->from_client ? &b->key.client : &b->key.server;
	dst = p->from_client ? &b->key.server : &b->key.client;
	sport = p->from_client ? client_port : b->key.server_port;
	dport = p->from_client ? b->key.server_port : client_port;
	memset(out, 0, ip + l4);
	if (v4) {
		out[0] = 0x45;
		put16(out + 2, total > 0xffff ? 0 : total);
		out[6] = 0x40;			/* DF */
		out[8] = p->ttl;
		out[9] = b->key.proto;
		memcpy(out + 12, &src->s6_addr[12], 4);
		memcpy(out + 16, &dst->s6_addr[12], 4);
		put16(out + 10, ip_checksum(out, 20));
	} else {
		out[0] = 0x60;
		put16(out + 4, total - 40 > 0xffff ? 0 : total - 40);
		out[6] = b->key.proto;
		out[7] = p->ttl;
		memcpy(out + 8, src, 16);
		memcpy(out + 24, dst, 16);
	}
	put16(t, sport);
	put16(t + 2, dport);
	if (tcp) {
		put32(t + 4, p->seq);
		put32(t + 8, p->ack);
		t[12] = 5 << 4;
		t[13] = p->tcp_flags;
		put16(t + 14, p->window);
	} else {
		put16(t + 4, (uint32_t)l4 + p->payload_len);
	}
	*wirelen = total;
	return ip + l4;
}

long ev_write_pcap(const struct ev_buffer *b, const char *path)
{
	struct pcap_pkthdr h;
	pcap_dumper_t *d;
	pcap_t *p;
	uint8_t hdr[64];
	uint32_t k, wirelen;
	long size;
	struct stat st;

	p = pcap_open_dead(DLT_RAW, 65535);
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	d = pcap_dump_open(p, path);
	if (d == NULL) {
		pcap_close(p);
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	for (k = 0; k < b->count; k++) {
		const struct ev_pkt *pkt = &b->pkts[k];
		uint64_t wall = pkt->mono_us + (uint64_t)b->wall_offset_us;

		h.caplen = (bpf_u_int32)rebuild(b, pkt, hdr, &wirelen);
		h.len = wirelen;
		h.ts.tv_sec = (time_t)(wall / 1000000);
		h.ts.tv_usec = (suseconds_t)(wall % 1000000);
		pcap_dump((u_char *)d, &h, hdr);
	}
	size = pcap_dump_ftell(d);
	pcap_dump_close(d);
	pcap_close(p);
	if (size < 0 && stat(path, &st) == 0)
		size = (long)st.st_size;
	return size;
}

/* --- the store -------------------------------------------------------------- */

#define STORE_FILES_MAX	65536		/* files remembered, oldest first */
#define STORE_NAME_MAX	64

struct store_file {
	char name[STORE_NAME_MAX];
	uint64_t size;
	time_t mtime;
};

struct ev_store {
	char dir[PATH_MAX];
	uint64_t max_bytes;
	struct store_file *files;	/* a FIFO: [head, head + count) */
	uint32_t head, count;
	struct ev_store_counters counters;
};

const struct ev_store_counters *ev_store_counters(const struct ev_store *s)
{
	return &s->counters;
}

void ev_store_path(const struct ev_store *s, const char *name, char *buf,
		   size_t len)
{
	snprintf(buf, len, "%s/%s.pcap", s->dir, name);
}

static void store_remove_oldest(struct ev_store *s)
{
	struct store_file *f = &s->files[s->head];
	char path[PATH_MAX + STORE_NAME_MAX + 8];

	snprintf(path, sizeof(path), "%s/%s", s->dir, f->name);
	if (unlink(path) == 0 || errno == ENOENT)
		s->counters.removed++;
	s->counters.bytes -= f->size;
	s->head = (s->head + 1) % STORE_FILES_MAX;
	s->count--;
}

static void store_add(struct ev_store *s, const char *file, uint64_t size,
		      time_t mtime)
{
	struct store_file *f;

	if (s->count == STORE_FILES_MAX)
		store_remove_oldest(s);
	f = &s->files[(s->head + s->count) % STORE_FILES_MAX];
	snprintf(f->name, sizeof(f->name), "%s", file);
	f->size = size;
	f->mtime = mtime;
	s->count++;
	s->counters.bytes += size;
	while (s->counters.bytes > s->max_bytes && s->count > 1)
		store_remove_oldest(s);
}

static int by_mtime(const void *a, const void *b)
{
	const struct store_file *x = a, *y = b;

	return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

/* What an earlier run left, oldest first, so the cap counts it too. */
static void store_scan(struct ev_store *s)
{
	struct store_file *found;
	struct dirent *de;
	struct stat st;
	char path[PATH_MAX + 256 + 2];
	uint32_t n = 0, k;
	size_t len;
	DIR *d;

	d = opendir(s->dir);
	if (d == NULL)
		return;
	found = calloc(STORE_FILES_MAX, sizeof(*found));
	while (found && (de = readdir(d)) != NULL && n < STORE_FILES_MAX) {
		len = strlen(de->d_name);
		if (len < 6 || len >= STORE_NAME_MAX ||
		    strcmp(de->d_name + len - 5, ".pcap") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->dir, de->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		snprintf(found[n].name, STORE_NAME_MAX, "%s", de->d_name);
		found[n].size = (uint64_t)st.st_size;
		found[n].mtime = st.st_mtime;
		n++;
	}
	closedir(d);
	if (found == NULL)
		return;
	qsort(found, n, sizeof(*found), by_mtime);
	for (k = 0; k < n; k++)
		store_add(s, found[k].name, found[k].size, found[k].mtime);
	free(found);
}

struct ev_store *ev_store_open(const char *dir, uint64_t max_bytes, char *err,
			       size_t errlen)
{
	struct ev_store *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->files = calloc(STORE_FILES_MAX,
					    sizeof(*s->files))) == NULL) {
		snprintf(err, errlen, "pcap evidence: out of memory");
		free(s);
		return NULL;
	}
	if (snprintf(s->dir, sizeof(s->dir), "%s", dir) >= (int)sizeof(s->dir) ||
	    (mkdir(dir, 0750) < 0 && errno != EEXIST)) {
		snprintf(err, errlen, "cannot create pcap directory %s: %s", dir,
			 strerror(errno));
		free(s->files);
		free(s);
		return NULL;
	}
	s->max_bytes = max_bytes;
	store_scan(s);
	return s;
}

void ev_store_close(struct ev_store *s)
{
	if (s == NULL)
		return;
	free(s->files);
	free(s);
}

int ev_store_write(struct ev_store *s, const struct ev_buffer *b,
		   const char *name)
{
	char path[PATH_MAX + STORE_NAME_MAX + 8], file[STORE_NAME_MAX + 8];
	long size;

	ev_store_path(s, name, path, sizeof(path));
	size = ev_write_pcap(b, path);
	if (size < 0) {
		s->counters.write_errors++;
		return -1;
	}
	s->counters.written++;
	snprintf(file, sizeof(file), "%s.pcap", name);
	store_add(s, file, (uint64_t)size, time(NULL));
	return 0;
}
