/* Tests for the shared-memory ring: names are checked; records come back
 * exactly, in order, across the wrap; a reader that is lapped loses whole
 * records and says exactly how many (got + lost == published); with a
 * producer thread racing a reader on a small ring no record is ever torn
 * (each payload is a pattern of its own seq); the closed ring ends a
 * drained reader; a ring left by a dead producer is replaced, one in use
 * by a live one or a foreign file is refused and left alone. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "core/fx_err.h"
#include "shm/shm_ring.h"

static char name[64];

static void fill(uint8_t *p, size_t n, uint64_t seq)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seq * 31 + i);
}

static bool good(const uint8_t *p, size_t n, uint64_t seq)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seq * 31 + i))
			return false;
	return true;
}

static size_t len_of(uint64_t seq)
{
	return 8 + (size_t)(seq * 7919 % 1500);
}

static void publish(struct shm_ring *r, uint64_t seq)
{
	size_t n = len_of(seq);
	uint8_t *p = shm_ring__reserve(r, n);

	fill(p, n, seq);
	shm_ring__commit(r, n);
}

static void shm_names(void)
{
	CHECK(shm_ring_name_check("feed0") == 0 && shm_ring_name_check("a.b-c_D9") == 0);
	CHECK(shm_ring_name_check("") && shm_ring_name_check("a/b") && shm_ring_name_check("..") &&
	      shm_ring_name_check("x y"));
	struct fx_error err = {0};
	struct shm_ring *r;
	struct shm_reader *rd;
	const struct shm_ring_opts o = {.size = 100000};

	CHECK(shm_ring__create(&r, name, &o, &err) == -EINVAL && strstr(err.msg, "power of two"));
	CHECK(shm_reader__open(&rd, name, false, &err) == -ENOENT && strstr(err.msg, "--shm"));
}

static void shm_exact_across_wrap(void)
{
	const struct shm_ring_opts o = {.size = SHM_RING_MIN_SIZE};
	struct fx_error err = {0};
	struct shm_ring *r;
	struct shm_reader *rd;
	static uint8_t buf[1 << 16];
	uint64_t seq, lost, want = 1;

	REQUIRE(shm_ring__create(&r, name, &o, &err) == 0);
	REQUIRE(shm_reader__open(&rd, name, true, &err) == 0);
	CHECK(shm_reader__next(rd, buf, sizeof(buf), &seq, &lost) == 0);
	/* 3000 records of ~760 bytes: the 64K ring wraps ~35 times */
	for (uint64_t i = 1; i <= 3000; i++) {
		publish(r, i);
		long n = shm_reader__next(rd, buf, sizeof(buf), &seq, &lost);

		CHECKF(n == (long)len_of(i) && seq == want && lost == 0 && good(buf, (size_t)n, i),
		       "record %llu: n %ld seq %llu", (unsigned long long)i, n,
		       (unsigned long long)seq);
		want++;
	}
	CHECK(shm_reader__next(rd, buf, sizeof(buf), &seq, &lost) == 0);
	CHECK(shm_ring__reserve(r, shm_ring__max_record(r) + 1) == NULL);
	shm_ring__close(r);
	CHECK(shm_reader__next(rd, buf, sizeof(buf), &seq, &lost) == -EPIPE);
	shm_reader__close(rd);
	CHECK(access("/dev/shm/cons-test-gone", F_OK) != 0);
}

static void shm_overrun_counted(void)
{
	const struct shm_ring_opts o = {.size = SHM_RING_MIN_SIZE};
	struct fx_error err = {0};
	struct shm_ring *r;
	struct shm_reader *rd, *late;
	static uint8_t buf[1 << 16];
	uint64_t seq, lost, got = 0, lost_total = 0, last = 0;
	struct shm_reader_stats st;
	long n;

	REQUIRE(shm_ring__create(&r, name, &o, &err) == 0);
	REQUIRE(shm_reader__open(&rd, name, true, &err) == 0);
	for (uint64_t i = 1; i <= 1000; i++)
		publish(r, i);
	/* lapped: it goes on from the newest; the next record says how many it lost */
	CHECK(shm_reader__next(rd, buf, sizeof(buf), &seq, &lost) == 0);
	publish(r, 1001);
	REQUIRE(shm_reader__open(&late, name, true, &err) == 0); /* from the oldest whole one */
	while ((n = shm_reader__next(rd, buf, sizeof(buf), &seq, &lost)) > 0) {
		CHECK(good(buf, (size_t)n, seq) && seq > last);
		last = seq;
		got++;
		lost_total += lost;
	}
	CHECKF(got == 1 && lost_total == 1000 && last == 1001,
	       "got %llu lost %llu", (unsigned long long)got, (unsigned long long)lost_total);
	shm_reader__stats(rd, &st);
	CHECK(st.overruns >= 1 && st.lost == lost_total);
	/* the late reader starts at the oldest record still whole: no loss */
	n = shm_reader__next(late, buf, sizeof(buf), &seq, &lost);
	CHECK(n > 0 && lost == 0 && seq > 900 && seq < 1001 && good(buf, (size_t)n, seq));
	shm_reader__close(late);
	shm_reader__close(rd);
	shm_ring__close(r);
}

/* ---- a producer thread racing a reader ---- */
static struct shm_ring *race_ring;
static const uint64_t race_n = 2000000;

static atomic_bool race_done;
static _Atomic uint64_t race_last; /* the reader's last record, for pacing */
static _Atomic uint64_t race_published;

static void *race_producer(void *arg)
{
	(void)arg;
	for (uint64_t i = 1; i <= race_n; i++) {
		size_t n = 8 + (size_t)(i % 200);

		/* paced (near a lap, so copies do race the writer) in even
		 * 100,000s, flat out (laps, overruns) in odd ones */
		while ((i / 100000) % 2 == 0 && i > atomic_load(&race_last) + 450 &&
		       !atomic_load(&race_done))
			;
		uint8_t *p = shm_ring__reserve(race_ring, n);

		fill(p, n, i);
		shm_ring__commit(race_ring, n);
		atomic_store_explicit(&race_published, i, memory_order_relaxed);
	}
	atomic_store(&race_done, true);
	return NULL;
}

static void shm_race_never_torn(void)
{
	const struct shm_ring_opts o = {.size = SHM_RING_MIN_SIZE};
	struct fx_error err = {0};
	struct shm_reader *rd;
	static uint8_t buf[1 << 16];
	uint64_t seq, lost, got = 0, lost_total = 0, last = 0, bad = 0;
	pthread_t t;
	long n;

	REQUIRE(shm_ring__create(&race_ring, name, &o, &err) == 0);
	REQUIRE(shm_reader__open(&rd, name, true, &err) == 0);
	REQUIRE(pthread_create(&t, NULL, race_producer, NULL) == 0);
	while (last < race_n) {
		bool done = atomic_load(&race_done);

		n = shm_reader__next(rd, buf, sizeof(buf), &seq, &lost);
		if (n <= 0 && done)
			break;
		if (n <= 0) { /* caught up (an overrun jumps to the newest) */
			atomic_store(&race_last, atomic_load(&race_published));
			continue;
		}
		if ((size_t)n != 8 + seq % 200 || !good(buf, (size_t)n, seq) || seq <= last)
			bad++;
		last = seq;
		atomic_store(&race_last, seq);
		got++;
		lost_total += lost;
	}
	pthread_join(t, NULL);
	struct shm_reader_stats st;

	shm_reader__stats(rd, &st);
	printf("# race: %llu read, %llu lost in %llu overruns, %llu torn copies discarded\n",
	       (unsigned long long)got, (unsigned long long)lost_total,
	       (unsigned long long)st.overruns, (unsigned long long)st.retries);
	CHECKF(bad == 0, "%llu torn or out-of-order records", (unsigned long long)bad);
	CHECKF(got > race_n / 4 && st.overruns > 0, "only %llu read, %llu overruns",
	       (unsigned long long)got, (unsigned long long)st.overruns);
	/* a loss after the last record read shows only in a next record: none */
	lost_total += race_n - last;
	CHECKF(got + lost_total == race_n, "got %llu + lost %llu != %llu", (unsigned long long)got,
	       (unsigned long long)lost_total, (unsigned long long)race_n);
	shm_reader__close(rd);
	shm_ring__close(race_ring);
}

static void shm_stale_live_foreign(void)
{
	const struct shm_ring_opts keep = {.keep = true, .size = SHM_RING_MIN_SIZE};
	struct fx_error err = {0};
	struct shm_ring *r;
	int pfd[2];
	pid_t pid;
	char c, path[128];

	/* a producer that died without removing its ring: replaced */
	pid = fork();
	if (pid == 0) {
		struct shm_ring *x;

		_exit(shm_ring__create(&x, name, &keep, NULL) ? 1 : 0); /* no close: "crashed" */
	}
	REQUIRE(pid > 0);
	waitpid(pid, NULL, 0);
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	CHECK(access(path, F_OK) == 0);
	CHECK(shm_ring__create(&r, name, NULL, &err) == 0);
	shm_ring__close(r);
	CHECK(access(path, F_OK) != 0); /* removed at close */

	/* a live producer's ring: refused */
	REQUIRE(pipe(pfd) == 0);
	pid = fork();
	if (pid == 0) {
		struct shm_ring *x;

		close(pfd[0]);
		if (shm_ring__create(&x, name, NULL, NULL) == 0 && write(pfd[1], "k", 1) == 1)
			pause();
		_exit(1);
	}
	close(pfd[1]);
	CHECK(read(pfd[0], &c, 1) == 1);
	CHECKF(shm_ring__create(&r, name, NULL, &err) == -EBUSY && strstr(err.msg, "in use"),
	       "%s", err.msg);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pfd[0]);
	unlink(path);

	/* not a ring: refused and left as it was */
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);

	REQUIRE(fd >= 0);
	CHECK(write(fd, "not a ring", 10) == 10);
	close(fd);
	CHECK(shm_ring__create(&r, name, NULL, &err) == -EEXIST && strstr(err.msg, "not a feedrx"));
	struct shm_reader *rd;
	CHECK(shm_reader__open(&rd, name, false, &err) == -EPROTO);
	CHECK(access(path, F_OK) == 0);
	unlink(path);
}

/* whatever a failed case left in /dev/shm goes at exit */
static void remove_ring(void)
{
	char p[128];

	snprintf(p, sizeof(p), "/dev/shm/%s", name);
	unlink(p);
}

int main(void)
{
	snprintf(name, sizeof(name), "feedrx-test-%d", (int)getpid());
	atexit(remove_ring);
	RUN(shm_names);
	RUN(shm_exact_across_wrap);
	RUN(shm_overrun_counted);
	RUN(shm_race_never_torn);
	RUN(shm_stale_live_foreign);
	return check_exit();
}
