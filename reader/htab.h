/*
 * htab.h - the reader's one hash table: open addressing, linear probing,
 * entries of a caller-given size whose first member is their 64-bit hash.
 *
 * The table compares hashes only; a caller whose keys can collide keeps
 * the key in its entry and passes a match function. A hash is never 0
 * (empty) or 1 (deleted): htab_hash gives none of them.
 */
#ifndef GAPWATCH_HTAB_H
#define GAPWATCH_HTAB_H

#include <stddef.h>
#include <stdint.h>

#define HTAB_EMPTY	0
#define HTAB_DELETED	1

struct htab {
	unsigned char *slot;		/* cap entries of esize bytes */
	size_t esize;
	size_t cap;			/* 0, or a power of two */
	size_t live;			/* entries in use */
	size_t used;			/* live and deleted slots */
	size_t min_cap;
	unsigned int spare;		/* growth: cap >= spare * (live + 1) */
};

/*
 * htab_init - an empty table of esize-byte entries (the first member a
 * uint64_t hash). It grows when it would be more than half full, to a
 * capacity of at least min_cap (a power of two) and spare times its
 * entries. Allocates nothing yet.
 */
void htab_init(struct htab *t, size_t esize, size_t min_cap, unsigned int spare);

/* htab_free - free the slots (the entries' own pointers are the caller's). */
void htab_free(struct htab *t);

/* htab_hash - a hash of len bytes: FNV-1a finalised, never 0 or 1. */
uint64_t htab_hash(const void *data, size_t len);

/* htab_match_fn - does entry hold key? */
typedef int (*htab_match_fn)(const void *entry, const void *key);

/*
 * htab_find - the entry of hash h (for which match(entry, key) holds,
 * unless match is NULL), or NULL.
 */
void *htab_find(const struct htab *t, uint64_t h, htab_match_fn match,
		const void *key);

/*
 * htab_insert - a new entry for h, zeroed but for its hash, for the
 * caller to fill (it does not look for one already there). Returns it,
 * valid until the next insert, or NULL on ENOMEM.
 */
void *htab_insert(struct htab *t, uint64_t h);

/* htab_delete - remove an entry htab_find or htab_next returned. */
void htab_delete(struct htab *t, void *entry);

/*
 * htab_next - the live entries in slot order: start with *pos = 0.
 * Returns the next one, or NULL at the end.
 */
void *htab_next(const struct htab *t, size_t *pos);

#endif
