/* Benchmark the shared-memory ring's handoff latency, producer -> reader
 * on two cores: the producer thread (CPU A) stamps CLOCK_MONOTONIC into an
 * event, encodes it into the ring (what sink_shm does); the reader thread
 * (CPU B) spins on the ring, decodes the event and stamps again. One event
 * in flight at a time (the producer waits for the reader's ack, then a
 * short pause), so this is the handoff itself, not queueing. Also the bare
 * ring (a 64-byte payload, no encoding). Prints percentiles; asserts
 * nothing (target: p50 under 300 ns).
 *   bench_shm [N (default 200000)] [CPU_A (0)] [CPU_B (1)] */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/fx_err.h"
#include "events_synth.h"
#include "feed/feed_event_codec.h"
#include "shm/shm_ring.h"

static uint64_t n_iter = 200000;
static int cpu_a, cpu_b = 1;
static struct shm_ring *ring;
static char name[64];
static _Atomic uint64_t acked;
static uint64_t *lat;
static bool bare;

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
/* the stamps: the TSC (constant and synchronized across cores on any CPU
 * of the last decade; clock_gettime costs ~20-60 ns on a VM) */
static inline uint64_t stamp(void)
{
	return __rdtsc();
}
#else
#define stamp now_ns
#endif
static double ns_per_tick = 1.0;

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pin(int cpu);
static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static void *producer(void *arg)
{
	struct synth_store st;
	struct feed_event e;

	(void)arg;
	pin(cpu_a);
	for (uint64_t i = 1; i <= n_iter; i++) {
		synth_event(&e, 1 + (i - 1) * 5, &st); /* a trade */
		uint64_t t = stamp();

		if (bare) {
			uint64_t *p = shm_ring__reserve(ring, 64);

			p[0] = t;
			shm_ring__commit(ring, 64);
		} else {
			e.recv_ns = t;
			size_t n = feed_event_encoded_size(&e);
			void *p = shm_ring__reserve(ring, n);

			shm_ring__commit(ring, (size_t)feed_event_encode(&e, p, n));
		}
		while (atomic_load_explicit(&acked, memory_order_acquire) != i)
			;
		for (uint64_t t1 = now_ns(); now_ns() - t1 < 500;) /* let the lines settle */
			;
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int run(const char *what)
{
	struct fx_error err = {0};
	struct shm_reader *rd;
	static uint8_t buf[1 << 16];
	static struct feed_level lv[4096];
	struct feed_event_store st = {.levels = lv, .cap_levels = 4096};
	struct feed_event e;
	pthread_t t;
	uint64_t seq, lost, got = 0;

	atomic_store(&acked, 0);
	if (shm_ring__create(&ring, name, NULL, &err) || shm_reader__open(&rd, name, false, &err)) {
		fprintf(stderr, "bench_shm: %s\n", err.msg);
		return 1;
	}
	pin(cpu_b);
	pthread_create(&t, NULL, producer, NULL);
	while (got < n_iter) {
		long n = shm_reader__next(rd, buf, sizeof(buf), &seq, &lost);

		if (n <= 0)
			continue;
		uint64_t t0;

		if (bare) {
			memcpy(&t0, buf, 8);
		} else {
			feed_event_decode(buf, (size_t)n, &e, &st);
			t0 = e.recv_ns;
		}
		lat[got++] = (uint64_t)((double)(stamp() - t0) * ns_per_tick);
		atomic_store_explicit(&acked, got, memory_order_release);
	}
	pthread_join(t, NULL);
	shm_reader__close(rd);
	shm_ring__close(ring);
	qsort(lat, n_iter, sizeof(*lat), cmp_u64);
#define PCT(p) (unsigned long long)lat[(size_t)((double)(n_iter - 1) * (p) / 100.0)]
	printf("shm handoff %-22s CPU %d -> CPU %d, %llu events: p50 %llu ns, p90 %llu ns, "
	       "p99 %llu ns, p99.9 %llu ns, max %llu ns (target p50 < 300 ns: %s)\n",
	       what, cpu_a, cpu_b, (unsigned long long)n_iter, PCT(50), PCT(90), PCT(99), PCT(99.9),
	       (unsigned long long)lat[n_iter - 1], lat[(n_iter - 1) / 2] < 300 ? "met" : "missed");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		n_iter = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		cpu_a = atoi(argv[2]);
	if (argc > 3)
		cpu_b = atoi(argv[3]);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		printf("bench_shm: one CPU only: producer and reader share it (not a handoff "
		       "measurement)\n"), cpu_b = cpu_a;
	snprintf(name, sizeof(name), "feedrx-bench-%d", (int)getpid());
	lat = calloc(n_iter, sizeof(*lat));
	if (!lat || !n_iter)
		return 1;
	/* ticks to ns, over 50 ms */
	uint64_t c0 = now_ns(), k0 = stamp();
	while (now_ns() - c0 < 50000000)
		;
	ns_per_tick = (double)(now_ns() - c0) / (double)(stamp() - k0);
	k0 = stamp();
	for (int i = 0; i < 1000000; i++)
		(void)stamp();
	printf("bench_shm: a stamp costs %.1f ns (included once in each figure)\n",
	       (double)(stamp() - k0) * ns_per_tick / 1e6);
	bare = true;
	if (run("(64-byte record)"))
		return 1;
	bare = false;
	return run("(trade event, enc+dec)");
}
