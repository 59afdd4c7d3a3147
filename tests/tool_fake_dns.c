// tool_fake_dns — a DNS server for the test bed whose answers the test
// controls: a name can be answered at once, after a delay, or never. Runs
// inside a namespace on 127.0.0.1:53 so that a program there (feedrx, whose
// resolver reads /etc/netns/<ns>/resolv.conf) asks it.
//
//   tool_fake_dns [-l ADDR:PORT] NAME=IP[/DELAY_MS] | NAME=hang ...
//
// A query for NAME (type A for an IPv4 IP, AAAA for an IPv6 one) is answered
// with IP after DELAY_MS (default 0); the other type gets "no data" with the
// same delay; "hang" is never answered; any other name is NXDOMAIN at once.
// Prints "ready" once bound; one line per query to stderr
// ("query NAME TYPE delay MS"). Memory is fixed: at most 256 answers wait.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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

#define MAX_NAMES 32
#define MAX_HELD 256

struct entry {
	char name[256];
	int family; /* 0: hang */
	uint8_t addr[16];
	long delay_ms;
};

struct held {
	double due;
	struct sockaddr_storage from;
	socklen_t fl;
	uint8_t r[600];
	size_t n;
};

static struct entry names[MAX_NAMES];
static int nnames;
static struct held held[MAX_HELD];

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int qname(const uint8_t *q, size_t n, char *name, size_t *end, uint16_t *qtype)
{
	size_t o = 12, w = 0;

	if (n < 12)
		return -1;
	while (o < n && q[o]) {
		size_t l = q[o++];
		if (l > 63 || o + l > n || w + l + 2 > 256)
			return -1;
		if (w)
			name[w++] = '.';
		for (size_t i = 0; i < l; i++) /* DNS names compare case-insensitively */
			name[w + i] =
			    (char)(q[o + i] >= 'A' && q[o + i] <= 'Z' ? q[o + i] + 32 : q[o + i]);
		w += l;
		o += l;
	}
	name[w] = 0;
	if (o + 5 > n || o + 5 > 512)
		return -1;
	*qtype = (uint16_t)(q[o + 1] << 8 | q[o + 2]);
	*end = o + 5;
	return 0;
}

/* Build the answer in r; the delay in *delay (-1: never). */
static size_t answer(const uint8_t *q, size_t n, uint8_t *r, long *delay, char *name,
		     uint16_t *qtype)
{
	struct entry *e = NULL;
	size_t end, o;
	int rcode = 3, an = 0, want;

	*delay = 0;
	if (qname(q, n, name, &end, qtype))
		return 0;
	for (int i = 0; i < nnames; i++)
		if (!strcmp(names[i].name, name))
			e = &names[i];
	if (e && !e->family) {
		*delay = -1;
		return 0;
	}
	if (e) {
		rcode = 0;
		*delay = e->delay_ms;
		want = e->family == AF_INET ? 1 : 28;
		an = *qtype == want;
	}
	memcpy(r, q, end);
	r[2] = (uint8_t)(0x81 | (q[2] & 0x01));
	r[3] = (uint8_t)(0x80 | rcode);
	r[4] = 0, r[5] = 1, r[6] = 0, r[7] = (uint8_t)an;
	r[8] = r[9] = r[10] = r[11] = 0;
	o = end;
	if (an) {
		size_t len = e->family == AF_INET ? 4 : 16;
		uint8_t rr[] = {0xc0, 0x0c, 0, (uint8_t)*qtype, 0, 1, 0, 0, 0, 5, 0, (uint8_t)len};
		memcpy(r + o, rr, sizeof(rr));
		o += sizeof(rr);
		memcpy(r + o, e->addr, len);
		o += len;
	}
	return o;
}

static int parse_entry(const char *s, struct entry *e)
{
	const char *eq = strchr(s, '=');
	char ip[64], *slash;

	if (!eq || eq == s || (size_t)(eq - s) >= sizeof(e->name) || strlen(eq + 1) >= sizeof(ip))
		return -1;
	memset(e, 0, sizeof(*e));
	for (size_t i = 0; i < (size_t)(eq - s); i++)
		e->name[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	strcpy(ip, eq + 1);
	if (!strcmp(ip, "hang"))
		return 0;
	if ((slash = strchr(ip, '/'))) {
		*slash = 0;
		e->delay_ms = atol(slash + 1);
	}
	if (inet_pton(AF_INET, ip, e->addr) == 1)
		e->family = AF_INET;
	else if (inet_pton(AF_INET6, ip, e->addr) == 1)
		e->family = AF_INET6;
	else
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *listen_at = "127.0.0.1:53";
	struct sockaddr_in a = {.sin_family = AF_INET};
	char host[64], *colon;
	int opt, fd;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	while ((opt = getopt(argc, argv, "l:")) != -1) {
		if (opt != 'l')
			return 2;
		listen_at = optarg;
	}
	for (int i = optind; i < argc; i++)
		if (nnames == MAX_NAMES || parse_entry(argv[i], &names[nnames++])) {
			fprintf(stderr, "tool_fake_dns: bad entry %s\n", argv[i]);
			return 2;
		}
	snprintf(host, sizeof(host), "%s", listen_at);
	colon = strrchr(host, ':');
	if (!colon)
		return 2;
	*colon = 0;
	a.sin_port = htons((uint16_t)atoi(colon + 1));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		fprintf(stderr, "tool_fake_dns: cannot listen on %s: %s\n", listen_at,
			strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		double now = now_ms(), next = -1;
		uint8_t q[512];
		int timeout;

		for (int i = 0; i < MAX_HELD; i++) {
			if (!held[i].n)
				continue;
			if (held[i].due <= now) {
				sendto(fd, held[i].r, held[i].n, 0,
				       (struct sockaddr *)&held[i].from, held[i].fl);
				held[i].n = 0;
			} else if (next < 0 || held[i].due < next) {
				next = held[i].due;
			}
		}
		timeout = next < 0 ? -1 : (int)(next - now) + 1;
		if (poll(&p, 1, timeout) <= 0)
			continue;
		{
			struct held h;
			char name[256];
			uint16_t qtype = 0;
			long delay;
			ssize_t n;

			h.fl = sizeof(h.from);
			n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&h.from, &h.fl);
			if (n <= 0)
				continue;
			h.n = answer(q, (size_t)n, h.r, &delay, name, &qtype);
			fprintf(stderr, "query %s %u delay %ld\n", name, qtype, delay);
			if (!h.n)
				continue;
			if (delay == 0) {
				sendto(fd, h.r, h.n, 0, (struct sockaddr *)&h.from, h.fl);
				continue;
			}
			h.due = now_ms() + (double)delay;
			for (int i = 0; i < MAX_HELD; i++)
				if (!held[i].n) {
					held[i] = h;
					break;
				}
		}
	}
}
