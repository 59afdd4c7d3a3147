/* api_key — an API key on secmem pages (see api_key.h). */
#include "api_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fx_log.h"
#include "core/secmem.h"

static int api_key__alloc(struct api_key *k)
{
	if (!k->buf && !(k->buf = secmem_alloc(API_KEY_MAX)))
		return -ENOMEM;
	k->len = 0;
	return 0;
}

/* Trim blanks and a line end; a key is printable ASCII without spaces. */
static int api_key__set(struct api_key *k, const char *p, size_t n, const char *from,
			struct fx_error *err)
{
	int r = api_key__alloc(k);

	if (r)
		return fx_error_set(err, r, "%s: cannot allocate memory for the API key", from);
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\n' || p[i] == '\r') {
			n = i; /* the first line only */
			break;
		}
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (!n)
		return fx_error_set(err, -EINVAL, "%s: the API key is empty", from);
	if (n >= API_KEY_MAX)
		return fx_error_set(err, -EINVAL, "%s: the API key is longer than %d bytes", from,
				    API_KEY_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return fx_error_set(err, -EINVAL,
					    "%s: the API key has a character that is not printable "
					    "ASCII (at byte %zu)",
					    from, i + 1);
	memcpy(k->buf, p, n);
	k->len = n;
	return 0;
}

int api_key__from_file(struct api_key *k, const char *path, struct fx_error *err)
{
	char *tmp = secmem_alloc(API_KEY_MAX * 2);
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, r;

	if (!tmp)
		return fx_error_set(err, -ENOMEM, "--api-key-file: cannot allocate memory");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		secmem_free(tmp, API_KEY_MAX * 2);
		return fx_error_set(err, r, "--api-key-file %s: %s", path, strerror(-r));
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
		fx_log(FX_LOG_WARN,
		       "warning: --api-key-file %s can be read by other users "
		       "(chmod 600 it)",
		       path);
	while (got < API_KEY_MAX * 2 - 1 &&
	       (n = read(fd, tmp + got, API_KEY_MAX * 2 - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			close(fd);
			secmem_free(tmp, API_KEY_MAX * 2);
			return fx_error_set(err, r, "--api-key-file %s: %s", path, strerror(-r));
		}
		got += (size_t)n;
	}
	close(fd);
	r = api_key__set(k, tmp, got, "--api-key-file", err);
	secmem_free(tmp, API_KEY_MAX * 2);
	return r;
}

int api_key__from_env(struct api_key *k, const char *var, struct fx_error *err)
{
	char *v = getenv(var);
	size_t n;
	int r;

	if (!v || !*v)
		return 1;
	n = strlen(v);
	r = api_key__set(k, v, n, var, err);
	explicit_bzero(v, n); /* the process's copy of the environment */
	unsetenv(var);
	return r;
}

int api_key__from_arg(struct api_key *k, char *arg, struct fx_error *err)
{
	size_t n = strlen(arg);
	int r = api_key__set(k, arg, n, "--api-key", err);

	/* ps reads the argument area: blank it (what ps showed until now
	 * cannot be taken back, hence the warning at the option) */
	memset(arg, 'x', n);
	return r;
}

const struct http_header *api_key_header(struct api_key *k, const char *name)
{
	if (!k->buf || !k->len)
		return NULL;
	k->hdr.name = name;
	k->hdr.value = k->buf;
	k->hdr.value_len = k->len;
	return &k->hdr;
}

void api_key__free(struct api_key *k)
{
	if (!k)
		return;
	secmem_free(k->buf, API_KEY_MAX); /* wipes */
	k->buf = NULL;
	k->len = 0;
	k->hdr = (struct http_header){0};
}
