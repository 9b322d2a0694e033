/*
 * dropwatch.c - the drop watcher's user half: load the BPF program, read
 * its ring buffer into the tally, name reasons (the kernel's BTF) and
 * functions (/proc/kallsyms).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dropwatch.h"

#ifndef GW_HAVE_BPF

struct dropwatch *dropwatch_open(const struct portset *ports,
				 const struct gw_time *now, char *err,
				 size_t errlen)
{
	(void)ports;
	(void)now;
	snprintf(err, errlen, "built without BPF (configure --disable-bpf, "
		 "or no libbpf, clang or bpftool)");
	return NULL;
}

void dropwatch_close(struct dropwatch *dw)
{
	(void)dw;
}

int dropwatch_fd(const struct dropwatch *dw)
{
	(void)dw;
	return -1;
}

void dropwatch_read(struct dropwatch *dw, const struct gw_time *now)
{
	(void)dw;
	(void)now;
}

void dropwatch_fill(struct dropwatch *dw, struct gap_record *rec)
{
	(void)dw;
	(void)rec;
}

void dropwatch_get_counters(const struct dropwatch *dw,
			    struct dropwatch_counters *out)
{
	(void)dw;
	memset(out, 0, sizeof(*out));
}

#else

#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "droptally.h"
#include "dropwatch_event.h"
#include "dropwatch.skel.h"
#include "log.h"

/* Reasons named: enum skb_drop_reason has about 130 on 6.18. */
#define REASONS_MAX	512
#define REASON_PREFIX	"SKB_DROP_REASON_"
/* Functions named so far: a drop site is one of a few dozen. */
#define FUNCS_KEPT	128

struct func_name {
	uint64_t location;
	char name[LOCAL_DROP_FUNC_LEN];
};

struct dropwatch {
	struct dropwatch_bpf *skel;
	struct ring_buffer *rb;
	struct portset ports;
	struct droptally tally;
	struct dropwatch_counters counters;
	struct gw_wall wall;		/* the wall clock, followed */
	uint64_t lost_seen;		/* dw_lost at the last read */
	uint64_t last_read_us;		/* wall */
	char *reasons[REASONS_MAX];
	FILE *kallsyms;			/* opened with privileges: addresses */
	struct func_name funcs[FUNCS_KEPT];
	unsigned int nfuncs;
};

/* libbpf's own messages: its warnings only, through our log. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	char line[512];

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("libbpf: %s", line);
	return 0;
}

/* The names of enum skb_drop_reason, from the running kernel's BTF. */
static void load_reason_names(struct dropwatch *dw)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *e;
	const char *name;
	int id, k, n;

	if (btf == NULL)
		return;
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id > 0 && (t = btf__type_by_id(btf, id)) != NULL) {
		e = btf_enum(t);
		n = btf_vlen(t);
		for (k = 0; k < n; k++) {
			if (e[k].val < 0 || e[k].val >= REASONS_MAX)
				continue;
			name = btf__name_by_offset(btf, e[k].name_off);
			if (name == NULL)
				continue;
			if (!strncmp(name, REASON_PREFIX, strlen(REASON_PREFIX)))
				name += strlen(REASON_PREFIX);
			free(dw->reasons[e[k].val]);
			dw->reasons[e[k].val] = strdup(name);
		}
	}
	btf__free(btf);
}

static void reason_name(const struct dropwatch *dw, uint32_t reason,
			char *buf, size_t len)
{
	if (reason < REASONS_MAX && dw->reasons[reason])
		snprintf(buf, len, "%s", dw->reasons[reason]);
	else
		snprintf(buf, len, "reason_%u", reason);
}

/*
 * The function that holds location: the symbol at or below it. The file
 * was opened with privileges, so it shows addresses for life; it is read
 * once per new drop site (a few dozen in all), never per packet.
 */
static void func_name(struct dropwatch *dw, uint64_t location, char *buf,
		      size_t len)
{
	unsigned long long addr, best = 0;
	char line[256], type, sym[64], name[LOCAL_DROP_FUNC_LEN] = "";
	struct func_name *f;
	unsigned int k;

	snprintf(buf, len, "0x%llx", (unsigned long long)location);
	for (k = 0; k < dw->nfuncs; k++)
		if (dw->funcs[k].location == location) {
			snprintf(buf, len, "%s", dw->funcs[k].name);
			return;
		}
	if (dw->kallsyms == NULL)
		return;
	rewind(dw->kallsyms);
	while (fgets(line, sizeof(line), dw->kallsyms) != NULL) {
		if (sscanf(line, "%llx %c %63s", &addr, &type, sym) != 3 ||
		    (type != 't' && type != 'T') || addr > location ||
		    addr < best)
			continue;
		best = addr;
		snprintf(name, sizeof(name), "%.*s", (int)sizeof(name) - 1, sym);
	}
	/* Addresses all zero: not shown to us (kptr_restrict). */
	if (best == 0)
		return;
	snprintf(buf, len, "%s", name);
	f = &dw->funcs[dw->nfuncs < FUNCS_KEPT ? dw->nfuncs++ :
			location % FUNCS_KEPT];
	f->location = location;
	snprintf(f->name, sizeof(f->name), "%s", name);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct dropwatch *dw = ctx;
	const struct dw_event *ev = data;
	struct in6_addr src, dst;
	struct drop_event e;

	if (size < sizeof(*ev))
		return 0;
	if (ev->family == 4) {
		addr_from_v4(&src, ev->saddr);
		addr_from_v4(&dst, ev->daddr);
	} else {
		memcpy(&src, ev->saddr, sizeof(src));
		memcpy(&dst, ev->daddr, sizeof(dst));
	}
	memset(&e, 0, sizeof(e));
	if (portset_orient(&dw->ports, ev->proto, &src, ev->sport, &dst,
			   ev->dport, &e.key) < 0) {
		dw->counters.not_game++;
		return 0;
	}
	e.wall_us = (uint64_t)((int64_t)(ev->mono_ns / 1000) +
			       dw->wall.offset_us);
	e.location = ev->location;
	e.reason = ev->reason;
	e.tcp_flags = ev->tcp_flags;
	droptally_add(&dw->tally, &e);
	dw->counters.events++;
	return 0;
}

void dropwatch_read(struct dropwatch *dw, const struct gw_time *now)
{
	uint64_t lost;

	gw_wall_follow(&dw->wall, now);
	ring_buffer__consume(dw->rb);
	/* Counted by the program in its mapped .bss: no system call. */
	lost = __atomic_load_n(&dw->skel->bss->dw_lost, __ATOMIC_RELAXED);
	if (lost != dw->lost_seen) {
		droptally_lost(&dw->tally, dw->last_read_us, now->wall_us);
		dw->counters.lost += lost - dw->lost_seen;
		dw->lost_seen = lost;
	}
	dw->last_read_us = now->wall_us;
}

void dropwatch_fill(struct dropwatch *dw, struct gap_record *rec)
{
	uint64_t locations[LOCAL_DROP_REASONS];
	unsigned int k;

	droptally_window(&dw->tally, rec, locations);
	for (k = 0; k < rec->drops.nreasons; k++) {
		struct local_drop_reason *r = &rec->drops.by_reason[k];

		reason_name(dw, r->reason, r->name, sizeof(r->name));
		func_name(dw, locations[k], r->func, sizeof(r->func));
	}
}

int dropwatch_fd(const struct dropwatch *dw)
{
	return ring_buffer__epoll_fd(dw->rb);
}

void dropwatch_get_counters(const struct dropwatch *dw,
			    struct dropwatch_counters *out)
{
	*out = dw->counters;
}

/* Why loading failed, for an operator. */
static const char *load_hint(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:
		return " (needs CAP_BPF and CAP_PERFMON, or root; a locked-down "
		       "kernel refuses it)";
	case ENOENT:
	case ESRCH:
		return " (no BTF for this kernel: /sys/kernel/btf/vmlinux)";
	default:
		return "";
	}
}

struct dropwatch *dropwatch_open(const struct portset *ports,
				 const struct gw_time *now, char *err,
				 size_t errlen)
{
	struct dropwatch *dw = calloc(1, sizeof(*dw));
	struct dw_ports map_ports;
	struct stat st;
	__u32 key = 0;
	int rc;

	if (dw == NULL) {
		snprintf(err, errlen, "drop watcher: out of memory");
		return NULL;
	}
	libbpf_set_print(libbpf_log);
	if (stat("/proc/self/ns/net", &st) < 0) {
		snprintf(err, errlen, "drop watcher: cannot read our network "
			 "namespace (/proc/self/ns/net): %s", strerror(errno));
		goto err_free;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0) {
		snprintf(err, errlen, "drop watcher: the kernel has no BTF "
			 "(/sys/kernel/btf/vmlinux: %s)", strerror(errno));
		goto err_free;
	}
	dw->ports = *ports;
	dw->skel = dropwatch_bpf__open();
	if (dw->skel == NULL) {
		snprintf(err, errlen, "drop watcher: cannot open the BPF "
			 "program: %s", strerror(errno));
		goto err_free;
	}
	dw->skel->rodata->netns_ino = (__u32)st.st_ino;
	rc = dropwatch_bpf__load(dw->skel);
	if (rc < 0) {
		snprintf(err, errlen, "drop watcher: cannot load the BPF program "
			 "on skb:kfree_skb: %s%s", strerror(-rc), load_hint(-rc));
		goto err_skel;
	}
	_Static_assert(sizeof(map_ports.bits) == sizeof(ports->bits),
		       "the program's port bits are the portset's");
	memcpy(map_ports.bits, ports->bits, sizeof(map_ports.bits));
	if (bpf_map__update_elem(dw->skel->maps.game_ports, &key, sizeof(key),
				 &map_ports, sizeof(map_ports), 0) < 0) {
		snprintf(err, errlen, "drop watcher: cannot set the game ports: "
			 "%s", strerror(errno));
		goto err_skel;
	}
	rc = dropwatch_bpf__attach(dw->skel);
	if (rc < 0) {
		snprintf(err, errlen, "drop watcher: cannot attach to "
			 "skb:kfree_skb: %s%s", strerror(-rc), load_hint(-rc));
		goto err_skel;
	}
	dw->rb = ring_buffer__new(bpf_map__fd(dw->skel->maps.events), on_event,
				  dw, NULL);
	if (dw->rb == NULL) {
		snprintf(err, errlen, "drop watcher: cannot map the ring buffer: "
			 "%s", strerror(errno));
		goto err_skel;
	}
	if (droptally_init(&dw->tally, now->wall_us) < 0) {
		snprintf(err, errlen, "drop watcher: out of memory");
		goto err_rb;
	}
	load_reason_names(dw);
	/* Opened now, with privileges: the file shows addresses to whoever
	 * opened it, for as long as it is open. */
	dw->kallsyms = fopen("/proc/kallsyms", "re");
	dw->last_read_us = now->wall_us;
	gw_wall_init(&dw->wall, now);
	err[0] = '\0';
	return dw;

err_rb:
	ring_buffer__free(dw->rb);
err_skel:
	dropwatch_bpf__destroy(dw->skel);
err_free:
	free(dw);
	return NULL;
}

void dropwatch_close(struct dropwatch *dw)
{
	unsigned int k;

	if (dw == NULL)
		return;
	ring_buffer__free(dw->rb);
	dropwatch_bpf__destroy(dw->skel);
	droptally_fini(&dw->tally);
	if (dw->kallsyms)
		fclose(dw->kallsyms);
	for (k = 0; k < REASONS_MAX; k++)
		free(dw->reasons[k]);
	free(dw);
}

#endif
