/*
 * The data plane's operating-system side: the TUN device.  Set up once,
 * while meshd still may (root, or CAP_NET_ADMIN from the unit), before it
 * drops privileges: the interface named by meshd.conf `tun` gets the
 * node's overlay address and the one route for the network's /48, with the
 * MTU of a member's own path (DATAPLANE_MTU; a relayed member's smaller
 * one arrives as a Packet Too Big, overlay/forward.c).  Afterwards
 * meshd keeps only the file descriptor.
 */
#ifndef MESH_AGENT_DATAPLANE_H
#define MESH_AGENT_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "overlay/node.h"

struct agent;

#define DATAPLANE_MTU	NODE_IP_MTU

/* Open and set up the TUN of a->conf.tun (nothing for `tun = off`): the
 * fd, or -1 after one log line saying exactly what is missing (meshd then
 * serves names without a data plane). */
int dataplane_open(struct agent *a, char *ifname, size_t len);
/* Give up CAP_NET_ADMIN and every other capability once setup is done. */
void dataplane_drop_caps(void);

#endif
