/*
 * pcapstore.c - gap buffers rendered as pcap files, and the directory
 * that keeps them under a size cap.
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

#include "pcapstore.h"
#include "schema.h"
#include "wire.h"

/*
 * Rebuild the headers of one packet; returns their length. The transport
 * checksum stays 0: Wireshark does not check it by default, and the
 * payload it would cover is not kept.
 */
static size_t rebuild(const struct ev_buffer *b, const struct ev_pkt *p,
		      uint8_t *out, uint32_t *wirelen)
{
	uint16_t client_port = p->flow ? b->successor_port : b->key.client_port;
	struct wire_spec w = {
		.src = p->from_client ? b->key.client : b->key.server,
		.dst = p->from_client ? b->key.server : b->key.client,
		.sport = p->from_client ? client_port : b->key.server_port,
		.dport = p->from_client ? b->key.server_port : client_port,
		.proto = b->key.proto,
		.ttl = p->ttl,
		.seq = p->seq,
		.ack = p->ack,
		.tcp_flags = p->tcp_flags,
		.window = p->window,
		.payload_len = p->payload_len,
	};
	size_t hlen = wire_write_headers(&w, out);

	*wirelen = (uint32_t)hlen + p->payload_len;
	return hlen;
}

long pcapstore_dump(const struct ev_buffer *b, const char *path)
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

struct pcapstore {
	char dir[PATH_MAX];
	char run_id[32];
	uint64_t max_bytes;
	struct store_file *files;	/* a FIFO: [head, head + count) */
	uint32_t head, count;
	struct pcapstore_counters counters;
};

const struct pcapstore_counters *pcapstore_counters(const struct pcapstore *s)
{
	return &s->counters;
}

/* The file's name: its gap's id (schema.h), and ".pcap". */
static void file_name(const struct pcapstore *s, uint16_t queue, uint64_t seq,
		      char *buf, size_t len)
{
	snprintf(buf, len, GAP_ID_FORMAT ".pcap", s->run_id, queue,
		 (unsigned long long)seq);
}

void pcapstore_path(const struct pcapstore *s, uint16_t queue, uint64_t seq,
		    char *buf, size_t len)
{
	char file[STORE_NAME_MAX];

	file_name(s, queue, seq, file, sizeof(file));
	snprintf(buf, len, "%s/%s", s->dir, file);
}

static void store_remove_oldest(struct pcapstore *s)
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

static void store_add(struct pcapstore *s, const char *file, uint64_t size,
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
static void store_scan(struct pcapstore *s)
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

struct pcapstore *pcapstore_open(const char *dir, const char *run_id,
				 uint64_t max_bytes, char *err, size_t errlen)
{
	struct pcapstore *s = calloc(1, sizeof(*s));

	if (s == NULL)
		goto err_memory;
	s->files = calloc(STORE_FILES_MAX, sizeof(*s->files));
	if (s->files == NULL)
		goto err_memory;
	if (snprintf(s->run_id, sizeof(s->run_id), "%s", run_id) >=
	    (int)sizeof(s->run_id)) {
		snprintf(err, errlen, "pcap evidence: run id %s too long",
			 run_id);
		goto err_files;
	}
	if (snprintf(s->dir, sizeof(s->dir), "%s", dir) >= (int)sizeof(s->dir) ||
	    (mkdir(dir, 0750) < 0 && errno != EEXIST)) {
		snprintf(err, errlen, "cannot create pcap directory %s: %s", dir,
			 strerror(errno));
		goto err_files;
	}
	s->max_bytes = max_bytes;
	store_scan(s);
	return s;

err_memory:
	snprintf(err, errlen, "pcap evidence: out of memory");
err_files:
	if (s != NULL)
		free(s->files);
	free(s);
	return NULL;
}

void pcapstore_close(struct pcapstore *s)
{
	if (s == NULL)
		return;
	free(s->files);
	free(s);
}

int pcapstore_write(struct pcapstore *s, const struct ev_buffer *b)
{
	char path[PATH_MAX + STORE_NAME_MAX + 1], file[STORE_NAME_MAX];
	long size;

	pcapstore_path(s, b->queue, b->seq, path, sizeof(path));
	file_name(s, b->queue, b->seq, file, sizeof(file));
	size = pcapstore_dump(b, path);
	if (size < 0) {
		s->counters.write_errors++;
		return -1;
	}
	s->counters.written++;
	s->counters.truncated += b->truncated;
	store_add(s, file, (uint64_t)size, time(NULL));
	return 0;
}
