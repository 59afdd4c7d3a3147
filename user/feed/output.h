/* output — where delivered messages go. "raw": each message payload exactly
 * as received plus '\n' on a stream (stdout), through a large stdio buffer
 * that the caller flushes when its loop goes idle and at exit; "pretty":
 * one decoded line per message (trades, quotes, depth) with its latency,
 * for people; "none": counted and dropped (benchmarks). */
#ifndef FEEDRX_OUTPUT_H
#define FEEDRX_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum output_kind {
	OUTPUT_RAW,
	OUTPUT_NONE,
	OUTPUT_PRETTY,
};

struct feed_parser;

struct output {
	enum output_kind kind;
	FILE *f;
	bool dirty; /* bytes written since the last flush */
	int err;    /* first write error (negative errno), sticky */
	uint64_t messages, bytes;
	struct feed_parser *parser; /* pretty: set up once */
};

#define OUTPUT_BUF_SIZE (1u << 20)

/* "raw", "pretty" or "none". 0 or -EINVAL. */
int output_kind_parse(const char *s, enum output_kind *k);

/* Set up; for raw, gives f a fully buffered OUTPUT_BUF_SIZE buffer (must be
 * called before anything is written to f). */
int output__init(struct output *o, enum output_kind k, FILE *f);

/* One message. 0 or the (sticky) negative errno of a failed write. */
int output__message(struct output *o, const uint8_t *p, size_t n);

/* The same with its end-to-end latency in ns (0: unknown), shown by pretty. */
int output__message_lat(struct output *o, const uint8_t *p, size_t n, uint64_t lat_ns);

/* Release what init allocated (the pretty parser). */
void output__fini(struct output *o);

/* Push buffered bytes to the file descriptor. 0 or negative errno. */
int output__flush(struct output *o);

#endif
