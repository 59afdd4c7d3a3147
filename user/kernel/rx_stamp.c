/* rx_stamp — recvmsg() with SO_TIMESTAMPING under OpenSSL. */
#include "rx_stamp.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>


int rx_stamp_enable(int fd)
{
	int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;

	return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) ? -errno : 0;
}

struct rx_stamp_bio {
	int fd;
	struct rx_stamp *st;
};

static uint64_t ts_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
}

/* A CLOCK_REALTIME stamp as CLOCK_MONOTONIC: the offset between the two
 * clocks, read now (they move apart only when the wall clock is stepped). */
static uint64_t real_to_mono(uint64_t real)
{
	struct timespec r, m;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	int64_t off = (int64_t)ts_ns(&r) - (int64_t)ts_ns(&m);
	return (int64_t)real > off ? real - (uint64_t)off : 0;
}

static int rx_bio_read(BIO *b, char *out, int len)
{
	struct rx_stamp_bio *s = BIO_get_data(b);
	union {
		char buf[CMSG_SPACE(sizeof(struct scm_timestamping))];
		struct cmsghdr align;
	} cb;
	struct iovec iov = { out, len > 0 ? (size_t)len : 0 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
			     .msg_controllen = sizeof(cb.buf) };
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (!out || len <= 0)
		return 0;
	n = recvmsg(s->fd, &mh, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			BIO_set_retry_read(b);
		return -1;
	}
	if (n == 0) {
		BIO_set_flags(b, BIO_FLAGS_IN_EOF);
		return 0;
	}
	uint64_t at = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct scm_timestamping))) {
			struct scm_timestamping ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			if (ts.ts[0].tv_sec || ts.ts[0].tv_nsec)
				at = real_to_mono(ts_ns(&ts.ts[0]));
		}
	}
	if (at) {
		s->st->last_ns = at;
		s->st->stamped++;
	} else {
		s->st->unstamped++;
	}
	return (int)n;
}

static int rx_bio_write(BIO *b, const char *in, int len)
{
	struct rx_stamp_bio *s = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	n = send(s->fd, in, (size_t)len, MSG_NOSIGNAL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			BIO_set_retry_write(b);
		return -1;
	}
	return (int)n;
}

static long rx_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct rx_stamp_bio *s = BIO_get_data(b);

	(void)num;
	switch (cmd) {
	case BIO_C_GET_FD:
		if (ptr)
			*(int *)ptr = s->fd;
		return s->fd;
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_EOF:
		return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
	default:
		return 0;
	}
}

static int rx_bio_destroy(BIO *b)
{
	OPENSSL_free(BIO_get_data(b));
	BIO_set_data(b, NULL);
	return 1;
}

static BIO_METHOD *rx_bio_method(void)
{
	static BIO_METHOD *m;

	if (!m) {
		m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
				 "feedrx recvmsg");
		if (!m || !BIO_meth_set_read(m, rx_bio_read) ||
		    !BIO_meth_set_write(m, rx_bio_write) || !BIO_meth_set_ctrl(m, rx_bio_ctrl) ||
		    !BIO_meth_set_destroy(m, rx_bio_destroy)) {
			BIO_meth_free(m);
			m = NULL;
		}
	}
	return m;
}

BIO *rx_stamp_bio(int fd, struct rx_stamp *st)
{
	BIO_METHOD *m = rx_bio_method();
	struct rx_stamp_bio *s;
	BIO *b;

	if (!m || !(b = BIO_new(m)))
		return NULL;
	s = OPENSSL_zalloc(sizeof(*s));
	if (!s) {
		BIO_free(b);
		return NULL;
	}
	s->fd = fd;
	s->st = st;
	BIO_set_data(b, s);
	BIO_set_init(b, 1);
	return b;
}
