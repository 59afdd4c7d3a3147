/* sink — where delivered messages go, as a small table of functions (the
 * way redis' ae.c picks an ae_*.c): open, one call per message, flush when
 * the loop goes idle, close. The built-in sinks are raw (sink_raw.c: each
 * payload as received plus '\n'), pretty (sink_pretty.c: one decoded line
 * per message, for people) and none (sink_none.c: counted and dropped).
 *
 * Adding a sink: one file sink_<name>.c defining a `const struct
 * feed_sink_ops`, and one line in the table in sink.c. */
#ifndef FEEDRX_SINK_H
#define FEEDRX_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct feed_link_msg;
struct feed_event;
struct venue;
struct feed_sink;
struct ev_loop;
struct fx_error;

/* What a sink is opened with. */
struct feed_sink_conf {
	int fd;                    /* where text goes (stdout) */
	const struct venue *venue; /* how to decode a message */
	/* Event sinks with a target of their own (sink_set.h): */
	const char *arg;        /* --shm NAME, --nats URL */
	size_t size;            /* ring or buffer bytes, 0 = the sink's default */
	bool keep;              /* --shm-keep: leave the ring at exit */
	int format;             /* enum feed_sink_format */
	struct ev_loop *loop;   /* the loop, for sinks with sockets and timers */
	struct fx_error *err;   /* where open explains a failure (may be NULL) */
	/* the callback sink (sink_callback.h) */
	void (*on_event)(void *user, const struct feed_event *e);
	void *user;
};

/* An event sink's counts (the counters op). */
struct feed_sink_counters {
	const char *target; /* "shm:/dev/shm/NAME", "nats:nats://HOST:PORT" (the sink's) */
	uint64_t events;    /* passed on (written to the ring, queued for the server) */
	uint64_t dropped;   /* lost on this side (full buffer, no server, too large) */
};

/* How an event sink encodes events. */
enum feed_sink_format {
	FEED_SINK_FMT_JSON = 0, /* feed/feed_event_json.h, one object */
	FEED_SINK_FMT_FLAT,     /* feed/feed_event_codec.h, binary */
};

struct feed_sink_ops {
	const char *name; /* for --output */
	const char *help; /* one line for --help */
	/* Set up s->priv (everything a message needs, allocated here). */
	int (*open)(struct feed_sink *s, const struct feed_sink_conf *c);
	/* One message. 0 or a negative code (the sink is then failed).
	 * NULL: the sink takes only normalized events. */
	int (*message)(struct feed_sink *s, const struct feed_link_msg *m);
	/* One normalized event (feed/feed_event.h). NULL: the sink takes only
	 * messages. A sink with an event op makes feedrx parse every message
	 * and keep the books, so the events exist. */
	int (*event)(struct feed_sink *s, const struct feed_event *e);
	/* Push out what is buffered. 0 or a negative code. */
	int (*flush)(struct feed_sink *s);
	void (*close)(struct feed_sink *s);
	/* The run ends: push out what is buffered, waiting a bounded time
	 * (a network sink). NULL: flush is enough. */
	void (*finish)(struct feed_sink *s);
	/* What an event sink passed on and dropped, for metrics. NULL: it
	 * keeps no such counts. */
	void (*counters)(struct feed_sink *s, struct feed_sink_counters *c);
	/* One line for the exit summary and --stats (what was sent, dropped),
	 * no newline; NULL: nothing to say. */
	void (*report)(struct feed_sink *s, char *buf, size_t len);
};

struct feed_sink {
	const struct feed_sink_ops *ops;
	void *priv;
	int err;          /* the first error (negative code), sticky */
	bool dirty;       /* messages since the last flush */
	uint64_t messages, bytes;
	uint64_t events; /* normalized events handed to the event op */
};

/* The built-in sinks, NULL-terminated; the first is the default. */
extern const struct feed_sink_ops *const feed_sinks[];
extern const struct feed_sink_ops feed_sink_raw, feed_sink_pretty, feed_sink_none;
extern const struct feed_sink_ops feed_sink_jsonl; /* sink_jsonl.c: normalized events */

/* A sink by name in a NULL-terminated table, or NULL. */
const struct feed_sink_ops *feed_sink_find(const struct feed_sink_ops *const *table,
					   const char *name);

/* 0 or a negative code (*out NULL then). */
int feed_sink__open(struct feed_sink **out, const struct feed_sink_ops *ops,
		    const struct feed_sink_conf *c);
/* One message: 0, or the (sticky) negative code of the first failure. */
int feed_sink__message(struct feed_sink *s, const struct feed_link_msg *m);
/* One event: 0, or the sticky negative code (a sink without an event op
 * ignores it). */
int feed_sink__event(struct feed_sink *s, const struct feed_event *e);
/* Whether the sink takes events. */
bool feed_sink__wants_events(const struct feed_sink *s);
/* 0, or the sticky negative code. */
int feed_sink__flush(struct feed_sink *s);
/* Flush is the caller's; this releases (NULL-safe). */
void feed_sink__close(struct feed_sink *s);

/* A buffered writer for sinks that write text to a descriptor: filled by
 * the sink, written out by flush (and when full). */
struct sink_buf {
	int fd;
	int err; /* the first failed write (-errno), sticky */
	char *buf;
	size_t len, cap;
};

int sink_buf__init(struct sink_buf *b, int fd, size_t cap);
void sink_buf__fini(struct sink_buf *b);
/* Append n bytes (writes out first when they do not fit). 0 or the sticky
 * -errno of a failed write. */
int sink_buf__put(struct sink_buf *b, const void *p, size_t n);
/* printf-style append, truncated at 4 KiB a call. 0 or -errno. */
int sink_buf__printf(struct sink_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Everything buffered to the descriptor. 0 or -errno (-EPIPE: the reader
 * went away). */
int sink_buf__flush(struct sink_buf *b);

#endif
