/*
 * LAN discovery, the operating system's half: beacons (overlay/beacon.h)
 * multicast on every interface every LAN_PERIOD_MS and at once when an
 * address comes or goes (netwatch.c), and a socket of their own that hands
 * what it hears to the engine (node_lan_recv), which verifies and decides.
 *
 *   IPv4  group LAN_GROUP4 (239.255.83.77, administratively scoped), TTL 1,
 *         one send per interface with an IPv4 address (IP_MULTICAST_IF);
 *   IPv6  group LAN_GROUP6 (ff02::5a:6d, link-local scope), hop limit 1,
 *         one send per interface, with sin6_scope_id = the interface.  The
 *         source is set (IPV6_PKTINFO) to an address of that interface
 *         that needs no scope, so the receiver's candidate is one the
 *         overlay socket can send to; an interface with only a link-local
 *         address gets IPv4 beacons only.  Not when meshd listens on IPv4.
 * Both on UDP port LAN_PORT, with SO_REUSEADDR, so several meshd on one
 * host (tests) can listen; the overlay's own port goes inside the beacon.
 *
 * What it costs the receiver: a beacon that parses costs two signature
 * checks (the engine's), so what reaches the engine is rate-limited here:
 * LAN_RX_RATE a second per source address (burst LAN_RX_BURST), and
 * LAN_RX_ALL a second in all.  Our own come back on other interfaces of
 * the same host and are dropped by the engine for the cost of a memcmp.
 *
 * Privileges: none is needed; joining a group, binding a port above 1024
 * and setting the source of a datagram to one of our addresses are open
 * to any user, so this runs after meshd dropped to its user, and groups
 * are joined afresh on every new interface.
 */
#include "config.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "agent.h"
#include "lan.h"
#include "overlay/limit.h"

#define LAN_PORT	51829
#define LAN_GROUP4	"239.255.83.77"
#define LAN_GROUP6	"ff02::5a:6d"
#define LAN_PERIOD_MS	5000
#define LAN_IFS_MAX	32	/* interfaces beaconed on */
#define LAN_RX_RATE	2
#define LAN_RX_BURST	5
#define LAN_RX_ALL	50

struct lan_if {
	unsigned ifindex;
	bool v4;			/* has an IPv4 address: beacon there */
	struct in_addr a4;
	bool v6;			/* has one that needs no scope */
	struct in6_addr a6;
};

struct lan {
	struct overlay *ov;
	int fd4, fd6;
	struct in_addr g4;
	struct in6_addr g6;
	struct ev_timer timer;
	struct lan_if ifs[LAN_IFS_MAX];
	size_t nifs;
	/* groups joined, by interface index, so a join is done once */
	unsigned joined4[LAN_IFS_MAX], joined6[LAN_IFS_MAX];
	size_t njoined4, njoined6;
	struct ratelimit rl;
	uint64_t sent, send_errors, rx, rx_limited;
};

static bool
has(const unsigned *v, size_t n, unsigned x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static int
open_sock(int family)
{
	int fd, one = 1, zero = 0, hops = 1;
	struct sockaddr_storage ss;
	socklen_t sl;

	if ((fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return -errno;
	memset(&ss, 0, sizeof(ss));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		unsigned char ttl = 1, loop = 0;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(LAN_PORT);
		sl = sizeof(*s4);
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop));
		/* Only the groups joined on this socket, not every group
		 * any socket of the host joined. */
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero));
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(LAN_PORT);
		sl = sizeof(*s6);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
		    sizeof(hops));
		setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero,
		    sizeof(zero));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static struct lan_if *
if_get(struct lan *l, unsigned ifindex)
{
	for (size_t i = 0; i < l->nifs; i++)
		if (l->ifs[i].ifindex == ifindex)
			return &l->ifs[i];
	if (l->nifs == LAN_IFS_MAX)
		return NULL;
	memset(&l->ifs[l->nifs], 0, sizeof(l->ifs[0]));
	l->ifs[l->nifs].ifindex = ifindex;
	return &l->ifs[l->nifs++];
}

/* The interfaces to beacon on now: up, multicast, not loopback, not our
 * TUN; with their first IPv4 address and first IPv6 address that needs
 * no scope (not link-local, not in our overlay prefix).  Groups are
 * joined on each the first time it is seen. */
static void
scan(struct lan *l)
{
	const struct agent *a = l->ov->a;
	struct ifaddrs *ifs = NULL;

	l->nifs = 0;
	if (getifaddrs(&ifs) < 0)
		return;
	for (struct ifaddrs *i = ifs; i != NULL; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;
		unsigned idx;
		struct lan_if *li;

		if (sa == NULL || (i->ifa_flags & IFF_UP) == 0 ||
		    (i->ifa_flags & IFF_LOOPBACK) != 0 ||
		    (i->ifa_flags & IFF_MULTICAST) == 0 ||
		    (a->tun_name[0] != '\0' && strcmp(i->ifa_name, a->tun_name) == 0) ||
		    (idx = if_nametoindex(i->ifa_name)) == 0)
			continue;
		if (sa->sa_family == AF_INET && l->fd4 >= 0) {
			if ((li = if_get(l, idx)) == NULL || li->v4)
				continue;
			li->v4 = true;
			li->a4 = ((const struct sockaddr_in *)sa)->sin_addr;
		} else if (sa->sa_family == AF_INET6 && l->fd6 >= 0) {
			const struct in6_addr *a6 =
			    &((const struct sockaddr_in6 *)sa)->sin6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(a6) ||
			    memcmp(a6->s6_addr, a->id.prefix, MESH_PREFIX_LEN) == 0 ||
			    (li = if_get(l, idx)) == NULL || li->v6)
				continue;
			li->v6 = true;
			li->a6 = *a6;
		}
	}
	freeifaddrs(ifs);
	for (size_t k = 0; k < l->nifs; k++) {
		struct lan_if *li = &l->ifs[k];
		if (li->v4 && !has(l->joined4, l->njoined4, li->ifindex) &&
		    l->njoined4 < LAN_IFS_MAX) {
			struct ip_mreqn m = { .imr_multiaddr = l->g4,
			    .imr_ifindex = (int)li->ifindex };
			if (setsockopt(l->fd4, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m,
			    sizeof(m)) == 0 || errno == EADDRINUSE)
				l->joined4[l->njoined4++] = li->ifindex;
			else
				log_debug("lan: cannot join %s on interface %u: %s",
				    LAN_GROUP4, li->ifindex, strerror(errno));
		}
		if (li->v6 && !has(l->joined6, l->njoined6, li->ifindex) &&
		    l->njoined6 < LAN_IFS_MAX) {
			struct ipv6_mreq m = { .ipv6mr_multiaddr = l->g6,
			    .ipv6mr_interface = li->ifindex };
			if (setsockopt(l->fd6, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m,
			    sizeof(m)) == 0 || errno == EADDRINUSE)
				l->joined6[l->njoined6++] = li->ifindex;
			else
				log_debug("lan: cannot join %s on interface %u: %s",
				    LAN_GROUP6, li->ifindex, strerror(errno));
		}
	}
	/* An interface that went away takes its memberships with it: forget
	 * those we do not see, so they are joined again if it comes back. */
	for (size_t k = 0; k < l->njoined4; k++) {
		struct lan_if *li = NULL;
		for (size_t j = 0; j < l->nifs; j++)
			if (l->ifs[j].ifindex == l->joined4[k] && l->ifs[j].v4)
				li = &l->ifs[j];
		if (li == NULL)
			l->joined4[k--] = l->joined4[--l->njoined4];
	}
	for (size_t k = 0; k < l->njoined6; k++) {
		struct lan_if *li = NULL;
		for (size_t j = 0; j < l->nifs; j++)
			if (l->ifs[j].ifindex == l->joined6[k] && l->ifs[j].v6)
				li = &l->ifs[j];
		if (li == NULL)
			l->joined6[k--] = l->joined6[--l->njoined6];
	}
}

static void
send_one(struct lan *l, int fd, struct msghdr *mh)
{
	if (sendmsg(fd, mh, MSG_DONTWAIT) < 0)
		l->send_errors++;
	else
		l->sent++;
}

/* One beacon on every interface, each family. */
static void
send_all(struct lan *l)
{
	uint8_t b[BEACON_LEN];
	struct iovec iov = { .iov_base = b, .iov_len = sizeof(b) };

	if (node_lan_beacon(l->ov->node, overlay_now(), l->ov->udp.port, b) !=
	    BEACON_LEN)
		return;
	for (size_t k = 0; k < l->nifs; k++) {
		const struct lan_if *li = &l->ifs[k];
		if (li->v4) {
			struct sockaddr_in to = { .sin_family = AF_INET,
			    .sin_port = htons(LAN_PORT), .sin_addr = l->g4 };
			struct ip_mreqn m = { .imr_address = li->a4,
			    .imr_ifindex = (int)li->ifindex };
			struct msghdr mh = { .msg_name = &to,
			    .msg_namelen = sizeof(to), .msg_iov = &iov,
			    .msg_iovlen = 1 };
			if (setsockopt(l->fd4, IPPROTO_IP, IP_MULTICAST_IF, &m,
			    sizeof(m)) == 0)
				send_one(l, l->fd4, &mh);
		}
		if (li->v6) {
			union {
				struct cmsghdr h;
				uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
			} cm;
			struct sockaddr_in6 to = { .sin6_family = AF_INET6,
			    .sin6_port = htons(LAN_PORT), .sin6_addr = l->g6,
			    .sin6_scope_id = li->ifindex };
			struct msghdr mh = { .msg_name = &to,
			    .msg_namelen = sizeof(to), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = cm.b,
			    .msg_controllen = sizeof(cm.b) };
			struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
			struct in6_pktinfo pi = { .ipi6_addr = li->a6,
			    .ipi6_ifindex = li->ifindex };

			memset(cm.b, 0, sizeof(cm.b));
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			send_one(l, l->fd6, &mh);
		}
	}
}

static void
on_timer(struct ev_loop *loop, struct ev_timer *t, void *data)
{
	struct lan *l = data;

	scan(l);
	send_all(l);
	ev_timer_start(loop, t, LAN_PERIOD_MS, on_timer, l);
}

static void
on_readable(struct ev_loop *loop, int fd, int events, void *data)
{
	static const uint8_t all[1] = { 0 };
	struct lan *l = data;
	bool took = false;

	(void)loop;
	(void)events;
	for (int i = 0; i < 64; i++) {
		uint8_t buf[BEACON_LEN + 1];
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct mesh_endpoint from;
		uint64_t now = overlay_now();
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&ss, &sl);

		if (n < 0)
			break;
		l->rx++;
		if (!udp_sa_to_ep(&ss, &from))
			continue;
		if (!ratelimit_allow(&l->rl, now, from.addr, sizeof(from.addr),
		    LAN_RX_RATE, LAN_RX_BURST) ||
		    !ratelimit_allow(&l->rl, now, all, sizeof(all), LAN_RX_ALL,
		    LAN_RX_ALL)) {
			l->rx_limited++;
			continue;
		}
		if (node_lan_recv(l->ov->node, now, buf, (size_t)n, &from) ==
		    VR_OK)
			took = true;
	}
	if (took)
		overlay_kick(l->ov);
}

struct lan *
lan_new(struct overlay *ov)
{
	struct lan *l = calloc(1, sizeof(*l));
	int rc;

	if (l == NULL)
		return NULL;
	l->ov = ov;
	l->fd4 = l->fd6 = -1;
	inet_pton(AF_INET, LAN_GROUP4, &l->g4);
	inet_pton(AF_INET6, LAN_GROUP6, &l->g6);
	if (ratelimit_init(&l->rl, 256) < 0)
		goto fail;
	if ((rc = open_sock(AF_INET)) >= 0)
		l->fd4 = rc;
	else
		log_warnx("lan: no IPv4 beacons: UDP port %d: %s", LAN_PORT,
		    strerror(-rc));
	if (ov->udp.family == AF_INET6) {
		if ((rc = open_sock(AF_INET6)) >= 0)
			l->fd6 = rc;
		else
			log_warnx("lan: no IPv6 beacons: UDP port %d: %s",
			    LAN_PORT, strerror(-rc));
	}
	if (l->fd4 < 0 && l->fd6 < 0)
		goto fail;
	if ((l->fd4 >= 0 && ev_io_add(ov->a->loop, l->fd4, EV_READ,
	    on_readable, l) < 0) ||
	    (l->fd6 >= 0 && ev_io_add(ov->a->loop, l->fd6, EV_READ,
	    on_readable, l) < 0))
		goto fail;
	ev_timer_start(ov->a->loop, &l->timer, 0, on_timer, l);
	log_info("lan: beacons on UDP %d (%s%s%s)", LAN_PORT,
	    l->fd4 >= 0 ? LAN_GROUP4 : "", l->fd4 >= 0 && l->fd6 >= 0 ? ", " : "",
	    l->fd6 >= 0 ? LAN_GROUP6 : "");
	return l;
fail:
	lan_free(l);
	return NULL;
}

void
lan_changed(struct lan *l)
{
	if (l == NULL)
		return;
	scan(l);
	send_all(l);
	ev_timer_start(l->ov->a->loop, &l->timer, LAN_PERIOD_MS, on_timer, l);
}

void
lan_free(struct lan *l)
{
	if (l == NULL)
		return;
	ev_timer_stop(l->ov->a->loop, &l->timer);
	if (l->fd4 >= 0) {
		ev_io_del(l->ov->a->loop, l->fd4);
		close(l->fd4);
	}
	if (l->fd6 >= 0) {
		ev_io_del(l->ov->a->loop, l->fd6);
		close(l->fd6);
	}
	ratelimit_free(&l->rl);
	free(l);
}
