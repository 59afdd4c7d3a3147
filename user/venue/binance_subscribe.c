/* binance_subscribe — Binance's SUBSCRIBE request and the recognition of its
 * reply (see binance_subscribe.h). */
#include "binance_subscribe.h"
#include "venue_json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool binance_stream_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 200)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

int binance_subscribe_request(const char *const *streams, size_t n, unsigned id, char *out, size_t cap)
{
	size_t len = 0;
	int r;

	r = snprintf(out, cap, "{\"method\":\"SUBSCRIBE\",\"params\":[");
	if (r < 0 || (size_t)r >= cap)
		return -ENOSPC;
	len = (size_t)r;
	for (size_t i = 0; i < n; i++) {
		if (!binance_stream_ok(streams[i]))
			return -EINVAL;
		r = snprintf(out + len, cap - len, "%s\"%s\"", i ? "," : "", streams[i]);
		if (r < 0 || (size_t)r >= cap - len)
			return -ENOSPC;
		len += (size_t)r;
	}
	r = snprintf(out + len, cap - len, "],\"id\":%u}", id);
	if (r < 0 || (size_t)r >= cap - len)
		return -ENOSPC;
	return (int)(len + (size_t)r);
}

/* A decimal that equals id exactly. */
static bool binance_subscribe__id_is(const uint8_t *v, size_t n, unsigned id)
{
	unsigned long long x = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (unsigned)(v[i] - '0');
	}
	return x == id;
}

struct binance_subscribe__reply {
	unsigned id;
	bool id_ok, result, error;
};

static bool binance_subscribe__member(const uint8_t *k, size_t kn, const uint8_t *v, size_t vn,
				      void *user)
{
	struct binance_subscribe__reply *r = user;

	if (kn == 2 && memcmp(k, "id", 2) == 0) /* a number, not "1" (v[-1]: its quote) */
		r->id_ok = v[-1] != '"' && binance_subscribe__id_is(v, vn, r->id);
	else if (kn == 6 && memcmp(k, "result", 6) == 0)
		r->result = true;
	else if (kn == 5 && memcmp(k, "error", 5) == 0)
		r->error = true;
	return true;
}

enum binance_sub_reply binance_subscribe_classify(const uint8_t *p, size_t n, unsigned id)
{
	struct binance_subscribe__reply r = {.id = id};

	if (!vjson_walk_exact(p, n, binance_subscribe__member, &r) || !r.id_ok)
		return BINANCE_SUB_DATA;
	if (r.error)
		return BINANCE_SUB_ERROR;
	return r.result ? BINANCE_SUB_OK : BINANCE_SUB_DATA;
}
