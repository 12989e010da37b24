#include "config.h"

#include <string.h>

#include "common/name.h"
#include "msg.h"

size_t
msg_digest_encode(const struct msg_digest *d, uint8_t *out)
{
	size_t o = 0, n = d->n > MSG_DIGEST_MAX ? MSG_DIGEST_MAX : d->n;

	out[o++] = MSG_DIGEST;
	out[o++] = (uint8_t)n;
	memcpy(out + o, d->lo, MESH_KEY_LEN);
	o += MESH_KEY_LEN;
	memcpy(out + o, d->hi, MESH_KEY_LEN);
	o += MESH_KEY_LEN;
	for (size_t i = 0; i < n; i++) {
		memcpy(out + o, d->key[i], MESH_KEY_LEN);
		mesh_put_le64(out + o + MESH_KEY_LEN, d->seq[i]);
		o += MSG_DIGEST_ENT;
	}
	return o;
}

bool
msg_digest_decode(const uint8_t *buf, size_t len, struct msg_digest *d)
{
	size_t o = MSG_DIGEST_HEAD;

	if (len < MSG_DIGEST_HEAD || buf[0] != MSG_DIGEST ||
	    buf[1] > MSG_DIGEST_MAX ||
	    len != MSG_DIGEST_HEAD + (size_t)buf[1] * MSG_DIGEST_ENT)
		return false;
	d->n = buf[1];
	memcpy(d->lo, buf + 2, MESH_KEY_LEN);
	memcpy(d->hi, buf + 2 + MESH_KEY_LEN, MESH_KEY_LEN);
	if (memcmp(d->lo, d->hi, MESH_KEY_LEN) > 0)
		return false;
	for (size_t i = 0; i < d->n; i++) {
		memcpy(d->key[i], buf + o, MESH_KEY_LEN);
		d->seq[i] = mesh_get_le64(buf + o + MESH_KEY_LEN);
		/* Sorted and inside the range, or the reply would be wrong. */
		if (!msg_key_in(d->key[i], d->lo, d->hi) || (i > 0 &&
		    memcmp(d->key[i - 1], d->key[i], MESH_KEY_LEN) >= 0))
			return false;
		o += MSG_DIGEST_ENT;
	}
	return true;
}

size_t
msg_want_encode(const struct msg_want *w, uint8_t *out)
{
	size_t n = w->n > MSG_WANT_MAX ? MSG_WANT_MAX : w->n;

	out[0] = MSG_WANT;
	out[1] = (uint8_t)n;
	memcpy(out + 2, w->key, n * MESH_KEY_LEN);
	return 2 + n * MESH_KEY_LEN;
}

bool
msg_want_decode(const uint8_t *buf, size_t len, struct msg_want *w)
{
	if (len < 2 || buf[0] != MSG_WANT || buf[1] == 0 ||
	    buf[1] > MSG_WANT_MAX || len != 2 + (size_t)buf[1] * MESH_KEY_LEN)
		return false;
	w->n = buf[1];
	memcpy(w->key, buf + 2, w->n * MESH_KEY_LEN);
	return true;
}

size_t
msg_seen_encode(const struct mesh_endpoint *ep, uint8_t *out)
{
	struct mesh_ep_wire w;

	memset(&w, 0, sizeof(w));
	w.family = (uint8_t)ep->family;
	mesh_put_le16(w.port, ep->port);
	memcpy(w.addr, ep->addr, ep->family == MESH_EP_IPV4 ? 4 : 16);
	out[0] = MSG_SEEN;
	memcpy(out + 1, &w, sizeof(w));
	return 1 + sizeof(w);
}

bool
msg_seen_decode(const uint8_t *buf, size_t len, struct mesh_endpoint *ep)
{
	struct mesh_ep_wire w;

	if (len != 1 + sizeof(w) || buf[0] != MSG_SEEN)
		return false;
	memcpy(&w, buf + 1, sizeof(w));
	memset(ep, 0, sizeof(*ep));
	ep->port = mesh_get_le16(w.port);
	if (w.family == MESH_EP_IPV4) {
		for (size_t i = 4; i < 16; i++)
			if (w.addr[i] != 0)
				return false;
	} else if (w.family != MESH_EP_IPV6) {
		return false;
	}
	if (ep->port == 0)
		return false;
	ep->family = (enum mesh_ep_family)w.family;
	memcpy(ep->addr, w.addr, 16);
	return true;
}

size_t
msg_join_req_encode(const struct msg_join_req *r, uint8_t *out)
{
	size_t nl = strnlen(r->name, MESH_LABEL_MAX);

	out[0] = MSG_JOIN_REQ;
	out[1] = (uint8_t)nl;
	memcpy(out + 2, r->proof, INVITE_PROOF_LEN);
	memcpy(out + 2 + INVITE_PROOF_LEN, r->name, nl);
	return 2 + INVITE_PROOF_LEN + nl;
}

bool
msg_join_req_decode(const uint8_t *buf, size_t len, struct msg_join_req *r)
{
	size_t nl;

	if (len < 2 + INVITE_PROOF_LEN + 1 || buf[0] != MSG_JOIN_REQ)
		return false;
	nl = buf[1];
	if (nl == 0 || nl > MESH_LABEL_MAX || len != 2 + INVITE_PROOF_LEN + nl ||
	    !mesh_label_valid((const char *)buf + 2 + INVITE_PROOF_LEN, nl, NULL))
		return false;
	memcpy(r->proof, buf + 2, INVITE_PROOF_LEN);
	memcpy(r->name, buf + 2 + INVITE_PROOF_LEN, nl);
	r->name[nl] = '\0';
	return true;
}

size_t
msg_join_ok_encode(const struct msg_join_ok *r, uint8_t *out)
{
	size_t o = 0;

	out[o++] = MSG_JOIN_OK;
	memcpy(out + o, r->ca_pk, MESH_KEY_LEN);
	o += MESH_KEY_LEN;
	memcpy(out + o, &r->cert, sizeof(r->cert));
	o += sizeof(r->cert);
	memcpy(out + o, r->record, RECORD_WIRE_LEN);
	return o + RECORD_WIRE_LEN;
}

bool
msg_join_ok_decode(const uint8_t *buf, size_t len, struct msg_join_ok *r)
{
	size_t o = 1;

	if (len != MSG_JOIN_OK_LEN || buf[0] != MSG_JOIN_OK)
		return false;
	memcpy(r->ca_pk, buf + o, MESH_KEY_LEN);
	o += MESH_KEY_LEN;
	memcpy(&r->cert, buf + o, sizeof(r->cert));
	o += sizeof(r->cert);
	memcpy(r->record, buf + o, RECORD_WIRE_LEN);
	return true;
}

size_t
msg_join_err_encode(int err, uint8_t *out)
{
	out[0] = MSG_JOIN_ERR;
	out[1] = (uint8_t)(err < 0 ? -err : err);
	return 2;
}

bool
msg_join_err_decode(const uint8_t *buf, size_t len, int *err)
{
	if (len != 2 || buf[0] != MSG_JOIN_ERR || buf[1] == 0)
		return false;
	*err = -(int)buf[1];
	return true;
}

size_t
msg_renew_encode(enum msg_type type, const struct mesh_cert *c, uint8_t *out)
{
	struct mesh_cert_wire w;

	cert_encode(c, &w);
	out[0] = (uint8_t)type;
	memcpy(out + 1, &w, sizeof(w));
	return MSG_RENEW_LEN;
}

bool
msg_renew_decode(const uint8_t *buf, size_t len, enum msg_type type,
    struct mesh_cert *c)
{
	struct mesh_cert_wire w;

	if (len != MSG_RENEW_LEN || buf[0] != (uint8_t)type)
		return false;
	memcpy(&w, buf + 1, sizeof(w));
	return cert_decode(&w, c) == VR_OK;
}

size_t
msg_renew_err_encode(int err, uint8_t *out)
{
	out[0] = MSG_RENEW_ERR;
	out[1] = (uint8_t)(err < 0 ? -err : err);
	return 2;
}

bool
msg_renew_err_decode(const uint8_t *buf, size_t len, int *err)
{
	if (len != 2 || buf[0] != MSG_RENEW_ERR || buf[1] == 0)
		return false;
	*err = -(int)buf[1];
	return true;
}

bool
msg_key_in(const uint8_t key[static MESH_KEY_LEN],
    const uint8_t lo[static MESH_KEY_LEN], const uint8_t hi[static MESH_KEY_LEN])
{
	return memcmp(key, lo, MESH_KEY_LEN) >= 0 &&
	    memcmp(key, hi, MESH_KEY_LEN) <= 0;
}
