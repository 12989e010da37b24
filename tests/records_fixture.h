/* Fixtures shared by check_cert, check_record, check_recset, check_invite:
 * fresh keys, a certificate and a signed record in a few calls. */
#ifndef MESH_RECORDS_FIXTURE_H
#define MESH_RECORDS_FIXTURE_H

#include <check.h>
#include <string.h>
#include <sodium.h>

#include "overlay/addr.h"
#include "overlay/cert.h"
#include "overlay/record.h"

#define NOW	1700000000ull
#define DAY	86400ull

struct key {
	uint8_t pk[32];
	unsigned char sk[64];
};

static inline void
key_new(struct key *k)
{
	ck_assert_int_ge(sodium_init(), 0);
	crypto_sign_keypair(k->pk, k->sk);
}

/* A record of node k named name in ca's network: certificate valid for
 * 30 days from NOW, one IPv4 endpoint, record valid for a day. */
static inline void
record_for(struct mesh_record *r, const struct key *ca, const struct key *k,
    const char *name, uint64_t seq)
{
	struct mesh_endpoint ep = { .family = MESH_EP_IPV4,
	    .addr = { 192, 0, 2, 7 }, .port = 655 };
	struct mesh_cert c;

	ck_assert_int_eq(cert_issue(&c, ca->sk, name, k->pk, NOW, 30 * DAY),
	    VR_OK);
	ck_assert_int_eq(record_make(r, &c, ca->pk, k->sk, &ep, 1, seq,
	    NOW + DAY), VR_OK);
}

/* Run one suite; the exit status is what make check wants. */
static inline int
run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

#endif
