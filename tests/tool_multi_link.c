/* tool_multi_link — several feed_links on one libev loop sharing one
 * fast_rx (one XDP program, one flow map, one set of AF_XDP sockets and one
 * TUN device), for tests/it_xdp_multi.sh.
 *
 *   tool_multi_link --iface DEV --cafile CA --out PREFIX
 *                   [--desync I:N]... [--tls 1.2|1.3] URL...
 *
 * Connection i writes every delivered message payload plus '\n' to
 * PREFIX.i (what feedsim --log writes) and, at the end, one line to stderr:
 *
 *   link I: status S, delivered D, fast F, shadow H, compared C, mismatched M,
 *     stream fast B1 SHA1 kernel B2 SHA2
 *
 * then the shared part's lines:
 *
 *   shared: N links, map flows at the end A, after the links went B
 *   shared: frames X, of no flow Y, re-injected Z, failed W
 *
 * --desync I:N makes connection I's fast path fail as a TLS desync would
 * after N messages (feed_link's desync_after); the others must go on.
 * Exit 0 when every link ended cleanly, 1 otherwise, 2 on bad usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <openssl/sha.h>

#include "core/fx_err.h"
#include "fast/fast_rx.h"
#include "fast/fastpath.h"
#include "kernel/kconn.h"
#include "kernel/url.h"
#include "link/feed_link.h"
#include "link/link_kconn.h"
#include "link/link_transport.h"
#include "venue/venue.h"

#define MAX_LINKS 8

struct conn {
	struct multi *m;
	int i;
	struct url url;
	struct kconn_opts ko;
	struct fastpath *fp;
	struct feed_link *link;
	FILE *out;
	uint64_t desync_after;
	int status;
	bool done;
};

struct multi {
	struct ev_loop *loop;
	struct fast_rx *rx;
	struct conn c[MAX_LINKS];
	int n, done;
	ev_timer deadline;
};

static void usage(void)
{
	fprintf(stderr, "usage: tool_multi_link --iface DEV --cafile CA --out PREFIX "
			"[--desync I:N]... [--tls 1.2|1.3] URL...\n");
	exit(2);
}

static void on_message(void *user, const struct feed_link_msg *msg)
{
	struct conn *c = user;

	fwrite(msg->p, 1, msg->n, c->out);
	fputc('\n', c->out);
}

static void on_open(void *user, const char *describe)
{
	struct conn *c = user;

	fprintf(stderr, "link %d: connected: %s\n", c->i, describe);
}

static void on_done(void *user, int status, const char *why)
{
	struct conn *c = user;

	if (c->done)
		return;
	c->done = true;
	c->status = status;
	if (status)
		fprintf(stderr, "link %d: ended: %s\n", c->i, why ? why : fx_strerror(status));
	if (++c->m->done == c->m->n)
		ev_break(c->m->loop, EVBREAK_ALL);
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w, (void)revents;
	fprintf(stderr, "tool_multi_link: deadline passed\n");
	ev_break(loop, EVBREAK_ALL);
}

static void hex(char *to, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(to + 2 * i, 3, "%02x", p[i]);
}

int main(int argc, char **argv)
{
	static struct multi m;
	const char *ifname = NULL, *cafile = NULL, *prefix = NULL;
	uint64_t desync[MAX_LINKS] = {0};
	int tls_version = 0, status = 0, map_end, map_after;
	struct fx_error err = {0};
	struct fast_rx_stats rs;
	struct fast_rx_opts ro;
	/* what every connection's fastpath gets; the interface part of it
	 * makes the shared fast_rx (as a connection set does it) */
	struct fastpath_opts base = {
	    .queue = -1,
	    .busy_cpu = -1,
	    .max_message = 4u << 20,
	    .check_utf8 = true,
	    .hash_streams = true,
	};
	const struct venue *venue = venues[0];

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--iface") && a + 1 < argc) {
			ifname = argv[++a];
		} else if (!strcmp(argv[a], "--cafile") && a + 1 < argc) {
			cafile = argv[++a];
		} else if (!strcmp(argv[a], "--out") && a + 1 < argc) {
			prefix = argv[++a];
		} else if (!strcmp(argv[a], "--tls") && a + 1 < argc) {
			a++;
			tls_version = !strcmp(argv[a], "1.2") ? 12 : !strcmp(argv[a], "1.3") ? 13 : -1;
			if (tls_version < 0)
				usage();
		} else if (!strcmp(argv[a], "--desync") && a + 1 < argc) {
			unsigned i;
			unsigned long long n;

			if (sscanf(argv[++a], "%u:%llu", &i, &n) != 2 || i >= MAX_LINKS || !n)
				usage();
			desync[i] = n;
		} else if (argv[a][0] == '-' || m.n == MAX_LINKS) {
			usage();
		} else {
			struct conn *c = &m.c[m.n];

			if (url_parse(argv[a], &c->url) || c->url.scheme != URL_WSS) {
				fprintf(stderr, "tool_multi_link: bad URL '%s'\n", argv[a]);
				return 2;
			}
			c->i = m.n++;
		}
	}
	if (!ifname || !cafile || !prefix || !m.n)
		usage();

	m.loop = ev_default_loop(EVFLAG_AUTO);
	base.ifname = ifname;
	fastpath_rx_opts(&ro, &base);
	/* the one shared part: XDP program, flow map, AF_XDP sockets, TUN */
	if (fast_rx__new(&m.rx, m.loop, &ro, &err)) {
		fprintf(stderr, "tool_multi_link: %s\n", err.msg);
		return 1;
	}
	fprintf(stderr, "shared: %s\n", fast_rx__describe(m.rx));
	base.rx = m.rx;
	for (int i = 0; i < m.n; i++) {
		struct conn *c = &m.c[i];
		char path[4096];
		struct fastpath_opts fo = base;
		const struct feed_link_opts lo = {
		    .venue = venue,
		    .url_streams = venue->url_streams && venue->url_streams(c->url.path) == 1,
		    .max_gaps = 3,
		    .desync_after = desync[i],
		};
		const struct feed_link_hooks lh = {
		    .user = c, .on_message = on_message, .on_open = on_open, .on_done = on_done};
		struct link_transport *t;

		c->m = &m;
		snprintf(path, sizeof(path), "%s.%d", prefix, i);
		c->out = fopen(path, "w");
		if (!c->out) {
			fprintf(stderr, "tool_multi_link: cannot write %s: %s\n", path,
				strerror(errno));
			return 1;
		}
		c->ko = (struct kconn_opts){.url = &c->url, .connect_timeout = 10,
					    .idle_timeout = 60, .close_timeout = 2,
					    .max_message = 4u << 20, .max_send = 64,
					    .check_utf8 = true};
		c->ko.tls.cafile = cafile;
		c->ko.tls.version = tls_version;
		if (fastpath__new(&c->fp, m.loop, &fo, &err) ||
		    link_kconn__new(&t, m.loop, &c->ko, c->fp, false, &err)) {
			fprintf(stderr, "tool_multi_link: link %d: %s\n", i, err.msg);
			return 1;
		}
		if (feed_link__new(&c->link, m.loop, &lo, &lh, t)) {
			t->ops->free(t);
			fprintf(stderr, "tool_multi_link: link %d: cannot set up\n", i);
			return 1;
		}
	}
	for (int i = 0; i < m.n; i++)
		feed_link__start(m.c[i].link);
	ev_timer_init(&m.deadline, deadline_cb, 100, 0);
	ev_timer_start(m.loop, &m.deadline);
	ev_unref(m.loop);
	ev_run(m.loop, 0);
	ev_ref(m.loop);
	ev_timer_stop(m.loop, &m.deadline);

	map_end = fast_rx__map_flows(m.rx);
	for (int i = 0; i < m.n; i++) {
		struct conn *c = &m.c[i];
		struct feed_link_stats ls;
		struct fastpath_stats fs;
		char a[2 * SHA256_DIGEST_LENGTH + 1], b[2 * SHA256_DIGEST_LENGTH + 1];

		feed_link__stats(c->link, &ls);
		fastpath__stats(c->fp, &fs);
		hex(a, fs.stream_sha256, SHA256_DIGEST_LENGTH);
		hex(b, fs.kernel_sha256, SHA256_DIGEST_LENGTH);
		fprintf(stderr,
			"link %d: status %d, delivered %llu, fast %llu, shadow %llu, compared %llu, "
			"mismatched %llu, stream fast %llu %s kernel %llu %s\n",
			i, c->done ? c->status : -1, (unsigned long long)ls.delivered,
			(unsigned long long)ls.fast, (unsigned long long)ls.shadow,
			(unsigned long long)ls.compared, (unsigned long long)ls.mismatched,
			(unsigned long long)fs.stream_bytes, a, (unsigned long long)fs.kernel_bytes, b);
		if (!c->done || c->status)
			status = 1;
		if (fclose(c->out))
			status = 1;
	}
	/* teardown in the documented order: links, their fastpaths, the shared part */
	for (int i = 0; i < m.n; i++) {
		feed_link__free(m.c[i].link);
		fastpath__free(m.c[i].fp);
	}
	map_after = fast_rx__map_flows(m.rx);
	fast_rx__stats(m.rx, &rs);
	fprintf(stderr, "shared: %d links, map flows at the end %d, after the links went %d\n",
		m.n, map_end, map_after);
	fprintf(stderr, "shared: frames %llu, of no flow %llu, re-injected %llu, failed %llu\n",
		(unsigned long long)rs.frames, (unsigned long long)rs.frames_other,
		(unsigned long long)rs.reinjected, (unsigned long long)rs.reinject_failed);
	fast_rx__unref(m.rx);
	ev_loop_destroy(m.loop);
	return status;
}
