/* output — where delivered messages go. "raw": each message payload exactly
 * as received plus '\n' on a stream (stdout), through a large stdio buffer
 * that the caller flushes when its loop goes idle and at exit; "none":
 * counted and dropped (benchmarks, the XDP mode's shadow). */
#ifndef FEEDRX_OUTPUT_H
#define FEEDRX_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum output_kind {
	OUTPUT_RAW,
	OUTPUT_NONE,
};

struct output {
	enum output_kind kind;
	FILE *f;
	bool dirty; /* bytes written since the last flush */
	int err;    /* first write error (negative errno), sticky */
	uint64_t messages, bytes;
};

#define OUTPUT_BUF_SIZE (1u << 20)

/* "raw" or "none". 0 or -EINVAL. */
int output_kind_parse(const char *s, enum output_kind *k);

/* Set up; for raw, gives f a fully buffered OUTPUT_BUF_SIZE buffer (must be
 * called before anything is written to f). */
int output__init(struct output *o, enum output_kind k, FILE *f);

/* One message. 0 or the (sticky) negative errno of a failed write. */
int output__message(struct output *o, const uint8_t *p, size_t n);

/* Push buffered bytes to the file descriptor. 0 or negative errno. */
int output__flush(struct output *o);

#endif
