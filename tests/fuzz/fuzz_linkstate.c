/*
 * libFuzzer target for overlay/linkstate.c: the link record decoder, and
 * the graph built from whatever decodes.
 * Build with tests/fuzz/build-dataplane.sh; run by tests/fuzz/run.sh.
 *
 * The input is a run of link records back to back (each as long as its
 * header says); the first byte of the input chooses self (a node key with
 * that first byte, the rest as in the first record's node key).  Each
 * decoded record must re-encode to its bytes and goes into the graph.
 * Then, each an abort() when broken: every route's next hop is self's
 * neighbour, its cost is what the path through that hop costs, a route
 * chosen under hysteresis is one of the two, and the dot text is as long
 * as said, in any buffer size.  Then some nodes are forgotten and the
 * routes checked again.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlay/linkstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
must(int cond)
{
	if (!cond)
		abort();
}

static struct linkstate *g;

static void
check_route(const struct linkstate_route *r, void *arg)
{
	struct linkstate_route c;
	uint64_t via;

	(void)arg;
	must(r->hops >= 1 && r->cost >= r->hops);
	must(linkstate_cost_via(g, r->hop, r->dst, &via) == 0);
	must(via == r->cost);
	/* Hysteresis from "the hop in use is the destination itself". */
	must(linkstate_choose(g, r->dst, r->dst, &c) == 0);
	must(memcmp(c.hop, r->hop, LINKSTATE_KEY_LEN) == 0 ||
	    memcmp(c.hop, r->dst, LINKSTATE_KEY_LEN) == 0);
	must(c.cost >= r->cost);
}

static const char *
name(const uint8_t key[LINKSTATE_KEY_LEN], void *arg)
{
	(void)arg;
	return key[0] & 1 ? "n\"\\\x01" : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct linkstate_record r;
	static uint8_t again[LINKSTATE_WIRE_MAX];
	static char dot[1 << 16];
	uint8_t self[LINKSTATE_KEY_LEN] = { 0 };
	size_t off = 1, n, len, cut;
	int rc;

	if (size < 1)
		return 0;
	self[0] = data[0];
	if (size > 1 + 2 + LINKSTATE_KEY_LEN)
		memcpy(self + 1, data + 1 + 3, LINKSTATE_KEY_LEN - 1);
	g = linkstate_new(self);
	must(g != NULL);
	while (off < size) {
		n = linkstate_wire_len(data + off, size - off);
		if (n == 0 || n > size - off)
			n = size - off;
		rc = linkstate_decode(data + off, n, &r);
		if (rc == 0) {
			must(linkstate_record_valid(&r));
			must(linkstate_encode(&r, again, sizeof(again)) == n);
			must(memcmp(again, data + off, n) == 0);
			rc = linkstate_update(g, &r);
			must(rc == 0 || rc == 1);
		} else {
			must(rc == -EINVAL);
		}
		off += n;
	}
	must(linkstate_routes(g, check_route, NULL) >= 0);
	/* Forget the nodes whose key's second byte is odd, and check again. */
	for (off = 1; off < size; off += n) {
		n = linkstate_wire_len(data + off, size - off);
		if (n == 0 || n > size - off)
			break;
		if (data[off + 3] & 1) {
			rc = linkstate_remove(g, data + off + 2);
			must(rc == 0 || rc == -ENOENT);
		}
	}
	must(linkstate_routes(g, check_route, NULL) >= 0);
	len = linkstate_dot(g, dot, sizeof(dot), name, NULL);
	if (len < sizeof(dot)) {
		must(strlen(dot) == len);
		must(strncmp(dot, "graph mesh {\n", 13) == 0);
		must(len >= 2 && strcmp(dot + len - 2, "}\n") == 0);
		cut = len / 2 + 1;
		memset(dot + cut, 'x', 16);
		must(linkstate_dot(g, dot, cut, name, NULL) == len);
		must(strlen(dot) == cut - 1);
	}
	linkstate_free(g);
	g = NULL;
	return 0;
}
