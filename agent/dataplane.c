/* The TUN device's setup (dataplane.h). */
#include "config.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "agent.h"
#include "dataplane.h"
#include "keys.h"
#include "log.h"
#include "tun.h"

int
dataplane_open(struct agent *a, char *ifname, size_t len)
{
	struct mesh_identity id;
	char err[512], terr[TUN_ERR_LEN], name[TUN_NAME_MAX];
	int fd, rc;

	if (a->conf.tun[0] == '\0') {
		log_info("tun = off: no data plane, names only");
		return -1;
	}
	memset(&id, 0, sizeof(id));
	if ((rc = identity_load_public(a->conf.state_dir, &id, err,
	    sizeof(err))) < 0) {
		if (rc != -ENOENT)
			log_warnx("no data plane: %s", err);
		return -1;
	}
	a->tun_vnet = a->conf.tun_offload;
	if ((fd = tun_open(a->conf.tun, a->tun_vnet, name, terr)) >= 0 &&
	    a->tun_vnet && tun_offload(fd, name, terr) < 0) {
		/* The device goes with its fd: made again, plain. */
		log_warnx("tun offload refused, one packet per read and write "
		    "instead: %s", terr);
		tun_close(fd);
		a->tun_vnet = false;
		fd = tun_open(a->conf.tun, false, name, terr);
	}
	if (fd < 0) {
		a->tun_vnet = false;
		log_warnx("no data plane (names still resolve): %s", terr);
		identity_free(&id);
		return -1;
	}
	if (tun_setup(name, DATAPLANE_MTU, id.addr, id.prefix, terr) < 0) {
		log_warnx("no data plane (names still resolve): %s", terr);
		a->tun_vnet = false;
		tun_close(fd);
		identity_free(&id);
		return -1;
	}
	snprintf(ifname, len, "%s", name);
	log_info("data plane: %s, MTU %d, this node's address and its "
	    "network's /48 routed into it; offload %s", name, DATAPLANE_MTU,
	    a->tun_vnet ? "on (TSO for IPv6, checksums: up to 64 KB a read)" :
	    a->conf.tun_offload ? "off (refused by the kernel)" :
	    "off (tun_offload = off)");
	identity_free(&id);
	return fd;
}

void
dataplane_drop_caps(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capget, &h, d) < 0)
		return;
	if ((d[0].effective | d[0].permitted | d[1].effective |
	    d[1].permitted) == 0)
		return;		/* nothing held: root dropped, or never had */
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) < 0)
		log_warn("cannot give up CAP_NET_ADMIN after setting up the TUN");
	else
		log_debug("capabilities given up after setup");
}
