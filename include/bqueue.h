/*
 * bqueue.h - one bounded FIFO between threads that never blocks its
 * producers: an element that finds the queue full (or closed) is refused
 * and counted, and the producer goes on. The correlator's jobs and the
 * report writer's lines both travel through one.
 *
 * Elements are copied in and out (fixed size, given at creation), so the
 * queue owns no pointers. Any number of producers; one consumer, which
 * either sleeps in bqueue_wait() or polls bqueue_fd() (BQUEUE_EVENTFD).
 */
#ifndef GAPWATCH_BQUEUE_H
#define GAPWATCH_BQUEUE_H

#include <stddef.h>
#include <stdint.h>

/* Flags of bqueue_new(). */
#define BQUEUE_EVENTFD	0x1	/* an eventfd made readable by each push */

struct bqueue;

/*
 * bqueue_new - a queue of capacity elements of size bytes each, named
 * name in messages. Returns NULL with a reason in err (naming the queue).
 */
struct bqueue *bqueue_new(const char *name, uint32_t capacity, size_t size,
			  int flags, char *err, size_t errlen);

/* bqueue_free - free the queue and what is still in it. Accepts NULL. */
void bqueue_free(struct bqueue *q);

/*
 * bqueue_push - copy elem in and wake the consumer. Never blocks beyond
 * the queue's short lock. Returns 0, or -1 when the queue is full or
 * closed: the element was not taken and bqueue_refused() counts it.
 */
int bqueue_push(struct bqueue *q, const void *elem);

/*
 * bqueue_peek - copy the oldest element to elem, leaving it queued (the
 * consumer may decide that it is not due yet). bqueue_pop - copy it and
 * take it out. Both return 1 with an element, 0 when the queue is empty,
 * -1 when it is empty and closed: nothing will ever come again. With
 * elem NULL, bqueue_pop() drops the oldest (the one just peeked at).
 */
int bqueue_peek(struct bqueue *q, void *elem);
int bqueue_pop(struct bqueue *q, void *elem);

/*
 * bqueue_pop_many - take up to max of the oldest elements into elems (an
 * array of max elements). Returns how many.
 */
uint32_t bqueue_pop_many(struct bqueue *q, void *elems, uint32_t max);

/*
 * bqueue_wait - sleep until an element is queued, the queue is closed, or
 * bqueue_kick() is called. Returns 0 when it is closed and empty (the
 * consumer's end), 1 otherwise.
 */
int bqueue_wait(struct bqueue *q);

/* bqueue_kick - wake the consumer without an element (e.g. "reopen"). */
void bqueue_kick(struct bqueue *q);

/*
 * bqueue_close - refuse (and count) every later push and wake the
 * consumer, which still gets what is queued.
 */
void bqueue_close(struct bqueue *q);

/* bqueue_closed - 1 after bqueue_close(). */
int bqueue_closed(struct bqueue *q);

/*
 * bqueue_fd - with BQUEUE_EVENTFD, a descriptor that polls readable after
 * a push, a kick or the close; -1 without. bqueue_fd_clear - read it
 * empty (before looking at the queue, so that no wake-up is missed).
 */
int bqueue_fd(const struct bqueue *q);
void bqueue_fd_clear(struct bqueue *q);

/* bqueue_refused - elements refused: queue full or closed. */
uint64_t bqueue_refused(struct bqueue *q);

#endif
