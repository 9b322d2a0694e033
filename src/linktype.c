/*
 * linktype.c - the link-layer headers a capture may carry before IP:
 * Ethernet (with up to two VLAN tags), Linux cooked (v1, v2), BSD
 * loopback, and raw IP.
 */
#include <pcap/dlt.h>

#include "linktype.h"
#include "wire.h"

#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88a8

static int ip_by_ethertype(unsigned int type, int offset)
{
	if (type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6)
		return offset;
	return LINKTYPE_NOT_IP;
}

static int ip_by_version(const uint8_t *frame, size_t caplen, int offset)
{
	unsigned int v;

	if (caplen <= (size_t)offset)
		return LINKTYPE_NOT_IP;
	v = frame[offset] >> 4;
	return v == 4 || v == 6 ? offset : LINKTYPE_NOT_IP;
}

int linktype_ip_offset(int dlt, const uint8_t *frame, size_t caplen)
{
	size_t off;
	unsigned int type;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return LINKTYPE_NOT_IP;
		off = 12;
		type = wire_get16(frame + off);
		while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) {
			if (off >= 12 + 4 * LINKTYPE_VLAN_MAX)
				return LINKTYPE_VLAN_LIMIT;
			if (caplen < off + 6)
				return LINKTYPE_NOT_IP;
			off += 4;
			type = wire_get16(frame + off);
		}
		return ip_by_ethertype(type, (int)off + 2);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return ip_by_version(frame, caplen, 0);
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return LINKTYPE_NOT_IP;
		return ip_by_ethertype(wire_get16(frame + 14), 16);
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return LINKTYPE_NOT_IP;
		return ip_by_ethertype(wire_get16(frame), 20);
	case DLT_NULL:
	case DLT_LOOP:
		/* The family is in host or network order depending on the
		 * writer: the IP version nibble tells either way. */
		if (caplen < 4)
			return LINKTYPE_NOT_IP;
		return ip_by_version(frame, caplen, 4);
	default:
		return LINKTYPE_NOT_IP;
	}
}

int linktype_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
		return 1;
	default:
		return 0;
	}
}
