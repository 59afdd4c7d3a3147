/* fake_transport — a link_transport for unit tests: no sockets, no root.
 * It records what the link asked of it (starts, resets, sends, closes,
 * aborts, fast-path failures) and behaves like the real one where the link
 * relies on it: abort and a refused reset end the connection through
 * feed_link__on_done, fail_fast reports through feed_link__on_fast_failed
 * once per connection. The test drives the events itself. */
#ifndef FEEDRX_TESTS_FAKE_TRANSPORT_H
#define FEEDRX_TESTS_FAKE_TRANSPORT_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "link/feed_link.h"
#include "link/link_transport.h"

struct fake_transport {
	struct link_transport t;
	int starts, resets, closes, aborts, fast_fails, desyncs, frees;
	uint16_t close_code;
	uint16_t violation; /* fail_fast reports this close code */
	int abort_status;
	int reset_ret, send_ret;
	bool fast_failed, ended;
	char sent[4096];
	size_t sent_len;
	int sends;
	char fail_why[512];
	const char *passed; /* what passed_why answers (NULL: cannot tell) */
	char err[128];
};

static struct fake_transport *fake_of(struct link_transport *t)
{
	return (struct fake_transport *)t;
}

static void fake_start(struct link_transport *t)
{
	fake_of(t)->starts++;
	fake_of(t)->ended = false;
	fake_of(t)->fast_failed = false;
}

static int fake_reset(struct link_transport *t)
{
	struct fake_transport *f = fake_of(t);

	f->resets++;
	if (f->reset_ret)
		snprintf(f->err, sizeof(f->err), "out of memory");
	return f->reset_ret;
}

static int fake_send_text(struct link_transport *t, const void *p, size_t n)
{
	struct fake_transport *f = fake_of(t);

	if (f->send_ret)
		return f->send_ret;
	if (n <= sizeof(f->sent)) {
		memcpy(f->sent, p, n);
		f->sent_len = n;
	}
	f->sends++;
	return 0;
}

static void fake_close(struct link_transport *t, uint16_t code)
{
	fake_of(t)->closes++;
	fake_of(t)->close_code = code;
}

static void fake_abort(struct link_transport *t, int status, const char *why)
{
	struct fake_transport *f = fake_of(t);

	f->aborts++;
	f->abort_status = status;
	if (status)
		snprintf(f->err, sizeof(f->err), "%s", why ? why : "aborted");
	if (!f->ended) {
		f->ended = true;
		feed_link__on_done(t->link, status);
	}
}

static void fake_fail_fast(struct link_transport *t, const char *why)
{
	struct fake_transport *f = fake_of(t);

	if (f->fast_failed)
		return;
	f->fast_failed = true;
	f->fast_fails++;
	snprintf(f->fail_why, sizeof(f->fail_why), "%s", why);
	feed_link__on_fast_failed(t->link, why, f->violation);
}

static const char *fake_passed_why(struct link_transport *t)
{
	return fake_of(t)->passed;
}

static void fake_force_desync(struct link_transport *t)
{
	fake_of(t)->desyncs++;
}

static const char *fake_error(const struct link_transport *t)
{
	return ((const struct fake_transport *)t)->err;
}

static const char *fake_describe(const struct link_transport *t)
{
	(void)t;
	return "fake peer";
}

static void fake_free(struct link_transport *t)
{
	fake_of(t)->frees++; /* the test owns the storage */
}

static const struct link_transport_ops fake_ops = {
    .start = fake_start,
    .reset = fake_reset,
    .send_text = fake_send_text,
    .close = fake_close,
    .abort = fake_abort,
    .fail_fast = fake_fail_fast,
    .passed_why = fake_passed_why,
    .force_desync = fake_force_desync,
    .error = fake_error,
    .describe = fake_describe,
    .free = fake_free,
};

static void fake_transport_init(struct fake_transport *f, bool has_fast)
{
	memset(f, 0, sizeof(*f));
	f->t.ops = &fake_ops;
	f->t.has_fast = has_fast;
}

#endif
