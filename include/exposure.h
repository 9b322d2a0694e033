/*
 * exposure.h - how many players each client network had: flows and
 * flow-seconds per prefix (/24 IPv4, /48 IPv6) over an interval, so that
 * a reader can tell a network that loses players often from one that
 * merely has many (gaps per 1,000 player-hours, not gaps).
 *
 * One table per engine, of a fixed size: memory does not grow with the
 * prefixes. What does not fit is summed as "other", and counted.
 */
#ifndef GAPWATCH_EXPOSURE_H
#define GAPWATCH_EXPOSURE_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* The table: 2^16 slots of 24 bytes (1.5 MB), filled to 3/4 at most so
 * that a probe stays short; 49,152 prefixes is more than a server of
 * 100k players sees in an hour (30k in the sizing). */
#define EXPOSURE_SLOT_BITS	16
#define EXPOSURE_SLOTS		(1U << EXPOSURE_SLOT_BITS)
#define EXPOSURE_KEPT_MAX	(EXPOSURE_SLOTS / 4 * 3)
/* Prefixes one record lists, the most flow-seconds first; the rest go
 * into its "other" (a record stays under ~640 KB). */
#define EXPOSURE_LISTED_MAX	20000
/* The longest ["prefix",flows,seconds] of a record, with its comma:
 * an IPv6 /48 (at most 14 + 3 characters), a 10-digit count and
 * seconds to the ms of a table's 64-bit microseconds. */
#define EXPOSURE_ENTRY_MAX	96
/* The grouping, as gapwatch report's prefixes. */
#define EXPOSURE_PREFIX_V4	24
#define EXPOSURE_PREFIX_V6	48

struct exposure_entry {
	uint64_t key;			/* 0: free; exposure_key() */
	uint64_t flow_us;		/* flow time in the interval */
	uint32_t flows;			/* flows that began in it */
	uint32_t pad;
};

struct exposure {
	struct exposure_entry *slots;	/* NULL: off */
	uint32_t kept;			/* slots in use */
	uint32_t queue;
	uint64_t start_us, end_us;	/* wall: the interval */
	uint64_t flows, flow_us;	/* every prefix's */
	uint64_t other_flows, other_flow_us;	/* the table was full */
	uint64_t other_adds;		/* additions it could not take */
};

/* One interval's table, compacted: what a record is made of. */
struct exposure_batch {
	uint32_t queue;
	uint32_t n;			/* entries[] */
	uint64_t start_us, end_us;	/* wall */
	uint64_t flows, flow_us;
	uint64_t other_flows, other_flow_us, other_adds;
	struct exposure_entry entries[];
};

/* exposure_init - an empty table for queue, its interval beginning at
 * start_us (wall). Returns 0, or -1 (ENOMEM). */
int exposure_init(struct exposure *x, uint32_t queue, uint64_t start_us);
void exposure_fini(struct exposure *x);

/* exposure_reset - empty it for the interval that begins at start_us. */
void exposure_reset(struct exposure *x, uint64_t start_us);

/* exposure_empty - nothing was counted since the last reset. */
static inline int exposure_empty(const struct exposure *x)
{
	return x->kept == 0 && x->other_adds == 0;
}

/* exposure_key - the prefix key of a client address (v4-mapped or v6). */
uint64_t exposure_key(const struct in6_addr *client);

/*
 * exposure_add - flows that began and us of flow time, to the prefix of
 * client; a prefix the full table has no room for goes to "other".
 */
void exposure_add(struct exposure *x, const struct in6_addr *client,
		  uint32_t flows, uint64_t us);

/*
 * exposure_snapshot - the table's entries and totals as a batch, for the
 * interval that ends at end_us (wall): a copy the verdict thread makes
 * at once and the writer's thread sorts and formats. Returns NULL on
 * ENOMEM; free() it.
 */
struct exposure_batch *exposure_snapshot(const struct exposure *x,
					 uint64_t end_us);

/* exposure_batch_sort - the most flow time first, ties by key. */
void exposure_batch_sort(struct exposure_batch *b);

/* exposure_prefix_format - "198.18.3.0/24", "2001:db8:1::/48". Returns buf. */
char *exposure_prefix_format(uint64_t key, char *buf, size_t len);

#endif
