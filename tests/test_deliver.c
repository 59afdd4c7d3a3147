/* Tests for deliver: exactly-once delivery across a fast-path failover at
 * every point, comparison of the two paths, and the bounded ring. */
#include "check.h"
#include "link/deliver.h"

#define N 200

static void msg(int i, uint8_t *buf, size_t *n)
{
	*n = (size_t)snprintf((char *)buf, 64, "{\"e\":\"trade\",\"t\":%d}", i);
}

/* The fast path runs ahead of the shadow by `lead` messages and fails after
 * `fail_at` messages; the output must be 0..N-1 exactly once, in order. */
static int run(int fail_at, int lead, int *mismatches)
{
	struct deliver *d;
	deliver__new(&d, 64);
	int out[2 * N], nout = 0, f = 0, s = 0;
	uint8_t buf[64];
	size_t n;
	bool mm;

	*mismatches = 0;
	while (s < N) {
		/* fast path: one step when ahead by less than lead */
		if (f < N && f - s < lead) {
			if (f == fail_at)
				deliver__fast_failed(d);
			msg(f, buf, &n);
			if (deliver__fast(d, buf, n))
				out[nout++] = f;
			f++;
			continue;
		}
		msg(s, buf, &n);
		if (deliver__shadow(d, buf, n, &mm))
			out[nout++] = s;
		*mismatches += mm;
		s++;
	}
	deliver__free(d);
	if (nout != N)
		return -1;
	for (int i = 0; i < N; i++)
		if (out[i] != i)
			return -1;
	return 0;
}

static void failover_at_every_point(void)
{
	int mm;

	for (int lead = 1; lead <= 8; lead++)
		for (int fail_at = 0; fail_at <= N; fail_at++) {
			CHECKF(run(fail_at, lead, &mm) == 0, "fail_at %d lead %d", fail_at, lead);
			CHECKF(mm == 0, "fail_at %d lead %d: %d mismatches", fail_at, lead, mm);
		}
}

static void mismatch_is_detected(void)
{
	struct deliver *d;
	deliver__new(&d, 0);
	struct deliver_stats st;
	bool mm;

	REQUIRE(d);
	CHECK(deliver__fast(d, (const uint8_t *)"abc", 3));
	CHECK(deliver__fast(d, (const uint8_t *)"def", 3));
	CHECK(!deliver__shadow(d, (const uint8_t *)"abc", 3, &mm) && !mm);
	CHECK(!deliver__shadow(d, (const uint8_t *)"deX", 3, &mm) && mm);
	deliver__stats(d, &st);
	CHECK(st.fast == 2 && st.compared == 2 && st.mismatched == 1 && st.shadow == 0);
	CHECK(!deliver__failed_over(d));
	deliver__free(d);
}

/* The kernel got frames the fast path never saw (XDP passed them on: no
 * AF_XDP socket on the flow's queue, wrong interface): the shadow gets
 * ahead. That message and every later one come from the shadow, once. */
static void overtaking_fails_over(void)
{
	struct deliver *d;
	deliver__new(&d, 0);
	struct deliver_stats st;
	bool mm;

	REQUIRE(d);
	CHECK(deliver__fast(d, (const uint8_t *)"abc", 3));
	CHECK(!deliver__shadow(d, (const uint8_t *)"abc", 3, &mm) && !mm);
	CHECK(deliver__shadow(d, (const uint8_t *)"def", 3, &mm) && !mm);
	CHECK(deliver__failed_over(d));
	/* the fast path catching up later must not deliver twice */
	CHECK(!deliver__fast(d, (const uint8_t *)"def", 3));
	CHECK(deliver__shadow(d, (const uint8_t *)"ghi", 3, &mm) && !mm);
	deliver__stats(d, &st);
	CHECK(st.fast == 1 && st.shadow == 2 && st.overtaken == 1 && st.mismatched == 0);
	deliver__free(d);

	/* from the very first message (the fast path saw nothing) */
	deliver__new(&d, 0);
	REQUIRE(d);
	CHECK(deliver__shadow(d, (const uint8_t *)"abc", 3, &mm) && !mm);
	CHECK(deliver__failed_over(d));
	deliver__free(d);
}

static void ring_bounds_comparison(void)
{
	struct deliver *d;
	deliver__new(&d, 4);
	struct deliver_stats st;
	bool mm;

	REQUIRE(d);
	for (int i = 0; i < 10; i++)
		deliver__fast(d, (const uint8_t *)"x", 1);
	for (int i = 0; i < 10; i++)
		CHECK(!deliver__shadow(d, (const uint8_t *)"x", 1, &mm) && !mm);
	deliver__stats(d, &st);
	CHECK(st.uncompared == 6 && st.compared == 4);
	deliver__free(d);
}

static void hash_separates_lengths_and_bytes(void)
{
	uint8_t a[40] = {0}, b[40] = {0};

	CHECK(deliver_hash(a, 40) == deliver_hash(b, 40));
	CHECK(deliver_hash(a, 39) != deliver_hash(a, 40));
	for (int i = 0; i < 40; i++) {
		b[i] = 1;
		CHECKF(deliver_hash(a, 40) != deliver_hash(b, 40), "byte %d", i);
		b[i] = 0;
	}
}

static void no_compare_still_counts_and_fails_over(void)
{
	struct deliver *d;
	deliver__new(&d, 4);
	struct deliver_stats st;
	bool mm;

	REQUIRE(d);
	deliver__no_compare(d);
	CHECK(deliver__fast(d, (const uint8_t *)"a", 1));
	CHECK(deliver__fast(d, (const uint8_t *)"b", 1));
	deliver__fast_failed(d);
	CHECK(!deliver__fast(d, (const uint8_t *)"c", 1));
	CHECK(deliver__shadow(d, (const uint8_t *)"c", 1, &mm) == false); /* index 0: already out */
	deliver__stats(d, &st);
	CHECK(st.fast == 2);
	deliver__reset(d); /* a new connection compares again */
	CHECK(deliver__fast(d, (const uint8_t *)"x", 1));
	CHECK(!deliver__shadow(d, (const uint8_t *)"y", 1, &mm) && mm);
	deliver__free(d);
}

int main(void)
{
	RUN(no_compare_still_counts_and_fails_over);
	RUN(failover_at_every_point);
	RUN(mismatch_is_detected);
	RUN(overtaking_fails_over);
	RUN(ring_bounds_comparison);
	RUN(hash_separates_lengths_and_bytes);
	return check_exit();
}
