/* link_one_fast — the XDP fast path lent to one connection at a time, for
 * feed_set until the fast path is shared by every connection (TODO
 * fastmulti: one struct fast_rx, a flow per connection; then this goes and
 * the factory hands the shared object to every link_kconn).
 *
 * A second live connection is refused with -EBUSY (feed_set then rotates
 * break-before-make); when a connection's transport is freed, the fast path
 * stops calling into it, and the next connection starts it clean. */
#ifndef FEEDRX_LINK_ONE_FAST_H
#define FEEDRX_LINK_ONE_FAST_H

#include <stdbool.h>

#include <ev.h>

#include "kernel/kconn.h"

struct fastpath;
struct fx_error;
struct link_transport;

/* link_kconn__new over fp, or -EBUSY while another connection has it. */
int link_one_fast__new(struct link_transport **out, struct ev_loop *loop,
		       const struct kconn_opts *ko, struct fastpath *fp, bool discard,
		       struct fx_error *err);

#endif
