/*
 * The overlay's UDP socket: one per meshd, dual-stack unless `listen`
 * names an IPv4 address; sockaddr <-> mesh_endpoint; datagrams in batches
 * (recvmmsg), so a busy socket costs one system call per batch.
 */
#ifndef MESH_AGENT_UDP_H
#define MESH_AGENT_UDP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "mesh/wire.h"
#include "overlay/record.h"

#define UDP_BATCH 32
#define UDP_SOCKBUF (4 << 20)	/* asked for; the kernel may give less */

struct udp {
	int fd, family;
	uint16_t port;
	/* listen names one address: that is the only one to advertise */
	bool bound_one;
	struct mesh_endpoint bound;
	uint64_t send_errors;
	uint8_t buf[UDP_BATCH][WIRE_PACKET_MAX + 1];
};

typedef void udp_recv_fn(void *ctx, const uint8_t *pkt, size_t len,
    const struct mesh_endpoint *from);

/* Bind `listen` (HOST:PORT): 0 or -errno. */
int udp_open(struct udp *u, const char *listen);
void udp_close(struct udp *u);
/* One datagram; counted in send_errors when it cannot go. */
void udp_send(struct udp *u, const struct mesh_endpoint *to,
    const uint8_t *pkt, size_t len);
/* Read up to `batches` batches of datagrams, each handed to fn (a datagram
 * longer than WIRE_PACKET_MAX comes with its full length: the caller drops
 * it).  How many were read. */
size_t udp_recv(struct udp *u, int batches, udp_recv_fn *fn, void *ctx);

bool udp_sa_to_ep(const struct sockaddr_storage *sa, struct mesh_endpoint *ep);
/* 0 when ep's family cannot be reached from this socket. */
socklen_t udp_ep_to_sa(const struct udp *u, const struct mesh_endpoint *ep,
    struct sockaddr_storage *sa);

#endif
