/*
 * libFuzzer target: the PUNCH parser (overlay/punch.c) on its own.  Any
 * input either decodes to at most PUNCH_CANDS_MAX endpoints, each of a
 * known family with a port, that encode back to exactly the input, or is
 * refused; nothing may crash or trip a sanitizer.  (Inside a running node
 * PUNCH is reached by fuzz_node too, as any control message.)
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/punch.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct punch_msg m;
	uint8_t out[PUNCH_LEN_MAX];
	size_t n;

	if (!punch_decode(data, len, &m))
		return 0;
	if (m.n == 0 || m.n > PUNCH_CANDS_MAX)
		abort();
	for (size_t i = 0; i < m.n; i++)
		if (m.ep[i].port == 0 || (m.ep[i].family != MESH_EP_IPV4 &&
		    m.ep[i].family != MESH_EP_IPV6))
			abort();
	n = punch_encode(&m, out);
	if (n != len || memcmp(out, data, len) != 0)
		abort();
	return 0;
}
