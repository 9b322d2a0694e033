/*
 * linktype.h - where the IP packet starts in a captured frame, by the
 * capture's link type (a DLT_* number of <pcap/dlt.h>). Pure: no libpcap
 * call, so that the reader and the replay source share it without the
 * engine.
 */
#ifndef GAPWATCH_LINKTYPE_H
#define GAPWATCH_LINKTYPE_H

#include <stddef.h>
#include <stdint.h>

/* linktype_supported - 1 when linktype_ip_offset knows dlt, else 0. */
int linktype_supported(int dlt);

/*
 * linktype_ip_offset - where the IP header starts in a frame of link type
 * dlt (caplen bytes captured), or -1 when the frame carries no IPv4/IPv6
 * or the type is unknown.
 */
int linktype_ip_offset(int dlt, const uint8_t *frame, size_t caplen);

#endif
