/* shm_sub — a consumer's end of feedrx's shared-memory ring: follows the
 * ring (shm_ring.h), decodes each record (feed/feed_event_codec.h) and
 * calls the program's function with a struct feed_event, exactly as an
 * in-process consumer gets it. Overruns are counted, never hidden. */
#ifndef FEEDRX_SHM_SUB_H
#define FEEDRX_SHM_SUB_H

#include <stdbool.h>
#include <stdint.h>

#include "feed/feed_event.h"

struct fx_error;
struct shm_sub;

/* The function events are delivered to (pointers valid during the call). */
typedef void (*feed_event_fn)(void *user, const struct feed_event *e);

#define SHM_SUB_FROM_START (1u << 0) /* begin with the oldest event still in the ring */

/* Open /dev/shm/NAME for reading. 0 or a negative code (err says why). */
int shm_sub__open(struct shm_sub **out, const char *name, unsigned flags, struct fx_error *err);
/* Deliver up to max events that are there (0: all); never waits. The
 * count delivered, or -EPIPE once the producer closed the ring and all was
 * delivered. */
int shm_sub__poll(struct shm_sub *s, feed_event_fn fn, void *user, unsigned max);
/* Events lost to overruns (this reader fell a whole ring behind). */
uint64_t shm_sub__lost(const struct shm_sub *s);
void shm_sub__close(struct shm_sub *s);

#endif
