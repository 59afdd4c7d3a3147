/* feedrx.h — the public interface of libfeedrx, for programs that embed the
 * receiver (as user/feedrx.c does) or use its parts. Installed with the
 * headers below under $(includedir)/feedrx/; `pkg-config --cflags feedrx`
 * puts that folder on the include path, so a program writes
 * `#include <feedrx.h>`.
 *
 * Public, and what each is for:
 *   core/fx_err.h, core/fx_log.h   errors (0/negative, fx_strerror) and the log
 *                                  handler every library message goes through
 *   link/feed_link.h               one exchange connection, delivered exactly
 *                                  once across the fast and kernel paths
 *   link/link_kconn.h, kernel/kconn.h, kernel/tls_client.h, kernel/url.h
 *                                  the real transport and its options
 *   fast/fastpath.h                the XDP fast path's options and counters
 *   fast/fast_rx.h                 one interface's fast path shared by many
 *                                  connections (one per fastpath_opts.rx)
 *   sink/sink.h, venue/venue.h     where messages go; exchange dialects
 *   feed/feed_event.h              the normalized events (trade, bbo, book,
 *                                  top, status), fixed point, seq gapless
 *   feed/feed_event_codec.h, feed/feed_event_json.h
 *                                  their flat binary record and JSON line
 *   sink/sink_set.h                events to consumers: a callback
 *                                  (feed_sink_callback), --shm rings, NATS
 *   shm/shm_ring.h, shm/shm_sub.h  the shared-memory ring; a consumer's
 *                                  end that calls back with each event
 *   feed/feed_msg.h, feed/order_book.h  typed events and order books
 *   venue/binance_parse.h, proto/json.h  Binance messages into typed events
 *   stats/lat_stats.h, stats/lat_hist.h, stats/metrics.h
 *                                  latency per stage, histograms, the
 *                                  Prometheus endpoint
 *   feedrx_bpf.h                   the BPF <-> user contract (XDP counters)
 * Everything else in the source tree is internal and may change. */
#ifndef FEEDRX_H
#define FEEDRX_H

/* The events API (feed_event, the codec, sinks and the shm ring) has this
 * version; it grows when they change incompatibly. A program compares
 * feedrx_api_version() (the library it runs with) to FEEDRX_API_VERSION
 * (the header it was built with) before it relies on either. */
#define FEEDRX_API_VERSION 1
int feedrx_api_version(void);

#include "core/fx_err.h"
#include "core/fx_log.h"
#include "fast/fast_rx.h"
#include "fast/fastpath.h"
#include "feed/feed_event.h"
#include "feed/feed_event_codec.h"
#include "feed/feed_event_json.h"
#include "feed/feed_msg.h"
#include "feed/order_book.h"
#include "kernel/kconn.h"
#include "kernel/url.h"
#include "link/feed_link.h"
#include "link/link_kconn.h"
#include "link/link_transport.h"
#include "proto/json.h"
#include "shm/shm_ring.h"
#include "shm/shm_sub.h"
#include "sink/sink.h"
#include "sink/sink_set.h"
#include "stats/lat_hist.h"
#include "stats/lat_stats.h"
#include "stats/metrics.h"
#include "venue/binance_parse.h"
#include "venue/venue.h"

#endif
