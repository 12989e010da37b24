/*
 * TCP segmentation out of the TUN and coalescing into it: see gso.h for
 * the contract.
 *
 * Every length used is checked against the bytes there before use; the
 * header's hdr_len is never trusted (the kernel has filled it with the
 * linear part of its buffer rather than the headers' length at times).
 * Checksums are summed 32 bits at a time, which is what keeps a 64 KB
 * super-packet cheap; gso_sum() gives the same one's-complement sum as
 * ippkt_csum_add(), so the two mix.
 */
#include "config.h"

#include <string.h>

#include "gso.h"
#include "bytes.h"
#include "ippkt.h"

#define IP6_HLEN	40
#define TCP_HLEN	20
#define PROTO_TCP	6
#define TCP_CSUM_OFF	16

/* TCP flags (byte 13 of the header) */
#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10
#define TH_URG	0x20
#define TH_ECE	0x40
#define TH_CWR	0x80

void
gso_vnet_get(struct gso_vnet *v, const uint8_t b[static GSO_VNET_HLEN])
{
	v->flags = b[0];
	v->gso_type = b[1];
	memcpy(&v->hdr_len, b + 2, 2);
	memcpy(&v->gso_size, b + 4, 2);
	memcpy(&v->csum_start, b + 6, 2);
	memcpy(&v->csum_offset, b + 8, 2);
}

void
gso_vnet_put(const struct gso_vnet *v, uint8_t b[static GSO_VNET_HLEN])
{
	b[0] = v->flags;
	b[1] = v->gso_type;
	memcpy(b + 2, &v->hdr_len, 2);
	memcpy(b + 4, &v->gso_size, 2);
	memcpy(b + 6, &v->csum_start, 2);
	memcpy(b + 8, &v->csum_offset, 2);
}

/* The one's-complement sum of data as big-endian 16-bit words (an odd
 * tail padded with zero), folded to 16 bits.  Native words are summed;
 * a sum of byte-swapped words is the byte-swapped sum (RFC 1071 2(B)),
 * so one swap at the end makes it big-endian.  The bulk goes 64 bits at
 * a time into two sums, each counting its own carries (2^64 is 1 in a
 * sum of 16-bit words modulo 65535): two independent chains of adds,
 * which is what keeps the checksum of a 64 KB super-packet cheap. */
static uint64_t
gso_sum(const uint8_t *data, size_t len)
{
	uint64_t s0 = 0, s1 = 0, c0 = 0, c1 = 0, sum, w0, w1;
	uint32_t w;
	size_t i;

	for (i = 0; i + 16 <= len; i += 16) {
		memcpy(&w0, data + i, 8);
		memcpy(&w1, data + i + 8, 8);
		c0 += __builtin_add_overflow(s0, w0, &s0);
		c1 += __builtin_add_overflow(s1, w1, &s1);
	}
	sum = (s0 & 0xffffffff) + (s0 >> 32) + (s1 & 0xffffffff) +
	    (s1 >> 32) + c0 + c1;
	for (; i + 4 <= len; i += 4) {
		memcpy(&w, data + i, 4);
		sum += w;
	}
	if (i < len) {
		uint8_t tail[4] = { 0 };
		memcpy(tail, data + i, len - i);
		memcpy(&w, tail, 4);
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	sum = (sum >> 8 | sum << 8) & 0xffff;
#endif
	return sum;
}

/* The IPv6 pseudo-header's sum for TCP of len bytes (RFC 8200 8.1). */
static uint64_t
pseudo_sum(const uint8_t *ip6, size_t len)
{
	uint64_t sum = gso_sum(ip6 + 8, 32);

	return sum + (len >> 16) + (len & 0xffff) + PROTO_TCP;
}

static uint16_t
fold(uint64_t sum)
{
	return (uint16_t)~ippkt_csum_fold(sum);
}

/* --- out of the TUN --------------------------------------------------------- */

static int
refuse(struct gso_counters *c, enum gso_err e)
{
	c->drop[e]++;
	return -(int)e;
}

/* Complete a NEEDS_CSUM checksum: the field holds the pseudo-header's
 * sum; fold in the rest.  0 becomes 0xffff (the same value in one's
 * complement), since UDP reads 0 as "no checksum". */
static void
csum_complete(uint8_t *pkt, size_t len, size_t start, size_t off)
{
	uint16_t s = ippkt_csum_fold(gso_sum(pkt + start, len - start));

	put_be16(pkt + start + off, s == 0 ? 0xffff : s);
}

/* Segment i of the super-packet: the saved headers (hl bytes, TCP at
 * IP6_HLEN) written in front of its payload, fixed up, emitted. */
static void
segment(uint8_t *pkt, const uint8_t *hdr, size_t hl, size_t off,
    size_t seglen, uint32_t seq, bool first, bool last, gso_emit_fn *emit,
    void *ctx)
{
	uint8_t *s = pkt + off - hl, *th = s + IP6_HLEN;
	uint64_t sum;

	memcpy(s, hdr, hl);
	put_be16(s + 4, (uint16_t)(hl - IP6_HLEN + seglen));
	put_be32(th + 4, seq);
	if (!last)
		th[13] &= (uint8_t)~(TH_FIN | TH_PSH);
	if (!first)
		th[13] &= (uint8_t)~TH_CWR;
	th[TCP_CSUM_OFF] = th[TCP_CSUM_OFF + 1] = 0;
	sum = pseudo_sum(s, hl - IP6_HLEN + seglen) +
	    gso_sum(th, hl - IP6_HLEN + seglen);
	put_be16(th + TCP_CSUM_OFF, ippkt_csum_fold(sum));
	emit(ctx, s, hl + seglen);
}

int
gso_split(uint8_t *buf, size_t len, gso_emit_fn *emit, void *ctx,
    struct gso_counters *c)
{
	uint8_t hdr[IP6_HLEN + 60], *pkt = buf + GSO_VNET_HLEN;
	struct gso_vnet v;
	size_t plen, hl, off;
	uint32_t seq;
	int n;

	if (len < GSO_VNET_HLEN)
		return refuse(c, GSO_E_SHORT);
	gso_vnet_get(&v, buf);
	plen = len - GSO_VNET_HLEN;
	if ((v.flags & GSO_F_NEEDS_CSUM) &&
	    ((size_t)v.csum_start + v.csum_offset + 2 > plen))
		return refuse(c, GSO_E_CSUM);
	if (v.gso_type == GSO_TYPE_NONE) {
		if (v.flags & GSO_F_NEEDS_CSUM) {
			csum_complete(pkt, plen, v.csum_start, v.csum_offset);
			c->csum_done++;
		}
		emit(ctx, pkt, plen);
		return 1;
	}
	if ((v.gso_type & ~GSO_TYPE_ECN) != GSO_TYPE_TCPV6)
		return refuse(c, GSO_E_TYPE);
	if (v.gso_size == 0)
		return refuse(c, GSO_E_SIZE);
	if (plen < IP6_HLEN + TCP_HLEN)
		return refuse(c, GSO_E_SHORT);
	if (pkt[0] >> 4 != 6 || pkt[6] != PROTO_TCP)
		return refuse(c, GSO_E_PROTO);
	hl = IP6_HLEN + (size_t)(pkt[IP6_HLEN + 12] >> 4) * 4;
	if (get_be16(pkt + 4) != plen - IP6_HLEN || hl < IP6_HLEN + TCP_HLEN ||
	    hl > plen)
		return refuse(c, GSO_E_LEN);
	if ((v.flags & GSO_F_NEEDS_CSUM) &&
	    (v.csum_start != IP6_HLEN || v.csum_offset != TCP_CSUM_OFF))
		return refuse(c, GSO_E_CSUM);

	memcpy(hdr, pkt, hl);
	seq = get_be32(hdr + IP6_HLEN + 4);
	c->split_in++;
	n = 0;
	for (off = hl; ; off += v.gso_size) {
		size_t seglen = plen - off < v.gso_size ? plen - off : v.gso_size;
		bool last = off + seglen == plen;
		segment(pkt, hdr, hl, off, seglen, seq, n == 0, last, emit, ctx);
		seq += (uint32_t)seglen;
		n++;
		if (last)
			break;
	}
	c->split_segs += (uint64_t)n;
	return n;
}

/* --- into the TUN ----------------------------------------------------------- */

void
gso_coal_init(struct gso_coal *co, gso_write_fn *write, void *ctx,
    struct gso_counters *c)
{
	co->write = write;
	co->ctx = ctx;
	co->c = c;
	co->clock = 0;
	co->trust_csum = false;
	for (size_t i = 0; i < GSO_COAL_FLOWS; i++)
		co->flow[i].len = 0;
}

void
gso_coal_trust_csum(struct gso_coal *co, bool trust)
{
	co->trust_csum = trust;
}

static const uint8_t zero_vnet[GSO_VNET_HLEN];

static void
write_single(struct gso_coal *co, const uint8_t *pkt, size_t len)
{
	co->c->coal_single++;
	co->write(co->ctx, zero_vnet, pkt, len);
}

static void
flow_flush(struct gso_coal *co, struct gso_flow *f)
{
	struct gso_vnet v;
	uint8_t vh[GSO_VNET_HLEN], *th = f->buf + IP6_HLEN;

	if (f->len == 0)
		return;
	if (f->segs == 1) {
		write_single(co, f->buf, f->len);
		f->len = 0;
		return;
	}
	put_be16(f->buf + 4, (uint16_t)(f->len - IP6_HLEN));
	put_be16(th + TCP_CSUM_OFF, fold(pseudo_sum(f->buf,
	    f->len - IP6_HLEN)));
	memset(&v, 0, sizeof(v));
	v.flags = GSO_F_NEEDS_CSUM;
	v.gso_type = GSO_TYPE_TCPV6;
	v.hdr_len = (uint16_t)(IP6_HLEN + f->thl);
	v.gso_size = f->mss;
	v.csum_start = IP6_HLEN;
	v.csum_offset = TCP_CSUM_OFF;
	gso_vnet_put(&v, vh);
	co->c->coal_segs += f->segs;
	co->c->coal_writes++;
	co->write(co->ctx, vh, f->buf, f->len);
	f->len = 0;
}

void
gso_coal_flush(struct gso_coal *co)
{
	for (size_t i = 0; i < GSO_COAL_FLOWS; i++)
		flow_flush(co, &co->flow[i]);
}

/* Same addresses and ports: the flow's slot. */
static struct gso_flow *
flow_find(struct gso_coal *co, const uint8_t *pkt)
{
	for (size_t i = 0; i < GSO_COAL_FLOWS; i++) {
		struct gso_flow *f = &co->flow[i];
		if (f->len != 0 && memcmp(f->buf + 8, pkt + 8, 36) == 0)
			return f;
	}
	return NULL;
}

/* Whether pkt (TCP header thl bytes, payload bytes after it) continues
 * f exactly.  The IPv6 header up to the payload length (version, traffic
 * class, flow label) and from the next header on, and the TCP header but
 * for the sequence number, flags' PSH and checksum, must be the same. */
static bool
continues(const struct gso_flow *f, const uint8_t *pkt, size_t thl,
    size_t payload)
{
	const uint8_t *a = f->buf + IP6_HLEN, *b = pkt + IP6_HLEN;

	return !f->closed && thl == f->thl && payload <= f->mss &&
	    f->len + payload <= GSO_PKT_MAX &&
	    get_be32(b + 4) == f->next_seq &&
	    memcmp(f->buf, pkt, 4) == 0 && memcmp(f->buf + 6, pkt + 6, 2) == 0 &&
	    memcmp(a + 8, b + 8, 5) == 0 &&		/* ack, data offset */
	    (a[13] & ~TH_PSH) == (b[13] & ~TH_PSH) &&
	    memcmp(a + 14, b + 14, 2) == 0 &&		/* window */
	    memcmp(a + 18, b + 18, thl - 18) == 0;	/* urgent, options */
}

static void
flow_start(struct gso_coal *co, struct gso_flow *f, const uint8_t *pkt,
    size_t len, size_t thl, size_t payload)
{
	memcpy(f->buf, pkt, len);
	f->len = len;
	f->thl = thl;
	f->mss = (uint16_t)payload;
	f->segs = 1;
	f->next_seq = get_be32(pkt + IP6_HLEN + 4) + (uint32_t)payload;
	f->closed = (pkt[IP6_HLEN + 13] & TH_PSH) != 0;
	f->born = ++co->clock;
}

static struct gso_flow *
flow_free_slot(struct gso_coal *co)
{
	struct gso_flow *old = &co->flow[0];

	for (size_t i = 0; i < GSO_COAL_FLOWS; i++) {
		if (co->flow[i].len == 0)
			return &co->flow[i];
		if (co->flow[i].born < old->born)
			old = &co->flow[i];
	}
	flow_flush(co, old);
	return old;
}

void
gso_coal_add(struct gso_coal *co, const uint8_t *pkt, size_t len)
{
	struct gso_flow *f;
	size_t thl, payload;
	uint8_t flags;

	/* IPv6 right before TCP, lengths that agree: perhaps a segment. */
	if (len < IP6_HLEN + TCP_HLEN || len > GSO_PKT_MAX ||
	    pkt[0] >> 4 != 6 || pkt[6] != PROTO_TCP ||
	    get_be16(pkt + 4) != len - IP6_HLEN) {
		write_single(co, pkt, len);
		return;
	}
	thl = (size_t)(pkt[IP6_HLEN + 12] >> 4) * 4;
	if (thl < TCP_HLEN || IP6_HLEN + thl > len) {
		write_single(co, pkt, len);
		return;
	}
	payload = len - IP6_HLEN - thl;
	flags = pkt[IP6_HLEN + 13];
	f = flow_find(co, pkt);
	/* Only data with plain ACK (and PSH) is gathered, and only when its
	 * checksum is right (or trusted): the super-packet's is not checked
	 * again. */
	if (payload == 0 || (flags & ~TH_PSH) != TH_ACK ||
	    (!co->trust_csum && ippkt_csum_fold(pseudo_sum(pkt,
	    len - IP6_HLEN) + gso_sum(pkt + IP6_HLEN, len - IP6_HLEN)) != 0)) {
		if (f != NULL)
			flow_flush(co, f);
		write_single(co, pkt, len);
		return;
	}
	if (f != NULL && continues(f, pkt, thl, payload)) {
		memcpy(f->buf + f->len, pkt + IP6_HLEN + thl, payload);
		f->len += payload;
		f->segs++;
		f->next_seq += (uint32_t)payload;
		f->buf[IP6_HLEN + 13] |= flags & TH_PSH;
		if (payload < f->mss || (flags & TH_PSH))
			f->closed = true;
		return;
	}
	if (f != NULL)
		flow_flush(co, f);
	else
		f = flow_free_slot(co);
	flow_start(co, f, pkt, len, thl, payload);
}
