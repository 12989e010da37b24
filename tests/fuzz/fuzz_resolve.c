/*
 * libFuzzer target: meshd's answer to a datagram from any local user
 * (agent/resolver.c over agent/store.c, common/nss_msg.c, common/name.c).
 * Built by tests/fuzz/build-agent.sh.
 *
 * Two modes per input.  Raw: the bytes are the datagram, as the NSS socket
 * hands it over.  Guided: data[0] picks a by-name or by-address request and
 * the rest is the name or address, so that the fuzzer explores name policy
 * without having to find the magic and the exact size first.  Every answer
 * must pass mesh_resp_check and agree with the store.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/resolver.h"
#include "agent/store.h"
#include "common/name.h"
#include "common/nss_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t prefix[6] = { 0xfd, 0x6d, 0x00, 0x01, 0x00, 0x02 };
static struct store *st;

static void
add(struct store_rec *r, const char *name, const uint8_t *a4,
    const uint8_t *a6, uint32_t ttl)
{
	memset(r, 0, sizeof(*r));
	r->name_len = (uint16_t)strlen(name);
	memcpy(r->name, name, r->name_len);
	r->ttl = ttl;
	if (a4 != NULL)
		memcpy(r->addr4[r->n4++], a4, 4);
	if (a6 != NULL)
		memcpy(r->addr6[r->n6++], a6, 16);
}

static void
init(void)
{
	static const uint8_t v4a[4] = { 10, 0, 0, 7 }, v4b[4] = { 10, 0, 0, 8 };
	static const uint8_t v6a[16] = { 0xfd, 0x6d, 0, 1, 0, 2, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 1 };
	static const uint8_t v6b[16] = { 0xfd, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0x10 };
	struct store_rec self, peers[2], stat[3];

	if ((st = store_new()) == NULL)
		abort();
	add(&self, "me.mesh", NULL, v6a, 10);
	add(&peers[0], "web.mesh", v4b, NULL, 20);
	add(&peers[1], "a.mesh", v4a, v6b, 20);
	add(&stat[0], "nas.mesh", v4a, v6b, 30);
	add(&stat[1], "me.mesh", v4b, NULL, 30);
	add(&stat[2], "x-1.mesh", NULL, v6b, 30);
	if (store_replace(st, SRC_SELF, &self, 1, NULL) < 0 ||
	    store_replace(st, SRC_PEER, peers, 2, NULL) < 0 ||
	    store_replace(st, SRC_STATIC, stat, 3, NULL) < 0)
		abort();
}

/* An answer is well formed, and an OK one names a record in canonical
 * form that holds what was asked. */
static void
check(const struct mesh_resp *r, const struct mesh_req *q)
{
	char canon[MESH_NAME_MAX + 1];
	const struct store_rec *rec;

	if (!mesh_resp_check(r, sizeof(*r)))
		abort();
	if (r->status != MESH_ST_OK)
		return;
	if (mesh_name_canon(r->name, r->name_len, canon) != (int)r->name_len ||
	    memcmp(canon, r->name, r->name_len) != 0)
		abort();
	rec = store_by_name(st, r->name, r->name_len);
	if (rec == NULL || rec->n4 != r->n4 || rec->n6 != r->n6 ||
	    rec->ttl != r->ttl)
		abort();
	if (q == NULL)
		return;
	if (q->type == MESH_REQ_BYADDR) {
		size_t n = q->family == AF_INET ? r->n4 : r->n6, i;
		for (i = 0; i < n; i++)
			if (memcmp(q->family == AF_INET ? r->addr4[i] : r->addr6[i],
			    q->addr, q->family == AF_INET ? 4 : 16) == 0)
				break;
		if (i == n)
			abort();
	} else if (mesh_name_canon(q->name, q->name_len, canon) !=
	    (int)r->name_len || memcmp(canon, r->name, r->name_len) != 0) {
		abort();
	}
}

static void
raw(const uint8_t *data, size_t size)
{
	struct mesh_resp r;
	struct mesh_req q;

	resolve(st, prefix, data, size, &r);
	if (size != sizeof(q)) {
		if (r.status != MESH_ST_BADREQ)
			abort();
		check(&r, NULL);
		return;
	}
	memcpy(&q, data, sizeof(q));
	if ((mesh_req_check(&q, size) == MESH_ST_BADREQ) !=
	    (r.status == MESH_ST_BADREQ))
		abort();
	check(&r, r.status == MESH_ST_BADREQ ? NULL : &q);
}

static void
guided(const uint8_t *data, size_t size)
{
	struct mesh_resp r;
	struct mesh_req q;
	uint8_t addr[16] = { 0 };
	size_t stem;
	int family;

	if (size < 1)
		return;
	switch (data[0] % 3) {
	case 0:
		if (!mesh_req_byname(&q, (const char *)data + 1, size - 1))
			return;
		if (mesh_req_check(&q, sizeof(q)) != MESH_ST_OK)
			return;	/* a NUL inside: raw() covers those */
		resolve(st, prefix, &q, sizeof(q), &r);
		check(&r, &q);
		/* NOTMINE exactly when the gate says it is not a mesh name. */
		if ((r.status == MESH_ST_NOTMINE) !=
		    !mesh_name_is_mesh(q.name, q.name_len, &stem))
			abort();
		break;
	default:
		family = data[0] % 3 == 1 ? AF_INET : AF_INET6;
		memcpy(addr, data + 1, size - 1 < 16 ? size - 1 : 16);
		if (family == AF_INET)
			memset(addr + 4, 0, 12);
		mesh_req_byaddr(&q, family, addr);
		resolve(st, prefix, &q, sizeof(q), &r);
		check(&r, &q);
		/* Not found inside our /48 is NOTFOUND, never NOTMINE. */
		if (family == AF_INET6 && memcmp(addr, prefix, 6) == 0 &&
		    r.status == MESH_ST_NOTMINE)
			abort();
		if (r.status == MESH_ST_NOTFOUND &&
		    (family != AF_INET6 || memcmp(addr, prefix, 6) != 0))
			abort();
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (st == NULL)
		init();
	raw(data, size);
	guided(data, size);
	return 0;
}
