#!/usr/bin/env bash
# it_bench_report — scripts/bench_report.py's issue #12 rows and targets on
# synthetic run directories (no network, no timing): the low-rate and burst
# rows, the wake-up and busy pairs side by side, each target MET / MISSED
# with its figure and, for a miss, the measured reason; the no-regression
# check against a previous results.json; the micro-benchmark targets.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NAME=bench_report
PY=/usr/bin/python3
[[ -x $PY ]] || { echo "SKIP $NAME: no $PY"; exit 0; }
TMP=$(mktemp -d /tmp/feedrx-benchrep.XXXXXX)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$TMP"' EXIT

# build OUT [previous-verdict]: a bench output directory with made-up runs
build() {
  "$PY" - "$1" <<'PY'
import json, os, sys
out = sys.argv[1]
os.makedirs(out + "/runs"); os.makedirs(out + "/micro")
json.dump({"rate": 50000, "secs": 20, "steps": [], "quick": 0, "stats_json": 1, "seed": 42,
           "clients": "kernel kernel_busy xdp_wakeup xdp_busy", "low_rates": [1000, 10000]},
          open(out + "/meta.json", "w"))

def st(p50, p99):
    return {"count": 1000, "p50": p50, "p99": p99, "p90": p99, "p99_9": p99, "min": p50, "max": p99}

def run(client, kind, rate, count, e2e, rx, wire, extra=None, clock=None, cpu=(2.0, 0.1, 0.02), rc=0,
        msgs=None):
    d = "%s/runs/%s-%s-%s" % (out, client, kind, rate)
    os.makedirs(d)
    json.dump({"client": client, "kind": kind, "rate": rate, "count": count, "rc": rc,
               "t_start": 999.0, "t_end": 1000.0 + count / rate * 1.01}, open(d + "/meta.json", "w"))
    stages = {"e2e": st(*e2e), "rx": st(*rx), "wire": st(*wire)}
    stages.update(extra or {})
    s = {"counters": {"msgs": count if msgs is None else msgs, "bytes": count * 190, "drops": 0},
         "stages": stages}
    if clock:
        s["arrival_clock"] = clock
    json.dump(s, open(d + "/stats.json", "w"))
    wall, user, sys_ = cpu
    open(d + "/time", "w").write("%s %s %s 9000 %d 10\n" % (wall, user, sys_, 5000 if user / wall < 0.9 and "busy" in client else 3))
    # feedsim's stderr, stamped: the stream starts at 1000.0 and ends on time
    open(d + "/sim.err", "w").write("1000.000000 feedsim: client 1 GET / -> 101\n"
                                    "%.6f feedsim: client 1 closing: count reached\n" % (1000 + count / rate))

fast = {"xdp_drain": st(9.0, 4000), "drain_reasm": st(0.7, 90), "reasm_decrypt": st(0.2, 2),
        "decrypt_frame": st(0.05, 0.2), "frame_handler": st(0.06, 0.3), "service": st(0.4, 2)}
for rate in (1000, 10000):
    n = rate * 2
    run("kernel", "low", rate, n, (30, 2000), (25, 1900), (3.5, 50), clock="kernel-rx-software")
    run("kernel_busy", "low", rate, n, (16, 900), (10, 800), (3.4, 50), clock="kernel-rx-software",
        cpu=(2.0, 1.8, 0.15))
    run("xdp_wakeup", "low", rate, n, (24, 800), (20, 700), (3.6, 50), fast, clock="xdp-ktime")
    # xdp busy: preempted (CPU 40% of the run)
    run("xdp_busy", "low", rate, n, (14, 3000), (10.5, 2900), (3.3, 40), fast, clock="xdp-ktime",
        cpu=(2.0, 0.7, 0.1))
for c, clk in (("kernel", "kernel-rx-software"), ("kernel_busy", "kernel-rx-software"),
               ("xdp_wakeup", "xdp-ktime"), ("xdp_busy", "xdp-ktime")):
    # the burst run: xdp_busy got only 990,000 of 1,000,000 in time
    run(c, "steady", 50000, 1000000, (60, 2500), (15, 1000), (40, 900),
        fast if c.startswith("xdp") else None, clock=clk, cpu=(21.0, 1.0, 0.3),
        msgs=990000 if c == "xdp_busy" else None, rc=124 if c == "xdp_busy" else 0)
open(out + "/micro/bench_tls_record.txt", "w").write(
    "# 4096 records of 150 plaintext bytes\n"
    "suite                             zero-copy      split    OpenSSL   bare-EVP    ratio\n"
    "TLS_AES_128_GCM_SHA256                120.5      140.1      300.7      400.3     0.40\n")
open(out + "/micro/bench_tls_record.rc", "w").write("0\n")
open(out + "/micro/bench_feed_parse.txt", "w").write(
    "trade                         158 bytes    130.0 ns/msg    0.82 ns/byte  (sink 0)\n"
    "trade (strict)                158 bytes    480.0 ns/msg    3.04 ns/byte  (sink 0)\n")
open(out + "/micro/bench_feed_parse.rc", "w").write("0\n")
open(out + "/micro/bench_feed_parse.time", "w").write("2.00 1.00 0.00 420\n")
PY
}

fails=0
check() { # check WHAT PATTERN FILE
  if grep -qE -- "$2" "$3"; then echo "PASS $NAME: $1"; else echo "FAIL $NAME: $1: no /$2/ in the report"; fails=1; fi
}

build "$TMP/b"
# the previous run: every client lossless at 50k, ratios as now
"$PY" - "$TMP/b/previous.json" <<'PY'
import json, sys
c = {n: {"available": True, "steady_verdict": "lossless: 1000000 msgs at 50000 msgs/s",
         "e2e": {"p50": 60}, "cpu_ns_per_msg": 1300} for n in ("kernel", "kernel_busy", "xdp_wakeup", "xdp_busy")}
json.dump({"meta": {"rate": 50000, "quick": 0}, "clients": c}, open(sys.argv[1], "w"))
PY
"$PY" "$ROOT/scripts/bench_report.py" "$TMP/b" >"$TMP/report.txt" 2>"$TMP/report.err"
rc=$?
if [[ $rc -ne 0 ]]; then
  echo "FAIL $NAME: bench_report.py exit $rc: $(tail -1 "$TMP/report.err")"; exit 0
fi
R=$TMP/report.txt
check "rows: low rate, one message per record, with both clocks" '^10k 1/rec +--mode kernel --poll busy +16\.0 +900\.0 +10\.0 +800\.0 .*kernel-rx-software' "$R"
check "rows: xdp busy with service and its CPU share" '^10k 1/rec +--mode xdp --poll busy +14\.0 .* 0\.40 .* 40% +5000 +xdp-ktime' "$R"
check "rows: a low-rate run judged by its own rate" '^10k 1/rec +--mode kernel +30\.0 .* lossless$' "$R"
check "rows: a burst run short of its count is a loss" '^50k burst +--mode xdp --poll busy .* loss$' "$R"
check "pairs: busy side by side" '^10k 1/rec +busy +14\.0 / 16\.0 +0\.88x' "$R"
check "pairs: wake-up side by side" '^10k 1/rec +wake-up +24\.0 / 30\.0 +0\.80x' "$R"
check "target: arrival->handler missed, with the largest stage and preemption" \
  'MISSED +xdp busy arrival->handler p50 <= 1\.5 us and p99 <= 10 us at 10k msgs/s: rx p50 10\.5 us, p99 2900 us .*largest xdp_drain.*had its CPU only 40%' "$R"
check "target: busy e2e ratio missed, wire vs rx" 'MISSED +xdp busy e2e p50 <= 0\.6x kernel busy at 10k msgs/s: .*= 0\.88x; wire p50 3\.30 vs 3\.40 us, rx p50 10\.5 vs 10\.0 us' "$R"
check "target: wake-up e2e ratio met" 'MET +xdp wake-up e2e p50 <= 0\.9x kernel wake-up at 10k msgs/s: xdp_wakeup 24\.0 us vs kernel 30\.0 us = 0\.80x' "$R"
check "target: service met" 'MET +fast path per message after the ring \(service\) p50 <= 0\.5 us at low rate \(xdp busy\): xdp_busy 1k: p50 0\.40 us' "$R"
check "target: burst run regression (a loss where the last run had none)" 'MISSED +no regression in the 50k msgs/s burst run .*xdp_busy lost messages' "$R"
check "target: TLS record met" 'MET +TLS record decrypt .*: 120\.5 ns/record \(zero-copy\); OpenSSL 300\.7 ns$' "$R"
check "target: trade missed, with the bench's preemption" 'MISSED +Binance trade to typed event <= 100 ns: 130\.0 ns/msg \(scanner\); strict tokenizer 480\.0 ns; the benchmark had its CPU 50% of its run \(420 involuntary' "$R"
if "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); t={x["target"][:20]: x["status"] for x in d["targets12"]}; assert len(d["targets12"]) == 7 and len(d["pairs"]) == 6 and len(d["latency_rows"]) == 12, d' "$TMP/b/results.json" 2>"$TMP/json.err"; then
  echo "PASS $NAME: results.json holds the targets, pairs and rows"
else echo "FAIL $NAME: results.json: $(tail -1 "$TMP/json.err")"; fi

# no previous run: the regression target is n/a, not met
rm -rf "$TMP/b"; build "$TMP/b"
"$PY" "$ROOT/scripts/bench_report.py" "$TMP/b" >"$R" 2>/dev/null
check "target: no previous run is N/A" 'N/A +no regression in the 50k msgs/s burst run .*first run' "$R"

# a path that got slower alone is a regression; the whole machine slower is not
prev() { # prev FILE KERNEL_P50 XDP_WAKEUP_P50
  "$PY" - "$@" <<'PY'
import json, sys
f, kp, xp = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
c = {n: {"available": True, "steady_verdict": "loss: was lossy too" if n == "xdp_busy" else "lossless",
         "e2e": {"p50": xp if n == "xdp_wakeup" else kp}, "cpu_ns_per_msg": 1300}
     for n in ("kernel", "kernel_busy", "xdp_wakeup", "xdp_busy")}
json.dump({"meta": {"rate": 50000, "quick": 0}, "clients": c}, open(f, "w"))
PY
}
prev "$TMP/b/previous-full.json" 60 40
"$PY" "$ROOT/scripts/bench_report.py" "$TMP/b" >"$R" 2>/dev/null
check "target: a path slower alone is a regression" 'MISSED +no regression in the 50k msgs/s burst run .*xdp_wakeup e2e p50 60\.0 us, was 40\.0; /kernel 1\.00x, was 0\.67x' "$R"
prev "$TMP/b/previous-full.json" 40 40
"$PY" "$ROOT/scripts/bench_report.py" "$TMP/b" >"$R" 2>/dev/null
check "target: every row slower alike is no regression" 'MET +no regression in the 50k msgs/s burst run' "$R"
