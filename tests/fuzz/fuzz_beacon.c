/*
 * libFuzzer target for overlay/beacon.c: arbitrary bytes as a datagram on
 * the beacon socket, through the parser and the verifier.
 * Build with tests/fuzz/build-beacon.sh; run by tests/fuzz/run.sh.
 *
 * The CA key is derived from a fixed seed, the one the seed corpus was
 * made with (FUZZ_BEACON_SEED), so a mutated member's beacon gets as far
 * as the signature.  Invariants, each an abort(): only BEACON_LEN bytes
 * parse; a parsed beacon has a non-zero port and a certificate that
 * encodes back to the bytes it came from; the verifier answers the same
 * twice; nothing that verifies has had a byte changed from what the
 * member signed (checked by re-making it with the member's key when the
 * certificate is the corpus member's).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "overlay/beacon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The corpus: CA from seed 0x01..., member "laptop" from seed 0x02...,
 * its beacon at stamp FUZZ_BEACON_NOW_MS. */
#define FUZZ_BEACON_NOW_MS	1800000000000ULL

static uint8_t ca_pk[32], ca_sk[64], m_pk[32], m_sk[64];
static int ready;

static void
must(int cond)
{
	if (!cond)
		abort();
}

static void
init(void)
{
	uint8_t seed[32];

	must(sodium_init() >= 0);
	memset(seed, 1, sizeof(seed));
	crypto_sign_seed_keypair(ca_pk, ca_sk, seed);
	memset(seed, 2, sizeof(seed));
	crypto_sign_seed_keypair(m_pk, m_sk, seed);
	ready = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mesh_cert_wire w;
	struct beacon b;
	enum vr v;

	if (!ready)
		init();
	if (beacon_parse(data, size, &b) != VR_OK)
		return 0;
	must(size == BEACON_LEN);
	must(b.port != 0);
	cert_encode(&b.cert, &w);
	must(memcmp(&w, data + 4 + MESH_NETID_LEN, sizeof(w)) == 0);
	v = beacon_verify(&b, ca_pk, FUZZ_BEACON_NOW_MS);
	must(v == beacon_verify(&b, ca_pk, FUZZ_BEACON_NOW_MS));
	if (v == VR_OK && memcmp(b.cert.node_pk, m_pk, 32) == 0) {
		uint8_t again[BEACON_LEN];
		beacon_make(again, &b.cert, m_sk, b.port, b.stamp);
		/* Ed25519 is deterministic: the same message, the same bytes. */
		must(memcmp(again, data, BEACON_LEN) == 0);
	}
	return 0;
}

/* `fuzz_beacon -make-corpus DIR` is not a libFuzzer flag: the corpus is
 * made by tests/fuzz/build-beacon.sh with -DFUZZ_BEACON_MAKE_CORPUS. */
#ifdef FUZZ_BEACON_MAKE_CORPUS
#include <stdio.h>

static void
put(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	must((f = fopen(path, "wb")) != NULL);
	must(fwrite(buf, 1, len, f) == len);
	fclose(f);
}

int
main(int argc, char **argv)
{
	struct mesh_cert c;
	uint8_t buf[BEACON_LEN];

	must(argc == 2);
	init();
	must(cert_issue(&c, ca_sk, "laptop", m_pk,
	    FUZZ_BEACON_NOW_MS / 1000, 86400) == VR_OK);
	beacon_make(buf, &c, m_sk, 51830, FUZZ_BEACON_NOW_MS);
	put(argv[1], "member", buf, sizeof(buf));
	beacon_make(buf, &c, m_sk, 1, FUZZ_BEACON_NOW_MS - 299000);
	put(argv[1], "old-port1", buf, sizeof(buf));
	beacon_make(buf, &c, ca_sk, 51830, FUZZ_BEACON_NOW_MS);
	put(argv[1], "wrong-signer", buf, sizeof(buf));
	put(argv[1], "short", buf, 100);
	return 0;
}
#endif
