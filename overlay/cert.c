#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/name.h"
#include "cert.h"

static const struct {
	const char *id, *str;
} vr_text[VR_MAX] = {
	[VR_OK] = { "ok", "valid" },
	[VR_FORMAT] = { "malformed", "malformed" },
	[VR_VERSION] = { "bad_version", "of an unknown version" },
	[VR_NETWORK] = { "foreign_network", "of another network" },
	[VR_NAME] = { "bad_name", "carrying an invalid name" },
	[VR_SIG] = { "bad_signature", "with a signature that does not verify" },
	[VR_NOTYET] = { "not_yet_valid", "not valid yet" },
	[VR_EXPIRED] = { "expired", "expired" },
	[VR_REVOKED] = { "revoked", "revoked" },
	[VR_ADDR] = { "bad_address", "with an overlay address not of its key" },
	[VR_ENDPOINT] = { "bad_endpoint", "with a malformed endpoint" },
	[VR_STALE] = { "stale", "older than the one held" },
	[VR_DUP] = { "duplicate", "no newer than the one held" },
	[VR_NAMECLASH] = { "name_clash",
	    "for a name held by a newer certificate" },
	[VR_FULL] = { "full", "refused: the set is full" },
};

const char *
vr_id(enum vr v)
{
	return (unsigned)v < VR_MAX ? vr_text[v].id : "unknown";
}

const char *
vr_str(enum vr v)
{
	return (unsigned)v < VR_MAX ? vr_text[v].str : "refused";
}

void
cert_net_id(const uint8_t ca_pk[static MESH_KEY_LEN],
    uint8_t net_id[static MESH_NETID_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, MESH_NETID_LEN);
	crypto_generichash_update(&st, (const uint8_t *)MESH_NETID_DOMAIN,
	    sizeof(MESH_NETID_DOMAIN) - 1);
	crypto_generichash_update(&st, ca_pk, MESH_KEY_LEN);
	crypto_generichash_final(&st, net_id, MESH_NETID_LEN);
}

/* A certificate name is a valid label in lower case: the canonical form,
 * so that "Laptop" and "laptop" cannot be two certificates' names. */
static bool
cert_name_ok(const char *name, size_t len)
{
	if (!mesh_label_valid(name, len, NULL))
		return false;
	for (size_t i = 0; i < len; i++)
		if (name[i] >= 'A' && name[i] <= 'Z')
			return false;
	return true;
}

/* Sign or verify domain || bytes[0..len): build the message once. */
static void
signed_msg(uint8_t *out, size_t *outlen, const char *domain,
    const void *bytes, size_t len)
{
	size_t dl = strlen(domain);

	memcpy(out, domain, dl);
	memcpy(out + dl, bytes, len);
	*outlen = dl + len;
}

void
cert_encode(const struct mesh_cert *c, struct mesh_cert_wire *w)
{
	size_t nl = strnlen(c->name, MESH_LABEL_MAX);

	memset(w, 0, sizeof(*w));
	w->kind = MESH_KIND_CERT;
	w->version = MESH_CERT_VERSION;
	w->name_len = (uint8_t)nl;
	memcpy(w->net_id, c->net_id, MESH_NETID_LEN);
	memcpy(w->name, c->name, nl);
	memcpy(w->node_pk, c->node_pk, MESH_KEY_LEN);
	mesh_put_le64(w->not_before, c->not_before);
	mesh_put_le64(w->not_after, c->not_after);
	mesh_put_le64(w->serial, c->serial);
	memcpy(w->sig, c->sig, MESH_SIG_LEN);
}

enum vr
cert_decode(const struct mesh_cert_wire *w, struct mesh_cert *c)
{
	memset(c, 0, sizeof(*c));
	if (w->kind != MESH_KIND_CERT)
		return VR_FORMAT;
	if (w->version != MESH_CERT_VERSION)
		return VR_VERSION;
	if (w->reserved != 0 || w->name_len == 0 ||
	    w->name_len > MESH_LABEL_MAX)
		return VR_FORMAT;
	for (size_t i = w->name_len; i < sizeof(w->name); i++)
		if (w->name[i] != 0)
			return VR_FORMAT;
	memcpy(c->net_id, w->net_id, MESH_NETID_LEN);
	memcpy(c->name, w->name, w->name_len);
	c->name[w->name_len] = '\0';
	if (!cert_name_ok(c->name, w->name_len))
		return VR_NAME;
	memcpy(c->node_pk, w->node_pk, MESH_KEY_LEN);
	c->not_before = mesh_get_le64(w->not_before);
	c->not_after = mesh_get_le64(w->not_after);
	c->serial = mesh_get_le64(w->serial);
	memcpy(c->sig, w->sig, MESH_SIG_LEN);
	return VR_OK;
}

enum vr
cert_issue(struct mesh_cert *c, const unsigned char *ca_sk, const char *name,
    const uint8_t node_pk[static MESH_KEY_LEN], uint64_t now,
    uint64_t lifetime)
{
	uint8_t msg[sizeof(MESH_CERT_DOMAIN) + sizeof(struct mesh_cert_wire)];
	struct mesh_cert_wire w;
	size_t nl = strlen(name), ml;

	memset(c, 0, sizeof(*c));
	if (!mesh_label_valid(name, nl, NULL))
		return VR_NAME;
	for (size_t i = 0; i < nl; i++)
		c->name[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
		    name[i] - 'A' + 'a' : name[i]);
	/* The public key is the second half of a libsodium secret key. */
	cert_net_id(ca_sk + 32, c->net_id);
	memcpy(c->node_pk, node_pk, MESH_KEY_LEN);
	c->not_before = now > CERT_SKEW ? now - CERT_SKEW : 0;
	c->not_after = lifetime > UINT64_MAX - now ? UINT64_MAX : now + lifetime;
	randombytes_buf(&c->serial, sizeof(c->serial));
	cert_encode(c, &w);
	signed_msg(msg, &ml, MESH_CERT_DOMAIN, &w, offsetof(struct mesh_cert_wire,
	    sig));
	crypto_sign_detached(c->sig, NULL, msg, ml, ca_sk);
	return VR_OK;
}

enum vr
cert_verify(const struct mesh_cert *c, const uint8_t ca_pk[static MESH_KEY_LEN],
    uint64_t now)
{
	uint8_t msg[sizeof(MESH_CERT_DOMAIN) + sizeof(struct mesh_cert_wire)];
	uint8_t net_id[MESH_NETID_LEN];
	struct mesh_cert_wire w;
	size_t ml;

	cert_net_id(ca_pk, net_id);
	if (memcmp(net_id, c->net_id, MESH_NETID_LEN) != 0)
		return VR_NETWORK;
	if (!cert_name_ok(c->name, strnlen(c->name, sizeof(c->name))))
		return VR_NAME;
	if (now < c->not_before)
		return VR_NOTYET;
	if (now >= c->not_after)
		return VR_EXPIRED;
	cert_encode(c, &w);
	signed_msg(msg, &ml, MESH_CERT_DOMAIN, &w, offsetof(struct mesh_cert_wire,
	    sig));
	if (crypto_sign_verify_detached(c->sig, msg, ml, ca_pk) != 0)
		return VR_SIG;
	return VR_OK;
}

void
rev_encode(const struct mesh_revocation *r, struct mesh_rev_wire *w)
{
	memset(w, 0, sizeof(*w));
	w->kind = MESH_KIND_REVOCATION;
	w->version = MESH_REV_VERSION;
	w->target = (uint8_t)r->target;
	memcpy(w->net_id, r->net_id, MESH_NETID_LEN);
	if (r->target == MESH_REV_SERIAL)
		mesh_put_le64(w->what, r->serial);
	else
		memcpy(w->what, r->node_pk, MESH_KEY_LEN);
	mesh_put_le64(w->revoked_at, r->revoked_at);
	mesh_put_le64(w->until, r->until);
	memcpy(w->sig, r->sig, MESH_SIG_LEN);
}

enum vr
rev_decode(const struct mesh_rev_wire *w, struct mesh_revocation *r)
{
	memset(r, 0, sizeof(*r));
	if (w->kind != MESH_KIND_REVOCATION)
		return VR_FORMAT;
	if (w->version != MESH_REV_VERSION)
		return VR_VERSION;
	if (w->reserved != 0)
		return VR_FORMAT;
	if (w->target == MESH_REV_SERIAL) {
		for (size_t i = 8; i < sizeof(w->what); i++)
			if (w->what[i] != 0)
				return VR_FORMAT;
		r->serial = mesh_get_le64(w->what);
	} else if (w->target == MESH_REV_KEY) {
		memcpy(r->node_pk, w->what, MESH_KEY_LEN);
	} else {
		return VR_FORMAT;
	}
	r->target = (enum mesh_rev_target)w->target;
	memcpy(r->net_id, w->net_id, MESH_NETID_LEN);
	r->revoked_at = mesh_get_le64(w->revoked_at);
	r->until = mesh_get_le64(w->until);
	memcpy(r->sig, w->sig, MESH_SIG_LEN);
	return VR_OK;
}

enum vr
rev_make(struct mesh_revocation *r, const unsigned char *ca_sk,
    const uint8_t ca_pk[static MESH_KEY_LEN], enum mesh_rev_target target,
    uint64_t serial, const uint8_t *node_pk, uint64_t now, uint64_t until)
{
	uint8_t msg[sizeof(MESH_REV_DOMAIN) + sizeof(struct mesh_rev_wire)];
	struct mesh_rev_wire w;
	size_t ml;

	memset(r, 0, sizeof(*r));
	if (target == MESH_REV_SERIAL)
		r->serial = serial;
	else if (target == MESH_REV_KEY && node_pk != NULL)
		memcpy(r->node_pk, node_pk, MESH_KEY_LEN);
	else
		return VR_FORMAT;
	r->target = target;
	cert_net_id(ca_pk, r->net_id);
	r->revoked_at = now;
	r->until = until;
	rev_encode(r, &w);
	signed_msg(msg, &ml, MESH_REV_DOMAIN, &w, offsetof(struct mesh_rev_wire,
	    sig));
	crypto_sign_detached(r->sig, NULL, msg, ml, ca_sk);
	return VR_OK;
}

enum vr
rev_verify(const struct mesh_revocation *r,
    const uint8_t ca_pk[static MESH_KEY_LEN])
{
	uint8_t msg[sizeof(MESH_REV_DOMAIN) + sizeof(struct mesh_rev_wire)];
	uint8_t net_id[MESH_NETID_LEN];
	struct mesh_rev_wire w;
	size_t ml;

	cert_net_id(ca_pk, net_id);
	if (memcmp(net_id, r->net_id, MESH_NETID_LEN) != 0)
		return VR_NETWORK;
	if (r->target != MESH_REV_SERIAL && r->target != MESH_REV_KEY)
		return VR_FORMAT;
	rev_encode(r, &w);
	signed_msg(msg, &ml, MESH_REV_DOMAIN, &w, offsetof(struct mesh_rev_wire,
	    sig));
	if (crypto_sign_verify_detached(r->sig, msg, ml, ca_pk) != 0)
		return VR_SIG;
	return VR_OK;
}

static bool
rev_covers(const struct mesh_revocation *r, const struct mesh_cert *c)
{
	if (r->target == MESH_REV_SERIAL)
		return r->serial == c->serial;
	return memcmp(r->node_pk, c->node_pk, MESH_KEY_LEN) == 0;
}

static bool
rev_same(const struct mesh_revocation *a, const struct mesh_revocation *b)
{
	if (a->target != b->target)
		return false;
	return a->target == MESH_REV_SERIAL ? a->serial == b->serial :
	    memcmp(a->node_pk, b->node_pk, MESH_KEY_LEN) == 0;
}

enum vr
revset_add(struct revset *rs, const struct mesh_revocation *r,
    const uint8_t ca_pk[static MESH_KEY_LEN])
{
	enum vr v;

	if ((v = rev_verify(r, ca_pk)) != VR_OK)
		return v;
	for (size_t i = 0; i < rs->n; i++) {
		if (!rev_same(&rs->v[i], r))
			continue;
		/* Keep the one that lasts longer. */
		if (r->until > rs->v[i].until)
			rs->v[i] = *r;
		return VR_OK;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 8;
		struct mesh_revocation *nv = reallocarray(rs->v, cap,
		    sizeof(*nv));
		if (nv == NULL)
			return VR_FULL;
		rs->v = nv;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *r;
	return VR_OK;
}

bool
revset_check(const struct revset *rs, const struct mesh_cert *c)
{
	if (rs == NULL)
		return false;
	for (size_t i = 0; i < rs->n; i++)
		if (rev_covers(&rs->v[i], c))
			return true;
	return false;
}

size_t
revset_expire(struct revset *rs, uint64_t now)
{
	size_t o = 0, gone;

	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].until > now)
			rs->v[o++] = rs->v[i];
	gone = rs->n - o;
	rs->n = o;
	return gone;
}

void
revset_free(struct revset *rs)
{
	if (rs == NULL)
		return;
	free(rs->v);
	rs->v = NULL;
	rs->n = rs->cap = 0;
}
