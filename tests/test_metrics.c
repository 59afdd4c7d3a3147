/* Tests for metrics' pure parts: the address parser, the exposition
 * writers (counters, a histogram's cumulative le buckets in seconds, _sum
 * and _count) and a body that does not fit. The server itself is tested
 * during a real run in namespaces (tests/it_metrics.sh). */
#include "check.h"
#include "stats/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

static void addr_forms(void)
{
	struct sockaddr_storage ss;
	socklen_t len;

	CHECK(metrics_parse_addr("198.18.0.2:9100", &ss, &len) == 0 && ss.ss_family == AF_INET &&
	      ntohs(((struct sockaddr_in *)&ss)->sin_port) == 9100);
	CHECK(metrics_parse_addr("[fd00::2]:9100", &ss, &len) == 0 && ss.ss_family == AF_INET6 &&
	      len == sizeof(struct sockaddr_in6));
	CHECK(metrics_parse_addr("0.0.0.0:1", &ss, &len) == 0);
	CHECK(metrics_parse_addr("198.18.0.2", &ss, &len) == -EINVAL);
	CHECK(metrics_parse_addr("198.18.0.2:", &ss, &len) == -EINVAL);
	CHECK(metrics_parse_addr("198.18.0.2:65536", &ss, &len) == -EINVAL);
	CHECK(metrics_parse_addr("198.18.0.2:-1", &ss, &len) == -EINVAL);
	CHECK(metrics_parse_addr("198.18.0.2:9x", &ss, &len) == -EINVAL);
	CHECK(metrics_parse_addr("localhost:9100", &ss, &len) == -EINVAL);
	CHECK(metrics_parse_addr("fd00::2:9100", &ss, &len) == -EINVAL);
	CHECK(metrics_parse_addr("[fd00::2]9100", &ss, &len) == -EINVAL);
	CHECK(metrics_parse_addr(":9100", &ss, &len) == -EINVAL);
}

static char body[1 << 16];

static void counters_and_help(void)
{
	struct metrics_out o = { .p = body, .cap = sizeof(body) };

	metrics_out__head(&o, "x_total", "counter", "Things.");
	metrics_out__sample(&o, "x_total", NULL, 7);
	metrics_out__sample(&o, "x_total", "path=\"fast\"", 18446744073709551615ull);
	CHECK(!o.overflow && o.len == strlen(body));
	CHECK(strcmp(body, "# HELP x_total Things.\n# TYPE x_total counter\nx_total 7\n"
			   "x_total{path=\"fast\"} 18446744073709551615\n") == 0);
}

static void histogram_cumulative_in_seconds(void)
{
	struct metrics_out o = { .p = body, .cap = sizeof(body) };
	struct lat_hist h;

	lat_hist__init(&h);
	lat_hist__record(&h, 900);	   /* <= 1 us */
	lat_hist__record(&h, 1000);	   /* exact: its bucket is [1000, 1003], above 1 us */
	lat_hist__record(&h, 30000);	   /* <= 50 us */
	lat_hist__record(&h, 20000000000); /* 20 s: only +Inf */
	metrics_out__hist(&o, "lat_seconds", "stage=\"e2e\"", &h);
	REQUIRE(!o.overflow);
	CHECKF(strstr(body, "lat_seconds_bucket{stage=\"e2e\",le=\"0.000001\"} 1\n"), "%.300s", body);
	CHECK(strstr(body, "lat_seconds_bucket{stage=\"e2e\",le=\"0.0000025\"} 2\n"));
	CHECK(strstr(body, "lat_seconds_bucket{stage=\"e2e\",le=\"0.000025\"} 2\n"));
	CHECK(strstr(body, "lat_seconds_bucket{stage=\"e2e\",le=\"0.00005\"} 3\n"));
	CHECK(strstr(body, "lat_seconds_bucket{stage=\"e2e\",le=\"10\"} 3\n"));
	CHECK(strstr(body, "lat_seconds_bucket{stage=\"e2e\",le=\"+Inf\"} 4\n"));
	CHECK(strstr(body, "lat_seconds_sum{stage=\"e2e\"} 20.0000319\n"));
	CHECK(strstr(body, "lat_seconds_count{stage=\"e2e\"} 4\n"));
	/* one line per bound, +Inf, _sum, _count */
	int lines = 0;
	for (const char *p = body; *p; p++)
		lines += *p == '\n';
	CHECK(lines == (int)metrics_n_hist_bounds + 3);
}

static void empty_histogram_without_labels(void)
{
	struct metrics_out o = { .p = body, .cap = sizeof(body) };
	struct lat_hist h;

	lat_hist__init(&h);
	metrics_out__hist(&o, "l", NULL, &h);
	CHECK(strstr(body, "l_bucket{le=\"0.000001\"} 0\n") == body);
	CHECK(strstr(body, "l_bucket{le=\"+Inf\"} 0\nl_sum 0\nl_count 0\n"));
}

static void overflow_is_flagged_not_cut(void)
{
	char small[40];
	struct metrics_out o = { .p = small, .cap = sizeof(small) };

	metrics_out__sample(&o, "a_total", NULL, 1);
	metrics_out__sample(&o, "a_very_long_metric_name_total", NULL, 2);
	CHECK(o.overflow);
	CHECK(o.len == strlen("a_total 1\n"));
}

int main(void)
{
	RUN(addr_forms);
	RUN(counters_and_help);
	RUN(histogram_cumulative_in_seconds);
	RUN(empty_histogram_without_labels);
	RUN(overflow_is_flagged_not_cut);
	return check_exit();
}
