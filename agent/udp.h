/*
 * The overlay's UDP socket: one per meshd, dual-stack unless `listen`
 * names an IPv4 address; sockaddr <-> mesh_endpoint; datagrams in batches
 * both ways, so a busy socket costs one system call per batch rather than
 * one per datagram.
 *
 * Send: udp_send() only copies the datagram into a queue; udp_flush()
 * hands the queue to the kernel in one sendmmsg().  A run of datagrams to
 * one endpoint, all of one size but the last (which may be shorter), goes
 * as a single message with UDP_SEGMENT (GSO): the kernel cuts it into the
 * datagrams again, further down, after one route lookup and one trip
 * through the socket layer.  The caller flushes at the end of every
 * wake-up that can have queued something; a full queue flushes itself.
 *
 * Receive: recvmmsg(), and with UDP_GRO the kernel may hand over several
 * datagrams of one sender coalesced in one buffer (a UDP_GRO control
 * message gives their size), which udp_recv() cuts apart again.  Buffers
 * for that are 64 KB each, so there are fewer of them (UDP_GRO_SLOTS).
 *
 * Either offload can be off (meshd.conf `udp_gso`, `udp_gro`), refused by
 * the kernel at udp_open(), or, for GSO, turned off at the first send the
 * kernel refuses (some devices cannot checksum for it: EIO).
 */
#ifndef MESH_AGENT_UDP_H
#define MESH_AGENT_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "mesh/wire.h"
#include "overlay/record.h"

#define UDP_BATCH 32		/* datagrams per recvmmsg without GRO */
#define UDP_GRO_SLOTS 16	/* coalesced buffers per recvmmsg with GRO */
#define UDP_GRO_SLOT 65536	/* the most the kernel coalesces: 64 KB */
#define UDP_SOCKBUF (4 << 20)	/* asked for; the kernel may give less */

/* The send queue: datagrams, and their bytes back to back. */
#define UDP_SENDQ 128
#define UDP_SENDQ_BYTES (UDP_SENDQ * 1500)
/* One GSO message: the kernel takes 64 segments (UDP_MAX_SEGMENTS, 128
 * since Linux 6.11) and one IP packet's worth of payload. */
#define UDP_GSO_SEGS 64
#define UDP_GSO_BYTES 65000

struct udp_msgs;

/* A queued datagram: its bytes are qbuf[off, off + len). */
struct udp_out {
	struct mesh_endpoint to;
	uint32_t off;
	uint32_t len;
};

/* Why an offload is off. */
enum udp_off {
	UDP_OFF_NONE,		/* it is on */
	UDP_OFF_CONF,		/* meshd.conf said off */
	UDP_OFF_KERNEL,		/* the kernel refused it at start (*_err) */
	UDP_OFF_SEND,		/* a GSO send failed (gso_err): plain since */
};

struct udp_stats {
	uint64_t tx_datagrams;	/* taken by the kernel */
	uint64_t tx_calls;	/* sendmmsg system calls */
	uint64_t tx_gso;	/* messages of several datagrams (GSO) */
	uint64_t rx_datagrams;	/* handed to the caller */
	uint64_t rx_calls;	/* recvmmsg calls, the empty last too */
	uint64_t rx_gro;	/* buffers of several datagrams (GRO) */
	uint64_t send_errors;	/* datagrams that could not go */
	uint64_t send_full;	/* of them: the socket buffer was full */
};

struct udp {
	int fd, family;
	uint16_t port;
	/* listen names one address: that is the only one to advertise */
	bool bound_one;
	struct mesh_endpoint bound;
	bool gso, gro;		/* in use now */
	enum udp_off gso_off, gro_off;
	int gso_err, gro_err;	/* errno, for UDP_OFF_KERNEL and _SEND */
	struct udp_stats st;
	/* the send queue: nq datagrams, qbytes of qbuf */
	struct udp_out *q;
	uint8_t *qbuf;
	size_t nq, qbytes;
	struct udp_msgs *m;	/* the messages of a flush (udp.c) */
	/* receive slots: rslots of rslot bytes */
	uint8_t *rbuf;
	size_t rslots, rslot;
};

typedef void udp_recv_fn(void *ctx, const uint8_t *pkt, size_t len,
    const struct mesh_endpoint *from);

/* Bind `listen` (HOST:PORT) with the offloads asked for, as far as the
 * kernel honours them (u->gso, u->gro, and why not in gso_off, gro_off):
 * 0 or -errno. */
int udp_open(struct udp *u, const char *listen, bool gso, bool gro);
void udp_close(struct udp *u);
/* Queue one datagram (pkt may be reused once this returns); it goes at the
 * next udp_flush(), or now if the queue is full.  Counted in send_errors
 * when it cannot go. */
void udp_send(struct udp *u, const struct mesh_endpoint *to,
    const uint8_t *pkt, size_t len);
/* Where the next datagram of len bytes will go in the queue (flushing it
 * first if it has no room): a udp_send() of that pointer, before any
 * other udp_* call, queues it without a copy.  NULL when udp_send() would
 * refuse it. */
uint8_t *udp_send_buf(struct udp *u, const struct mesh_endpoint *to,
    size_t len);
/* Send what is queued: one sendmmsg() when all goes well.  A full socket
 * buffer drops the rest (counted; no waiting, no retry). */
void udp_flush(struct udp *u);
/* Read up to `batches` recvmmsg batches, or until about batches *
 * UDP_BATCH datagrams came, each datagram handed to fn in the order it
 * came (a datagram longer than WIRE_PACKET_MAX comes with its full length:
 * the caller drops it).  How many were handed on. */
size_t udp_recv(struct udp *u, int batches, udp_recv_fn *fn, void *ctx);
/* "on", "off (meshd.conf)", "off: the kernel refused it (...)" */
const char *udp_offload_str(enum udp_off why, int err, char *buf, size_t len);

/* How many of the n queued datagrams q[0..n) go as one GSO message: a run
 * to one endpoint whose bytes follow each other in the queue, each as long
 * as q[0] but the last, which may be shorter; at most max_segs datagrams
 * and max_bytes together.  At least 1 (for n > 0): q[0] alone. */
size_t udp_gso_run(const struct udp_out *q, size_t n, size_t max_segs,
    size_t max_bytes);
bool udp_ep_equal(const struct mesh_endpoint *a, const struct mesh_endpoint *b);

bool udp_sa_to_ep(const struct sockaddr_storage *sa, struct mesh_endpoint *ep);
/* 0 when ep's family cannot be reached from this socket. */
socklen_t udp_ep_to_sa(const struct udp *u, const struct mesh_endpoint *ep,
    struct sockaddr_storage *sa);

#endif
