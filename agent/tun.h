/*
 * The TUN device: meshd's side of the kernel's packet path.  One backend
 * per OS behind these few functions (tinc's devops_t idea); this tree has
 * tun-linux.c.  Packets are bare IP, no header in front (IFF_NO_PI) --
 * unless the device was opened with `vnet` and its offloads (tun_offload):
 * then every read and write carries the 10-byte virtio-net header first
 * and a read may return a TCP super-packet of up to 64 KB, which
 * overlay/gso.c cuts up and, the other way, builds.
 *
 * Setting the device up needs CAP_NET_ADMIN and happens once, before
 * meshd drops it: tun_open() creates the interface, tun_setup() gives it
 * its MTU, the node's address as a /128 and one route for the network's
 * /48, and brings it up.  The kernel then needs nothing per peer: routing
 * inside the /48 is meshd's (overlay/linkstate.c).  The address adds no
 * prefix route of its own and the device makes no link-local address, so
 * the /48 is the only route that leads into it.
 *
 * Errors are 0 / -errno, and err (TUN_ERR_LEN bytes) says in words which
 * step failed and why, so meshd can tell the operator exactly what is
 * missing (typically "CAP_NET_ADMIN") and go on serving names without a
 * TUN.
 */
#ifndef MESH_TUN_H
#define MESH_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TUN_ERR_LEN	160
#define TUN_NAME_MAX	16	/* IFNAMSIZ, with the NUL */
#define TUN_PREFIX_LEN	6	/* a /48: MESH_PREFIX_LEN */
#define TUN_VNET_HLEN	10	/* struct virtio_net_hdr, GSO_VNET_HLEN */

/* Create (or attach to) the TUN device `name`; its real name goes to
 * ifname (the kernel may fill a "%d").  vnet: with the virtio-net header
 * (IFF_VNET_HDR).  A non-blocking, close-on-exec fd, or -errno. */
int tun_open(const char *name, bool vnet, char ifname[TUN_NAME_MAX],
    char err[TUN_ERR_LEN]);
/* On a device opened with vnet: check the header is on and its size
 * ours, and ask for TSO for IPv6 with checksum offload.  0, or -errno
 * when the kernel does not do all of it (the caller then closes the fd
 * and opens the device again without vnet). */
int tun_offload(int fd, const char *ifname, char err[TUN_ERR_LEN]);
/* MTU, address/128, route prefix::/48 into the device, link up. */
int tun_setup(const char *ifname, unsigned mtu, const uint8_t addr[16],
    const uint8_t prefix[TUN_PREFIX_LEN], char err[TUN_ERR_LEN]);
/* One packet (or super-packet); -errno (-EAGAIN when none is waiting). */
ssize_t tun_read(int fd, uint8_t *buf, size_t len);
ssize_t tun_write(int fd, const uint8_t *pkt, size_t len);
/* With the offloads: the header and the packet, in one writev(). */
ssize_t tun_write_vnet(int fd, const uint8_t vnet[TUN_VNET_HLEN],
    const uint8_t *pkt, size_t len);
void tun_close(int fd);

#endif
