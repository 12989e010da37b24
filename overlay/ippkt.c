/*
 * IP header checks, the Internet checksum, ICMPv6 errors and their rate
 * limit: see ippkt.h for the contract.
 *
 * Everything here runs once per packet, so it touches only the buffers it
 * is given and allocates nothing.  The parser trusts no length field: each
 * one is checked against the bytes actually there before it is used, and
 * the extension-header walk is bounded both by those bytes and by
 * IPPKT_MAX_EXT, so a hostile chain costs a few comparisons.
 */
#include "config.h"

#include <string.h>

#include "bytes.h"
#include "ippkt.h"

/* IPv6 extension headers that may come before the upper layer
 * (RFC 8200 4.1; AH from RFC 4302). */
enum {
	NH_HOPOPTS = 0,
	NH_ROUTING = 43,
	NH_FRAGMENT = 44,
	NH_AH = 51,
	NH_DSTOPTS = 60,
};

#define ICMP_HOP_LIMIT	64

uint64_t
ippkt_csum_add(uint64_t sum, const uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get_be16(data + i);
	if (len & 1)
		sum += (uint64_t)data[len - 1] << 8;
	return sum;
}

uint16_t
ippkt_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t
ippkt_csum(const uint8_t *data, size_t len)
{
	return ippkt_csum_fold(ippkt_csum_add(0, data, len));
}

uint16_t
ippkt_csum6(const uint8_t src[static 16], const uint8_t dst[static 16],
    uint8_t proto, const uint8_t *msg, size_t len)
{
	uint64_t sum = 0;

	/* src, dst, upper-layer length (32 bits), 3 zero bytes, next header */
	sum = ippkt_csum_add(sum, src, 16);
	sum = ippkt_csum_add(sum, dst, 16);
	sum += (uint64_t)(len >> 16) + (len & 0xffff);
	sum += proto;
	return ippkt_csum_fold(ippkt_csum_add(sum, msg, len));
}

bool
ippkt_addr6_multicast(const uint8_t a[static 16])
{
	return a[0] == 0xff;
}

bool
ippkt_addr6_unspecified(const uint8_t a[static 16])
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

/* Find the upper layer behind the extension headers of p's IPv6 packet.
 * Leaves upper_known false when it cannot be told from these bytes. */
static void
walk6(const uint8_t *pkt, struct ippkt *p)
{
	size_t off = IPPKT_IP6_HLEN, hlen;
	uint8_t nh = p->nexthdr;
	int i;

	for (i = 0; i <= IPPKT_MAX_EXT; i++) {
		switch (nh) {
		case NH_HOPOPTS:
		case NH_ROUTING:
		case NH_DSTOPTS:
		case NH_AH:
		case NH_FRAGMENT:
			break;
		default:
			p->upper_known = true;
			p->upper_proto = nh;
			p->upper_off = off;
			if (nh == IPPKT_PROTO_ICMP6)
				p->icmp6_error = off >= p->total_len ||
				    pkt[off] < 128;
			return;
		}
		if (i == IPPKT_MAX_EXT || p->total_len - off < 8)
			return;
		if (nh == NH_FRAGMENT) {
			p->fragment = true;
			/* A non-first fragment holds no upper header. */
			if ((get_be16(pkt + off + 2) & 0xfff8) != 0)
				return;
			hlen = 8;
		} else if (nh == NH_AH) {
			hlen = ((size_t)pkt[off + 1] + 2) * 4;
		} else {
			hlen = ((size_t)pkt[off + 1] + 1) * 8;
		}
		if (hlen > p->total_len - off)
			return;
		nh = pkt[off];
		off += hlen;
	}
}

static enum ippkt_err
parse6(const uint8_t *pkt, size_t len, struct ippkt *p)
{
	size_t plen;

	if (len < IPPKT_IP6_HLEN)
		return IPPKT_SHORT;
	/* Payload length 0 would be a jumbogram (RFC 2675), which needs
	 * links far beyond any MTU here: read as the header alone. */
	plen = get_be16(pkt + 4);
	if (plen > len - IPPKT_IP6_HLEN)
		return IPPKT_LENGTH;
	p->version = 6;
	p->nexthdr = pkt[6];
	p->hop_limit = pkt[7];
	p->addr_len = 16;
	p->src = pkt + 8;
	p->dst = pkt + 24;
	p->hdr_len = IPPKT_IP6_HLEN;
	p->total_len = IPPKT_IP6_HLEN + plen;
	walk6(pkt, p);
	return IPPKT_OK;
}

static enum ippkt_err
parse4(const uint8_t *pkt, size_t len, struct ippkt *p)
{
	size_t ihl, tot;
	uint16_t frag;

	if (len < IPPKT_IP4_HLEN)
		return IPPKT_SHORT;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	if (ihl < IPPKT_IP4_HLEN || ihl > len)
		return IPPKT_HDRLEN;
	tot = get_be16(pkt + 2);
	if (tot < ihl || tot > len)
		return IPPKT_LENGTH;
	if (ippkt_csum(pkt, ihl) != 0)
		return IPPKT_CHECKSUM;
	frag = get_be16(pkt + 6);
	p->version = 4;
	p->nexthdr = pkt[9];
	p->hop_limit = pkt[8];
	p->addr_len = 4;
	p->src = pkt + 12;
	p->dst = pkt + 16;
	p->hdr_len = ihl;
	p->total_len = tot;
	p->fragment = (frag & 0x3fff) != 0;	/* MF or an offset */
	if ((frag & 0x1fff) == 0) {
		p->upper_known = true;
		p->upper_proto = pkt[9];
		p->upper_off = ihl;
	}
	return IPPKT_OK;
}

enum ippkt_err
ippkt_parse(const uint8_t *pkt, size_t len, struct ippkt *p)
{
	memset(p, 0, sizeof(*p));
	if (len < 1)
		return IPPKT_SHORT;
	switch (pkt[0] >> 4) {
	case 6:
		return parse6(pkt, len, p);
	case 4:
		return parse4(pkt, len, p);
	default:
		return IPPKT_VERSION;
	}
}

const char *
ippkt_strerror(enum ippkt_err e)
{
	switch (e) {
	case IPPKT_OK:
		return "ok";
	case IPPKT_SHORT:
		return "shorter than an IP header";
	case IPPKT_VERSION:
		return "not IPv4 or IPv6";
	case IPPKT_HDRLEN:
		return "bad IPv4 header length";
	case IPPKT_LENGTH:
		return "length field beyond the packet";
	case IPPKT_CHECKSUM:
		return "bad IPv4 header checksum";
	}
	return "unknown error";
}

bool
ippkt_icmp6_allowed(const struct ippkt *p, uint8_t type)
{
	if (p->version != 6)
		return false;
	/* 2.4(e.6): the source must name one node. */
	if (ippkt_addr6_unspecified(p->src) || ippkt_addr6_multicast(p->src))
		return false;
	/* 2.4(e.3): multicast destinations get only Packet Too Big. */
	if (type != IPPKT_ICMP6_TOO_BIG && ippkt_addr6_multicast(p->dst))
		return false;
	/* 2.4(e.1): never an error about an error, nor about what might be
	 * one (a later fragment, a chain we could not follow). */
	return p->upper_known && !p->icmp6_error;
}

static size_t
icmp6_error(uint8_t *out, size_t outlen, const uint8_t *pkt, size_t len,
    const uint8_t src[static 16], uint8_t type, uint8_t code, uint32_t word)
{
	struct ippkt p;
	size_t cap, quote;
	uint16_t sum;

	if (ippkt_parse(pkt, len, &p) != IPPKT_OK ||
	    !ippkt_icmp6_allowed(&p, type) || outlen < IPPKT_ICMP_MIN)
		return 0;
	cap = outlen < IPPKT_ICMP_MAX ? outlen : IPPKT_ICMP_MAX;
	quote = p.total_len;	/* never the padding after the packet */
	if (quote > cap - IPPKT_IP6_HLEN - IPPKT_ICMP6_HLEN)
		quote = cap - IPPKT_IP6_HLEN - IPPKT_ICMP6_HLEN;

	/* IPv6 header: version 6, class 0, flow 0. */
	memset(out, 0, IPPKT_IP6_HLEN + IPPKT_ICMP6_HLEN);
	out[0] = 0x60;
	put_be16(out + 4, (uint16_t)(IPPKT_ICMP6_HLEN + quote));
	out[6] = IPPKT_PROTO_ICMP6;
	out[7] = ICMP_HOP_LIMIT;
	memcpy(out + 8, src, 16);
	memcpy(out + 24, p.src, 16);
	/* ICMPv6: type, code, checksum, then the unused / MTU word. */
	out[40] = type;
	out[41] = code;
	put_be32(out + 44, word);
	memcpy(out + IPPKT_IP6_HLEN + IPPKT_ICMP6_HLEN, pkt, quote);
	sum = ippkt_csum6(out + 8, out + 24, IPPKT_PROTO_ICMP6,
	    out + IPPKT_IP6_HLEN, IPPKT_ICMP6_HLEN + quote);
	put_be16(out + 42, sum);
	return IPPKT_IP6_HLEN + IPPKT_ICMP6_HLEN + quote;
}

size_t
ippkt_icmp6_unreach(uint8_t *out, size_t outlen, const uint8_t *pkt,
    size_t len, const uint8_t src[static 16], uint8_t code)
{
	return icmp6_error(out, outlen, pkt, len, src, IPPKT_ICMP6_UNREACH,
	    code, 0);
}

size_t
ippkt_icmp6_too_big(uint8_t *out, size_t outlen, const uint8_t *pkt,
    size_t len, const uint8_t src[static 16], uint32_t mtu)
{
	/* Below 1280 the sender could do nothing with it (RFC 8200 5):
	 * announce the minimum, and fragmenting below it is our job. */
	if (mtu < IPPKT_MIN_MTU)
		mtu = IPPKT_MIN_MTU;
	return icmp6_error(out, outlen, pkt, len, src, IPPKT_ICMP6_TOO_BIG,
	    0, mtu);
}

void
ippkt_ratelimit_init(struct ippkt_ratelimit *rl, uint32_t rate,
    uint32_t burst, uint64_t now_ms)
{
	rl->last_ms = now_ms;
	rl->rate = rate;
	rl->burst = burst;
	rl->milli = (uint64_t)burst * 1000;
}

bool
ippkt_ratelimit_take(struct ippkt_ratelimit *rl, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)rl->burst * 1000, dt;

	if (now_ms > rl->last_ms) {
		dt = now_ms - rl->last_ms;
		/* rate tokens a second = rate milli-tokens a millisecond;
		 * past a full bucket's worth of time the product is moot. */
		if (rl->rate == 0 || dt >= cap / rl->rate + 1)
			rl->milli = rl->rate ? cap : rl->milli;
		else
			rl->milli += dt * rl->rate;
		if (rl->milli > cap)
			rl->milli = cap;
		rl->last_ms = now_ms;
	}
	if (rl->milli < 1000)
		return false;
	rl->milli -= 1000;
	return true;
}
