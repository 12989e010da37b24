#include "config.h"

#include <stdlib.h>
#include <sodium.h>

#include "mac.h"

void
mac_key(uint8_t key[static WIRE_KEY_LEN], const uint8_t pk[static WIRE_KEY_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, WIRE_KEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)WIRE_LABEL_MAC1,
	    sizeof(WIRE_LABEL_MAC1) - 1);
	crypto_generichash_update(&st, pk, WIRE_KEY_LEN);
	crypto_generichash_final(&st, key, WIRE_KEY_LEN);
}

static void
compute(uint8_t out[static WIRE_MAC_LEN], const uint8_t key[static WIRE_KEY_LEN],
    const uint8_t *msg, size_t len)
{
	crypto_generichash(out, WIRE_MAC_LEN, msg, len, key, WIRE_KEY_LEN);
}

void
mac_seal(const uint8_t key[static WIRE_KEY_LEN], uint8_t *msg, size_t len)
{
	if (len < WIRE_MAC_LEN)
		abort();	/* caller bug, as sodium_misuse() */
	compute(msg + len - WIRE_MAC_LEN, key, msg, len - WIRE_MAC_LEN);
}

bool
mac_check(const uint8_t key[static WIRE_KEY_LEN], const uint8_t *msg,
    size_t len)
{
	uint8_t want[WIRE_MAC_LEN];

	if (len < WIRE_MAC_LEN)
		return false;
	compute(want, key, msg, len - WIRE_MAC_LEN);
	return sodium_memcmp(want, msg + len - WIRE_MAC_LEN, WIRE_MAC_LEN) == 0;
}
