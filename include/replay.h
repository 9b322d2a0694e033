/*
 * replay.h - feed a capture file to an engine, with the capture's clock.
 */
#ifndef GAPWATCH_REPLAY_H
#define GAPWATCH_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct replay_stats {
	uint64_t packets;
	uint64_t not_ip;		/* link-layer frames without IPv4/IPv6 */
	uint64_t time_backwards;	/* timestamps older than the last one */
	uint64_t time_invalid;		/* timestamps that name no time */
	uint64_t vlan_limit;		/* frames with too many VLAN tags */
	uint64_t first_us, last_us;
};

/*
 * replay_run - read path (pcap or pcapng) and run every packet through e,
 * ticking the engine's timers with the capture's timestamps. Does not
 * call engine_finish(). Returns 0, or -1 with a reason in err.
 */
int replay_run(const char *path, struct engine *e, struct replay_stats *st,
	       char *err, size_t errlen);

#endif
