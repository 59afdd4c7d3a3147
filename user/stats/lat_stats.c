/* lat_stats — stage deltas into per-stage histograms; the live line, the
 * exit table and the JSON report. */
#include "lat_stats.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"

static const struct {
	const char *name;
	const char *label;
} stages[LAT_ST__MAX] = {
	[LAT_ST_WIRE] = { "wire", "send -> first rx stamp" },
	[LAT_ST_XDP_DRAIN] = { "xdp_drain", "xdp -> ring drained" },
	[LAT_ST_DRAIN_REASM] = { "drain_reasm", "drained -> reassembled" },
	[LAT_ST_REASM_DECRYPT] = { "reasm_decrypt", "reassembled -> decrypted" },
	[LAT_ST_DECRYPT_FRAME] = { "decrypt_frame", "decrypted -> frame decoded" },
	[LAT_ST_FRAME_HANDLER] = { "frame_handler", "frame -> handler called" },
	[LAT_ST_RX] = { "rx", "first rx stamp -> handler" },
	[LAT_ST_E2E] = { "e2e", "send -> handler (end to end)" },
	[LAT_ST_EXCHANGE] = { "exchange", "exchange E -> handler (realtime)" },
	[LAT_ST_EXCH_ARRIVAL] = { "exchange_arrival", "exchange E -> arrival (realtime)" },
};

/* Names of enum fx_counter, in order. */
static const char *const xdp_names[FX_CNT__MAX] = {
	[FX_CNT_STEERED] = "steered",
	[FX_CNT_PASSED] = "passed",
	[FX_CNT_MALFORMED] = "malformed",
	[FX_CNT_REDIRECT_FAIL] = "redirect_fail",
	[FX_CNT_META_FAIL] = "meta_fail",
	[FX_CNT_FRAGMENT] = "fragment",
	[FX_CNT_STALE] = "stale",
	[FX_CNT_NIC_NOSTAMP] = "nic_nostamp",
	[FX_CNT_TAP_COPIED] = "tap_copied",
	[FX_CNT_TAP_LOST] = "tap_lost",
};
_Static_assert(FX_CNT__MAX == 10, "name every XDP counter above");

static const double report_ps[] = { 50, 90, 99, 99.9 };
static const double grid_ps[] = { 0,  1,  5,  10, 20, 30,   40,   50,    60,    70,  75,
				  80, 85, 90, 95, 97, 98.5, 99.0, 99.5, 99.7, 99.9, 99.95,
				  99.99 };
#define N_GRID ARRAY_SIZE(grid_ps)
#define N_PS ARRAY_SIZE(report_ps)

uint64_t lat_stats_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *lat_stats_stage_name(enum lat_stage st)
{
	return (unsigned int)st < LAT_ST__MAX ? stages[st].name : "?";
}

const char *lat_stats_stage_label(enum lat_stage st)
{
	return (unsigned int)st < LAT_ST__MAX ? stages[st].label : "?";
}

void lat_stats__init(struct lat_stats *s, uint64_t now_ns)
{
	memset(&s->c, 0, sizeof(s->c));
	memset(&s->prev, 0, sizeof(s->prev));
	memset(s->negative, 0, sizeof(s->negative));
	s->implausible = 0;
	s->kernel_only = false;
	s->arrival_clock = LAT_CLK_AUTO;
	for (int i = 0; i < LAT_ST__MAX; i++) {
		lat_hist__init(&s->win[i]);
		lat_hist__init(&s->total[i]);
	}
	lat_hist__init(&s->scratch);
	lat_hist__init(&s->service);
	s->start_ns = s->last_ns = now_ns;
}

int lat_stats__new(struct lat_stats **out)
{
	struct lat_stats *s = malloc(sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	lat_stats__init(s, lat_stats_now_ns());
	s->json_feeds = NULL;
	s->json_feeds_user = NULL;
	*out = s;
	return 0;
}

void lat_stats__free(struct lat_stats *s)
{
	free(s);
}

static inline void put(struct lat_stats *s, enum lat_stage st, uint64_t from, uint64_t to)
{
	if (to >= from)
		lat_hist__record(&s->win[st], to - from);
	else
		s->negative[st]++;
}

uint64_t lat_stats_epoch_ns(uint64_t v)
{
	/* 2001-09-09 .. 2286-11-20 in each unit */
	if (v >= 1000000000000ull && v < 10000000000000ull)
		return v * 1000000;
	if (v >= 1000000000000000ull && v < 10000000000000000ull)
		return v * 1000;
	if (v >= 1000000000000000000ull && v < 10000000000000000000ull)
		return v;
	return 0;
}

void lat_stats__record(struct lat_stats *s, const struct lat_stamps *st)
{
	uint64_t first = 0, prev = 0;
	int first_pt = LAT_PT__MAX;

	for (int p = 0; p < LAT_PT__MAX; p++) {
		uint64_t t = st->at[p];
		if (!t) {
			prev = 0; /* a gap: no delta across it */
			continue;
		}
		if (!first)
			first = t, first_pt = p;
		if (prev)
			put(s, (enum lat_stage)(LAT_ST_XDP_DRAIN + p - 1), prev, t);
		prev = t;
	}
	uint64_t handler = st->at[LAT_PT_HANDLER];
	/* the handler alone (the kernel path) is no arrival stamp; with NIC
	 * stamps only the NIC's is (a frame it did not stamp has no arrival:
	 * a later point would be another clock's moment in the same rows) */
	bool arrival = first && first_pt < LAT_PT_HANDLER &&
		       (s->arrival_clock != LAT_CLK_NIC || first_pt == LAT_PT_XDP);
	if (st->send_ns && arrival)
		put(s, LAT_ST_WIRE, st->send_ns, first);
	if (arrival && handler)
		put(s, LAT_ST_RX, first, handler);
	if (st->send_ns && handler)
		put(s, LAT_ST_E2E, st->send_ns, handler);
	/* ms -> ns cannot overflow for any realtime this century */
	uint64_t ev = st->event_ns ? st->event_ns
		      : st->event_ms < UINT64_MAX / 1000000 ? st->event_ms * 1000000 : 0;
	if (ev && st->real_ns) {
		uint64_t d = st->real_ns > ev ? st->real_ns - ev : ev - st->real_ns;

		if (d > LAT_STATS_EXCH_MAX_NS) {
			s->implausible++;
			return;
		}
		put(s, LAT_ST_EXCHANGE, ev, st->real_ns);
		/* realtime at arrival: the handler's, less the exact mono delta */
		if (arrival && handler >= first)
			put(s, LAT_ST_EXCH_ARRIVAL, ev, st->real_ns - (handler - first));
	}
}

static void roll_window(struct lat_stats *s)
{
	for (int i = 0; i < LAT_ST__MAX; i++) {
		lat_hist__merge(&s->total[i], &s->win[i]);
		lat_hist__reset(&s->win[i]);
	}
}

/* Append to a fixed buffer, truncating: *len counts what fits. */
__attribute__((format(printf, 4, 5))) static void bput(char *buf, size_t size, size_t *len,
							const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len + 1 >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

/* "p50/p99" of a histogram in us, or "-" when it is empty. */
static void put_p50_p99(char *buf, size_t size, size_t *len, const char *what,
			const struct lat_hist *h)
{
	static const double ps[] = { 50, 99 };
	uint64_t v[2];

	if (!h->count) {
		bput(buf, size, len, "  %s -", what);
		return;
	}
	lat_hist__percentiles(h, ps, v, 2);
	bput(buf, size, len, "  %s p50 %.1f p99 %.1f us", what, v[0] / 1e3, v[1] / 1e3);
}

size_t lat_stats__live_format(struct lat_stats *s, char *buf, size_t size, uint64_t now_ns)
{
	double dt = now_ns > s->last_ns ? (double)(now_ns - s->last_ns) / 1e9 : 0;
	double el = now_ns > s->start_ns ? (double)(now_ns - s->start_ns) / 1e9 : 0;
	const struct lat_counters *c = &s->c, *p = &s->prev;
	double inv = dt > 0 ? 1.0 / dt : 0;
	size_t len = 0;

	if (size)
		buf[0] = 0;
	/* a timer that fires late fires twice in a row: one line per second */
	if (now_ns - s->last_ns < 500000000ull && s->last_ns != s->start_ns)
		return 0;
	bput(buf, size, &len, "[%7.1fs] %.0f msg/s %.2f MB/s", el,
	     (double)(c->msgs - p->msgs) * inv, (double)(c->bytes - p->bytes) * inv / 1e6);
	/* end to end needs the simulator's send time; against an exchange,
	 * its event time is what there is (two clocks) */
	if (s->win[LAT_ST_E2E].count || !s->win[LAT_ST_EXCHANGE].count)
		put_p50_p99(buf, size, &len, "e2e", &s->win[LAT_ST_E2E]);
	else
		put_p50_p99(buf, size, &len, "exch->handler", &s->win[LAT_ST_EXCHANGE]);
	if (s->win[LAT_ST_EXCH_ARRIVAL].count && !s->win[LAT_ST_E2E].count)
		put_p50_p99(buf, size, &len, "exch->rx", &s->win[LAT_ST_EXCH_ARRIVAL]);
	if (s->kernel_only && s->win[LAT_ST_RX].count)
		put_p50_p99(buf, size, &len, "rx", &s->win[LAT_ST_RX]); /* kernel stamps */
	if (!s->kernel_only) {
		put_p50_p99(buf, size, &len, "rx", &s->win[LAT_ST_RX]);
		bput(buf, size, &len, "  drops %llu  fast %llu shadow %llu",
		     (unsigned long long)(c->drops - p->drops),
		     (unsigned long long)(c->fast - p->fast),
		     (unsigned long long)(c->shadow - p->shadow));
	}
	/* the XDP program's counters, in XDP mode only */
	uint64_t any = 0;
	for (int i = 0; i < FX_CNT__MAX; i++)
		any |= c->xdp[i];
	if (any) {
		bput(buf, size, &len, "  xdp");
		for (int i = 0; i < FX_CNT__MAX; i++)
			if (c->xdp[i] != p->xdp[i] || i == FX_CNT_STEERED)
				bput(buf, size, &len, " %s %llu", xdp_names[i],
				     (unsigned long long)(c->xdp[i] - p->xdp[i]));
	}
	s->prev = s->c;
	s->last_ns = now_ns;
	roll_window(s);
	return len;
}

void lat_stats__live_line_at(struct lat_stats *s, FILE *f, uint64_t now_ns)
{
	char line[LAT_STATS_LIVE_MAX];

	if (!lat_stats__live_format(s, line, sizeof(line), now_ns))
		return; /* not a second since the last line */
	fprintf(f, "%s\n", line);
	fflush(f);
}

void lat_stats__live_line(struct lat_stats *s, FILE *f)
{
	lat_stats__live_line_at(s, f, lat_stats_now_ns());
}

/* total + window of one stage into s->scratch. */
static const struct lat_hist *combined(struct lat_stats *s, int st)
{
	s->scratch = s->total[st];
	lat_hist__merge(&s->scratch, &s->win[st]);
	return &s->scratch;
}

const struct lat_hist *lat_stats__combined(struct lat_stats *s, enum lat_stage st)
{
	return combined(s, (int)st);
}

const char *lat_stats_xdp_name(int counter)
{
	return counter >= 0 && counter < FX_CNT__MAX ? xdp_names[counter] : "?";
}

const char *lat_arrival_clock_name(enum lat_arrival_clock c)
{
	static const char *const names[LAT_CLK__MAX] = {
		[LAT_CLK_AUTO] = "auto",
		[LAT_CLK_XDP_KTIME] = "xdp-ktime",
		[LAT_CLK_NIC] = "nic",
		[LAT_CLK_KERNEL_SW] = "kernel-rx-software",
	};

	return (unsigned)c < LAT_CLK__MAX ? names[c] : "?";
}

enum lat_arrival_clock lat_stats__arrival_clock(const struct lat_stats *s)
{
	if (s->arrival_clock != LAT_CLK_AUTO)
		return s->arrival_clock;
	return s->kernel_only ? LAT_CLK_KERNEL_SW : LAT_CLK_XDP_KTIME;
}

int lat_stats__set_arrival_clock(struct lat_stats *s, enum lat_arrival_clock c)
{
	if ((unsigned)c >= LAT_CLK__MAX || c == LAT_CLK_AUTO)
		return -EINVAL;
	if (c == lat_stats__arrival_clock(s)) {
		s->arrival_clock = c;
		return 0;
	}
	/* the histograms that start at arrival must not hold another clock's */
	if (s->win[LAT_ST_RX].count || s->total[LAT_ST_RX].count || s->win[LAT_ST_WIRE].count ||
	    s->total[LAT_ST_WIRE].count)
		return -EBUSY;
	s->arrival_clock = c;
	return 0;
}

void lat_stats__summary(struct lat_stats *s, FILE *f)
{
	double el = (double)(lat_stats_now_ns() - s->start_ns) / 1e9;
	int notes = 0;

	fprintf(f, "latency per stage in us (stamps: CLOCK_MONOTONIC ns; "
		   "exchange rows: CLOCK_REALTIME, the exchange's clock against ours;\n"
		   " percentiles are histogram bucket floors, at most 0.8 %% below the sample;\n"
		   " arrival stamped by %s)\n", lat_arrival_clock_name(lat_stats__arrival_clock(s)));
	fprintf(f, "%-34s %10s %10s %10s %10s %10s %10s\n", "stage", "count", "p50", "p90",
		"p99", "p99.9", "max");
	for (int i = 0; i < LAT_ST__MAX; i++) {
		const struct lat_hist *h = combined(s, i);
		uint64_t v[N_PS];

		/* the kernel path has no stamps before its handler */
		if (s->kernel_only && !h->count)
			continue;
		fprintf(f, "%-34s %10llu", stages[i].label, (unsigned long long)h->count);
		if (!h->count) {
			fprintf(f, " %10s %10s %10s %10s %10s\n", "-", "-", "-", "-", "-");
		} else {
			lat_hist__percentiles(h, report_ps, v, N_PS);
			for (unsigned int k = 0; k < N_PS; k++)
				fprintf(f, " %10.3f", v[k] / 1e3);
			fprintf(f, " %10.3f\n", h->max / 1e3);
		}
		notes += h->clamped || s->negative[i];
	}
	if (s->service.count) {
		uint64_t v[N_PS];

		lat_hist__percentiles(&s->service, report_ps, v, N_PS);
		fprintf(f, "%-34s %10llu", "fast path, per message (no queue)",
			(unsigned long long)s->service.count);
		for (unsigned int k = 0; k < N_PS; k++)
			fprintf(f, " %10.3f", v[k] / 1e3);
		fprintf(f, " %10.3f\n", s->service.max / 1e3);
	}
	if (notes) {
		for (int i = 0; i < LAT_ST__MAX; i++) {
			const struct lat_hist *h = combined(s, i);
			if (s->negative[i] || h->clamped)
				fprintf(f, "  note: %s: %llu negative (not recorded), %llu clamped at "
					   "%.0f s\n",
					stages[i].name, (unsigned long long)s->negative[i],
					(unsigned long long)h->clamped, (double)LAT_HIST_LIMIT / 1e9);
		}
	}
	if (s->implausible)
		fprintf(f, "  note: exchange: %llu event times more than %.0f s from the local "
			   "clock (not an epoch time, or the clock is off), not recorded\n",
			(unsigned long long)s->implausible, (double)LAT_STATS_EXCH_MAX_NS / 1e9);
	if (s->kernel_only && !s->total[LAT_ST_RX].count && !s->win[LAT_ST_RX].count)
		fprintf(f, "  note: the kernel gave no receive stamps: arrival -> handler and "
			   "exchange -> arrival are not measured\n");
	const struct lat_counters *c = &s->c;
	if (s->kernel_only)
		fprintf(f, "%llu msgs, %llu bytes in %.1f s (%.0f msg/s)\n",
			(unsigned long long)c->msgs, (unsigned long long)c->bytes, el,
			el > 0 ? (double)c->msgs / el : 0.0);
	else
		fprintf(f, "%llu msgs, %llu bytes in %.1f s (%.0f msg/s); drops %llu; fast %llu, "
			   "shadow %llu\n",
			(unsigned long long)c->msgs, (unsigned long long)c->bytes, el,
			el > 0 ? (double)c->msgs / el : 0.0, (unsigned long long)c->drops,
			(unsigned long long)c->fast, (unsigned long long)c->shadow);
	uint64_t any = 0; /* XDP mode only: the kernel path has no program */
	for (int i = 0; i < FX_CNT__MAX; i++)
		any |= c->xdp[i];
	if (any) {
		fprintf(f, "xdp:");
		for (int i = 0; i < FX_CNT__MAX; i++)
			fprintf(f, " %s %llu", xdp_names[i], (unsigned long long)c->xdp[i]);
		fprintf(f, "\n");
	}
	fflush(f);
}

static void json_us(FILE *f, const char *key, uint64_t ns)
{
	fprintf(f, ",\"%s\":%llu.%03llu", key, (unsigned long long)(ns / 1000),
		(unsigned long long)(ns % 1000));
}

/* One stage object of the JSON report. */
static void json_stage(FILE *f, const char *sep, const char *name, const char *label,
		       const struct lat_hist *h, uint64_t negative)
{
	static const char *const pkeys[N_PS] = { "p50", "p90", "p99", "p99_9" };
	uint64_t v[N_PS];

	fprintf(f, "%s\"%s\":{\"label\":\"%s\",\"count\":%llu,\"negative\":%llu,\"clamped\":%llu",
		sep, name, label, (unsigned long long)h->count, (unsigned long long)negative,
		(unsigned long long)h->clamped);
	if (h->count) {
		lat_hist__percentiles(h, report_ps, v, N_PS);
		json_us(f, "min", h->min);
		for (unsigned int k = 0; k < N_PS; k++)
			json_us(f, pkeys[k], v[k]);
		json_us(f, "max", h->max);
		fprintf(f, ",\"mean\":%.3f", lat_hist__mean(h) / 1e3);
		/* a finer grid for plots: [[percentile, us], ...] */
		fprintf(f, ",\"percentiles\":[");
		for (unsigned int k = 0; k < N_GRID; k++) {
			uint64_t ns = lat_hist__percentile(h, grid_ps[k]);

			fprintf(f, "%s[%g,%llu.%03llu]", k ? "," : "", grid_ps[k],
				(unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000));
		}
		fprintf(f, "]");
		/* the histogram itself, for plots of the real tail: every bucket
		 * that holds samples, [low us, high us, count], ascending */
		fprintf(f, ",\"buckets\":[");
		const char *sep2 = "";
		for (uint32_t i = lat_hist_index(h->min); i <= lat_hist_index(h->max); i++) {
			uint64_t lo, hi;

			if (!h->counts[i])
				continue;
			lo = lat_hist_bucket_low(i);
			hi = lat_hist_bucket_high(i);
			fprintf(f, "%s[%llu.%03llu,%llu.%03llu,%llu]", sep2,
				(unsigned long long)(lo / 1000), (unsigned long long)(lo % 1000),
				(unsigned long long)(hi / 1000), (unsigned long long)(hi % 1000),
				(unsigned long long)h->counts[i]);
			sep2 = ",";
		}
		fprintf(f, "]");
	} else {
		fprintf(f, ",\"min\":null,\"p50\":null,\"p90\":null,\"p99\":null,"
			   "\"p99_9\":null,\"max\":null,\"mean\":null");
	}
	fprintf(f, "}");
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_string(FILE *f, const char *str)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void lat_stats__json(struct lat_stats *s, FILE *f)
{
	lat_stats__json_error(s, f, NULL);
}

void lat_stats__json_error(struct lat_stats *s, FILE *f, const char *error)
{
	const struct lat_counters *c = &s->c;

	fprintf(f, "{\"clock\":\"CLOCK_MONOTONIC\",\"exchange_clock\":\"CLOCK_REALTIME_MS\","
		   "\"arrival_clock\":\"%s\",\"unit\":\"us\",\"elapsed_s\":%.3f,\"error\":",
		lat_arrival_clock_name(lat_stats__arrival_clock(s)),
		(double)(lat_stats_now_ns() - s->start_ns) / 1e9);
	if (error)
		json_string(f, error);
	else
		fputs("null", f);
	fputc(',', f);
	fprintf(f, "\"counters\":{\"msgs\":%llu,\"bytes\":%llu,\"drops\":%llu,\"fast\":%llu,"
		   "\"shadow\":%llu,\"xdp\":{",
		(unsigned long long)c->msgs, (unsigned long long)c->bytes,
		(unsigned long long)c->drops, (unsigned long long)c->fast,
		(unsigned long long)c->shadow);
	for (int i = 0; i < FX_CNT__MAX; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", xdp_names[i],
			(unsigned long long)c->xdp[i]);
	fprintf(f, "}},\"exchange_implausible\":%llu,\"stages\":{", (unsigned long long)s->implausible);
	for (int i = 0; i < LAT_ST__MAX; i++) {
		json_stage(f, i ? "," : "", stages[i].name, stages[i].label, combined(s, i),
			   s->negative[i]);
	}
	if (s->service.count)
		json_stage(f, ",", "service", "fast path: time per message after the ring",
			   &s->service, 0);
	fputc('}', f);
	if (s->json_feeds) {
		fputs(",\"feeds\":{", f);
		s->json_feeds(s->json_feeds_user, f);
		fputc('}', f);
	}
	fprintf(f, "}\n");
	fflush(f);
}
