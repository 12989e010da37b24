/*
 * libFuzzer target for overlay/gso.c: arbitrary bytes as a read from a
 * TUN with the virtio-net header, through gso_split(), and what comes out
 * through the coalescer and back through gso_split().
 * Build with tests/fuzz/build-dataplane.sh; run by tests/fuzz/run.sh.
 *
 * Invariants, each an abort():
 *  - a refused input emits nothing;
 *  - the segments of a TSO packet are whole IPv6 packets with a right TCP
 *    checksum whose payloads, in order, are the super-packet's payload;
 *  - round trip: whatever goes into the coalescer comes out again, in
 *    order, once the super-packets it wrote are cut up again -- the same
 *    bytes but for TCP checksums, which must be right.  This is done for
 *    the segments of the split and for the input itself as one packet.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/gso.h"
#include "overlay/ippkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN_MAX	8192
#define POOL	(4 << 20)
#define NMAX	(IN_MAX + 16)

struct list {
	uint8_t *pool;
	size_t used, n;
	size_t off[NMAX], len[NMAX];
	bool fixed[NMAX];	/* came out of a super-packet: checksum redone */
};

static struct list split_out, back;
static struct gso_counters cnt;
static struct gso_coal co;
static uint8_t buf[GSO_VNET_HLEN + IN_MAX], orig[GSO_VNET_HLEN + IN_MAX];
static bool from_super;

static void
must(int cond)
{
	if (!cond)
		abort();
}

static void
put(struct list *l, const uint8_t *pkt, size_t len)
{
	must(l->n < NMAX && l->used + len <= POOL);
	memcpy(l->pool + l->used, pkt, len);
	l->off[l->n] = l->used;
	l->len[l->n] = len;
	l->fixed[l->n] = from_super;
	l->n++;
	l->used += len;
}

static void
emit(void *ctx, const uint8_t *pkt, size_t len)
{
	put(ctx, pkt, len);
}

static bool
tcp_csum_ok(const uint8_t *p, size_t len)
{
	return len >= 60 && ippkt_csum6(p + 8, p + 24, 6, p + 40, len - 40) == 0;
}

/* Written to the TUN: cut super-packets up again, keep singles. */
static void
tunw(void *ctx, const uint8_t vnet[GSO_VNET_HLEN], const uint8_t *pkt,
    size_t len)
{
	static const uint8_t zero[GSO_VNET_HLEN];
	static uint8_t again[GSO_VNET_HLEN + GSO_PKT_MAX];
	struct gso_counters c2;
	size_t mark = back.n;

	(void)ctx;
	must(len <= GSO_PKT_MAX);
	if (memcmp(vnet, zero, GSO_VNET_HLEN) == 0) {
		from_super = false;
		put(&back, pkt, len);
		return;
	}
	memset(&c2, 0, sizeof(c2));
	memcpy(again, vnet, GSO_VNET_HLEN);
	memcpy(again + GSO_VNET_HLEN, pkt, len);
	from_super = true;
	must(gso_split(again, GSO_VNET_HLEN + len, emit, &back, &c2) >= 2);
	from_super = false;
	for (size_t i = mark; i < back.n; i++)
		must(tcp_csum_ok(back.pool + back.off[i], back.len[i]));
}

/* What went in (a) is what came back, in order. */
static void
same(const struct list *a)
{
	must(back.n == a->n);
	for (size_t i = 0; i < a->n; i++) {
		const uint8_t *x = a->pool + a->off[i], *y = back.pool + back.off[i];
		must(a->len[i] == back.len[i]);
		if (back.fixed[i]) {
			must(memcmp(x, y, 56) == 0);
			must(memcmp(x + 58, y + 58, a->len[i] - 58) == 0);
		} else {
			must(memcmp(x, y, a->len[i]) == 0);
		}
	}
}

static void
round_trip(const struct list *in)
{
	back.n = back.used = 0;
	for (size_t i = 0; i < in->n; i++)
		gso_coal_add(&co, in->pool + in->off[i], in->len[i]);
	gso_coal_flush(&co);
	same(in);
}

static void
check_tso(const uint8_t *pkt, size_t plen)
{
	size_t hl = 40 + (size_t)(pkt[52] >> 4) * 4, at = hl;

	for (size_t i = 0; i < split_out.n; i++) {
		const uint8_t *s = split_out.pool + split_out.off[i];
		size_t l = split_out.len[i];
		struct ippkt ip;
		must(l >= hl && ippkt_parse(s, l, &ip) == IPPKT_OK);
		must(ip.version == 6 && ip.total_len == l);
		must(tcp_csum_ok(s, l));
		must(at + l - hl <= plen && memcmp(s + hl, pkt + at, l - hl) == 0);
		at += l - hl;
	}
	must(at == plen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct list one;
	struct gso_vnet v;
	int n;

	if (size < GSO_VNET_HLEN || size > sizeof(buf))
		return 0;
	if (split_out.pool == NULL) {
		split_out.pool = malloc(POOL);
		back.pool = malloc(POOL);
		one.pool = malloc(IN_MAX);
		must(split_out.pool && back.pool && one.pool);
	}
	gso_coal_init(&co, tunw, NULL, &cnt);

	/* The input itself as a packet for the TUN. */
	one.n = one.used = 0;
	put(&one, data + GSO_VNET_HLEN, size - GSO_VNET_HLEN);
	round_trip(&one);

	/* The input as a read from the TUN. */
	memcpy(buf, data, size);
	memcpy(orig, data, size);
	gso_vnet_get(&v, buf);
	split_out.n = split_out.used = 0;
	n = gso_split(buf, size, emit, &split_out, &cnt);
	if (n < 0) {
		must(split_out.n == 0);
		return 0;
	}
	must((size_t)n == split_out.n && n >= 1);
	if (v.gso_type != GSO_TYPE_NONE)
		check_tso(orig + GSO_VNET_HLEN, size - GSO_VNET_HLEN);
	else
		must(split_out.len[0] == size - GSO_VNET_HLEN);
	round_trip(&split_out);
	return 0;
}
