/*
 * The data plane's operating-system side: the TUN device.  Set up once,
 * while meshd still may (root, or CAP_NET_ADMIN from the unit), before it
 * drops privileges: the interface named by meshd.conf `tun` gets the
 * node's overlay address and the one route for the network's /48, with an
 * MTU every path fits, relayed ones included (DATAPLANE_MTU).  Afterwards
 * meshd keeps only the file descriptor.
 */
#ifndef MESH_AGENT_DATAPLANE_H
#define MESH_AGENT_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct agent;

/* IPv6's minimum: it fits a relayed packet (1,302 bytes of room) on
 * any underlay, so no path needs a Packet Too Big. */
#define DATAPLANE_MTU	1280

/* Open and set up the TUN of a->conf.tun (nothing for `tun = off`): the
 * fd, or -1 after one log line saying exactly what is missing (meshd then
 * serves names without a data plane). */
int dataplane_open(struct agent *a, char *ifname, size_t len);
/* Give up CAP_NET_ADMIN and every other capability once setup is done. */
void dataplane_drop_caps(void);

#endif
