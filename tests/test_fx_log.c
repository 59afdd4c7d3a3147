/* Tests for core/fx_log: the level filter, a custom handler, silencing, the
 * default handler's one line on stderr, truncation, and libbpf's/libxdp's
 * messages arriving at FX_LOG_DEBUG through the handler. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "check.h"
#include "core/fx_log.h"

#define MAX_GOT 64

struct got {
	int n;
	int by_level[4];
	enum fx_log_level level[MAX_GOT];
	char msg[MAX_GOT][FX_LOG_MSG_MAX];
};

static struct got G;

static void collect(void *user, enum fx_log_level level, const char *msg)
{
	struct got *g = user;

	if (level <= FX_LOG_DEBUG)
		g->by_level[level]++;
	if (g->n < MAX_GOT) {
		g->level[g->n] = level;
		snprintf(g->msg[g->n], sizeof(g->msg[0]), "%s", msg);
	}
	g->n++;
}

static void reset(void)
{
	memset(&G, 0, sizeof(G));
	fx_log_set_handler(collect, &G);
	fx_log_set_level(FX_LOG_WARN);
}

/* Run fn with stderr going to a pipe; what it wrote, NUL-terminated. */
static size_t capture_stderr(void (*fn)(void), char *out, size_t cap)
{
	int p[2], saved;
	ssize_t r;
	size_t n = 0;

	if (pipe(p))
		return 0;
	fflush(stderr);
	saved = dup(2);
	dup2(p[1], 2);
	close(p[1]);
	fn();
	dup2(saved, 2);
	close(saved);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	while (n + 1 < cap && (r = read(p[0], out + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	close(p[0]);
	out[n] = 0;
	return n;
}

static void log_each_level(void)
{
	fx_log(FX_LOG_ERROR, "e%d", 1);
	fx_log(FX_LOG_WARN, "w%d", 2);
	fx_log(FX_LOG_INFO, "i%d", 3);
	fx_log(FX_LOG_DEBUG, "d%d", 4);
}

/* The handler sees exactly the levels up to the maximum, in order. */
static void handler_gets_enabled_levels(void)
{
	for (int max = FX_LOG_ERROR; max <= FX_LOG_DEBUG; max++) {
		reset();
		fx_log_set_level((enum fx_log_level)max);
		log_each_level();
		CHECKF(G.n == max + 1, "max %d: %d messages", max, G.n);
		for (int l = FX_LOG_ERROR; l <= FX_LOG_DEBUG; l++) {
			CHECKF(G.by_level[l] == (l <= max), "max %d level %d: %d", max, l,
			       G.by_level[l]);
			CHECKF(fx_log_enabled((enum fx_log_level)l) == (l <= max), "enabled %d/%d",
			       l, max);
		}
		for (int i = 0; i < G.n && i < MAX_GOT; i++)
			CHECKF((int)G.level[i] == i, "order: %d at %d", G.level[i], i);
	}
	CHECK(!strcmp(G.msg[0], "e1") && !strcmp(G.msg[3], "d4"));
	/* the default level is WARN */
	reset();
	log_each_level();
	CHECK(G.n == 2 && G.by_level[FX_LOG_WARN] == 1);
	fx_log_set_handler(NULL, NULL);
}

/* One line, trailing newlines dropped (libbpf ends its lines with one). */
static void one_line(void)
{
	reset();
	fx_log(FX_LOG_WARN, "a line\n\n");
	CHECK(G.n == 1 && !strcmp(G.msg[0], "a line"));
	fx_log(FX_LOG_WARN, "%s", "");
	CHECK(G.n == 2 && G.msg[1][0] == 0);
	fx_log_set_handler(NULL, NULL);
}

static void warn_and_info(void)
{
	fx_log(FX_LOG_WARN, "warning: %s", "something");
	fx_log(FX_LOG_INFO, "detail %d", 7);
}

/* The default handler: "<prefix>: <msg>\n" for enabled levels only. */
static void default_handler_writes_prefixed_lines(void)
{
	char buf[4096];

	fx_log_set_handler(NULL, NULL);
	fx_log_set_level(FX_LOG_WARN);
	capture_stderr(warn_and_info, buf, sizeof(buf));
	CHECKF(!strcmp(buf, "feedrx: warning: something\n"), "got '%.200s'", buf);
	fx_log_set_level(FX_LOG_INFO);
	fx_log_set_prefix("feedsim");
	capture_stderr(warn_and_info, buf, sizeof(buf));
	CHECKF(!strcmp(buf, "feedsim: warning: something\nfeedsim: detail 7\n"), "got '%.200s'",
	       buf);
	fx_log_set_prefix(NULL);
	capture_stderr(warn_and_info, buf, sizeof(buf));
	CHECKF(!strncmp(buf, "feedrx: ", 8), "got '%.200s'", buf);
	fx_log_set_level(FX_LOG_WARN);
}

static void silent(void *user, enum fx_log_level level, const char *msg)
{
	(void)level, (void)msg;
	(*(int *)user)++;
}

/* A program silences the library with a handler that drops everything, or
 * keeps only errors with FX_LOG_ERROR. */
static void silencing(void)
{
	char buf[256];
	int calls = 0;

	fx_log_set_handler(silent, &calls);
	fx_log_set_level(FX_LOG_DEBUG);
	CHECK(capture_stderr(log_each_level, buf, sizeof(buf)) == 0);
	CHECK(calls == 4);
	fx_log_set_handler(NULL, NULL);
	fx_log_set_level(FX_LOG_ERROR);
	CHECK(capture_stderr(warn_and_info, buf, sizeof(buf)) == 0);
	fx_log_set_level(FX_LOG_WARN);
}

static char long_arg[3 * FX_LOG_MSG_MAX];

static void log_long(void)
{
	fx_log(FX_LOG_ERROR, "%s", long_arg);
}

/* Longer than the buffer: cut, terminated, still one line on stderr. */
static void long_messages_truncated(void)
{
	char buf[4 * FX_LOG_MSG_MAX];
	size_t n;

	memset(long_arg, 'x', sizeof(long_arg) - 1);
	reset();
	log_long();
	CHECK(G.n == 1 && strlen(G.msg[0]) == FX_LOG_MSG_MAX - 1);
	fx_log_set_handler(NULL, NULL);
	n = capture_stderr(log_long, buf, sizeof(buf));
	CHECKF(n == strlen("feedrx: ") + FX_LOG_MSG_MAX - 1 + 1, "%zu bytes", n);
	CHECK(buf[n - 1] == '\n' && !strchr(buf, '\n')[1]);
}

static bool any_from(const char *lib)
{
	for (int i = 0; i < G.n && i < MAX_GOT; i++)
		if (strstr(G.msg[i], lib))
			return true;
	return false;
}

/* libbpf's and libxdp's messages arrive through the handler at DEBUG, and
 * not at all below it. Opening a missing object file needs no privileges. */
static void bpf_messages_at_debug(void)
{
	struct bpf_object *obj;
	struct xdp_program *xp;

	fx_log_route_bpf();
	reset();
	obj = bpf_object__open_file("/nonexistent/fx_log_test.o", NULL);
	CHECK(libbpf_get_error(obj) != 0);
	CHECKF(G.n == 0, "%d messages at WARN, first '%.200s'", G.n, G.msg[0]);

	reset();
	fx_log_set_level(FX_LOG_DEBUG);
	obj = bpf_object__open_file("/nonexistent/fx_log_test.o", NULL);
	CHECK(libbpf_get_error(obj) != 0);
	REQUIRE(G.n > 0);
	CHECKF(any_from("libbpf: "), "first: '%.200s'", G.msg[0]);
	CHECKF(G.by_level[FX_LOG_DEBUG] == G.n, "%d of %d at DEBUG", G.by_level[FX_LOG_DEBUG], G.n);

	reset();
	fx_log_set_level(FX_LOG_DEBUG);
	xp = xdp_program__open_file("/nonexistent/fx_log_test.o", NULL, NULL);
	CHECK(libxdp_get_error(xp) != 0);
	CHECKF(G.by_level[FX_LOG_DEBUG] == G.n, "%d of %d at DEBUG", G.by_level[FX_LOG_DEBUG], G.n);
	if (!any_from("libxdp: "))
		SKIP("libbpf's part arrived at DEBUG; libxdp said nothing for a missing file "
		     "(%d messages)",
		     G.n);
	fx_log_set_handler(NULL, NULL);
	fx_log_set_level(FX_LOG_WARN);
}

int main(void)
{
	RUN(handler_gets_enabled_levels);
	RUN(one_line);
	RUN(default_handler_writes_prefixed_lines);
	RUN(silencing);
	RUN(long_messages_truncated);
	RUN(bpf_messages_at_debug);
	return check_exit();
}
