/*
 * Throughput of the session engine, in process, no sockets: handshakes
 * per second and transport MB/s between two session tables.  Built by
 * `make check` but not run by it (no timing assertions in tests):
 *     tests/session_speed [handshakes] [packets]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "overlay/session.h"

struct node {
	uint8_t pk[32], sk[64];
	struct session_table *t;
	uint8_t pkt[WIRE_PACKET_MAX];	/* one packet in flight at a time */
	size_t len;
	int pending;
};

static struct node A, B;
static uint64_t now_ms = 1000;

static void
cb_send(void *ctx, struct session *s, const uint8_t *p, size_t len)
{
	struct node *n = ctx;

	(void)s;
	memcpy(n->pkt, p, len);
	n->len = len;
	n->pending = 1;
}

static void
cb_recv(void *ctx, struct session *s, const uint8_t *d, size_t len)
{
	(void)ctx;
	(void)s;
	(void)d;
	(void)len;
}

static void
cb_wall(void *ctx, uint64_t *sec, uint32_t *nsec)
{
	(void)ctx;
	*sec = 1700000000 + now_ms / 1000;
	*nsec = (uint32_t)(now_ms % 1000) * 1000000;
}

static void
init(struct node *n, uint8_t b)
{
	struct session_cb cb = { .ctx = n, .send = cb_send, .recv = cb_recv,
	    .wallclock = cb_wall };
	uint8_t seed[32];

	memset(seed, b, sizeof(seed));
	crypto_sign_seed_keypair(n->pk, n->sk, seed);
	if ((n->t = session_table_new(n->pk, n->sk, &cb)) == NULL)
		abort();
}

static void
pump(void)
{
	while (A.pending || B.pending) {
		if (A.pending) {
			A.pending = 0;
			session_table_recv(B.t, now_ms, A.pkt, A.len, NULL);
		}
		if (B.pending) {
			B.pending = 0;
			session_table_recv(A.t, now_ms, B.pkt, B.len, NULL);
		}
	}
}

static double
secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	long hs = argc > 1 ? atol(argv[1]) : 2000;
	long pkts = argc > 2 ? atol(argv[2]) : 200000;
	static uint8_t data[WIRE_MAX_PLAINTEXT];
	struct session *s;
	double t0, t;

	if (sodium_init() < 0)
		return 1;
	init(&A, 1);
	init(&B, 2);
	s = session_new(A.t, B.pk);
	t0 = secs();
	for (long i = 0; i < hs; i++) {
		now_ms += 1000;		/* past the initiation flood limit */
		session_connect(s, now_ms);
		pump();
	}
	t = secs() - t0;
	printf("handshakes: %ld in %.2f s = %.0f/s (both ends, one core)\n",
	    hs, t, (double)hs / t);
	t0 = secs();
	for (long i = 0; i < pkts; i++) {
		session_send(s, now_ms, data, sizeof(data));
		pump();
	}
	t = secs() - t0;
	printf("transport: %ld x %zu B in %.2f s = %.1f MB/s, %.0f pkt/s "
	    "(seal + open)\n", pkts, sizeof(data), t,
	    (double)pkts * sizeof(data) / t / 1e6, (double)pkts / t);
	session_table_free(A.t);
	session_table_free(B.t);
	return 0;
}
