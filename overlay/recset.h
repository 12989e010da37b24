/*
 * The record set: the verified node records of one network, at most one
 * per node key and one per name, each the newest valid one seen, plus the
 * revocations that keep withdrawn certificates out.
 *
 * Acceptance (recset_add): the record decodes, is of this network, is
 * newer (strictly higher seq) than the one held for its key, verifies
 * (record_verify: address, expiry, certificate, revocation, signature), and
 * its name is not held by another key with a newer certificate.  Cheap
 * checks run before signatures, so a flood of replayed records costs a
 * binary search each.  Every refusal is counted by reason.
 *
 * Two keys, one name.  The CA signed both certificates, so neither is a
 * forgery: usually a machine was reinstalled with a new key, or the name
 * was given to a new machine.  The newest certificate wins: higher
 * not_before, then higher serial, then the higher key bytes, a total order
 * every member computes alike whatever order records arrive in.  The loser
 * is dropped when held (counted as displaced) and refused when it comes
 * later (VR_NAMECLASH).  Revoke the old certificate to make it final.
 *
 * Stale records (RFC 8767's idea for DNS): a held record past its expiry
 * stays, marked stale, until its certificate ends, as the last word on
 * its member: where to look for it after any downtime, and for
 * RECSET_STALE_MAX the address to answer with meanwhile (the daemon's
 * export stops answering from it after that).  A saved record loads as stale when only its
 * record expiry has passed (everything else verifies as of a moment
 * before it, and the certificate as of now).  Any newer record replaces a
 * stale one; a stale record never travels (gossip skips it), since no
 * peer would take it.  Held records leave when their certificate ends
 * (recset_expire) or when a revocation covering them arrives.
 *
 * Persistence (recset_save/recset_load in agent/records.h): a 32-byte header, then frames of
 * exactly RECORD_WIRE_LEN bytes, each one object in its wire form
 * (revocations zero-padded), written with atomic_write.  Fixed frames mean
 * a damaged byte costs only its own frame: on load every object is
 * verified again as if it came from the network, and the report says how
 * many were kept and why others were not, and whether the file ended in
 * the middle of a frame.  The same bytes serve a bulk transfer between
 * peers (recset_serialize/recset_parse).
 *
 *   header = "MSET" | version 1 | 0 0 0 | frame_len u32 LE | 0 0 0 0 |
 *            network id (16)
 */
#ifndef MESH_RECSET_H
#define MESH_RECSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cert.h"
#include "record.h"

#define RECSET_MAX_DEFAULT	16384
#define RECSET_FILE		"records"	/* in the state directory */
#define RECSET_HDR_LEN		32
#define RECSET_STALE_MAX	(7 * 86400)	/* s a stale record is answered */

struct recset_counters {
	uint64_t accepted;		/* records kept (new or newer) */
	uint64_t rejected[VR_MAX];	/* records refused, by reason */
	uint64_t expired;		/* held records dropped at expiry */
	uint64_t staled;		/* held records that went stale */
	uint64_t revoked;		/* held records dropped by revocation */
	uint64_t displaced;		/* held records that lost their name */
	uint64_t revocations;		/* revocations accepted (new) */
	uint64_t rev_rejected;		/* revocations refused */
};

struct recset_load_report {
	size_t kept;			/* records now held from the file */
	size_t revocations;		/* revocations held from the file */
	size_t stale;			/* kept, but past their expiry */
	size_t expired;			/* dropped: expired since the save */
	size_t bad;			/* dropped: anything else */
	size_t why[VR_MAX];		/* expired + bad, by reason */
	size_t trailing;		/* bytes of an incomplete last frame */
};

struct recset;

/* A set for the network of ca_pk holding at most max records (0: the
 * default).  NULL on ENOMEM. */
struct recset *recset_new(const uint8_t ca_pk[static MESH_KEY_LEN], size_t max);
void recset_free(struct recset *s);

/* Offer a record (decoded, or in wire form).  VR_OK when kept; isnew
 * (may be NULL) then says whether its key was not held before, and a
 * wire-form offer that decodes leaves the record in *out (may be NULL). */
enum vr recset_add(struct recset *s, const struct mesh_record *r, uint64_t now);
enum vr recset_add_wire(struct recset *s, const uint8_t *buf, size_t len,
    uint64_t now, struct mesh_record *out, bool *isnew);

/* Offer a revocation; on VR_OK every held record it covers is dropped. */
enum vr recset_revoke(struct recset *s, const struct mesh_revocation *rv,
    uint64_t now);

/* Mark records past their expiry stale; drop those whose certificate
 * ended, and revocations past their end.  How many records went. */
size_t recset_expire(struct recset *s, uint64_t now);

size_t recset_count(const struct recset *s);
/* In node key order; i < recset_count(). */
const struct mesh_record *recset_at(const struct recset *s, size_t i);
/* Is the i-th record (key order, or name order) stale? */
bool recset_stale_at(const struct recset *s, size_t i);
bool recset_stale_at_name(const struct recset *s, size_t i);
/* In name order; i < recset_count(). */
const struct mesh_record *recset_at_name(const struct recset *s, size_t i);
const struct mesh_record *recset_by_key(const struct recset *s,
    const uint8_t pk[static MESH_KEY_LEN]);
/* name: one label, any case. */
const struct mesh_record *recset_by_name(const struct recset *s,
    const char *name);
const struct revset *recset_revocations(const struct recset *s);
const struct recset_counters *recset_counters(const struct recset *s);
/* Grows on every change to the held records or revocations: save or
 * export again when it differs from the value last seen. */
uint64_t recset_generation(const struct recset *s);


/* Whole set in the file format above, malloc'd into *buf.  0 or -ENOMEM. */
int recset_serialize(const struct recset *s, uint8_t **buf, size_t *len);
/* Offer every object in buf (revocations first); fills rep (may be NULL).
 * 0, or -EINVAL when the header is not ours (then nothing is offered). */
int recset_parse(struct recset *s, const uint8_t *buf, size_t len,
    uint64_t now, struct recset_load_report *rep);

/* The largest file recset_parse() takes for this set: what a loader
 * should read at most (agent/records.c does the file I/O). */
size_t recset_file_max(const struct recset *s);

#endif
