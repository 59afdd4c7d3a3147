/* sink_none — count and drop (benchmarks; sink.c does the counting). */
#include "sink.h"

const struct feed_sink_ops feed_sink_none = {
    .name = "none",
    .help = "count only",
};
