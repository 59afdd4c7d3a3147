/* shm_sub — ring records to feed_event callbacks (see shm_sub.h). */
#include "shm_sub.h"

#include <errno.h>
#include <stdlib.h>

#include "core/fx_err.h"
#include "feed/feed_event_codec.h"
#include "shm_ring.h"

struct shm_sub {
	struct shm_reader *r;
	uint8_t *rec;
	size_t cap;
	uint64_t lost;
	struct feed_event_store st;
};

int shm_sub__open(struct shm_sub **out, const char *name, unsigned flags, struct fx_error *err)
{
	struct shm_sub *s = calloc(1, sizeof(*s));
	int r;

	*out = NULL;
	if (!s)
		return fx_error_set(err, -ENOMEM, "out of memory");
	r = shm_reader__open(&s->r, name, flags & SHM_SUB_FROM_START, err);
	if (r) {
		free(s);
		return r;
	}
	/* set-up allocates for the largest record: none per event */
	s->cap = shm_reader__max_record(s->r);
	s->rec = malloc(s->cap);
	s->st.cap_levels = s->cap / 16;
	s->st.levels = malloc(s->st.cap_levels * sizeof(*s->st.levels));
	if (!s->rec || !s->st.levels) {
		shm_sub__close(s);
		return fx_error_set(err, -ENOMEM, "out of memory");
	}
	*out = s;
	return 0;
}

int shm_sub__poll(struct shm_sub *s, feed_event_fn fn, void *user, unsigned max)
{
	int n = 0;

	while (!max || (unsigned)n < max) {
		uint64_t seq, lost;
		long len = shm_reader__next(s->r, s->rec, s->cap, &seq, &lost);
		struct feed_event e;

		s->lost += lost;
		if (len == -EPIPE)
			return n ? n : -EPIPE;
		if (len == 0)
			break;
		if (len < 0 || feed_event_decode(s->rec, (size_t)len, &e, &s->st) < 0) {
			s->lost++; /* unreadable: counted with the lost */
			continue;
		}
		fn(user, &e);
		n++;
	}
	return n;
}

uint64_t shm_sub__lost(const struct shm_sub *s)
{
	return s->lost;
}

void shm_sub__close(struct shm_sub *s)
{
	if (!s)
		return;
	shm_reader__close(s->r);
	free(s->rec);
	free(s->st.levels);
	free(s);
}
