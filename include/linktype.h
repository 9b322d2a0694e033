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

/* More VLAN tags than an Ethernet frame of ours may carry (802.1Q, QinQ). */
#define LINKTYPE_VLAN_MAX	2
#define LINKTYPE_NOT_IP		(-1)	/* no IPv4/IPv6 in it, or unknown type */
#define LINKTYPE_VLAN_LIMIT	(-2)	/* more than LINKTYPE_VLAN_MAX tags */

/*
 * linktype_ip_offset - where the IP header starts in a frame of link type
 * dlt (caplen bytes captured), or LINKTYPE_NOT_IP, or LINKTYPE_VLAN_LIMIT
 * (told apart: a stack of tags may be hostile, and is counted as such).
 */
int linktype_ip_offset(int dlt, const uint8_t *frame, size_t caplen);

#endif
