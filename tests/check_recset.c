#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "common/atomic.h"
#include "overlay/recset.h"
#include "agent/records.h"
#include "records_fixture.h"

static struct key ca;

static void
setup(void)
{
	key_new(&ca);
}

/* A scratch directory, removed by rm_tree. */
static char *
scratch(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/check_recset.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(buf));
	return buf;
}

static void
rm_tree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(add_and_lookup)
{
	struct recset *s = recset_new(ca.pk, 0);
	struct key a, b;
	struct mesh_record ra, rb, got;
	uint8_t w[RECORD_WIRE_LEN];
	bool isnew;

	key_new(&a);
	key_new(&b);
	record_for(&ra, &ca, &a, "alpha", 1);
	record_for(&rb, &ca, &b, "beta", 1);
	ck_assert_int_eq(recset_add(s, &ra, NOW), VR_OK);
	record_encode(&rb, w);
	ck_assert_int_eq(recset_add_wire(s, w, sizeof(w), NOW, &got, &isnew), VR_OK);
	ck_assert(isnew);
	ck_assert_mem_eq(got.cert.node_pk, b.pk, MESH_KEY_LEN);
	/* the same again: held, so neither kept nor new */
	ck_assert_int_eq(recset_add_wire(s, w, sizeof(w), NOW, &got, &isnew), VR_DUP);
	ck_assert(!isnew);
	/* a newer one of a held key is kept, and not new */
	record_for(&rb, &ca, &b, "beta", 2);
	record_encode(&rb, w);
	ck_assert_int_eq(recset_add_wire(s, w, sizeof(w), NOW, NULL, &isnew), VR_OK);
	ck_assert(!isnew);
	ck_assert_uint_eq(recset_count(s), 2);
	ck_assert_ptr_nonnull(recset_by_key(s, a.pk));
	ck_assert_str_eq(recset_by_name(s, "BETA")->cert.name, "beta");
	ck_assert_ptr_null(recset_by_name(s, "gamma"));
	ck_assert_ptr_null(recset_by_name(s, "bad_name"));
	ck_assert_uint_eq(recset_counters(s)->accepted, 3);
	ck_assert_int_eq(recset_add_wire(s, w, 10, NOW, NULL, NULL), VR_FORMAT);
	ck_assert_uint_eq(recset_counters(s)->rejected[VR_FORMAT], 1);
	recset_free(s);
	recset_free(NULL);
}
END_TEST

START_TEST(sequence)
{
	struct recset *s = recset_new(ca.pk, 0);
	struct key a;
	struct mesh_record r1, r2, r3;
	uint64_t g;

	key_new(&a);
	record_for(&r1, &ca, &a, "alpha", 10);
	record_for(&r2, &ca, &a, "alpha", 11);
	record_for(&r3, &ca, &a, "alpha", 10);	/* same seq, other content */
	ck_assert_int_eq(recset_add(s, &r2, NOW), VR_OK);
	g = recset_generation(s);
	ck_assert_int_eq(recset_add(s, &r1, NOW), VR_STALE);
	ck_assert_int_eq(recset_add(s, &r2, NOW), VR_DUP);
	ck_assert_int_eq(recset_add(s, &r3, NOW), VR_STALE);
	ck_assert_uint_eq(recset_generation(s), g);
	ck_assert_uint_eq(recset_counters(s)->rejected[VR_STALE], 2);
	ck_assert_uint_eq(recset_counters(s)->rejected[VR_DUP], 1);
	record_for(&r3, &ca, &a, "alpha", 12);
	ck_assert_int_eq(recset_add(s, &r3, NOW), VR_OK);
	ck_assert_uint_eq(recset_by_key(s, a.pk)->seq, 12);
	ck_assert_uint_eq(recset_count(s), 1);
	ck_assert_uint_gt(recset_generation(s), g);
	/* A forged newer record does not displace the held one. */
	record_for(&r3, &ca, &a, "alpha", 13);
	r3.sig[0] ^= 1;
	ck_assert_int_eq(recset_add(s, &r3, NOW), VR_SIG);
	ck_assert_uint_eq(recset_by_key(s, a.pk)->seq, 12);
	recset_free(s);
}
END_TEST

START_TEST(refusals)
{
	struct recset *s = recset_new(ca.pk, 0);
	struct key other, a;
	struct mesh_record r;

	key_new(&other);
	key_new(&a);
	record_for(&r, &other, &a, "alpha", 1);
	ck_assert_int_eq(recset_add(s, &r, NOW), VR_NETWORK);
	record_for(&r, &ca, &a, "alpha", 1);
	ck_assert_int_eq(recset_add(s, &r, NOW + DAY), VR_EXPIRED);
	ck_assert_int_eq(recset_add(s, &r, NOW - 3600), VR_NOTYET);
	r.addr[9] ^= 1;
	ck_assert_int_eq(recset_add(s, &r, NOW), VR_ADDR);
	ck_assert_uint_eq(recset_count(s), 0);
	ck_assert_uint_eq(recset_counters(s)->rejected[VR_NETWORK], 1);
	ck_assert_uint_eq(recset_counters(s)->rejected[VR_EXPIRED], 1);
	ck_assert_uint_eq(recset_counters(s)->rejected[VR_NOTYET], 1);
	ck_assert_uint_eq(recset_counters(s)->rejected[VR_ADDR], 1);
	ck_assert_uint_eq(recset_counters(s)->accepted, 0);
	recset_free(s);
}
END_TEST

START_TEST(expiry_drops)
{
	struct recset *s = recset_new(ca.pk, 0);
	struct key a, b;
	struct mesh_record ra, rb;
	struct mesh_cert c;

	key_new(&a);
	key_new(&b);
	record_for(&ra, &ca, &a, "alpha", 1);		/* ends NOW + DAY */
	cert_issue(&c, ca.sk, "beta", b.pk, NOW, 3600);	/* cert ends first */
	record_make(&rb, &c, ca.pk, b.sk, NULL, 0, 1, NOW + 2 * DAY);
	ck_assert_int_eq(recset_add(s, &ra, NOW), VR_OK);
	ck_assert_int_eq(recset_add(s, &rb, NOW), VR_OK);
	ck_assert_uint_eq(recset_expire(s, NOW + 3599), 0);
	ck_assert_uint_eq(recset_expire(s, NOW + 3600), 1);
	ck_assert_ptr_null(recset_by_name(s, "beta"));
	/* alpha's record ends: stale, still held, until its certificate
	 * ends (30 days: record_for). */
	ck_assert_uint_eq(recset_expire(s, NOW + DAY), 0);
	ck_assert_uint_eq(recset_count(s), 1);
	ck_assert(recset_stale_at(s, 0));
	ck_assert_uint_eq(recset_counters(s)->staled, 1);
	ck_assert_uint_eq(recset_expire(s, NOW + DAY + RECSET_STALE_MAX), 0);
	ck_assert_uint_eq(recset_expire(s, NOW + 30 * DAY - 1), 0);
	ck_assert_uint_eq(recset_expire(s, NOW + 30 * DAY), 1);
	ck_assert_uint_eq(recset_count(s), 0);
	ck_assert_uint_eq(recset_counters(s)->expired, 2);
	recset_free(s);
}
END_TEST

/* A night off: saved records load as stale, answer, never travel as
 * fresh, and give way to any newer record. */
START_TEST(stale_records)
{
	struct recset *s = recset_new(ca.pk, 0), *t = recset_new(ca.pk, 0);
	struct recset_load_report rep;
	struct key a, b;
	struct mesh_record ra, rb, ra2;
	struct mesh_cert c;
	uint8_t *buf;
	size_t len;
	uint64_t later = NOW + DAY + 3600;	/* past the records' end */

	key_new(&a);
	key_new(&b);
	record_for(&ra, &ca, &a, "alpha", 1);
	cert_issue(&c, ca.sk, "beta", b.pk, NOW, DAY + 60);	/* cert ends too */
	ck_assert_int_eq(record_make(&rb, &c, ca.pk, b.sk, NULL, 0, 1,
	    NOW + DAY), VR_OK);
	ck_assert_int_eq(recset_add(s, &ra, NOW), VR_OK);
	ck_assert_int_eq(recset_add(s, &rb, NOW), VR_OK);
	ck_assert_int_eq(recset_serialize(s, &buf, &len), 0);
	ck_assert_int_eq(recset_parse(t, buf, len, later, &rep), 0);
	free(buf);
	ck_assert_uint_eq(rep.kept, 1);		/* alpha, stale */
	ck_assert_uint_eq(rep.stale, 1);
	ck_assert_uint_eq(rep.expired, 1);	/* beta: its certificate ended */
	ck_assert_ptr_nonnull(recset_by_name(t, "alpha"));
	ck_assert(recset_stale_at(t, 0));
	ck_assert(recset_stale_at_name(t, 0));
	ck_assert_ptr_null(recset_by_name(t, "beta"));
	/* The same expired record from the network is refused. */
	ck_assert_int_eq(recset_add(t, &ra, later), VR_DUP);
	recset_free(s);
	s = recset_new(ca.pk, 0);
	ck_assert_int_eq(recset_add(s, &ra, later), VR_EXPIRED);
	/* A fresh record replaces the stale one. */
	ck_assert_int_eq(record_make(&ra2, &ra.cert, ca.pk, a.sk, NULL, 0, 2,
	    later + DAY), VR_OK);
	ck_assert_int_eq(recset_add(t, &ra2, later), VR_OK);
	ck_assert_uint_eq(recset_count(t), 1);
	ck_assert(!recset_stale_at(t, 0));
	ck_assert_uint_eq(recset_by_key(t, a.pk)->seq, 2);
	/* A week stale: held to find it, no longer answered; its
	 * certificate's end: gone. */
	ck_assert_int_eq(recset_serialize(t, &buf, &len), 0);
	recset_free(s);
	s = recset_new(ca.pk, 0);
	ck_assert_int_eq(recset_parse(s, buf, len,
	    later + DAY + RECSET_STALE_MAX, &rep), 0);
	ck_assert_uint_eq(rep.kept, 1);
	{
		struct store_rec out[2];
		ck_assert_uint_eq(recset_export(s, out, 2, 60,
		    later + DAY + RECSET_STALE_MAX), 0);
		ck_assert_uint_eq(recset_export(s, out, 2, 60,
		    later + DAY + RECSET_STALE_MAX - 1), 1);
		ck_assert(out[0].stale);
		ck_assert_uint_eq(out[0].ttl, 30);
	}
	recset_free(s);
	s = recset_new(ca.pk, 0);
	ck_assert_int_eq(recset_parse(s, buf, len, NOW + 30 * DAY, &rep), 0);
	free(buf);
	ck_assert_uint_eq(rep.kept, 0);
	ck_assert_uint_eq(rep.expired, 1);
	recset_free(s);
	recset_free(t);
}
END_TEST

START_TEST(revocation_drops)
{
	struct recset *s = recset_new(ca.pk, 0);
	struct key a, b, other;
	struct mesh_record ra, rb, ra2;
	struct mesh_revocation rv, bad;

	key_new(&a);
	key_new(&b);
	key_new(&other);
	record_for(&ra, &ca, &a, "alpha", 1);
	record_for(&rb, &ca, &b, "beta", 1);
	ck_assert_int_eq(recset_add(s, &ra, NOW), VR_OK);
	ck_assert_int_eq(recset_add(s, &rb, NOW), VR_OK);
	/* Not the CA: refused, nothing dropped. */
	rev_make(&bad, other.sk, other.pk, MESH_REV_KEY, 0, a.pk, NOW,
	    UINT64_MAX);
	ck_assert_int_eq(recset_revoke(s, &bad, NOW), VR_NETWORK);
	ck_assert_uint_eq(recset_counters(s)->rev_rejected, 1);
	ck_assert_uint_eq(recset_count(s), 2);

	rev_make(&rv, ca.sk, ca.pk, MESH_REV_SERIAL, ra.cert.serial, NULL, NOW,
	    ra.cert.not_after);
	ck_assert_int_eq(recset_revoke(s, &rv, NOW), VR_OK);
	ck_assert_ptr_null(recset_by_key(s, a.pk));
	ck_assert_ptr_nonnull(recset_by_key(s, b.pk));
	ck_assert_uint_eq(recset_counters(s)->revoked, 1);
	ck_assert_uint_eq(recset_counters(s)->revocations, 1);
	/* The same record, or a newer one on the revoked certificate, is
	 * refused from now on. */
	ck_assert_int_eq(recset_add(s, &ra, NOW), VR_REVOKED);
	ra2 = ra;
	{
		struct mesh_record t;
		struct mesh_endpoint ep = ra.ep[0];
		record_make(&t, &ra.cert, ca.pk, a.sk, &ep, 1, 99, NOW + DAY);
		ra2 = t;
	}
	ck_assert_int_eq(recset_add(s, &ra2, NOW), VR_REVOKED);
	ck_assert_uint_eq(recset_counters(s)->rejected[VR_REVOKED], 2);
	/* A new certificate for the same key is another serial: accepted. */
	record_for(&ra2, &ca, &a, "alpha", 100);
	ck_assert_int_eq(recset_add(s, &ra2, NOW), VR_OK);
	/* Revoking the key covers every certificate of it. */
	rev_make(&rv, ca.sk, ca.pk, MESH_REV_KEY, 0, a.pk, NOW, UINT64_MAX);
	ck_assert_int_eq(recset_revoke(s, &rv, NOW), VR_OK);
	ck_assert_ptr_null(recset_by_key(s, a.pk));
	ck_assert_uint_eq(recset_count(s), 1);
	ck_assert_uint_eq(recset_revocations(s)->n, 2);
	recset_free(s);
}
END_TEST

/* Two keys, one name: the newer certificate wins in either order. */
START_TEST(name_clash)
{
	struct key a, b;
	struct mesh_record ra, rb;
	struct mesh_cert ca_old, cb_new;
	struct recset *s;

	key_new(&a);
	key_new(&b);
	cert_issue(&ca_old, ca.sk, "laptop", a.pk, NOW - 3600, 30 * DAY);
	cert_issue(&cb_new, ca.sk, "laptop", b.pk, NOW, 30 * DAY);
	record_make(&ra, &ca_old, ca.pk, a.sk, NULL, 0, 50, NOW + DAY);
	record_make(&rb, &cb_new, ca.pk, b.sk, NULL, 0, 1, NOW + DAY);

	s = recset_new(ca.pk, 0);
	ck_assert_int_eq(recset_add(s, &ra, NOW), VR_OK);
	ck_assert_int_eq(recset_add(s, &rb, NOW), VR_OK);
	ck_assert_uint_eq(recset_count(s), 1);
	ck_assert_mem_eq(recset_by_name(s, "laptop")->cert.node_pk, b.pk, 32);
	ck_assert_ptr_null(recset_by_key(s, a.pk));
	ck_assert_uint_eq(recset_counters(s)->displaced, 1);
	ck_assert_int_eq(recset_add(s, &ra, NOW), VR_NAMECLASH);
	recset_free(s);

	s = recset_new(ca.pk, 0);
	ck_assert_int_eq(recset_add(s, &rb, NOW), VR_OK);
	ck_assert_int_eq(recset_add(s, &ra, NOW), VR_NAMECLASH);
	ck_assert_mem_eq(recset_by_name(s, "laptop")->cert.node_pk, b.pk, 32);
	ck_assert_uint_eq(recset_counters(s)->rejected[VR_NAMECLASH], 1);
	recset_free(s);
}
END_TEST

/* A key whose new certificate carries another name moves to that name. */
START_TEST(renamed)
{
	struct recset *s = recset_new(ca.pk, 0);
	struct key a;
	struct mesh_record r1, r2;

	key_new(&a);
	record_for(&r1, &ca, &a, "old", 1);
	record_for(&r2, &ca, &a, "new", 2);
	ck_assert_int_eq(recset_add(s, &r1, NOW), VR_OK);
	ck_assert_int_eq(recset_add(s, &r2, NOW), VR_OK);
	ck_assert_uint_eq(recset_count(s), 1);
	ck_assert_ptr_null(recset_by_name(s, "old"));
	ck_assert_ptr_nonnull(recset_by_name(s, "new"));
	recset_free(s);
}
END_TEST

START_TEST(capacity)
{
	struct recset *s = recset_new(ca.pk, 2);
	struct key k[3];
	struct mesh_record r;
	char name[16];

	for (int i = 0; i < 3; i++) {
		key_new(&k[i]);
		snprintf(name, sizeof(name), "n%d", i);
		record_for(&r, &ca, &k[i], name, 1);
		ck_assert_int_eq(recset_add(s, &r, NOW), i < 2 ? VR_OK : VR_FULL);
	}
	/* A held key may still update when full. */
	record_for(&r, &ca, &k[0], "n0", 2);
	ck_assert_int_eq(recset_add(s, &r, NOW), VR_OK);
	recset_free(s);
}
END_TEST

START_TEST(export_for_store)
{
	struct recset *s = recset_new(ca.pk, 0);
	struct key a, b;
	struct mesh_record ra, rb;
	struct store_rec out[4];

	key_new(&a);
	key_new(&b);
	record_for(&ra, &ca, &a, "zulu", 1);
	record_for(&rb, &ca, &b, "alpha", 1);
	recset_add(s, &ra, NOW);
	recset_add(s, &rb, NOW);
	ck_assert_uint_eq(recset_export(s, out, 4, 60, NOW), 2);
	ck_assert_str_eq(out[0].name, "alpha.mesh");	/* name order */
	ck_assert_uint_eq(out[0].name_len, 10);
	ck_assert_uint_eq(out[0].n6, 1);
	ck_assert_uint_eq(out[0].n4, 0);
	ck_assert_mem_eq(out[0].addr6[0], rb.addr, 16);
	ck_assert_uint_eq(out[0].ttl, 60);
	ck_assert_int_eq(out[0].source, SRC_PEER);
	ck_assert_str_eq(out[1].name, "zulu.mesh");
	ck_assert_uint_eq(recset_export(s, out, 1, 60, NOW), 1);
	recset_free(s);
}
END_TEST

/* A set of n records plus one revoked record and its revocation. */
static struct recset *
sample_set(size_t n)
{
	struct recset *s = recset_new(ca.pk, 0);
	struct mesh_revocation rv;
	struct mesh_record r;
	struct key k;
	char name[32];

	for (size_t i = 0; i < n; i++) {
		key_new(&k);
		snprintf(name, sizeof(name), "node%zu", i);
		record_for(&r, &ca, &k, name, i + 1);
		ck_assert_int_eq(recset_add(s, &r, NOW), VR_OK);
	}
	key_new(&k);
	rev_make(&rv, ca.sk, ca.pk, MESH_REV_KEY, 0, k.pk, NOW, UINT64_MAX);
	ck_assert_int_eq(recset_revoke(s, &rv, NOW), VR_OK);
	return s;
}

static bool
same_records(const struct recset *a, const struct recset *b)
{
	if (recset_count(a) != recset_count(b))
		return false;
	/* Compare encodings: in-memory structs have padding. */
	for (size_t i = 0; i < recset_count(a); i++) {
		uint8_t wa[RECORD_WIRE_LEN], wb[RECORD_WIRE_LEN];
		record_encode(recset_at(a, i), wa);
		record_encode(recset_at(b, i), wb);
		if (memcmp(wa, wb, sizeof(wa)) != 0)
			return false;
	}
	return recset_revocations(a)->n == recset_revocations(b)->n;
}

START_TEST(persist_roundtrip)
{
	char dir[64], path[128];
	struct recset *s = sample_set(5), *t = recset_new(ca.pk, 0);
	struct recset_load_report rep;
	struct stat st;

	scratch(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, RECSET_FILE);
	ck_assert_int_eq(recset_load(t, path, NOW, &rep), -ENOENT);
	ck_assert_int_eq(recset_save(s, path), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((size_t)st.st_size,
	    RECSET_HDR_LEN + 6 * RECORD_WIRE_LEN);
	ck_assert_int_eq(recset_load(t, path, NOW, &rep), 0);
	ck_assert_uint_eq(rep.kept, 5);
	ck_assert_uint_eq(rep.revocations, 1);
	ck_assert_uint_eq(rep.bad, 0);
	ck_assert_uint_eq(rep.trailing, 0);
	ck_assert(same_records(s, t));
	/* Loading does not count as network input. */
	ck_assert_uint_eq(recset_counters(t)->accepted, 0);
	/* Loaded later, records that expired meanwhile are kept stale, and
	 * go once they have been stale too long; the report says so. */
	recset_free(t);
	t = recset_new(ca.pk, 0);
	ck_assert_int_eq(recset_load(t, path, NOW + DAY, &rep), 0);
	ck_assert_uint_eq(rep.kept, 5);
	ck_assert_uint_eq(rep.stale, 5);
	recset_free(t);
	t = recset_new(ca.pk, 0);
	ck_assert_int_eq(recset_load(t, path, NOW + 30 * DAY, &rep), 0);
	ck_assert_uint_eq(rep.kept, 0);
	ck_assert_uint_eq(rep.expired, 5);
	ck_assert_uint_eq(rep.why[VR_EXPIRED], 5);
	/* Another network's CA cannot read it as its own. */
	{
		struct key other;
		struct recset *o;
		key_new(&other);
		o = recset_new(other.pk, 0);
		ck_assert_int_eq(recset_load(o, path, NOW, &rep), -EINVAL);
		ck_assert_uint_eq(recset_count(o), 0);
		recset_free(o);
	}
	recset_free(s);
	recset_free(t);
	rm_tree(dir);
}
END_TEST

static void
rewrite(const char *path, const uint8_t *buf, size_t len)
{
	ck_assert_int_eq(atomic_write(path, buf, len, 0644), 0);
}

START_TEST(persist_tampered)
{
	char dir[64], path[128];
	struct recset *s = sample_set(4), *t;
	struct recset_load_report rep;
	uint8_t *buf;
	size_t len;

	scratch(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, RECSET_FILE);
	ck_assert_int_eq(recset_serialize(s, &buf, &len), 0);
	/* One byte in the third frame (a record: the revocation is first). */
	buf[RECSET_HDR_LEN + 2 * RECORD_WIRE_LEN + 300] ^= 0x10;
	rewrite(path, buf, len);
	t = recset_new(ca.pk, 0);
	ck_assert_int_eq(recset_load(t, path, NOW, &rep), 0);
	ck_assert_uint_eq(rep.kept, 3);
	ck_assert_uint_eq(rep.bad, 1);
	ck_assert_uint_eq(rep.revocations, 1);
	ck_assert_uint_eq(recset_count(t), 3);
	recset_free(t);
	/* The revocation's padding damaged: only it is lost. */
	buf[RECSET_HDR_LEN + 2 * RECORD_WIRE_LEN + 300] ^= 0x10;
	buf[RECSET_HDR_LEN + RECORD_WIRE_LEN - 1] = 1;
	rewrite(path, buf, len);
	t = recset_new(ca.pk, 0);
	ck_assert_int_eq(recset_load(t, path, NOW, &rep), 0);
	ck_assert_uint_eq(rep.kept, 4);
	ck_assert_uint_eq(rep.revocations, 0);
	ck_assert_uint_eq(rep.why[VR_FORMAT], 1);
	recset_free(t);
	/* A damaged header: not ours, nothing read. */
	buf[0] = 'X';
	rewrite(path, buf, len);
	t = recset_new(ca.pk, 0);
	ck_assert_int_eq(recset_load(t, path, NOW, &rep), -EINVAL);
	ck_assert_uint_eq(recset_count(t), 0);
	recset_free(t);
	free(buf);
	recset_free(s);
	rm_tree(dir);
}
END_TEST

START_TEST(persist_truncated)
{
	char dir[64], path[128];
	struct recset *s = sample_set(3), *t;
	struct recset_load_report rep;
	uint8_t *buf;
	size_t len;

	scratch(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, RECSET_FILE);
	ck_assert_int_eq(recset_serialize(s, &buf, &len), 0);
	rewrite(path, buf, len - 100);
	t = recset_new(ca.pk, 0);
	ck_assert_int_eq(recset_load(t, path, NOW, &rep), 0);
	ck_assert_uint_eq(rep.kept, 2);
	ck_assert_uint_eq(rep.trailing, RECORD_WIRE_LEN - 100);
	recset_free(t);
	/* Cut inside the header. */
	rewrite(path, buf, 10);
	t = recset_new(ca.pk, 0);
	ck_assert_int_eq(recset_load(t, path, NOW, &rep), -EINVAL);
	recset_free(t);
	/* Only the header: an empty set. */
	rewrite(path, buf, RECSET_HDR_LEN);
	t = recset_new(ca.pk, 0);
	ck_assert_int_eq(recset_load(t, path, NOW, &rep), 0);
	ck_assert_uint_eq(recset_count(t), 0);
	recset_free(t);
	free(buf);
	recset_free(s);
	rm_tree(dir);
}
END_TEST

/* Save s2 over a file holding s1 where the write must fail; the error is
 * returned and s1 is still there to load.  break_it must make the failure
 * certain, and asserts that it did: a setup that silently did nothing
 * (chmod as root, a mount that failed) would let a working save pass. */
static void
expect_failed_save(const char *path, struct recset *s1, struct recset *s2,
    void (*break_it)(const char *), void (*fix_it)(const char *))
{
	struct recset_load_report rep;
	struct recset *t;
	int rc;

	ck_assert_int_eq(recset_save(s1, path), 0);
	break_it(path);
	rc = recset_save(s2, path);
	fix_it(path);
	ck_assert_msg(rc < 0, "save succeeded where it must fail");
	t = recset_new(ca.pk, 0);
	ck_assert_int_eq(recset_load(t, path, NOW, &rep), 0);
	ck_assert(same_records(s1, t));
	recset_free(t);
	ck_assert_uint_eq(recset_count(s2), 8);	/* memory untouched */
}

/* RLIMIT_FSIZE: works for root and others alike, without mounts. */
static void
fsize_break(const char *path)
{
	struct rlimit rl = { 1024, RLIM_INFINITY }, got;

	(void)path;
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &got), 0);
	ck_assert_uint_eq(got.rlim_cur, 1024);
}

static void
fsize_fix(const char *path)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	(void)path;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

START_TEST(failing_write_fsize)
{
	char dir[64], path[128];
	struct recset *s1 = sample_set(1), *s2 = sample_set(8);

	scratch(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, RECSET_FILE);
	expect_failed_save(path, s1, s2, fsize_break, fsize_fix);
	recset_free(s1);
	recset_free(s2);
	rm_tree(dir);
}
END_TEST

/* A directory where atomic_write puts its temporary (PATH.tmp.PID, see
 * common/atomic.c): the open fails with EISDIR for root too, before the
 * old file is touched. */
static char tmpname[256];

static void
tmpdir_break(const char *path)
{
	struct stat st;

	snprintf(tmpname, sizeof(tmpname), "%s.tmp.%ld", path,
	    (long)getpid());
	ck_assert_int_eq(mkdir(tmpname, 0700), 0);
	ck_assert_int_eq(stat(tmpname, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
}

static void
tmpdir_fix(const char *path)
{
	(void)path;
	/* Still there: the failed save did not remove what it did not make. */
	ck_assert_int_eq(rmdir(tmpname), 0);
}

START_TEST(failing_write_tmp_is_dir)
{
	char dir[64], path[128];
	struct recset *s1 = sample_set(1), *s2 = sample_set(8);

	scratch(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, RECSET_FILE);
	expect_failed_save(path, s1, s2, tmpdir_break, tmpdir_fix);
	recset_free(s1);
	recset_free(s2);
	rm_tree(dir);
}
END_TEST

/* The target's parent is a regular file: ENOTDIR for root too.  There is
 * no old set here; the file in the way must be left as it was. */
START_TEST(failing_write_notdir)
{
	char dir[64], file[128], path[192], buf[8];
	struct recset *s = sample_set(8);
	struct stat st;
	int fd;

	scratch(dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/plain", dir);
	snprintf(path, sizeof(path), "%s/%s", file, RECSET_FILE);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "keep", 4), 4);
	close(fd);
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(recset_save(s, path), -ENOTDIR);
	ck_assert_int_eq(read_small_file(file, buf, sizeof(buf)), 4);
	ck_assert_mem_eq(buf, "keep", 4);
	recset_free(s);
	rm_tree(dir);
}
END_TEST

/* A full file system: as root, a 16 KiB tmpfs in a private mount
 * namespace (Check runs each test in its own child); otherwise a
 * read-only directory (root would ignore one, so not as root). */
static char mnt[64];

static void
ro_break(const char *path)
{
	(void)path;
	ck_assert_int_eq(chmod(mnt, 0555), 0);
	ck_assert_msg(access(mnt, W_OK) < 0 && errno == EACCES,
	    "%s still writable after chmod 0555", mnt);
}

static void
ro_fix(const char *path)
{
	(void)path;
	ck_assert_int_eq(chmod(mnt, 0755), 0);
}

static void
full_break(const char *path)
{
	static const char block[512];
	char fill[256];
	ssize_t n;
	int fd;

	snprintf(fill, sizeof(fill), "%s.fill", path);
	fd = open(fill, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	while ((n = write(fd, block, sizeof(block))) > 0)
		;
	ck_assert_msg(n < 0 && errno == ENOSPC,
	    "filling %s stopped without ENOSPC", mnt);
	close(fd);
}

static void
full_fix(const char *path)
{
	char fill[256];

	snprintf(fill, sizeof(fill), "%s.fill", path);
	ck_assert_int_eq(unlink(fill), 0);
}

START_TEST(failing_write_fs)
{
	char path[128];
	struct recset *s1 = sample_set(1), *s2 = sample_set(8);

	scratch(mnt, sizeof(mnt));
	snprintf(path, sizeof(path), "%s/%s", mnt, RECSET_FILE);
	if (geteuid() == 0) {
		ck_assert_msg(unshare(CLONE_NEWNS) == 0 &&
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
		    mount("tmpfs", mnt, "tmpfs", 0, "size=16k,mode=0755") == 0,
		    "root but cannot mount a tmpfs on %s: %s", mnt,
		    strerror(errno));
		expect_failed_save(path, s1, s2, full_break, full_fix);
		ck_assert_int_eq(umount(mnt), 0);
	} else {
		expect_failed_save(path, s1, s2, ro_break, ro_fix);
	}
	recset_free(s1);
	recset_free(s2);
	rm_tree(mnt);
}
END_TEST

static Suite *
recset_suite(void)
{
	Suite *s = suite_create("recset");
	TCase *tc = tcase_create("set");
	TCase *tp = tcase_create("persist");

	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, add_and_lookup);
	tcase_add_test(tc, sequence);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, expiry_drops);
	tcase_add_test(tc, stale_records);
	tcase_add_test(tc, revocation_drops);
	tcase_add_test(tc, name_clash);
	tcase_add_test(tc, renamed);
	tcase_add_test(tc, capacity);
	tcase_add_test(tc, export_for_store);
	suite_add_tcase(s, tc);
	tcase_add_unchecked_fixture(tp, setup, NULL);
	tcase_add_test(tp, persist_roundtrip);
	tcase_add_test(tp, persist_tampered);
	tcase_add_test(tp, persist_truncated);
	tcase_add_test(tp, failing_write_fsize);
	tcase_add_test(tp, failing_write_tmp_is_dir);
	tcase_add_test(tp, failing_write_notdir);
	tcase_add_test(tp, failing_write_fs);
	suite_add_tcase(s, tp);
	return s;
}

int
main(void)
{
	return run_suite(recset_suite());
}
