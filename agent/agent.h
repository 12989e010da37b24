/* meshd's state, shared by its parts; prototypes grouped by file. */
#ifndef MESH_AGENT_H
#define MESH_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "event.h"
#include "overlay/identity.h"
#include "store.h"

struct agent_stats {
	uint64_t nss_requests;	/* datagrams answered */
	uint64_t nss_ok, nss_notfound, nss_notmine, nss_badreq;
	uint64_t nss_evicted;	/* clients dropped to make room */
	uint64_t nss_idle_closed; /* clients dropped for saying nothing */
	uint64_t ctl_requests, ctl_bad;
	uint64_t reloads, reload_failures;
};

struct nss_server;
struct ctl_server;
struct overlay;

struct agent {
	struct ev_loop *loop;
	struct conf conf;
	const char *conf_path;
	bool conf_must_exist;
	struct mesh_identity id;
	bool have_id;
	struct store *store;
	struct nss_server *nss;
	struct ctl_server *ctl;
	struct overlay *ov;		/* NULL when the overlay is off */
	int tun_fd;			/* -1: no data plane */
	char tun_name[16];
	bool tun_vnet;			/* the TUN has its offloads on */
	uint64_t started_ms;
	struct agent_stats st;
};

/* meshd.c */
int agent_load_records(struct agent *a);

/* nss_server.c */
struct nss_server *nss_server_new(struct agent *a, const char *path);
void nss_server_free(struct nss_server *ns);

/* ctl_server.c */
struct ctl_server *ctl_server_new(struct agent *a, const char *path);
void ctl_server_free(struct ctl_server *cs);

/* sock.c */
int sock_listen_unix(const char *path, int type, mode_t mode);
void sock_unlink_unix(const char *path);

/* notify.c */
void notify_systemd(const char *state);

#endif
