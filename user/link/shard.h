/* shard — streams split across connections: at most per_conn each, the
 * connections as even as they can be (13 streams at 5 per connection: 5,4,4,
 * not 5,5,3), in the order given, so shard i is a contiguous slice. */
#ifndef FEEDRX_SHARD_H
#define FEEDRX_SHARD_H

#include <stddef.h>

/* How many connections n streams need at per_conn (>= 1) each; 1 for 0. */
size_t shard_count(size_t n, size_t per_conn);
/* Shard i of shards: its first stream and how many. */
void shard_range(size_t n, size_t shards, size_t i, size_t *first, size_t *count);

#endif
