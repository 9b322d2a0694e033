/*
 * pcapstore.h - gap buffers as pcap files, in a directory capped in size.
 *
 * A gap's file is named after its gap record's id, RUN-QUEUE-SEQ.pcap,
 * and holds raw IP packets whose headers are rebuilt from the buffer's
 * summaries (payloads are not kept). When a new file takes the total
 * over the cap, the oldest files go first (those an earlier run left
 * included, by modification time). A store is used by one thread.
 */
#ifndef GAPWATCH_PCAPSTORE_H
#define GAPWATCH_PCAPSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "evidence.h"

/*
 * pcapstore_dump - write b as a pcap file at path (DLT_RAW; each packet's
 * headers only, with its real length as the wire length, so a reader
 * shows it "limited during capture"; the transport checksum is 0).
 * Returns the bytes written, or -1 with errno set.
 */
long pcapstore_dump(const struct ev_buffer *b, const char *path);

struct pcapstore_counters {
	uint64_t written;
	uint64_t write_errors;
	uint64_t removed;
	uint64_t bytes;			/* on disk now */
	uint64_t truncated;		/* packets of written gaps that did not
					 * fit their gap buffer */
};

struct pcapstore;

/*
 * pcapstore_open - a store in dir (created if needed) for the gaps of run
 * run_id, capped at max_bytes, that counts what dir already holds.
 * Returns NULL with a reason in err.
 */
struct pcapstore *pcapstore_open(const char *dir, const char *run_id,
				 uint64_t max_bytes, char *err, size_t errlen);
/* pcapstore_close - free s; the files stay. NULL ok. */
void pcapstore_close(struct pcapstore *s);

/* pcapstore_path - into buf, the file of gap seq of queue. */
void pcapstore_path(const struct pcapstore *s, uint16_t queue, uint64_t seq,
		    char *buf, size_t len);

/*
 * pcapstore_write - write b as its gap's file, then enforce the cap.
 * Returns 0, or -1 (counted in write_errors).
 */
int pcapstore_write(struct pcapstore *s, const struct ev_buffer *b);

const struct pcapstore_counters *pcapstore_counters(const struct pcapstore *s);

#endif
