// tool_fwd_reorder — the test bed's delay/reorder box (docs/ARCHITECTURE.md §5).
//
// Runs in the middle namespace of the three-namespace bed. Reads every frame
// arriving on IN_DEV through an AF_PACKET socket and sends it out of OUT_DEV
// unchanged, except that PERMILLE of the frames (chosen by a seeded PRNG, so
// runs are repeatable) are held back and sent only after HOLD_FRAMES later
// frames have passed or HOLD_MS have elapsed, whichever comes first: the
// receiver sees them out of order. nftables cannot delay, hence this program.
//
//   tool_fwd_reorder [-n HOLD_FRAMES] [-t HOLD_MS] [-c SLOTS] [-s SEED] IN_DEV OUT_DEV PERMILLE
//
// Memory is fixed at start: SLOTS frames of up to SLOT_BYTES each. When every
// slot is in use the oldest held frame is released early; frames longer than a
// slot are never held. Prints "ready" once both sockets are bound, a stats line
// on SIGUSR1 and at exit; SIGTERM/SIGINT send the held frames, then exit. It
// also gets SIGTERM when its parent (the test shell) dies.
#include <errno.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOT_BYTES 2048u
#define MAX_SLOTS 4096u
#define RX_BYTES 65536u
#define BURST 64

struct fwd_slot {
	uint64_t release_at; // value of passed count at which to send
	uint64_t deadline_ns;
	uint32_t len;
	uint8_t data[SLOT_BYTES];
};

struct fwd_stats {
	uint64_t frames;   // received on IN_DEV
	uint64_t held;	   // of those, held back
	uint64_t passed;   // sent at once
	uint64_t early;	   // held frames released early because every slot was in use
	uint64_t oversize; // too long to hold, sent at once
	uint64_t send_err;
	uint64_t sock_drops; // dropped by the kernel before this program read them
};

struct fwd {
	int rx_fd, tx_fd;
	uint32_t permille, hold_frames, hold_ms, nslots;
	uint64_t rng;
	struct fwd_slot *slots; // FIFO ring: release order is hold order
	uint32_t head, count;
	struct fwd_stats st;
};

static volatile sig_atomic_t fwd_stop, fwd_report;

static void fwd_on_signal(int sig)
{
	if (sig == SIGUSR1)
		fwd_report = 1;
	else
		fwd_stop = 1;
}

static uint64_t fwd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// splitmix64: small, fast, fully determined by the seed.
static uint64_t fwd_rand(struct fwd *f)
{
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int fwd_open(const char *dev, int rx)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	int one = 1, buf = 8 << 20;
	int fd;

	sll.sll_ifindex = (int)if_nametoindex(dev);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "fwd_reorder: no device %s\n", dev);
		return -1;
	}
	// Protocol 0 until bound: nothing is queued from other devices meanwhile.
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	if (rx) {
		sll.sll_protocol = htons(ETH_P_ALL);
		if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) ||
		    (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) &&
		     setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf))))
			goto err_close;
	} else if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) &&
		   setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf))) {
		goto err_close;
	}
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto err_close;
	return fd;

err_close:
	close(fd);
err:
	fprintf(stderr, "fwd_reorder: %s: %s\n", dev, strerror(errno));
	return -1;
}

static void fwd_send(struct fwd *f, const void *buf, size_t len)
{
	// A full device queue is the only expected failure; retry it briefly.
	for (int i = 0; i < 100; i++) {
		if (send(f->tx_fd, buf, len, 0) == (ssize_t)len)
			return;
		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
			break;
		usleep(100);
	}
	f->st.send_err++;
}

static void fwd_release_head(struct fwd *f)
{
	struct fwd_slot *s = &f->slots[f->head];

	fwd_send(f, s->data, s->len);
	f->head = (f->head + 1) % f->nslots;
	f->count--;
}

// Send the held frames that are due: enough frames passed them, or time is up.
static void fwd_release_due(struct fwd *f, uint64_t now)
{
	while (f->count) {
		struct fwd_slot *s = &f->slots[f->head];

		if (f->st.passed < s->release_at && now < s->deadline_ns)
			break;
		fwd_release_head(f);
	}
}

static void fwd_frame(struct fwd *f, const uint8_t *buf, uint32_t len, uint64_t now)
{
	f->st.frames++;
	if (f->permille && fwd_rand(f) % 1000 < f->permille) {
		if (len > SLOT_BYTES) {
			f->st.oversize++;
		} else {
			if (f->count == f->nslots) {
				f->st.early++;
				fwd_release_head(f);
			}
			struct fwd_slot *s = &f->slots[(f->head + f->count) % f->nslots];
			memcpy(s->data, buf, len);
			s->len = len;
			s->release_at = f->st.passed + f->hold_frames;
			s->deadline_ns = now + (uint64_t)f->hold_ms * 1000000ull;
			f->count++;
			f->st.held++;
			return;
		}
	}
	fwd_send(f, buf, len);
	f->st.passed++;
	fwd_release_due(f, now);
}

static void fwd_print_stats(struct fwd *f)
{
	struct tpacket_stats ps;
	socklen_t sl = sizeof(ps);

	// Reading PACKET_STATISTICS resets the kernel's numbers: accumulate.
	if (!getsockopt(f->rx_fd, SOL_PACKET, PACKET_STATISTICS, &ps, &sl))
		f->st.sock_drops += ps.tp_drops;
	printf("fwd_reorder: frames=%" PRIu64 " held=%" PRIu64 " passed=%" PRIu64 " early=%" PRIu64
	       " oversize=%" PRIu64 " send_err=%" PRIu64 " sock_drops=%" PRIu64 "\n",
	       f->st.frames, f->st.held, f->st.passed, f->st.early, f->st.oversize, f->st.send_err,
	       f->st.sock_drops);
	fflush(stdout);
}

// Signals stay blocked except inside ppoll, so a stop request never waits
// for the next frame.
static int fwd_run(struct fwd *f, const sigset_t *waitmask)
{
	static uint8_t buf[RX_BYTES];
	struct pollfd pfd = {.fd = f->rx_fd, .events = POLLIN};

	while (!fwd_stop) {
		struct timespec ts, *tsp = NULL;
		uint64_t now = fwd_now_ns();

		if (fwd_report) {
			fwd_report = 0;
			fwd_print_stats(f);
		}
		fwd_release_due(f, now);
		if (f->count) {
			uint64_t d = f->slots[f->head].deadline_ns;
			uint64_t wait = d > now ? d - now : 0;

			ts.tv_sec = (time_t)(wait / 1000000000ull);
			ts.tv_nsec = (long)(wait % 1000000000ull);
			tsp = &ts;
		}
		int n = ppoll(&pfd, 1, tsp, waitmask);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("fwd_reorder: ppoll");
			return -1;
		}
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			fprintf(stderr, "fwd_reorder: input device gone\n");
			return -1;
		}
		for (int i = 0; n > 0 && i < BURST; i++) {
			ssize_t len = recv(f->rx_fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

			if (len < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				perror("fwd_reorder: recv");
				return -1;
			}
			if ((size_t)len > sizeof(buf)) { // cannot happen on an MTU-sized veth
				f->st.send_err++;
				continue;
			}
			fwd_frame(f, buf, (uint32_t)len, fwd_now_ns());
		}
	}
	return 0;
}

static int fwd_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static void fwd_usage(void)
{
	fprintf(stderr, "usage: tool_fwd_reorder [-n HOLD_FRAMES] [-t HOLD_MS] [-c SLOTS] "
			"[-s SEED] IN_DEV OUT_DEV PERMILLE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct fwd f = {.hold_frames = 3, .hold_ms = 2, .nslots = 256, .rng = 1};
	struct sigaction sa = {.sa_handler = fwd_on_signal};
	sigset_t block, waitmask;
	uint32_t seed = 1;
	int opt, rc = 1;

	while ((opt = getopt(argc, argv, "n:t:c:s:")) != -1) {
		int bad = 0;

		switch (opt) {
		case 'n':
			bad = fwd_parse_u32(optarg, UINT32_MAX, &f.hold_frames);
			break;
		case 't':
			bad = fwd_parse_u32(optarg, 10000, &f.hold_ms);
			break;
		case 'c':
			bad = fwd_parse_u32(optarg, MAX_SLOTS, &f.nslots) || !f.nslots;
			break;
		case 's':
			bad = fwd_parse_u32(optarg, UINT32_MAX, &seed);
			break;
		default:
			fwd_usage();
		}
		if (bad)
			fwd_usage();
	}
	if (argc - optind != 3 || fwd_parse_u32(argv[optind + 2], 1000, &f.permille))
		fwd_usage();
	f.rng = seed;

	f.slots = calloc(f.nslots, sizeof(*f.slots));
	if (!f.slots) {
		perror("fwd_reorder: calloc");
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	// A test shell that dies without its teardown must not leave this behind.
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() == 1)
		goto out_free;

	f.tx_fd = fwd_open(argv[optind + 1], 0);
	if (f.tx_fd < 0)
		goto out_free;
	f.rx_fd = fwd_open(argv[optind], 1);
	if (f.rx_fd < 0)
		goto out_tx;
	printf("ready\n");
	fflush(stdout);

	rc = fwd_run(&f, &waitmask) ? 1 : 0;
	while (f.count) // nothing held is lost on a clean stop
		fwd_release_head(&f);
	fwd_print_stats(&f);

	close(f.rx_fd);
out_tx:
	close(f.tx_fd);
out_free:
	free(f.slots);
	return rc;
}
