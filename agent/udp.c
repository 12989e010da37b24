/*
 * The overlay's UDP socket (udp.h).
 *
 * The send queue keeps the datagrams' bytes back to back in qbuf, in the
 * order the engine sent them, so a run that udp_gso_run() finds is one
 * stretch of memory: one iovec, one message, however many datagrams.
 * Order is kept across runs too: sendmmsg() sends its messages in turn,
 * and a run never reaches past a datagram to another endpoint.
 *
 * A GSO message the kernel refuses (EIO: the route's device cannot
 * checksum for it; EINVAL, EMSGSIZE: a size it does not take there) is
 * sent again as plain datagrams.  If the first of them goes, GSO was at
 * fault and is off from then on (logged once), and so are the runs left
 * in that flush when they fail in turn; if it fails too, the datagram
 * was (an address the kernel refuses), and GSO stays on.
 *
 * A full socket buffer (EAGAIN, ENOBUFS) drops what is left of the flush:
 * the datagrams are counted, and the loop does not wait for room, as a
 * single sendto() with MSG_DONTWAIT did.  Any other error costs only the
 * datagrams of its message.
 *
 * Receive buffers: without GRO, UDP_BATCH slots of one datagram (and a
 * byte, so that a longer one shows); with it, UDP_GRO_SLOTS of 64 KB,
 * 1 MiB in all, allocated once.  (32 of them would be 2 MiB, and the
 * bench saw about three coalesced buffers per call under one TCP stream.)
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "udp.h"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

/* A datagram's slot: one byte more, so that a longer one shows. */
#define DGRAM_SLOT (WIRE_PACKET_MAX + 1)

_Static_assert(UDP_GRO_SLOTS <= UDP_BATCH, "recvmmsg arrays hold the slots");
_Static_assert(UDP_GSO_SEGS <= UDP_SENDQ, "a run fits the queue");

/* One flush's messages, built from the queue (udp_open allocates it). */
struct udp_msgs {
	struct mmsghdr msg[UDP_SENDQ];
	struct iovec iov[UDP_SENDQ];
	struct sockaddr_storage sa[UDP_SENDQ];
	union {
		char b[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl[UDP_SENDQ];
	size_t at[UDP_SENDQ];		/* queue index of its first one */
	size_t segs[UDP_SENDQ];		/* datagrams in it */
	size_t n;
};

bool
udp_sa_to_ep(const struct sockaddr_storage *sa, struct mesh_endpoint *ep)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	memset(ep, 0, sizeof(*ep));
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		ep->family = MESH_EP_IPV4;
		memcpy(ep->addr, &s4->sin_addr, 4);
		ep->port = ntohs(s4->sin_port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = s6->sin6_addr.s6_addr;
		if (memcmp(a, mapped, 12) == 0) {
			ep->family = MESH_EP_IPV4;
			memcpy(ep->addr, a + 12, 4);
		} else {
			ep->family = MESH_EP_IPV6;
			memcpy(ep->addr, a, 16);
		}
		ep->port = ntohs(s6->sin6_port);
	} else {
		return false;
	}
	return ep->port != 0;
}

socklen_t
udp_ep_to_sa(const struct udp *u, const struct mesh_endpoint *ep,
    struct sockaddr_storage *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (u->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
		if (ep->family != MESH_EP_IPV4)
			return 0;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(ep->port);
		memcpy(&s4->sin_addr, ep->addr, 4);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(ep->port);
	if (ep->family == MESH_EP_IPV4) {
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(s6->sin6_addr.s6_addr + 12, ep->addr, 4);
	} else {
		memcpy(s6->sin6_addr.s6_addr, ep->addr, 16);
	}
	return sizeof(*s6);
}

static int
bind_socket(struct udp *u, const char *listen, struct sockaddr_storage *ss)
{
	char host[CONF_HOSTPORT_MAX];
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	socklen_t sl;
	int fd, off = 0, bufsz = UDP_SOCKBUF;

	memset(ss, 0, sizeof(*ss));
	if (!conf_hostport_split(listen, host, sizeof(host), &u->port))
		return -EINVAL;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(u->port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(u->port);
		sl = sizeof(*s6);
	} else {
		return -EINVAL;
	}
	u->family = ss->ss_family;
	fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	/* Room for bursts: the default (~200 KB, 150 datagrams) overflowed
	 * under one TCP stream and the losses were the throughput's limit.
	 * The kernel caps this at net.core.[rw]mem_max. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	if (bind(fd, (struct sockaddr *)ss, sl) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* Does the kernel take UDP_SEGMENT?  Since Linux 4.18, getsockopt reads
 * the socket's default segment size (0): the option exists.  Whether a
 * GSO send then works depends on the route's device, which only a send
 * tells (udp_flush). */
static void
probe_gso(struct udp *u, bool want)
{
	int v = 0;
	socklen_t l = sizeof(v);

	u->gso = false;
	if (!want)
		u->gso_off = UDP_OFF_CONF;
	else if (getsockopt(u->fd, SOL_UDP, UDP_SEGMENT, &v, &l) < 0) {
		u->gso_off = UDP_OFF_KERNEL;
		u->gso_err = errno;
	} else {
		u->gso_off = UDP_OFF_NONE;
		u->gso = true;
	}
}

/* UDP_GRO on (Linux 5.0), and read back where the kernel can (5.12):
 * a kernel that took the option but says 0 does not honour it. */
static void
probe_gro(struct udp *u, bool want)
{
	int one = 1, v = 0;
	socklen_t l = sizeof(v);

	u->gro = false;
	if (!want) {
		u->gro_off = UDP_OFF_CONF;
		return;
	}
	if (setsockopt(u->fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) < 0) {
		u->gro_off = UDP_OFF_KERNEL;
		u->gro_err = errno;
		return;
	}
	if (getsockopt(u->fd, SOL_UDP, UDP_GRO, &v, &l) == 0 && v == 0) {
		u->gro_off = UDP_OFF_KERNEL;
		u->gro_err = EOPNOTSUPP;
		return;
	}
	u->gro_off = UDP_OFF_NONE;
	u->gro = true;
}

static void
udp_free_buffers(struct udp *u)
{
	free(u->q);
	free(u->qbuf);
	free(u->m);
	free(u->rbuf);
	u->q = NULL;
	u->qbuf = NULL;
	u->m = NULL;
	u->rbuf = NULL;
	u->nq = u->qbytes = 0;
}

int
udp_open(struct udp *u, const char *listen, bool gso, bool gro)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	int fd;

	u->fd = -1;
	u->q = NULL;
	u->qbuf = u->rbuf = NULL;
	u->m = NULL;
	u->nq = u->qbytes = 0;
	memset(&u->st, 0, sizeof(u->st));
	if ((fd = bind_socket(u, listen, &ss)) < 0)
		return fd;
	u->fd = fd;
	probe_gso(u, gso);
	probe_gro(u, gro);
	/* Receive slots: 64 KB each for coalesced datagrams, a datagram's
	 * worth each otherwise.  malloc'd pages count in RSS only once
	 * written, so slots the traffic never fills cost nothing. */
	u->rslots = u->gro ? UDP_GRO_SLOTS : UDP_BATCH;
	u->rslot = u->gro ? UDP_GRO_SLOT : DGRAM_SLOT;
	u->q = calloc(UDP_SENDQ, sizeof(*u->q));
	u->qbuf = malloc(UDP_SENDQ_BYTES);
	u->m = calloc(1, sizeof(*u->m));
	u->rbuf = malloc(u->rslots * u->rslot);
	if (u->q == NULL || u->qbuf == NULL || u->m == NULL ||
	    u->rbuf == NULL) {
		udp_free_buffers(u);
		close(fd);
		u->fd = -1;
		return -ENOMEM;
	}
	u->bound_one = udp_sa_to_ep(&ss, &u->bound) &&
	    !(u->bound.family == MESH_EP_IPV4 ?
	    memcmp(u->bound.addr, "\0\0\0\0", 4) == 0 :
	    IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr));
	return 0;
}

void
udp_close(struct udp *u)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	udp_free_buffers(u);
}

const char *
udp_offload_str(enum udp_off why, int err, char *buf, size_t len)
{
	switch (why) {
	case UDP_OFF_NONE:
		snprintf(buf, len, "on");
		break;
	case UDP_OFF_CONF:
		snprintf(buf, len, "off (meshd.conf)");
		break;
	case UDP_OFF_KERNEL:
		snprintf(buf, len, "off: the kernel refused it (%s)",
		    strerror(err));
		break;
	case UDP_OFF_SEND:
		snprintf(buf, len, "off: the kernel refused a GSO send (%s)",
		    strerror(err));
		break;
	}
	return buf;
}

/* --- send ----------------------------------------------------------------- */

bool
udp_ep_equal(const struct mesh_endpoint *a, const struct mesh_endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, a->family == MESH_EP_IPV4 ? 4 : 16) == 0;
}

size_t
udp_gso_run(const struct udp_out *q, size_t n, size_t max_segs,
    size_t max_bytes)
{
	size_t k = 1, bytes;

	if (n == 0)
		return 0;
	if (q[0].len == 0)
		return 1;	/* no segment size: an empty datagram alone */
	bytes = q[0].len;
	while (k < n && k < max_segs && q[k].len <= q[0].len &&
	    q[k].len > 0 && bytes + q[k].len <= max_bytes &&
	    q[k].off == q[k - 1].off + q[k - 1].len &&
	    udp_ep_equal(&q[k].to, &q[0].to)) {
		bytes += q[k].len;
		if (q[k++].len < q[0].len)
			break;	/* a shorter one ends the run */
	}
	return k;
}

/* The messages for q[from..nq): those before `plain` one datagram each,
 * the rest in runs while GSO is on. */
static void
build(struct udp *u, size_t from, size_t plain)
{
	struct udp_msgs *f = u->m;

	f->n = 0;
	for (size_t i = from; i < u->nq; ) {
		const struct udp_out *o = &u->q[i];
		size_t k = u->gso && i >= plain ? udp_gso_run(o, u->nq - i,
		    UDP_GSO_SEGS, UDP_GSO_BYTES) : 1;
		size_t m = f->n;
		struct msghdr *h = &f->msg[m].msg_hdr;

		memset(h, 0, sizeof(*h));
		h->msg_namelen = udp_ep_to_sa(u, &o->to, &f->sa[m]);
		h->msg_name = &f->sa[m];
		f->iov[m].iov_base = u->qbuf + o->off;
		f->iov[m].iov_len = o[k - 1].off + o[k - 1].len - o->off;
		h->msg_iov = &f->iov[m];
		h->msg_iovlen = 1;
		if (k > 1) {
			uint16_t size = (uint16_t)o->len;
			struct cmsghdr *c;

			h->msg_control = f->ctl[m].b;
			h->msg_controllen = sizeof(f->ctl[m].b);
			c = CMSG_FIRSTHDR(h);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(size));
			memcpy(CMSG_DATA(c), &size, sizeof(size));
		}
		f->at[m] = i;
		f->segs[m] = k;
		f->n++;
		i += k;
	}
}

static void
gso_failed(struct udp *u)
{
	u->gso = false;
	u->gso_off = UDP_OFF_SEND;
	log_warnx("UDP GSO: the kernel refused a send (%s); datagrams go "
	    "without it from now on", strerror(u->gso_err));
}

void
udp_flush(struct udp *u)
{
	struct udp_msgs *f = u->m;
	size_t sent = 0, probe = SIZE_MAX;

	if (u->nq == 0)
		return;
	build(u, 0, 0);
	while (sent < f->n) {
		int r = sendmmsg(u->fd, f->msg + sent, (unsigned)(f->n - sent),
		    MSG_DONTWAIT);
		int err = errno;

		u->st.tx_calls++;
		if (r > 0) {
			for (size_t i = sent; i < sent + (size_t)r; i++) {
				u->st.tx_datagrams += f->segs[i];
				if (f->segs[i] > 1)
					u->st.tx_gso++;
				if (f->at[i] == probe) {
					gso_failed(u);
					probe = SIZE_MAX;
				}
			}
			sent += (size_t)r;
			continue;
		}
		if (r < 0 && err == EINTR)
			continue;
		if (r == 0 || err == EAGAIN || err == EWOULDBLOCK ||
		    err == ENOBUFS) {
			size_t lost = 0;
			for (size_t i = sent; i < f->n; i++)
				lost += f->segs[i];
			u->st.send_errors += lost;
			u->st.send_full += lost;
			break;
		}
		if (f->segs[sent] > 1 && (err == EIO || err == EINVAL ||
		    err == EMSGSIZE)) {
			/* That run again as plain datagrams, the rest as
			 * before: its first datagram tells whose fault (if
			 * GSO is off already, a run built before that). */
			size_t at = f->at[sent];
			probe = SIZE_MAX;
			if (u->gso) {
				probe = at;
				u->gso_err = err;
			}
			build(u, at, at + f->segs[sent]);
			sent = 0;
			continue;
		}
		/* This message only: its address, most likely. */
		u->st.send_errors += f->segs[sent];
		if (f->at[sent] == probe)
			probe = SIZE_MAX;
		sent++;
	}
	u->nq = 0;
	u->qbytes = 0;
}

/* Whether the socket can take len bytes to `to` at all. */
static bool
sendable(const struct udp *u, const struct mesh_endpoint *to, size_t len)
{
	return u->fd >= 0 && len <= UDP_SENDQ_BYTES &&
	    (u->family != AF_INET || to->family == MESH_EP_IPV4);
}

uint8_t *
udp_send_buf(struct udp *u, const struct mesh_endpoint *to, size_t len)
{
	if (!sendable(u, to, len))
		return NULL;
	if (u->nq == UDP_SENDQ || u->qbytes + len > UDP_SENDQ_BYTES)
		udp_flush(u);
	return u->qbuf + u->qbytes;
}

void
udp_send(struct udp *u, const struct mesh_endpoint *to, const uint8_t *pkt,
    size_t len)
{
	struct udp_out *o;

	/* What the socket cannot reach is counted here, so that every
	 * queued datagram has an address (build() needs no error path). */
	if (!sendable(u, to, len)) {
		u->st.send_errors++;
		return;
	}
	if (u->nq == UDP_SENDQ || u->qbytes + len > UDP_SENDQ_BYTES) {
		/* In place with no room: not from udp_send_buf (a caller's
		 * bug), and it cannot be moved */
		if (pkt == u->qbuf + u->qbytes) {
			u->st.send_errors++;
			return;
		}
		udp_flush(u);
	}
	o = &u->q[u->nq++];
	o->to = *to;
	o->off = (uint32_t)u->qbytes;
	o->len = (uint32_t)len;
	if (pkt != u->qbuf + u->qbytes)	/* else udp_send_buf's: in place */
		memcpy(u->qbuf + u->qbytes, pkt, len);
	u->qbytes += len;
}

/* --- receive -------------------------------------------------------------- */

/* The segment size of a coalesced buffer, 0 when it holds one datagram. */
static size_t
gro_size(struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL;
	    c = CMSG_NXTHDR(h, c)) {
		int v;
		if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO ||
		    c->cmsg_len < CMSG_LEN(sizeof(v)))
			continue;
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		return v > 0 ? (size_t)v : 0;
	}
	return 0;
}

size_t
udp_recv(struct udp *u, int batches, udp_recv_fn *fn, void *ctx)
{
	struct mmsghdr msg[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage from[UDP_BATCH];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl[UDP_BATCH];
	size_t total = 0, budget = (size_t)batches * UDP_BATCH;

	for (int b = 0; b < batches && total < budget; b++) {
		int n;

		memset(msg, 0, u->rslots * sizeof(msg[0]));
		for (size_t i = 0; i < u->rslots; i++) {
			iov[i].iov_base = u->rbuf + i * u->rslot;
			iov[i].iov_len = u->rslot;
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &from[i];
			msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
			if (u->gro) {
				msg[i].msg_hdr.msg_control = ctl[i].b;
				msg[i].msg_hdr.msg_controllen =
				    sizeof(ctl[i].b);
			}
		}
		do
			n = recvmmsg(u->fd, msg, (unsigned)u->rslots,
			    MSG_DONTWAIT | MSG_TRUNC, NULL);
		while (n < 0 && errno == EINTR);
		u->st.rx_calls++;
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			const uint8_t *p = iov[i].iov_base;
			size_t len = msg[i].msg_len;
			size_t seg = u->gro ? gro_size(&msg[i].msg_hdr) : 0;
			struct mesh_endpoint ep;

			if (!udp_sa_to_ep(&from[i], &ep))
				continue;
			if (seg == 0 || len <= seg) {
				fn(ctx, p, len, &ep);
				total++;
				continue;
			}
			/* Coalesced: seg bytes each, the last maybe fewer.
			 * (The kernel coalesces at most 64 KB: a slot.) */
			if (len > u->rslot)
				len = u->rslot - u->rslot % seg;
			u->st.rx_gro++;
			for (size_t off = 0; off < len; off += seg) {
				size_t l = len - off < seg ? len - off : seg;
				fn(ctx, p + off, l, &ep);
				total++;
			}
		}
		if ((size_t)n < u->rslots)
			break;
	}
	u->st.rx_datagrams += total;
	return total;
}
