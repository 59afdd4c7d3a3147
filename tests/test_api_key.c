/* Tests for api_key: the key from a file (first line, blanks trimmed), the
 * environment (wiped and unset) and an argument (blanked in place); bad
 * keys refused with messages that never hold the key; the header it makes. */
#include "check.h"
#include "kernel/api_key.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[64];

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
}

static void from_file(void)
{
	struct api_key k = {0};
	struct fx_error e = {0};
	const struct http_header *h;

	write_file("  abcDEF123+/=  \nsecond line\n");
	REQUIRE(api_key__from_file(&k, path, &e) == 0);
	CHECK(k.len == 12 && !memcmp(k.buf, "abcDEF123+/=", 12));
	h = api_key_header(&k, "X-MBX-APIKEY");
	REQUIRE(h != NULL);
	CHECK(!strcmp(h->name, "X-MBX-APIKEY") && h->value_len == k.len && h->value == k.buf);
	api_key__free(&k);
	CHECK(k.buf == NULL && api_key_header(&k, "X") == NULL);
	api_key__free(&k); /* idempotent */

	write_file("\n");
	CHECK(api_key__from_file(&k, path, &e) == -EINVAL && strstr(e.msg, "empty"));
	write_file("secret\x01key\n");
	CHECK(api_key__from_file(&k, path, &e) == -EINVAL && !strstr(e.msg, "secret"));
	CHECK(api_key__from_file(&k, "/nonexistent/key", &e) == -ENOENT);
	api_key__free(&k);
}

static void from_env(void)
{
	struct api_key k = {0};
	struct fx_error e = {0};
	char *v;

	unsetenv("FX_TEST_KEY");
	CHECK(api_key__from_env(&k, "FX_TEST_KEY", &e) == 1);
	setenv("FX_TEST_KEY", "envKey42", 1);
	v = getenv("FX_TEST_KEY");
	REQUIRE(api_key__from_env(&k, "FX_TEST_KEY", &e) == 0);
	CHECK(k.len == 8 && !memcmp(k.buf, "envKey42", 8));
	CHECK(getenv("FX_TEST_KEY") == NULL);
	(void)v; /* setenv's copy is freed by unsetenv: not read after */
	api_key__free(&k);
}

static void from_arg(void)
{
	struct api_key k = {0};
	struct fx_error e = {0};
	char arg[] = "argKey99";

	REQUIRE(api_key__from_arg(&k, arg, &e) == 0);
	CHECK(k.len == 8 && !memcmp(k.buf, "argKey99", 8));
	CHECK(!strcmp(arg, "xxxxxxxx"));
	api_key__free(&k);
	{
		char big[API_KEY_MAX + 8];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		CHECK(api_key__from_arg(&k, big, &e) == -EINVAL && strstr(e.msg, "longer"));
	}
	api_key__free(&k);
}

int main(void)
{
	snprintf(path, sizeof(path), "/tmp/feedrx-test-key.%d", (int)getpid());
	RUN(from_file);
	RUN(from_env);
	RUN(from_arg);
	unlink(path);
	return check_exit();
}
