/* Tests for resolve (c-ares on libev) against a fake DNS server on
 * 127.0.0.1 (tests/net_testlib.h): numeric hosts answered at once, a held
 * answer does not stop a second query or another event on the same loop
 * (asserted by order: the server holds the slow answer until the test
 * releases it from the fast one's callback), timeout, NXDOMAIN and SERVFAIL
 * texts, cancel, /etc/hosts, freeing from inside a callback. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "check.h"
#include "core/util.h"
#include "kernel/resolve.h"
#include "net_testlib.h"

static struct nt_dns dns;

struct res {
	int calls, status;
	size_t n;
	struct sockaddr_storage first;
	char why[128];
	char tag;
};

static char order[16];
static size_t norder;

static void note(char c)
{
	if (norder < sizeof(order) - 1)
		order[norder++] = c;
	order[norder] = 0;
}

static void on_res(void *user, int status, const struct resolve_addrs *a, const char *why)
{
	struct res *r = user;

	r->calls++;
	r->status = status;
	r->n = a ? a->n : 0;
	if (a && a->n)
		r->first = a->addr[0];
	snprintf(r->why, sizeof(r->why), "%s", why ? why : "");
	note(r->tag);
}

static struct resolve_ctx *ctx_new(struct ev_loop *loop, double try_timeout, int tries)
{
	struct resolve_opts o = {
	    .servers = dns.servers, .try_timeout = try_timeout, .tries = tries, .no_search = 1};
	struct resolve_ctx *c = NULL;
	struct fx_error e;

	if (resolve_ctx__new(&c, loop, &o, &e))
		fprintf(stderr, "resolve_ctx__new: %s\n", e.msg);
	return c;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
					      : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static bool is_v4(const struct sockaddr_storage *ss, const char *want)
{
	char a[INET_ADDRSTRLEN];

	return ss->ss_family == AF_INET &&
	       inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a, sizeof(a)) &&
	       !strcmp(a, want);
}

static void numeric_at_once(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct resolve_ctx *c = ctx_new(loop, 0, 0);
	struct resolve_query *q = (void *)1;
	struct res r4 = {.tag = '4'}, r6 = {.tag = '6'}, bad = {.tag = 'b'};

	REQUIRE(c);
	CHECK(resolve_start(c, "198.18.0.1", "9443", AF_UNSPEC, 0, on_res, &r4, &q) == 0);
	CHECK(q == NULL && r4.calls == 1 && r4.status == 0 && r4.n == 1);
	CHECK(is_v4(&r4.first, "198.18.0.1") && port_of(&r4.first) == 9443);
	CHECK(resolve_start(c, "fd00:fee0::1", "443", AF_UNSPEC, 0, on_res, &r6, &q) == 0);
	CHECK(r6.calls == 1 && r6.status == 0 && r6.first.ss_family == AF_INET6 &&
	      port_of(&r6.first) == 443);
	/* a bad port is refused before anything starts */
	CHECK(resolve_start(c, "198.18.0.1", "x", AF_UNSPEC, 0, on_res, &bad, &q) == -EINVAL);
	CHECK(bad.calls == 0 && resolve_ctx__pending(c) == 0);
	resolve_ctx__free(c);
	ev_loop_destroy(loop);
}

struct progress {
	struct resolve_ctx *c;
	struct res slow, fast;
	ev_timer tick;
	ev_io io;
	int pipe[2];
	bool slow_pending_at_fast, released;
};

static void prog_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct progress *p = container_of(w, struct progress, io);
	char b;

	(void)revents;
	if (read(p->pipe[0], &b, 1) == 1)
		note('e');
	ev_io_stop(loop, w);
	/* only now let the server answer the slow query */
	p->released = nt_dns_release(&dns) == 0;
}

static void on_fast(void *user, int status, const struct resolve_addrs *a, const char *why)
{
	struct progress *p = container_of(user, struct progress, fast);

	on_res(user, status, a, why);
	p->slow_pending_at_fast = p->slow.calls == 0 && resolve_ctx__pending(p->c) == 1;
	/* another event on the loop while the slow query waits */
	if (write(p->pipe[1], "x", 1) != 1)
		p->released = false;
}

static void slow_does_not_block(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct progress p = {.slow.tag = 's', .fast.tag = 'f'};
	struct resolve_query *qs, *qf;

	norder = 0;
	order[0] = 0;
	p.c = ctx_new(loop, 5, 2);
	REQUIRE(p.c && pipe(p.pipe) == 0);
	ev_io_init(&p.io, prog_io, p.pipe[0], EV_READ);
	ev_io_start(loop, &p.io);
	CHECK(resolve_start(p.c, "slow.test", "443", AF_UNSPEC, 10, on_res, &p.slow, &qs) == 0);
	CHECK(resolve_start(p.c, "fast.test", "443", AF_UNSPEC, 10, on_fast, &p.fast, &qf) == 0);
	CHECK(qs && qf && resolve_ctx__pending(p.c) == 2);
	ev_run(loop, 0);
	/* fast answered, then the pipe event ran, then the slow answer came */
	CHECKF(!strcmp(order, "fes"), "order %s", order);
	CHECK(p.slow_pending_at_fast && p.released);
	CHECK(p.fast.status == 0 && is_v4(&p.fast.first, "127.0.0.1") &&
	      port_of(&p.fast.first) == 443);
	CHECK(p.slow.status == 0 && p.slow.n == 1 && is_v4(&p.slow.first, "127.0.0.1"));
	CHECK(resolve_ctx__pending(p.c) == 0);
	resolve_ctx__free(p.c);
	close(p.pipe[0]);
	close(p.pipe[1]);
	ev_loop_destroy(loop);
}

static void errors_are_clear(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct resolve_ctx *c = ctx_new(loop, 0.2, 1);
	struct res nx = {.tag = 'n'}, fail = {.tag = 'f'}, hang = {.tag = 'h'}, own = {.tag = 'o'},
		   v6 = {.tag = '6'};
	struct resolve_query *q;

	REQUIRE(c);
	CHECK(resolve_start(c, "nx.test", "443", AF_UNSPEC, 5, on_res, &nx, &q) == 0);
	CHECK(resolve_start(c, "fail.test", "443", AF_UNSPEC, 5, on_res, &fail, &q) == 0);
	/* our deadline (0.1 s) before c-ares' own tries end */
	CHECK(resolve_start(c, "hang.test", "443", AF_UNSPEC, 0.1, on_res, &hang, &q) == 0);
	/* no deadline of ours: c-ares gives up after its one 0.2 s try */
	CHECK(resolve_start(c, "hang.test", "443", AF_UNSPEC, 0, on_res, &own, &q) == 0);
	CHECK(resolve_start(c, "v6.test", "80", AF_INET6, 5, on_res, &v6, &q) == 0);
	ev_run(loop, 0);
	CHECKF(nx.calls == 1 && nx.status == -EHOSTUNREACH && strstr(nx.why, "not found"),
	       "nx: %d %s", nx.status, nx.why);
	CHECKF(fail.calls == 1 && fail.status == -EIO && fail.why[0], "fail: %d %s", fail.status,
	       fail.why);
	CHECKF(hang.calls == 1 && hang.status == -ETIMEDOUT &&
		   !strcmp(hang.why, "no answer within 0.1 s"),
	       "hang: %d %s", hang.status, hang.why);
	CHECKF(own.calls == 1 && own.status == -ETIMEDOUT && strstr(own.why, "imeout"),
	       "own: %d %s", own.status, own.why);
	CHECKF(v6.calls == 1 && v6.status == 0 && v6.first.ss_family == AF_INET6 &&
		   port_of(&v6.first) == 80,
	       "v6: %d %s", v6.status, v6.why);
	resolve_ctx__free(c);
	ev_loop_destroy(loop);
}

static void stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void cancel_is_silent(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct resolve_ctx *c = ctx_new(loop, 0.1, 1);
	struct res r = {.tag = 'c'}, left = {.tag = 'l'};
	struct resolve_query *q, *q2;
	ev_timer t;

	REQUIRE(c);
	CHECK(resolve_start(c, "hang.test", "443", AF_UNSPEC, 0.05, on_res, &r, &q) == 0 && q);
	resolve_query__cancel(q);
	/* c-ares' own tries end after 0.1 s: still no callback */
	ev_timer_init(&t, stop_cb, 0.3, 0.);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	CHECK(r.calls == 0 && resolve_ctx__pending(c) == 0);
	/* freed with a query in flight: its callback never runs, nothing leaks */
	CHECK(resolve_start(c, "slow.test", "443", AF_UNSPEC, 0, on_res, &left, &q2) == 0 && q2);
	resolve_ctx__free(c);
	CHECK(left.calls == 0);
	ev_loop_destroy(loop);
}

static void hosts_file(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct resolve_ctx *c = ctx_new(loop, 0.5, 1);
	struct res r = {.tag = 'l'};
	struct resolve_query *q;
	FILE *f = fopen("/etc/hosts", "r");
	char line[256];
	bool has = false;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "127.0.0.1", 9) && strstr(line, "localhost"))
			has = true;
	if (f)
		fclose(f);
	if (!has) {
		SKIP("/etc/hosts has no 127.0.0.1 localhost line");
		resolve_ctx__free(c);
		ev_loop_destroy(loop);
		return;
	}
	REQUIRE(c);
	/* the fake server would say NXDOMAIN: the answer comes from the file */
	CHECK(resolve_start(c, "localhost", "8443", AF_INET, 5, on_res, &r, &q) == 0);
	if (q)
		ev_run(loop, 0);
	CHECKF(r.calls == 1 && r.status == 0 && is_v4(&r.first, "127.0.0.1") &&
		   port_of(&r.first) == 8443,
	       "%d %s", r.status, r.why);
	resolve_ctx__free(c);
	ev_loop_destroy(loop);
}

struct freer {
	struct resolve_ctx *c;
	int calls;
};

static void free_in_cb(void *user, int status, const struct resolve_addrs *a, const char *why)
{
	struct freer *f = user;

	(void)status;
	(void)a;
	(void)why;
	f->calls++;
	resolve_ctx__free(f->c);
}

static void free_inside_callback(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct freer f = {.c = ctx_new(loop, 0.5, 1)};
	struct resolve_query *q;

	REQUIRE(f.c);
	CHECK(resolve_start(f.c, "nx.test", "443", AF_UNSPEC, 5, free_in_cb, &f, &q) == 0);
	CHECK(resolve_start(f.c, "fail.test", "443", AF_UNSPEC, 5, free_in_cb, &f, &q) == 0);
	ev_run(loop, 0);
	/* the first answer freed the context: the second never arrives */
	CHECK(f.calls == 1);
	ev_loop_destroy(loop);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (nt_dns_start(&dns)) {
		printf("FAIL dns_server: cannot start the fake DNS server\n");
		return 1;
	}
	RUN(numeric_at_once);
	RUN(slow_does_not_block);
	RUN(errors_are_clear);
	RUN(cancel_is_silent);
	RUN(hosts_file);
	RUN(free_inside_callback);
	nt_dns_stop(&dns);
	return check_exit();
}
