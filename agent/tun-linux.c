/*
 * The TUN device on Linux: /dev/net/tun for the packets, rtnetlink (via
 * libmnl) for the link, its address and its route.  See tun.h.
 *
 * Why rtnetlink and not `ip`: meshd must not fork a shell as root, and the
 * ioctl interface (SIOCSIFMTU, SIOCSIFFLAGS) has no IPv6 address flags and
 * no routes.  Why libmnl and not hand-packed messages: it is the small
 * library nftables, conntrack-tools and ethtool build on (Debian libmnl0,
 * 30 KB), and it gets attribute alignment and ACK parsing right once.
 *
 * The steps, each one request answered by one ACK:
 *   1. RTM_NEWLINK: MTU, and IPv6 address generation mode "none", so the
 *      device makes no link-local address (and so no fe80::/64 route).
 *   2. RTM_NEWADDR: addr/128 with IFA_F_NODAD (there is nobody on the
 *      other side of a TUN to clash with) and IFA_F_NOPREFIXROUTE (the
 *      /48 route below covers it).
 *   3. RTM_NEWLINK: up.
 *   4. RTM_NEWROUTE: prefix::/48 dev NAME, in the main table.
 * The requests say CREATE|REPLACE, so running setup again (meshd
 * restarted with the device still there) is not an error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "tun.h"

#define NL_BUF	8192	/* MNL_SOCKET_BUFFER_SIZE is a VLA */

static void __attribute__((format(printf, 3, 4)))
say(char err[TUN_ERR_LEN], int e, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(err, TUN_ERR_LEN, fmt, ap);
	va_end(ap);
	n = strlen(err);
	if (e != 0 && n < TUN_ERR_LEN)
		snprintf(err + n, TUN_ERR_LEN - n, ": %s%s", strerror(e),
		    e == EPERM || e == EACCES ? " (needs CAP_NET_ADMIN)" : "");
}

static int
open_flags(const char *name, short flags, char ifname[TUN_NAME_MAX],
    char err[TUN_ERR_LEN])
{
	struct ifreq ifr;
	int fd, e;

	_Static_assert(TUN_NAME_MAX == IFNAMSIZ, "tun.h agrees with net/if.h");
	if (strlen(name) == 0 || strlen(name) >= IFNAMSIZ) {
		say(err, 0, "tun name \"%s\": 1 to %d characters", name,
		    IFNAMSIZ - 1);
		return -EINVAL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		say(err, e, "open /dev/net/tun");
		return -e;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | flags);
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		say(err, e, "create tun %s", name);
		close(fd);
		return -e;
	}
	memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
	ifname[IFNAMSIZ - 1] = '\0';
	return fd;
}

int
tun_open(const char *name, bool vnet, char ifname[TUN_NAME_MAX],
    char err[TUN_ERR_LEN])
{
	_Static_assert(TUN_VNET_HLEN == sizeof(struct virtio_net_hdr),
	    "the legacy virtio-net header");
	return open_flags(name, vnet ? IFF_VNET_HDR : 0, ifname, err);
}

/*
 * The offloads, each step checked: the device must report the virtio-net
 * header on (TUNGETIFF: a kernel that ignored the flag would hand us bare
 * packets we would misread), take our header size and read it back, and
 * accept TSO for IPv6 with checksum offload.  TSO for IPv4 is not asked
 * for: the overlay carries IPv6 only, and IPv4 packets left whole reach
 * forward.c's own drop counter as before.
 */
int
tun_offload(int fd, const char *ifname, char err[TUN_ERR_LEN])
{
	struct ifreq ifr;
	int sz = TUN_VNET_HLEN, got = 0, e;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		e = errno;
		say(err, e, "TUNGETIFF on %s", ifname);
		return -e;
	}
	if (!(ifr.ifr_flags & IFF_VNET_HDR)) {
		say(err, 0, "%s: the kernel left IFF_VNET_HDR off", ifname);
		return -EOPNOTSUPP;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0 ||
	    ioctl(fd, TUNGETVNETHDRSZ, &got) < 0) {
		e = errno;
		say(err, e, "%s: set the virtio-net header size", ifname);
		return -e;
	}
	if (got != sz) {
		say(err, 0, "%s: virtio-net header of %d bytes, not %d", ifname,
		    got, sz);
		return -EOPNOTSUPP;
	}
	if (ioctl(fd, TUNSETOFFLOAD,
	    (unsigned long)(TUN_F_CSUM | TUN_F_TSO6)) < 0) {
		e = errno;
		say(err, e, "%s: TSO for IPv6 with checksum offload", ifname);
		return -e;
	}
	return 0;
}

/* Send one request and wait for its ACK: 0 or -errno. */
static int
talk(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[NL_BUF];
	unsigned seq = nlh->nlmsg_seq, portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int rc;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL);
	} while (rc == MNL_CB_OK);
	return rc < 0 ? -errno : 0;
}

static struct nlmsghdr *
request(char *buf, uint16_t type, uint16_t flags, unsigned seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	return nlh;
}

static int
set_link(struct mnl_socket *nl, unsigned seq, unsigned ifindex, unsigned mtu,
    bool up)
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = request(buf, RTM_NEWLINK, 0, seq);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *spec, *inet6;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	if (up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	} else {
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
		spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
		inet6 = mnl_attr_nest_start(nlh, AF_INET6);
		mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE,
		    IN6_ADDR_GEN_MODE_NONE);
		mnl_attr_nest_end(nlh, inet6);
		mnl_attr_nest_end(nlh, spec);
	}
	return talk(nl, nlh);
}

static int
add_addr(struct mnl_socket *nl, unsigned seq, unsigned ifindex,
    const uint8_t addr[16])
{
	char buf[NL_BUF];
	struct nlmsghdr *nlh = request(buf, RTM_NEWADDR,
	    NLM_F_CREATE | NLM_F_REPLACE, seq);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = 128;
	ifa->ifa_flags = IFA_F_NODAD;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, 16, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, addr);
	/* The flags past 8 bits travel in their own attribute. */
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD | IFA_F_NOPREFIXROUTE);
	return talk(nl, nlh);
}

static int
add_route(struct mnl_socket *nl, unsigned seq, unsigned ifindex,
    const uint8_t prefix[TUN_PREFIX_LEN])
{
	char buf[NL_BUF];
	uint8_t dst[16] = { 0 };
	struct nlmsghdr *nlh = request(buf, RTM_NEWROUTE,
	    NLM_F_CREATE | NLM_F_REPLACE, seq);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	memcpy(dst, prefix, TUN_PREFIX_LEN);
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = TUN_PREFIX_LEN * 8;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, 16, dst);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return talk(nl, nlh);
}

int
tun_setup(const char *ifname, unsigned mtu, const uint8_t addr[16],
    const uint8_t prefix[TUN_PREFIX_LEN], char err[TUN_ERR_LEN])
{
	struct mnl_socket *nl;
	unsigned ifindex, seq = (unsigned)time(NULL);
	int rc;

	ifindex = if_nametoindex(ifname);
	if (ifindex == 0) {
		rc = -errno;
		say(err, -rc, "tun %s", ifname);
		return rc;
	}
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		say(err, -rc, "rtnetlink socket");
		goto out;
	}
	if ((rc = set_link(nl, ++seq, ifindex, mtu, false)) < 0) {
		say(err, -rc, "set %s mtu %u", ifname, mtu);
		goto out;
	}
	if ((rc = add_addr(nl, ++seq, ifindex, addr)) < 0) {
		say(err, -rc, "add the node's address to %s", ifname);
		goto out;
	}
	if ((rc = set_link(nl, ++seq, ifindex, mtu, true)) < 0) {
		say(err, -rc, "bring %s up", ifname);
		goto out;
	}
	if ((rc = add_route(nl, ++seq, ifindex, prefix)) < 0) {
		say(err, -rc, "route the network's /48 into %s", ifname);
		goto out;
	}
	rc = 0;
out:
	if (nl != NULL)
		mnl_socket_close(nl);
	return rc;
}

ssize_t
tun_read(int fd, uint8_t *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

ssize_t
tun_write(int fd, const uint8_t *pkt, size_t len)
{
	ssize_t n = write(fd, pkt, len);

	return n < 0 ? -errno : n;
}

ssize_t
tun_write_vnet(int fd, const uint8_t vnet[TUN_VNET_HLEN], const uint8_t *pkt,
    size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)(uintptr_t)vnet, .iov_len = TUN_VNET_HLEN },
		{ .iov_base = (void *)(uintptr_t)pkt, .iov_len = len },
	};
	ssize_t n = writev(fd, iov, 2);

	return n < 0 ? -errno : n;
}

void
tun_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
