/* stream_merge — first arrival wins, per stream, by the venue's ids (see
 * stream_merge.h). */
#include "stream_merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct merge_recent {
	uint64_t id, t_ns;
	unsigned src;
};

struct merge_stream {
	char name[STREAM_MERGE_NAME_MAX];
	uint8_t len;
	bool has_last;
	uint64_t last;
	unsigned owner; /* id-less messages: the connection delivering them */
	struct merge_stream_stats st;
	struct merge_recent recent[STREAM_MERGE_RECENT];
	unsigned recent_head;
};

struct stream_merge {
	struct merge_stream *s;
	size_t n, max;
	int32_t *slot; /* open addressing: stream index + 1, 0 = empty */
	size_t mask;
};

static uint64_t merge_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 0x100000001b3ull;
	return h;
}

int stream_merge__new(struct stream_merge **out, size_t max_streams)
{
	struct stream_merge *m = calloc(1, sizeof(*m));
	size_t cap = 16;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	if (!max_streams)
		max_streams = 1;
	while (cap < max_streams * 2)
		cap <<= 1;
	m->s = calloc(max_streams, sizeof(*m->s));
	m->slot = calloc(cap, sizeof(*m->slot));
	if (!m->s || !m->slot) {
		stream_merge__free(m);
		return -ENOMEM;
	}
	m->max = max_streams;
	m->mask = cap - 1;
	*out = m;
	return 0;
}

void stream_merge__free(struct stream_merge *m)
{
	if (!m)
		return;
	free(m->s);
	free(m->slot);
	free(m);
}

static int merge_lookup(const struct stream_merge *m, const char *name, size_t len, size_t *at)
{
	size_t i = merge_hash(name, len) & m->mask;

	for (;; i = (i + 1) & m->mask) {
		int32_t v = m->slot[i];

		if (!v) {
			*at = i;
			return -ENOENT;
		}
		if (m->s[v - 1].len == len && memcmp(m->s[v - 1].name, name, len) == 0)
			return v - 1;
	}
}

int stream_merge__find(const struct stream_merge *m, const char *name, size_t len)
{
	size_t at;

	if (!len || len >= STREAM_MERGE_NAME_MAX)
		return -ENOENT;
	return merge_lookup(m, name, len, &at);
}

int stream_merge__stream(struct stream_merge *m, const char *name, size_t len)
{
	size_t at;
	int r;

	if (!len || len >= STREAM_MERGE_NAME_MAX)
		return -EINVAL;
	r = merge_lookup(m, name, len, &at);
	if (r >= 0)
		return r;
	if (m->n == m->max)
		return -ENOSPC;
	memcpy(m->s[m->n].name, name, len);
	m->s[m->n].name[len] = 0;
	m->s[m->n].len = (uint8_t)len;
	m->slot[at] = (int32_t)(m->n + 1);
	return (int)m->n++;
}

size_t stream_merge__count(const struct stream_merge *m)
{
	return m->n;
}

const char *stream_merge__name(const struct stream_merge *m, int idx)
{
	return m->s[idx].name;
}

static void merge_remember(struct merge_stream *s, uint64_t id, const struct merge_in *in)
{
	struct merge_recent *r = &s->recent[s->recent_head++ % STREAM_MERGE_RECENT];

	r->id = id;
	r->t_ns = in->now_ns;
	r->src = in->src;
}

enum merge_verdict stream_merge__offer(struct stream_merge *m, int idx, const struct merge_in *in,
				       struct merge_out *out)
{
	struct merge_stream *s = &m->s[idx];

	memset(out, 0, sizeof(*out));
	if (!in->has_id) {
		if (s->owner && s->owner != in->src) {
			s->st.not_owner++;
			return MERGE_NOT_OWNER;
		}
		s->owner = in->src;
		s->st.delivered++;
		return MERGE_DELIVER;
	}
	if (s->has_last && in->last <= s->last) {
		s->st.dups++;
		for (unsigned i = 0; i < STREAM_MERGE_RECENT; i++) {
			const struct merge_recent *r = &s->recent[i];

			if (r->src && r->id == in->last) {
				out->winner = r->src;
				out->lead_ns = in->now_ns > r->t_ns ? in->now_ns - r->t_ns : 0;
				out->lead_known = true;
				break;
			}
		}
		return MERGE_DUP;
	}
	if (s->has_last && in->chained && in->first > s->last + 1) {
		out->gap_first = s->last + 1;
		out->gap_last = in->first - 1;
		s->st.gaps++;
		s->st.missed += out->gap_last - out->gap_first + 1;
	}
	s->has_last = true;
	s->last = in->last;
	s->st.has_last = true;
	s->st.last_id = in->last;
	s->st.delivered++;
	merge_remember(s, in->last, in);
	return MERGE_DELIVER;
}

bool stream_merge__last(const struct stream_merge *m, int idx, uint64_t *last)
{
	*last = m->s[idx].last;
	return m->s[idx].has_last;
}

void stream_merge__restart(struct stream_merge *m, int idx)
{
	m->s[idx].has_last = false;
}

void stream_merge__source_gone(struct stream_merge *m, unsigned src)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->s[i].owner == src)
			m->s[i].owner = 0;
}

void stream_merge__stats(const struct stream_merge *m, int idx, struct merge_stream_stats *st)
{
	*st = m->s[idx].st;
}
