/*
 * Big-endian integers in packet headers (IPv6, TCP, UDP, ICMPv6), read and
 * written a byte at a time: no alignment or aliasing assumptions about the
 * buffer.  For ippkt.c and gso.c.
 */
#ifndef MESH_BYTES_H
#define MESH_BYTES_H

#include <stdint.h>

static inline uint16_t
get_be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t
get_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

static inline void
put_be16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void
put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

#endif
