/*
 * Address changes, as the kernel tells them: an rtnetlink socket (libmnl)
 * subscribed to RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR and RTMGRP_LINK.
 * Nothing is polled: the socket wakes the loop when a laptop is unplugged,
 * joins another Wi-Fi, resumes from sleep or gets an address by DHCP.
 *
 * What an event does (after NETWATCH_SETTLE_MS, so the burst a move makes
 * -- link down, addresses gone, link up, addresses back -- is acted on as
 * one, and at most once per NETWATCH_GAP_MS after that): the engine looks
 * for every path again (node_net_changed: every candidate handshaken now,
 * paths in use probed at once, our record republished with what
 * endpoints.c lists now), and LAN beacons go out on the interfaces there
 * are now (lan_changed).  Events about our own TUN, and addresses in our
 * overlay prefix, change nothing and are ignored.  A socket that lost
 * messages (ENOBUFS: the kernel's queue overflowed) counts as a change.
 *
 * Listening to these groups needs no privilege, so this runs after meshd
 * dropped to its user.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "agent.h"
#include "lan.h"

#define NETWATCH_SETTLE_MS	20
#define NETWATCH_GAP_MS		100
#define NL_BUF			8192

struct netwatch {
	struct overlay *ov;
	struct mnl_socket *nl;
	int fd;
	unsigned tun_index;		/* 0: none */
	struct ev_timer timer;
	bool pending;
	uint64_t last;			/* ms of the last change acted on */
	uint64_t events, changes;
};

static void
act(struct ev_loop *loop, struct ev_timer *t, void *data)
{
	struct netwatch *w = data;

	(void)loop;
	(void)t;
	w->pending = false;
	w->last = overlay_now();
	w->changes++;
	log_info("netwatch: local addresses changed; looking for paths again");
	node_net_changed(w->ov->node, overlay_now());
	lan_changed(w->ov->lan);
	overlay_kick(w->ov);
}

static void
changed(struct netwatch *w)
{
	uint64_t now = overlay_now(), wait = NETWATCH_SETTLE_MS;

	w->events++;
	if (w->pending)
		return;
	if (w->last != 0 && now - w->last < NETWATCH_GAP_MS &&
	    w->last + NETWATCH_GAP_MS - now > wait)
		wait = w->last + NETWATCH_GAP_MS - now;
	w->pending = true;
	ev_timer_start(w->ov->a->loop, &w->timer, wait, act, w);
}

/* Does this message say something that may move a path? */
static int
on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct netwatch *w = data;

	switch (nlh->nlmsg_type) {
	case RTM_NEWADDR:
	case RTM_DELADDR: {
		const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
		const struct nlattr *at;

		if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*ifa) ||
		    (w->tun_index != 0 && ifa->ifa_index == w->tun_index))
			break;
		if (ifa->ifa_family == AF_INET6) {
			mnl_attr_for_each(at, nlh, sizeof(*ifa)) {
				if (mnl_attr_get_type(at) == IFA_ADDRESS &&
				    mnl_attr_get_payload_len(at) == 16 &&
				    memcmp(mnl_attr_get_payload(at),
				    w->ov->a->id.prefix, MESH_PREFIX_LEN) == 0)
					return MNL_CB_OK;	/* ours */
			}
		}
		changed(w);
		break;
	}
	case RTM_NEWLINK:
	case RTM_DELLINK: {
		const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

		if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*ifi) ||
		    (w->tun_index != 0 && (unsigned)ifi->ifi_index == w->tun_index))
			break;
		changed(w);
		break;
	}
	default:
		break;
	}
	return MNL_CB_OK;
}

static void
on_readable(struct ev_loop *loop, int fd, int events, void *data)
{
	struct netwatch *w = data;
	uint8_t buf[NL_BUF];

	(void)loop;
	(void)fd;
	(void)events;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(w->nl, buf, sizeof(buf));

		if (n < 0) {
			if (errno == ENOBUFS)
				changed(w);	/* lost some: assume the worst */
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			break;
		}
		/* Notifications: seq 0, any port id. */
		mnl_cb_run(buf, (size_t)n, 0, 0, on_msg, w);
	}
}

struct netwatch *
netwatch_new(struct overlay *ov)
{
	struct netwatch *w = calloc(1, sizeof(*w));
	int fl;

	if (w == NULL)
		return NULL;
	w->ov = ov;
	w->fd = -1;
	if (ov->a->tun_name[0] != '\0')
		w->tun_index = if_nametoindex(ov->a->tun_name);
	if ((w->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL ||
	    mnl_socket_bind(w->nl, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
	    RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		log_warn("netwatch: rtnetlink");
		goto fail;
	}
	w->fd = mnl_socket_get_fd(w->nl);
	if ((fl = fcntl(w->fd, F_GETFL)) < 0 ||
	    fcntl(w->fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    ev_io_add(ov->a->loop, w->fd, EV_READ, on_readable, w) < 0) {
		log_warn("netwatch");
		goto fail;
	}
	return w;
fail:
	netwatch_free(w);
	return NULL;
}

void
netwatch_free(struct netwatch *w)
{
	if (w == NULL)
		return;
	ev_timer_stop(w->ov->a->loop, &w->timer);
	if (w->fd >= 0)
		ev_io_del(w->ov->a->loop, w->fd);
	if (w->nl != NULL)
		mnl_socket_close(w->nl);
	free(w);
}
