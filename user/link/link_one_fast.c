/* link_one_fast — one fast path, one connection at a time (see
 * link_one_fast.h). */
#include "link_one_fast.h"

#include <errno.h>

#include "core/fx_err.h"
#include "fast/fastpath.h"
#include "link_kconn.h"
#include "link_transport.h"

/* one fast path per process: feedrx makes at most one */
static struct {
	struct fastpath *fp;
	struct link_transport *lent; /* the transport that has it, or NULL */
	bool used;                   /* a connection had it before: reset first */
	const struct link_transport_ops *orig;
	struct link_transport_ops ops;
} one;

static void one_free(struct link_transport *t)
{
	if (one.lent == t) {
		static const struct fastpath_hooks none = {0};

		fastpath__set_hooks(one.fp, &none); /* nothing calls into freed memory */
		one.lent = NULL;
	}
	one.orig->free(t);
}

int link_one_fast__new(struct link_transport **out, struct ev_loop *loop,
		       const struct kconn_opts *ko, struct fastpath *fp, bool discard,
		       struct fx_error *err)
{
	int r;

	*out = NULL;
	if (!fp)
		return link_kconn__new(out, loop, ko, NULL, discard, err);
	if (one.lent)
		return fx_error_set(err, -EBUSY, "the fast path serves another connection");
	one.fp = fp;
	if (one.used && (r = fastpath__reset(fp)))
		return fx_error_set(err, r, "out of memory");
	r = link_kconn__new(out, loop, ko, fp, discard, err);
	if (r)
		return r;
	one.used = true;
	one.lent = *out;
	one.orig = (*out)->ops;
	one.ops = *one.orig;
	one.ops.free = one_free;
	(*out)->ops = &one.ops;
	return 0;
}
