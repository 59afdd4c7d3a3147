#!/usr/bin/python3
"""bench_report — turn build/bench/ (written by scripts/bench.sh) into the
benchmark's table (stdout and report.txt), results.json and latency.png.

  bench_report.py OUT_DIR      the report
  bench_report.py --judge RUN  one run's verdict: "lossless: …", "loss: …",
                               "unavailable: …" (bench.sh steps rates with it)

Only measured values are reported; what was not measured says why. Targets
are benchmark figures (issues #5 and #12), shown as met / missed with the
numbers; issue #12's side-by-side rows (kernel wake-up vs xdp wake-up, kernel
busy vs xdp busy, low rates with one message per TLS record) come from
latency_rows(), pair_rows() and targets12() below.
Standard library only (runs on /usr/bin/python3 without numpy/matplotlib).
"""
import json
import math
import os
import re
import shutil
import subprocess
import sys

CLIENTS = [
    ("kernel", "feedrx --mode kernel"),
    ("kernel_busy", "feedrx --mode kernel --poll busy"),
    ("xdp_wakeup", "feedrx --mode xdp --poll wakeup"),
    ("xdp_busy", "feedrx --mode xdp --poll busy"),
    ("python", "python3-websockets client"),
]
LABEL = dict(CLIENTS)
# a receiver "takes" a rate when it has every message within count/rate/KEEP_UP
# of feedsim's first send: feedsim paces by backpressure, so a slow reader
# stretches the stream instead of losing it
KEEP_UP = 0.97
# stages after the AF_XDP ring, in pipeline order (user/stats/lat_stats.c names)
AFTER_RING = ["drain_reasm", "reasm_decrypt", "decrypt_frame", "frame_handler"]
STAGE_ORDER = ["wire", "xdp_drain", "drain_reasm", "reasm_decrypt", "decrypt_frame",
               "frame_handler", "rx", "e2e"]


# ---------------------------------------------------------------- one run

def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def err_reason(text):
    """The line of a receiver's stderr that says what went wrong."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for l in reversed(lines):
        if l.startswith(("feedrx:", "bench_pyclient:")):
            return l
    return lines[-1] if lines else "no message on stderr"


def load_run(d):
    """Everything measured in one run directory, as a dict."""
    meta = read_json(os.path.join(d, "meta.json")) or {}
    r = {"dir": os.path.basename(d), "client": meta.get("client"), "kind": meta.get("kind"),
         "rate": meta.get("rate"), "count": meta.get("count"), "rc": meta.get("rc")}
    stats = read_json(os.path.join(d, "stats.json"))
    rx_err = read_text(os.path.join(d, "rx.err"))
    r["rx_err"] = rx_err
    r["stderr_tail"] = err_reason(rx_err) if rx_err.strip() else None

    # /usr/bin/time: the last line is "%e %U %S %M %c %w" (older runs: the
    # first four; earlier lines: exit notes); %c involuntary context switches
    # (a busy receiver preempted by the machine's other work), %w waits
    tl = [l.split() for l in read_text(os.path.join(d, "time")).splitlines()]
    tl = [t for t in tl if len(t) in (4, 6) and all(re.match(r"^[\d.]+$", x) for x in t)]
    r.update(nivcsw=None, nvcsw=None)
    if tl:
        e, u, s, m = tl[-1][:4]
        r.update(wall_s=float(e), user_s=float(u), sys_s=float(s), rss_kib=int(m))
        if len(tl[-1]) == 6:
            r.update(nivcsw=int(tl[-1][4]), nvcsw=int(tl[-1][5]))
    else:
        r.update(wall_s=None, user_s=None, sys_s=None, rss_kib=None)
    r["cpu_share"] = None
    if r["wall_s"] and r["user_s"] is not None:
        r["cpu_share"] = (r["user_s"] + r["sys_s"]) / r["wall_s"]

    # feedsim's stderr, each line prefixed with CLOCK_REALTIME by bench.sh
    gen_start = gen_end = gone = None
    for l in read_text(os.path.join(d, "sim.err")).splitlines():
        t, _, msg = l.partition(" ")
        try:
            t = float(t)
        except ValueError:
            continue
        if msg.endswith("-> 101"):
            gen_start = t
        elif "closing:" in msg and "count reached" in msg:
            gen_end = t
        elif " gone: " in msg:
            gone = t
    r["gen_start"], r["gen_end"], r["sim_gone"] = gen_start, gen_end, gone

    r["stats"] = stats
    if stats:
        c = stats.get("counters", {})
        r["received"] = c.get("msgs")
        r["bytes"] = c.get("bytes")
        r["drops"] = c.get("drops")
        r["received_from"] = "stats"
    elif r["rc"] == 0 and r["client"] != "python":
        r["received"], r["drops"], r["bytes"] = r["count"], None, None
        r["received_from"] = "exit status 0 with --count"
    else:
        r["received"], r["drops"], r["bytes"] = None, None, None
        r["received_from"] = None

    # When the last message was in, at the latest: the python client says;
    # a receiver that stops at --count closes its connection only after the
    # last message (feedsim logs "gone"), and exits after that (its teardown,
    # e.g. detaching XDP, would wrongly count as receiving time)
    ends = []
    if r["received"]:
        if stats and stats.get("last_rx_realtime_ns"):
            ends.append(stats["last_rx_realtime_ns"] / 1e9)
        if gone and gen_start and gone > gen_start:
            ends.append(gone)
        if meta.get("t_end") is not None:
            ends.append(float(meta["t_end"]))
    rx_end = min(ends) if ends else None
    r["rx_end"] = rx_end
    r["achieved_rate"] = None
    if r["received"] and gen_start and rx_end and rx_end > gen_start:
        r["achieved_rate"] = r["received"] / (rx_end - gen_start)
    r["cpu_ns_per_msg"] = None
    if r["received"] and r["user_s"] is not None:
        r["cpu_ns_per_msg"] = (r["user_s"] + r["sys_s"]) / r["received"] * 1e9
    r["verdict"] = judge(r)
    return r


def judge(r):
    rc, got, count, rate = r["rc"], r["received"], r["count"], r["rate"]
    why = r["stderr_tail"] or "exit %s" % rc
    if rc is None:
        return "failed: run incomplete"
    if rc == -1:
        return "failed: %s" % why
    # a receiver that gives up at once, having received nothing, cannot run here
    if rc not in (0, 124, 137) and not got:
        return "unavailable: %s" % why
    if got is None:
        return "loss: count unknown (exit %s: %s)" % (rc, why)
    if got < count:
        tmo = " (timed out)" if rc in (124, 137) else ""
        return "loss: got %d of %d%s: %s" % (got, count, tmo, why)
    if r["drops"]:
        return "loss: %d fast-path drops (recovered by TCP / the shadow path)" % r["drops"]
    ach = r["achieved_rate"]
    if rate:
        if ach is None:
            return "loss: cannot tell whether it kept up (no timing)"
        if ach < KEEP_UP * rate:
            more = ""
            if r["gen_start"] and r["gen_end"] and r["gen_end"] > r["gen_start"]:
                more = " (feedsim sent at %.0f msgs/s; last message in %.0f ms after the " \
                       "last send)" % (count / (r["gen_end"] - r["gen_start"]),
                                      max(0.0, r["rx_end"] - r["gen_end"]) * 1e3)
            return "loss: took the stream at only %.0f msgs/s (< %.0f%% of %d)%s" % (
                ach, KEEP_UP * 100, rate, more)
        return "lossless: %d msgs at %.0f msgs/s" % (got, ach)
    return "lossless: %d msgs flat out at %s msgs/s" % (got, "%.0f" % ach if ach else "?")


# ---------------------------------------------------------------- micro

NS_RE = re.compile(r"(\d+(?:\.\d+)?)\s*ns/(msg|op|segment|record|query)\b")


def parse_micro(name, text):
    """ns-per-unit figures of one micro-benchmark's output."""
    out = []
    cols = None
    for line in text.splitlines():
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            continue
        if "zero-copy" in s and "ns/" not in s:  # bench_tls_record's table header
            cols = s.split()[1:]
            continue
        m = NS_RE.search(s)
        if m:
            label = re.sub(r"\s+", " ", s[:m.start()]).strip().rstrip(":").strip()
            out.append({"label": label, "ns": float(m.group(1)), "per": m.group(2)})
            continue
        if cols:
            f = s.split()
            if len(f) == len(cols) + 1:
                try:
                    v = [float(x) for x in f[1:]]
                except ValueError:
                    continue
                for c, x in zip(cols, v):
                    if c == "ratio":  # zero-copy / OpenSSL, not a time
                        continue
                    out.append({"label": "%s %s" % (f[0], c), "ns": x, "per": "record"})
    return out


def micro_pick(micro, bench, prefix):
    for e in micro.get(bench, {}).get("figures", []):
        if e["label"].startswith(prefix):
            return e
    return None


# the four stages of issue #5 item 5, for a ~150-byte message on the fast path
MICRO_STAGES = [
    ("reassembly", "bench_tcp_reasm", "tcp_reasm in-order"),
    ("TLS record (AES-128-GCM)", "bench_tls_record", "TLS_AES_128_GCM_SHA256 zero-copy"),
    ("WebSocket frame", "bench_ws_frame", "ws_frame one feed per message"),
    ("feed parse (trade)", "bench_feed_parse", "trade 158 bytes"),
]


# ---------------------------------------------------------------- format

def fus(v):
    if v is None:
        return "-"
    if v < 10:
        return "%.2f" % v
    if v < 1000:
        return "%.1f" % v
    return "%.0f" % v


def frate(v):
    if v is None:
        return "-"
    return "%.0fk" % (v / 1e3) if v >= 1000 else "%.0f" % v


def fratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fx(r):
    if r is None:
        return "-"
    return "%.2fx" % r if r >= 0.1 else "%.3fx" % r


def table(rows, head):
    w = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = lambda row: "  ".join(
        (str(x).ljust(w[i]) if i == 0 else str(x).rjust(w[i])) for i, x in enumerate(row))
    return "\n".join([fmt(head), "  ".join("-" * x for x in w)] + [fmt(r) for r in rows])


# ---------------------------------------------------------------- report

def summarize(name, runs, unavailable, has_stats_json):
    s = {"label": LABEL.get(name, name), "available": unavailable is None,
         "reason": unavailable}
    steady = next((r for r in runs if r["kind"] == "steady"), None)
    s["steady"] = steady["dir"] if steady else None
    e2e = rxs = None
    st = (steady or {}).get("stats") or {}
    stages = st.get("stages") or {}
    if steady and stages.get("e2e", {}).get("count"):
        e2e = stages["e2e"]
    if stages.get("rx", {}).get("count"):
        rxs = stages["rx"]
    s["e2e"] = e2e
    s["rx"] = rxs
    s["stages"] = {k: v for k, v in stages.items() if v.get("count")}
    if e2e is None and s["available"]:
        if steady is None:
            s["e2e_missing"] = "no steady run"
        elif not st:
            s["e2e_missing"] = ("feedrx --help lists no --stats-json"
                                if name != "python" and not has_stats_json
                                else "no stats JSON from the run (%s)" % steady["verdict"])
        else:
            s["e2e_missing"] = "no end-to-end samples"
    s["cpu_ns_per_msg"] = steady["cpu_ns_per_msg"] if steady else None
    rss = [r["rss_kib"] for r in runs if r.get("rss_kib")]
    s["peak_rss_kib"] = max(rss) if rss else None
    ok = [r["rate"] for r in runs if r["rate"] and r["verdict"].startswith("lossless")]
    s["no_loss_rate"] = max(ok) if ok else None
    bad = [r for r in runs if r["rate"] and not r["verdict"].startswith("lossless")]
    s["first_loss"] = ({"rate": bad[0]["rate"], "verdict": bad[0]["verdict"]} if bad else None)
    mx = next((r for r in runs if r["kind"] == "max"), None)
    s["saturation_rate"] = (mx["achieved_rate"] if mx and mx["verdict"].startswith("lossless")
                            else None)
    s["saturation_verdict"] = mx["verdict"] if mx else None
    s["steady_verdict"] = steady["verdict"] if steady else None
    if steady and steady.get("received") and steady.get("bytes"):
        s["mean_msg_bytes"] = steady["bytes"] / steady["received"]
    return s


def curve_of(s, stats):
    """[(percentile, us)] for the plot: the python client's fine grid, or
    feedrx's histogram buckets (every bucket that holds samples, so the tail
    is drawn from the real data), else its percentiles."""
    if stats and stats.get("curve"):
        return [(p, v) for p, v in stats["curve"]]
    e = s["e2e"]
    n = e["count"]
    buckets = e.get("buckets")
    if buckets and n:
        # each bucket from the percentile where it starts; nearest-rank, so
        # the rank-k sample sits at k/n: the last point is the maximum at
        # 1 - 1/n (the x axis is 1/(1-p))
        pts, before = [], 0
        lo_clamp, hi_clamp = e.get("min") or 0, e.get("max") or 0
        for lo, hi, c in buckets:
            pts.append((100.0 * before / n, min(max(lo, lo_clamp), hi_clamp)))
            before += c
        pts.append((100.0 - 100.0 / n if n > 1 else 50.0, e["max"]))
        return pts
    fine = e.get("percentiles")
    if fine:
        pts = [(float(p), float(v)) for p, v in fine]
    else:
        pts = [(0.0, e.get("min")), (50.0, e["p50"]), (90.0, e["p90"]), (99.0, e["p99"]),
               (99.9, e["p99_9"])]
    pts.append((100.0 - 100.0 / n if n > 1 else 99.0, e["max"]))
    return [(p, v) for p, v in pts if v is not None]


def machine_of(meta, runs_by_client):
    """One line naming the machine: CPU model and count, the receiving
    device's driver, and the XDP and AF_XDP modes feedrx reported."""
    parts = []
    cpu = meta.get("cpu_model")
    parts.append("%s x %s" % (meta.get("cpus", "?"), cpu) if cpu else "%s CPUs" % meta.get("cpus", "?"))
    drv = meta.get("rx_driver")
    if drv:
        parts.append("%s (%s)" % ("veth pair" if drv == "veth" else "NIC", drv))
    modes = set()
    for name in ("xdp_wakeup", "xdp_busy"):
        for r in runs_by_client.get(name, []):
            m = re.search(r"fast path: (\w+) XDP(?: \(multiprog\))? on \S+, AF_XDP (\S+) mode", r.get("rx_err", ""))
            if m:
                modes.add("%s XDP, AF_XDP %s" % (m.group(1), m.group(2)))
    parts.extend(sorted(modes))
    parts.append("kernel %s" % meta.get("kernel", "?"))
    return ", ".join(parts)


def log_bounds(values, pad=1.25):
    """A tight log-axis range around positive values."""
    v = [x for x in values if x and x > 0]
    if not v:
        return None
    return min(v) / pad, max(v) * pad


def plot(out, summaries, runs_by_client, meta):
    """latency.png with gnuplot: e2e latency by percentile, one curve per client."""
    series = []
    for name, _ in CLIENTS:
        s = summaries.get(name)
        if not s or not s["e2e"]:
            continue
        steady = next(r for r in runs_by_client[name] if r["dir"] == s["steady"])
        series.append((name, curve_of(s, steady["stats"])))
    if not series:
        return "no end-to-end latencies to plot"
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not installed (Debian package gnuplot-nox; run: make deps)"
    dat = os.path.join(out, "latency.dat")
    xs, ys = [], []
    with open(dat, "w") as f:
        for name, pts in series:
            f.write("# %s: percentile x=1/(1-p) us\n" % name)
            for p, v in pts:
                x = 1.0 / (1.0 - p / 100.0)
                xs.append(x)
                ys.append(v)
                f.write("%.6f %.6f %.4f\n" % (x, v, p))
            f.write("\n\n")
    png = os.path.join(out, "latency.png")
    styles = {"kernel": "lc rgb '#444444' pt 7", "kernel_busy": "lc rgb '#ff7f0e' pt 11",
              "xdp_wakeup": "lc rgb '#1f77b4' pt 5",
              "xdp_busy": "lc rgb '#d62728' pt 9", "python": "lc rgb '#2ca02c' pt 13"}
    plots = []
    for i, (name, pts) in enumerate(series):
        fine = len(pts) > 8
        plots.append("'%s' index %d using 1:2 with %s lw 2 %s title '%s%s'" % (
            dat, i, "steps" if len(pts) > 30 else "lines" if fine else "linespoints",
            styles.get(name, ""), LABEL[name],
            "" if fine else " (min/p50/p90/p99/p99.9/max)"))
    # x: 1/(1-p), from the minimum (x = 1) to a decade past the last point;
    # the left edge is the minimum, so it gets no "0%" label of its own
    # (it would sit on top of "50%")
    xmax = 10 ** math.ceil(math.log10(max(xs) * 1.01)) if xs else 1e6
    ticks = [("50%%", 2), ("90%%", 10), ("99%%", 100), ("99.9%%", 1e3), ("99.99%%", 1e4),
             ("99.999%%", 1e5), ("99.9999%%", 1e6), ("99.99999%%", 1e7)]
    xtics = ", ".join("'%s' %g" % (l, x) for l, x in ticks if x <= xmax)
    yb = log_bounds(ys)
    script = "\n".join([
        "set terminal pngcairo size 1100,650 noenhanced font 'sans,10'",
        "set output '%s'" % png,
        # two lines: the workload, then the machine (double quotes: \\n is a newline)
        'set title "feedrx end-to-end latency (feedsim send -> handler), %d msgs/s for %d s, '
        'seed %d, %s\\n%s"' % (meta.get("rate", 0), meta.get("secs", 0), meta.get("seed", 0),
                              meta.get("started", ""),
                              machine_of(meta, runs_by_client).replace('"', "").replace("\\", "")),
        "set logscale xy",
        "set xrange [1:%g]" % xmax,
        "set yrange [%g:%g]" % yb if yb else "",
        "set xlabel 'percentile (left edge: the minimum; the curve steps through the histogram buckets)'",
        "set ylabel 'latency (us, log scale)'",
        "set xtics (%s)" % xtics,
        "set format y '%g'",
        "set grid xtics ytics mytics",
        # bottom right stays empty: every curve rises to the right
        "set key bottom right",
        "plot " + ", \\\n     ".join(plots),
        ""])
    with open(os.path.join(out, "latency.gp"), "w") as f:
        f.write(script)
    p = subprocess.run([gp, os.path.join(out, "latency.gp")], capture_output=True, text=True)
    if p.returncode != 0 or not os.path.exists(png):
        return "gnuplot failed: " + (p.stderr.strip().splitlines() or ["?"])[-1]
    return None


def targets(summ, meta, micro_sum):
    T = []
    k, w, b = summ.get("kernel"), summ.get("xdp_wakeup"), summ.get("xdp_busy")

    def lat(s, key):
        return s["e2e"][key] if s and s["e2e"] else None

    def why_none(*ss):
        for name, s in ss:
            if not s:
                return "%s not run" % name
            if not s["available"]:
                return "%s not available: %s" % (name, s["reason"])
            if not s["e2e"]:
                return "%s has no latency figures: %s" % (name, s.get("e2e_missing", "?"))
        return "not measured"

    def ratio_target(name, s, sname, key, limit, strict):
        a, kk = lat(s, key), lat(k, key)
        t = {"target": name}
        if a is None or kk is None:
            t.update(status="n/a", detail=why_none((sname, s), ("kernel", k)))
        else:
            r = a / kk
            met = r < limit if strict else r <= limit
            t.update(status="met" if met else "missed", value=r, limit=limit,
                     detail="%s %s us vs kernel %s us = %.2fx (target %s %.2fx)" % (
                         sname, fus(a), fus(kk), r, "<" if strict else "<=", limit))
        T.append(t)

    ratio_target("xdp busy-poll e2e p50 <= 0.35x kernel", b, "xdp_busy", "p50", 0.35, False)
    ratio_target("xdp busy-poll e2e p99 <= 0.5x kernel", b, "xdp_busy", "p99", 0.5, False)
    ratio_target("xdp wake-up e2e p50 < kernel", w, "xdp_wakeup", "p50", 1.0, True)

    for name in ("kernel", "xdp_wakeup", "xdp_busy"):
        s = summ.get(name)
        t = {"target": "no loss at 50,000 msgs/s: %s" % LABEL[name]}
        if meta.get("rate") != 50000:
            t.update(status="n/a", detail="steady rate was %s msgs/s" % meta.get("rate"))
        elif not s or not s["available"]:
            t.update(status="n/a", detail=why_none((name, s)))
        else:
            v = s["steady_verdict"] or "no steady run"
            t.update(status="met" if v.startswith("lossless") else "missed", detail=v)
        T.append(t)

    t = {"target": "after the ring <= 1.5 us at p50 (typical ~150-byte message)"}
    src = next(((n, s) for n, s in (("xdp_busy", b), ("xdp_wakeup", w))
                if s and all(x in s["stages"] for x in AFTER_RING)), None)
    svc = next(((n, s) for n, s in (("xdp_busy", b), ("xdp_wakeup", w))
                if s and "service" in s["stages"]), None)
    if svc:
        # feedrx measures it: per AF_XDP batch, ring -> end of decoding / messages
        n, s = svc
        v = s["stages"]["service"]["p50"]
        mb = s.get("mean_msg_bytes")
        t.update(status="met" if v <= 1.5 else "missed", value=v, limit=1.5,
                 detail="%s: per message after the ring (batch time / messages, no queueing) "
                        "p50 %.3f us, p99 %.3f us%s" % (
                     n, v, s["stages"]["service"]["p99"],
                     "; mean message %.0f B" % mb if mb else ""))
        if src:
            n2, s2 = src
            t["detail"] += ("; latency in situ, queueing behind earlier messages of the same "
                            "batch and record included: %.3f us (sum of stage p50s)" %
                            sum(s2["stages"][x]["p50"] for x in AFTER_RING))
    elif src:
        n, s = src
        v = sum(s["stages"][x]["p50"] for x in AFTER_RING)
        mb = s.get("mean_msg_bytes")
        t.update(status="met" if v <= 1.5 else "missed", value=v, limit=1.5,
                 detail="%s in situ: sum of stage p50s drained->handler = %.3f us (%s)%s" % (
                     n, v, " + ".join("%s %.3f" % (x, s["stages"][x]["p50"]) for x in AFTER_RING),
                     "; mean message %.0f B" % mb if mb else ""))
    else:
        t.update(status="n/a", detail="no in-situ stage figures (%s)" % why_none(
            ("xdp_busy", b), ("xdp_wakeup", w)))
    if micro_sum:
        t["micro_us"] = micro_sum[0]
        t["detail"] += "; micro-benchmarks for a 158-byte trade: %.3f us (%s)" % micro_sum
    T.append(t)

    for name in ("kernel", "xdp_wakeup", "xdp_busy"):
        s = summ.get(name)
        t = {"target": "peak RSS < 64 MiB: %s" % LABEL[name]}
        if not s or not s["available"] or s["peak_rss_kib"] is None:
            t.update(status="n/a", detail=why_none((name, s)) if not s or not s["available"]
                     else "no /usr/bin/time figure")
        else:
            mib = s["peak_rss_kib"] / 1024
            t.update(status="met" if mib < 64 else "missed", value=mib, limit=64,
                     detail="%.1f MiB" % mib)
        T.append(t)
    return T



# ---------------------------------------------------------------- issue #12

# the side-by-side pairs: the same way of waiting, kernel path vs fast path
PAIRS = [("wake-up", "kernel", "xdp_wakeup"), ("busy", "kernel_busy", "xdp_busy")]
FEEDRX_CLIENTS = ["kernel", "kernel_busy", "xdp_wakeup", "xdp_busy"]


def arrival_clock(r):
    """Which clock stamped arrival in a run: feedrx says so in its stats JSON
    ("arrival_clock"); older builds: by the path."""
    st = r.get("stats") or {}
    if st.get("arrival_clock"):
        return st["arrival_clock"]
    if not st or r.get("client") not in FEEDRX_CLIENTS:
        return None
    return "kernel-rx-software" if (r.get("client") or "").startswith("kernel") else "xdp-ktime"


def run_fig(r):
    """The latency figures of one run (low or steady), None where not measured."""
    st = (r or {}).get("stats") or {}
    stages = st.get("stages") or {}

    def g(stage, key):
        v = stages.get(stage) or {}
        return v.get(key) if v.get("count") else None
    return {"e2e_p50": g("e2e", "p50"), "e2e_p99": g("e2e", "p99"),
            "rx_p50": g("rx", "p50"), "rx_p99": g("rx", "p99"),
            "wire_p50": g("wire", "p50"), "service_p50": g("service", "p50"),
            "service_p99": g("service", "p99"),
            "cpu_ns_per_msg": r.get("cpu_ns_per_msg") if r else None,
            "cpu_share": r.get("cpu_share") if r else None,
            "nivcsw": r.get("nivcsw") if r else None,
            "verdict": r.get("verdict") if r else None,
            "arrival_clock": arrival_clock(r) if r else None,
            "stages": {k: v for k, v in stages.items() if v.get("count")}}


def latency_runs(runs_by_client):
    """{(kind, rate): {client: run}} for the low-rate runs and the burst run."""
    out = {}
    for name, rs in runs_by_client.items():
        for r in rs:
            if r["kind"] in ("low", "steady"):
                out.setdefault((r["kind"], r["rate"]), {})[name] = r
    return out


def latency_rows(lr, wanted):
    """Every feedrx row: e2e and arrival -> handler p50/p99, service, CPU."""
    rows, js = [], []
    keys = sorted(lr, key=lambda k: (k[0] != "low", k[1] or 0))
    for kind, rate in keys:
        for name in wanted:
            r = lr[(kind, rate)].get(name)
            if r is None:
                continue
            f = run_fig(r)
            ok = (f["verdict"] or "").split(":")[0]
            rows.append(["%s %s" % (frate(rate), "1/rec" if kind == "low" else "burst"),
                         LABEL.get(name, name).replace("feedrx ", ""),
                         fus(f["e2e_p50"]), fus(f["e2e_p99"]), fus(f["rx_p50"]), fus(f["rx_p99"]),
                         fus(f["service_p50"]),
                         "-" if f["cpu_ns_per_msg"] is None else "%.2f" % (f["cpu_ns_per_msg"] / 1e3),
                         "-" if f["cpu_share"] is None else "%.0f%%" % (100 * f["cpu_share"]),
                         "-" if f["nivcsw"] is None else f["nivcsw"],
                         f["arrival_clock"] or "-", ok or "-"])
            js.append(dict(kind=kind, rate=rate, client=name,
                           **{k: v for k, v in f.items() if k != "stages"}))
    head = ["run", "client", "e2e p50", "e2e p99", "rx p50", "rx p99", "svc p50", "CPU us/msg",
            "CPU", "preempt", "arrival clock", "verdict"]
    return (table(rows, head) if rows else None), js


def pair_rows(lr):
    """kernel wake-up vs xdp wake-up, kernel busy vs xdp busy, run by run:
    xdp / kernel ratios (below 1: the fast path is better)."""
    rows, js = [], []
    keys = sorted(lr, key=lambda k: (k[0] != "low", k[1] or 0))
    for kind, rate in keys:
        for pname, kn, xn in PAIRS:
            kr, xr = lr[(kind, rate)].get(kn), lr[(kind, rate)].get(xn)
            if kr is None or xr is None:
                continue
            kf, xf = run_fig(kr), run_fig(xr)
            rr = {x: fratio(xf[x], kf[x]) for x in
                  ("e2e_p50", "e2e_p99", "rx_p50", "rx_p99", "cpu_ns_per_msg")}
            rows.append(["%s %s" % (frate(rate), "1/rec" if kind == "low" else "burst"), pname,
                         "%s / %s" % (fus(xf["e2e_p50"]), fus(kf["e2e_p50"])), fx(rr["e2e_p50"]),
                         fx(rr["e2e_p99"]),
                         "%s / %s" % (fus(xf["rx_p50"]), fus(kf["rx_p50"])), fx(rr["rx_p50"]),
                         fx(rr["rx_p99"]), fx(rr["cpu_ns_per_msg"])])
            js.append(dict(kind=kind, rate=rate, pair=pname, kernel=kn, xdp=xn, **rr))
    head = ["run", "pair", "e2e p50 xdp/kern", "ratio", "p99 ratio", "rx p50 xdp/kern", "ratio",
            "p99 ratio", "CPU ratio"]
    return (table(rows, head) if rows else None), js


def stage_breakdown(f, key="p50", stages=None):
    """'xdp_drain 1.20 + drain_reasm 0.30 + ...' and the largest stage."""
    parts = [(x, f["stages"][x][key]) for x in (stages or ["xdp_drain"] + AFTER_RING)
             if x in f["stages"] and f["stages"][x].get(key) is not None]
    if not parts:
        return None
    big = max(parts, key=lambda p: p[1])
    return "stages %s: %s; largest %s" % (key, " + ".join("%s %s" % (n, fus(v)) for n, v in parts),
                                          big[0])


def preempted(f):
    """The measured sign that a spinning receiver did not have its CPU."""
    if f.get("cpu_share") is None:
        return None
    if f["cpu_share"] < 0.9 and f.get("nivcsw"):
        return ("the spinning receiver had its CPU only %.0f%% of the run (%d involuntary "
                "context switches: the machine's other work)" % (100 * f["cpu_share"], f["nivcsw"]))
    return None


def micro_row(micro, bench, exact=None, prefix=None):
    for e in micro.get(bench, {}).get("figures", []):
        if (exact and e["label"] == exact) or (prefix and e["label"].startswith(prefix)):
            return e
    return None


def targets12(lr, meta, micro, prev):
    """Issue #12's targets, each MET / MISSED / N/A with the figure."""
    T = []
    lows = sorted(r for k, r in lr if k == "low")
    r10 = 10000 if 10000 in lows else (lows[-1] if lows else None)
    low10 = lr.get(("low", r10), {}) if r10 else {}

    def add(name, ok, detail, value=None, limit=None):
        t = {"target": name, "status": "n/a" if ok is None else ("met" if ok else "missed"),
             "detail": detail, "issue": 12}
        if value is not None:
            t["value"], t["limit"] = value, limit
        T.append(t)

    def missing(client, what):
        r = low10.get(client)
        if r10 is None:
            return "no low-rate run (BENCH_LOW_RATES empty)"
        if r is None:
            return "%s did not run at %s msgs/s" % (client, r10)
        return "%s at %s msgs/s: no %s figures (%s)" % (client, r10, what, r["verdict"])

    # 1. xdp busy arrival -> handler at 10k
    b = run_fig(low10.get("xdp_busy"))
    name = "xdp busy arrival->handler p50 <= 1.5 us and p99 <= 10 us at %s msgs/s" % frate(r10)
    if b["rx_p50"] is None or b["rx_p99"] is None:
        add(name, None, missing("xdp_busy", "arrival->handler"))
    else:
        ok = b["rx_p50"] <= 1.5 and b["rx_p99"] <= 10
        d = "rx p50 %s us, p99 %s us (clock %s)" % (fus(b["rx_p50"]), fus(b["rx_p99"]),
                                                   b["arrival_clock"])
        if not ok:
            why = [stage_breakdown(b, "p50")] if b["rx_p50"] > 1.5 else []
            if b["rx_p99"] > 10:
                why.append(stage_breakdown(b, "p99"))
            why = [w for w in why if w]
            pre = preempted(b)
            if pre:
                why.append(pre)
            if why:
                d += "; " + "; ".join(why)
        add(name, ok, d, b["rx_p50"], 1.5)

    # 2./3. e2e ratios, the pairs side by side
    for label, kn, xn, limit in (("xdp busy e2e p50 <= 0.6x kernel busy", "kernel_busy", "xdp_busy", 0.6),
                                 ("xdp wake-up e2e p50 <= 0.9x kernel wake-up", "kernel", "xdp_wakeup", 0.9)):
        kf, xf = run_fig(low10.get(kn)), run_fig(low10.get(xn))
        name = "%s at %s msgs/s" % (label, frate(r10))
        if kf["e2e_p50"] is None or xf["e2e_p50"] is None:
            add(name, None, missing(kn if kf["e2e_p50"] is None else xn, "e2e"))
            continue
        rr = xf["e2e_p50"] / kf["e2e_p50"]
        d = "%s %s us vs %s %s us = %.2fx" % (xn, fus(xf["e2e_p50"]), kn, fus(kf["e2e_p50"]), rr)
        if rr > limit:
            # where the time goes: e2e = wire (sender, stack, up to the
            # arrival stamp) + rx (arrival -> handler); wire is shared
            d += "; wire p50 %s vs %s us, rx p50 %s vs %s us" % (
                fus(xf["wire_p50"]), fus(kf["wire_p50"]), fus(xf["rx_p50"]), fus(kf["rx_p50"]))
            if xf["rx_p50"] is not None and kf["rx_p50"] is not None and xf["wire_p50"] is not None:
                d += " (the shared wire is %.0f%% of the xdp e2e; xdp's own part %.2fx the kernel's)" % (
                    100 * xf["wire_p50"] / xf["e2e_p50"],
                    xf["rx_p50"] / kf["rx_p50"] if kf["rx_p50"] else float("nan"))
            bd = stage_breakdown(xf)
            if bd:
                d += "; %s %s" % (xn, bd)
            for who, f in ((xn, xf), (kn, kf)):
                pre = preempted(f) if "busy" in who else None
                if pre:
                    d += "; %s: %s" % (who, pre)
        add(name, rr <= limit, d, rr, limit)

    # 4. the fast path's cost per message after the ring at low rate
    # judged on xdp busy (the row the target is about) at every low rate,
    # the worse of them; xdp wake-up shown beside it
    name = "fast path per message after the ring (service) p50 <= 0.5 us at low rate (xdp busy)"
    svc = [(rate, run_fig(lr[("low", rate)].get(n)), n) for n in ("xdp_busy", "xdp_wakeup")
           for rate in lows]
    svc = [x for x in svc if x[1]["service_p50"] is not None]
    judged = [x for x in svc if x[2] == "xdp_busy"]
    if not judged:
        add(name, None, missing("xdp_busy", "service"))
    else:
        worst = max(judged, key=lambda x: x[1]["service_p50"])
        d = "; ".join("%s %s: p50 %s us" % (n, frate(rate), fus(f["service_p50"]))
                      for rate, f, n in svc)
        st = lr.get(("steady", meta.get("rate")), {}).get("xdp_busy")
        if st and run_fig(st)["service_p50"] is not None:
            d += "; burst run (batched) %s us" % fus(run_fig(st)["service_p50"])
        if worst[1]["service_p50"] > 0.5:
            bd = stage_breakdown(worst[1], stages=AFTER_RING)
            if bd:
                d += "; %s %s in situ, %s" % (worst[2], frate(worst[0]), bd)
        add(name, worst[1]["service_p50"] <= 0.5, d, worst[1]["service_p50"], 0.5)

    # 5. no regression in the burst run against the previous results.json
    name = "no regression in the %s msgs/s burst run (against the previous run)" % frate(meta.get("rate"))
    cur = lr.get(("steady", meta.get("rate")), {})
    if not prev:
        add(name, None, "no previous results.json to compare with (first run)")
    elif (prev.get("meta") or {}).get("rate") != meta.get("rate"):
        add(name, None, "previous run's rate was %s msgs/s" % (prev.get("meta") or {}).get("rate"))
    elif ((prev.get("meta") or {}).get("nice") or 0) != (meta.get("nice") or 0):
        add(name, None, "previous run was at nice %s, this one at %s (BENCH_NICE)" % (
            (prev.get("meta") or {}).get("nice") or 0, meta.get("nice") or 0))
    elif (prev.get("meta") or {}).get("quick") != meta.get("quick"):
        add(name, None, "previous run was %sa quick run" % ("" if (prev.get("meta") or {}).get("quick") else "not "))
    else:
        bad, parts = [], []
        pk = ((prev.get("clients") or {}).get("kernel") or {}).get("e2e") or {}
        kf = run_fig(cur.get("kernel"))
        for n in FEEDRX_CLIENTS:
            pc = (prev.get("clients") or {}).get(n)
            r = cur.get(n)
            if not pc or r is None or not pc.get("available"):
                continue
            f = run_fig(r)
            pv, v = pc.get("steady_verdict") or "", f["verdict"] or ""
            if pv.startswith("lossless") and not v.startswith("lossless"):
                bad.append("%s lost messages: %s" % (n, v))
            pe = (pc.get("e2e") or {}).get("p50")
            # a path that got slower got slower in absolute terms AND against
            # the kernel row of the same run (the machine's noise moves every
            # row; a regression moves its own): both by more than 25 %
            if n != "kernel" and pe and pk.get("p50") and f["e2e_p50"] and kf["e2e_p50"]:
                was, now = pe / pk["p50"], f["e2e_p50"] / kf["e2e_p50"]
                parts.append("%s e2e p50 %s us (was %s), /kernel %.2fx (was %.2fx)" % (
                    n, fus(f["e2e_p50"]), fus(pe), now, was))
                if now > was * 1.25 and f["e2e_p50"] > pe * 1.25:
                    bad.append("%s e2e p50 %s us, was %s; /kernel %.2fx, was %.2fx" % (
                        n, fus(f["e2e_p50"]), fus(pe), now, was))
            # CPU per message, where it is work (a spinning client's is its spin)
            pcpu, pkc = pc.get("cpu_ns_per_msg"), ((prev.get("clients") or {}).get("kernel") or {}).get("cpu_ns_per_msg")
            if pcpu and f["cpu_ns_per_msg"] and "busy" not in n:
                parts.append("%s CPU %.2f us (was %.2f)" % (n, f["cpu_ns_per_msg"] / 1e3, pcpu / 1e3))
                if (n != "kernel" and pkc and kf["cpu_ns_per_msg"] and
                        f["cpu_ns_per_msg"] > pcpu * 1.25 and
                        f["cpu_ns_per_msg"] / kf["cpu_ns_per_msg"] > pcpu / pkc * 1.25):
                    bad.append("%s CPU %.2f us/msg, was %.2f" % (n, f["cpu_ns_per_msg"] / 1e3, pcpu / 1e3))
        d = "; ".join(parts) or "nothing comparable"
        if bad:
            d = "; ".join(bad) + " || " + d
        add(name, not bad if parts or bad else None, d)

    def micro_why(bench):
        m = micro.get(bench, {})
        if m.get("cpu_share") is None:
            return ""
        return "; the benchmark had its CPU %.0f%% of its run (%d involuntary context switches)" % (
            100 * m["cpu_share"], m["nivcsw"])

    # 6./7. micro-benchmarks
    e = micro_row(micro, "bench_tls_record", prefix="TLS_AES_128_GCM_SHA256 zero-copy")
    name = "TLS record decrypt (~172-byte AES-128-GCM record, 150 B plaintext) <= 150 ns"
    if e is None:
        add(name, None, "bench_tls_record gave no AES-128-GCM zero-copy figure")
    else:
        o = micro_row(micro, "bench_tls_record", prefix="TLS_AES_128_GCM_SHA256 OpenSSL")
        add(name, e["ns"] <= 150, "%.1f ns/record (zero-copy)%s%s" % (
            e["ns"], "; OpenSSL %.1f ns" % o["ns"] if o else "",
            micro_why("bench_tls_record") if e["ns"] > 150 else ""), e["ns"], 150)
    e = micro_row(micro, "bench_feed_parse", exact="trade 158 bytes")
    name = "Binance trade to typed event <= 100 ns"
    if e is None:
        add(name, None, "bench_feed_parse gave no 'trade 158 bytes' figure")
    else:
        o = micro_row(micro, "bench_feed_parse", exact="trade (strict) 158 bytes")
        add(name, e["ns"] <= 100, "%.1f ns/msg (scanner)%s%s" % (
            e["ns"], "; strict tokenizer %.1f ns" % o["ns"] if o else "",
            micro_why("bench_feed_parse") if e["ns"] > 100 else ""), e["ns"], 100)
    return T


def report(out):
    meta = read_json(os.path.join(out, "meta.json")) or {}
    # what bench.sh learnt once the namespaces were up (the receiver's driver)
    meta.update(read_json(os.path.join(out, "machine.json")) or {})
    rdir = os.path.join(out, "runs")
    runs_by_client, unavailable = {}, {}
    for d in sorted(os.listdir(rdir)) if os.path.isdir(rdir) else []:
        p = os.path.join(rdir, d)
        if d.endswith("-unavailable"):
            unavailable[d[:-len("-unavailable")]] = read_text(os.path.join(p, "reason")).strip()
            continue
        r = load_run(p)
        if r["client"]:
            runs_by_client.setdefault(r["client"], []).append(r)
    order = {"low": -1, "steady": 0, "step": 1, "max": 2}
    for rs in runs_by_client.values():
        rs.sort(key=lambda r: (order.get(r["kind"], 9), r["rate"] or 0))

    wanted = meta.get("clients", " ".join(n for n, _ in CLIENTS)).split()
    summ = {}
    for name in wanted:
        summ[name] = summarize(name, runs_by_client.get(name, []), unavailable.get(name),
                               bool(meta.get("stats_json")))

    # micro-benchmarks
    micro = {}
    mdir = os.path.join(out, "micro")
    for f in sorted(os.listdir(mdir)) if os.path.isdir(mdir) else []:
        if f.endswith(".txt"):
            b = f[:-4]
            text = read_text(os.path.join(mdir, f))
            rc = read_text(os.path.join(mdir, b + ".rc")).strip()
            micro[b] = {"rc": int(rc) if rc.lstrip("-").isdigit() else None,
                        "figures": parse_micro(b, text), "output": text}
            # /usr/bin/time "%e %U %S %c" of the run: its CPU share and preemptions
            tl = [l.split() for l in read_text(os.path.join(mdir, b + ".time")).splitlines()]
            tl = [t for t in tl if len(t) == 4 and all(re.match(r"^[\d.]+$", x) for x in t)]
            if tl and float(tl[-1][0]) > 0:
                micro[b]["cpu_share"] = (float(tl[-1][1]) + float(tl[-1][2])) / float(tl[-1][0])
                micro[b]["nivcsw"] = int(tl[-1][3])
    mstages = []
    for label, bench, prefix in MICRO_STAGES:
        e = micro_pick(micro, bench, prefix)
        mstages.append({"stage": label, "bench": bench, "figure": prefix,
                        "ns": e["ns"] if e else None})
    micro_sum = None
    if micro and all(m["ns"] is not None for m in mstages):
        micro_sum = (sum(m["ns"] for m in mstages) / 1e3,
                     " + ".join("%s %.0f ns" % (m["stage"].split(" ")[0], m["ns"]) for m in mstages))

    tg = targets(summ, meta, micro_sum)
    lr = latency_runs(runs_by_client)
    lat_table, lat_js = latency_rows(lr, wanted)
    pair_table, pair_js = pair_rows(lr)
    # the last run of the same kind (bench.sh keeps it), else previous.json
    prev = (read_json(os.path.join(out, "previous-%s.json" % ("quick" if meta.get("quick") else "full")))
            or read_json(os.path.join(out, "previous.json")))
    tg12 = targets12(lr, meta, micro, prev)
    plot_err = plot(out, summ, runs_by_client, meta)

    # ---- text
    L = []
    meta["loadavg_end"] = read_text(os.path.join(out, "loadavg_end")).strip() or None
    L.append("feedrx benchmark  %s  git %s  kernel %s  %s CPUs  load %s at start, %s at end" % (
        meta.get("started", "?"), meta.get("git", "?"), meta.get("kernel", "?"),
        meta.get("cpus", "?"), meta.get("loadavg", "?"), meta.get("loadavg_end") or "?"))
    meta["machine"] = machine_of(meta, runs_by_client)
    L.append("machine: " + meta["machine"])
    L.append("workload: feedsim seed %s, mix %s, combined stream %s" % (
        meta.get("seed"), meta.get("mix"), meta.get("url_path")))
    L.append("steady %s msgs/s x %s s; steps %s msgs/s x %s s; flat out %s msgs; "
             "feedsim on CPU %s, receiver on CPU %s%s" % (
                 meta.get("rate"), meta.get("secs"), "/".join(str(x) for x in meta.get("steps", [])),
                 meta.get("step_secs"), meta.get("max_count"), meta.get("sim_cpu"),
                 meta.get("rx_cpu"), "  [QUICK: smoke run, not a result]" if meta.get("quick") else ""))
    if meta.get("nice"):
        L.append("feedsim and the receivers ran at nice %s (BENCH_NICE)" % meta["nice"])
    L.append("")
    head = ["client", "e2e p50", "p99", "p99.9", "max", "no-loss rate", "flat out",
            "CPU/msg", "peak RSS"]
    rows, notes = [], []
    for name in wanted:
        s = summ[name]
        if not s["available"]:
            rows.append([s["label"]] + ["n/a"] * (len(head) - 1))
            notes.append("%s: not available: %s" % (s["label"], s["reason"]))
            continue
        e = s["e2e"] or {}
        rows.append([s["label"], fus(e.get("p50")), fus(e.get("p99")), fus(e.get("p99_9")),
                     fus(e.get("max")), frate(s["no_loss_rate"]), frate(s["saturation_rate"]),
                     "-" if s["cpu_ns_per_msg"] is None else "%.2f us" % (s["cpu_ns_per_msg"] / 1e3),
                     "-" if s["peak_rss_kib"] is None else "%.1f MiB" % (s["peak_rss_kib"] / 1024)])
        if not s["e2e"]:
            notes.append("%s: latency not available: %s" % (s["label"], s.get("e2e_missing")))
        if s["first_loss"]:
            notes.append("%s: at %s msgs/s: %s" % (s["label"], frate(s["first_loss"]["rate"]),
                                                  s["first_loss"]["verdict"]))
        if s["saturation_rate"] is None and s["saturation_verdict"]:
            notes.append("%s: flat out: %s" % (s["label"], s["saturation_verdict"]))
    L.append("end to end = feedsim send (ts_ns) -> handler, us, steady run; no-loss rate = highest "
             "rate taken in full and in time;")
    L.append("flat out = msgs/s taken with feedsim unpaced (sender on one CPU may be the limit); "
             "CPU = user+sys of the receiver / msgs")
    L.append(table(rows, head))
    L.append("")

    # ratios to kernel
    k = summ.get("kernel")
    ratios = {}
    if k and k["available"]:
        rhead = ["ratio to --mode kernel", "p50", "p99", "p99.9", "max", "no-loss", "flat out",
                 "CPU/msg", "RSS"]
        rrows = []
        ke = k["e2e"] or {}
        for name in wanted:
            s = summ[name]
            if not s["available"]:
                rrows.append([s["label"]] + ["n/a"] * (len(rhead) - 1))
                continue
            e = s["e2e"] or {}
            rr = {"p50": fratio(e.get("p50"), ke.get("p50")),
                  "p99": fratio(e.get("p99"), ke.get("p99")),
                  "p99_9": fratio(e.get("p99_9"), ke.get("p99_9")),
                  "max": fratio(e.get("max"), ke.get("max")),
                  "no_loss_rate": fratio(s["no_loss_rate"], k["no_loss_rate"]),
                  "saturation_rate": fratio(s["saturation_rate"], k["saturation_rate"]),
                  "cpu_ns_per_msg": fratio(s["cpu_ns_per_msg"], k["cpu_ns_per_msg"]),
                  "peak_rss_kib": fratio(s["peak_rss_kib"], k["peak_rss_kib"])}
            ratios[name] = rr
            rrows.append([s["label"]] + [fx(rr[x]) for x in (
                "p50", "p99", "p99_9", "max", "no_loss_rate", "saturation_rate",
                "cpu_ns_per_msg", "peak_rss_kib")])
        L.append(table(rrows, rhead))
        L.append("")
    for n in notes:
        L.append("note: " + n)
    if notes:
        L.append("")

    # per-stage latencies inside feedrx
    srows = []
    for name in wanted:
        s = summ[name]
        for st in STAGE_ORDER:
            v = s["stages"].get(st) if s["available"] else None
            # (a stage that is zero by construction says nothing)
            if v and st != "e2e" and name != "python" and v.get("max"):
                srows.append(["%s: %s" % (name, st), v.get("count"), fus(v.get("p50")),
                              fus(v.get("p99")), fus(v.get("p99_9")), fus(v.get("max"))])
    if srows:
        L.append("stages inside feedrx (us, steady run; user/stats/lat_stats.c)")
        L.append(table(srows, ["client: stage", "count", "p50", "p99", "p99.9", "max"]))
        L.append("")

    if lat_table:
        L.append("latency rows (us): low rates with one message per TLS record (1/rec) and the burst "
                 "run; rx = arrival -> handler (arrival stamped by the clock shown),")
        L.append("svc = fast path per message after the ring; CPU us/msg = user+sys of the receiver / msgs "
                 "(a busy client spins: its CPU is the whole run);")
        L.append("CPU = user+sys / wall (a spinning client that gets far below 100% was preempted: "
                 "the machine's other work), preempt = involuntary context switches")
        L.append(lat_table)
        L.append("")
    if pair_table:
        L.append("side by side: the same way of waiting on both paths, xdp / kernel (below 1x: "
                 "the fast path is better)")
        L.append(pair_table)
        L.append("")
    L.append("targets of issue #12 (benchmark figures, not test assertions)")
    for t in tg12:
        L.append("  %-7s %s: %s" % (t["status"].upper(), t["target"], t["detail"]))
    L.append("")

    L.append("targets of issue #5 (benchmark figures, not test assertions)")
    for t in tg:
        L.append("  %-7s %s: %s" % (t["status"].upper(), t["target"], t["detail"]))
    L.append("")

    L.append("micro-benchmarks (build/tests/bench_*, pinned to CPU %s), ns per unit" %
             meta.get("rx_cpu"))
    if not micro:
        L.append("  not run (BENCH_MICRO=0)")
    for m in mstages if micro else []:
        L.append("  stage %-26s %10s ns/msg  (%s: %s)" % (
            m["stage"], "-" if m["ns"] is None else "%.1f" % m["ns"], m["bench"], m["figure"]))
    for b, m in micro.items():
        if m["rc"] != 0:
            L.append("  %s: exit %s: %s" % (b, m["rc"], err_reason(m["output"])))
        for e in m["figures"]:
            L.append("  %-18s %-44s %10.1f ns/%s" % (b, e["label"], e["ns"], e["per"]))
    L.append("")
    L.append("results: %s  %s  %s" % (
        os.path.join(out, "results.json"), os.path.join(out, "report.txt"),
        os.path.join(out, "latency.png") if not plot_err else "no plot: " + plot_err))
    text = "\n".join(L) + "\n"

    # ---- JSON
    def slim(r):
        r = dict(r)
        r.pop("rx_err", None)  # stderr_tail keeps what matters
        st = r.pop("stats") or {}
        r["stages"] = {k2: v for k2, v in (st.get("stages") or {}).items() if v.get("count")}
        r["counters"] = st.get("counters")
        if st.get("curve"):
            r["curve"] = st["curve"]
        return r
    res = {"meta": meta, "clients": {}, "ratios_to_kernel": ratios, "targets": tg,
           "targets12": tg12, "latency_rows": lat_js, "pairs": pair_js,
           "micro": {"stages": mstages,
                     "benches": {b: {"rc": m["rc"], "figures": m["figures"],
                                     "cpu_share": m.get("cpu_share"), "nivcsw": m.get("nivcsw")}
                                 for b, m in micro.items()}},
           "plot": None if plot_err else os.path.join(out, "latency.png"),
           "plot_error": plot_err}
    for name in wanted:
        res["clients"][name] = dict(summ[name], runs=[slim(r) for r in runs_by_client.get(name, [])])
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    with open(os.path.join(out, "report.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--judge":
        print(load_run(argv[2])["verdict"])
        return 0
    if len(argv) == 2 and not argv[1].startswith("-"):
        return report(argv[1])
    print("usage: bench_report.py OUT_DIR | --judge RUN_DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
