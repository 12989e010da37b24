/* Unit tests for overlay/noise.c and overlay/mac.c: the handshake alone. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "overlay/aead.h"
#include "overlay/mac.h"
#include "overlay/noise.h"

struct node {
	uint8_t pk[32];
	uint8_t sk[64];
	struct noise_static st;
	struct noise_peer as_peer;	/* how others see it */
};

static struct node A, B, C;
static uint8_t ts1[WIRE_TAI64N_LEN];

static void
make_node(struct node *n, uint8_t seedbyte)
{
	uint8_t seed[32];

	memset(seed, seedbyte, sizeof(seed));
	crypto_sign_seed_keypair(n->pk, n->sk, seed);
	ck_assert_int_eq(noise_static_init(&n->st, n->pk, n->sk), 0);
	ck_assert_int_eq(noise_peer_init(&n->as_peer, n->pk), 0);
}

static void
setup(void)
{
	ck_assert_int_ge(sodium_init(), 0);
	make_node(&A, 1);
	make_node(&B, 2);
	make_node(&C, 3);
	noise_tai64n(ts1, 1700000000, 0);
}

/* A initiates to B with payloads pa/pb; fills the messages. */
struct run {
	struct noise_handshake hi, hr;
	struct noise_peer seen;
	uint8_t m1[WIRE_INITIATION_MAX], m2[WIRE_RESPONSE_MAX];
	size_t l1, l2;
};

static void
run_init(struct run *r, const uint8_t *pa, size_t la)
{
	memset(r, 0, sizeof(*r));
	r->l1 = noise_create_initiation(&r->hi, &A.st, &B.as_peer, 7, ts1,
	    pa, la, r->m1);
	ck_assert_uint_eq(r->l1, WIRE_INITIATION_MIN + la);
	ck_assert_int_eq(r->hi.state, NOISE_INIT_SENT);
}

START_TEST(happy_path)
{
	static const uint8_t pa[] = "certificate of A", pb[] = "cert B";
	uint8_t got[WIRE_HS_PAYLOAD_MAX], ts[WIRE_TAI64N_LEN];
	struct noise_keys ki, kr;
	struct run r;
	size_t plen;

	run_init(&r, pa, sizeof(pa));
	ck_assert_int_eq(noise_consume_initiation(&B.st, r.m1, r.l1, &r.hr,
	    &r.seen, ts, got, &plen), NOISE_OK);
	ck_assert_mem_eq(r.seen.ed_pk, A.pk, 32);
	ck_assert_mem_eq(ts, ts1, sizeof(ts));
	ck_assert_uint_eq(plen, sizeof(pa));
	ck_assert_mem_eq(got, pa, plen);
	ck_assert_uint_eq(r.hr.remote_index, 7);

	r.l2 = noise_create_response(&r.hr, &B.st, &r.seen, 9, pb, sizeof(pb),
	    r.m2);
	ck_assert_uint_eq(r.l2, WIRE_RESPONSE_MIN + sizeof(pb));
	ck_assert_uint_eq(noise_response_receiver(r.m2, r.l2), 7);
	ck_assert_int_eq(noise_consume_response(&r.hi, &A.st, r.m2, r.l2, got,
	    &plen), NOISE_OK);
	ck_assert_uint_eq(plen, sizeof(pb));
	ck_assert_mem_eq(got, pb, plen);
	ck_assert_uint_eq(r.hi.remote_index, 9);

	noise_derive(&r.hi, true, &ki);
	noise_derive(&r.hr, false, &kr);
	ck_assert_mem_eq(ki.send, kr.recv, 32);
	ck_assert_mem_eq(ki.recv, kr.send, 32);
	ck_assert(memcmp(ki.send, ki.recv, 32) != 0);
	ck_assert_int_eq(r.hi.state, NOISE_NONE);
}
END_TEST

START_TEST(payload_sizes)
{
	static uint8_t big[WIRE_HS_PAYLOAD_MAX + 1];
	uint8_t got[WIRE_HS_PAYLOAD_MAX], ts[WIRE_TAI64N_LEN];
	struct run r;
	size_t plen;

	randombytes_buf(big, sizeof(big));
	run_init(&r, big, WIRE_HS_PAYLOAD_MAX);
	ck_assert_int_eq(noise_consume_initiation(&B.st, r.m1, r.l1, &r.hr,
	    &r.seen, ts, got, &plen), NOISE_OK);
	ck_assert_uint_eq(plen, WIRE_HS_PAYLOAD_MAX);
	ck_assert_mem_eq(got, big, plen);
	ck_assert_uint_eq(noise_create_response(&r.hr, &B.st, &r.seen, 1, big,
	    WIRE_HS_PAYLOAD_MAX + 1, r.m2), 0);

	run_init(&r, NULL, 0);
	ck_assert_int_eq(noise_consume_initiation(&B.st, r.m1, r.l1, &r.hr,
	    &r.seen, ts, got, &plen), NOISE_OK);
	ck_assert_uint_eq(plen, 0);
	ck_assert_uint_eq(noise_create_initiation(&r.hi, &A.st, &B.as_peer, 1,
	    ts1, big, sizeof(big), r.m1), 0);
}
END_TEST

/* Flip each bit of each byte of message 1: never accepted. */
START_TEST(tamper_initiation)
{
	uint8_t got[WIRE_HS_PAYLOAD_MAX], ts[WIRE_TAI64N_LEN];
	struct noise_handshake hr;
	struct noise_peer seen;
	struct run r;
	size_t plen;

	run_init(&r, (const uint8_t *)"payload", 7);
	/* Every bit but mac2's: mac2 is the dispatcher's, checked only
	 * under load (overlay/dispatch.c), and covers nothing noise needs. */
	for (size_t i = 0; i < r.l1 - WIRE_MAC_LEN; i++)
		for (int bit = 0; bit < 8; bit++) {
			r.m1[i] ^= (uint8_t)(1u << bit);
			ck_assert_int_ne(noise_consume_initiation(&B.st, r.m1,
			    r.l1, &hr, &seen, ts, got, &plen), NOISE_OK);
			r.m1[i] ^= (uint8_t)(1u << bit);
		}
	/* Truncated or extended: never accepted either. */
	for (size_t l = 0; l < r.l1; l++)
		ck_assert_int_ne(noise_consume_initiation(&B.st, r.m1, l, &hr,
		    &seen, ts, got, &plen), NOISE_OK);
	ck_assert_int_ne(noise_consume_initiation(&B.st, r.m1, r.l1 + 1, &hr,
	    &seen, ts, got, &plen), NOISE_OK);
	ck_assert_int_eq(noise_consume_initiation(&B.st, r.m1, r.l1, &hr,
	    &seen, ts, got, &plen), NOISE_OK);
}
END_TEST

/* Tamper past mac1: with the mac recomputed, the AEAD still refuses. */
START_TEST(tamper_initiation_behind_mac)
{
	uint8_t got[WIRE_HS_PAYLOAD_MAX], ts[WIRE_TAI64N_LEN];
	struct noise_handshake hr;
	struct noise_peer seen;
	struct run r;
	size_t plen;

	run_init(&r, (const uint8_t *)"payload", 7);
	for (size_t i = 0; i < r.l1 - sizeof(struct wire_tail); i++) {
		r.m1[i] ^= 0x40;
		mac_seal(B.st.mac_key, r.m1, r.l1);
		ck_assert_int_ne(noise_consume_initiation(&B.st, r.m1, r.l1,
		    &hr, &seen, ts, got, &plen), NOISE_OK);
		r.m1[i] ^= 0x40;
	}
	mac_seal(B.st.mac_key, r.m1, r.l1);
	ck_assert_int_eq(noise_consume_initiation(&B.st, r.m1, r.l1, &hr,
	    &seen, ts, got, &plen), NOISE_OK);
}
END_TEST

START_TEST(tamper_response)
{
	uint8_t got[WIRE_HS_PAYLOAD_MAX], ts[WIRE_TAI64N_LEN];
	struct noise_handshake saved;
	struct run r;
	size_t plen;

	run_init(&r, NULL, 0);
	ck_assert_int_eq(noise_consume_initiation(&B.st, r.m1, r.l1, &r.hr,
	    &r.seen, ts, got, &plen), NOISE_OK);
	r.l2 = noise_create_response(&r.hr, &B.st, &r.seen, 9,
	    (const uint8_t *)"xyz", 3, r.m2);
	saved = r.hi;
	for (size_t i = 0; i < r.l2 - WIRE_MAC_LEN; i++) {	/* not mac2 */
		for (int bit = 0; bit < 8; bit++) {
			r.m2[i] ^= (uint8_t)(1u << bit);
			ck_assert_int_ne(noise_consume_response(&r.hi, &A.st,
			    r.m2, r.l2, got, &plen), NOISE_OK);
			r.m2[i] ^= (uint8_t)(1u << bit);
		}
		if (i < r.l2 - sizeof(struct wire_tail)) {	/* behind mac1 */
			r.m2[i] ^= 0x40;
			mac_seal(A.st.mac_key, r.m2, r.l2);
			ck_assert_int_ne(noise_consume_response(&r.hi, &A.st,
			    r.m2, r.l2, got, &plen), NOISE_OK);
			r.m2[i] ^= 0x40;
			mac_seal(A.st.mac_key, r.m2, r.l2);
		}
		/* A failure leaves the handshake untouched. */
		ck_assert_mem_eq(&saved, &r.hi, sizeof(saved));
	}
	for (size_t l = 0; l < r.l2; l++)
		ck_assert_int_ne(noise_consume_response(&r.hi, &A.st, r.m2, l,
		    got, &plen), NOISE_OK);
	ck_assert_int_eq(noise_consume_response(&r.hi, &A.st, r.m2, r.l2, got,
	    &plen), NOISE_OK);
	/* And only once. */
	ck_assert_int_ne(noise_consume_response(&r.hi, &A.st, r.m2, r.l2, got,
	    &plen), NOISE_OK);
}
END_TEST

START_TEST(wrong_responder)
{
	uint8_t got[WIRE_HS_PAYLOAD_MAX], ts[WIRE_TAI64N_LEN];
	struct noise_handshake hr;
	struct noise_peer seen;
	struct run r;
	size_t plen;

	/* Meant for B, delivered to C: mac1 stops it before any DH. */
	run_init(&r, NULL, 0);
	ck_assert_int_eq(noise_consume_initiation(&C.st, r.m1, r.l1, &hr,
	    &seen, ts, got, &plen), NOISE_EMAC);
	/* Even with a mac1 for C, C cannot open it. */
	mac_seal(C.st.mac_key, r.m1, r.l1);
	ck_assert_int_eq(noise_consume_initiation(&C.st, r.m1, r.l1, &hr,
	    &seen, ts, got, &plen), NOISE_ECRYPTO);
	/* A response from C (to its own initiation) does not fit A's. */
	ck_assert_int_eq(noise_consume_response(&r.hi, &C.st, r.m1, r.l1,
	    got, &plen), NOISE_ELEN);
}
END_TEST

START_TEST(response_from_impostor)
{
	uint8_t got[WIRE_HS_PAYLOAD_MAX], ts[WIRE_TAI64N_LEN];
	struct noise_handshake hc;
	struct noise_peer seen;
	struct run r;
	size_t plen;

	/* C knows A's initiation was for B; it cannot answer as B. */
	run_init(&r, NULL, 0);
	memset(&hc, 0, sizeof(hc));
	hc.state = NOISE_INIT_RECEIVED;
	hc.remote_index = 7;
	memcpy(hc.re_pk, ((struct wire_initiation *)r.m1)->ephemeral, 32);
	r.l2 = noise_create_response(&hc, &C.st, &A.as_peer, 5, NULL, 0, r.m2);
	ck_assert_uint_gt(r.l2, 0);
	ck_assert_int_eq(noise_consume_response(&r.hi, &A.st, r.m2, r.l2, got,
	    &plen), NOISE_ECRYPTO);
	(void)ts;
	(void)seen;
}
END_TEST

START_TEST(transport_aead)
{
	uint8_t key[32], c[64], m[48], ad[16] = { 4 };

	randombytes_buf(key, sizeof(key));
	noise_seal(c, (const uint8_t *)"hello", 5, ad, sizeof(ad), 42, key);
	ck_assert(noise_open(m, c, 5 + WIRE_TAG_LEN, ad, sizeof(ad), 42, key));
	ck_assert_mem_eq(m, "hello", 5);
	ck_assert(!noise_open(m, c, 5 + WIRE_TAG_LEN, ad, sizeof(ad), 43, key));
	ad[0] ^= 1;
	ck_assert(!noise_open(m, c, 5 + WIRE_TAG_LEN, ad, sizeof(ad), 42, key));
	ck_assert(!noise_open(m, c, WIRE_TAG_LEN - 1, ad, sizeof(ad), 42, key));
}
END_TEST

/* Both transport ciphers seal and open; neither opens the other's. */
START_TEST(transport_ciphers)
{
	uint8_t k[32], c[64], m[48], ad[16] = { 4 };
	struct aead_key cha, aes;

	randombytes_buf(k, sizeof(k));
	aead_key_init(&cha, k, false);
	aead_key_init(&aes, k, true);
	ck_assert(!cha.aes);
	ck_assert(aes.aes == aead_aes_available());
	for (int i = 0; i < 2; i++) {
		const struct aead_key *key = i ? &aes : &cha;
		aead_seal(key, c, (const uint8_t *)"hello", 5, ad, sizeof(ad), 42);
		ck_assert(aead_open(key, m, c, 5 + WIRE_TAG_LEN, ad, sizeof(ad),
		    42));
		ck_assert_mem_eq(m, "hello", 5);
		ck_assert(!aead_open(key, m, c, 5 + WIRE_TAG_LEN, ad,
		    sizeof(ad), 43));
		ck_assert(!aead_open(key, m, c, WIRE_TAG_LEN - 1, ad,
		    sizeof(ad), 42));
	}
	/* ChaCha's packet under noise_seal is the same as under aead. */
	noise_seal(c, (const uint8_t *)"hello", 5, ad, sizeof(ad), 42, k);
	ck_assert(aead_open(&cha, m, c, 5 + WIRE_TAG_LEN, ad, sizeof(ad), 42));
	if (aes.aes)
		ck_assert(!aead_open(&aes, m, c, 5 + WIRE_TAG_LEN, ad,
		    sizeof(ad), 42));
	sodium_memzero(&aes, sizeof(aes));
}
END_TEST

/* A full handshake with A offering aes_a and B allowing aes_b: the
 * cipher both derive. */
static bool
negotiated(bool aes_a, bool aes_b)
{
	uint8_t got[WIRE_HS_PAYLOAD_MAX], ts[WIRE_TAI64N_LEN];
	struct noise_keys ki, kr;
	struct run r;
	size_t plen;

	A.st.aes = aes_a;
	B.st.aes = aes_b;
	run_init(&r, NULL, 0);
	ck_assert_uint_eq(r.m1[1], aes_a ? WIRE_FLAG_AES256GCM : 0);
	ck_assert_int_eq(noise_consume_initiation(&B.st, r.m1, r.l1, &r.hr,
	    &r.seen, ts, got, &plen), NOISE_OK);
	r.l2 = noise_create_response(&r.hr, &B.st, &r.seen, 9, NULL, 0, r.m2);
	ck_assert_uint_gt(r.l2, 0);
	ck_assert_int_eq(noise_consume_response(&r.hi, &A.st, r.m2, r.l2, got,
	    &plen), NOISE_OK);
	noise_derive(&r.hi, true, &ki);
	noise_derive(&r.hr, false, &kr);
	ck_assert(ki.aes == kr.aes);
	ck_assert_mem_eq(ki.send, kr.recv, 32);
	return ki.aes;
}

START_TEST(cipher_negotiation)
{
	ck_assert(negotiated(true, true));
	ck_assert(!negotiated(true, false));
	ck_assert(!negotiated(false, true));
	ck_assert(!negotiated(false, false));
}
END_TEST

/* A response may not choose a cipher the initiation did not offer, and
 * no other bit of the reserved bytes may be set. */
START_TEST(cipher_not_offered)
{
	uint8_t got[WIRE_HS_PAYLOAD_MAX], ts[WIRE_TAI64N_LEN];
	struct run r;
	size_t plen;

	A.st.aes = false;
	B.st.aes = true;
	run_init(&r, NULL, 0);
	ck_assert_int_eq(noise_consume_initiation(&B.st, r.m1, r.l1, &r.hr,
	    &r.seen, ts, got, &plen), NOISE_OK);
	r.hr.flags = WIRE_FLAG_AES256GCM;	/* as if it had been offered */
	r.l2 = noise_create_response(&r.hr, &B.st, &r.seen, 9, NULL, 0, r.m2);
	ck_assert_uint_eq(r.m2[1], WIRE_FLAG_AES256GCM);
	ck_assert_int_eq(noise_consume_response(&r.hi, &A.st, r.m2, r.l2, got,
	    &plen), NOISE_ELEN);
	ck_assert_int_eq(r.hi.state, NOISE_INIT_SENT);	/* left as it was */

	run_init(&r, NULL, 0);
	r.m1[1] = 0x02;
	ck_assert_int_eq(noise_check_initiation(&B.st, r.m1, r.l1), NOISE_ELEN);
}
END_TEST

START_TEST(tai64n_orders)
{
	uint8_t a[12], b[12];

	noise_tai64n(a, 1700000000, 999999999);
	noise_tai64n(b, 1700000001, 0);
	ck_assert_int_lt(memcmp(a, b, 12), 0);
	noise_tai64n(a, 1700000000, 1 << 24);
	noise_tai64n(b, 1700000000, (1 << 24) + 5);
	ck_assert_int_eq(memcmp(a, b, 12), 0);	/* blurred */
	noise_tai64n(b, 1700000000, 2 << 24);
	ck_assert_int_lt(memcmp(a, b, 12), 0);
}
END_TEST

START_TEST(peer_key_checks)
{
	struct noise_peer p;
	uint8_t bad[32];

	/* Not a point on the curve: no X25519 twin. */
	memset(bad, 0xff, sizeof(bad));
	ck_assert_int_eq(noise_peer_init(&p, bad), -EINVAL);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("noise");
	TCase *tc = tcase_create("handshake");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, happy_path);
	tcase_add_test(tc, payload_sizes);
	tcase_add_test(tc, tamper_initiation);
	tcase_add_test(tc, tamper_initiation_behind_mac);
	tcase_add_test(tc, tamper_response);
	tcase_add_test(tc, wrong_responder);
	tcase_add_test(tc, response_from_impostor);
	tcase_add_test(tc, transport_aead);
	tcase_add_test(tc, transport_ciphers);
	tcase_add_test(tc, cipher_negotiation);
	tcase_add_test(tc, cipher_not_offered);
	tcase_add_test(tc, tai64n_orders);
	tcase_add_test(tc, peer_key_checks);
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
