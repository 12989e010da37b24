/*
 * meshd.conf: "key = value" lines, '#' comments.  A line parser with an
 * explicit context (conf_init / conf_line / conf_finish), so the fuzzer and
 * the tests drive it a line at a time without files.
 */
#ifndef MESH_CONF_H
#define MESH_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/nss_wire.h"

#define CONF_LINE_MAX 4096
#define CONF_HOSTS_MAX 4096
#define CONF_PEERS_MAX 64
#define CONF_HOSTPORT_MAX 80		/* "host:port" incl. the NUL */
#define CONF_LISTEN_DEFAULT "[::]:51830"
#define CONF_USER_MAX 32		/* a login name, as useradd allows */
#define CONF_USER_DEFAULT "mesh"

struct conf_host {
	char name[MESH_NAME_MAX + 1];	/* canonical: "label.mesh" */
	uint8_t addr4[MESH_ADDR4_MAX][4];
	uint8_t addr6[MESH_ADDR6_MAX][16];
	uint16_t n4, n6;
	unsigned line;
};

/* dead_after: keepalives every fifth of it (at least 1 s, at most 10 s,
 * for NAT mappings), suspect after half of it. */
#define CONF_DEAD_AFTER_DEFAULT	5
#define CONF_DEAD_AFTER_MIN	2
#define CONF_DEAD_AFTER_MAX	3600

#define CONF_TUN_MAX		15	/* IFNAMSIZ - 1 */
#define CONF_TUN_DEFAULT	"mesh0"

struct conf {
	char *state_dir;
	char *nss_socket;
	char *control_socket;
	int log_level;			/* enum log_level */
	uint32_t ttl;			/* seconds, for answers from the store */
	uint32_t dead_after;		/* seconds of silence: a member is dead */
	struct conf_host *hosts;
	size_t nhosts;
	char listen[CONF_HOSTPORT_MAX];	/* UDP, "[::]:51830" form */
	char (*peers)[CONF_HOSTPORT_MAX];	/* "host:port" to connect to */
	size_t npeers;
	/* Started as root, meshd becomes this user once its sockets are open
	 * ("root": stays root).  user_set: the file named one, so a missing
	 * user is an error rather than "no mesh user here, stay root". */
	char user[CONF_USER_MAX + 1];
	bool user_set;
	/* The data plane's interface ("mesh0" by default); empty: `tun =
	 * off`, no data plane, names only. */
	char tun[CONF_TUN_MAX + 1];
	/* `tun_offload`: open the TUN with the virtio-net header and TSO, so
	 * one read or write carries up to 64 KB (default on; meshd falls
	 * back to plain packets when the kernel refuses). */
	bool tun_offload;
	/* `cipher = chacha20-poly1305`: never offer AES-256-GCM (default
	 * auto: offered when this CPU has AES instructions). */
	bool chacha_only;
	/* UDP offloads (`udp_gso`, `udp_gro` = on|off, default on): used
	 * where the kernel honours them. */
	bool udp_gso, udp_gro;
	/* Multicast LAN beacons and listen for members' (agent/lan.c);
	 * `lan_discovery = off` for neither. */
	bool lan_discovery;
};

struct conf_parser {
	struct conf *conf;
	const char *file;
	unsigned line;
	char err[512];			/* "file:line: message" on failure */
};

/* Defaults; 0 or -ENOMEM. */
int conf_init(struct conf *c);
void conf_free(struct conf *c);

void conf_parser_init(struct conf_parser *p, struct conf *c, const char *file);
/* One line without its newline; 0, or -1 with p->err set. */
int conf_line(struct conf_parser *p, const char *text, size_t len);
/* Checks that need the whole file; 0, or -1 with p->err set. */
int conf_finish(struct conf_parser *p);

/* Split "host:port", "[v6addr]:port" into host (brackets removed) and a
 * port 1..65535.  true when well formed. */
bool conf_hostport_split(const char *s, char *host, size_t hostlen,
    uint16_t *port);

/* Read a whole file into c (which must be conf_init'ed).  A missing file is
 * an error only when must_exist.  0, or -1 with err set. */
int conf_load(struct conf *c, const char *path, int must_exist,
    char *err, size_t errlen);

#endif
