/*
 * fuzz_config - libFuzzer harness: gapwatchd's configuration file of any
 * content (gapwatchd -n -c FILE -p 7781), as the option table reads it.
 * Must refuse what is bad with a message, never crash or read past a
 * line, and leave the configuration consistent when it accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	char path[64];
	char *argv[] = { "gapwatchd", "-n", "-c", path, "-p", "7781", NULL };

	if (memfd < 0)
		memfd = memfd_create("fuzz_config", 0);
	if (memfd < 0 || ftruncate(memfd, 0) < 0 ||
	    pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	if (config_load(&cfg, 6, argv) == 0) {
		/* Accepted: what the daemon relies on must hold. */
		if (cfg.ports.count == 0 || cfg.queue_count == 0 ||
		    cfg.queue_count > QUEUES_MAX || cfg.engine.max_flows == 0)
			abort();
	}
	return 0;
}
