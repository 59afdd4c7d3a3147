/* link_one_fast — the XDP fast path for every connection of a feed_set:
 * the fastpath made at set-up (its fast_rx holds the XDP program, the flow
 * map, the AF_XDP sockets) is lent to one connection at a time, and every
 * other live connection (shards, A/B legs, a rotation's replacement) gets
 * a fastpath of its own on the same fast_rx (fastpath_opts.rx), made with
 * its transport and freed with it: its own reassembler, TLS state and
 * shadow, its frames demultiplexed by 4-tuple. When the lent transport is
 * freed the set-up fastpath stops calling into it, and the next
 * connection starts it clean. */
#ifndef FEEDRX_LINK_ONE_FAST_H
#define FEEDRX_LINK_ONE_FAST_H

#include <stdbool.h>

#include <ev.h>

#include "kernel/kconn.h"

struct fastpath;
struct fx_error;
struct link_transport;

struct fastpath_opts;

/* link_kconn__new over fp, or over a new fastpath made from fo on fp's
 * fast_rx while another connection has fp. fp NULL: the kernel path. */
int link_one_fast__new(struct link_transport **out, struct ev_loop *loop,
		       const struct kconn_opts *ko, struct fastpath *fp,
		       const struct fastpath_opts *fo, bool discard, struct fx_error *err);

#endif
