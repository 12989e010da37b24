/* meshctl status: who this node is, and whether its agent runs. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "meshctl/meshctl.h"
#include "agent/keys.h"
#include "agent/state.h"

/* Warn this long before the certificate ends.  meshd asks for a new one
 * when a third of its lifetime is left (overlay/renew.c), four months
 * ahead for a one-year certificate: a warning means that has failed. */
#define CERT_WARN_DAYS	30

static void
utc(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, len, "%llu", (unsigned long long)t);
}

static json_t *
cert_json(const struct mesh_cert *c, uint64_t now)
{
	return json_pack("{s:I, s:I, s:I, s:b}",
	    "not_before", (json_int_t)c->not_before,
	    "not_after", (json_int_t)c->not_after,
	    "seconds_left", (json_int_t)(c->not_after > now ?
	    c->not_after - now : 0),
	    "warning", c->not_after <= now + CERT_WARN_DAYS * 86400ULL);
}

/* One line for the certificate, and a warning within CERT_WARN_DAYS. */
static void
print_cert(const struct mesh_cert *c, uint64_t now)
{
	char day[64];

	utc(c->not_after, day, sizeof(day));
	if (c->not_after <= now) {
		printf("Certificate:  ENDED on %s\n", day);
		printf("Warning:      this node's certificate has ended: members "
		    "refuse it; get a new one (meshctl invite %s on the CA "
		    "holder, then meshctl join)\n", c->name);
		return;
	}
	printf("Certificate:  valid until %s (%llu days)\n", day,
	    (unsigned long long)((c->not_after - now) / 86400));
	if (c->not_after - now <= CERT_WARN_DAYS * 86400ULL)
		printf("Warning:      this node's certificate ends in %llu "
		    "day(s), on %s, and meshd has not renewed it: can it reach "
		    "the CA holder?\n", (unsigned long long)((c->not_after -
		    now) / 86400), day);
}

static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "?";
}

static long long
num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static double
per(long long a, long long b)
{
	return b > 0 ? (double)a / (double)b : 0;
}

/* Datagrams per system call each way, and the offloads in use. */
static void
print_udp(json_t *ov)
{
	if (json_object_get(ov, "udp_tx_calls") == NULL)
		return;		/* an older meshd */
	printf("UDP:          %.1f datagrams per send call, %.1f per receive "
	    "call; GSO %s, GRO %s\n",
	    per(num(ov, "udp_tx_datagrams"), num(ov, "udp_tx_calls")),
	    per(num(ov, "udp_rx_datagrams"), num(ov, "udp_rx_calls")),
	    json_is_true(json_object_get(ov, "udp_gso")) ? "on" : "off",
	    json_is_true(json_object_get(ov, "udp_gro")) ? "on" : "off");
}

/* The overlay's counters: the totals, then every drop reason seen. */
static void
print_overlay(json_t *ov)
{
	const char *k;
	json_t *v;

	if (ov == NULL) {
		printf("Overlay:      off\n");
		return;
	}
	printf("Overlay:      %lld packets in, %lld out, %lld handshakes, "
	    "%lld records accepted\n", num(ov, "rx_packets"),
	    num(ov, "tx_packets"), num(ov, "handshakes"),
	    num(ov, "records_accepted"));
	print_udp(ov);
	json_object_foreach(ov, k, v) {
		if ((strncmp(k, "drop_", 5) == 0 || strncmp(k, "refused_", 8) == 0)
		    && json_integer_value(v) > 0)
			printf("  %-20s %lld\n", k, (long long)json_integer_value(v));
	}
	json_object_foreach(json_object_get(ov, "records_rejected"), k, v) {
		if (json_integer_value(v) > 0)
			printf("  rejected %-11s %lld\n", k,
			    (long long)json_integer_value(v));
	}
}

int
cmd_status(struct ctl *ctl, int argc, char **argv)
{
	struct mesh_identity id;
	char err[512], ierr[512], addr[INET6_ADDRSTRLEN], fp[IDENTITY_FP_LEN];
	bool unreachable;
	json_t *agent;
	struct mesh_cert cert;
	uint64_t now = (uint64_t)time(NULL);
	int idrc, certrc;

	if (argc == 2 && argv[1][0] != '-')
		return status_member(ctl, argv[1]);
	if (argc != 1) {
		fprintf(stderr, "usage: meshctl status [NAME]\n");
		return EXIT_USAGE;
	}
	idrc = identity_load_public(ctl->conf.state_dir, &id, ierr, sizeof(ierr));
	certrc = idrc == 0 ? state_read_cert(ctl->conf.state_dir, &cert) :
	    -ENOENT;
	agent = ctl_get(ctl, "/v1/status", err, sizeof(err), &unreachable);
	if (idrc == 0) {
		inet_ntop(AF_INET6, id.addr, addr, sizeof(addr));
		identity_fingerprint(id.pk, fp);
	}
	if (ctl->json) {
		json_t *v = json_object();
		json_object_set_new(v, "node", idrc == 0 ? json_pack(
		    "{s:s, s:s, s:s}", "name", id.name, "address", addr,
		    "fingerprint", fp) : json_null());
		if (idrc == 0)
			json_object_set_new(json_object_get(v, "node"),
			    "certificate", certrc == 0 ? cert_json(&cert, now) :
			    json_null());
		json_object_set_new(v, "agent", agent ? json_incref(agent) :
		    json_pack("{s:s, s:s}", "state", "not running", "error", err));
		if (agent)
			json_object_set_new(json_object_get(v, "agent"), "state",
			    json_string("running"));
		print_json(v);
		json_decref(v);
	} else {
		if (idrc == 0) {
			printf("Name:         %s.mesh\n", id.name);
			printf("Address:      %s\n", addr);
			printf("Fingerprint:  %s\n", fp);
			if (certrc == 0)
				print_cert(&cert, now);
		} else if (idrc == -ENOENT) {
			printf("Node:         not initialised (meshctl init --name NAME)\n");
		} else {
			printf("Node:         %s\n", ierr);
		}
		printf("State dir:    %s\n", ctl->conf.state_dir);
		if (agent != NULL) {
			json_t *cnt = json_object_get(agent, "counters");
			printf("Agent:        running (pid %lld, up %llds, version %s)\n",
			    num(agent, "pid"), num(agent, "uptime_s"),
			    str(agent, "version"));
			printf("Names:        %lld\n", num(agent, "records"));
			printf("Lookups:      %lld answered (%lld found, %lld not "
			    "found, %lld malformed)\n", num(cnt, "nss_requests"),
			    num(cnt, "nss_ok"), num(cnt, "nss_notfound"),
			    num(cnt, "nss_badreq"));
			printf("Clients cut:  %lld idle, %lld evicted\n",
			    num(cnt, "nss_idle_closed"), num(cnt, "nss_evicted"));
			print_overlay(json_object_get(cnt, "overlay"));
		} else {
			printf("Agent:        %s\n", err);
		}
	}
	json_decref(agent);
	if (agent == NULL)
		return unreachable ? EXIT_NOAGENT : EXIT_ERR;
	return EXIT_OK;
}
