/* rx_stamp — when the kernel received what OpenSSL reads from a TCP socket:
 * a read BIO that uses recvmsg() and takes the SO_TIMESTAMPING software
 * receive stamp of each read (the time the newest segment in it reached
 * the network stack, before any wake-up or loop turn), converted to
 * CLOCK_MONOTONIC so it lines up with every other stamp in lat_stats.
 *
 * It is the kernel path's arrival stamp, the counterpart of the XDP
 * program's: arrival -> handler is then measured on both paths. A message
 * gets the stamp of the read that completed it (as the fast path takes the
 * frame that completed it); several messages in one read share it. */
#ifndef FEEDRX_RX_STAMP_H
#define FEEDRX_RX_STAMP_H

#include <stdint.h>

#include <openssl/bio.h>

struct rx_stamp {
	uint64_t last_ns; /* CLOCK_MONOTONIC ns of the newest read's segment, 0 none */
	uint64_t stamped, unstamped; /* reads with and without a stamp */
};

/* Ask the kernel for software receive stamps on fd. 0 or -errno. */
int rx_stamp_enable(int fd);

/* A read BIO on fd that records stamps into st (which must outlive it);
 * NULL on allocation failure. The BIO does not close fd. */
BIO *rx_stamp_bio(int fd, struct rx_stamp *st);

#endif
