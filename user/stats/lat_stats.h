/* lat_stats — per-message latency of each pipeline stage, end to end, and
 * the receiver's counters; printed as a live line every second, a table at
 * exit and JSON. Owns one lat_hist per stage twice over (last-second window
 * and running total); allocates once in lat_stats__new.
 *
 * Clocks. Every stamp in struct lat_stamps is CLOCK_MONOTONIC ns: the XDP
 * program's bpf_ktime_get_ns() and user-space clock_gettime(CLOCK_MONOTONIC)
 * are the same clock, and feedsim's "ts_ns" is too when it runs on the same
 * host (the veth test topology), which is what makes send->handler a true
 * end-to-end figure. The exchange's event time E is CLOCK_REALTIME in ms (or
 * us, when asked for) on another machine: the exchange rows (E -> arrival,
 * E -> handler) are kept apart, are only as good as the two hosts' clock
 * synchronisation (negative deltas are counted, not recorded; deltas over
 * an hour are counted as implausible) and have E's resolution. */
#ifndef FEEDRX_LAT_STATS_H
#define FEEDRX_LAT_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "feedrx_bpf.h"
#include "lat_hist.h"

/* Where a message was stamped on its way through feedrx, in pipeline order. */
enum lat_point {
	LAT_PT_XDP = 0,  /* arrival: XDP metadata rx_ns of the frame that completed
			  * it, or on the kernel path the kernel's receive stamp
			  * of the read that did (rx_stamp.h) */
	LAT_PT_DRAIN,    /* taken off the AF_XDP ring */
	LAT_PT_REASM,    /* in-order bytes out of the TCP reassembler */
	LAT_PT_DECRYPT,  /* TLS record verified and decrypted */
	LAT_PT_FRAME,    /* WebSocket frame decoded */
	LAT_PT_HANDLER,  /* feed handler called */
	LAT_PT__MAX,
};

/* The histograms: adjacent stamped points, then the aggregates. */
enum lat_stage {
	LAT_ST_WIRE = 0,       /* send_ns -> first stamped point */
	LAT_ST_XDP_DRAIN,      /* at[XDP] -> at[DRAIN], and so on pairwise */
	LAT_ST_DRAIN_REASM,
	LAT_ST_REASM_DECRYPT,
	LAT_ST_DECRYPT_FRAME,
	LAT_ST_FRAME_HANDLER,
	LAT_ST_RX,             /* first stamped point -> handler: time inside feedrx */
	LAT_ST_E2E,            /* send_ns -> handler */
	LAT_ST_EXCHANGE,       /* exchange event time -> handler (realtime, two clocks) */
	LAT_ST_EXCH_ARRIVAL,   /* exchange event time -> first rx stamp (two clocks) */
	LAT_ST__MAX,
};

/* One message's stamps; 0 means "not stamped" (the kernel path has no XDP,
 * drain or reassembly stamps). A stage is recorded when both its ends are
 * stamped. */
struct lat_stamps {
	uint64_t send_ns;         /* feedsim "ts_ns" (CLOCK_MONOTONIC, same host) */
	uint64_t at[LAT_PT__MAX]; /* CLOCK_MONOTONIC ns */
	uint64_t event_ms;        /* exchange "E" (CLOCK_REALTIME ms) */
	uint64_t event_ns;        /* the same in ns, any unit (lat_stats_epoch_ns);
				   * used instead of event_ms when set */
	uint64_t real_ns;         /* CLOCK_REALTIME ns when the handler ran */
};

/* An exchange time in ms, us or ns since the epoch (told apart by size, as
 * venues send any of them) in ns; 0 for a value that is not an epoch time
 * of this century. */
uint64_t lat_stats_epoch_ns(uint64_t v);
/* Exchange times further than this from the local clock are not recorded
 * (counted as "implausible"): not an epoch time, or a clock that is off. */
#define LAT_STATS_EXCH_MAX_NS (3600ull * 1000000000ull)

/* Cumulative counters, plain numbers the caller keeps current. */
struct lat_counters {
	uint64_t msgs;
	uint64_t bytes;  /* payload bytes delivered */
	uint64_t drops;  /* messages or frames lost on the fast path */
	uint64_t fast;   /* deliveries from the XDP fast path */
	uint64_t shadow; /* deliveries from the kernel (shadow) path */
	uint64_t xdp[FX_CNT__MAX]; /* the XDP program's counters, summed over CPUs */
};

/* Which clock stamped arrival (at[LAT_PT_XDP]). Every source is put on
 * CLOCK_MONOTONIC before it is recorded, but they stamp different moments
 * with different clocks, so one run's histograms hold one source only. */
enum lat_arrival_clock {
	LAT_CLK_AUTO = 0,   /* not set: by the path (kernel_only or not) */
	LAT_CLK_XDP_KTIME,  /* the XDP program's bpf_ktime_get_ns() at entry */
	LAT_CLK_NIC,        /* the NIC's RX hardware stamp (--nic-stamps), PHC
			     * moved onto CLOCK_MONOTONIC by a sampled offset */
	LAT_CLK_KERNEL_SW,  /* SO_TIMESTAMPING software RX stamp (rx_stamp.h) */
	LAT_CLK__MAX,
};

/* "xdp-ktime", "nic", "kernel-rx-software" (the stats JSON's
 * "arrival_clock"); "?" out of range. */
const char *lat_arrival_clock_name(enum lat_arrival_clock c);

struct lat_stats {
	struct lat_counters c;    /* the caller writes these */
	struct lat_counters prev; /* c at the last live line */
	uint64_t start_ns;        /* CLOCK_MONOTONIC at new/init */
	uint64_t last_ns;         /* at the last live line */
	uint64_t negative[LAT_ST__MAX]; /* deltas < 0: clock trouble, not recorded */
	uint64_t implausible;     /* exchange times over LAT_STATS_EXCH_MAX_NS off */
	/* The kernel path alone (--mode kernel, or auto without XDP): it has no
	 * fast path (and arrival stamps only where the kernel gives them), so
	 * the reports leave out what it does not measure instead of showing
	 * zeros. */
	bool kernel_only;
	enum lat_arrival_clock arrival_clock; /* lat_stats__set_arrival_clock */
	struct lat_hist win[LAT_ST__MAX];   /* since the last live line */
	struct lat_hist total[LAT_ST__MAX]; /* everything rolled in from windows */
	struct lat_hist scratch;            /* total + window, for the reports */
	/* Fast path only: per AF_XDP batch, the time from the ring to the end of
	 * decoding divided by the messages it delivered — the cost of one
	 * message after the ring, without waiting behind others. The caller
	 * fills it (lat_hist__merge); reported as the "service" stage. */
	struct lat_hist service;
	/* More members for the JSON report's top level (the connection set's
	 * "feeds" object): printed as ,"feeds":{...} when set. */
	void (*json_feeds)(void *user, FILE *f);
	void *json_feeds_user;
};

/* Allocate (about 0.6 MiB, once) and initialise: 0 and *out, or -ENOMEM. */
int lat_stats__new(struct lat_stats **out);
void lat_stats__free(struct lat_stats *s);
/* For caller-provided storage; now_ns is the CLOCK_MONOTONIC start time. */
void lat_stats__init(struct lat_stats *s, uint64_t now_ns);

/* Say which clock stamps arrival. 0, -EINVAL (out of range) or -EBUSY: a
 * different clock once arrival samples were recorded (they would mix). */
int lat_stats__set_arrival_clock(struct lat_stats *s, enum lat_arrival_clock c);
/* The clock in use: the one set, else by the path. */
enum lat_arrival_clock lat_stats__arrival_clock(const struct lat_stats *s);

/* Record one message's stage deltas into the current window. */
void lat_stats__record(struct lat_stats *s, const struct lat_stamps *st);

/* Short names ("wire", "xdp_drain", ...) and readable labels of stages. */
const char *lat_stats_stage_name(enum lat_stage st);
const char *lat_stats_stage_label(enum lat_stage st);

/* One line: rates since the last line, end-to-end and in-receiver p50/p99
 * of the window, drops, fast/shadow deliveries. Then rolls the window into
 * the total and starts a new one. _at takes the CLOCK_MONOTONIC time. */
void lat_stats__live_line(struct lat_stats *s, FILE *f);
/* The same line into buf (no newline, truncated to size - 1): its length,
 * 0 (nothing rolled) when the last line is less than half a second old.
 * Rolls the window like the two above. LAT_STATS_LIVE_MAX always fits. */
#define LAT_STATS_LIVE_MAX 512
size_t lat_stats__live_format(struct lat_stats *s, char *buf, size_t size, uint64_t now_ns);
void lat_stats__live_line_at(struct lat_stats *s, FILE *f, uint64_t now_ns);

/* Table of every stage (count, p50, p90, p99, p99.9, max in us) plus the
 * counters; includes the not yet rolled window. */
void lat_stats__summary(struct lat_stats *s, FILE *f);
/* The same as one JSON object (latencies in us, null when a stage is empty). */
void lat_stats__json(struct lat_stats *s, FILE *f);
/* The same with "error": the line the run ended with, or null (error NULL:
 * a clean end). A run that failed before measuring anything still writes
 * its file, with zero counts and the reason. */
void lat_stats__json_error(struct lat_stats *s, FILE *f, const char *error);

/* Everything recorded for one stage so far (the running total and the
 * window not yet rolled), in s->scratch: valid until the next call. */
const struct lat_hist *lat_stats__combined(struct lat_stats *s, enum lat_stage st);
/* Name of an XDP program counter (enum fx_counter): "steered", ... */
const char *lat_stats_xdp_name(int counter);

/* Monotonic now in ns (CLOCK_MONOTONIC), for callers stamping points. */
uint64_t lat_stats_now_ns(void);

#endif
