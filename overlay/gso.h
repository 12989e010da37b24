/*
 * TCP super-packets for a TUN with the virtio-net header (IFF_VNET_HDR):
 * cutting them up on the way out of the TUN, building them on the way in.
 * Pure code on caller buffers: no system call, no allocation per packet.
 *
 * Why.  One read() or write() on the TUN costs about as much as the
 * encryption of the 1,280-byte packet it carries.  With TSO offered on the
 * device (agent/tun-linux.c), the kernel's TCP hands meshd one super-packet
 * of up to 64 KB -- an IPv6 header, a TCP header and many segments' worth
 * of payload -- with a 10-byte header in front that says how to cut it
 * (gso_size) and where the checksum goes.  Each segment still travels as
 * its own IPv6 packet in its own session message, so the peer sees nothing
 * different.  On the receiving side the reverse: segments of one TCP flow
 * that arrive in order in one batch of datagrams are put back together and
 * written with one write(); the kernel takes that as if its own GRO had
 * built it.
 *
 * The header (virtio 1.0 section 5.1.6, "legacy" 10-byte form, in the
 * host's byte order as the TUN has it unless told otherwise):
 *   flags        NEEDS_CSUM: the checksum at csum_start + csum_offset holds
 *                only the pseudo-header's sum; the sum from csum_start to
 *                the end must be folded in
 *   gso_type     NONE, or TCPV6 (with the ECN bit when CWR must be kept
 *                to the first segment, which we always do)
 *   hdr_len      length of the headers: a hint only; we measure our own
 *   gso_size     payload bytes per segment
 *
 * Out (gso_split).  A GSO TCPV6 packet is cut into segments of gso_size
 * payload bytes: each a whole IPv6 packet with its payload length, its TCP
 * sequence number advanced, FIN and PSH on the last segment only, CWR on
 * the first only, and its TCP checksum computed over the pseudo-header.
 * Anything else is one packet; with NEEDS_CSUM its checksum is completed
 * first (any protocol: it is only a sum over a range, so TCP and UDP
 * alike).  The segments are built in place in the caller's buffer, each
 * header written over payload already handed on, so the payload is never
 * copied: emit() must use the bytes before it returns.  Refused, counted
 * and not emitted: a header that does not fit the buffer, checksum
 * offsets out of range, gso_size 0, a GSO type other than TCPV6, and for
 * TCPV6 anything but IPv6 followed directly by TCP with consistent
 * lengths (extension headers are not walked: the kernel's TCP sends
 * none).
 *
 * In (gso_coal).  Packets from one receive batch go through
 * gso_coal_add(); gso_coal_flush() ends the batch.  An IPv6 TCP segment
 * with payload, flags ACK (PSH allowed) and a right checksum joins the
 * super-packet of its flow when it continues it exactly: same addresses,
 * ports, traffic class, flow label, hop limit, ACK number, window and
 * options, the next sequence number, no more payload than the first
 * segment, and room left under GSO_PKT_MAX.  A short segment or one with
 * PSH ends its super-packet.  Everything else is written on its own (with
 * a zeroed header) -- after whatever its own flow had gathered, so no
 * flow is reordered.  A super-packet of one segment is written untouched;
 * of several, with gso_type TCPV6, gso_size the first segment's payload,
 * NEEDS_CSUM and the pseudo-header's sum in the checksum field, which is
 * what the kernel's TCP itself puts in a packet it hands to a device with
 * checksum offload.  Up to GSO_COAL_FLOWS flows are gathered at once;
 * one more flushes the oldest.
 *
 * Trusted checksums (gso_coal_trust_csum).  The check of each segment's
 * checksum is a sum over every byte received, a tenth of the receiver's
 * own work besides the AEAD.  When every packet given to the coalescer
 * has just been opened by the AEAD, the check can only catch a fault of
 * the sending meshd itself (which computed that checksum in gso_split, or
 * took it from its kernel): the AEAD already rules out any change on the
 * way, and the peer could send any bytes it likes with a right checksum.
 * So the caller may say the checksums are to be trusted, and segments
 * then join without the check -- what WireGuard does when it marks every
 * decrypted packet CHECKSUM_UNNECESSARY.  Packets written on their own
 * are untouched either way, and the kernel still checks those.
 */
#ifndef MESH_GSO_H
#define MESH_GSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GSO_VNET_HLEN		10
#define GSO_F_NEEDS_CSUM	1
#define GSO_F_DATA_VALID	2
#define GSO_TYPE_NONE		0
#define GSO_TYPE_TCPV4		1
#define GSO_TYPE_UDP		3
#define GSO_TYPE_TCPV6		4
#define GSO_TYPE_ECN		0x80

/* The largest packet either way, without the virtio-net header: what an
 * IPv6 payload length and the kernel's GSO limit both allow. */
#define GSO_PKT_MAX		65535
#define GSO_COAL_FLOWS		8

struct gso_vnet {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

void gso_vnet_get(struct gso_vnet *v, const uint8_t b[static GSO_VNET_HLEN]);
void gso_vnet_put(const struct gso_vnet *v, uint8_t b[static GSO_VNET_HLEN]);

enum gso_err {
	GSO_OK = 0,
	GSO_E_SHORT,		/* shorter than the vnet header, or than IPv6+TCP */
	GSO_E_CSUM,		/* csum_start/csum_offset beyond the packet */
	GSO_E_TYPE,		/* a GSO type other than TCPV6 */
	GSO_E_SIZE,		/* gso_size 0 */
	GSO_E_PROTO,		/* TCPV6 but not IPv6 + TCP right after */
	GSO_E_LEN,		/* IPv6 payload length or TCP data offset wrong */
	GSO_E_MAX
};

struct gso_counters {
	/* out: from the TUN */
	uint64_t split_in;	/* GSO packets read */
	uint64_t split_segs;	/* segments they were cut into */
	uint64_t csum_done;	/* checksums completed (NEEDS_CSUM, no GSO) */
	uint64_t drop[GSO_E_MAX];	/* refused, by enum gso_err */
	/* in: to the TUN */
	uint64_t coal_segs;	/* segments that went into a super-packet */
	uint64_t coal_writes;	/* super-packets of two or more written */
	uint64_t coal_single;	/* packets written on their own */
};

/* Packets out of gso_split(): valid only during the call. */
typedef void gso_emit_fn(void *ctx, const uint8_t *pkt, size_t len);

/* buf: the virtio-net header and the packet, len bytes in all.  The
 * number of packets emitted, or -enum gso_err (counted in c->drop). */
int gso_split(uint8_t *buf, size_t len, gso_emit_fn *emit, void *ctx,
    struct gso_counters *c);

/* One write to the TUN: the header, then the packet. */
typedef void gso_write_fn(void *ctx, const uint8_t vnet[GSO_VNET_HLEN],
    const uint8_t *pkt, size_t len);

struct gso_flow {
	size_t len;		/* bytes in buf; 0: free */
	size_t thl;		/* TCP header length */
	uint32_t next_seq;	/* what the next segment must start with */
	uint16_t mss;		/* payload of the first segment */
	uint16_t segs;
	bool closed;		/* a short or PSH segment came: no more */
	uint64_t born;		/* for choosing the oldest */
	uint8_t buf[GSO_PKT_MAX];
};

struct gso_coal {
	gso_write_fn *write;
	void *ctx;
	struct gso_counters *c;
	uint64_t clock;
	bool trust_csum;	/* segments join without their checksum checked */
	struct gso_flow flow[GSO_COAL_FLOWS];
};

/* co (about half a megabyte: allocate it once) starts empty, checking
 * every segment's checksum. */
void gso_coal_init(struct gso_coal *co, gso_write_fn *write, void *ctx,
    struct gso_counters *c);
/* Only for packets that an AEAD has authenticated (see above). */
void gso_coal_trust_csum(struct gso_coal *co, bool trust);
/* One IP packet for the TUN; it may be written now, or at the flush. */
void gso_coal_add(struct gso_coal *co, const uint8_t *pkt, size_t len);
/* Write everything gathered. */
void gso_coal_flush(struct gso_coal *co);

#endif
