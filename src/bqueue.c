/*
 * bqueue.c - the bounded queue: a ring of fixed-size elements under one
 * mutex, a condition variable for a sleeping consumer and, optionally, an
 * eventfd for one that polls.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bqueue.h"
#include "log.h"

struct bqueue {
	pthread_mutex_t lock;		/* guards everything below */
	pthread_cond_t wake;
	uint8_t *ring;			/* [capacity * size] */
	size_t size;
	uint32_t capacity;
	uint32_t head;			/* oldest element */
	uint32_t count;
	int closed;
	int kicked;
	int fd;				/* eventfd; -1 without */
	uint64_t refused;
	char name[32];
};

struct bqueue *bqueue_new(const char *name, uint32_t capacity, size_t size,
			  int flags, char *err, size_t errlen)
{
	struct bqueue *q = calloc(1, sizeof(*q));

	if (q == NULL || capacity == 0 || size == 0)
		goto err_free;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->ring = calloc(capacity, size);
	if (q->ring == NULL)
		goto err_free;
	q->size = size;
	q->capacity = capacity;
	q->fd = -1;
	if (flags & BQUEUE_EVENTFD) {
		q->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (q->fd < 0)
			goto err_free;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	return q;

err_free:
	snprintf(err, errlen, "%s queue of %u: %s", name, capacity,
		 capacity == 0 || size == 0 ? "empty" : strerror(errno));
	if (q != NULL)
		free(q->ring);
	free(q);
	return NULL;
}

void bqueue_free(struct bqueue *q)
{
	if (q == NULL)
		return;
	if (q->fd >= 0)
		close(q->fd);
	pthread_cond_destroy(&q->wake);
	pthread_mutex_destroy(&q->lock);
	free(q->ring);
	free(q);
}

/*
 * Wake a polling consumer: after the unlock, so that no producer holds
 * the lock through a system call. The consumer clears the descriptor
 * before it looks at the queue, so it cannot miss this.
 */
static void notify_fd(struct bqueue *q)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is full, so the descriptor is readable
	 * already; nothing else can fail on an open eventfd. */
	if (q->fd >= 0 && write(q->fd, &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
		log_warn("%s queue: cannot wake its reader", q->name);
}

int bqueue_push(struct bqueue *q, const void *elem)
{
	uint32_t tail;

	pthread_mutex_lock(&q->lock);
	if (q->count == q->capacity || q->closed) {
		q->refused++;
		pthread_mutex_unlock(&q->lock);
		return -1;
	}
	tail = (q->head + q->count) % q->capacity;
	memcpy(q->ring + (size_t)tail * q->size, elem, q->size);
	q->count++;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
	notify_fd(q);
	return 0;
}

/* Under the lock: copy the oldest out (unless elem is NULL), and take it
 * when pop. */
static int take_locked(struct bqueue *q, void *elem, int pop)
{
	if (q->count == 0)
		return q->closed ? -1 : 0;
	if (elem != NULL)
		memcpy(elem, q->ring + (size_t)q->head * q->size, q->size);
	if (pop) {
		q->head = (q->head + 1) % q->capacity;
		q->count--;
	}
	return 1;
}

int bqueue_peek(struct bqueue *q, void *elem)
{
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = take_locked(q, elem, 0);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

int bqueue_pop(struct bqueue *q, void *elem)
{
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = take_locked(q, elem, 1);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

uint32_t bqueue_pop_many(struct bqueue *q, void *elems, uint32_t max)
{
	uint32_t n = 0;

	pthread_mutex_lock(&q->lock);
	while (n < max && take_locked(q, (uint8_t *)elems + (size_t)n * q->size,
				      1) == 1)
		n++;
	pthread_mutex_unlock(&q->lock);
	return n;
}

int bqueue_wait(struct bqueue *q)
{
	int more;

	pthread_mutex_lock(&q->lock);
	while (q->count == 0 && !q->closed && !q->kicked)
		pthread_cond_wait(&q->wake, &q->lock);
	q->kicked = 0;
	more = q->count != 0 || !q->closed;
	pthread_mutex_unlock(&q->lock);
	return more;
}

void bqueue_kick(struct bqueue *q)
{
	pthread_mutex_lock(&q->lock);
	q->kicked = 1;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
	notify_fd(q);
}

void bqueue_close(struct bqueue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
	notify_fd(q);
}

int bqueue_closed(struct bqueue *q)
{
	int closed;

	pthread_mutex_lock(&q->lock);
	closed = q->closed;
	pthread_mutex_unlock(&q->lock);
	return closed;
}

int bqueue_fd(const struct bqueue *q)
{
	return q->fd;
}

void bqueue_fd_clear(struct bqueue *q)
{
	uint64_t n;

	/* EAGAIN: nothing was signalled since the last clear. */
	if (q->fd >= 0 && read(q->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("%s queue: cannot read its wake-up", q->name);
}

uint64_t bqueue_refused(struct bqueue *q)
{
	uint64_t n;

	pthread_mutex_lock(&q->lock);
	n = q->refused;
	pthread_mutex_unlock(&q->lock);
	return n;
}
