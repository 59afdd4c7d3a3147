/* tcp_reasm — one-direction TCP stream reassembly (exchange → client bytes)
 * for the AF_XDP fast path.
 *
 * Owns: the receive sequence state of one connection (next expected byte,
 * 64-bit stream offsets), a bounded out-of-order store allocated once at
 * creation, FIN/RST end-of-stream tracking and the counters describing all
 * of it. It does not send, ACK or re-inject anything: the kernel socket does
 * (docs/ARCHITECTURE.md §3).
 *
 * Contract with the caller (the AF_XDP drain):
 *  - In-order bytes are delivered straight from the caller's buffer; held
 *    bytes from the store. The pointer passed to deliver() is valid only
 *    during the call. Callbacks must not call back into the same tcp_reasm.
 *    One tcp_reasm belongs to one thread (the loop that drains the ring).
 *  - A segment is taken whole or not at all. On a negative return nothing of
 *    it was taken: do not re-inject it, so the kernel never ACKs it and TCP
 *    resends it (this is how caps and window refusals heal).
 *  - Stream offset 0 is the byte at isn + 1; offsets are 64-bit, so streams
 *    longer than 4 GiB keep exact offsets.
 */
#ifndef FEEDRX_TCP_REASM_H
#define FEEDRX_TCP_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feedrx_bpf.h" /* FX_TCP_*: pass the TCP header's flag byte as is */
#include "fast_types.h" /* struct tcp_reasm_stats */

#define TCP_REASM_DEF_MAX_OOO_BYTES (4u << 20)
#define TCP_REASM_DEF_MAX_OOO_SEGS 1024u
#define TCP_REASM_DEF_WINDOW (16u << 20)
/* Largest window TCP can advertise (65535 << 14) rounded up; keeps every
 * comparison far from the 2^31 ambiguity of 32-bit sequence numbers. */
#define TCP_REASM_MAX_WINDOW (1u << 30)
#define TCP_REASM_MAX_OOO_BYTES (1u << 30)
#define TCP_REASM_MAX_OOO_SEGS (1u << 20)

/* Wrap-safe comparisons of 32-bit sequence numbers (RFC 1982 style). */
static inline bool tcp_reasm_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool tcp_reasm_seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* Stream bytes [off, off + len) in order, exactly once each, offsets
 * contiguous across calls. len is never 0. */
typedef void (*tcp_reasm_deliver_fn)(void *user, uint64_t off, const uint8_t *data, size_t len);

/* The stream ended at offset off (all bytes before it delivered for FIN;
 * whatever was delivered so far for RST). how: FX_TCP_FIN or FX_TCP_RST. */
typedef void (*tcp_reasm_end_fn)(void *user, uint64_t off, int how);

struct tcp_reasm_opts {
	/* Out-of-order bytes are held only within this many bytes of the next
	 * expected byte (the store is a ring indexed by stream offset), so at
	 * most this many are ever held. 0: TCP_REASM_DEF_MAX_OOO_BYTES. */
	uint32_t max_ooo_bytes;
	/* At most this many out-of-order segments held. 0: default. */
	uint32_t max_ooo_segs;
	/* Bytes beyond next expected + window are refused. 0: default.
	 * Change later with tcp_reasm__set_window(). */
	uint32_t window;
	tcp_reasm_deliver_fn deliver; /* required */
	tcp_reasm_end_fn end;         /* optional; tcp_reasm__state() tells too */
	void *user;                    /* passed to both callbacks */
};

enum tcp_reasm_state {
	TCP_REASM_IDLE = 0, /* no ISN yet: tcp_reasm__start() or a SYN */
	TCP_REASM_OPEN,     /* receiving */
	TCP_REASM_FINISHED, /* FIN reached: every byte before it delivered */
	TCP_REASM_RESET,    /* RST accepted: stream cut where it was */
};

struct tcp_reasm;

/* Bytes needed by tcp_reasm__init() for these options; 0 if they are invalid. */
size_t tcp_reasm_mem_size(const struct tcp_reasm_opts *opts);

/* Set up a reassembler inside caller memory (any alignment, at least
 * tcp_reasm_mem_size(opts) bytes, kept alive and untouched until done).
 * Returns 0 or -EINVAL (bad options, NULL deliver, too small). */
int tcp_reasm__init(struct tcp_reasm **out, void *mem, size_t size,
		    const struct tcp_reasm_opts *opts);

/* Allocate and set up: 0 and *out, or -EINVAL / -ENOMEM. */
int tcp_reasm__new(struct tcp_reasm **out, const struct tcp_reasm_opts *opts);

/* Free what tcp_reasm__new() made; no-op for NULL and for __init memory. */
void tcp_reasm__free(struct tcp_reasm *r);

/* Begin (or restart) a stream: isn is the exchange's initial sequence number
 * from its SYN-ACK; stream offset 0 is isn + 1. Clears held data and stats. */
void tcp_reasm__start(struct tcp_reasm *r, uint32_t isn);

/* Feed one segment: seq from the TCP header, flags its flag byte, payload
 * its len data bytes (may be NULL only when len is 0). Before start a SYN
 * starts the stream with its seq; a repeated SYN with the same ISN is
 * harmless. A RST ends the stream only at exactly
 * the next expected sequence number (RFC 5961: the kernel answers any other
 * with a challenge ACK); others are counted and ignored. Returns 0 when taken
 * (delivered, held, a counted duplicate or an ignored RST) or, with nothing
 * of it taken:
 *   -ENOTCONN    no ISN yet
 *   -ERANGE      outside the receive window
 *   -ENOBUFS     out-of-order caps reached
 *   -EPROTO      SYN with another ISN, data beyond the FIN, moved FIN
 *   -EPIPE       new data after the stream finished
 *   -ECONNRESET  the stream was reset */
int tcp_reasm__push(struct tcp_reasm *r, uint32_t seq, uint8_t flags, const void *payload,
		    uint32_t len);

/* New receive window (as the kernel advertises it). -EINVAL above
 * TCP_REASM_MAX_WINDOW. 0 is a zero window: every new byte is refused. */
int tcp_reasm__set_window(struct tcp_reasm *r, uint32_t window);

enum tcp_reasm_state tcp_reasm__state(const struct tcp_reasm *r);

/* Next expected stream offset = bytes delivered so far. */
uint64_t tcp_reasm__offset(const struct tcp_reasm *r);

/* Next expected sequence number (what the kernel will ACK once caught up). */
uint32_t tcp_reasm__next_seq(const struct tcp_reasm *r);

void tcp_reasm__stats(const struct tcp_reasm *r, struct tcp_reasm_stats *out);

#endif
