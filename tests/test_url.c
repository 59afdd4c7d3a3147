/* Tests for url: schemes, ports, IPv6 literals, paths and queries, errors. */
#include <errno.h>

#include "check.h"
#include "kernel/url.h"

static void wss_defaults(void)
{
	struct url u;

	REQUIRE(url_parse("wss://stream.binance.com/ws/btcusdt@trade", &u) == 0);
	CHECK(u.scheme == URL_WSS);
	CHECK(strcmp(u.host, "stream.binance.com") == 0);
	CHECK(u.port == 443 && strcmp(u.port_str, "443") == 0);
	CHECK(!u.port_given && u.default_port);
	CHECK(!u.ip_literal && !u.ipv6_literal);
	CHECK(strcmp(u.path, "/ws/btcusdt@trade") == 0);
}

static void explicit_port(void)
{
	struct url u;

	REQUIRE(url_parse("wss://feedsim.test:9443/ws/x", &u) == 0);
	CHECK(u.port == 9443 && u.port_given && !u.default_port);
	CHECK(strcmp(u.port_str, "9443") == 0);
	REQUIRE(url_parse("WSS://h:443/", &u) == 0);
	CHECK(u.port_given && u.default_port);
	REQUIRE(url_parse("wss://h:65535", &u) == 0);
	CHECK(u.port == 65535);
}

static void ipv4_literal(void)
{
	struct url u;

	REQUIRE(url_parse("wss://198.18.0.1:9443/ws/btcusdt@trade", &u) == 0);
	CHECK(u.ip_literal && !u.ipv6_literal);
	CHECK(strcmp(u.host, "198.18.0.1") == 0);
}

static void ipv6_literal(void)
{
	struct url u;
	char a[300];

	REQUIRE(url_parse("wss://[fd00:fee0::1]:9443/ws/x", &u) == 0);
	CHECK(u.ip_literal && u.ipv6_literal);
	CHECK(strcmp(u.host, "fd00:fee0::1") == 0);
	CHECK(u.port == 9443);
	CHECK(strcmp(u.path, "/ws/x") == 0);
	REQUIRE(url_authority(&u, false, a, sizeof(a)) > 0);
	CHECK(strcmp(a, "[fd00:fee0::1]:9443") == 0);
	REQUIRE(url_parse("wss://[::1]/p", &u) == 0);
	CHECK(u.port == 443);
	REQUIRE(url_authority(&u, false, a, sizeof(a)) > 0);
	CHECK(strcmp(a, "[::1]") == 0);
	REQUIRE(url_authority(&u, true, a, sizeof(a)) > 0);
	CHECK(strcmp(a, "[::1]:443") == 0);
	CHECK(url_parse("wss://[fd00::zz]/", &u) == -FX_E_URL_MALFORMED);
	CHECK(url_parse("wss://[fd00::1/", &u) == -FX_E_URL_MALFORMED);
	CHECK(url_parse("wss://[fd00::1]x/", &u) == -FX_E_URL_MALFORMED);
	CHECK(url_parse("wss://[]/", &u) == -FX_E_URL_NO_HOST);
}

static void paths_and_queries(void)
{
	struct url u;

	REQUIRE(url_parse("wss://h", &u) == 0);
	CHECK(strcmp(u.path, "/") == 0);
	REQUIRE(url_parse("wss://h:1234", &u) == 0);
	CHECK(strcmp(u.path, "/") == 0);
	REQUIRE(url_parse("wss://h/stream?streams=btcusdt@trade/ethusdt@trade", &u) == 0);
	CHECK(strcmp(u.path, "/stream?streams=btcusdt@trade/ethusdt@trade") == 0);
	REQUIRE(url_parse("wss://h?x=1", &u) == 0);
	CHECK(strcmp(u.host, "h") == 0);
	CHECK(strcmp(u.path, "/?x=1") == 0);
	REQUIRE(url_parse("wss://h/a#frag", &u) == 0);
	CHECK(strcmp(u.path, "/a") == 0);
	CHECK(url_parse("wss://h/a b", &u) == -FX_E_URL_MALFORMED);
	CHECK(url_parse("wss://h/a\r\nX: y", &u) == -FX_E_URL_MALFORMED);
}

static void host_authority(void)
{
	struct url u;
	char a[300];

	REQUIRE(url_parse("wss://feedsim.test/ws", &u) == 0);
	REQUIRE(url_authority(&u, false, a, sizeof(a)) > 0);
	CHECK(strcmp(a, "feedsim.test") == 0);
	REQUIRE(url_parse("wss://feedsim.test:9443/ws", &u) == 0);
	REQUIRE(url_authority(&u, false, a, sizeof(a)) > 0);
	CHECK(strcmp(a, "feedsim.test:9443") == 0);
	CHECK(url_authority(&u, false, a, 5) == -ENOSPC);
}

static void proxy_url(void)
{
	struct url u;

	REQUIRE(url_parse("http://198.18.0.2:8888", &u) == 0);
	CHECK(u.scheme == URL_HTTP && u.port == 8888);
	REQUIRE(url_parse("http://proxy", &u) == 0);
	CHECK(u.port == 80);
	CHECK(strcmp(url_scheme_name(u.scheme), "http") == 0);
}

static void bad_urls(void)
{
	struct url u;
	char big[400];

	CHECK(url_parse("ftp://h/", &u) == -FX_E_URL_SCHEME);
	CHECK(url_parse("h:9443/ws", &u) == -FX_E_URL_SCHEME);
	CHECK(url_parse("wssx://h/", &u) == -FX_E_URL_SCHEME);
	CHECK(url_parse("://h/", &u) == -FX_E_URL_SCHEME);
	CHECK(url_parse("wss:///ws", &u) == -FX_E_URL_NO_HOST);
	CHECK(url_parse("wss://:9443/ws", &u) == -FX_E_URL_NO_HOST);
	CHECK(url_parse("wss://", &u) == -FX_E_URL_NO_HOST);
	CHECK(url_parse("wss://h:0/", &u) == -FX_E_URL_PORT);
	CHECK(url_parse("wss://h:65536/", &u) == -FX_E_URL_PORT);
	CHECK(url_parse("wss://h:99999999999999999999/", &u) == -FX_E_URL_PORT);
	CHECK(url_parse("wss://h:/", &u) == -FX_E_URL_PORT);
	CHECK(url_parse("wss://h:12a/", &u) == -FX_E_URL_PORT);
	CHECK(url_parse("wss://user:pw@h/", &u) == -FX_E_URL_MALFORMED);
	CHECK(url_parse("wss://h%20x/", &u) == -FX_E_URL_MALFORMED);
	memset(big, 'a', sizeof(big));
	memcpy(big, "wss://", 6);
	big[sizeof(big) - 1] = 0;
	CHECK(url_parse(big, &u) == -FX_E_URL_TOO_LONG);
	CHECK(strcmp(fx_strerror(-FX_E_URL_PORT), "bad port (1-65535)") == 0);
}

int main(void)
{
	RUN(wss_defaults);
	RUN(explicit_port);
	RUN(ipv4_literal);
	RUN(ipv6_literal);
	RUN(paths_and_queries);
	RUN(host_authority);
	RUN(proxy_url);
	RUN(bad_urls);
	return check_exit();
}
