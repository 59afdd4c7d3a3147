/* utf8 — the one UTF-8 validator, for WebSocket TEXT messages and CLOSE
 * reasons in the kernel client, the fast path's decoder and the simulator.
 * ASCII runs (JSON feeds are nearly all ASCII) are skipped 8 bytes at a
 * time. */
#ifndef FEEDRX_UTF8_H
#define FEEDRX_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Is p[0..n) well-formed UTF-8 (RFC 3629: no overlongs, surrogates or code
 * points above U+10FFFF)? p may be NULL when n is 0. */
bool utf8_valid(const uint8_t *p, size_t n);

#endif
