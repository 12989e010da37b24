/*
 * IP packets as the data plane sees them: header checks for what the TUN
 * (or a peer) hands us, and the ICMPv6 errors we write back into the TUN.
 * Pure code on caller buffers: no allocation, no clock, no socket.
 *
 * Parsing.  ippkt_parse() takes a buffer and says whether it holds one
 * well-formed IPv6 or IPv4 packet: the version nibble, the header and
 * total lengths against the buffer (bytes after the total length are
 * padding the caller may ignore; a packet longer than its buffer is
 * refused), for IPv4 the IHL and the header checksum.  For IPv6 it walks
 * the extension headers that may precede the upper layer (hop-by-hop,
 * routing, fragment, destination options; at most IPPKT_MAX_EXT of them)
 * so that the ICMP rules below can tell an ICMPv6 error from anything
 * else; when it cannot (a non-first fragment, a chain cut short by the
 * buffer, an unknown header) `upper_known` is false.  Source, destination
 * and the other fields point into / are copied from the buffer.
 *
 * ICMPv6 errors (RFC 4443).  ippkt_icmp6_unreach() builds a Destination
 * Unreachable (code 0 "no route", 3 "address unreachable") and
 * ippkt_icmp6_too_big() a Packet Too Big carrying an MTU, in reply to an
 * IPv6 packet: destination = the offending packet's source, source = the
 * address the caller gives (the node's own overlay address), as much of
 * the offending packet as fits in IPPKT_ICMP_MAX (1280) bytes, the
 * checksum over the pseudo-header.  Both return 0, and write nothing that
 * matters, when RFC 4443 2.4(e) forbids an error: the offending packet is
 * itself an ICMPv6 error (or may be: upper layer unknown), its source is
 * unspecified or multicast, or (Destination Unreachable only: 2.4(e.3)
 * makes Packet Too Big the exception) its destination is multicast.  They
 * also return 0 for a packet that does not parse, for IPv4, and when the
 * output buffer is smaller than IPPKT_ICMP_MIN.  Callers rate-limit with
 * ippkt_ratelimit (2.4(f)), a token bucket driven by a millisecond clock
 * they pass in.
 */
#ifndef MESH_IPPKT_H
#define MESH_IPPKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPPKT_IP6_HLEN		40
#define IPPKT_IP4_HLEN		20	/* without options */
#define IPPKT_ICMP6_HLEN	8
#define IPPKT_MAX_EXT		8	/* extension headers walked, at most */

/* An ICMPv6 error never exceeds the IPv6 minimum MTU (RFC 4443 2.4(c)). */
#define IPPKT_ICMP_MAX		1280
/* ...and is not built into less than its headers plus the offending
 * packet's IPv6 header. */
#define IPPKT_ICMP_MIN		(IPPKT_IP6_HLEN + IPPKT_ICMP6_HLEN + \
	IPPKT_IP6_HLEN)

#define IPPKT_PROTO_ICMP6	58
#define IPPKT_ICMP6_UNREACH	1
#define IPPKT_ICMP6_TOO_BIG	2
#define IPPKT_UNREACH_NOROUTE	0
#define IPPKT_UNREACH_ADDR	3
/* The smallest MTU a Packet Too Big may announce (RFC 8200 section 5). */
#define IPPKT_MIN_MTU		1280

enum ippkt_err {
	IPPKT_OK = 0,
	IPPKT_SHORT,		/* buffer shorter than the fixed header */
	IPPKT_VERSION,		/* version nibble is neither 4 nor 6 */
	IPPKT_HDRLEN,		/* IPv4 IHL < 5 or beyond the buffer */
	IPPKT_LENGTH,		/* total length beyond the buffer, or < header */
	IPPKT_CHECKSUM,		/* IPv4 header checksum wrong */
};

struct ippkt {
	uint8_t version;	/* 4 or 6 */
	uint8_t nexthdr;	/* v6 Next Header / v4 Protocol, as in the header */
	uint8_t hop_limit;	/* v6 Hop Limit / v4 TTL */
	uint8_t addr_len;	/* 16 or 4 */
	const uint8_t *src, *dst;	/* into the buffer, addr_len bytes */
	size_t hdr_len;		/* the fixed header (v4: with options) */
	size_t total_len;	/* header + payload, <= the buffer */
	bool upper_known;	/* upper_proto and upper_off are valid */
	uint8_t upper_proto;	/* after the v6 extension headers */
	size_t upper_off;	/* offset of the upper-layer header */
	bool fragment;		/* v6 Fragment header or v4 MF/offset set */
	/* The upper layer is ICMPv6 and is (or, cut short, may be) an error
	 * message, type < 128. */
	bool icmp6_error;
};

/* IPPKT_OK and *p filled, or the reason the packet is refused. */
enum ippkt_err ippkt_parse(const uint8_t *pkt, size_t len, struct ippkt *p);
const char *ippkt_strerror(enum ippkt_err e);

bool ippkt_addr6_multicast(const uint8_t a[static 16]);
bool ippkt_addr6_unspecified(const uint8_t a[static 16]);

/* The Internet checksum (RFC 1071).  ippkt_csum_add() adds len bytes to a
 * running sum (an odd len pads with a zero byte, so only the last piece
 * may be odd); ippkt_csum_fold() folds it and takes the complement. */
uint64_t ippkt_csum_add(uint64_t sum, const uint8_t *data, size_t len);
uint16_t ippkt_csum_fold(uint64_t sum);
uint16_t ippkt_csum(const uint8_t *data, size_t len);
/* Checksum of an upper-layer message under the IPv6 pseudo-header
 * (RFC 8200 8.1).  Over a message whose checksum field is filled in, the
 * result is 0 when that checksum is right. */
uint16_t ippkt_csum6(const uint8_t src[static 16], const uint8_t dst[static 16],
    uint8_t proto, const uint8_t *msg, size_t len);

/* Whether RFC 4443 allows an ICMPv6 error of this type in reply to p. */
bool ippkt_icmp6_allowed(const struct ippkt *p, uint8_t type);

/* Build the error into out (outlen bytes); the length written, or 0 when
 * no error may or can be sent (see above). */
size_t ippkt_icmp6_unreach(uint8_t *out, size_t outlen, const uint8_t *pkt,
    size_t len, const uint8_t src[static 16], uint8_t code);
size_t ippkt_icmp6_too_big(uint8_t *out, size_t outlen, const uint8_t *pkt,
    size_t len, const uint8_t src[static 16], uint32_t mtu);

/* Token bucket for ICMP errors: `rate` tokens a second, at most `burst`
 * saved up; starts full.  Time is the caller's monotonic milliseconds; a
 * clock that steps back refills nothing. */
struct ippkt_ratelimit {
	uint64_t last_ms;
	uint64_t milli;		/* tokens * 1000 */
	uint32_t rate, burst;
};

void ippkt_ratelimit_init(struct ippkt_ratelimit *rl, uint32_t rate,
    uint32_t burst, uint64_t now_ms);
/* True (and one token spent) when an error may go out now. */
bool ippkt_ratelimit_take(struct ippkt_ratelimit *rl, uint64_t now_ms);

#endif
