/*
 * bench/tunfloor: the least a userspace TUN-over-UDP tunnel can do, as a
 * floor under bench/overlay.sh's tunnels.  One thread, one epoll: a packet
 * read from the TUN goes out in one UDP datagram to the one peer, and a
 * datagram in is written to the TUN as it came.  No crypto, no header, no
 * batching, no routing decision: what is left is the kernel's part (the
 * TUN, the UDP path, the wake-ups), which no tunnel of this shape can
 * avoid.  A bench only: it trusts whatever arrives on its port.
 *
 *     tunfloor IFNAME PORT PEER_IPV4 PEER_PORT
 *
 * It makes the TUN with meshd's own tun_open (bare IP packets, no
 * virtio-net header) and binds 0.0.0.0:PORT; the caller gives the TUN its
 * address and brings it up.  Runs until killed.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/tun.h"

static int
udp_make(int port, const char *peer, int peer_port)
{
	struct sockaddr_in me = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };
	struct sockaddr_in to = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)peer_port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (inet_pton(AF_INET, peer, &to.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Moves what is there from one fd to the other until a read would block. */
static void
pump(int from, int to)
{
	static unsigned char buf[65536];
	ssize_t n;

	while ((n = read(from, buf, sizeof(buf))) > 0)
		if (write(to, buf, (size_t)n) < 0 && errno != EAGAIN &&
		    errno != ENOBUFS && errno != ECONNREFUSED)
			perror("tunfloor: write");
}

int
main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN }, got[2];
	char ifname[TUN_NAME_MAX], err[TUN_ERR_LEN];
	int tun, udp, ep;

	if (argc != 5) {
		fprintf(stderr, "usage: tunfloor IFNAME PORT PEER_IPV4 "
		    "PEER_PORT\n");
		return 2;
	}
	if ((tun = tun_open(argv[1], false, ifname, err)) < 0) {
		fprintf(stderr, "tunfloor: %s\n", err);
		return 1;
	}
	if ((udp = udp_make(atoi(argv[2]), argv[3], atoi(argv[4]))) < 0) {
		perror("tunfloor: UDP");
		return 1;
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return 1;
	ev.data.fd = tun;
	epoll_ctl(ep, EPOLL_CTL_ADD, tun, &ev);
	ev.data.fd = udp;
	epoll_ctl(ep, EPOLL_CTL_ADD, udp, &ev);
	for (;;) {
		int n = epoll_wait(ep, got, 2, -1);
		if (n < 0 && errno != EINTR) {
			perror("tunfloor: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++)
			if (got[i].data.fd == tun)
				pump(tun, udp);
			else
				pump(udp, tun);
	}
}
