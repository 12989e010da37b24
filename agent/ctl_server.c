/*
 * The control socket: HTTP/1.x with JSON bodies over a Unix socket that
 * only root and the mesh group may open (mode 0660).  meshctl talks to it
 * with libcurl; so can a person:
 *     curl --unix-socket /run/mesh/meshd.sock http://mesh/v1/status
 * Read-only for now: GET /v1/status, GET /v1/hosts, GET /v1/members.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <jansson.h>

#include "agent.h"
#include "http.h"
#include "log.h"
#include "overlay.h"

#define CTL_CLIENTS_MAX 64
#define CTL_IDLE_MS 5000

struct ctl_client {
	struct ctl_server *cs;
	struct ctl_client *next;
	int fd;
	uint64_t since_ms;
	char in[HTTP_REQ_MAX];
	size_t inlen;
	char *out;
	size_t outlen, outoff;
};

struct ctl_server {
	struct agent *a;
	char *path;
	int fd;
	struct ctl_client *clients;
	size_t nclients;
	struct ev_timer sweep;
};

static void
client_close(struct ctl_client *c)
{
	struct ctl_server *cs = c->cs;

	for (struct ctl_client **pp = &cs->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ev_io_del(cs->a->loop, c->fd);
	close(c->fd);
	free(c->out);
	free(c);
	cs->nclients--;
}

static json_t *
addr_list(const struct store_rec *r)
{
	json_t *arr = json_array();
	char buf[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < r->n6; i++)
		json_array_append_new(arr, json_string(inet_ntop(AF_INET6,
		    r->addr6[i], buf, sizeof(buf))));
	for (size_t i = 0; i < r->n4; i++)
		json_array_append_new(arr, json_string(inet_ntop(AF_INET,
		    r->addr4[i], buf, sizeof(buf))));
	return arr;
}

static json_t *
status_json(struct agent *a)
{
	const struct agent_stats *st = &a->st;
	json_t *node = json_null();
	char addr[INET6_ADDRSTRLEN], pfx[INET6_ADDRSTRLEN + 4];
	char fp[IDENTITY_FP_LEN];

	if (a->have_id) {
		uint8_t p16[16] = { 0 };
		memcpy(p16, a->id.prefix, MESH_PREFIX_LEN);
		inet_ntop(AF_INET6, p16, addr, sizeof(addr));
		snprintf(pfx, sizeof(pfx), "%s/48", addr);
		inet_ntop(AF_INET6, a->id.addr, addr, sizeof(addr));
		identity_fingerprint(a->id.pk, fp);
		node = json_pack("{s:s, s:s, s:s, s:s}", "name", a->id.name,
		    "fingerprint", fp, "address", addr, "network_prefix", pfx);
	}
	return json_pack("{s:s, s:I, s:I, s:o, s:I, s:s, s:s, s:{s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
	    "version", PACKAGE_VERSION,
	    "pid", (json_int_t)getpid(),
	    "uptime_s", (json_int_t)((ev_now_ms() - a->started_ms) / 1000),
	    "node", node,
	    "records", (json_int_t)store_count(a->store),
	    "nss_socket", a->conf.nss_socket,
	    "state_dir", a->conf.state_dir,
	    "counters",
	    "nss_requests", (json_int_t)st->nss_requests,
	    "nss_ok", (json_int_t)st->nss_ok,
	    "nss_notfound", (json_int_t)st->nss_notfound,
	    "nss_notmine", (json_int_t)st->nss_notmine,
	    "nss_badreq", (json_int_t)st->nss_badreq,
	    "nss_evicted", (json_int_t)st->nss_evicted,
	    "nss_idle_closed", (json_int_t)st->nss_idle_closed,
	    "ctl_requests", (json_int_t)st->ctl_requests,
	    "ctl_bad", (json_int_t)st->ctl_bad,
	    "reloads", (json_int_t)st->reloads,
	    "reload_failures", (json_int_t)st->reload_failures);
}

static json_t *
status_with_overlay(struct agent *a)
{
	json_t *st = status_json(a);

	if (st != NULL && a->ov != NULL)
		json_object_set_new(json_object_get(st, "counters"), "overlay",
		    overlay_counters_json(a->ov));
	if (st != NULL)
		json_object_set_new(st, "overlay", json_boolean(a->ov != NULL));
	return st;
}

static json_t *
hosts_json(struct agent *a)
{
	static const char *src[] = { "self", "static", "peer" };
	json_t *arr = json_array();

	for (size_t i = 0; i < store_count(a->store); i++) {
		const struct store_rec *r = store_at(a->store, i);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:o, s:b}",
		    "name", r->name, "source", src[r->source],
		    "ttl", (json_int_t)r->ttl, "addresses", addr_list(r),
		    "stale", r->stale));
	}
	return arr;
}

static void
respond(struct ctl_client *c, int code, const char *reason, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	size_t tl = text ? strlen(text) : 0;
	int n;

	json_decref(body);
	c->out = malloc(tl + 256);
	if (c->out == NULL) {
		free(text);
		return;
	}
	n = snprintf(c->out, 256, "HTTP/1.1 %d %s\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\nConnection: close"
	    "\r\n\r\n", code, reason, tl + 1);
	memcpy(c->out + n, text, tl);
	c->out[n + (int)tl] = '\n';
	c->outlen = (size_t)n + tl + 1;
	c->outoff = 0;
	free(text);
}

static void
route(struct ctl_client *c, const struct http_req *req)
{
	struct agent *a = c->cs->a;

	a->st.ctl_requests++;
	if (strcmp(req->method, "GET") != 0)
		respond(c, 405, "Method Not Allowed",
		    json_pack("{s:s}", "error", "only GET is supported"));
	else if (strcmp(req->path, "/v1/status") == 0)
		respond(c, 200, "OK", status_with_overlay(a));
	else if (strcmp(req->path, "/v1/hosts") == 0)
		respond(c, 200, "OK", hosts_json(a));
	else if (strcmp(req->path, "/v1/members") == 0 && a->ov != NULL)
		respond(c, 200, "OK", members_json(a->ov));
	else if (strcmp(req->path, "/v1/graph") == 0 && a->ov != NULL)
		respond(c, 200, "OK", graph_json(a->ov));
	else if (strcmp(req->path, "/v1/members") == 0 ||
	    strcmp(req->path, "/v1/graph") == 0)
		respond(c, 503, "Service Unavailable", json_pack("{s:s}",
		    "error", "the overlay is off (see meshd's log)"));
	else
		respond(c, 404, "Not Found",
		    json_pack("{s:s}", "error", "no such endpoint"));
}

static void
client_write(struct ctl_client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			ev_io_set(c->cs->a->loop, c->fd, EV_WRITE);
			return;
		}
		if (n <= 0)
			break;
		c->outoff += (size_t)n;
	}
	client_close(c);
}

static void
client_ready(struct ev_loop *loop, int fd, int events, void *data)
{
	struct ctl_client *c = data;
	struct http_req req;
	ssize_t n;
	int rc;

	(void)loop;
	if (events & EV_WRITE) {
		client_write(c);
		return;
	}
	n = recv(fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->inlen += (size_t)n;
	c->since_ms = ev_now_ms();
	rc = http_parse(c->in, c->inlen, &req);
	if (rc == 0)
		return;
	if (rc < 0) {
		c->cs->a->st.ctl_bad++;
		respond(c, 400, "Bad Request",
		    json_pack("{s:s}", "error", "malformed request"));
	} else {
		route(c, &req);
	}
	if (c->out == NULL) {
		client_close(c);
		return;
	}
	client_write(c);
}

static void
accept_ready(struct ev_loop *loop, int fd, int events, void *data)
{
	struct ctl_server *cs = data;

	(void)events;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		struct ctl_client *c = calloc(1, sizeof(*c));
		if (c == NULL || cs->nclients >= CTL_CLIENTS_MAX ||
		    ev_io_add(loop, cfd, EV_READ, client_ready, c) < 0) {
			free(c);
			close(cfd);
			continue;
		}
		c->cs = cs;
		c->fd = cfd;
		c->since_ms = ev_now_ms();
		c->next = cs->clients;
		cs->clients = c;
		cs->nclients++;
	}
}

static void
sweep(struct ev_loop *loop, struct ev_timer *t, void *data)
{
	struct ctl_server *cs = data;
	uint64_t now = ev_now_ms();

	for (struct ctl_client *c = cs->clients, *next; c; c = next) {
		next = c->next;
		if (now - c->since_ms >= CTL_IDLE_MS)
			client_close(c);
	}
	ev_timer_start(loop, t, CTL_IDLE_MS / 2, sweep, cs);
}

struct ctl_server *
ctl_server_new(struct agent *a, const char *path)
{
	struct ctl_server *cs = calloc(1, sizeof(*cs));

	if (cs == NULL)
		return NULL;
	cs->a = a;
	cs->fd = -1;
	if ((cs->path = strdup(path)) == NULL)
		goto fail;
	if ((cs->fd = sock_listen_unix(path, SOCK_STREAM, 0660)) < 0)
		goto fail;
	if (ev_io_add(a->loop, cs->fd, EV_READ, accept_ready, cs) < 0)
		goto fail;
	ev_timer_start(a->loop, &cs->sweep, CTL_IDLE_MS / 2, sweep, cs);
	return cs;
fail:
	ctl_server_free(cs);
	return NULL;
}

void
ctl_server_free(struct ctl_server *cs)
{
	if (cs == NULL)
		return;
	while (cs->clients != NULL)
		client_close(cs->clients);
	ev_timer_stop(cs->a->loop, &cs->sweep);
	if (cs->fd >= 0) {
		ev_io_del(cs->a->loop, cs->fd);
		close(cs->fd);
		sock_unlink_unix(cs->path);
	}
	free(cs->path);
	free(cs);
}
