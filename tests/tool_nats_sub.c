/* tool_nats_sub — a real NATS subscriber (libnats) for the NATS sink's
 * tests and benchmark: subscribes to SUBJECT (default "feedrx.>"), prints
 * "ready" once the server has the subscription, then receives until COUNT
 * events arrived or IDLE seconds pass without one, and checks each:
 * the event's seq (JSON "seq" or the flat record's), exactly once and in
 * order, and the subject it came on (feedrx.<venue>.<symbol>.<type>).
 *   tool_nats_sub URL COUNT [IDLE_S] [SUBJECT]
 * Last line: "received N first F last L dups D gaps G bad_subject B
 * secs S"; exit 0 when exactly COUNT events 1..COUNT came once each. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "feed/feed_event.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* JSON "key":"value" (string) into out. */
static bool json_str(const char *p, int n, const char *key, char *out, size_t cap)
{
	char k[32];
	const char *s, *e;

	snprintf(k, sizeof(k), "\"%s\":\"", key);
	s = memmem(p, (size_t)n, k, strlen(k));
	if (!s)
		return false;
	s += strlen(k);
	e = memchr(s, '"', (size_t)(p + n - s));
	if (!e || (size_t)(e - s) >= cap)
		return false;
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = 0;
	return true;
}

int main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	natsOptions *opts = NULL;
	uint64_t count, got = 0, last = 0, first = 0, dups = 0, gaps = 0, bad = 0;
	double idle, t0 = 0, t1 = 0;
	natsStatus s;

	if (argc < 3) {
		fprintf(stderr, "usage: tool_nats_sub URL COUNT [IDLE_S] [SUBJECT]\n");
		return 2;
	}
	count = strtoull(argv[2], NULL, 0);
	idle = argc > 3 ? atof(argv[3]) : 5;
	natsOptions_Create(&opts);
	natsOptions_SetURL(opts, argv[1]);
	natsOptions_SetMaxReconnect(opts, 0);
	s = natsConnection_Connect(&nc, opts);
	if (s == NATS_OK)
		s = natsConnection_SubscribeSync(&sub, nc, argc > 4 ? argv[4] : "feedrx.>");
	/* never drop on this side: a loss must be the publisher's */
	if (s == NATS_OK)
		s = natsSubscription_SetPendingLimits(sub, -1, -1);
	if (s == NATS_OK)
		s = natsConnection_Flush(nc);
	if (s != NATS_OK) {
		fprintf(stderr, "tool_nats_sub: %s\n", natsStatus_GetText(s));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (got < count) {
		natsMsg *m = NULL;
		const char *d, *subj;
		int n;
		uint64_t seq = 0;
		char type[16] = "", sym[64] = "", venue[64] = "", want[200];

		s = natsSubscription_NextMsg(&m, sub, (int64_t)(idle * 1000));
		if (s != NATS_OK)
			break;
		if (!got)
			t0 = now();
		t1 = now();
		d = natsMsg_GetData(m);
		n = natsMsg_GetDataLength(m);
		subj = natsMsg_GetSubject(m);
		if (n > 0 && d[0] == '{') {
			const char *p = strstr(d, "\"seq\":");

			seq = p ? strtoull(p + 6, NULL, 10) : 0;
			json_str(d, n, "type", type, sizeof(type));
			json_str(d, n, "symbol", sym, sizeof(sym));
			json_str(d, n, "venue", venue, sizeof(venue));
		} else if (n >= 40) { /* the flat record (feed_event_codec.h) */
			const uint8_t *b = (const uint8_t *)d;

			for (int i = 7; i >= 0; i--)
				seq = seq << 8 | b[8 + i];
			snprintf(type, sizeof(type), "%s", feed_event_type_name(b[1]));
			if (n >= 80 + b[32] + b[33] && b[1] != FEED_EV_BOOK && b[1] != FEED_EV_TOP) {
				memcpy(venue, d + 80, b[32]);
				venue[b[32]] = 0;
				memcpy(sym, d + 80 + b[32], b[33]);
				sym[b[33]] = 0;
			}
		}
		if (!strcmp(type, "status"))
			snprintf(want, sizeof(want), "feedrx.%s.status", venue);
		else
			snprintf(want, sizeof(want), "feedrx.%s.%s.%s", venue, sym, type);
		if (venue[0] && strcmp(subj, want))
			bad++;
		if (!first)
			first = seq;
		if (seq <= last)
			dups++;
		else if (last && seq != last + 1)
			gaps++;
		if (seq > last)
			last = seq;
		got++;
		natsMsg_Destroy(m);
	}
	printf("received %" PRIu64 " first %" PRIu64 " last %" PRIu64 " dups %" PRIu64
	       " gaps %" PRIu64 " bad_subject %" PRIu64 " secs %.3f\n",
	       got, first, last, dups, gaps, bad, t1 - t0);
	natsSubscription_Destroy(sub);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(opts);
	nats_Close();
	return got == count && first == 1 && last == count && !dups && !gaps && !bad ? 0 : 1;
}
