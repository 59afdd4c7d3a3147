#!/usr/bin/python3
"""bench_pyclient — the benchmark's reference client: Debian's python3-websockets
(asyncio, 10.x API) over TLS, one connection, end-to-end latency per message.

Latency is time.monotonic_ns() when websockets hands the message over, minus
the feed's "ts_ns" (feedsim's CLOCK_MONOTONIC at send; the same clock across
network namespaces on one host). Every sample is kept (8 bytes each in an
array('q'): counted in this process's RSS) and ranked exactly at the end.

Writes one JSON object shaped like feedrx's --stats-json (latencies in us):
  {"clock", "unit", "elapsed_s", "counters": {"msgs", "bytes", "drops"},
   "stages": {"e2e": {count, min, p50, p90, p99, p99_9, max, mean}},
   "curve": [[percentile, us], ...], "first_rx_realtime_ns", "last_rx_realtime_ns",
   "bad_ts", "error"}
Exit status: 0 when --count messages arrived (or the server closed cleanly
after sending them all), 1 otherwise; the JSON is written in every case,
also on SIGINT/SIGTERM.
"""
import argparse
import array
import asyncio
import heapq
import json
import math
import signal
import ssl
import sys
import time

import websockets

TS_KEY = '"ts_ns":'
# the percentile grid of the plot's curve (max is added at 100 - 100/n)
CURVE_PS = [0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 97.5, 99,
            99.5, 99.75, 99.9, 99.95, 99.99, 99.995, 99.999]


def rank(p, n):
    """0-based nearest rank of percentile p among n samples."""
    return min(max(1, math.ceil(p / 100.0 * n)) - 1, n - 1)


def at_ranks(samples, ranks):
    """{rank: value} of the samples in sorted order. Sorts 64 Ki chunks into
    arrays and merges them lazily: sorted() of all samples at once would hold
    ~36 bytes per sample of Python ints and inflate the RSS we report."""
    chunks = []
    for i in range(0, len(samples), 65536):
        chunks.append(array.array('q', sorted(samples[i:i + 65536])))
    want = set(ranks)
    out = {}
    for i, v in enumerate(heapq.merge(*chunks)):
        if i in want:
            out[i] = v
            if len(out) == len(want):
                break
    return out


class Run:
    def __init__(self):
        self.lat = array.array('q')
        self.msgs = 0
        self.bytes = 0
        self.bad_ts = 0
        self.first_rt = 0
        self.last_rt = 0
        self.error = None
        self.clean = False


async def receive(args, run):
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=args.cafile)
    append = run.lat.append
    mono = time.monotonic_ns
    count = args.count
    async with websockets.connect(args.url, ssl=ctx, compression=None,
                                  max_size=args.max_size, open_timeout=10,
                                  ping_interval=None, close_timeout=2) as ws:
        async for msg in ws:
            now = mono()
            # the feed's data objects end with "ts_ns":N}} (combined) or }
            i = msg.rfind(TS_KEY)
            if i < 0:
                run.bad_ts += 1
                continue
            j = i + len(TS_KEY)
            k = j
            while k < len(msg) and msg[k].isdigit():
                k += 1
            append(now - int(msg[j:k]))
            run.msgs += 1
            run.bytes += len(msg)
            if run.msgs == 1:
                run.first_rt = time.time_ns()
            if count and run.msgs >= count:
                run.last_rt = time.time_ns()
                run.clean = True
                break
        else:
            run.last_rt = time.time_ns()
            run.clean = count == 0 or run.msgs >= count


def report(args, run, t0):
    lat = run.lat
    n = len(lat)
    st = {"label": "send -> python handler (end to end)", "count": n}
    curve = []
    if n:
        ps = [50, 90, 99, 99.9] + [p for p in CURVE_PS if p <= 100.0 - 100.0 / n]
        v = at_ranks(lat, [rank(p, n) for p in ps])
        us = lambda p: v[rank(p, n)] / 1e3
        lo, hi = min(lat) / 1e3, max(lat) / 1e3
        st.update(min=lo, p50=us(50), p90=us(90), p99=us(99), p99_9=us(99.9), max=hi,
                  mean=sum(lat) / n / 1e3)
        curve = [[p, us(p) if p else lo] for p in CURVE_PS if p <= 100.0 - 100.0 / n]
        curve.append([100.0 - 100.0 / n, hi])
    else:
        st.update(min=None, p50=None, p90=None, p99=None, p99_9=None, max=None, mean=None)
    out = {
        "clock": "CLOCK_MONOTONIC", "unit": "us",
        "elapsed_s": round((time.monotonic_ns() - t0) / 1e9, 3),
        "client": "python3-websockets " + websockets.__version__,
        "counters": {"msgs": run.msgs, "bytes": run.bytes, "drops": 0},
        "stages": {"e2e": st},
        "curve": curve,
        "first_rx_realtime_ns": run.first_rt or None,
        "last_rx_realtime_ns": run.last_rt or None,
        "bad_ts": run.bad_ts,
        "error": run.error,
    }
    with open(args.json, "w") as f:
        json.dump(out, f)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cafile", required=True)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--json", required=True, help="write the results here")
    ap.add_argument("--max-size", type=int, default=4 << 20)
    ap.add_argument("url")
    args = ap.parse_args()

    run = Run()
    t0 = time.monotonic_ns()
    loop = asyncio.new_event_loop()
    task = loop.create_task(receive(args, run))
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        run.error = "interrupted"
    except Exception as e:  # report every failure in the JSON, then exit 1
        run.error = "%s: %s" % (type(e).__name__, e)
    finally:
        loop.close()
    report(args, run, t0)
    if run.error:
        print("bench_pyclient: " + run.error, file=sys.stderr)
    return 0 if run.clean and not run.error else 1


if __name__ == "__main__":
    sys.exit(main())
