/*
 * The shell around the node engine.  meshd's side of the overlay only
 * moves bytes and keeps the files: datagrams go from the UDP socket into
 * node_recv() and out of cb_send into udp.c's queue, which goes to the
 * kernel in one batch at the end of the wake-up; one timer follows the
 * deadline node_tick() returns; the engine's events become log lines,
 * name-store exports and saves.
 *
 * Records: whatever changes the set is exported to the name store
 * (SRC_PEER) once per loop pass, not once per record, and only then is
 * "member X joined" logged: by the time that line is written, X's name
 * resolves.  Saving to the state directory (two fsyncs) comes after the
 * export, at most every OV_SAVE_MS, and once more when meshd stops; a save
 * that fails is tried again every OV_SAVE_RETRY_MS until one succeeds.
 *
 * Invites are redeemed here (cb_redeem): the invites file is read afresh,
 * since `meshctl invite` writes it while meshd runs, and the CA key is
 * read only for that and wiped after.  Certificates are renewed here too
 * (cb_renew, on the CA holder: the engine has checked the request), with
 * the CA key read the same way; a member's renewed certificate goes to
 * node.cert on NODE_EV_CERT_RENEWED, and a failed write is tried again
 * every OV_MAINT_MS (the engine uses the new one meanwhile).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "agent.h"
#include "keys.h"
#include "common/atomic.h"
#include "log.h"
#include "dataplane.h"
#include "overlay.h"
#include "tun.h"
#include "overlay/gso.h"
#include "agent/records.h"
#include "invites.h"
#include "lan.h"
#include "state.h"

#define RX_BATCHES 8	/* recvmmsg batches per wake-up, about 256 datagrams
			 * at most (udp_recv): the loop stays fair */
#define RX_CLOCK_EVERY 64	/* datagrams per clock read (deliver) */
#define TUN_BURST 64	/* packets from the TUN per wake-up */
#define TUN_BURST_VNET 8	/* super-packets (up to 64 KB each), offload on */
#define TUN_BUF (TUN_VNET_HLEN + GSO_PKT_MAX)

uint64_t
overlay_now(void)
{
	uint64_t now = ev_now_ms();

	return now == 0 ? 1 : now;
}

/* --- engine callbacks ----------------------------------------------------- */

static void
cb_send(void *ctx, const struct mesh_endpoint *to, const uint8_t *pkt,
    size_t len)
{
	struct overlay *ov = ctx;

	udp_send(&ov->udp, to, pkt, len);
}

static uint8_t *
cb_send_buf(void *ctx, const struct mesh_endpoint *to, size_t len)
{
	struct overlay *ov = ctx;

	return udp_send_buf(&ov->udp, to, len);
}

static void
cb_wallclock(void *ctx, uint64_t *sec, uint32_t *nsec)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = (uint64_t)ts.tv_sec;
	*nsec = (uint32_t)ts.tv_nsec;
}

/* With the TUN's offloads on, packets for it are gathered into TCP
 * super-packets (overlay/gso.h) and written when the wake-up ends
 * (tun_flush) or the coalescer has no room. */
static void
cb_tun_write(void *ctx, const uint8_t *pkt, size_t len)
{
	struct overlay *ov = ctx;

	if (ov->coal != NULL)
		gso_coal_add(ov->coal, pkt, len);
	else if (tun_write(ov->a->tun_fd, pkt, len) < 0)
		ov->tun_errors++;
}

static void
coal_write(void *ctx, const uint8_t vnet[GSO_VNET_HLEN], const uint8_t *pkt,
    size_t len)
{
	struct overlay *ov = ctx;

	if (tun_write_vnet(ov->a->tun_fd, vnet, pkt, len) < 0)
		ov->tun_errors++;
}

static void
tun_flush(struct overlay *ov)
{
	if (ov->coal != NULL)
		gso_coal_flush(ov->coal);
}

static uint32_t
cb_random(void *ctx, uint32_t upper)
{
	(void)ctx;
	return randombytes_uniform(upper);
}

static size_t
cb_local_endpoints(void *ctx, struct mesh_endpoint *ep, size_t max)
{
	struct overlay *ov = ctx;

	return endpoints_local(&ov->udp, ov->a->id.prefix, ep, max);
}

static bool
can_redeem(const struct agent *a)
{
	char path[4096];

	return state_path(path, sizeof(path), a->conf.state_dir,
	    "network.key") == 0 && access(path, R_OK) == 0;
}

static int
cb_redeem(void *ctx, const uint8_t pk[static MESH_KEY_LEN], const char *name,
    const uint8_t *proof, struct mesh_cert *cert)
{
	struct overlay *ov = ctx;
	const char *dir = ov->a->conf.state_dir;
	struct invite_store *st = NULL;
	unsigned char *ca_sk = NULL;
	char path[4096], err[512];
	int rc;

	if ((rc = state_path(path, sizeof(path), dir, INVITE_FILE)) < 0)
		return rc;
	if ((rc = invite_store_open(path, &st)) < 0) {
		log_warnx("%s: cannot read the invites: %s", path, strerror(-rc));
		return rc;
	}
	if ((rc = identity_load_ca_secret(dir, &ca_sk, err, sizeof(err))) < 0) {
		log_warnx("%s", err);
		goto out;
	}
	rc = invite_redeem(st, proof, name, pk, (uint64_t)time(NULL), ca_sk,
	    OV_CERT_LIFETIME, cert);
out:
	sodium_free(ca_sk);
	invite_store_free(st);
	return rc;
}

static int
cb_renew(void *ctx, const struct mesh_cert *old, struct mesh_cert *out)
{
	struct overlay *ov = ctx;
	unsigned char *ca_sk = NULL;
	char err[512];
	int rc;

	if ((rc = identity_load_ca_secret(ov->a->conf.state_dir, &ca_sk, err,
	    sizeof(err))) < 0) {
		log_warnx("%s", err);
		return rc;
	}
	rc = cert_issue(out, ca_sk, old->name, old->node_pk,
	    (uint64_t)time(NULL), OV_CERT_LIFETIME) == VR_OK ? 0 : -EINVAL;
	sodium_free(ca_sk);
	return rc;
}

static const char *
utc_day(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M UTC",
	    &tm) == 0)
		snprintf(buf, len, "%llu", (unsigned long long)t);
	return buf;
}

/* node.cert := the engine's certificate, if it is not on disk yet. */
static void
cert_save(struct overlay *ov)
{
	int rc;

	if (!ov->cert_unsaved)
		return;
	if ((rc = state_write_cert(ov->a->conf.state_dir,
	    node_cert(ov->node))) < 0) {
		errno = -rc;
		if (!ov->cert_save_failed)
			log_warn("cannot write %s/%s (trying again)",
			    ov->a->conf.state_dir, STATE_CERT_FILE);
		ov->cert_save_failed = true;
		return;
	}
	if (ov->cert_save_failed)
		log_info("%s/%s written", ov->a->conf.state_dir,
		    STATE_CERT_FILE);
	ov->cert_unsaved = false;
	ov->cert_save_failed = false;
}

/* A member whose first record just came in: logged after the export. */
static void
fresh_add(struct overlay *ov, const char *name)
{
	char (*v)[MESH_LABEL_MAX + 1];

	if ((v = reallocarray(ov->fresh, ov->nfresh + 1, sizeof(*v))) == NULL)
		return;		/* only a log line is lost */
	ov->fresh = v;
	snprintf(v[ov->nfresh++], sizeof(*v), "%s", name);
}

static void
cb_event(void *ctx, const struct node_event *ev)
{
	struct overlay *ov = ctx;

	switch (ev->kind) {
	case NODE_EV_MEMBER_NEW:
		fresh_add(ov, ev->name);
		break;
	case NODE_EV_MEMBER_STATE:
		if (ev->state == MEMBER_SUSPECT || ev->state == MEMBER_DEAD)
			log_info("member %s is %s: silent for %.1f s", ev->name,
			    member_state_name(ev->state),
			    (double)ev->silent_ms / 1000);
		else if (ev->state == MEMBER_LEFT)
			log_info("member %s left", ev->name);
		else
			log_info("member %s is %s", ev->name,
			    member_state_name(ev->state));
		break;
	case NODE_EV_RECORDS_CHANGED:
		break;		/* records_sync() after the pass */
	case NODE_EV_REVOCATION:
		log_info("accepted a revocation");
		break;
	case NODE_EV_JOIN: {
		uint64_t more;
		if (ev->err == 0) {
			log_info("invite for %s.mesh redeemed", ev->name);
			break;
		}
		/* Anyone can ask: one line a second, and a count. */
		if (!log_rl_allow(&ov->join_warn, overlay_now(), &more))
			break;
		if (more > 0)
			log_warnx("%llu more refused invite(s) not logged",
			    (unsigned long long)more);
		log_warnx("invite for %s.mesh refused: %s", ev->name,
		    strerror(-ev->err));
		break;
	}
	case NODE_EV_PUBLISH_FAILED:
		log_warnx("cannot publish this node's record: %s",
		    vr_str(ev->vr));
		break;
	case NODE_EV_CERT_RENEWED: {
		char day[64];
		log_info("certificate renewed: valid until %s",
		    utc_day(ev->cert->not_after, day, sizeof(day)));
		ov->cert_unsaved = true;
		cert_save(ov);
		break;
	}
	case NODE_EV_CERT_ISSUED:
		if (ev->err == 0)
			log_info("certificate of %s.mesh renewed", ev->name);
		else if (strcmp(ev->name, ov->a->id.name) == 0)
			log_warnx("cannot renew this node's certificate: %s",
			    strerror(-ev->err));
		else
			log_warnx("renewal for %s.mesh refused: %s", ev->name,
			    strerror(-ev->err));
		break;
	}
}

/* --- records: store and disk ---------------------------------------------- */

static void
records_export(struct overlay *ov, uint64_t gen)
{
	struct recset *rs = node_records(ov->node);
	size_t n = recset_count(rs);
	struct store_rec *recs = calloc(n ? n : 1, sizeof(*recs));

	if (recs == NULL)
		return;
	n = recset_export(rs, recs, n, ov->a->conf.ttl, (uint64_t)time(NULL));
	if (store_replace(ov->a->store, SRC_PEER, recs, n, NULL) == 0) {
		ov->exported_gen = gen;
		for (size_t i = 0; i < ov->nfresh; i++)
			log_info("member %s joined", ov->fresh[i]);
		free(ov->fresh);
		ov->fresh = NULL;
		ov->nfresh = 0;
	}
	free(recs);
}

static void
records_sync(struct overlay *ov, bool flush)
{
	struct recset *rs = node_records(ov->node);
	uint64_t gen = recset_generation(rs), now = overlay_now();
	uint64_t wait = ov->save_failed ? OV_SAVE_RETRY_MS : OV_SAVE_MS;
	char path[4096];
	int rc;

	if (gen != ov->exported_gen)
		records_export(ov, gen);
	if (gen == ov->saved_gen || (!flush && now - ov->saved_at < wait) ||
	    state_path(path, sizeof(path), ov->a->conf.state_dir,
	    RECSET_FILE) < 0)
		return;
	ov->saved_at = now;
	if ((rc = recset_save(rs, path)) < 0) {
		errno = -rc;
		if (flush)
			log_warn("cannot save %s", path);
		else if (!ov->save_failed)
			log_warn("cannot save %s (trying again every %d s)",
			    path, OV_SAVE_RETRY_MS / 1000);
		ov->save_failed = true;
		return;
	}
	if (ov->save_failed)
		log_info("%s saved", path);
	ov->save_failed = false;
	ov->saved_gen = gen;
}

static void
records_load(struct overlay *ov)
{
	struct recset_load_report rep;
	char path[4096];
	int rc;

	if (state_path(path, sizeof(path), ov->a->conf.state_dir,
	    RECSET_FILE) < 0)
		return;
	rc = recset_load(node_records(ov->node), path, (uint64_t)time(NULL),
	    &rep);
	if (rc == 0)
		log_info("%s: %zu record(s) kept (%zu of them stale), %zu "
		    "expired, %zu bad", path, rep.kept, rep.stale, rep.expired,
		    rep.bad);
	else if (rc != -ENOENT)
		log_warnx("%s: %s; starting with no records", path,
		    rc == -EINVAL ? "not a record set of this network" :
		    strerror(-rc));
	ov->saved_gen = recset_generation(node_records(ov->node));
}

/* Revocations that `meshctl revoke` left in the state directory. */
static void
read_revocations(struct overlay *ov)
{
	uint8_t buf[STATE_REVOCATIONS_MAX * sizeof(struct mesh_rev_wire)];
	char path[4096];
	struct stat st;
	ssize_t n;

	if (state_path(path, sizeof(path), ov->a->conf.state_dir,
	    STATE_REVOCATIONS_FILE) < 0 || stat(path, &st) < 0)
		return;
	if ((int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec ==
	    ov->rev_mtime_ns && st.st_size == ov->rev_size)
		return;
	ov->rev_mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
	    st.st_mtim.tv_nsec;
	ov->rev_size = st.st_size;
	if ((n = read_small_file(path, buf, sizeof(buf))) < 0)
		return;
	for (size_t o = 0; o + sizeof(struct mesh_rev_wire) <= (size_t)n;
	    o += sizeof(struct mesh_rev_wire)) {
		struct mesh_rev_wire w;
		struct mesh_revocation rv;
		memcpy(&w, buf + o, sizeof(w));
		if (rev_decode(&w, &rv) == VR_OK &&
		    node_offer_revocation(ov->node, &rv))
			log_info("%s: a new revocation, spreading it", path);
	}
}

/* --- the loop ------------------------------------------------------------- */

static void on_tick(struct ev_loop *loop, struct ev_timer *t, void *data);

/* Run the engine's timers and sleep until its next deadline. */
static void
kick(struct overlay *ov)
{
	uint64_t now = overlay_now(), next = node_tick(ov->node, now), ms;

	ov->ticked = now;
	records_sync(ov, false);
	ms = next == UINT64_MAX ? 60000 : next > now ? next - now : 0;
	ev_timer_start(ov->a->loop, &ov->tick, ms > 60000 ? 60000 : ms,
	    on_tick, ov);
	udp_flush(&ov->udp);
	tun_flush(ov);
}

/* After packets: the datagrams and TUN writes the wake-up queued go out
 * first, in one batch each, so that a packet (a ping) waits for no timer
 * work; then the engine's timers, at most once a millisecond (a tick
 * walks every peer: no work per packet batch that grows with the mesh),
 * kick() sending what they queue.  Within the same millisecond, the tick
 * timer is brought to 1 ms at most, in case the packets brought a
 * deadline forward.  Every wake-up that can make the engine send ends
 * here or in kick(). */
static void
kick_after_packets(struct overlay *ov)
{
	udp_flush(&ov->udp);
	tun_flush(ov);
	if (overlay_now() != ov->ticked)
		kick(ov);
	else
		ev_timer_start(ov->a->loop, &ov->tick, 1, on_tick, ov);
}

/* One clock read per RX_CLOCK_EVERY datagrams, not one each: the engine
 * counts in milliseconds, and 64 datagrams take about a tenth of one to
 * open (a clock read was 1.4% of the receiver's time). */
static void
deliver(void *ctx, const uint8_t *pkt, size_t len,
    const struct mesh_endpoint *from)
{
	struct overlay *ov = ctx;

	if (ov->rx_left-- == 0) {
		ov->rx_now = overlay_now();
		ov->rx_left = RX_CLOCK_EVERY - 1;
	}
	node_recv(ov->node, ov->rx_now, pkt, len, from);
}

void
overlay_kick(struct overlay *ov)
{
	kick_after_packets(ov);
}

static void
on_readable(struct ev_loop *loop, int fd, int events, void *data)
{
	struct overlay *ov = data;

	(void)loop;
	(void)fd;
	(void)events;
	ov->rx_left = 0;	/* the first datagram reads the clock */
	udp_recv(&ov->udp, RX_BATCHES, deliver, ov);
	kick_after_packets(ov);
}

struct split_ctx {
	struct overlay *ov;
	uint64_t now;
};

static void
split_send(void *ctx, const uint8_t *pkt, size_t len)
{
	struct split_ctx *sc = ctx;

	node_send_ip(sc->ov->node, sc->now, pkt, len);
}

/* Packets from the TUN, a bounded number per wake-up.  With the offloads
 * on, each read is a virtio-net header and a packet or a TCP
 * super-packet, cut into the segments the peer gets. */
static void
on_tun(struct ev_loop *loop, int fd, int events, void *data)
{
	struct overlay *ov = data;
	bool vnet = ov->a->tun_vnet;
	struct split_ctx sc = { .ov = ov };

	(void)loop;
	(void)events;
	for (int i = 0; i < (vnet ? TUN_BURST_VNET : TUN_BURST); i++) {
		ssize_t n = tun_read(fd, ov->tun_buf, TUN_BUF);
		if (n <= 0)
			break;
		sc.now = overlay_now();
		if (vnet)
			gso_split(ov->tun_buf, (size_t)n, split_send, &sc,
			    &ov->gso);
		else
			node_send_ip(ov->node, sc.now, ov->tun_buf, (size_t)n);
	}
	kick_after_packets(ov);
}

static void
on_tick(struct ev_loop *loop, struct ev_timer *t, void *data)
{
	(void)loop;
	(void)t;
	kick(data);
}

static void
on_maint(struct ev_loop *loop, struct ev_timer *t, void *data)
{
	struct overlay *ov = data;
	uint64_t more;

	if ((more = log_rl_flush(&ov->join_warn, overlay_now())) > 0)
		log_warnx("%llu more refused invite(s) not logged",
		    (unsigned long long)more);
	read_revocations(ov);
	cert_save(ov);
	dns_maint(ov->dns);
	kick(ov);
	ev_timer_start(loop, t, OV_MAINT_MS, on_maint, ov);
}

static int
add_seeds(struct overlay *ov)
{
	char hosts[STATE_PEERS_MAX][80];
	int n;

	for (size_t i = 0; i < ov->a->conf.npeers; i++)
		if (dns_add(ov->dns, ov->a->conf.peers[i]) < 0)
			log_warnx("peer %s: more than %d peers; ignored",
			    ov->a->conf.peers[i], NODE_SEED_SLOTS);
	n = state_read_peers(ov->a->conf.state_dir, hosts, STATE_PEERS_MAX);
	for (int i = 0; i < n; i++)
		if (dns_add(ov->dns, hosts[i]) < 0)
			log_warnx("peer %s: more than %d peers; ignored",
			    hosts[i], NODE_SEED_SLOTS);
	return 0;
}

static int
node_setup(struct overlay *ov)
{
	struct agent *a = ov->a;
	struct node_cb cb = {
		.ctx = ov, .send = cb_send, .send_buf = cb_send_buf,
		.wallclock = cb_wallclock,
		.random = cb_random, .local_endpoints = cb_local_endpoints,
		.redeem = cb_redeem, .renew = cb_renew, .event = cb_event,
		.tun_write = cb_tun_write,
	};
	struct node_cfg cfg = {
		.sk = a->id.sk,
		.dead_ms = (uint64_t)a->conf.dead_after * 1000,
		.ipv4_only = ov->udp.family == AF_INET,
		.can_redeem = can_redeem(a),
		.data_plane = a->tun_fd >= 0,
		.chacha_only = a->conf.chacha_only,
	};
	int rc;

	memcpy(cfg.pk, a->id.pk, MESH_KEY_LEN);
	memcpy(cfg.ca_pk, a->id.ca_pk, MESH_KEY_LEN);
	if ((rc = state_read_cert(a->conf.state_dir, &cfg.cert)) < 0) {
		log_warnx("%s/%s: %s: the overlay stays off (a node made by an "
		    "older meshctl init, or a join that did not finish)",
		    a->conf.state_dir, STATE_CERT_FILE, rc == -ENOENT ?
		    "missing" : "not a certificate");
		return -1;
	}
	if (memcmp(cfg.cert.node_pk, a->id.pk, MESH_KEY_LEN) != 0 ||
	    cert_verify(&cfg.cert, a->id.ca_pk, (uint64_t)time(NULL)) != VR_OK) {
		log_warnx("%s/%s is not a valid certificate of this node in "
		    "this network: the overlay stays off", a->conf.state_dir,
		    STATE_CERT_FILE);
		return -1;
	}
	if ((ov->node = node_new(&cfg, &cb)) == NULL) {
		log_warn("overlay");
		return -1;
	}
	return 0;
}

/* Which UDP offloads are on, and why one is not. */
static void
log_offloads(const struct udp *u)
{
	char gso[128], gro[128];

	log_info("overlay: UDP GSO %s, GRO %s",
	    udp_offload_str(u->gso_off, u->gso_err, gso, sizeof(gso)),
	    udp_offload_str(u->gro_off, u->gro_err, gro, sizeof(gro)));
}

struct overlay *
overlay_new(struct agent *a)
{
	struct overlay *ov;
	int rc;

	if (!a->have_id || a->id.sk == NULL)
		return NULL;
	if ((ov = calloc(1, sizeof(*ov))) == NULL)
		return NULL;
	ov->a = a;
	ov->udp.fd = -1;
	if ((rc = udp_open(&ov->udp, a->conf.listen, a->conf.udp_gso,
	    a->conf.udp_gro)) < 0) {
		errno = -rc;
		log_warn("cannot listen on UDP %s", a->conf.listen);
		goto fail;
	}
	if (a->tun_fd >= 0 && (ov->tun_buf = malloc(TUN_BUF)) == NULL)
		goto fail;
	if (a->tun_fd >= 0 && a->tun_vnet) {
		if ((ov->coal = malloc(sizeof(*ov->coal))) == NULL)
			goto fail;
		gso_coal_init(ov->coal, coal_write, ov, &ov->gso);
		/* All it gets comes out of a session's AEAD (cb_tun_write
		 * takes forward_on_ip's packets; ICMP errors of our own go
		 * as singles): checking each segment's TCP checksum again
		 * would only catch a fault of the sending meshd. */
		gso_coal_trust_csum(ov->coal, true);
	}
	if (node_setup(ov) < 0)
		goto fail;
	records_load(ov);
	if ((ov->dns = dns_new(a->loop, ov->node, ov->udp.family)) == NULL ||
	    add_seeds(ov) < 0)
		goto fail;
	if (ev_io_add(a->loop, ov->udp.fd, EV_READ, on_readable, ov) < 0)
		goto fail;
	if (a->tun_fd >= 0 &&
	    ev_io_add(a->loop, a->tun_fd, EV_READ, on_tun, ov) < 0)
		goto fail;
	/* Neither is needed to run: without them, paths are found as
	 * before (records, seeds, once a second). */
	if (a->conf.lan_discovery)
		ov->lan = lan_new(ov);
	ov->watch = netwatch_new(ov);
	ev_timer_start(a->loop, &ov->tick, 0, on_tick, ov);
	ev_timer_start(a->loop, &ov->maint, 10, on_maint, ov);
	log_info("overlay: %s.mesh listening on UDP %s", a->id.name,
	    a->conf.listen);
	log_offloads(&ov->udp);
	return ov;
fail:
	overlay_free(ov);
	return NULL;
}

void
overlay_free(struct overlay *ov)
{
	if (ov == NULL)
		return;
	ev_timer_stop(ov->a->loop, &ov->tick);
	ev_timer_stop(ov->a->loop, &ov->maint);
	netwatch_free(ov->watch);
	lan_free(ov->lan);
	if (ov->node != NULL) {
		/* Say goodbye, so that members show "left" rather than "dead". */
		node_leave(ov->node, overlay_now());
		udp_flush(&ov->udp);
		records_sync(ov, true);
		node_free(ov->node);
	}
	dns_free(ov->dns);
	if (ov->udp.fd >= 0) {
		ev_io_del(ov->a->loop, ov->udp.fd);
		udp_close(&ov->udp);
	}
	if (ov->a->tun_fd >= 0)
		ev_io_del(ov->a->loop, ov->a->tun_fd);
	free(ov->coal);
	free(ov->tun_buf);
	free(ov->fresh);
	free(ov);
}
