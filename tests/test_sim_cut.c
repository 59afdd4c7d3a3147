/* Tests for sim_cut (cut plans, the serverShutdown notice), the 429 answer
 * of sim_http and feedgen's --epoch-ms clock: the pure parts of feedsim's
 * --max-age, --cut-* and --conn-limit, and of A/B streams. */
#include "check.h"

#include <math.h>

#include "sim/feedgen.h"
#include "sim/sim_cut.h"
#include "sim/sim_http.h"

static void how_names(void)
{
	enum sim_cut_how h;

	CHECK(!sim_cut_how_parse("fin", &h) && h == SIM_CUT_FIN);
	CHECK(!sim_cut_how_parse("rst", &h) && h == SIM_CUT_RST);
	CHECK(!sim_cut_how_parse("stall", &h) && h == SIM_CUT_STALL);
	CHECK(!sim_cut_how_parse("mix", &h) && h == SIM_CUT_MIX);
	CHECK(sim_cut_how_parse("none", &h) < 0);
	CHECK(sim_cut_how_parse("FIN", &h) < 0);
	CHECK(sim_cut_how_parse("", &h) < 0);
	CHECK(!strcmp(sim_cut_how_name(SIM_CUT_STALL), "stall"));
}

static void plan_every(void)
{
	struct sim_cut_config cfg = {.every = 2.5, .how = SIM_CUT_RST};
	struct sim_cut_plan p;

	CHECK(sim_cut_enabled(&cfg));
	for (uint64_t conn = 1; conn < 50; conn++) {
		sim_cut_plan_make(&cfg, 7, conn, &p);
		CHECKF(p.at == 2.5 && p.how == SIM_CUT_RST, "conn %llu: %g %d",
		       (unsigned long long)conn, p.at, p.how);
	}
	/* nothing configured: no timed cut, and a default FIN for --cut-after */
	memset(&cfg, 0, sizeof(cfg));
	CHECK(!sim_cut_enabled(&cfg));
	sim_cut_plan_make(&cfg, 7, 1, &p);
	CHECK(p.at == 0 && p.how == SIM_CUT_FIN);
	cfg.after = 10;
	CHECK(sim_cut_enabled(&cfg));
}

/* --cut-random P: repeatable per seed and connection, different across
 * connections and seeds, and a cut within one second with chance P. */
static void plan_random(void)
{
	struct sim_cut_config cfg = {.random_p = 0.2, .how = SIM_CUT_MIX};
	struct sim_cut_plan a, b;
	int within1 = 0, kinds[5] = {0}, differ = 0, seed_differ = 0;
	double sum = 0;
	const int n = 20000;

	for (int conn = 1; conn <= n; conn++) {
		sim_cut_plan_make(&cfg, 42, (uint64_t)conn, &a);
		sim_cut_plan_make(&cfg, 42, (uint64_t)conn, &b);
		CHECK(a.at == b.at && a.how == b.how);
		CHECK(a.at > 0 && isfinite(a.at));
		CHECK(a.how >= SIM_CUT_FIN && a.how <= SIM_CUT_STALL);
		kinds[a.how]++;
		within1 += a.at < 1.0;
		sum += a.at;
		sim_cut_plan_make(&cfg, 43, (uint64_t)conn, &b);
		seed_differ += a.at != b.at;
		if (conn > 1) {
			sim_cut_plan_make(&cfg, 42, (uint64_t)conn - 1, &b);
			differ += a.at != b.at;
		}
	}
	CHECK(differ == n - 1 && seed_differ == n);
	/* P(cut within 1 s) = 0.2 +- 4 sigma (sigma = 0.0028) */
	CHECKF(fabs((double)within1 / n - 0.2) < 0.012, "%d of %d within 1 s", within1, n);
	/* mean waiting time 1 / -ln(0.8) = 4.48 s */
	CHECKF(fabs(sum / n - 1 / -log(0.8)) < 0.2, "mean %g s", sum / n);
	for (int k = SIM_CUT_FIN; k <= SIM_CUT_STALL; k++)
		CHECKF(abs(kinds[k] - n / 3) < n / 20, "kind %d drawn %d times", k, kinds[k]);

	/* with --cut-every too, the earlier one applies */
	cfg.every = 1.0;
	for (int conn = 1; conn <= 1000; conn++) {
		sim_cut_plan_make(&cfg, 42, (uint64_t)conn, &a);
		CHECK(a.at <= 1.0 && a.at > 0);
	}
}

static void notice_formats(void)
{
	char buf[SIM_CUT_NOTICE_MAX], small[SIM_CUT_NOTICE_MAX - 1];
	size_t n;

	n = sim_cut_notice(buf, sizeof(buf), false, 1700000000123);
	CHECK(n == strlen(buf));
	CHECKF(!strcmp(buf, "{\"e\":\"serverShutdown\",\"E\":1700000000123}"), "%s", buf);
	n = sim_cut_notice(buf, sizeof(buf), true, 1700000000123);
	CHECK(n == strlen(buf));
	CHECKF(!strcmp(buf, "{\"stream\":\"!serverShutdown\",\"data\":"
			    "{\"e\":\"serverShutdown\",\"E\":1700000000123}}"),
	       "%s", buf);
	/* the longest "E" still fits */
	n = sim_cut_notice(buf, sizeof(buf), true, INT64_MIN);
	CHECK(n > 0 && n < SIM_CUT_NOTICE_MAX);
	CHECK(sim_cut_notice(small, sizeof(small), false, 1) == 0);
}

static void too_many_answer(void)
{
	char out[256];
	size_t n = sim_http_too_many(out, sizeof(out), 299);
	const char *body;

	REQUIRE(n > 0 && n == strlen(out));
	CHECK(!strncmp(out, "HTTP/1.1 429 Too Many Requests\r\n", 32));
	CHECK(strstr(out, "\r\nRetry-After: 299\r\n") != NULL);
	CHECK(strstr(out, "\r\nConnection: close\r\n") != NULL);
	body = strstr(out, "\r\n\r\n");
	REQUIRE(body);
	body += 4;
	CHECK(strstr(out, "Content-Length: ") &&
	      (size_t)atoi(strstr(out, "Content-Length: ") + 16) == strlen(body));
	CHECK(sim_http_too_many(out, 40, 1) == 0);
}

static void index_clock(void)
{
	const int64_t t = 1764662400000;

	CHECK(feedgen_index_ms(t, 1000, 0) == t);
	CHECK(feedgen_index_ms(t, 1000, 1) == t + 1);
	CHECK(feedgen_index_ms(t, 1000, 86400000) == t + 86400000);
	CHECK(feedgen_index_ms(t, 200, 3) == t + 15);
	CHECK(feedgen_index_ms(t, 3, 1) == t + 333);
	CHECK(feedgen_index_ms(t, 0, 12345) == t);
	/* never decreasing along a stream */
	for (uint64_t i = 1; i < 100000; i++)
		if (feedgen_index_ms(t, 7777, i) < feedgen_index_ms(t, 7777, i - 1))
			CHECKF(0, "E falls at %llu", (unsigned long long)i);
}

int main(void)
{
	RUN(how_names);
	RUN(plan_every);
	RUN(plan_random);
	RUN(notice_formats);
	RUN(too_many_answer);
	RUN(index_clock);
	return check_exit();
}
