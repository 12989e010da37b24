/* What is pure about an identity (identity.h); the files are agent/keys.c's. */
#include "config.h"

#include <sodium.h>

#include "identity.h"

void
identity_free(struct mesh_identity *id)
{
	if (id == NULL)
		return;
	sodium_free(id->sk);
	id->sk = NULL;
}

void
identity_fingerprint(const uint8_t pk[static 32], char out[static IDENTITY_FP_LEN])
{
	static const char domain[] = "nss-mesh fingerprint v1";
	static const char hex[] = "0123456789abcdef";
	crypto_generichash_state st;
	uint8_t h[16];
	size_t o = 0;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)domain, sizeof(domain) - 1);
	crypto_generichash_update(&st, pk, 32);
	crypto_generichash_final(&st, h, sizeof(h));
	for (size_t i = 0; i < sizeof(h); i++) {
		if (i > 0 && i % 2 == 0)
			out[o++] = ':';
		out[o++] = hex[h[i] >> 4];
		out[o++] = hex[h[i] & 15];
	}
	out[o] = '\0';
}
