/*
 * libFuzzer target for overlay/ippkt.c: arbitrary bytes as a packet from
 * the TUN, through the parser and both ICMPv6 error builders.
 * Build with tests/fuzz/build-dataplane.sh; run by tests/fuzz/run.sh.
 *
 * The first two input bytes give the output buffer's size (so short
 * buffers are reached too); the rest is the packet.  Invariants, each an
 * abort(): a parsed packet lies inside its buffer; an error is written
 * only within the size given and never past IPPKT_ICMP_MAX; what is
 * written parses, is an ICMPv6 error with a right checksum addressed to
 * the offending source, quotes the packet's first bytes, and would not
 * itself draw an error.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/ippkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUARD 64

static const uint8_t me[16] = { 0xfd, 0x6d, 1, 2, 3, 4, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 1 };

static void
must(int cond)
{
	if (!cond)
		abort();
}

static void
check_reply(const uint8_t *buf, size_t outlen, size_t n, const uint8_t *pkt,
    const struct ippkt *p, uint8_t type)
{
	struct ippkt r;
	uint8_t again[IPPKT_ICMP_MAX];

	for (size_t i = outlen; i < outlen + GUARD; i++)
		must(buf[i] == 0xee);
	if (n == 0)
		return;
	must(n <= outlen && n <= IPPKT_ICMP_MAX && n >= IPPKT_ICMP_MIN);
	must(ippkt_parse(buf, n, &r) == IPPKT_OK && r.total_len == n);
	must(r.upper_known && r.upper_proto == IPPKT_PROTO_ICMP6);
	must(r.icmp6_error && buf[40] == type);
	must(memcmp(r.src, me, 16) == 0 && memcmp(r.dst, p->src, 16) == 0);
	must(ippkt_csum6(r.src, r.dst, 58, buf + 40, n - 40) == 0);
	must(memcmp(buf + 48, pkt, n - 48) == 0 && n - 48 <= p->total_len);
	must(ippkt_icmp6_unreach(again, sizeof(again), buf, n, me, 0) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[4096 + GUARD];
	const uint8_t *pkt;
	struct ippkt p;
	size_t len, outlen, n;
	uint32_t mtu;

	if (size < 2)
		return 0;
	outlen = (size_t)(data[0] << 8 | data[1]) % 4096;
	/* The packet ends where libFuzzer's buffer does: ASan sees any
	 * read past it. */
	len = size - 2;
	pkt = data + 2;

	if (ippkt_parse(pkt, len, &p) == IPPKT_OK) {
		must(p.version == 4 || p.version == 6);
		must(p.total_len <= len && p.hdr_len <= p.total_len);
		must(p.src >= pkt && p.src + p.addr_len <= pkt + p.hdr_len);
		must(p.dst >= pkt && p.dst + p.addr_len <= pkt + p.hdr_len);
		must(!p.upper_known || p.upper_off <= p.total_len);
	}

	memset(buf, 0xee, sizeof(buf));
	n = ippkt_icmp6_unreach(buf, outlen, pkt, len, me,
	    len ? pkt[len - 1] & 3 : 0);
	check_reply(buf, outlen, n, pkt, &p, IPPKT_ICMP6_UNREACH);

	memset(buf, 0xee, sizeof(buf));
	mtu = (uint32_t)outlen * 977;
	n = ippkt_icmp6_too_big(buf, outlen, pkt, len, me, mtu);
	check_reply(buf, outlen, n, pkt, &p, IPPKT_ICMP6_TOO_BIG);
	if (n)
		must((uint32_t)(buf[44] << 24 | buf[45] << 16 | buf[46] << 8 |
		    buf[47]) >= IPPKT_MIN_MTU);
	return 0;
}
