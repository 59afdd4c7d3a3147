/* link_one_fast — the XDP fast path for every connection of a feed_set
 * (see link_one_fast.h). */
#include "link_one_fast.h"

#include <errno.h>
#include <stdlib.h>

#include "core/fx_err.h"
#include "core/util.h"
#include "fast/fastpath.h"
#include "link_kconn.h"
#include "link_transport.h"

/* the set-up fast path (feedrx makes one), lent to one connection at a time */
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

/* Another connection's own fastpath on the shared fast_rx, freed with its
 * transport (after it: the link_kconn transport unregisters the flow). */
struct own_fast {
	struct link_transport_ops ops;
	const struct link_transport_ops *orig;
	struct fastpath *fp;
};

static void own_free(struct link_transport *t)
{
	struct own_fast *o = container_of(t->ops, struct own_fast, ops);

	o->orig->free(t);
	fastpath__free(o->fp);
	free(o);
}

static int own_new(struct link_transport **out, struct ev_loop *loop, const struct kconn_opts *ko,
		   const struct fastpath_opts *fo, bool discard, struct fx_error *err)
{
	struct fastpath_opts o = *fo;
	struct own_fast *of = calloc(1, sizeof(*of));
	int r;

	if (!of)
		return fx_error_set(err, -ENOMEM, "out of memory");
	o.rx = fastpath__rx(one.fp);
	o.dump_path = NULL; /* --dump-stream: the first connection's */
	r = fastpath__new(&of->fp, loop, &o, err);
	if (r) {
		free(of);
		return r;
	}
	r = link_kconn__new(out, loop, ko, of->fp, discard, err);
	if (r) {
		fastpath__free(of->fp);
		free(of);
		return r;
	}
	of->orig = (*out)->ops;
	of->ops = *of->orig;
	of->ops.free = own_free;
	(*out)->ops = &of->ops;
	return 0;
}

int link_one_fast__new(struct link_transport **out, struct ev_loop *loop,
		       const struct kconn_opts *ko, struct fastpath *fp,
		       const struct fastpath_opts *fo, bool discard, struct fx_error *err)
{
	int r;

	*out = NULL;
	if (!fp)
		return link_kconn__new(out, loop, ko, NULL, discard, err);
	one.fp = fp;
	if (one.lent)
		return own_new(out, loop, ko, fo, discard, err);
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
