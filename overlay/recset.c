#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/name.h"
#include "recset.h"

#define FRAME_LEN	RECORD_WIRE_LEN
#define HDR_MAGIC	"MSET"
#define HDR_VERSION	1
#define REVS_MAX	65536	/* in a file: bounds what load reads */

/* One held record.  `dead` marks it during a sweep (expire, revoke);
 * `stale`: past its expiry, kept as the last word on its member. */
struct held {
	struct mesh_record rec;
	bool dead;
	bool stale;
	bool unserved;		/* stale for RECSET_STALE_MAX: not answered */
};

/* Two sorted arrays of pointers to the same held records: by node key and
 * by name.  Pointers, so an insert moves 8 bytes per record, not 500. */
struct recset {
	uint8_t ca_pk[MESH_KEY_LEN];
	uint8_t net_id[MESH_NETID_LEN];
	struct held **by_key, **by_name;
	size_t n, cap, max;
	struct revset revs;
	struct recset_counters ctr;
	uint64_t gen;
};

struct recset *
recset_new(const uint8_t ca_pk[static MESH_KEY_LEN], size_t max)
{
	struct recset *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	memcpy(s->ca_pk, ca_pk, MESH_KEY_LEN);
	cert_net_id(ca_pk, s->net_id);
	s->max = max ? max : RECSET_MAX_DEFAULT;
	return s;
}

void
recset_free(struct recset *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->by_key[i]);
	free(s->by_key);
	free(s->by_name);
	revset_free(&s->revs);
	free(s);
}

/* Index of pk in by_key, or where it would go (*found false). */
static size_t
find_key(const struct recset *s, const uint8_t *pk, bool *found)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(s->by_key[mid]->rec.cert.node_pk, pk, MESH_KEY_LEN);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* Names are held lower-case (cert_decode refuses others). */
static size_t
find_name(const struct recset *s, const char *name, bool *found)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->by_name[mid]->rec.cert.name, name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void
arr_remove(struct held **a, size_t n, size_t i)
{
	memmove(a + i, a + i + 1, (n - i - 1) * sizeof(*a));
}

static void
arr_insert(struct held **a, size_t n, size_t i, struct held *h)
{
	memmove(a + i + 1, a + i, (n - i) * sizeof(*a));
	a[i] = h;
}

/* Remove the held record at by_key[ki] from both indexes and free it. */
static void
drop_at(struct recset *s, size_t ki)
{
	struct held *h = s->by_key[ki];
	bool found;
	size_t ni = find_name(s, h->rec.cert.name, &found);

	if (found && s->by_name[ni] == h)
		arr_remove(s->by_name, s->n, ni);
	arr_remove(s->by_key, s->n, ki);
	s->n--;
	free(h);
	s->gen++;
}

/* Drop every record marked dead; how many. */
static size_t
sweep(struct recset *s)
{
	size_t o = 0, gone = 0;

	for (size_t i = 0; i < s->n; i++)
		if (!s->by_name[i]->dead)
			s->by_name[o++] = s->by_name[i];
	o = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->by_key[i]->dead) {
			free(s->by_key[i]);
			gone++;
		} else {
			s->by_key[o++] = s->by_key[i];
		}
	}
	s->n = o;
	if (gone)
		s->gen++;
	return gone;
}

/* Is certificate a newer than b?  See "Two keys, one name" in recset.h. */
static bool
cert_newer(const struct mesh_cert *a, const struct mesh_cert *b)
{
	if (a->not_before != b->not_before)
		return a->not_before > b->not_before;
	if (a->serial != b->serial)
		return a->serial > b->serial;
	return memcmp(a->node_pk, b->node_pk, MESH_KEY_LEN) > 0;
}

static int
grow(struct recset *s)
{
	size_t cap;
	struct held **k, **n;

	if (s->n < s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : 64;
	if ((k = reallocarray(s->by_key, cap, sizeof(*k))) == NULL)
		return -ENOMEM;
	s->by_key = k;
	if ((n = reallocarray(s->by_name, cap, sizeof(*n))) == NULL)
		return -ENOMEM;
	s->by_name = n;
	s->cap = cap;
	return 0;
}

/* The decision, without counting. */
static enum vr
add_one(struct recset *s, const struct mesh_record *r, uint64_t now,
    bool stale_ok, bool *displaced)
{
	struct held *h, *rival = NULL;
	size_t ki, ni;
	bool kfound, nfound, stale = false;
	enum vr v;

	*displaced = false;
	if (memcmp(r->net_id, s->net_id, MESH_NETID_LEN) != 0)
		return VR_NETWORK;
	/* Sequence before signatures: replays are the common junk. */
	ki = find_key(s, r->cert.node_pk, &kfound);
	if (kfound) {
		uint64_t held_seq = s->by_key[ki]->rec.seq;
		if (r->seq < held_seq)
			return VR_STALE;
		if (r->seq == held_seq)
			return VR_DUP;
	} else if (s->n >= s->max) {
		return VR_FULL;
	}
	if (stale_ok && now >= r->expires) {
		/* Everything as of a moment before its expiry, and the
		 * certificate as of now. */
		if ((v = record_verify(r, s->ca_pk, &s->revs,
		    r->expires - 1)) != VR_OK ||
		    (v = cert_verify(&r->cert, s->ca_pk, now)) != VR_OK)
			return v;
		stale = true;
	} else if ((v = record_verify(r, s->ca_pk, &s->revs, now)) != VR_OK) {
		return v;
	}
	ni = find_name(s, r->cert.name, &nfound);
	if (nfound && s->by_name[ni] != (kfound ? s->by_key[ki] : NULL)) {
		rival = s->by_name[ni];
		if (!cert_newer(&r->cert, &rival->rec.cert))
			return VR_NAMECLASH;
	}
	if (grow(s) < 0)
		return VR_FULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return VR_FULL;
	h->rec = *r;
	h->stale = stale;
	if (rival != NULL) {
		bool f;
		drop_at(s, find_key(s, rival->rec.cert.node_pk, &f));
		*displaced = true;
	}
	if (kfound) {
		/* Same key: replace in place in by_key; by_name moves if the
		 * certificate renamed the node. */
		ki = find_key(s, r->cert.node_pk, &kfound);
		drop_at(s, ki);
	}
	ki = find_key(s, r->cert.node_pk, &kfound);
	arr_insert(s->by_key, s->n, ki, h);
	ni = find_name(s, r->cert.name, &nfound);
	arr_insert(s->by_name, s->n, ni, h);
	s->n++;
	s->gen++;
	return VR_OK;
}

enum vr
recset_add(struct recset *s, const struct mesh_record *r, uint64_t now)
{
	bool displaced;
	enum vr v = add_one(s, r, now, false, &displaced);

	if (v == VR_OK)
		s->ctr.accepted++;
	else
		s->ctr.rejected[v]++;
	if (displaced)
		s->ctr.displaced++;
	return v;
}

enum vr
recset_add_wire(struct recset *s, const uint8_t *buf, size_t len, uint64_t now,
    struct mesh_record *out, bool *isnew)
{
	struct mesh_record r;
	bool held;
	enum vr v;

	if (isnew != NULL)
		*isnew = false;
	if ((v = record_decode(buf, len, &r)) != VR_OK) {
		s->ctr.rejected[v]++;
		return v;
	}
	if (out != NULL)
		*out = r;
	find_key(s, r.cert.node_pk, &held);
	v = recset_add(s, &r, now);
	if (isnew != NULL)
		*isnew = v == VR_OK && !held;
	return v;
}

static size_t
drop_revoked(struct recset *s)
{
	for (size_t i = 0; i < s->n; i++)
		s->by_key[i]->dead = revset_check(&s->revs,
		    &s->by_key[i]->rec.cert);
	return sweep(s);
}

static enum vr
revoke_one(struct recset *s, const struct mesh_revocation *rv, bool *isnew)
{
	size_t before = s->revs.n;
	enum vr v;

	*isnew = false;
	if ((v = revset_add(&s->revs, rv, s->ca_pk)) != VR_OK)
		return v;
	if (s->revs.n != before) {
		*isnew = true;
		s->gen++;
	}
	return VR_OK;
}

enum vr
recset_revoke(struct recset *s, const struct mesh_revocation *rv, uint64_t now)
{
	bool isnew;
	enum vr v = revoke_one(s, rv, &isnew);

	(void)now;
	if (v != VR_OK) {
		s->ctr.rev_rejected++;
		return v;
	}
	if (isnew)
		s->ctr.revocations++;
	s->ctr.revoked += drop_revoked(s);
	return VR_OK;
}

size_t
recset_expire(struct recset *s, uint64_t now)
{
	size_t gone;

	for (size_t i = 0; i < s->n; i++) {
		struct held *h = s->by_key[i];
		const struct mesh_record *r = &h->rec;
		h->dead = now >= r->cert.not_after;
		if (!h->dead && !h->stale && now >= r->expires) {
			h->stale = true;
			s->ctr.staled++;
			s->gen++;
		}
		if (!h->dead && h->stale && !h->unserved &&
		    now - r->expires >= RECSET_STALE_MAX) {
			h->unserved = true;	/* export again: it leaves */
			s->gen++;
		}
	}
	gone = sweep(s);
	s->ctr.expired += gone;
	if (revset_expire(&s->revs, now) > 0)
		s->gen++;
	return gone;
}

size_t
recset_count(const struct recset *s)
{
	return s->n;
}

const struct mesh_record *
recset_at(const struct recset *s, size_t i)
{
	return i < s->n ? &s->by_key[i]->rec : NULL;
}

const struct mesh_record *
recset_at_name(const struct recset *s, size_t i)
{
	return i < s->n ? &s->by_name[i]->rec : NULL;
}

bool
recset_stale_at(const struct recset *s, size_t i)
{
	return i < s->n && s->by_key[i]->stale;
}

bool
recset_stale_at_name(const struct recset *s, size_t i)
{
	return i < s->n && s->by_name[i]->stale;
}

const struct mesh_record *
recset_by_key(const struct recset *s, const uint8_t pk[static MESH_KEY_LEN])
{
	bool found;
	size_t i = find_key(s, pk, &found);

	return found ? &s->by_key[i]->rec : NULL;
}

const struct mesh_record *
recset_by_name(const struct recset *s, const char *name)
{
	char low[MESH_LABEL_MAX + 1];
	size_t len = strlen(name), i;
	bool found;

	if (!mesh_label_valid(name, len, NULL))
		return NULL;
	for (i = 0; i < len; i++)
		low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
		    name[i] - 'A' + 'a' : name[i]);
	low[len] = '\0';
	i = find_name(s, low, &found);
	return found ? &s->by_name[i]->rec : NULL;
}

const struct revset *
recset_revocations(const struct recset *s)
{
	return &s->revs;
}

const struct recset_counters *
recset_counters(const struct recset *s)
{
	return &s->ctr;
}

uint64_t
recset_generation(const struct recset *s)
{
	return s->gen;
}

int
recset_serialize(const struct recset *s, uint8_t **buf, size_t *len)
{
	size_t n = RECSET_HDR_LEN + (s->revs.n + s->n) * FRAME_LEN;
	uint8_t *b = calloc(1, n), *p;

	if (b == NULL)
		return -ENOMEM;
	memcpy(b, HDR_MAGIC, 4);
	b[4] = HDR_VERSION;
	b[8] = (uint8_t)FRAME_LEN;
	b[9] = (uint8_t)(FRAME_LEN >> 8);
	memcpy(b + 16, s->net_id, MESH_NETID_LEN);
	p = b + RECSET_HDR_LEN;
	for (size_t i = 0; i < s->revs.n; i++, p += FRAME_LEN) {
		struct mesh_rev_wire w;
		rev_encode(&s->revs.v[i], &w);
		memcpy(p, &w, sizeof(w));
	}
	for (size_t i = 0; i < s->n; i++, p += FRAME_LEN)
		record_encode(&s->by_key[i]->rec, p);
	*buf = b;
	*len = n;
	return 0;
}

static void
report_drop(struct recset_load_report *rep, enum vr v)
{
	if (v == VR_EXPIRED)
		rep->expired++;
	else
		rep->bad++;
	rep->why[v]++;
}

int
recset_parse(struct recset *s, const uint8_t *buf, size_t len, uint64_t now,
    struct recset_load_report *rep)
{
	static const uint8_t zero[FRAME_LEN];
	struct recset_load_report dummy;
	size_t nframes;

	if (rep == NULL)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));
	if (len < RECSET_HDR_LEN || memcmp(buf, HDR_MAGIC, 4) != 0 ||
	    buf[4] != HDR_VERSION ||
	    (buf[8] | buf[9] << 8 | buf[10] << 16 | (uint32_t)buf[11] << 24) !=
	    FRAME_LEN)
		return -EINVAL;
	if (memcmp(buf + 16, s->net_id, MESH_NETID_LEN) != 0)
		return -EINVAL;
	nframes = (len - RECSET_HDR_LEN) / FRAME_LEN;
	rep->trailing = (len - RECSET_HDR_LEN) % FRAME_LEN;
	/* Revocations first, so that no revoked record gets in even for a
	 * moment, whatever the order of frames. */
	for (size_t i = 0; i < nframes; i++) {
		const uint8_t *f = buf + RECSET_HDR_LEN + i * FRAME_LEN;
		struct mesh_rev_wire w;
		struct mesh_revocation rv;
		bool isnew;
		enum vr v;

		if (f[0] != MESH_KIND_REVOCATION)
			continue;
		memcpy(&w, f, sizeof(w));
		v = memcmp(f + sizeof(w), zero, FRAME_LEN - sizeof(w)) != 0 ?
		    VR_FORMAT : rev_decode(&w, &rv);
		if (v == VR_OK)
			v = revoke_one(s, &rv, &isnew);
		if (v == VR_OK)
			rep->revocations++;
		else
			report_drop(rep, v);
	}
	if (rep->revocations > 0)
		drop_revoked(s);
	for (size_t i = 0; i < nframes; i++) {
		const uint8_t *f = buf + RECSET_HDR_LEN + i * FRAME_LEN;
		struct mesh_record r;
		bool displaced;
		enum vr v;

		if (f[0] == MESH_KIND_REVOCATION)
			continue;
		v = record_decode(f, FRAME_LEN, &r);
		if (v == VR_OK)
			v = add_one(s, &r, now, true, &displaced);
		if (v == VR_OK) {
			rep->kept++;
			rep->stale += now >= r.expires;
		}
		else
			report_drop(rep, v);
	}
	return 0;
}

size_t
recset_file_max(const struct recset *s)
{
	return RECSET_HDR_LEN + (s->max + REVS_MAX) * FRAME_LEN;
}
