/* link_kconn — the real transport of a feed_link: kconn on a kernel socket
 * and, in XDP mode, the fast path beside it. It relays kconn's and the fast
 * path's hooks to the link, and does the mechanical part of running them
 * side by side: the flow is registered when the socket is bound, the TLS
 * secrets captured when the session exists, the fast path takes the stream
 * over at the upgrade; with --shadow discard the kernel socket is drained
 * unread and answers what the fast path saw (pings, close, KeyUpdate). */
#ifndef FEEDRX_LINK_KCONN_H
#define FEEDRX_LINK_KCONN_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "kernel/kconn.h"

struct fastpath;
struct fx_error;
struct link_transport;

/* ko is copied (what it points to must outlive the transport); fp (NULL in
 * kernel mode) is used, not owned. 0, or a negative code with err filled.
 * Many connections on one interface: give each its own fastpath, all made
 * with the same fastpath_opts.rx (one fast_rx: fast/fast_rx.h shows how);
 * free the link first, then its fastpath. */
int link_kconn__new(struct link_transport **out, struct ev_loop *loop,
		    const struct kconn_opts *ko, struct fastpath *fp, bool discard,
		    struct fx_error *err);

/* The kernel connection, for the exit report (NULL between reconnects). */
struct kconn *link_kconn__kconn(const struct link_transport *t);

#endif
