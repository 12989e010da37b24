/*
 * libFuzzer target for everything that parses overlay objects from
 * outside: node records, certificates, revocations, the record set file
 * (which is also the bulk-transfer format) and invite tokens.
 * Build and run with tests/fuzz/build-record.sh.
 *
 * The first input byte picks a parser.  Signatures cannot be guessed, so
 * besides raw input there are modes that XOR the input over a valid object
 * made at start-up: those reach the checks behind the signature (sequence,
 * name clash, revocation) and the paths where one field is slightly off.
 * Every accepted object must re-encode to the bytes it came from.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "overlay/cert.h"
#include "overlay/invite.h"
#include "overlay/record.h"
#include "overlay/recset.h"

#define NOW 1700000000ull

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t ca_pk[32], valid_rec[RECORD_WIRE_LEN];
static uint8_t *valid_set;
static size_t valid_set_len;
static struct mesh_revocation valid_rev;

static void
must(int cond)
{
	if (!cond)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char ca_sk[64], sk[64], seed[32];
	uint8_t pk[32];
	struct mesh_cert c;
	struct mesh_record r;
	struct mesh_endpoint ep = { .family = MESH_EP_IPV6,
	    .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, .port = 655 };
	struct recset *s;

	(void)argc;
	(void)argv;
	must(sodium_init() >= 0);
	memset(seed, 1, sizeof(seed));
	crypto_sign_seed_keypair(ca_pk, ca_sk, seed);
	s = recset_new(ca_pk, 64);
	for (int i = 0; i < 3; i++) {
		char name[8] = "node0";
		seed[0] = (uint8_t)(2 + i);
		name[4] = (char)('0' + i);
		crypto_sign_seed_keypair(pk, sk, seed);
		must(cert_issue(&c, ca_sk, name, pk, NOW, 86400) == VR_OK);
		must(record_make(&r, &c, ca_pk, sk, &ep, 1, 5, NOW + 3600) ==
		    VR_OK);
		must(recset_add(s, &r, NOW) == VR_OK);
		if (i == 0)
			record_encode(&r, valid_rec);
		if (i == 2)
			must(rev_make(&valid_rev, ca_sk, ca_pk, MESH_REV_SERIAL,
			    c.serial, NULL, NOW, c.not_after) == VR_OK);
	}
	must(recset_revoke(s, &valid_rev, NOW) == VR_OK);
	must(recset_serialize(s, &valid_set, &valid_set_len) == 0);
	recset_free(s);
	return 0;
}

static void
fuzz_record(const uint8_t *d, size_t n)
{
	struct mesh_record r;
	uint8_t again[RECORD_WIRE_LEN];
	struct recset *s;

	if (record_decode(d, n, &r) != VR_OK)
		return;
	record_encode(&r, again);
	must(memcmp(again, d, RECORD_WIRE_LEN) == 0);
	(void)record_verify(&r, ca_pk, NULL, NOW);
	s = recset_new(ca_pk, 4);
	(void)recset_add(s, &r, NOW);
	(void)recset_add_wire(s, d, n, NOW, NULL, NULL);
	recset_free(s);
}

static void
fuzz_near_record(const uint8_t *d, size_t n)
{
	uint8_t w[RECORD_WIRE_LEN];

	memcpy(w, valid_rec, sizeof(w));
	for (size_t i = 0; i < n && i < sizeof(w); i++)
		w[i] ^= d[i];
	fuzz_record(w, sizeof(w));
}

static void
fuzz_cert_rev(const uint8_t *d, size_t n)
{
	struct mesh_cert_wire cw, cw2;
	struct mesh_rev_wire rw, rw2;
	struct mesh_cert c;
	struct mesh_revocation rv;
	struct revset rs = { 0 };

	memset(&c, 0, sizeof(c));
	if (n >= sizeof(cw)) {
		memcpy(&cw, d, sizeof(cw));
		if (cert_decode(&cw, &c) == VR_OK) {
			cert_encode(&c, &cw2);
			must(memcmp(&cw, &cw2, sizeof(cw)) == 0);
			(void)cert_verify(&c, ca_pk, NOW);
		}
	}
	if (n >= sizeof(rw)) {
		memcpy(&rw, d, sizeof(rw));
		if (rev_decode(&rw, &rv) == VR_OK) {
			rev_encode(&rv, &rw2);
			must(memcmp(&rw, &rw2, sizeof(rw)) == 0);
			(void)revset_add(&rs, &rv, ca_pk);
			(void)revset_check(&rs, &c);
			revset_free(&rs);
		}
	}
}

static void
fuzz_set(const uint8_t *d, size_t n, int near)
{
	struct recset_load_report rep;
	struct recset *s = recset_new(ca_pk, 16);
	uint8_t *b;
	size_t len;

	if (near) {
		/* XOR over the valid file; the length follows the input. */
		len = n < valid_set_len ? valid_set_len - n % 512 : n;
		if ((b = calloc(1, len ? len : 1)) == NULL)
			abort();
		memcpy(b, valid_set, len < valid_set_len ? len : valid_set_len);
		for (size_t i = 0; i < n && i < len; i++)
			b[i] ^= d[i];
	} else {
		/* A valid header, then the input as frames. */
		len = RECSET_HDR_LEN + n;
		if ((b = malloc(len)) == NULL)
			abort();
		memcpy(b, valid_set, RECSET_HDR_LEN);
		memcpy(b + RECSET_HDR_LEN, d, n);
	}
	if (recset_parse(s, b, len, NOW, &rep) == 0) {
		uint8_t *out;
		size_t olen;
		must(rep.kept == recset_count(s));
		must(recset_serialize(s, &out, &olen) == 0);
		free(out);
		(void)recset_expire(s, NOW + 1800);
	}
	recset_free(s);
	free(b);
}

static void
fuzz_token(const uint8_t *d, size_t n, int framed)
{
	char text[INVITE_TEXT_MAX + 512], again[INVITE_TEXT_MAX];
	struct invite_token t;

	if (framed) {
		/* d is the binary token body: add the check so the parser is
		 * reached, then the text form. */
		uint8_t body[MESH_INVITE_WIRE_MAX + 4];
		crypto_generichash_state st;
		static const char dom[] = "nss-mesh invite-check v1";

		if (n > MESH_INVITE_WIRE_MAX - MESH_INVITE_CHECK_LEN)
			return;
		memcpy(body, d, n);
		crypto_generichash_init(&st, NULL, 0, MESH_INVITE_CHECK_LEN);
		crypto_generichash_update(&st, (const uint8_t *)dom,
		    sizeof(dom) - 1);
		crypto_generichash_update(&st, body, n);
		crypto_generichash_final(&st, body + n, MESH_INVITE_CHECK_LEN);
		snprintf(text, sizeof(text), "%s", MESH_INVITE_PREFIX);
		sodium_bin2base64(text + 6, sizeof(text) - 6, body,
		    n + MESH_INVITE_CHECK_LEN,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	} else {
		if (n >= sizeof(text))
			return;
		memcpy(text, d, n);
		text[n] = '\0';
	}
	if (invite_token_decode(text, &t, NULL) != 0)
		return;
	must(invite_token_encode(&t, again, sizeof(again)) > 0);
	must(strcmp(again, text) == 0);
	invite_token_wipe(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 8) {
	case 0:
		fuzz_record(data + 1, size - 1);
		break;
	case 1:
		fuzz_near_record(data + 1, size - 1);
		break;
	case 2:
		fuzz_cert_rev(data + 1, size - 1);
		break;
	case 3:
		fuzz_set(data + 1, size - 1, 0);
		break;
	case 4:
		fuzz_set(data + 1, size - 1, 1);
		break;
	case 5:
		fuzz_token(data + 1, size - 1, 0);
		break;
	default:
		fuzz_token(data + 1, size - 1, 1);
		break;
	}
	return 0;
}
