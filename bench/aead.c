/*
 * bench/aead: what the transport cipher costs per packet, on this CPU.
 * Seals packets of 1,420 bytes (a full overlay datagram's payload) through
 * overlay/aead.c with each cipher meshd can choose, and prints MB/s,
 * packets/s and the ratio AES-256-GCM : ChaCha20-Poly1305 -- the figure
 * that says how much of a core the data plane's crypto takes at a given
 * rate.  Also opens what it sealed, since the receiver pays that.
 *
 *   bench/aead [PACKETS]          (default 400,000 a cipher; `make bench-aead`)
 *
 * Not a test: times are this machine's, now.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sodium.h>

#include "overlay/aead.h"

#define PKT 1420

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* MB/s of seal (open when opening) over n packets. */
static double
run(const struct aead_key *key, long n, bool opening)
{
	static uint8_t m[PKT], c[PKT + WIRE_TAG_LEN], ad[16];
	double t0;

	aead_seal(key, c, m, PKT, ad, sizeof(ad), 1);
	t0 = seconds();
	for (long i = 0; i < n; i++) {
		if (!opening)
			aead_seal(key, c, m, PKT, ad, sizeof(ad), (uint64_t)i);
		else if (!aead_open(key, m, c, sizeof(c), ad, sizeof(ad), 1))
			abort();
	}
	return (double)n * PKT / (seconds() - t0) / 1e6;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 400000;
	uint8_t k[WIRE_KEY_LEN];
	struct aead_key cha, aes;
	double r[2][2];

	if (sodium_init() < 0 || n <= 0)
		return 1;
	randombytes_buf(k, sizeof(k));
	aead_key_init(&cha, k, false);
	aead_key_init(&aes, k, true);
	printf("%-20s %10s %10s %12s\n", "cipher (1420 B)", "seal MB/s",
	    "open MB/s", "seal pkt/s");
	for (int i = 0; i < 2; i++) {
		const struct aead_key *key = i ? &aes : &cha;
		if (i == 1 && !aes.aes) {
			printf("%-20s (no AES instructions on this CPU)\n",
			    aead_name(true));
			return 0;
		}
		r[i][0] = run(key, n, false);
		r[i][1] = run(key, n, true);
		printf("%-20s %10.0f %10.0f %12.0f\n", aead_name(key->aes),
		    r[i][0], r[i][1], r[i][0] * 1e6 / PKT);
	}
	printf("AES-256-GCM / ChaCha20-Poly1305: seal %.2fx, open %.2fx; "
	    "one core seals %.1f Gb/s with AES\n", r[1][0] / r[0][0],
	    r[1][1] / r[0][1], r[1][0] * 8 / 1e3);
	sodium_memzero(&aes, sizeof(aes));
	sodium_memzero(&cha, sizeof(cha));
	return 0;
}
