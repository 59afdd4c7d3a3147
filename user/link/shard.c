/* shard — streams across connections (see shard.h). */
#include "shard.h"

size_t shard_count(size_t n, size_t per_conn)
{
	if (!per_conn)
		per_conn = 1;
	return n ? (n + per_conn - 1) / per_conn : 1;
}

void shard_range(size_t n, size_t shards, size_t i, size_t *first, size_t *count)
{
	size_t q = n / shards, r = n % shards;

	/* the first r shards take one more */
	*first = i * q + (i < r ? i : r);
	*count = q + (i < r ? 1 : 0);
}
