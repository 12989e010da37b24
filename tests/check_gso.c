/*
 * Unit tests for overlay/gso.c: cutting TCP super-packets from the TUN
 * into segments, completing checksums, and gathering segments back into
 * super-packets for it.
 *
 * Checksums are checked with ref_csum6() below, an independent RFC 1071
 * sum over a pseudo-header built byte by byte, not with ippkt.c or gso.c.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/gso.h"

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_PSH	0x08
#define TH_ACK	0x10
#define TH_CWR	0x80

static const uint8_t src6[16] = { 0xfd, 0x6d, 0, 1, 0, 2, 0, 3,
	0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t dst6[16] = { 0xfd, 0x6d, 0, 1, 0, 2, 0, 4,
	0, 0, 0, 0, 0, 0, 0, 2 };

/* --- an independent checksum ---------------------------------------------- */

/* RFC 1071 over pseudo-header (RFC 8200 8.1) + msg; 0 when msg's
 * checksum field is right. */
static uint16_t
ref_csum6(const uint8_t *ip6, uint8_t proto, const uint8_t *msg, size_t len)
{
	static uint8_t b[70000];
	size_t n = 0;
	uint32_t sum = 0;

	memcpy(b, ip6 + 8, 32);
	b[32] = (uint8_t)(len >> 24);
	b[33] = (uint8_t)(len >> 16);
	b[34] = (uint8_t)(len >> 8);
	b[35] = (uint8_t)len;
	b[36] = b[37] = b[38] = 0;
	b[39] = proto;
	memcpy(b + 40, msg, len);
	n = 40 + len;
	if (n & 1)
		b[n++] = 0;
	for (size_t i = 0; i < n; i += 2) {
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)~sum;
}

static uint32_t
be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

static uint16_t
be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* --- packets ---------------------------------------------------------------- */

/* IPv6 + TCP (20 bytes, or 32 with a timestamp option) + payload bytes
 * numbered from seq, with its full checksum; the length. */
static size_t
tcp6(uint8_t *p, size_t payload, uint32_t seq, uint8_t flags, bool ts,
    uint16_t sport)
{
	size_t thl = ts ? 32 : 20, len = 40 + thl + payload;
	uint8_t *th = p + 40;
	uint16_t c;

	memset(p, 0, 40 + thl);
	p[0] = 0x60;
	p[4] = (uint8_t)((thl + payload) >> 8);
	p[5] = (uint8_t)(thl + payload);
	p[6] = 6;
	p[7] = 64;
	memcpy(p + 8, src6, 16);
	memcpy(p + 24, dst6, 16);
	th[0] = (uint8_t)(sport >> 8);
	th[1] = (uint8_t)sport;
	th[2] = 0x1f;
	th[3] = 0x90;
	th[4] = (uint8_t)(seq >> 24);
	th[5] = (uint8_t)(seq >> 16);
	th[6] = (uint8_t)(seq >> 8);
	th[7] = (uint8_t)seq;
	th[8] = 0x11;			/* ack 0x11223344 */
	th[9] = 0x22;
	th[10] = 0x33;
	th[11] = 0x44;
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = flags;
	th[14] = 0x01;			/* window */
	th[15] = 0xf5;
	if (ts) {
		th[20] = 1;		/* NOP NOP TS */
		th[21] = 1;
		th[22] = 8;
		th[23] = 10;
		th[27] = 0x42;
		th[31] = 0x17;
	}
	for (size_t i = 0; i < payload; i++)
		th[thl + i] = (uint8_t)((seq + i) * 7 + 3);
	c = ref_csum6(p, 6, th, thl + payload);
	th[16] = (uint8_t)(c >> 8);
	th[17] = (uint8_t)c;
	return len;
}

/* The pseudo-header's sum, not complemented: what NEEDS_CSUM expects in
 * the checksum field (at off) of an upper layer of len bytes. */
static void
put_partial(uint8_t *pkt, uint8_t proto, size_t off, size_t len)
{
	uint32_t s = proto + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);

	for (size_t i = 8; i < 40; i += 2)
		s += (uint32_t)(pkt[i] << 8 | pkt[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	pkt[off] = (uint8_t)(s >> 8);
	pkt[off + 1] = (uint8_t)s;
}

/* The TCP checksum again, after a header field was changed. */
static void
recsum(uint8_t *p, size_t len)
{
	uint16_t c;

	p[56] = p[57] = 0;
	c = ref_csum6(p, 6, p + 40, len - 40);
	p[56] = (uint8_t)(c >> 8);
	p[57] = (uint8_t)c;
}

static void
vnet(uint8_t *b, uint8_t flags, uint8_t type, uint16_t gso_size,
    uint16_t cs, uint16_t co)
{
	struct gso_vnet v = { .flags = flags, .gso_type = type, .hdr_len = 0,
		.gso_size = gso_size, .csum_start = cs, .csum_offset = co };

	gso_vnet_put(&v, b);
}

/* --- what comes out --------------------------------------------------------- */

#define OUT_MAX 200
static uint8_t outbuf[OUT_MAX][GSO_VNET_HLEN + GSO_PKT_MAX];
static size_t outlen[OUT_MAX];
static size_t nout;

static void
emit(void *ctx, const uint8_t *pkt, size_t len)
{
	(void)ctx;
	ck_assert_uint_lt(nout, OUT_MAX);
	memcpy(outbuf[nout], pkt, len);
	outlen[nout++] = len;
}

/* Written to the TUN: the vnet header, then the packet. */
static void
tunw(void *ctx, const uint8_t vh[GSO_VNET_HLEN], const uint8_t *pkt,
    size_t len)
{
	(void)ctx;
	ck_assert_uint_lt(nout, OUT_MAX);
	memcpy(outbuf[nout], vh, GSO_VNET_HLEN);
	memcpy(outbuf[nout] + GSO_VNET_HLEN, pkt, len);
	outlen[nout++] = GSO_VNET_HLEN + len;
}

static uint8_t in[GSO_VNET_HLEN + GSO_PKT_MAX];
static uint8_t orig[GSO_PKT_MAX];
static struct gso_counters cnt;
static struct gso_coal co;

static void
setup(void)
{
	nout = 0;
	memset(&cnt, 0, sizeof(cnt));
	gso_coal_init(&co, tunw, NULL, &cnt);
}

/* A super-packet of `payload` bytes from the TUN: vnet header in front,
 * the TCP checksum field holding the pseudo-header's sum. */
static size_t
super(size_t payload, uint16_t gso_size, uint8_t flags, bool ts)
{
	size_t len = tcp6(in + GSO_VNET_HLEN, payload, 1000, flags, ts, 40000);

	memcpy(orig, in + GSO_VNET_HLEN, len);
	put_partial(in + GSO_VNET_HLEN, 6, 56, len - 40);
	vnet(in, GSO_F_NEEDS_CSUM, GSO_TYPE_TCPV6, gso_size, 40, 16);
	return GSO_VNET_HLEN + len;
}

/* --- split ------------------------------------------------------------------- */

START_TEST(split_segments)
{
	size_t len = super(3500, 1000, TH_ACK | TH_PSH | TH_FIN | TH_CWR, true);
	size_t thl = 32;

	ck_assert_int_eq(gso_split(in, len, emit, NULL, &cnt), 4);
	ck_assert_uint_eq(nout, 4);
	for (size_t i = 0; i < 4; i++) {
		const uint8_t *s = outbuf[i], *th = s + 40;
		size_t pl = i < 3 ? 1000 : 500;
		ck_assert_uint_eq(outlen[i], 40 + thl + pl);
		ck_assert_uint_eq(be16(s + 4), thl + pl);
		ck_assert_uint_eq(be32(th + 4), 1000 + 1000 * i);
		ck_assert_uint_eq(ref_csum6(s, 6, th, thl + pl), 0);
		ck_assert(th[13] & TH_ACK);
		ck_assert_int_eq(!!(th[13] & TH_CWR), i == 0);
		ck_assert_int_eq(!!(th[13] & TH_PSH), i == 3);
		ck_assert_int_eq(!!(th[13] & TH_FIN), i == 3);
		/* headers as the original's but for length, seq, flags, csum */
		ck_assert_mem_eq(s, orig, 4);
		ck_assert_mem_eq(s + 6, orig + 6, 34);
		ck_assert_mem_eq(th + 8, orig + 48, 5);
		ck_assert_mem_eq(th + 14, orig + 54, 2);
		ck_assert_mem_eq(th + 18, orig + 58, thl - 18);
		ck_assert_mem_eq(th + thl, orig + 40 + thl + 1000 * i, pl);
	}
	ck_assert_uint_eq(cnt.split_in, 1);
	ck_assert_uint_eq(cnt.split_segs, 4);
}
END_TEST

START_TEST(split_exact_and_small)
{
	size_t len = super(3000, 1000, TH_ACK, false);

	ck_assert_int_eq(gso_split(in, len, emit, NULL, &cnt), 3);
	ck_assert_uint_eq(outlen[2], 40 + 20 + 1000);
	nout = 0;
	/* payload under gso_size: one segment, checksum filled in */
	len = super(700, 1000, TH_ACK | TH_PSH, false);
	ck_assert_int_eq(gso_split(in, len, emit, NULL, &cnt), 1);
	ck_assert_uint_eq(outlen[0], len - GSO_VNET_HLEN);
	ck_assert_mem_eq(outbuf[0], orig, outlen[0]);
	/* gso_size 1: one byte a segment */
	nout = 0;
	len = super(50, 1, TH_ACK, false);
	ck_assert_int_eq(gso_split(in, len, emit, NULL, &cnt), 50);
	ck_assert_uint_eq(ref_csum6(outbuf[49], 6, outbuf[49] + 40, 21), 0);
}
END_TEST

START_TEST(split_largest)
{
	/* the most the kernel hands over: 64 KB, mss 1208 */
	size_t payload = GSO_PKT_MAX - 40 - 32, n = (payload + 1207) / 1208;
	size_t len = super(payload, 1208, TH_ACK, true);

	ck_assert_int_eq(gso_split(in, len, emit, NULL, &cnt), (int)n);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(ref_csum6(outbuf[i], 6, outbuf[i] + 40,
		    outlen[i] - 40), 0);
}
END_TEST

START_TEST(csum_complete_tcp_udp)
{
	uint8_t *p = in + GSO_VNET_HLEN;
	size_t len = tcp6(p, 333, 5, TH_ACK | TH_PSH, true, 1);

	/* TCP: the field holds the pseudo-header sum only */
	memcpy(orig, p, len);
	put_partial(p, 6, 56, len - 40);
	vnet(in, GSO_F_NEEDS_CSUM, GSO_TYPE_NONE, 0, 40, 16);
	ck_assert_int_eq(gso_split(in, GSO_VNET_HLEN + len, emit, NULL, &cnt), 1);
	ck_assert_mem_eq(outbuf[0], orig, len);
	ck_assert_uint_eq(cnt.csum_done, 1);

	/* UDP, odd length */
	nout = 0;
	len = 40 + 8 + 101;
	memset(p, 0, len);
	p[0] = 0x60;
	p[5] = 8 + 101;
	p[6] = 17;
	p[7] = 64;
	memcpy(p + 8, src6, 16);
	memcpy(p + 24, dst6, 16);
	p[40] = 0x30;
	p[43] = 53;
	p[45] = 8 + 101;
	for (size_t i = 48; i < len; i++)
		p[i] = (uint8_t)(i * 13);
	put_partial(p, 17, 46, len - 40);
	vnet(in, GSO_F_NEEDS_CSUM, GSO_TYPE_NONE, 0, 40, 6);
	ck_assert_int_eq(gso_split(in, GSO_VNET_HLEN + len, emit, NULL, &cnt), 1);
	ck_assert_uint_eq(ref_csum6(outbuf[0], 17, outbuf[0] + 40, len - 40), 0);
	ck_assert(be16(outbuf[0] + 46) != 0);

	/* no NEEDS_CSUM, no GSO: as it came */
	nout = 0;
	len = tcp6(p, 10, 5, TH_ACK, false, 1);
	memcpy(orig, p, len);
	vnet(in, 0, GSO_TYPE_NONE, 0, 0, 0);
	ck_assert_int_eq(gso_split(in, GSO_VNET_HLEN + len, emit, NULL, &cnt), 1);
	ck_assert_mem_eq(outbuf[0], orig, len);
}
END_TEST

/* Refused: nothing emitted, the reason counted. */
static void
refused(size_t len, enum gso_err e)
{
	uint64_t before = cnt.drop[e];

	nout = 0;
	ck_assert_int_eq(gso_split(in, len, emit, NULL, &cnt), -(int)e);
	ck_assert_uint_eq(nout, 0);
	ck_assert_uint_eq(cnt.drop[e], before + 1);
}

START_TEST(split_malformed)
{
	size_t len;

	refused(9, GSO_E_SHORT);
	len = super(3000, 1000, TH_ACK, false);
	in[1] = GSO_TYPE_TCPV4;
	refused(len, GSO_E_TYPE);
	in[1] = GSO_TYPE_UDP;
	refused(len, GSO_E_TYPE);
	in[1] = 5;			/* UDP_L4 */
	refused(len, GSO_E_TYPE);

	len = super(3000, 0, TH_ACK, false);
	refused(len, GSO_E_SIZE);

	len = super(3000, 1000, TH_ACK, false);
	vnet(in, GSO_F_NEEDS_CSUM, GSO_TYPE_TCPV6, 1000, 40, 17);
	refused(len, GSO_E_CSUM);
	vnet(in, GSO_F_NEEDS_CSUM, GSO_TYPE_TCPV6, 1000, 0xffff, 0xffff);
	refused(len, GSO_E_CSUM);
	vnet(in, GSO_F_NEEDS_CSUM, GSO_TYPE_NONE, 0,
	    (uint16_t)(len - GSO_VNET_HLEN - 1), 0);
	refused(len, GSO_E_CSUM);
	vnet(in, GSO_F_NEEDS_CSUM, GSO_TYPE_NONE, 0, 40,
	    (uint16_t)(len - GSO_VNET_HLEN - 41));
	refused(len, GSO_E_CSUM);
	vnet(in, GSO_F_NEEDS_CSUM, GSO_TYPE_TCPV6, 1000, 40, 16);

	/* a hop-by-hop header before TCP: not walked */
	in[GSO_VNET_HLEN + 6] = 0;
	refused(len, GSO_E_PROTO);
	in[GSO_VNET_HLEN + 6] = 6;
	in[GSO_VNET_HLEN] = 0x45;	/* IPv4 under TCPV6 */
	refused(len, GSO_E_PROTO);
	in[GSO_VNET_HLEN] = 0x60;
	/* lengths that disagree */
	in[GSO_VNET_HLEN + 5]++;
	refused(len, GSO_E_LEN);
	in[GSO_VNET_HLEN + 5]--;
	refused(len - 1, GSO_E_LEN);
	in[GSO_VNET_HLEN + 52] = 0x40;	/* data offset 4 */
	refused(len, GSO_E_LEN);
	/* data offset past the packet */
	len = super(0, 1000, TH_ACK, false);
	in[GSO_VNET_HLEN + 52] = 0xf0;
	refused(len, GSO_E_LEN);
	refused(GSO_VNET_HLEN + 40 + 19, GSO_E_SHORT);
}
END_TEST

/* --- coalesce ---------------------------------------------------------------- */

static uint8_t segs[64][1600];
static size_t seglen[64];

/* n segments of one flow, mss bytes each (the last `last` bytes) */
static void
make_flow(size_t n, size_t mss, size_t last, uint32_t seq, uint8_t lastflags,
    uint16_t sport)
{
	for (size_t i = 0; i < n; i++)
		seglen[i] = tcp6(segs[i], i + 1 == n ? last : mss,
		    seq + (uint32_t)(mss * i), i + 1 == n ? lastflags : TH_ACK,
		    true, sport);
}

/* Split what the coalescer wrote (it is vnet + packet, as read from a
 * TUN) and expect the segments given. */
static void
split_back(size_t w, size_t first, size_t n)
{
	static uint8_t back[GSO_VNET_HLEN + GSO_PKT_MAX];
	size_t mark = nout, len = outlen[w];

	memcpy(back, outbuf[w], len);
	ck_assert_int_eq(gso_split(back, len, emit, NULL, &cnt), (int)n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(outlen[mark + i], seglen[first + i]);
		ck_assert_mem_eq(outbuf[mark + i], segs[first + i],
		    seglen[first + i]);
	}
	nout = mark;
}

START_TEST(coalesce_and_back)
{
	struct gso_vnet v;
	const uint8_t *p;

	make_flow(10, 1208, 500, 77, TH_ACK | TH_PSH, 40000);
	for (size_t i = 0; i < 10; i++)
		gso_coal_add(&co, segs[i], seglen[i]);
	ck_assert_uint_eq(nout, 0);
	gso_coal_flush(&co);
	ck_assert_uint_eq(nout, 1);
	gso_vnet_get(&v, outbuf[0]);
	ck_assert_uint_eq(v.flags, GSO_F_NEEDS_CSUM);
	ck_assert_uint_eq(v.gso_type, GSO_TYPE_TCPV6);
	ck_assert_uint_eq(v.gso_size, 1208);
	ck_assert_uint_eq(v.hdr_len, 72);
	ck_assert_uint_eq(v.csum_start, 40);
	ck_assert_uint_eq(v.csum_offset, 16);
	p = outbuf[0] + GSO_VNET_HLEN;
	ck_assert_uint_eq(outlen[0], GSO_VNET_HLEN + 72 + 9 * 1208 + 500);
	ck_assert_uint_eq(be16(p + 4), 32 + 9 * 1208 + 500);
	ck_assert_uint_eq(be32(p + 44), 77);
	ck_assert_uint_eq(p[53], TH_ACK | TH_PSH);
	ck_assert_uint_eq(cnt.coal_segs, 10);
	ck_assert_uint_eq(cnt.coal_writes, 1);
	split_back(0, 0, 10);
}
END_TEST

START_TEST(coalesce_partial_csum)
{
	uint8_t *p;
	size_t l;
	uint32_t s = 0;
	uint16_t c;

	make_flow(3, 1000, 1000, 1, TH_ACK, 5);
	for (size_t i = 0; i < 3; i++)
		gso_coal_add(&co, segs[i], seglen[i]);
	gso_coal_flush(&co);
	ck_assert_uint_eq(nout, 1);
	p = outbuf[0] + GSO_VNET_HLEN;
	l = outlen[0] - GSO_VNET_HLEN;
	/* What the kernel does with NEEDS_CSUM: sum from csum_start to the
	 * end (the field included), complement, store.  The result must
	 * then be the right checksum. */
	for (size_t i = 40; i + 1 < l; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	c = (uint16_t)~s;
	p[56] = (uint8_t)(c >> 8);
	p[57] = (uint8_t)c;
	ck_assert_uint_eq(ref_csum6(p, 6, p + 40, l - 40), 0);
}
END_TEST

START_TEST(coalesce_breaks)
{
	/* a gap in sequence: two super-packets */
	make_flow(6, 1000, 1000, 1, TH_ACK, 7);
	for (size_t i = 3; i < 6; i++)
		seglen[i] = tcp6(segs[i], 1000, 1 + 1000 * (uint32_t)i + 1, TH_ACK,
		    true, 7);
	for (size_t i = 0; i < 6; i++)
		gso_coal_add(&co, segs[i], seglen[i]);
	gso_coal_flush(&co);
	ck_assert_uint_eq(nout, 2);
	split_back(0, 0, 3);
	split_back(1, 3, 3);

	/* a short segment ends it; one more after it starts another */
	setup();
	make_flow(5, 1000, 1000, 1, TH_ACK, 7);
	seglen[2] = tcp6(segs[2], 400, 2001, TH_ACK, true, 7);
	seglen[3] = tcp6(segs[3], 1000, 2401, TH_ACK, true, 7);
	seglen[4] = tcp6(segs[4], 1000, 3401, TH_ACK, true, 7);
	for (size_t i = 0; i < 5; i++)
		gso_coal_add(&co, segs[i], seglen[i]);
	gso_coal_flush(&co);
	ck_assert_uint_eq(nout, 2);
	split_back(0, 0, 3);
	split_back(1, 3, 2);

	/* PSH ends it too */
	setup();
	make_flow(4, 1000, 1000, 1, TH_ACK, 7);
	seglen[1] = tcp6(segs[1], 1000, 1001, TH_ACK | TH_PSH, true, 7);
	for (size_t i = 0; i < 4; i++)
		gso_coal_add(&co, segs[i], seglen[i]);
	gso_coal_flush(&co);
	ck_assert_uint_eq(nout, 2);
	split_back(0, 0, 2);
	split_back(1, 2, 2);

	/* a bigger segment after the first: not the same size */
	setup();
	seglen[0] = tcp6(segs[0], 500, 1, TH_ACK, true, 7);
	seglen[1] = tcp6(segs[1], 1000, 501, TH_ACK, true, 7);
	gso_coal_add(&co, segs[0], seglen[0]);
	gso_coal_add(&co, segs[1], seglen[1]);
	gso_coal_flush(&co);
	ck_assert_uint_eq(nout, 2);
	ck_assert_mem_eq(outbuf[0] + GSO_VNET_HLEN, segs[0], seglen[0]);
	ck_assert_mem_eq(outbuf[1] + GSO_VNET_HLEN, segs[1], seglen[1]);
	ck_assert_uint_eq(cnt.coal_single, 2);
}
END_TEST

START_TEST(coalesce_singles_keep_order)
{
	static const uint8_t zero[GSO_VNET_HLEN];

	/* FIN after data of the same flow: the data first, then the FIN */
	make_flow(4, 1000, 1000, 1, TH_ACK, 9);
	seglen[3] = tcp6(segs[3], 10, 3001, TH_ACK | TH_FIN, true, 9);
	for (size_t i = 0; i < 4; i++)
		gso_coal_add(&co, segs[i], seglen[i]);
	ck_assert_uint_eq(nout, 2);
	split_back(0, 0, 3);
	ck_assert_mem_eq(outbuf[1], zero, GSO_VNET_HLEN);
	ck_assert_mem_eq(outbuf[1] + GSO_VNET_HLEN, segs[3], seglen[3]);

	/* a pure ACK, a bad checksum, a window change: each a single, after
	 * the flow's data */
	setup();
	make_flow(2, 1000, 1000, 1, TH_ACK, 9);
	seglen[2] = tcp6(segs[2], 0, 2001, TH_ACK, true, 9);
	gso_coal_add(&co, segs[0], seglen[0]);
	gso_coal_add(&co, segs[1], seglen[1]);
	gso_coal_add(&co, segs[2], seglen[2]);
	ck_assert_uint_eq(nout, 2);
	split_back(0, 0, 2);

	setup();
	make_flow(3, 1000, 1000, 1, TH_ACK, 9);
	segs[2][100] ^= 1;		/* payload flipped, checksum not */
	for (size_t i = 0; i < 3; i++)
		gso_coal_add(&co, segs[i], seglen[i]);
	ck_assert_uint_eq(nout, 2);
	split_back(0, 0, 2);
	ck_assert_mem_eq(outbuf[1] + GSO_VNET_HLEN, segs[2], seglen[2]);
	gso_coal_flush(&co);
	ck_assert_uint_eq(nout, 2);

	setup();
	make_flow(3, 1000, 1000, 1, TH_ACK, 9);
	segs[2][55] ^= 1;		/* window */
	recsum(segs[2], seglen[2]);
	for (size_t i = 0; i < 3; i++)
		gso_coal_add(&co, segs[i], seglen[i]);
	gso_coal_flush(&co);
	ck_assert_uint_eq(nout, 2);
	split_back(0, 0, 2);

	/* not TCP: written at once, zeroed header */
	setup();
	seglen[0] = tcp6(segs[0], 100, 1, TH_ACK, false, 9);
	segs[0][6] = 17;
	gso_coal_add(&co, segs[0], seglen[0]);
	ck_assert_uint_eq(nout, 1);
	ck_assert_mem_eq(outbuf[0], zero, GSO_VNET_HLEN);
	ck_assert_mem_eq(outbuf[0] + GSO_VNET_HLEN, segs[0], seglen[0]);
}
END_TEST

/* Trusted checksums (after an AEAD): a segment whose payload changed
 * under its checksum joins all the same, and the super-packet carries the
 * pseudo-header's sum as always; the default checks, as above. */
START_TEST(coalesce_trusted_csum)
{
	struct gso_vnet v;

	gso_coal_trust_csum(&co, true);
	make_flow(3, 1000, 1000, 1, TH_ACK, 9);
	segs[2][100] ^= 1;		/* payload flipped, checksum not */
	for (size_t i = 0; i < 3; i++)
		gso_coal_add(&co, segs[i], seglen[i]);
	ck_assert_uint_eq(nout, 0);
	gso_coal_flush(&co);
	ck_assert_uint_eq(nout, 1);
	gso_vnet_get(&v, outbuf[0]);
	ck_assert_uint_eq(v.gso_type, GSO_TYPE_TCPV6);
	ck_assert_uint_eq(v.flags, GSO_F_NEEDS_CSUM);
	ck_assert_uint_eq(cnt.coal_segs, 3);
	ck_assert_mem_eq(outbuf[0] + GSO_VNET_HLEN + 40 + 32 + 2000,
	    segs[2] + 40 + 32, 1000);

	/* off again: the flipped segment is a single once more */
	setup();
	make_flow(3, 1000, 1000, 1, TH_ACK, 9);
	segs[2][100] ^= 1;
	for (size_t i = 0; i < 3; i++)
		gso_coal_add(&co, segs[i], seglen[i]);
	gso_coal_flush(&co);
	ck_assert_uint_eq(nout, 2);
	ck_assert_uint_eq(cnt.coal_single, 1);
}
END_TEST

START_TEST(coalesce_flows)
{
	/* two flows interleaved: one super-packet each */
	static uint8_t a[8][1600], b[8][1600];
	size_t la[8], lb[8];
	struct gso_vnet v;

	for (size_t i = 0; i < 8; i++) {
		la[i] = tcp6(a[i], 1000, 1 + 1000 * (uint32_t)i, TH_ACK, true, 100);
		lb[i] = tcp6(b[i], 900, 5 + 900 * (uint32_t)i, TH_ACK, true, 200);
		gso_coal_add(&co, a[i], la[i]);
		gso_coal_add(&co, b[i], lb[i]);
	}
	gso_coal_flush(&co);
	ck_assert_uint_eq(nout, 2);
	gso_vnet_get(&v, outbuf[0]);
	ck_assert_uint_eq(v.gso_size, 1000);
	gso_vnet_get(&v, outbuf[1]);
	ck_assert_uint_eq(v.gso_size, 900);

	/* more flows than slots: the oldest goes out, nothing is lost */
	setup();
	for (uint16_t f = 0; f < GSO_COAL_FLOWS + 3; f++)
		for (size_t i = 0; i < 2; i++) {
			seglen[0] = tcp6(segs[0], 800, 1 + 800 * (uint32_t)i,
			    TH_ACK, false, (uint16_t)(1000 + f));
			gso_coal_add(&co, segs[0], seglen[0]);
		}
	ck_assert_uint_eq(nout, 3);
	gso_coal_flush(&co);
	ck_assert_uint_eq(nout, GSO_COAL_FLOWS + 3);
	ck_assert_uint_eq(cnt.coal_segs, 2 * (GSO_COAL_FLOWS + 3));
}
END_TEST

START_TEST(coalesce_64k)
{
	/* 60 segments of 1208: no super-packet over GSO_PKT_MAX */
	size_t total = 0;

	for (size_t i = 0; i < 60; i++) {
		seglen[0] = tcp6(segs[0], 1208, 1 + 1208 * (uint32_t)i, TH_ACK,
		    true, 3);
		gso_coal_add(&co, segs[0], seglen[0]);
	}
	gso_coal_flush(&co);
	ck_assert_uint_eq(nout, 2);
	for (size_t w = 0; w < nout; w++) {
		ck_assert_uint_le(outlen[w] - GSO_VNET_HLEN, GSO_PKT_MAX);
		total += (outlen[w] - GSO_VNET_HLEN - 72) / 1208;
	}
	ck_assert_uint_eq(total, 60);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("gso");
	TCase *tc = tcase_create("gso");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, split_segments);
	tcase_add_test(tc, split_exact_and_small);
	tcase_add_test(tc, split_largest);
	tcase_add_test(tc, csum_complete_tcp_udp);
	tcase_add_test(tc, split_malformed);
	tcase_add_test(tc, coalesce_and_back);
	tcase_add_test(tc, coalesce_partial_csum);
	tcase_add_test(tc, coalesce_breaks);
	tcase_add_test(tc, coalesce_singles_keep_order);
	tcase_add_test(tc, coalesce_trusted_csum);
	tcase_add_test(tc, coalesce_flows);
	tcase_add_test(tc, coalesce_64k);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
