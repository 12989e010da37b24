/*
 * Records: this node's own, and everyone's through push gossip and
 * anti-entropy.
 *
 * Our record carries our certificate, overlay address and endpoints: the
 * addresses of our interfaces with the listen port, and up to two
 * endpoints peers told us they see us at (SEEN; the outside of a NAT).
 * It is republished when those change and before it expires; seq is
 * max(last + 1, unix microseconds) as mesh/signed_wire.h asks.
 *
 * Push: our own record, and one that reaches us straight from the member
 * it describes, go at once to every member session that is up (except
 * where it came from): in the full mesh (overlay.h) that one hop reaches
 * everyone.  A record accepted second-hand goes on to OV_FANOUT random
 * members only, for those the first hop did not reach (two members behind
 * NATs that cannot reach each other); without that limit every member
 * would echo every record to every other, N x N messages for one change.
 * Revocations are rare and go everywhere.  A refused record or revocation
 * goes nowhere, so a flood dies at the first hop.
 * Anti-entropy: every few seconds, one random member gets our digest, in
 * key ranges (msg.h); it answers with what we lack and asks for what it
 * lacks, and we send it our revocations.  A node back from a week away is
 * whole again after one round.
 *
 * Whatever changes the set is exported to the name store (SRC_PEER) once
 * per loop pass, not once per record, and only then logged as "member X
 * joined": by the time that line is written, X's name resolves.  Saving
 * to the state directory (two fsyncs) comes after the export and at most
 * every OV_SAVE_MS, and once more when meshd stops.
 */
#include "config.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <sodium.h>

#include "agent.h"
#include "common/atomic.h"
#include "log.h"
#include "overlay.h"
#include "state.h"

static void
push_all(struct overlay *ov, const struct peer *except, const uint8_t *m,
    size_t len)
{
	for (size_t i = 0; i < ov->npeers; i++) {
		struct peer *p = ov->peers[i];
		if (p == except || p->joiner || !overlay_peer_up(p))
			continue;
		if (overlay_send(ov, p, m, len) == 0)
			ov->c.records_pushed++;
	}
}

/* Up to k random member sessions that are up, other than the two given. */
static void
push_some(struct overlay *ov, const struct peer *from, const uint8_t *origin,
    const uint8_t *m, size_t len, size_t k)
{
	struct peer *pick[OV_FANOUT];
	uint32_t seen = 0;

	if (k > OV_FANOUT)
		k = OV_FANOUT;
	/* Reservoir sampling: one pass, no allocation. */
	for (size_t i = 0; i < ov->npeers; i++) {
		struct peer *p = ov->peers[i];
		if (p == from || p->joiner || !overlay_peer_up(p) ||
		    memcmp(p->pk, origin, MESH_KEY_LEN) == 0)
			continue;
		if (seen < k) {
			pick[seen++] = p;
		} else {
			uint32_t j = randombytes_uniform(++seen);
			if (j < k)
				pick[j] = p;
		}
	}
	for (size_t i = 0; i < k && i < seen; i++)
		if (overlay_send(ov, pick[i], m, len) == 0)
			ov->c.records_pushed++;
}

/* A member whose first record just came in: logged after the export. */
static void
fresh_add(struct overlay *ov, const char *name)
{
	char (*v)[MESH_LABEL_MAX + 1];

	if ((v = reallocarray(ov->fresh, ov->nfresh + 1, sizeof(*v))) == NULL)
		return;		/* only a log line is lost */
	ov->fresh = v;
	snprintf(v[ov->nfresh++], sizeof(*v), "%s", name);
}

/* recset_revoke says VR_OK for one it already holds too: only a new one
 * may travel on, or every member would echo it back and forth forever. */
static bool
revoke_new(struct overlay *ov, const struct mesh_revocation *rv, uint64_t now)
{
	uint64_t before = recset_counters(ov->rs)->revocations;

	return recset_revoke(ov->rs, rv, now) == VR_OK &&
	    recset_counters(ov->rs)->revocations > before;
}

static size_t
record_msg(const struct mesh_record *r, uint8_t *m)
{
	m[0] = MSG_RECORD;
	record_encode(r, m + 1);
	return 1 + RECORD_WIRE_LEN;
}

static size_t
rev_msg(const struct mesh_revocation *rv, uint8_t *m)
{
	struct mesh_rev_wire w;

	rev_encode(rv, &w);
	m[0] = MSG_REVOKE;
	memcpy(m + 1, &w, sizeof(w));
	return 1 + sizeof(w);
}

static bool
ep_usable(const struct ifaddrs *ifa, const struct overlay *ov)
{
	const struct sockaddr *sa = ifa->ifa_addr;

	if (sa == NULL || (ifa->ifa_flags & IFF_UP) == 0 ||
	    (ifa->ifa_flags & IFF_LOOPBACK) != 0)
		return false;
	if (sa->sa_family == AF_INET)
		return true;
	if (sa->sa_family != AF_INET6 || ov->family == AF_INET)
		return false;
	const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	/* Not link-local (needs a scope), not our own overlay prefix. */
	return !IN6_IS_ADDR_LINKLOCAL(a) &&
	    memcmp(a->s6_addr, ov->id.prefix, MESH_PREFIX_LEN) != 0;
}

static size_t
local_endpoints(struct overlay *ov, struct mesh_endpoint *ep, size_t max)
{
	struct ifaddrs *ifs = NULL;
	size_t n = 0;

	/* Observed ones first: they are how NATed peers find us. */
	for (size_t i = 0; i < ov->nobserved && n < max; i++)
		ep[n++] = ov->observed[i];
	if (ov->bound_one) {
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup |= memcmp(&ep[k], &ov->bound, sizeof(ov->bound)) == 0;
		if (!dup && n < max)
			ep[n++] = ov->bound;
		return n;
	}
	if (getifaddrs(&ifs) < 0)
		return n;
	for (struct ifaddrs *i = ifs; i != NULL && n < max; i = i->ifa_next) {
		struct sockaddr_storage ss;
		struct mesh_endpoint e;
		bool dup = false;

		if (!ep_usable(i, ov))
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, i->ifa_addr, i->ifa_addr->sa_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		((struct sockaddr_in *)&ss)->sin_port = htons(ov->port);
		if (!overlay_sa_to_ep(&ss, &e))
			continue;
		for (size_t k = 0; k < n; k++)
			dup |= memcmp(&ep[k], &e, sizeof(e)) == 0;
		if (!dup)
			ep[n++] = e;
	}
	freeifaddrs(ifs);
	return n;
}

static uint64_t
unix_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

void
gossip_publish(struct overlay *ov, bool force)
{
	struct mesh_endpoint ep[MESH_EP_MAX];
	struct mesh_record r;
	uint64_t now = (uint64_t)time(NULL), seq;
	uint8_t m[MSG_MAX];
	size_t n;
	enum vr v;

	memset(ep, 0, sizeof(ep));
	n = local_endpoints(ov, ep, MESH_EP_MAX);
	if (!force && ov->have_self && now < ov->self_refresh &&
	    n == ov->self.n_ep && memcmp(ep, ov->self.ep, n * sizeof(ep[0])) == 0)
		return;
	seq = unix_us();
	if (ov->have_self && seq <= ov->self.seq)
		seq = ov->self.seq + 1;
	if ((v = record_make(&r, &ov->cert, ov->id.ca_pk, ov->id.sk, ep, n,
	    seq, now + OV_RECORD_LIFETIME)) != VR_OK) {
		log_warnx("cannot make this node's record: %s", vr_str(v));
		return;
	}
	if ((v = recset_add(ov->rs, &r, now)) != VR_OK) {
		log_warnx("this node's own record was refused: %s", vr_str(v));
		return;
	}
	ov->self = r;
	ov->have_self = true;
	ov->self_refresh = now + OV_RECORD_LIFETIME - OV_RECORD_REFRESH;
	log_debug("published record seq %llu with %zu endpoint(s)",
	    (unsigned long long)seq, n);
	push_all(ov, NULL, m, record_msg(&r, m));
}

void
gossip_observed(struct overlay *ov, const struct mesh_endpoint *ep)
{
	for (size_t i = 0; i < ov->nobserved; i++)
		if (memcmp(&ov->observed[i], ep, sizeof(*ep)) == 0)
			return;
	/* Newest first; the oldest falls off. */
	memmove(&ov->observed[1], &ov->observed[0],
	    (OV_OBSERVED_MAX - 1) * sizeof(*ep));
	ov->observed[0] = *ep;
	if (ov->nobserved < OV_OBSERVED_MAX)
		ov->nobserved++;
	ov->endpoints_changed = true;
}

static void
send_digest(struct overlay *ov, struct peer *p)
{
	size_t n = recset_count(ov->rs), i = 0;
	struct msg_digest d;
	uint8_t m[MSG_MAX];

	memset(d.lo, 0, sizeof(d.lo));
	do {
		d.n = 0;
		while (i < n && d.n < MSG_DIGEST_MAX) {
			const struct mesh_record *r = recset_at(ov->rs, i++);
			memcpy(d.key[d.n], r->cert.node_pk, MESH_KEY_LEN);
			d.seq[d.n++] = r->seq;
		}
		if (i < n) {
			/* hi = the next chunk's first key - 1 */
			memcpy(d.hi, recset_at(ov->rs, i)->cert.node_pk,
			    MESH_KEY_LEN);
			for (int k = MESH_KEY_LEN - 1; k >= 0; k--)
				if (d.hi[k]-- != 0)
					break;
		} else {
			memset(d.hi, 0xff, sizeof(d.hi));
		}
		if (overlay_send(ov, p, m, msg_digest_encode(&d, m)) == 0)
			ov->c.digests_sent++;
		if (i < n)
			memcpy(d.lo, recset_at(ov->rs, i)->cert.node_pk,
			    MESH_KEY_LEN);
	} while (i < n);
}

static void
on_digest(struct overlay *ov, struct peer *p, const struct msg_digest *d)
{
	struct msg_want w;
	uint8_t m[MSG_MAX];
	size_t j = 0;

	w.n = 0;
	/* Ours in the range that the peer lacks or holds older. */
	for (size_t i = 0; i < recset_count(ov->rs); i++) {
		const struct mesh_record *r = recset_at(ov->rs, i);
		if (!msg_key_in(r->cert.node_pk, d->lo, d->hi))
			continue;
		while (j < d->n && memcmp(d->key[j], r->cert.node_pk,
		    MESH_KEY_LEN) < 0)
			j++;
		if (j < d->n && memcmp(d->key[j], r->cert.node_pk,
		    MESH_KEY_LEN) == 0 && d->seq[j] >= r->seq)
			continue;
		overlay_send(ov, p, m, record_msg(r, m));
	}
	/* Theirs that we lack or hold older. */
	for (size_t k = 0; k < d->n; k++) {
		const struct mesh_record *r = recset_by_key(ov->rs, d->key[k]);
		if ((r == NULL || r->seq < d->seq[k]) && w.n < MSG_WANT_MAX)
			memcpy(w.key[w.n++], d->key[k], MESH_KEY_LEN);
	}
	if (w.n > 0 && overlay_send(ov, p, m, msg_want_encode(&w, m)) == 0)
		ov->c.wants_sent++;
}

void
gossip_recv(struct overlay *ov, struct peer *p, const uint8_t *m, size_t len)
{
	uint64_t now = (uint64_t)time(NULL);
	uint8_t out[MSG_MAX];
	struct msg_digest d;
	struct msg_want w;
	struct mesh_endpoint ep;
	struct mesh_record r;
	bool isnew;

	switch (m[0]) {
	case MSG_RECORD:
		if (len != 1 + RECORD_WIRE_LEN) {
			ov->c.drop_badmsg++;
			return;
		}
		if (recset_add_wire(ov->rs, m + 1, len - 1, now, &r, &isnew) !=
		    VR_OK)
			return;
		if (isnew)
			fresh_add(ov, r.cert.name);
		if (memcmp(p->pk, r.cert.node_pk, MESH_KEY_LEN) == 0)
			push_all(ov, p, m, len);
		else
			push_some(ov, p, r.cert.node_pk, m, len, OV_FANOUT);
		return;
	case MSG_REVOKE: {
		struct mesh_rev_wire rw;
		struct mesh_revocation rv;
		if (len != 1 + sizeof(rw)) {
			ov->c.drop_badmsg++;
			return;
		}
		memcpy(&rw, m + 1, sizeof(rw));
		if (rev_decode(&rw, &rv) == VR_OK && revoke_new(ov, &rv, now)) {
			log_info("accepted a revocation");
			push_all(ov, p, m, len);
		}
		return;
	}
	case MSG_DIGEST:
		if (!msg_digest_decode(m, len, &d)) {
			ov->c.drop_badmsg++;
			return;
		}
		on_digest(ov, p, &d);
		return;
	case MSG_WANT:
		if (!msg_want_decode(m, len, &w)) {
			ov->c.drop_badmsg++;
			return;
		}
		for (size_t i = 0; i < w.n; i++) {
			const struct mesh_record *h = recset_by_key(ov->rs, w.key[i]);
			if (h != NULL)
				overlay_send(ov, p, out, record_msg(h, out));
		}
		return;
	case MSG_SEEN:
		if (!msg_seen_decode(m, len, &ep)) {
			ov->c.drop_badmsg++;
			return;
		}
		gossip_observed(ov, &ep);
		return;
	default:
		ov->c.drop_badmsg++;
		return;
	}
}

void
gossip_established(struct overlay *ov, struct peer *p)
{
	uint8_t m[MSG_MAX];

	if (ov->have_self)
		overlay_send(ov, p, m, record_msg(&ov->self, m));
	send_digest(ov, p);
}

void
gossip_antientropy(struct overlay *ov)
{
	const struct revset *rs = recset_revocations(ov->rs);
	struct peer *up[64];
	size_t n = 0;
	uint8_t m[MSG_MAX];

	for (size_t i = 0; i < ov->npeers && n < 64; i++)
		if (!ov->peers[i]->joiner && overlay_peer_up(ov->peers[i]))
			up[n++] = ov->peers[i];
	if (n == 0)
		return;
	struct peer *p = up[randombytes_uniform((uint32_t)n)];
	send_digest(ov, p);
	for (size_t i = 0; rs != NULL && i < rs->n; i++)
		overlay_send(ov, p, m, rev_msg(&rs->v[i], m));
}

/* Revocations that `meshctl revoke` left in the state directory. */
static void
read_revocations(struct overlay *ov, uint64_t now)
{
	uint8_t buf[STATE_REVOCATIONS_MAX * sizeof(struct mesh_rev_wire)];
	uint8_t m[MSG_MAX];
	char path[4096];
	struct stat st;
	ssize_t n;

	if (state_path(path, sizeof(path), ov->a->conf.state_dir,
	    STATE_REVOCATIONS_FILE) < 0 || stat(path, &st) < 0)
		return;
	if ((int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec ==
	    ov->rev_mtime_ns && st.st_size == ov->rev_size)
		return;
	ov->rev_mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
	    st.st_mtim.tv_nsec;
	ov->rev_size = st.st_size;
	if ((n = read_small_file(path, buf, sizeof(buf))) < 0)
		return;
	for (size_t o = 0; o + sizeof(struct mesh_rev_wire) <= (size_t)n;
	    o += sizeof(struct mesh_rev_wire)) {
		struct mesh_rev_wire w;
		struct mesh_revocation rv;
		memcpy(&w, buf + o, sizeof(w));
		if (rev_decode(&w, &rv) != VR_OK || !revoke_new(ov, &rv, now))
			continue;
		log_info("%s: a new revocation, spreading it", path);
		push_all(ov, NULL, m, rev_msg(&rv, m));
	}
}

void
gossip_maint(struct overlay *ov, bool flush)
{
	uint64_t now = (uint64_t)time(NULL), gen;
	char path[4096];

	if (ov->endpoints_changed) {
		ov->endpoints_changed = false;
		gossip_publish(ov, false);
	}
	if (overlay_now() - ov->rev_checked >= OV_MAINT_MS) {
		ov->rev_checked = overlay_now();
		read_revocations(ov, now);
		recset_expire(ov->rs, now);
	}
	gen = recset_generation(ov->rs);
	if (gen != ov->exported_gen) {
		size_t n = recset_count(ov->rs);
		struct store_rec *recs = calloc(n ? n : 1, sizeof(*recs));
		if (recs != NULL) {
			n = recset_export(ov->rs, recs, n, ov->a->conf.ttl);
			if (store_replace(ov->a->store, SRC_PEER, recs, n,
			    NULL) == 0) {
				ov->exported_gen = gen;
				for (size_t i = 0; i < ov->nfresh; i++)
					log_info("member %s joined",
					    ov->fresh[i]);
				free(ov->fresh);
				ov->fresh = NULL;
				ov->nfresh = 0;
			}
			free(recs);
		}
	}
	if (gen != ov->saved_gen && (flush ||
	    overlay_now() - ov->saved_at >= OV_SAVE_MS) &&
	    state_path(path, sizeof(path), ov->a->conf.state_dir, RECSET_FILE) == 0) {
		int rc = recset_save(ov->rs, path);
		if (rc < 0) {
			errno = -rc;
			log_warn("cannot save %s", path);
		}
		ov->saved_gen = gen;
		ov->saved_at = overlay_now();
	}
}

int
gossip_init(struct overlay *ov)
{
	struct recset_load_report rep;
	char path[4096];
	int rc;

	if ((ov->rs = recset_new(ov->id.ca_pk, 0)) == NULL)
		return -ENOMEM;
	if ((rc = state_path(path, sizeof(path), ov->a->conf.state_dir,
	    RECSET_FILE)) < 0)
		return rc;
	rc = recset_load(ov->rs, path, (uint64_t)time(NULL), &rep);
	if (rc == 0)
		log_info("%s: %zu record(s) kept, %zu expired, %zu bad", path,
		    rep.kept, rep.expired, rep.bad);
	else if (rc != -ENOENT)
		log_warnx("%s: %s; starting with no records", path,
		    rc == -EINVAL ? "not a record set of this network" :
		    strerror(-rc));
	/* Keep our own previous seq, so the next one is higher. */
	const struct mesh_record *mine = recset_by_key(ov->rs, ov->id.pk);
	if (mine != NULL) {
		ov->self = *mine;
		ov->have_self = true;
		ov->self_refresh = 0;
	}
	ov->saved_gen = recset_generation(ov->rs);
	gossip_maint(ov, false);
	return 0;
}

void
gossip_free(struct overlay *ov)
{
	recset_free(ov->rs);
	ov->rs = NULL;
	free(ov->fresh);
	ov->fresh = NULL;
	ov->nfresh = 0;
}
