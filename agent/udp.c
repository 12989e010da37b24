/* The overlay's UDP socket (udp.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "udp.h"

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

int
udp_open(struct udp *u, const char *listen)
{
	char host[CONF_HOSTPORT_MAX];
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, off = 0, bufsz = UDP_SOCKBUF;

	u->fd = -1;
	memset(&ss, 0, sizeof(ss));
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
	u->family = ss.ss_family;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	/* Room for bursts: the default (~200 KB, 150 datagrams) overflowed
	 * under one TCP stream and the losses were the throughput's limit.
	 * The kernel caps this at net.core.[rw]mem_max. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	u->fd = fd;
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
}

void
udp_send(struct udp *u, const struct mesh_endpoint *to, const uint8_t *pkt,
    size_t len)
{
	struct sockaddr_storage sa;
	socklen_t sl = udp_ep_to_sa(u, to, &sa);

	if (sl == 0 || sendto(u->fd, pkt, len, MSG_DONTWAIT,
	    (const struct sockaddr *)&sa, sl) < 0)
		u->send_errors++;
}

size_t
udp_recv(struct udp *u, int batches, udp_recv_fn *fn, void *ctx)
{
	struct mmsghdr msg[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage from[UDP_BATCH];
	size_t total = 0;

	for (int b = 0; b < batches; b++) {
		int n;

		memset(msg, 0, sizeof(msg));
		for (int i = 0; i < UDP_BATCH; i++) {
			iov[i].iov_base = u->buf[i];
			iov[i].iov_len = sizeof(u->buf[i]);
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &from[i];
			msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		do
			n = recvmmsg(u->fd, msg, UDP_BATCH, MSG_DONTWAIT |
			    MSG_TRUNC, NULL);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			struct mesh_endpoint ep;
			if (!udp_sa_to_ep(&from[i], &ep))
				continue;
			fn(ctx, u->buf[i], msg[i].msg_len, &ep);
		}
		total += (size_t)n;
		if (n < UDP_BATCH)
			break;
	}
	return total;
}
