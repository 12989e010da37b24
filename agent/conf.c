#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/name.h"
#include "conf.h"
#include "log.h"

#ifndef MESH_STATE_DIR
#define MESH_STATE_DIR "/var/lib/mesh"
#endif

int
conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->state_dir = strdup(MESH_STATE_DIR);
	c->nss_socket = strdup(MESH_NSS_SOCKET);
	c->control_socket = strdup(MESH_CONTROL_SOCKET);
	c->log_level = LOG_LVL_INFO;
	c->ttl = 60;
	c->dead_after = CONF_DEAD_AFTER_DEFAULT;
	snprintf(c->listen, sizeof(c->listen), "%s", CONF_LISTEN_DEFAULT);
	snprintf(c->user, sizeof(c->user), "%s", CONF_USER_DEFAULT);
	snprintf(c->tun, sizeof(c->tun), "%s", CONF_TUN_DEFAULT);
	c->tun_offload = true;
	c->udp_gso = true;
	c->udp_gro = true;
	c->lan_discovery = true;
	if (c->state_dir == NULL || c->nss_socket == NULL ||
	    c->control_socket == NULL) {
		conf_free(c);
		return -ENOMEM;
	}
	return 0;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->state_dir);
	free(c->nss_socket);
	free(c->control_socket);
	free(c->hosts);
	free(c->peers);
	memset(c, 0, sizeof(*c));
}

void
conf_parser_init(struct conf_parser *p, struct conf *c, const char *file)
{
	memset(p, 0, sizeof(*p));
	p->conf = c;
	p->file = file;
}

static int __attribute__((format(printf, 2, 3)))
fail(struct conf_parser *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, sizeof(p->err), "%s:%u: %s", p->file, p->line, msg);
	return -1;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Next whitespace-separated word of [*s, end): sets *w and *wl, advances. */
static int
next_word(const char **s, const char *end, const char **w, size_t *wl)
{
	const char *p = *s;

	while (p < end && is_space(*p))
		p++;
	*w = p;
	while (p < end && !is_space(*p))
		p++;
	*wl = (size_t)(p - *w);
	*s = p;
	return *wl > 0;
}

static int
set_path(struct conf_parser *p, char **dst, const char *v, size_t vl,
    const char *key)
{
	char *s;

	if (vl == 0 || v[0] != '/')
		return fail(p, "%s must be an absolute path", key);
	if (memchr(v, ' ', vl) != NULL || memchr(v, '\t', vl) != NULL)
		return fail(p, "%s must be one path without spaces", key);
	if ((s = strndup(v, vl)) == NULL)
		return fail(p, "out of memory");
	free(*dst);
	*dst = s;
	return 0;
}

static int
parse_host(struct conf_parser *p, const char *name, size_t nl,
    const char *v, const char *end)
{
	struct conf *c = p->conf;
	struct conf_host h;
	char full[MESH_NAME_MAX + 8];
	const char *why = NULL, *w;
	size_t wl, stem;
	int n;

	memset(&h, 0, sizeof(h));
	h.line = p->line;
	/* "nas" and "nas.mesh" name the same host. */
	if (mesh_name_is_mesh(name, nl, &stem)) {
		if (!mesh_label_valid(name, stem, &why))
			return fail(p, "host name '%.*s' %s", (int)nl, name, why);
	} else if (!mesh_label_valid(name, nl, &why)) {
		return fail(p, "host name '%.*s' %s", (int)nl, name, why);
	}
	n = snprintf(full, sizeof(full), "%.*s%s", (int)nl, name,
	    mesh_name_is_mesh(name, nl, &stem) ? "" : "." MESH_SUFFIX);
	if (n < 0 || mesh_name_canon(full, (size_t)n, h.name) < 0)
		return fail(p, "host name '%.*s' is too long", (int)nl, name);
	for (size_t i = 0; i < c->nhosts; i++)
		if (strcmp(c->hosts[i].name, h.name) == 0)
			return fail(p, "host '%s' is already defined on line %u",
			    h.name, c->hosts[i].line);

	while (next_word(&v, end, &w, &wl)) {
		char a[INET6_ADDRSTRLEN];
		uint8_t bin[16];
		if (wl >= sizeof(a))
			return fail(p, "'%.*s' is not an IPv4 or IPv6 address",
			    (int)(wl > 64 ? 64 : wl), w);
		memcpy(a, w, wl);
		a[wl] = '\0';
		if (inet_pton(AF_INET, a, bin) == 1) {
			if (h.n4 == MESH_ADDR4_MAX)
				return fail(p, "host '%s' has more than %d IPv4 addresses",
				    h.name, MESH_ADDR4_MAX);
			memcpy(h.addr4[h.n4++], bin, 4);
		} else if (inet_pton(AF_INET6, a, bin) == 1) {
			if (h.n6 == MESH_ADDR6_MAX)
				return fail(p, "host '%s' has more than %d IPv6 addresses",
				    h.name, MESH_ADDR6_MAX);
			memcpy(h.addr6[h.n6++], bin, 16);
		} else {
			return fail(p, "'%s' is not an IPv4 or IPv6 address", a);
		}
	}
	if (h.n4 + h.n6 == 0)
		return fail(p, "host '%s' needs at least one address", h.name);
	if (c->nhosts == CONF_HOSTS_MAX)
		return fail(p, "more than %d host lines", CONF_HOSTS_MAX);
	struct conf_host *nh = realloc(c->hosts, (c->nhosts + 1) * sizeof(*nh));
	if (nh == NULL)
		return fail(p, "out of memory");
	c->hosts = nh;
	c->hosts[c->nhosts++] = h;
	return 0;
}

bool
conf_hostport_split(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon, *h = s, *he;
	unsigned long v;
	char *ep;

	if (s[0] == '[') {
		he = strchr(s, ']');
		if (he == NULL || he[1] != ':')
			return false;
		h = s + 1;
		colon = he + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
			return false;
		he = colon;
	}
	if (he == h || (size_t)(he - h) >= hostlen)
		return false;
	for (const char *c = h; c < he; c++)
		if (*c == ' ' || *c == '\t' || *c == '/' || *c == '[' || *c == ']')
			return false;
	if (colon[1] < '0' || colon[1] > '9')
		return false;
	errno = 0;
	v = strtoul(colon + 1, &ep, 10);
	if (errno != 0 || *ep != '\0' || v == 0 || v > 65535)
		return false;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	*port = (uint16_t)v;
	return true;
}

static int
set_hostport(struct conf_parser *p, char *dst, const char *v, size_t vl,
    const char *key, bool numeric)
{
	char buf[CONF_HOSTPORT_MAX], host[CONF_HOSTPORT_MAX];
	uint8_t bin[16];
	uint16_t port;

	if (vl >= sizeof(buf))
		return fail(p, "%s: '%.*s...' is too long", key, 32, v);
	memcpy(buf, v, vl);
	buf[vl] = '\0';
	if (!conf_hostport_split(buf, host, sizeof(host), &port))
		return fail(p, "%s must be HOST:PORT or [ADDRESS]:PORT, not '%s'",
		    key, buf);
	if (numeric && inet_pton(AF_INET, host, bin) != 1 &&
	    inet_pton(AF_INET6, host, bin) != 1)
		return fail(p, "%s must be an IP address and a port, as "
		    "[::]:51830 or 0.0.0.0:51830, not '%s'", key, buf);
	if (!numeric && strchr(host, ':') != NULL && buf[0] != '[')
		return fail(p, "%s: write an IPv6 address in brackets, "
		    "[ADDRESS]:PORT", key);
	memcpy(dst, buf, vl + 1);
	return 0;
}

static int
add_peer(struct conf_parser *p, const char *v, size_t vl)
{
	struct conf *c = p->conf;
	char (*np)[CONF_HOSTPORT_MAX];
	char tmp[CONF_HOSTPORT_MAX];

	if (c->npeers == CONF_PEERS_MAX)
		return fail(p, "more than %d peer lines", CONF_PEERS_MAX);
	if (set_hostport(p, tmp, v, vl, "peer", false) < 0)
		return -1;
	np = realloc(c->peers, (c->npeers + 1) * sizeof(*np));
	if (np == NULL)
		return fail(p, "out of memory");
	c->peers = np;
	memcpy(c->peers[c->npeers++], tmp, sizeof(tmp));
	return 0;
}

/* A whole number of seconds from min to max, the value [v, end). */
static bool
seconds(const char *v, const char *end, unsigned long min, unsigned long max,
    uint32_t *out)
{
	char num[16];
	unsigned long t;
	char *ep;

	if ((size_t)(end - v) >= sizeof(num))
		return false;
	memcpy(num, v, (size_t)(end - v));
	num[end - v] = '\0';
	errno = 0;
	t = strtoul(num, &ep, 10);
	if (errno != 0 || *ep != '\0' || num[0] < '0' || num[0] > '9' ||
	    t < min || t > max)
		return false;
	*out = (uint32_t)t;
	return true;
}

static int
key_is(const char *k, size_t kl, const char *want)
{
	return strlen(want) == kl && memcmp(k, want, kl) == 0;
}

/* Letters, digits, '_', '-', '.': a user or an interface name. */
static bool
name_chars(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		    (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '-' ||
		    v[i] == '.'))
			return false;
	return true;
}

/* "on" or "off", the value [v, end), into *out. */
static int
set_onoff(struct conf_parser *p, bool *out, const char *v, const char *end,
    const char *key)
{
	size_t vl = (size_t)(end - v);

	if (vl == 2 && memcmp(v, "on", 2) == 0)
		*out = true;
	else if (vl == 3 && memcmp(v, "off", 3) == 0)
		*out = false;
	else
		return fail(p, "%s must be on or off, not '%.*s'", key,
		    (int)(vl > 32 ? 32 : vl), v);
	return 0;
}

int
conf_line(struct conf_parser *p, const char *text, size_t len)
{
	const char *end = text + len, *eq, *k, *k2, *v, *s;
	size_t kl, k2l;

	p->line++;
	if (len > CONF_LINE_MAX)
		return fail(p, "line longer than %d bytes", CONF_LINE_MAX);
	if (memchr(text, '\0', len) != NULL)
		return fail(p, "line contains a NUL byte");
	/* Strip a comment: '#' to the end of the line. */
	const char *hash = memchr(text, '#', len);
	if (hash != NULL)
		end = hash;
	s = text;
	if (!next_word(&s, end, &k, &kl))
		return 0;	/* blank or comment only */
	eq = memchr(text, '=', (size_t)(end - text));
	if (eq == NULL)
		return fail(p, "expected 'key = value'");
	if (k + kl > eq) {	/* "key=value" with no spaces */
		kl = (size_t)(eq - k);
		s = eq;
	}
	if (kl == 0)	/* "= value" */
		return fail(p, "expected 'key = value', found no key before '='");
	v = eq + 1;
	while (v < end && is_space(*v))
		v++;
	while (end > v && is_space(end[-1]))
		end--;

	if (key_is(k, kl, "host")) {
		if (!next_word(&s, eq, &k2, &k2l))
			return fail(p, "expected 'host NAME = ADDRESS...'");
		if (k2 + k2l > eq)
			k2l = (size_t)(eq - k2);
		if (next_word(&s, eq, &k, &kl))
			return fail(p, "expected 'host NAME = ADDRESS...'");
		return parse_host(p, k2, k2l, v, end);
	}
	if (next_word(&s, eq, &k2, &k2l))
		return fail(p, "unexpected '%.*s' before '='", (int)k2l, k2);
	if (v == end)
		return fail(p, "'%.*s' needs a value", (int)kl, k);
	if (key_is(k, kl, "state_dir"))
		return set_path(p, &p->conf->state_dir, v, (size_t)(end - v), "state_dir");
	if (key_is(k, kl, "nss_socket"))
		return set_path(p, &p->conf->nss_socket, v, (size_t)(end - v), "nss_socket");
	if (key_is(k, kl, "control_socket"))
		return set_path(p, &p->conf->control_socket, v, (size_t)(end - v),
		    "control_socket");
	if (key_is(k, kl, "listen"))
		return set_hostport(p, p->conf->listen, v, (size_t)(end - v),
		    "listen", true);
	if (key_is(k, kl, "peer"))
		return add_peer(p, v, (size_t)(end - v));
	if (key_is(k, kl, "log_level")) {
		char lv[16];
		int l = -1;
		if ((size_t)(end - v) < sizeof(lv)) {
			memcpy(lv, v, (size_t)(end - v));
			lv[end - v] = '\0';
			l = log_parse_level(lv);
		}
		if (l < 0)
			return fail(p, "log_level must be error, warn, info or debug");
		p->conf->log_level = l;
		return 0;
	}
	if (key_is(k, kl, "user")) {
		size_t vl = (size_t)(end - v);
		if (vl > CONF_USER_MAX || v[0] == '-')
			return fail(p, "user must be a user name of at most %d "
			    "characters", CONF_USER_MAX);
		if (!name_chars(v, vl))
			return fail(p, "user must be a user name "
			    "(letters, digits, '_', '-', '.')");
		memcpy(p->conf->user, v, vl);
		p->conf->user[vl] = '\0';
		p->conf->user_set = true;
		return 0;
	}
	if (key_is(k, kl, "tun")) {
		size_t vl = (size_t)(end - v);
		if (vl == 3 && memcmp(v, "off", 3) == 0) {
			p->conf->tun[0] = '\0';
			return 0;
		}
		if (vl > CONF_TUN_MAX)
			return fail(p, "tun must be an interface name of at most "
			    "%d characters, or off", CONF_TUN_MAX);
		if (!name_chars(v, vl))
			return fail(p, "tun must be an interface name "
			    "(letters, digits, '_', '-', '.'), or off");
		memcpy(p->conf->tun, v, vl);
		p->conf->tun[vl] = '\0';
		return 0;
	}
	if (key_is(k, kl, "tun_offload")) {
		size_t vl = (size_t)(end - v);
		if (vl == 2 && memcmp(v, "on", 2) == 0)
			p->conf->tun_offload = true;
		else if (vl == 3 && memcmp(v, "off", 3) == 0)
			p->conf->tun_offload = false;
		else
			return fail(p, "tun_offload must be on or off, not '%.*s'",
			    (int)(vl > 32 ? 32 : vl), v);
		return 0;
	}
	if (key_is(k, kl, "cipher")) {
		size_t vl = (size_t)(end - v);
		if (vl == 4 && memcmp(v, "auto", 4) == 0)
			p->conf->chacha_only = false;
		else if (vl == 17 && memcmp(v, "chacha20-poly1305", 17) == 0)
			p->conf->chacha_only = true;
		else
			return fail(p, "cipher must be auto (AES-256-GCM where "
			    "both ends have AES instructions) or "
			    "chacha20-poly1305");
		return 0;
	}
	if (key_is(k, kl, "lan_discovery")) {
		size_t vl = (size_t)(end - v);
		if (vl == 2 && memcmp(v, "on", 2) == 0)
			p->conf->lan_discovery = true;
		else if (vl == 3 && memcmp(v, "off", 3) == 0)
			p->conf->lan_discovery = false;
		else
			return fail(p, "lan_discovery must be on or off");
		return 0;
	}
	if (key_is(k, kl, "ttl")) {
		if (!seconds(v, end, 0, 86400, &p->conf->ttl))
			return fail(p, "ttl must be a number of seconds, 0 to 86400");
		return 0;
	}
	if (key_is(k, kl, "dead_after")) {
		if (!seconds(v, end, CONF_DEAD_AFTER_MIN, CONF_DEAD_AFTER_MAX,
		    &p->conf->dead_after))
			return fail(p, "dead_after must be a number of seconds, "
			    "%d to %d", CONF_DEAD_AFTER_MIN, CONF_DEAD_AFTER_MAX);
		return 0;
	}
	if (key_is(k, kl, "udp_gso"))
		return set_onoff(p, &p->conf->udp_gso, v, end, "udp_gso");
	if (key_is(k, kl, "udp_gro"))
		return set_onoff(p, &p->conf->udp_gro, v, end, "udp_gro");
	return fail(p, "unknown key '%.*s' (known: state_dir, nss_socket, "
	    "control_socket, log_level, ttl, dead_after, listen, peer, host, "
	    "user, tun, tun_offload, cipher, udp_gso, udp_gro, lan_discovery)",
	    (int)(kl > 64 ? 64 : kl), k);
}

int
conf_finish(struct conf_parser *p)
{
	(void)p;
	return 0;
}

int
conf_load(struct conf *c, const char *path, int must_exist, char *err,
    size_t errlen)
{
	struct conf_parser p;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int rc = 0;

	f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	conf_parser_init(&p, c, path);
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		rc = conf_line(&p, line, (size_t)n);
	}
	if (rc == 0 && ferror(f)) {
		snprintf(p.err, sizeof(p.err), "%s: read error: %s", path,
		    strerror(errno));
		rc = -1;
	}
	if (rc == 0)
		rc = conf_finish(&p);
	free(line);
	fclose(f);
	if (rc < 0)
		snprintf(err, errlen, "%s", p.err);
	return rc;
}
