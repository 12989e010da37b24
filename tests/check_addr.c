/*
 * overlay/addr.c: the overlay address derivation, pinned by vectors that
 * were computed independently of libsodium (Python's hashlib), so that a
 * change to the derivation cannot pass by changing both sides at once.
 */
#include "config.h"

#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nss_msg.h"
#include "overlay/addr.h"

/*
 * The vectors, from the formula in overlay/addr.h:
 *
 * python3 -c "from hashlib import blake2b as b; ca=bytes(range(32)); nk=bytes(range(32,64)); p=b'\xfd\x6d'+b(b'nss-mesh net-prefix v1'+ca,digest_size=32).digest()[:4]; print(p.hex(), (p+b(b'nss-mesh node-addr v1'+p+nk,digest_size=32).digest()[:10]).hex())"
 *
 * with (ca, nk) = (bytes(range(32)), bytes(range(32,64))), (bytes(32),
 * bytes(32)) and (b'\xff'*32, b'\xff'*32) in turn.
 */
enum { RANGE = 1, ZERO = 2, ONES = 3 };

static const struct {
	int keys;
	uint8_t prefix[MESH_PREFIX_LEN];
	uint8_t addr[16];
} vectors[] = {
	{ RANGE,
	  { 0xfd, 0x6d, 0x7b, 0x22, 0xef, 0xfc },
	  { 0xfd, 0x6d, 0x7b, 0x22, 0xef, 0xfc, 0x8f, 0xf9,
	    0x3d, 0x9e, 0x14, 0x48, 0x93, 0xa8, 0xde, 0x94 } },
	{ ZERO,
	  { 0xfd, 0x6d, 0xad, 0x96, 0x4c, 0x92 },
	  { 0xfd, 0x6d, 0xad, 0x96, 0x4c, 0x92, 0xe2, 0xd8,
	    0x12, 0xd8, 0xa0, 0xfd, 0xa0, 0x72, 0x0b, 0x50 } },
	{ ONES,
	  { 0xfd, 0x6d, 0x6e, 0x78, 0xca, 0x4e },
	  { 0xfd, 0x6d, 0x6e, 0x78, 0xca, 0x4e, 0xd1, 0xf8,
	    0xde, 0xc4, 0xab, 0x53, 0x06, 0x4f, 0x0c, 0xe9 } },
};

static void
keys(int which, uint8_t ca[32], uint8_t node[32])
{
	for (int i = 0; i < 32; i++) {
		switch (which) {
		case RANGE:
			ca[i] = (uint8_t)i;
			node[i] = (uint8_t)(32 + i);
			break;
		case ZERO:
			ca[i] = node[i] = 0;
			break;
		default:
			ca[i] = node[i] = 0xff;
			break;
		}
	}
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

START_TEST(pinned_vectors)
{
	const size_t v = (size_t)_i;
	uint8_t ca[32], node[32], prefix[MESH_PREFIX_LEN], addr[16];
	char got[33], want[33];

	keys(vectors[v].keys, ca, node);
	mesh_net_prefix(ca, prefix);
	hex(prefix, sizeof(prefix), got);
	hex(vectors[v].prefix, sizeof(prefix), want);
	ck_assert_str_eq(got, want);
	mesh_node_addr(prefix, node, addr);
	hex(addr, sizeof(addr), got);
	hex(vectors[v].addr, sizeof(addr), want);
	ck_assert_str_eq(got, want);
}
END_TEST

START_TEST(prefix_in_ula)
{
	uint8_t ca[32], prefix[MESH_PREFIX_LEN], addr[16];

	for (int i = 0; i < 1000; i++) {
		randombytes_buf(ca, sizeof(ca));
		mesh_net_prefix(ca, prefix);
		ck_assert_uint_eq(prefix[0], 0xfd);
		ck_assert_uint_eq(prefix[1], 0x6d);
		mesh_node_addr(prefix, ca, addr);
		ck_assert(mesh_addr6_maybe_mesh(addr));
	}
}
END_TEST

START_TEST(addr_is_prefix_plus_80_bits)
{
	uint8_t ca[32], node[32], prefix[MESH_PREFIX_LEN], addr[16];
	uint8_t canary[24];

	for (int i = 0; i < 100; i++) {
		randombytes_buf(ca, sizeof(ca));
		randombytes_buf(node, sizeof(node));
		mesh_net_prefix(ca, prefix);
		/* Exactly 16 bytes written, the first 6 being the prefix. */
		memset(canary, 0xa5, sizeof(canary));
		mesh_node_addr(prefix, node, canary);
		memcpy(addr, canary, 16);
		for (size_t k = 16; k < sizeof(canary); k++)
			ck_assert_uint_eq(canary[k], 0xa5);
		ck_assert(memcmp(addr, prefix, MESH_PREFIX_LEN) == 0);
		/* The 80 bits are a hash, never a slice of the key. */
		for (size_t off = 0; off + 10 <= 32; off++)
			ck_assert(memcmp(addr + 6, node + off, 10) != 0);
	}
}
END_TEST

START_TEST(deterministic)
{
	uint8_t ca[32], node[32], p1[MESH_PREFIX_LEN], p2[MESH_PREFIX_LEN];
	uint8_t a1[16], a2[16];

	randombytes_buf(ca, sizeof(ca));
	randombytes_buf(node, sizeof(node));
	mesh_net_prefix(ca, p1);
	mesh_net_prefix(ca, p2);
	ck_assert(memcmp(p1, p2, sizeof(p1)) == 0);
	mesh_node_addr(p1, node, a1);
	mesh_node_addr(p2, node, a2);
	ck_assert(memcmp(a1, a2, sizeof(a1)) == 0);
}
END_TEST

/* Flipping any one bit of either key moves the result. */
START_TEST(every_key_bit_counts)
{
	uint8_t ca[32], node[32], p0[MESH_PREFIX_LEN], p[MESH_PREFIX_LEN];
	uint8_t a0[16], a[16];

	randombytes_buf(ca, sizeof(ca));
	randombytes_buf(node, sizeof(node));
	mesh_net_prefix(ca, p0);
	mesh_node_addr(p0, node, a0);
	for (int bit = 0; bit < 256; bit++) {
		ca[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		mesh_net_prefix(ca, p);
		ca[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ck_assert_msg(memcmp(p, p0, sizeof(p)) != 0, "ca bit %d", bit);

		node[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		mesh_node_addr(p0, node, a);
		node[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ck_assert_msg(memcmp(a + 6, a0 + 6, 10) != 0, "node bit %d", bit);
	}
}
END_TEST

static int
cmp16(const void *x, const void *y)
{
	return memcmp(x, y, 16);
}

START_TEST(different_keys_different_addrs)
{
	enum { N = 4096 };
	uint8_t ca[32], prefix[MESH_PREFIX_LEN], node[32];
	uint8_t (*addrs)[16] = calloc(N, 16);

	ck_assert_ptr_nonnull(addrs);
	randombytes_buf(ca, sizeof(ca));
	mesh_net_prefix(ca, prefix);
	memset(node, 0, sizeof(node));
	for (uint32_t i = 0; i < N; i++) {
		memcpy(node, &i, sizeof(i));	/* keys that differ a little */
		mesh_node_addr(prefix, node, addrs[i]);
	}
	qsort(addrs, N, 16, cmp16);
	for (size_t i = 1; i < N; i++)
		ck_assert(memcmp(addrs[i - 1], addrs[i], 16) != 0);
	free(addrs);
}
END_TEST

START_TEST(same_node_other_network)
{
	uint8_t ca1[32], ca2[32], node[32], p1[MESH_PREFIX_LEN];
	uint8_t p2[MESH_PREFIX_LEN], a1[16], a2[16];

	/* One key in two networks: two unrelated host parts, so addresses
	 * do not tie a node's presence in one mesh to another. */
	keys(RANGE, ca1, node);
	memcpy(ca2, ca1, sizeof(ca2));
	ca2[31] ^= 1;
	mesh_net_prefix(ca1, p1);
	mesh_net_prefix(ca2, p2);
	mesh_node_addr(p1, node, a1);
	mesh_node_addr(p2, node, a2);
	ck_assert(memcmp(p1, p2, sizeof(p1)) != 0);
	ck_assert(memcmp(a1 + 6, a2 + 6, 10) != 0);
}
END_TEST

static Suite *
addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc;

	tc = tcase_create("vectors");
	tcase_add_loop_test(tc, pinned_vectors, 0,
	    (int)(sizeof(vectors) / sizeof(vectors[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("properties");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, prefix_in_ula);
	tcase_add_test(tc, addr_is_prefix_plus_80_bits);
	tcase_add_test(tc, deterministic);
	tcase_add_test(tc, every_key_bit_counts);
	tcase_add_test(tc, different_keys_different_addrs);
	tcase_add_test(tc, same_node_other_network);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (sodium_init() < 0)
		return 99;
	sr = srunner_create(addr_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
