/*
 * show.h - one gap's story: its records, the packets around it from its
 * pcap, the retransmissions and their back-off, the conntrack events and
 * the probe the record carries, and what to do next.
 */
#ifndef GAPWATCH_SHOW_H
#define GAPWATCH_SHOW_H

#include <stdio.h>

/*
 * show_gap - find the records of gap id in files and print its story to
 * f. max_packets: packets listed at most. Returns GW_EXIT_OK, or
 * GW_EXIT_READ (a file could not be read, or no such gap), with the
 * messages on stderr.
 */
int show_gap(FILE *f, const char *id, const char *const *files,
	     unsigned int nfiles, unsigned int max_packets);

/*
 * show_client - one player's story: every gap of client address addr
 * (any port) in files, in time order, with each one's cause, outcome and
 * the port it came back from. Returns GW_EXIT_OK, GW_EXIT_USAGE (addr is
 * no address) or GW_EXIT_READ (a file could not be read, or no gap of
 * that client), with the messages on stderr.
 */
int show_client(FILE *f, const char *addr, const char *const *files,
		unsigned int nfiles);

#endif
