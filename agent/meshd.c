/*
 * meshd: the resolver sidecar.  Loads the config and the node identity,
 * answers the NSS module and meshctl, and (later) runs the overlay.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "agent.h"
#include "keys.h"
#include "log.h"
#include "overlay.h"
#include "dataplane.h"
#include "privdrop.h"
#include "state.h"

#ifndef MESH_SYSCONFDIR
#define MESH_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONF MESH_SYSCONFDIR "/mesh/meshd.conf"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: meshd [-fdn] [-c FILE] [-p PIDFILE] [-l LEVEL] [--syslog]\n"
	    "  -c, --config FILE   configuration file (default %s)\n"
	    "  -n, --check         check the configuration, print "
	    "\"configuration OK\", exit\n"
	    "  -f, --foreground    stay in the foreground (the default)\n"
	    "  -d, --daemon        detach and log to syslog\n"
	    "  -p, --pidfile FILE  write the pid here (with -d)\n"
	    "  -l, --log-level L   error, warn, info or debug (overrides the file)\n"
	    "      --syslog        log to syslog instead of stderr\n"
	    "  -V, --version       print the version\n", DEFAULT_CONF);
}

/* The node's own record and the static host lines, into the store. */
int
agent_load_records(struct agent *a)
{
	struct store_rec *recs = NULL, self;
	size_t shadowed = 0;
	char err[512];
	int rc;

	identity_free(&a->id);
	a->have_id = false;
	rc = identity_load_secret(a->conf.state_dir, &a->id, err, sizeof(err));
	if (rc == 0) {
		a->have_id = true;
		memset(&self, 0, sizeof(self));
		self.name_len = (uint16_t)snprintf(self.name, sizeof(self.name),
		    "%s." MESH_SUFFIX, a->id.name);
		memcpy(self.addr6[0], a->id.addr, 16);
		self.n6 = 1;
		self.ttl = a->conf.ttl;
		rc = store_replace(a->store, SRC_SELF, &self, 1, NULL);
	} else if (rc == -ENOENT) {
		log_warnx("%s holds no node yet: run 'meshctl init --name NAME'; "
		    "answering static host names only", a->conf.state_dir);
		rc = store_replace(a->store, SRC_SELF, NULL, 0, NULL);
	} else {
		log_warnx("%s", err);
		return rc;
	}
	if (rc < 0)
		return rc;
	if (a->conf.nhosts > 0 &&
	    (recs = calloc(a->conf.nhosts, sizeof(*recs))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < a->conf.nhosts; i++) {
		const struct conf_host *h = &a->conf.hosts[i];
		struct store_rec *r = &recs[i];
		r->name_len = (uint16_t)strlen(h->name);
		memcpy(r->name, h->name, r->name_len + 1);
		r->n4 = h->n4;
		r->n6 = h->n6;
		memcpy(r->addr4, h->addr4, sizeof(r->addr4));
		memcpy(r->addr6, h->addr6, sizeof(r->addr6));
		r->ttl = a->conf.ttl;
	}
	rc = store_replace(a->store, SRC_STATIC, recs, a->conf.nhosts, &shadowed);
	free(recs);
	if (shadowed > 0)
		log_warnx("%zu host line(s) name a mesh node and are ignored: "
		    "a node's own record wins", shadowed);
	return rc;
}

static void
on_stop(struct ev_loop *loop, int signo, void *data)
{
	(void)data;
	log_info("caught %s, shutting down", strsignal(signo));
	ev_loop_break(loop);
}

static void
on_reload(struct ev_loop *loop, int signo, void *data)
{
	struct agent *a = data;
	struct conf next;
	char err[512] = "out of memory";

	(void)loop;
	(void)signo;
	notify_systemd("RELOADING=1");
	if (conf_init(&next) < 0 || conf_load(&next, a->conf_path,
	    a->conf_must_exist, err, sizeof(err)) < 0) {
		log_warnx("reload failed, keeping the running configuration: %s",
		    err);
		conf_free(&next);
		a->st.reload_failures++;
		notify_systemd("READY=1");
		return;
	}
	if (strcmp(next.nss_socket, a->conf.nss_socket) != 0 ||
	    strcmp(next.control_socket, a->conf.control_socket) != 0)
		log_warnx("socket paths change only on restart");
	if (strcmp(next.user, a->conf.user) != 0)
		log_warnx("user changes only on restart");
	/* Sockets stay where they are; the rest takes effect now. */
	free(next.nss_socket);
	free(next.control_socket);
	next.nss_socket = a->conf.nss_socket;
	next.control_socket = a->conf.control_socket;
	a->conf.nss_socket = a->conf.control_socket = NULL;
	conf_free(&a->conf);
	a->conf = next;
	log_setlevel((enum log_level)a->conf.log_level);
	if (agent_load_records(a) < 0) {
		log_warnx("reload: could not load records");
		a->st.reload_failures++;
	} else {
		a->st.reloads++;
		log_info("reloaded %s: %zu name(s)", a->conf_path,
		    store_count(a->store));
	}
	notify_systemd("READY=1");
}

/* Up to NSS_CLIENTS_MAX lookups may be connected at once, beyond the
 * usual soft limit of 1024 descriptors: take what the hard limit allows. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
daemonize(const char *pidfile)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		fatal("setsid");
	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "we");
		if (f == NULL)
			fatal("cannot write %s", pidfile);
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct agent a;
	size_t ntmp;
	const char *pidfile = NULL;
	int check = 0, detach = 0, to_syslog = 0, level = -1, c, rc;
	char err[512];

	memset(&a, 0, sizeof(a));
	a.tun_fd = -1;
	a.conf_path = DEFAULT_CONF;
	while ((c = getopt_long(argc, argv, "c:nfdp:l:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a.conf_path = optarg; a.conf_must_exist = true; break;
		case 'n': check = 1; break;
		case 'f': detach = 0; break;
		case 'd': detach = 1; to_syslog = 1; break;
		case 'p': pidfile = optarg; break;
		case 'l':
			if ((level = log_parse_level(optarg)) < 0) {
				fprintf(stderr, "meshd: -l takes error, warn, "
				    "info or debug\n");
				return 2;
			}
			break;
		case 'S': to_syslog = 1; break;
		case 'V': printf("meshd %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("meshd", LOG_LVL_INFO, 0);
	if (conf_init(&a.conf) < 0)
		fatalx("out of memory");
	if (conf_load(&a.conf, a.conf_path, a.conf_must_exist, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "meshd: %s\n", err);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		conf_free(&a.conf);
		return 0;
	}
	log_init("meshd", (enum log_level)(level >= 0 ? level :
	    a.conf.log_level), to_syslog);
	if (sodium_init() < 0)
		fatalx("libsodium failed to initialise");
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	raise_fd_limit();
	if (detach)
		daemonize(pidfile);

	if ((a.loop = ev_loop_new()) == NULL || (a.store = store_new()) == NULL)
		fatalx("out of memory");
	a.started_ms = ev_now_ms();
	if ((a.nss = nss_server_new(&a, a.conf.nss_socket)) == NULL)
		fatalx("cannot serve name lookups on %s", a.conf.nss_socket);
	if ((a.ctl = ctl_server_new(&a, a.conf.control_socket)) == NULL)
		fatalx("cannot serve meshctl on %s", a.conf.control_socket);
	/* The TUN needs root (or the unit's CAP_NET_ADMIN) once, here. */
	a.tun_fd = dataplane_open(&a, a.tun_name, sizeof(a.tun_name));
	/* The sockets and the TUN were all that needed root.  The keys are
	 * read after this, as the user that will read them again on every
	 * reload. */
	if (privdrop(a.conf.user, a.conf.user_set, a.conf.state_dir) < 0)
		fatalx("not starting as root: fix the above, or set user = root "
		    "in %s", a.conf_path);
	dataplane_drop_caps();
	/* A writer killed mid-write leaves its temporary behind. */
	if ((ntmp = state_clean_tmp(a.conf.state_dir, time(NULL))) > 0)
		log_info("%s: %zu stale temporary file(s) removed",
		    a.conf.state_dir, ntmp);
	if (agent_load_records(&a) < 0)
		fatalx("cannot load the node's records");
	a.ov = overlay_new(&a);
	if (ev_signal_add(a.loop, SIGTERM, on_stop, &a) < 0 ||
	    ev_signal_add(a.loop, SIGINT, on_stop, &a) < 0 ||
	    ev_signal_add(a.loop, SIGHUP, on_reload, &a) < 0)
		fatal("cannot set up signals");
	log_info("ready: %zu name(s), answering on %s", store_count(a.store),
	    a.conf.nss_socket);
	notify_systemd("READY=1");

	rc = ev_loop_run(a.loop);
	if (rc < 0) {
		errno = -rc;
		log_warn("event loop failed");
	}
	notify_systemd("STOPPING=1");
	overlay_free(a.ov);
	if (a.tun_fd >= 0)
		close(a.tun_fd);
	nss_server_free(a.nss);
	ctl_server_free(a.ctl);
	store_free(a.store);
	identity_free(&a.id);
	ev_loop_free(a.loop);
	conf_free(&a.conf);
	if (pidfile != NULL && detach)
		unlink(pidfile);
	return rc < 0 ? 1 : 0;
}
