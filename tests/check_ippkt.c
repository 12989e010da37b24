/*
 * Unit tests for overlay/ippkt.c: header checks, checksums, ICMPv6 errors
 * and their rate limit.
 *
 * The known answers were computed outside this code: the RFC 1071 and
 * IPv4 header examples by hand, the ICMPv6 checksums with Python's struct
 * (an independent RFC 1071 sum over pseudo-header + message):
 *
 *   echo = pack('!BBHHH', 128, 0, csum, 0x1234, 1) + b'ping'
 *   icmp = pack('!BBHI', type, code, 0, word) + pkt
 *   csum(me + src + pack('!IxxxB', len(icmp), 58) + icmp)
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/ippkt.h"

/* fd6d:1:2:3::1 -> fd6d:1:2:4::2, ICMPv6 echo request id 0x1234 seq 1
 * "ping", hop limit 64. */
static const uint8_t echo6[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x3a, 0x40,
	0xfd, 0x6d, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0xfd, 0x6d, 0x00, 0x01, 0x00, 0x02, 0x00, 0x04,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x80, 0x00, 0x93, 0xc7, 0x12, 0x34, 0x00, 0x01,
	0x70, 0x69, 0x6e, 0x67,
};
/* fd6d:1:2:3::ff, the node answering. */
static const uint8_t me[16] = {
	0xfd, 0x6d, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03,
	0, 0, 0, 0, 0, 0, 0, 0xff,
};

static uint8_t out[2048], out2[2048];

/* A UDP-over-IPv6 packet of total length len from echo6's addresses. */
static size_t
udp6(uint8_t *b, size_t len)
{
	memset(b, 0xab, len);
	memcpy(b, echo6, IPPKT_IP6_HLEN);
	b[4] = (uint8_t)((len - 40) >> 8);
	b[5] = (uint8_t)(len - 40);
	b[6] = 17;
	return len;
}

START_TEST(csum_rfc1071)
{
	/* RFC 1071 section 3: the sum is ddf2, the checksum its complement. */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5,
		0xf6, 0xf7 };

	ck_assert_uint_eq(ippkt_csum(b, sizeof(b)), 0x220d);
	/* In two pieces, the same. */
	ck_assert_uint_eq(ippkt_csum_fold(ippkt_csum_add(
	    ippkt_csum_add(0, b, 4), b + 4, 4)), 0x220d);
	/* An odd tail is padded with zero. */
	ck_assert_uint_eq(ippkt_csum(b, 3), (uint16_t)~(0x0001 + 0xf200));
	ck_assert_uint_eq(ippkt_csum(b, 0), 0xffff);
}
END_TEST

START_TEST(csum_ipv4_header)
{
	/* 192.168.0.1 -> 192.168.0.199, UDP, checksum b861. */
	uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
		0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
		0xc0, 0xa8, 0x00, 0xc7 };

	ck_assert_uint_eq(ippkt_csum(h, sizeof(h)), 0xb861);
	h[10] = 0xb8;
	h[11] = 0x61;
	ck_assert_uint_eq(ippkt_csum(h, sizeof(h)), 0);
}
END_TEST

START_TEST(csum6_echo)
{
	/* The echo's own checksum (93c7, from Python) verifies to 0. */
	ck_assert_uint_eq(ippkt_csum6(echo6 + 8, echo6 + 24, 58, echo6 + 40,
	    sizeof(echo6) - 40), 0);
}
END_TEST

START_TEST(parse_ipv6)
{
	struct ippkt p;

	ck_assert_int_eq(ippkt_parse(echo6, sizeof(echo6), &p), IPPKT_OK);
	ck_assert_uint_eq(p.version, 6);
	ck_assert_uint_eq(p.nexthdr, 58);
	ck_assert_uint_eq(p.hop_limit, 64);
	ck_assert_uint_eq(p.addr_len, 16);
	ck_assert_ptr_eq(p.src, echo6 + 8);
	ck_assert_ptr_eq(p.dst, echo6 + 24);
	ck_assert_uint_eq(p.total_len, sizeof(echo6));
	ck_assert(p.upper_known);
	ck_assert_uint_eq(p.upper_proto, 58);
	ck_assert_uint_eq(p.upper_off, 40);
	ck_assert(!p.icmp6_error);
	ck_assert(!p.fragment);
}
END_TEST

START_TEST(parse_truncated)
{
	struct ippkt p;
	uint8_t b[sizeof(echo6)];

	/* Every prefix of the packet is refused, never read past. */
	for (size_t n = 0; n < sizeof(echo6); n++) {
		uint8_t *c = malloc(n ? n : 1);

		memcpy(c, echo6, n);
		ck_assert_int_ne(ippkt_parse(c, n, &p), IPPKT_OK);
		ck_assert_int_eq(ippkt_parse(c, n, &p),
		    n < 40 ? IPPKT_SHORT : IPPKT_LENGTH);
		free(c);
	}
	/* Padding after the packet is allowed and not counted. */
	memcpy(b, echo6, sizeof(b));
	b[5] = 4;
	ck_assert_int_eq(ippkt_parse(b, sizeof(b), &p), IPPKT_OK);
	ck_assert_uint_eq(p.total_len, 44);
	/* Version nibble. */
	b[0] = 0x50;
	ck_assert_int_eq(ippkt_parse(b, sizeof(b), &p), IPPKT_VERSION);
	b[0] = 0x00;
	ck_assert_int_eq(ippkt_parse(b, sizeof(b), &p), IPPKT_VERSION);
	ck_assert_str_eq(ippkt_strerror(IPPKT_VERSION), "not IPv4 or IPv6");
}
END_TEST

START_TEST(parse_ipv4)
{
	uint8_t h[28] = { 0x45, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x40, 0x00,
		0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
		0xc0, 0xa8, 0x00, 0xc7 };
	struct ippkt p;
	uint16_t c;

	c = ippkt_csum(h, 20);
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
	ck_assert_int_eq(ippkt_parse(h, sizeof(h), &p), IPPKT_OK);
	ck_assert_uint_eq(p.version, 4);
	ck_assert_uint_eq(p.nexthdr, 17);
	ck_assert_uint_eq(p.hop_limit, 64);
	ck_assert_uint_eq(p.hdr_len, 20);
	ck_assert_uint_eq(p.total_len, 28);
	ck_assert_ptr_eq(p.src, h + 12);
	ck_assert(p.upper_known && p.upper_off == 20);
	ck_assert(!p.fragment);	/* DF alone is not a fragment */
	/* Too short, for the header and for the total length. */
	ck_assert_int_eq(ippkt_parse(h, 19, &p), IPPKT_SHORT);
	ck_assert_int_eq(ippkt_parse(h, 27, &p), IPPKT_LENGTH);
	/* The checksum. */
	h[8] = 63;
	ck_assert_int_eq(ippkt_parse(h, sizeof(h), &p), IPPKT_CHECKSUM);
	h[8] = 64;
	/* IHL below 5, and beyond the buffer. */
	h[0] = 0x44;
	ck_assert_int_eq(ippkt_parse(h, sizeof(h), &p), IPPKT_HDRLEN);
	h[0] = 0x4f;
	ck_assert_int_eq(ippkt_parse(h, sizeof(h), &p), IPPKT_HDRLEN);
}
END_TEST

START_TEST(ext_headers)
{
	uint8_t b[128];
	struct ippkt p;

	/* hop-by-hop (8) -> fragment (first, MF) -> UDP */
	udp6(b, 40 + 8 + 8 + 8);
	b[6] = 0;
	memset(b + 40, 0, 16);
	b[40] = 44;		/* next: fragment */
	b[41] = 0;		/* 8 bytes */
	b[48] = 17;		/* next: UDP */
	b[51] = 1;		/* offset 0, M=1 */
	ck_assert_int_eq(ippkt_parse(b, 64, &p), IPPKT_OK);
	ck_assert(p.upper_known);
	ck_assert_uint_eq(p.upper_proto, 17);
	ck_assert_uint_eq(p.upper_off, 56);
	ck_assert(p.fragment);
	ck_assert(ippkt_icmp6_allowed(&p, IPPKT_ICMP6_UNREACH));
	/* A later fragment: the upper layer cannot be told, so no error. */
	b[50] = 0x01;
	ck_assert_int_eq(ippkt_parse(b, 64, &p), IPPKT_OK);
	ck_assert(!p.upper_known);
	ck_assert(!ippkt_icmp6_allowed(&p, IPPKT_ICMP6_TOO_BIG));
	ck_assert_uint_eq(ippkt_icmp6_too_big(out, sizeof(out), b, 64, me,
	    1400), 0);
	/* An extension header longer than the packet. */
	b[50] = 0;
	b[41] = 9;
	ck_assert_int_eq(ippkt_parse(b, 64, &p), IPPKT_OK);
	ck_assert(!p.upper_known);
}
END_TEST

static void
check_reply(size_t n, const uint8_t *pkt, size_t quote, uint8_t type,
    uint8_t code)
{
	struct ippkt r;

	ck_assert_uint_eq(n, 48 + quote);
	ck_assert_int_eq(ippkt_parse(out, n, &r), IPPKT_OK);
	ck_assert_uint_eq(r.total_len, n);
	ck_assert_uint_eq(r.upper_proto, 58);
	ck_assert(r.icmp6_error);
	ck_assert_mem_eq(r.src, me, 16);
	ck_assert_mem_eq(r.dst, pkt + 8, 16);
	ck_assert_uint_eq(out[40], type);
	ck_assert_uint_eq(out[41], code);
	ck_assert_mem_eq(out + 48, pkt, quote);
	ck_assert_uint_eq(ippkt_csum6(r.src, r.dst, 58, out + 40, n - 40), 0);
	/* And never an error about this error. */
	ck_assert_uint_eq(ippkt_icmp6_unreach(out2, sizeof(out2), out, n,
	    me, 0), 0);
}

START_TEST(unreach_known_answer)
{
	size_t n;

	n = ippkt_icmp6_unreach(out, sizeof(out), echo6, sizeof(echo6), me,
	    IPPKT_UNREACH_NOROUTE);
	ck_assert_uint_eq(out[42], 0x68);
	ck_assert_uint_eq(out[43], 0x9b);
	ck_assert_uint_eq(out[7], 64);
	ck_assert_uint_eq(out[44] | out[45] | out[46] | out[47], 0);
	check_reply(n, echo6, sizeof(echo6), 1, 0);

	n = ippkt_icmp6_unreach(out, sizeof(out), echo6, sizeof(echo6), me,
	    IPPKT_UNREACH_ADDR);
	ck_assert_uint_eq(out[42], 0x68);
	ck_assert_uint_eq(out[43], 0x98);
	check_reply(n, echo6, sizeof(echo6), 1, 3);
}
END_TEST

START_TEST(too_big_known_answer)
{
	size_t n;

	n = ippkt_icmp6_too_big(out, sizeof(out), echo6, sizeof(echo6), me,
	    1400);
	ck_assert_uint_eq(out[42], 0x62);
	ck_assert_uint_eq(out[43], 0x23);
	ck_assert_uint_eq(out[44], 0);
	ck_assert_uint_eq(out[45], 0);
	ck_assert_uint_eq(out[46], 0x05);	/* 1400 = 0x578 */
	ck_assert_uint_eq(out[47], 0x78);
	check_reply(n, echo6, sizeof(echo6), 2, 0);
	/* Less than the IPv6 minimum is announced as the minimum. */
	ippkt_icmp6_too_big(out, sizeof(out), echo6, sizeof(echo6), me, 500);
	ck_assert_uint_eq(out[46] << 8 | out[47], 1280);
}
END_TEST

START_TEST(quote_bounded)
{
	static uint8_t big[9000];
	size_t n;

	/* A 1500-byte packet is quoted up to 1280 bytes in all. */
	udp6(big, 1500);
	n = ippkt_icmp6_too_big(out, sizeof(out), big, 1500, me, 1400);
	check_reply(n, big, 1280 - 48, 2, 0);
	/* Padding after the packet is not quoted. */
	udp6(big, 101);
	n = ippkt_icmp6_unreach(out, sizeof(out), big, sizeof(big), me, 0);
	check_reply(n, big, 101, 1, 0);
	/* A smaller output buffer bounds the quote too... */
	udp6(big, 1500);
	out[200] = 0x5a;
	n = ippkt_icmp6_unreach(out, 200, big, 1500, me, 0);
	check_reply(n, big, 200 - 48, 1, 0);
	ck_assert_uint_eq(out[200], 0x5a);
	/* ...down to a minimum, below which nothing is built. */
	ck_assert_uint_eq(ippkt_icmp6_unreach(out, IPPKT_ICMP_MIN, big, 1500,
	    me, 0), IPPKT_ICMP_MIN);
	ck_assert_uint_eq(ippkt_icmp6_unreach(out, IPPKT_ICMP_MIN - 1, big,
	    1500, me, 0), 0);
	/* A packet that does not parse gets nothing. */
	ck_assert_uint_eq(ippkt_icmp6_unreach(out, sizeof(out), big, 1499, me,
	    0), 0);
	ck_assert_uint_eq(ippkt_icmp6_unreach(out, sizeof(out), big, 39, me,
	    0), 0);
}
END_TEST

START_TEST(never_about_errors_or_groups)
{
	uint8_t b[sizeof(echo6)];

	/* An ICMPv6 error (type < 128) in the offending packet. */
	memcpy(b, echo6, sizeof(b));
	b[40] = 1;
	ck_assert_uint_eq(ippkt_icmp6_unreach(out, sizeof(out), b, sizeof(b),
	    me, 0), 0);
	ck_assert_uint_eq(ippkt_icmp6_too_big(out, sizeof(out), b, sizeof(b),
	    me, 1400), 0);
	/* An ICMPv6 header with no type byte may be an error. */
	memcpy(b, echo6, sizeof(b));
	b[5] = 0;
	ck_assert_uint_eq(ippkt_icmp6_unreach(out, sizeof(out), b, sizeof(b),
	    me, 0), 0);
	/* Informational types are fine (the echo above); so is an empty
	 * non-ICMP payload. */
	b[6] = 59;
	ck_assert_uint_ne(ippkt_icmp6_unreach(out, sizeof(out), b, sizeof(b),
	    me, 0), 0);
	/* Unspecified and multicast sources. */
	memcpy(b, echo6, sizeof(b));
	memset(b + 8, 0, 16);
	ck_assert_uint_eq(ippkt_icmp6_too_big(out, sizeof(out), b, sizeof(b),
	    me, 1400), 0);
	b[8] = 0xff;
	ck_assert_uint_eq(ippkt_icmp6_too_big(out, sizeof(out), b, sizeof(b),
	    me, 1400), 0);
	/* A multicast destination: Packet Too Big only (RFC 4443 2.4(e.3)). */
	memcpy(b, echo6, sizeof(b));
	b[24] = 0xff;
	b[25] = 0x02;
	ck_assert_uint_eq(ippkt_icmp6_unreach(out, sizeof(out), b, sizeof(b),
	    me, 0), 0);
	ck_assert_uint_ne(ippkt_icmp6_too_big(out, sizeof(out), b, sizeof(b),
	    me, 1400), 0);
}
END_TEST

START_TEST(no_icmp6_for_ipv4)
{
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x14, 0x00, 0x00, 0x40, 0x00,
		0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
		0xc0, 0xa8, 0x00, 0xc7 };
	uint16_t c = ippkt_csum(h, 20);

	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
	ck_assert_uint_eq(ippkt_icmp6_unreach(out, sizeof(out), h, sizeof(h),
	    me, 0), 0);
}
END_TEST

START_TEST(ratelimit)
{
	struct ippkt_ratelimit rl;
	int n;

	/* 10 a second, a burst of 3: three at once, then one each 100 ms. */
	ippkt_ratelimit_init(&rl, 10, 3, 1000);
	for (n = 0; n < 3; n++)
		ck_assert(ippkt_ratelimit_take(&rl, 1000));
	ck_assert(!ippkt_ratelimit_take(&rl, 1000));
	ck_assert(!ippkt_ratelimit_take(&rl, 1099));
	ck_assert(ippkt_ratelimit_take(&rl, 1100));
	ck_assert(!ippkt_ratelimit_take(&rl, 1150));
	/* A long quiet time fills the bucket only to the burst. */
	for (n = 0; ippkt_ratelimit_take(&rl, 1000000); n++)
		;
	ck_assert_int_eq(n, 3);
	/* A clock stepping back refills nothing. */
	ck_assert(!ippkt_ratelimit_take(&rl, 5));
	ck_assert(!ippkt_ratelimit_take(&rl, 1000000));
	ck_assert(ippkt_ratelimit_take(&rl, 1000100));
	/* Huge gaps and rates do not overflow. */
	ippkt_ratelimit_init(&rl, UINT32_MAX, UINT32_MAX, 0);
	ck_assert(ippkt_ratelimit_take(&rl, UINT64_MAX));
	/* Rate 0: the burst, then never again. */
	ippkt_ratelimit_init(&rl, 0, 1, 0);
	ck_assert(ippkt_ratelimit_take(&rl, 0));
	ck_assert(!ippkt_ratelimit_take(&rl, UINT64_MAX));
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("ippkt");
	TCase *tc = tcase_create("ippkt");

	tcase_add_test(tc, csum_rfc1071);
	tcase_add_test(tc, csum_ipv4_header);
	tcase_add_test(tc, csum6_echo);
	tcase_add_test(tc, parse_ipv6);
	tcase_add_test(tc, parse_truncated);
	tcase_add_test(tc, parse_ipv4);
	tcase_add_test(tc, ext_headers);
	tcase_add_test(tc, unreach_known_answer);
	tcase_add_test(tc, too_big_known_answer);
	tcase_add_test(tc, quote_bounded);
	tcase_add_test(tc, never_about_errors_or_groups);
	tcase_add_test(tc, no_icmp6_for_ipv4);
	tcase_add_test(tc, ratelimit);
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
