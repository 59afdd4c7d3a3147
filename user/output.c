/* output — message sinks (see output.h). */
#include "output.h"

#include <errno.h>
#include <string.h>

/* stdio keeps a pointer to its buffer until exit: static storage, so it
 * outlives every caller; a second raw output keeps stdio's own buffer. */
static char output__buf[OUTPUT_BUF_SIZE];
static bool output__buf_used;

int output_kind_parse(const char *s, enum output_kind *k)
{
	if (strcmp(s, "raw") == 0)
		*k = OUTPUT_RAW;
	else if (strcmp(s, "none") == 0)
		*k = OUTPUT_NONE;
	else
		return -EINVAL;
	return 0;
}

int output__init(struct output *o, enum output_kind k, FILE *f)
{
	memset(o, 0, sizeof(*o));
	o->kind = k;
	o->f = f;
	if (k == OUTPUT_RAW && !output__buf_used) {
		if (setvbuf(f, output__buf, _IOFBF, sizeof(output__buf)))
			return -EINVAL;
		output__buf_used = true;
	}
	return 0;
}

int output__message(struct output *o, const uint8_t *p, size_t n)
{
	o->messages++;
	o->bytes += n;
	if (o->kind == OUTPUT_NONE || o->err)
		return o->err;
	if (fwrite_unlocked(p, 1, n, o->f) != n || fputc_unlocked('\n', o->f) == EOF) {
		o->err = errno ? -errno : -EIO;
		return o->err;
	}
	o->dirty = true;
	return 0;
}

int output__flush(struct output *o)
{
	if (!o->dirty || o->err)
		return o->err;
	o->dirty = false;
	if (fflush(o->f)) {
		o->err = errno ? -errno : -EIO;
		return o->err;
	}
	return 0;
}
