#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>

#include "common/name.h"
#include "invite.h"

#define B64_VARIANT	sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define PREFIX_LEN	(sizeof(MESH_INVITE_PREFIX) - 1)
#define CHECK_DOMAIN	"nss-mesh invite-check v1"
#define PROOF_DOMAIN	"nss-mesh invite proof v1"

/* The store's bytes (what its save hook gets and invite_store_parse
 * reads): "MINV" | version | 0 0 0 | count u32 LE | 0 x4, then count
 * fixed entries.  Secrets inside: the agent keeps them in a 0600 file.
 * Version 2 (written) adds to each entry the certificate its redemption
 * issued, as wire bytes (all zero while unused); version 1 (read too)
 * has the entry alone. */
#define FILE_MAGIC	"MINV"
#define FILE_VERSION	2
#define FILE_HDR_LEN	16

struct invite_ent_wire_v1 {
	uint8_t name[64];		/* 0-padded label */
	uint8_t secret[MESH_INVITE_SECRET_LEN];
	uint8_t expires[8];
	uint8_t used_at[8];		/* 0: unused */
	uint8_t used_by[MESH_KEY_LEN];
};
struct invite_ent_wire {
	struct invite_ent_wire_v1 e;
	struct mesh_cert_wire cert;	/* issued to used_by; 0s: none */
};
_Static_assert(sizeof(struct invite_ent_wire_v1) == 128,
    "invite entry changed");
_Static_assert(INVITE_ENT_BYTES == sizeof(struct invite_ent_wire),
    "INVITE_ENT_BYTES is out of date");

struct invite_ent {
	char name[MESH_LABEL_MAX + 1];
	uint8_t secret[MESH_INVITE_SECRET_LEN];
	uint64_t expires, used_at;
	uint8_t used_by[MESH_KEY_LEN];
	bool have_cert;			/* cert: what used_by was issued */
	struct mesh_cert_wire cert;
};

/* All of it in one sodium_malloc block: secrets never in ordinary heap. */
struct invite_store {
	struct invite_store_io io;	/* io.save NULL: memory only */
	size_t n;
	struct invite_ent ent[INVITE_MAX];
};

/* ---- token text ---------------------------------------------------------- */

static bool
host_ok(const char *h, size_t len)
{
	if (len == 0 || len > MESH_INVITE_HOST_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (h[i] <= ' ' || h[i] > '~')
			return false;
	return true;
}

static bool
name_ok(const char *n, size_t len)
{
	if (!mesh_label_valid(n, len, NULL))
		return false;
	for (size_t i = 0; i < len; i++)
		if (n[i] >= 'A' && n[i] <= 'Z')
			return false;
	return true;
}

static void
token_check(const uint8_t *b, size_t len, uint8_t out[MESH_INVITE_CHECK_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, MESH_INVITE_CHECK_LEN);
	crypto_generichash_update(&st, (const uint8_t *)CHECK_DOMAIN,
	    sizeof(CHECK_DOMAIN) - 1);
	crypto_generichash_update(&st, b, len);
	crypto_generichash_final(&st, out, MESH_INVITE_CHECK_LEN);
}

int
invite_token_encode(const struct invite_token *t, char *out, size_t outlen)
{
	uint8_t *b;
	struct mesh_invite_head_wire h;
	size_t hl = strnlen(t->host, sizeof(t->host));
	size_t nl = strnlen(t->name, sizeof(t->name)), n = 0, tl;
	int rc;

	if (!host_ok(t->host, hl) || !name_ok(t->name, nl))
		return -EINVAL;
	if ((b = sodium_malloc(MESH_INVITE_WIRE_MAX)) == NULL)
		return -ENOMEM;
	h.version = MESH_INVITE_VERSION;
	mesh_put_le64(h.expires, t->expires);
	memcpy(h.net_id, t->net_id, MESH_NETID_LEN);
	memcpy(h.member_pk, t->member_pk, MESH_KEY_LEN);
	memcpy(h.secret, t->secret, MESH_INVITE_SECRET_LEN);
	memcpy(b, &h, sizeof(h));
	n = sizeof(h);
	b[n++] = (uint8_t)hl;
	memcpy(b + n, t->host, hl);
	n += hl;
	b[n++] = (uint8_t)nl;
	memcpy(b + n, t->name, nl);
	n += nl;
	token_check(b, n, b + n);
	n += MESH_INVITE_CHECK_LEN;
	tl = PREFIX_LEN + sodium_base64_ENCODED_LEN(n, B64_VARIANT);
	if (outlen < tl) {
		rc = -ENOSPC;
	} else {
		memcpy(out, MESH_INVITE_PREFIX, PREFIX_LEN);
		sodium_bin2base64(out + PREFIX_LEN, outlen - PREFIX_LEN, b, n,
		    B64_VARIANT);
		rc = (int)strlen(out);
	}
	sodium_memzero(&h, sizeof(h));
	sodium_free(b);
	return rc;
}

int
invite_token_decode(const char *text, struct invite_token *t, const char **why)
{
	struct mesh_invite_head_wire h;
	uint8_t *b, check[MESH_INVITE_CHECK_LEN];
	size_t tl = strlen(text), n = 0, len, hl, nl;
	const char *dummy, *end;
	int rc = -EINVAL;

	if (why == NULL)
		why = &dummy;
	memset(t, 0, sizeof(*t));
	if (tl < PREFIX_LEN || memcmp(text, MESH_INVITE_PREFIX, PREFIX_LEN) != 0) {
		*why = "does not start with \"" MESH_INVITE_PREFIX "\"";
		return -EINVAL;
	}
	if ((b = sodium_malloc(MESH_INVITE_WIRE_MAX)) == NULL) {
		*why = "out of memory";
		return -ENOMEM;
	}
	if (sodium_base642bin(b, MESH_INVITE_WIRE_MAX, text + PREFIX_LEN,
	    tl - PREFIX_LEN, NULL, &len, &end, B64_VARIANT) != 0 ||
	    *end != '\0') {
		*why = "is not base64url text, or too long";
		goto out;
	}
	if (len < MESH_INVITE_WIRE_MIN) {
		*why = "is too short";
		goto out;
	}
	token_check(b, len - MESH_INVITE_CHECK_LEN, check);
	if (memcmp(check, b + len - MESH_INVITE_CHECK_LEN, sizeof(check)) != 0) {
		*why = "is damaged (check bytes do not match)";
		goto out;
	}
	len -= MESH_INVITE_CHECK_LEN;
	memcpy(&h, b, sizeof(h));
	n = sizeof(h);
	if (h.version != MESH_INVITE_VERSION) {
		*why = "is of an unknown version";
		goto out;
	}
	hl = b[n++];
	if (hl == 0 || hl > MESH_INVITE_HOST_MAX || n + hl + 1 > len ||
	    !host_ok((const char *)b + n, hl)) {
		*why = "holds a bad host";
		goto out;
	}
	memcpy(t->host, b + n, hl);
	n += hl;
	nl = b[n++];
	if (nl == 0 || n + nl != len || !name_ok((const char *)b + n, nl)) {
		*why = "holds a bad name";
		goto out;
	}
	memcpy(t->name, b + n, nl);
	t->expires = mesh_get_le64(h.expires);
	memcpy(t->net_id, h.net_id, MESH_NETID_LEN);
	memcpy(t->member_pk, h.member_pk, MESH_KEY_LEN);
	memcpy(t->secret, h.secret, MESH_INVITE_SECRET_LEN);
	rc = 0;
out:
	if (rc < 0)
		invite_token_wipe(t);
	sodium_memzero(&h, sizeof(h));
	sodium_free(b);
	return rc;
}

void
invite_token_wipe(struct invite_token *t)
{
	sodium_memzero(t, sizeof(*t));
}

void
invite_proof(const uint8_t secret[static MESH_INVITE_SECRET_LEN],
    const uint8_t net_id[static MESH_NETID_LEN],
    const uint8_t joiner_pk[static MESH_KEY_LEN],
    uint8_t proof[static INVITE_PROOF_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, secret, MESH_INVITE_SECRET_LEN,
	    INVITE_PROOF_LEN);
	crypto_generichash_update(&st, (const uint8_t *)PROOF_DOMAIN,
	    sizeof(PROOF_DOMAIN) - 1);
	crypto_generichash_update(&st, net_id, MESH_NETID_LEN);
	crypto_generichash_update(&st, joiner_pk, MESH_KEY_LEN);
	crypto_generichash_final(&st, proof, INVITE_PROOF_LEN);
	sodium_memzero(&st, sizeof(st));
}

/* ---- the store ----------------------------------------------------------- */

/* Serialise the store and hand it to the save hook; 0 when it says the
 * bytes are durable.  The bytes hold secrets: guarded memory, wiped. */
static int
store_save(const struct invite_store *st)
{
	size_t len = FILE_HDR_LEN + st->n * sizeof(struct invite_ent_wire);
	uint8_t *b;
	int rc;

	if (st->io.save == NULL)
		return 0;
	if ((b = sodium_malloc(len)) == NULL)
		return -ENOMEM;
	memset(b, 0, len);
	memcpy(b, FILE_MAGIC, 4);
	b[4] = FILE_VERSION;
	b[8] = (uint8_t)st->n;
	b[9] = (uint8_t)(st->n >> 8);
	for (size_t i = 0; i < st->n; i++) {
		struct invite_ent_wire *w = (struct invite_ent_wire *)(void *)
		    (b + FILE_HDR_LEN + i * sizeof(*w));
		const struct invite_ent *e = &st->ent[i];
		memcpy(w->e.name, e->name, strlen(e->name));
		memcpy(w->e.secret, e->secret, MESH_INVITE_SECRET_LEN);
		mesh_put_le64(w->e.expires, e->expires);
		mesh_put_le64(w->e.used_at, e->used_at);
		memcpy(w->e.used_by, e->used_by, MESH_KEY_LEN);
		if (e->have_cert)
			w->cert = e->cert;
	}
	rc = st->io.save(st->io.ctx, b, len);
	sodium_free(b);
	return rc;
}

int
invite_store_parse(struct invite_store *st, const uint8_t *b, size_t len)
{
	static const struct mesh_cert_wire none;
	size_t n, esz;

	if (len < FILE_HDR_LEN || memcmp(b, FILE_MAGIC, 4) != 0 ||
	    (b[4] != 1 && b[4] != FILE_VERSION))
		return -EINVAL;
	esz = b[4] == 1 ? sizeof(struct invite_ent_wire_v1) :
	    sizeof(struct invite_ent_wire);
	n = (size_t)(b[8] | b[9] << 8);
	if (b[5] != 0 || b[6] != 0 || b[7] != 0 || b[10] != 0 || b[11] != 0 ||
	    n > INVITE_MAX || len != FILE_HDR_LEN + n * esz)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		struct invite_ent_wire w;
		struct invite_ent *e = &st->ent[i];
		struct mesh_cert c;
		size_t nl;

		memset(&w, 0, sizeof(w));
		memcpy(&w, b + FILE_HDR_LEN + i * esz, esz);
		nl = strnlen((const char *)w.e.name, sizeof(w.e.name));
		if (nl >= sizeof(w.e.name) ||
		    !name_ok((const char *)w.e.name, nl))
			goto bad;
		memset(e, 0, sizeof(*e));
		memcpy(e->name, w.e.name, nl);
		memcpy(e->secret, w.e.secret, MESH_INVITE_SECRET_LEN);
		e->expires = mesh_get_le64(w.e.expires);
		e->used_at = mesh_get_le64(w.e.used_at);
		memcpy(e->used_by, w.e.used_by, MESH_KEY_LEN);
		if (memcmp(&w.cert, &none, sizeof(none)) != 0) {
			/* Only what a redemption of this entry could have
			 * issued: for used_by, under the entry's name. */
			if (e->used_at == 0 || cert_decode(&w.cert, &c) != VR_OK ||
			    memcmp(c.node_pk, e->used_by, MESH_KEY_LEN) != 0 ||
			    strcmp(c.name, e->name) != 0)
				goto bad;
			e->cert = w.cert;
			e->have_cert = true;
		}
		sodium_memzero(&w, sizeof(w));
		continue;
bad:
		sodium_memzero(&w, sizeof(w));
		return -EINVAL;
	}
	st->n = n;
	return 0;
}

int
invite_store_new(const struct invite_store_io *io, struct invite_store **out)
{
	struct invite_store *st;

	*out = NULL;
	if (sodium_init() < 0)
		return -EIO;
	if ((st = sodium_malloc(sizeof(*st))) == NULL)
		return -ENOMEM;
	memset(st, 0, sizeof(*st));
	if (io != NULL)
		st->io = *io;
	*out = st;
	return 0;
}

void
invite_store_free(struct invite_store *st)
{
	if (st == NULL)
		return;
	if (st->io.release != NULL)
		st->io.release(st->io.ctx);
	sodium_free(st);	/* wipes the secrets */
}

size_t
invite_store_count(const struct invite_store *st)
{
	return st->n;
}

static void
ent_remove(struct invite_store *st, size_t i)
{
	memmove(&st->ent[i], &st->ent[i + 1], (st->n - i - 1) * sizeof(st->ent[0]));
	st->n--;
	sodium_memzero(&st->ent[st->n], sizeof(st->ent[0]));
}

/* Forget invites long past expiry: refused anyway, as expired, until then. */
static void
prune(struct invite_store *st, uint64_t now)
{
	for (size_t i = st->n; i-- > 0;)
		if (st->ent[i].expires + INVITE_KEEP_USED < now)
			ent_remove(st, i);
}

int
invite_create(struct invite_store *st, const char *name, const char *host,
    const uint8_t member_pk[static MESH_KEY_LEN],
    const uint8_t ca_pk[static MESH_KEY_LEN], uint64_t now, uint64_t lifetime,
    char *out, size_t outlen)
{
	struct invite_token *t;
	struct invite_ent *e;
	size_t nl = strlen(name), hl = strlen(host);
	int rc;

	if (!mesh_label_valid(name, nl, NULL) || !host_ok(host, hl))
		return -EINVAL;
	if ((t = sodium_malloc(sizeof(*t))) == NULL)
		return -ENOMEM;
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < nl; i++)
		t->name[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
		    name[i] - 'A' + 'a' : name[i]);
	/* host_ok() bounds hl by MESH_INVITE_HOST_MAX; memset put the NUL. */
	memcpy(t->host, host, hl);
	t->expires = lifetime > UINT64_MAX - now ? UINT64_MAX : now + lifetime;
	cert_net_id(ca_pk, t->net_id);
	memcpy(t->member_pk, member_pk, MESH_KEY_LEN);
	randombytes_buf(t->secret, sizeof(t->secret));

	prune(st, now);
	for (size_t i = 0; i < st->n; i++)
		if (st->ent[i].used_at == 0 &&
		    strcmp(st->ent[i].name, t->name) == 0) {
			ent_remove(st, i);
			break;
		}
	if (st->n == INVITE_MAX) {
		rc = -ENOSPC;
		goto out;
	}
	e = &st->ent[st->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->name, t->name, nl + 1);
	memcpy(e->secret, t->secret, sizeof(e->secret));
	e->expires = t->expires;
	if ((rc = store_save(st)) < 0) {
		/* Not saved, so it does not exist.  (A replaced invite of the
		 * same name stays gone from memory; the saved copy has it.) */
		sodium_memzero(e, sizeof(*e));
		st->n--;
		goto out;
	}
	rc = invite_token_encode(t, out, outlen);
out:
	sodium_free(t);
	return rc;
}

int
invite_redeem(struct invite_store *st,
    const uint8_t proof[static INVITE_PROOF_LEN], const char *name,
    const uint8_t joiner_pk[static MESH_KEY_LEN], uint64_t now,
    const unsigned char *ca_sk, uint64_t cert_lifetime, struct mesh_cert *cert)
{
	uint8_t net_id[MESH_NETID_LEN], want[INVITE_PROOF_LEN];
	struct invite_ent *e = NULL;
	int rc;

	memset(cert, 0, sizeof(*cert));
	cert_net_id(ca_sk + 32, net_id);
	/* Look at every invite, whatever matched, so that time does not
	 * tell which position (or whether any) matched. */
	for (size_t i = 0; i < st->n; i++) {
		invite_proof(st->ent[i].secret, net_id, joiner_pk, want);
		if (sodium_memcmp(want, proof, INVITE_PROOF_LEN) == 0)
			e = &st->ent[i];
	}
	sodium_memzero(want, sizeof(want));
	if (e == NULL)
		return -EACCES;
	if (strcasecmp(e->name, name) != 0)
		return -EPERM;
	if (e->used_at != 0) {
		if (memcmp(e->used_by, joiner_pk, MESH_KEY_LEN) != 0)
			return -EALREADY;
		/* The same key again (its answer, or its files, were lost):
		 * the certificate it was issued then, never a newer one --
		 * a newer one would win the name back from a later holder
		 * (a newer not_before).  Even past expiry: it is nothing
		 * new. */
		if (e->have_cert)
			return cert_decode(&e->cert, cert) == VR_OK ? 0 : -EINVAL;
		/* Used under version 1 of the file: none kept, so one
		 * now, kept from here on. */
	}
	if (now >= e->expires)
		return -EKEYEXPIRED;
	if (cert_issue(cert, ca_sk, e->name, joiner_pk, now, cert_lifetime) !=
	    VR_OK) {
		memset(cert, 0, sizeof(*cert));
		return -EINVAL;
	}
	/* Recorded with the certificate before it is handed out: a crash
	 * can lose an invite, never let one be used twice. */
	{
		struct invite_ent old = *e;

		if (e->used_at == 0)
			e->used_at = now ? now : 1;
		memcpy(e->used_by, joiner_pk, MESH_KEY_LEN);
		cert_encode(cert, &e->cert);
		e->have_cert = true;
		if ((rc = store_save(st)) < 0) {
			*e = old;
			sodium_memzero(&old, sizeof(old));
			memset(cert, 0, sizeof(*cert));
			return rc;
		}
		sodium_memzero(&old, sizeof(old));
	}
	return 0;
}
