/*
 * meshd's overlay: the shell around the node engine (overlay/node.h).
 * The engine decides; this side only moves bytes and keeps the files.
 *
 *   overlayd.c   node events -> log lines, store exports, saves; timers ->
 *                node_tick; the revocations file; redeeming invites and
 *                renewing certificates (CA holder), writing node.cert
 *   udp.c        the socket, in batches
 *   dns.c        seeds (`peer =` lines, the peers file), resolved off
 *                the loop
 *   endpoints.c  this node's interface addresses
 *   members.c    GET /v1/members, the counters of GET /v1/status
 *   lan.c        LAN beacons out and in (lan.h)
 *   netwatch.c   rtnetlink: an address came or went -> look again
 */
#ifndef MESH_OVERLAY_H
#define MESH_OVERLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "conf.h"
#include "event.h"
#include "log.h"
#include "overlay/gso.h"
#include "overlay/identity.h"
#include "overlay/node.h"
#include "udp.h"

struct agent;
struct dns;
struct lan;
struct netwatch;

#define OV_SAVE_MS		1000	/* at most one records save this often */
#define OV_SAVE_RETRY_MS	5000	/* after a failed one */
#define OV_MAINT_MS		1000	/* the revocations file, seeds */
#define OV_CERT_LIFETIME	(365 * 86400ULL)

struct overlay {
	struct agent *a;
	struct node *node;
	struct udp udp;
	struct dns *dns;
	struct lan *lan;		/* NULL: lan_discovery = off */
	struct netwatch *watch;		/* NULL: no rtnetlink */
	struct ev_timer tick, maint;
	/* the revocations file, as last read */
	int64_t rev_mtime_ns;
	int64_t rev_size;
	uint64_t saved_gen, exported_gen;
	uint64_t saved_at;		/* ms of the last records save try */
	bool save_failed;
	bool cert_unsaved, cert_save_failed;	/* node.cert behind the engine */
	struct log_rl join_warn;	/* "invite ... refused": strangers' doing */
	uint64_t tun_errors;
	/* the TUN: one read's buffer; with its offloads, the coalescer */
	uint8_t *tun_buf;
	struct gso_coal *coal;
	struct gso_counters gso;
	uint64_t ticked;		/* ms of the last node_tick */
	/* the clock as deliver() gives it, read again every RX_CLOCK_EVERY
	 * datagrams of a wake-up (overlayd.c) */
	uint64_t rx_now;
	unsigned rx_left;
	/* members whose first record came in since the last export */
	char (*fresh)[MESH_LABEL_MAX + 1];
	size_t nfresh;
};

/* overlayd.c */
struct overlay *overlay_new(struct agent *a);
void overlay_free(struct overlay *ov);
/* The engine's clock (ms, never 0). */
uint64_t overlay_now(void);
/* Run the engine's timers now, after a call into it from outside the
 * loop's own handlers (lan.c, netwatch.c). */
void overlay_kick(struct overlay *ov);

/* members.c */
json_t *members_json(struct overlay *ov);
json_t *overlay_counters_json(struct overlay *ov);
json_t *graph_json(struct overlay *ov);

/* endpoints.c */
size_t endpoints_local(const struct udp *u,
    const uint8_t prefix[static MESH_PREFIX_LEN], struct mesh_endpoint *ep,
    size_t max);

/* dns.c */
struct dns *dns_new(struct ev_loop *loop, struct node *node, int family);
int dns_add(struct dns *d, const char *hostport);
void dns_maint(struct dns *d);
void dns_free(struct dns *d);

#endif
