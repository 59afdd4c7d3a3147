/* feedrx-shm-read — read normalized events from a feedrx shared-memory
 * ring (feedrx --shm NAME) and print them as JSON lines; report every
 * overrun (events lost because this reader fell behind) on stderr, and a
 * summary at the end. Any number of readers may read one ring at once. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/fx_err.h"
#include "feed/feed_event_codec.h"
#include "feed/feed_event_json.h"
#include "shm/shm_ring.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: feedrx-shm-read [OPTION]... NAME\n"
		"Print the normalized events of the shared-memory ring /dev/shm/NAME (made by\n"
		"feedrx --shm NAME) as JSON lines on stdout; overruns go to stderr.\n\n"
		"  --from-start   begin with the oldest event still in the ring (default:\n"
		"                 the next one published)\n"
		"  --count N      exit after N events\n"
		"  --wait S       wait up to S seconds for the ring to appear\n"
		"  --busy         spin while the ring is empty (lowest latency, one\n"
		"                 CPU busy); default: spin briefly, then sleep 50 us\n"
		"  --quiet        print nothing per event (count and check only)\n"
		"  --help         this text\n\n"
		"Exit status: 0 when the producer closed the ring and every event was\n"
		"read, 3 when events were lost to overruns, 1 on errors, 2 on usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"from-start", 0, NULL, 'o'}, {"count", 1, NULL, 'c'}, {"wait", 1, NULL, 'w'},
	    {"busy", 0, NULL, 'b'},       {"quiet", 0, NULL, 'q'}, {"help", 0, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	bool from_start = false, busy = false, quiet = false;
	unsigned long long count = 0, got = 0, gaps = 0, last_seq = 0;
	double wait = 0;
	struct shm_reader *r = NULL;
	struct shm_reader_stats rs;
	struct fx_error err = {0};
	struct feed_event_store st = {0};
	struct feed_event e;
	size_t cap;
	char *rec, *line;
	int o, status = 0;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'o': from_start = true; break;
		case 'c': count = strtoull(optarg, NULL, 0); break;
		case 'w': wait = atof(optarg); break;
		case 'b': busy = true; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "feedrx-shm-read: name one ring (see --help)\n");
		return 2;
	}
	for (double waited = 0;; waited += 0.05) {
		if (shm_reader__open(&r, argv[optind], from_start, &err) == 0)
			break;
		if (waited >= wait || (err.code != -ENOENT && err.code != -EPROTO)) {
			fprintf(stderr, "feedrx-shm-read: %s\n", err.msg);
			return 1;
		}
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	cap = shm_reader__max_record(r);
	rec = malloc(cap);
	line = malloc(8 * cap + 4096);
	st.cap_levels = cap / 16;
	st.levels = malloc(st.cap_levels * sizeof(*st.levels));
	if (!rec || !line || !st.levels) {
		fprintf(stderr, "feedrx-shm-read: out of memory\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	for (unsigned idle = 0; !stop && (!count || got < count);) {
		uint64_t seq, lost;
		long n = shm_reader__next(r, rec, cap, &seq, &lost);

		if (lost) {
			fflush(stdout);
			fprintf(stderr, "feedrx-shm-read: overrun: %" PRIu64 " events lost (the "
					"producer lapped this reader)\n", lost);
			status = 3;
		}
		if (n == -EPIPE)
			break;
		if (n < 0) {
			fprintf(stderr, "feedrx-shm-read: bad record: %s\n", fx_strerror((int)n));
			status = 1;
			continue;
		}
		if (n == 0) {
			if (!quiet && idle == 0)
				fflush(stdout);
			if (!busy && ++idle > 2000)
				nanosleep(&(struct timespec){0, 50000}, NULL);
			continue;
		}
		idle = 0;
		if (feed_event_decode(rec, (size_t)n, &e, &st) < 0) {
			fprintf(stderr, "feedrx-shm-read: undecodable event (record %" PRIu64 ")\n",
				seq);
			status = 1;
			continue;
		}
		got++;
		/* the events' own numbering: gapless per feedrx process */
		if (last_seq && e.seq != last_seq + 1)
			gaps++;
		last_seq = e.seq;
		if (!quiet) {
			long l = feed_event_json(line, 8 * cap + 4096, &e);

			if (l > 0) {
				line[l++] = '\n';
				if (fwrite(line, 1, (size_t)l, stdout) != (size_t)l)
					break;
			}
		}
	}
	fflush(stdout);
	shm_reader__stats(r, &rs);
	fprintf(stderr,
		"feedrx-shm-read: %llu events, %" PRIu64 " overruns, %" PRIu64 " events lost, "
		"%llu seq breaks\n",
		got, rs.overruns, rs.lost, gaps);
	shm_reader__close(r);
	free(rec);
	free(line);
	free(st.levels);
	return status;
}
