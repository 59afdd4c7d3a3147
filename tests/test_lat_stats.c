/* Tests for lat_stats: which stages a set of stamps feeds, negative deltas,
 * the live line's rates and window roll, the summary table and the JSON
 * report (parsed by python3's json module when available, and checked
 * structurally here in any case). */
#include "check.h"
#include "stats/lat_stats.h"

#include <errno.h>
#include <unistd.h>

static struct lat_stats *S;

static void fresh(void)
{
	lat_stats__init(S, 1000000000ull);
}

/* A full fast-path message: each stage 1 us longer than the one before. */
static void stamp_full(struct lat_stamps *st, uint64_t send, uint64_t extra)
{
	memset(st, 0, sizeof(*st));
	st->send_ns = send;
	uint64_t t = send + 10000 + extra; /* wire 10 us */
	for (int p = 0; p < LAT_PT__MAX; p++) {
		st->at[p] = t;
		t += 1000 * (uint64_t)(p + 1);
	}
}

static void stages_from_full_stamps(void)
{
	struct lat_stamps st;

	fresh();
	stamp_full(&st, 5000000000ull, 0);
	st.event_ms = 1700000000000ull;
	st.real_ns = 1700000000000ull * 1000000 + 2500000; /* 2.5 ms later */
	lat_stats__record(S, &st);
	CHECK(S->win[LAT_ST_WIRE].min == 10000);
	CHECK(S->win[LAT_ST_XDP_DRAIN].min == 1000);
	CHECK(S->win[LAT_ST_DRAIN_REASM].min == 2000);
	CHECK(S->win[LAT_ST_REASM_DECRYPT].min == 3000);
	CHECK(S->win[LAT_ST_DECRYPT_FRAME].min == 4000);
	CHECK(S->win[LAT_ST_FRAME_HANDLER].min == 5000);
	CHECK(S->win[LAT_ST_RX].min == 15000);
	CHECK(S->win[LAT_ST_E2E].min == 25000);
	CHECK(S->win[LAT_ST_EXCHANGE].min == 2500000);
	for (int i = 0; i < LAT_ST__MAX; i++)
		CHECKF(S->win[i].count == 1 && S->total[i].count == 0, "stage %d", i);
}

static void kernel_path_stamps_skip_missing(void)
{
	struct lat_stamps st;

	/* kernel path: no xdp/drain/reasm; no send time, no E */
	fresh();
	memset(&st, 0, sizeof(st));
	st.at[LAT_PT_DECRYPT] = 100000;
	st.at[LAT_PT_FRAME] = 100700;
	st.at[LAT_PT_HANDLER] = 101000;
	lat_stats__record(S, &st);
	CHECK(S->win[LAT_ST_DECRYPT_FRAME].count == 1 && S->win[LAT_ST_DECRYPT_FRAME].min == 700);
	CHECK(S->win[LAT_ST_FRAME_HANDLER].min == 300);
	CHECK(S->win[LAT_ST_RX].min == 1000);
	CHECK(S->win[LAT_ST_WIRE].count == 0);
	CHECK(S->win[LAT_ST_E2E].count == 0);
	CHECK(S->win[LAT_ST_EXCHANGE].count == 0);
	CHECK(S->win[LAT_ST_XDP_DRAIN].count == 0);
	CHECK(S->win[LAT_ST_REASM_DECRYPT].count == 0);

	/* a hole in the middle: no delta spans it */
	memset(&st, 0, sizeof(st));
	st.at[LAT_PT_XDP] = 1000;
	st.at[LAT_PT_DRAIN] = 2000;
	st.at[LAT_PT_DECRYPT] = 5000;
	st.at[LAT_PT_HANDLER] = 9000;
	lat_stats__record(S, &st);
	CHECK(S->win[LAT_ST_XDP_DRAIN].count == 1);
	CHECK(S->win[LAT_ST_DRAIN_REASM].count == 0);
	CHECK(S->win[LAT_ST_REASM_DECRYPT].count == 0);
	CHECK(S->win[LAT_ST_RX].count == 2 && S->win[LAT_ST_RX].max == 8000);
}

static void negative_deltas_counted(void)
{
	struct lat_stamps st;

	fresh();
	stamp_full(&st, 5000000000ull, 0);
	st.send_ns = st.at[LAT_PT_HANDLER] + 1; /* sender clock ahead */
	st.event_ms = 2000;
	st.real_ns = 1000000000; /* E one second in the future */
	lat_stats__record(S, &st);
	CHECK(S->negative[LAT_ST_WIRE] == 1);
	CHECK(S->negative[LAT_ST_E2E] == 1);
	CHECK(S->negative[LAT_ST_EXCHANGE] == 1);
	CHECK(S->win[LAT_ST_E2E].count == 0);
	CHECK(S->win[LAT_ST_RX].count == 1);
}

static char *capture(void (*fn)(struct lat_stats *, FILE *), size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fn(S, f);
	fclose(f);
	return buf;
}

static void live_line_rates_and_roll(void)
{
	struct lat_stamps st;
	char *buf = NULL;
	size_t len = 0;

	fresh();
	for (int i = 0; i < 1000; i++) {
		stamp_full(&st, 5000000000ull, (uint64_t)i * 10); /* e2e 25.00 .. 34.99 us */
		lat_stats__record(S, &st);
	}
	S->c.msgs = 2000;
	S->c.bytes = 3000000;
	S->c.drops = 3;
	S->c.fast = 1990;
	S->c.shadow = 2000;
	FILE *f = open_memstream(&buf, &len);
	REQUIRE(f);
	lat_stats__live_line_at(S, f, 3000000000ull); /* 2 s after init */
	fclose(f);
	CHECKF(strstr(buf, "1000 msg/s") != NULL, "%s", buf);
	CHECKF(strstr(buf, "1.50 MB/s") != NULL, "%s", buf);
	/* rank 500 of 25000 + 10*i -> 29990, bucket low 29952; rank 990 -> 34890 -> 34816 */
	CHECKF(strstr(buf, "e2e p50 30.0 p99 34.8 us") != NULL, "%s", buf);
	CHECKF(strstr(buf, "drops 3  fast 1990 shadow 2000") != NULL, "%s", buf);
	CHECK(buf[len - 1] == '\n' && strchr(buf, '\n') == buf + len - 1);
	free(buf);

	CHECK(S->win[LAT_ST_E2E].count == 0);
	CHECK(S->total[LAT_ST_E2E].count == 1000);

	/* next second: deltas only, empty window prints "-" */
	S->c.msgs = 2500;
	S->c.bytes = 3000000;
	buf = NULL;
	f = open_memstream(&buf, &len);
	REQUIRE(f);
	lat_stats__live_line_at(S, f, 4000000000ull);
	fclose(f);
	CHECKF(strstr(buf, " 500 msg/s 0.00 MB/s  e2e -  rx -  drops 0  fast 0 shadow 0\n") != NULL,
	       "%s", buf);
	free(buf);

	/* XDP mode: the program's counters of the last second */
	S->c.xdp[FX_CNT_STEERED] = 700;
	S->c.xdp[FX_CNT_STALE] = 4;
	buf = NULL;
	f = open_memstream(&buf, &len);
	REQUIRE(f);
	lat_stats__live_line_at(S, f, 5000000000ull);
	fclose(f);
	CHECKF(strstr(buf, "shadow 0  xdp steered 700 stale 4\n") != NULL, "%s", buf);
	free(buf);
}

static void fill_some(void)
{
	struct lat_stamps st;

	fresh();
	for (int i = 0; i < 1000; i++) {
		stamp_full(&st, 5000000000ull, (uint64_t)i);
		st.event_ms = 1700000000000ull;
		st.real_ns = 1700000000000ull * 1000000 + 1000000 + (uint64_t)i * 1000;
		lat_stats__record(S, &st);
		if (i == 499) /* half rolled into the total, half still in the window */
			lat_stats__live_line_at(S, stderr, 2000000000ull);
	}
	S->c.msgs = 1000;
	S->c.bytes = 150000;
	S->c.xdp[FX_CNT_STEERED] = 1234;
	S->c.xdp[FX_CNT_META_FAIL] = 5;
}

static void summary_table(void)
{
	size_t len;

	fill_some();
	char *buf = capture(lat_stats__summary, &len);
	REQUIRE(buf);
	CHECKF(strstr(buf, "CLOCK_MONOTONIC") != NULL, "no clock named");
	CHECK(strstr(buf, "p99.9") != NULL);
	/* e2e: 25000 .. 25999 ns; 1000 samples from window + total */
	const char *row = strstr(buf, "send -> handler (end to end)");
	REQUIRE(row);
	unsigned long long cnt;
	double p50, p90, p99, p999, max;
	int n = sscanf(row + strlen("send -> handler (end to end)"), "%llu %lf %lf %lf %lf %lf",
		       &cnt, &p50, &p90, &p99, &p999, &max);
	CHECKF(n == 6, "row: %.80s", row);
	CHECK(cnt == 1000);
	CHECK(max == 25.999);
	CHECK(p50 <= 25.499 && p50 > 25.499 * (1 - 1.0 / 128));
	CHECK(p99 <= 25.989 && p99 > 25.989 * (1 - 1.0 / 128));
	CHECK(strstr(buf, "steered 1234") != NULL);
	CHECK(strstr(buf, "meta_fail 5") != NULL);
	CHECK(strstr(buf, "1000 msgs, 150000 bytes") != NULL);
	/* empty stages: dashes, not zeros */
	fresh();
	free(buf);
	buf = capture(lat_stats__summary, &len);
	REQUIRE(buf);
	CHECK(strstr(buf, "          0          -") != NULL);
	free(buf);
}

/* Balanced brackets outside strings, no ",}" / ",]" / "{," and nothing
 * unquoted but [-0-9.a-z,:{}[\]\n]; a cheap sanity net under python's. */
static int json_shape_ok(const char *s)
{
	int depth = 0, in_str = 0;
	char last = 0;

	for (; *s; s++) {
		char ch = *s;
		if (in_str) {
			if (ch == '\\')
				s++;
			else if (ch == '"')
				in_str = 0;
			else if ((unsigned char)ch < 0x20)
				return 0;
			continue;
		}
		if (ch == '"') {
			in_str = 1;
		} else if (ch == '{' || ch == '[') {
			depth++;
		} else if (ch == '}' || ch == ']') {
			if (last == ',' || --depth < 0)
				return 0;
		} else if (ch == ',' && (last == '{' || last == '[' || last == ',')) {
			return 0;
		} else if (!strchr("-0123456789.:,\nnulltruefalse", ch)) {
			return 0;
		}
		last = ch;
	}
	return depth == 0 && !in_str;
}

static void json_report(void)
{
	size_t len;
	char path[] = "/tmp/test_lat_stats.XXXXXX";

	fill_some();
	lat_hist__record(&S->service, 400); /* fast path: 0.4 us per message */
	char *buf = capture(lat_stats__json, &len);
	REQUIRE(buf);
	CHECKF(json_shape_ok(buf), "%s", buf);
	CHECK(strstr(buf, "\"service\":{\"label\":") != NULL);
	CHECK(strstr(buf, "\"clock\":\"CLOCK_MONOTONIC\"") != NULL);
	CHECK(strstr(buf, "\"steered\":1234") != NULL);

	/* python3 parses it and checks values */
	if (access("/usr/bin/python3", X_OK) != 0) {
		free(buf);
		return; /* structural check above still ran */
	}
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	ssize_t w = write(fd, buf, len);
	close(fd);
	REQUIRE(w == (ssize_t)len);
	char cmd[2048];
	int n = snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); "
		 "e=d[\"stages\"][\"e2e\"]; x=d[\"stages\"][\"exchange\"]; "
		 "assert d[\"clock\"]==\"CLOCK_MONOTONIC\"; "
		 "assert e[\"count\"]==1000 and e[\"max\"]==25.999 and e[\"min\"]==25.0; "
		 "assert 25.3 < e[\"p50\"] <= 25.499 and e[\"p99_9\"] <= 25.998; "
		 "assert x[\"count\"]==1000 and x[\"max\"]==1999.0; "
		 "assert d[\"counters\"][\"xdp\"][\"meta_fail\"]==5; "
		 "g=e[\"percentiles\"]; assert g[0]==[0,25.0] and g[-1][0]==99.99; "
		 "assert all(a[1]<=b[1] for a,b in zip(g,g[1:])); "
		 "b=e[\"buckets\"]; assert sum(c for _,_,c in b)==e[\"count\"]; "
		 "assert b[0][0]<=e[\"min\"]<=b[0][1] and b[-1][0]<=e[\"max\"]<=b[-1][1]; "
		 "assert all(l<=h<q for (l,h,_),(q,_,_) in zip(b,b[1:])); "
		 "assert d[\"stages\"][\"service\"][\"p50\"]==0.4; "
		 "assert len(d[\"stages\"])==%d+1' < %s",
		 LAT_ST__MAX, path);
	REQUIRE(n > 0 && (size_t)n < sizeof(cmd));
	int rc = system(cmd);
	unlink(path);
	CHECKF(rc == 0, "python3 rejected: %s", buf);
	free(buf);

	/* empty report: nulls, still valid */
	fresh();
	buf = capture(lat_stats__json, &len);
	REQUIRE(buf);
	CHECKF(json_shape_ok(buf), "%s", buf);
	CHECK(strstr(buf, "\"p50\":null") != NULL);
	strcpy(path, "/tmp/test_lat_stats.XXXXXX");
	fd = mkstemp(path);
	REQUIRE(fd >= 0);
	w = write(fd, buf, len);
	close(fd);
	REQUIRE(w == (ssize_t)len);
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); "
		 "assert d[\"stages\"][\"e2e\"][\"p50\"] is None' < %s",
		 path);
	rc = system(cmd);
	unlink(path);
	CHECK(rc == 0);
	free(buf);
}

/* A run that ended in an error says so in its JSON: "error" is the line
 * (escaped), null on a clean end. */
static void json_error_field(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	fresh();
	f = open_memstream(&buf, &len);
	REQUIRE(f);
	lat_stats__json_error(S, f, "cannot connect to \"x\": refused\\\n");
	fclose(f);
	CHECKF(json_shape_ok(buf), "%s", buf);
	CHECKF(strstr(buf, "\"error\":\"cannot connect to \\\"x\\\": refused\\\\\\u000a\",") != NULL,
	       "%s", buf);
	free(buf);
	buf = capture(lat_stats__json, &len);
	REQUIRE(buf);
	CHECKF(strstr(buf, "\"error\":null,") != NULL, "%s", buf);
	free(buf);
}

/* Exchange times in ms, us or ns by size; a non-epoch E is not recorded
 * (the old report showed a 1.79e15 us row under a "clamped" note). */
static void exchange_units_and_implausible(void)
{
	struct lat_stamps st;
	char *buf;
	size_t len;

	CHECK(lat_stats_epoch_ns(1700000000123ull) == 1700000000123000000ull);
	CHECK(lat_stats_epoch_ns(1700000000123456ull) == 1700000000123456000ull);
	CHECK(lat_stats_epoch_ns(1700000000123456789ull) == 1700000000123456789ull);
	CHECK(lat_stats_epoch_ns(5) == 0 && lat_stats_epoch_ns(170000000012345ull) == 0);
	fresh();
	memset(&st, 0, sizeof(st));
	st.at[LAT_PT_XDP] = 1000000;
	st.at[LAT_PT_HANDLER] = 1030000; /* 30 us inside feedrx */
	st.event_ns = lat_stats_epoch_ns(1700000000000100ull); /* us */
	st.real_ns = 1700000000000100000ull + 500000;         /* 500 us later */
	lat_stats__record(S, &st);
	CHECK(S->win[LAT_ST_EXCHANGE].count == 1 && S->win[LAT_ST_EXCHANGE].min == 500000);
	CHECK(S->win[LAT_ST_EXCH_ARRIVAL].count == 1 && S->win[LAT_ST_EXCH_ARRIVAL].min == 470000);
	CHECK(S->win[LAT_ST_RX].min == 30000);
	/* E = 5 (not an epoch time) */
	st.event_ns = 0;
	st.event_ms = 5;
	lat_stats__record(S, &st);
	CHECK(S->implausible == 1 && S->win[LAT_ST_EXCHANGE].count == 1);
	buf = capture(lat_stats__summary, &len);
	REQUIRE(buf);
	CHECKF(strstr(buf, "note: exchange: 1 event times more than 3600 s") != NULL, "%s", buf);
	CHECK(strstr(buf, "clamped") == NULL);
	free(buf);
}

/* The kernel path: the handler stamp alone is no arrival; the reports show
 * what it measures, no zero rows, no fast/shadow counters. */
static void kernel_only_reports(void)
{
	struct lat_stamps st;
	char *buf;
	size_t len;

	fresh();
	S->kernel_only = true;
	memset(&st, 0, sizeof(st));
	st.send_ns = 1000;
	st.at[LAT_PT_HANDLER] = 201000;
	lat_stats__record(S, &st);
	CHECK(S->win[LAT_ST_RX].count == 0 && S->win[LAT_ST_E2E].count == 1);
	S->c.msgs = 1;
	buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	REQUIRE(f);
	lat_stats__live_line_at(S, f, 2000000000ull);
	/* a late timer's second call in the same second prints nothing */
	lat_stats__live_line_at(S, f, 2000100000ull);
	fclose(f);
	CHECKF(strstr(buf, "e2e p50 200.") != NULL && !strstr(buf, "rx") && !strstr(buf, "fast") &&
		       !strchr(strchr(buf, '\n') + 1, '['),
	       "%s", buf);
	free(buf);
	buf = capture(lat_stats__summary, &len);
	REQUIRE(buf);
	CHECKF(!strstr(buf, "          -") && !strstr(buf, "      0.000") && !strstr(buf, "fast") &&
		       !strstr(buf, "first rx stamp") &&
		       strstr(buf, "the kernel gave no receive stamps"),
	       "%s", buf);
	free(buf);
	/* with the kernel's receive stamps (rx_stamp.h): arrival -> handler is
	 * shown, and the note is gone */
	st.at[LAT_PT_XDP] = 51000;
	lat_stats__record(S, &st);
	buf = capture(lat_stats__summary, &len);
	REQUIRE(buf);
	CHECKF(strstr(buf, "first rx stamp") && !strstr(buf, "no receive stamps") &&
		       !strstr(buf, "fast"),
	       "%s", buf);
	free(buf);
	S->kernel_only = false;
}

/* Which clock stamped arrival: named in the JSON, by the path when not set,
 * and never changed once arrival samples are in (they would mix). */
static void arrival_clock_label(void)
{
	struct lat_stamps st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	fresh();
	CHECK(!strcmp(lat_arrival_clock_name(LAT_CLK_XDP_KTIME), "xdp-ktime"));
	CHECK(!strcmp(lat_arrival_clock_name(LAT_CLK_NIC), "nic"));
	CHECK(!strcmp(lat_arrival_clock_name(LAT_CLK_KERNEL_SW), "kernel-rx-software"));
	CHECK(!strcmp(lat_arrival_clock_name((enum lat_arrival_clock)99), "?"));
	/* by the path */
	CHECK(lat_stats__arrival_clock(S) == LAT_CLK_XDP_KTIME);
	S->kernel_only = true;
	CHECK(lat_stats__arrival_clock(S) == LAT_CLK_KERNEL_SW);
	S->kernel_only = false;
	CHECK(lat_stats__set_arrival_clock(S, LAT_CLK_AUTO) == -EINVAL);
	CHECK(lat_stats__set_arrival_clock(S, LAT_CLK__MAX) == -EINVAL);
	/* before any sample: free to choose */
	CHECK(lat_stats__set_arrival_clock(S, LAT_CLK_NIC) == 0);
	CHECK(lat_stats__arrival_clock(S) == LAT_CLK_NIC);
	stamp_full(&st, 5000000000ull, 0);
	lat_stats__record(S, &st);
	/* samples in: the same clock again is fine, another is refused */
	CHECK(lat_stats__set_arrival_clock(S, LAT_CLK_NIC) == 0);
	CHECK(lat_stats__set_arrival_clock(S, LAT_CLK_XDP_KTIME) == -EBUSY);
	CHECK(lat_stats__arrival_clock(S) == LAT_CLK_NIC);
	f = open_memstream(&buf, &len);
	REQUIRE(f != NULL);
	lat_stats__json(S, f);
	fclose(f);
	CHECKF(strstr(buf, "\"arrival_clock\":\"nic\"") != NULL, "json: %.200s", buf);
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	REQUIRE(f != NULL);
	lat_stats__summary(S, f);
	fclose(f);
	CHECKF(strstr(buf, "arrival stamped by nic") != NULL, "summary: %.300s", buf);
	free(buf);
	/* NIC clock: a message the NIC did not stamp has no arrival (not the
	 * drain stamp in its place), but its later stages still count */
	fresh();
	CHECK(lat_stats__set_arrival_clock(S, LAT_CLK_NIC) == 0);
	stamp_full(&st, 5000000000ull, 0);
	st.at[LAT_PT_XDP] = 0;
	lat_stats__record(S, &st);
	CHECK(S->win[LAT_ST_RX].count == 0);
	CHECK(S->win[LAT_ST_WIRE].count == 0);
	CHECK(S->win[LAT_ST_DRAIN_REASM].count == 1);
	CHECK(S->win[LAT_ST_E2E].count == 1);
	/* ... while the default clock keeps "first stamp" as arrival */
	fresh();
	lat_stats__record(S, &st);
	CHECK(S->win[LAT_ST_RX].count == 1);
	/* a fresh run starts unset again */
	fresh();
	CHECK(lat_stats__arrival_clock(S) == LAT_CLK_XDP_KTIME);
}

int main(void)
{
	lat_stats__new(&S);
	if (!S) {
		printf("FAIL lat_stats__new: out of memory\n");
		return 1;
	}
	RUN(stages_from_full_stamps);
	RUN(kernel_path_stamps_skip_missing);
	RUN(negative_deltas_counted);
	RUN(live_line_rates_and_roll);
	RUN(summary_table);
	RUN(json_report);
	RUN(json_error_field);
	RUN(exchange_units_and_implausible);
	RUN(kernel_only_reports);
	RUN(arrival_clock_label);
	lat_stats__free(S);
	return check_exit();
}
