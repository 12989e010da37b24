/*
 * LAN beacons (lan.c) and address changes (netwatch.c): the operating
 * system's half of issue 10's LAN discovery and roaming; the engine's is
 * overlay/lan.c.
 */
#ifndef MESH_AGENT_LAN_H
#define MESH_AGENT_LAN_H

#include "overlay.h"

struct lan;
struct netwatch;

/* lan.c: sockets, groups, the beacon timer; NULL (logged) when neither
 * family can be had. */
struct lan *lan_new(struct overlay *ov);
/* Interfaces again, and a beacon on each now (NULL l: nothing). */
void lan_changed(struct lan *l);
void lan_free(struct lan *l);

/* netwatch.c: NULL (logged) without rtnetlink. */
struct netwatch *netwatch_new(struct overlay *ov);
void netwatch_free(struct netwatch *w);

#endif
