#!/usr/bin/env bash
# bench.sh — `make bench`: the side-by-side benchmark (issue #5, items 4-5).
#
# In two fresh network namespaces (scripts/netns.sh), one feedsim workload
# (fixed seed, the Binance-style mix of trades, book tickers and depth diffs
# on one combined stream) is received in turn by
#   kernel      feedrx --mode kernel
#   kernel_busy feedrx --mode kernel --poll busy --busy-cpu RX_CPU
#   xdp_wakeup  feedrx --mode xdp --poll wakeup
#   xdp_busy    feedrx --mode xdp --poll busy --busy-cpu RX_CPU
#   python      scripts/bench_pyclient.py (Debian's python3-websockets)
# with feedsim pinned to CPU 0 and the receiver to CPU 1. Phases:
#   micro       build/tests/bench_* (ns per message per stage), pinned to CPU 1
#   consumers   bench_shm (shm ring handoff percentiles, CPU 0 -> CPU 1) and
#               scripts/bench_nats.sh (NATS, three subscribers) into
#               build/bench/consumers/ (BENCH_CONSUMERS=0 skips)
#   steady      BENCH_RATE msgs/s for BENCH_SECS s: latency, CPU, RSS
#   steps       BENCH_STEPS rates for BENCH_STEP_SECS s each, stopping at
#               the first rate a client cannot take without loss
#   max         feedsim flat out (--rate 0), BENCH_MAX_COUNT messages
#   low         (run before steady) BENCH_LOW_RATES (1000 10000) msgs/s for
#               BENCH_LOW_SECS s, one message per TLS record (feedsim
#               --record-per-msg), every feedrx client in turn at each rate;
#               steady is then the 50,000 msgs/s burst run (several messages
#               per record)
# Then scripts/bench_report.py prints the table and writes build/bench/
# results.json, report.txt and latency.png (gnuplot). Raw files of every run
# stay in build/bench/runs/. Nothing here asserts: targets are reported as
# met or missed, and a client that cannot run is reported with its reason.
#
# Knobs (environment): BENCH_RATE BENCH_SECS BENCH_STEPS BENCH_STEP_SECS
# BENCH_MAX_COUNT BENCH_SEED BENCH_MIX BENCH_CLIENTS BENCH_MICRO=0 BENCH_SIM_CPU
# BENCH_RX_CPU BENCH_LOW_RATES BENCH_LOW_SECS (BENCH_LOW_RATES= skips the phase)
# BENCH_NICE (e.g. -10: feedsim and the receivers run at that nice value, so
# a busy-polling receiver keeps its CPU on a machine shared with other work;
# default 0: no change).
# The last run's results.json is kept as previous-full.json (or
# previous-quick.json for a BENCH_QUICK run): the report compares the burst
# run against the last run of the same kind. BENCH_TAP=0: no redirect-vs-tap
# block. BENCH_QUICK=1 shortens everything (a smoke run, not a result).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}; [[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
OUT=$BUILD/bench
RUNS=$OUT/runs
FEEDRX=$BUILD/feedrx
FEEDSIM=$BUILD/feedsim
CERTS=$BUILD/certs
PY=/usr/bin/python3

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
  : "${BENCH_SECS:=3}" "${BENCH_STEPS:=100000}" "${BENCH_STEP_SECS:=1}" "${BENCH_MAX_COUNT:=100000}"
  : "${BENCH_LOW_SECS:=2}"
fi
RATE=${BENCH_RATE:-50000}
SECS=${BENCH_SECS:-20}
STEPS=${BENCH_STEPS:-100000 200000 400000 800000}
STEP_SECS=${BENCH_STEP_SECS:-2}
MAX_COUNT=${BENCH_MAX_COUNT:-1000000}
SEED=${BENCH_SEED:-42}
MIX=${BENCH_MIX:-trade=4,aggTrade=1,bookTicker=4,depth=1}
CLIENTS=${BENCH_CLIENTS:-kernel kernel_busy xdp_wakeup xdp_busy python}
LOW_RATES=${BENCH_LOW_RATES-1000 10000}
LOW_SECS=${BENCH_LOW_SECS:-10}
NICE=${BENCH_NICE:-0}
[[ $NICE =~ ^-?[0-9]+$ ]] || die "BENCH_NICE must be an integer"
SIM_CPU=${BENCH_SIM_CPU:-0}
RX_CPU=${BENCH_RX_CPU:-1}
URL_PATH='/stream?streams=btcusdt@trade/btcusdt@bookTicker/ethusdt@trade/btcusdt@depth@100ms'

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (network namespaces, XDP, AF_XDP)"
for f in "$FEEDRX" "$FEEDSIM"; do [[ -x $f ]] || die "missing $f (run: make)"; done
[[ -x /usr/bin/time ]] || die "missing /usr/bin/time (run: make deps)"
if (( $(nproc) < 2 )); then
  say "only $(nproc) CPU: feedsim and the receiver share CPU 0 (figures will suffer)"
  SIM_CPU=0 RX_CPU=0
fi

rm -rf "$RUNS" "$OUT/micro" "$OUT/loadavg_end" "$OUT/machine.json"
mkdir -p "$RUNS" "$OUT/micro" || die "cannot create $OUT"
# the last run's results, for the no-regression check of the burst run
if [[ -s $OUT/results.json ]]; then
  case $("$PY" -c 'import json, sys; print(int(bool(json.load(open(sys.argv[1]))["meta"].get("quick"))))' \
           "$OUT/results.json" 2>/dev/null) in
    0) mv "$OUT/results.json" "$OUT/previous-full.json" ;;
    1) mv "$OUT/results.json" "$OUT/previous-quick.json" ;;
  esac
fi
bash "$ROOT/scripts/certs.sh" "$CERTS" >/dev/null || die "cannot create test certificates"

# ---- what this feedrx can do (the integrator adds XDP mode and --stats-json)
HELP=$("$FEEDRX" --help 2>&1)
HAVE_STATS_JSON=0
grep -q -- '--stats-json' <<<"$HELP" && HAVE_STATS_JSON=1
[[ $HAVE_STATS_JSON == 1 ]] ||
  say "feedrx --help lists no --stats-json: feedrx rows get no latency figures"

{
  printf '{"started":"%s","git":"%s","kernel":"%s","cpus":%s,"loadavg":"%s",' \
    "$(date -u +%FT%TZ)" "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
    "$(uname -r)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf '"rate":%s,"secs":%s,"steps":[%s],"step_secs":%s,"max_count":%s,"seed":%s,' \
    "$RATE" "$SECS" "$(tr -s ' ' ',' <<<"$STEPS" | sed 's/^,//;s/,$//')" "$STEP_SECS" \
    "$MAX_COUNT" "$SEED"
  printf '"mix":"%s","url_path":"%s","sim_cpu":%s,"rx_cpu":%s,"clients":"%s",' \
    "$MIX" "$URL_PATH" "$SIM_CPU" "$RX_CPU" "$CLIENTS"
  printf '"low_rates":[%s],"low_secs":%s,' \
    "$(tr -s ' ' ',' <<<"$LOW_RATES" | sed 's/^,//;s/,$//')" "$LOW_SECS"
  printf '"nice":%s,' "$NICE"
  printf '"stats_json":%s,"quick":%s}\n' "$HAVE_STATS_JSON" "${BENCH_QUICK:-0}"
} >"$OUT/meta.json"

# ---- micro-benchmarks: ns per message per stage (item 5)
if [[ ${BENCH_MICRO:-1} != 0 ]]; then
  for b in bench_tcp_reasm bench_tls_record bench_ws_frame bench_feed_parse bench_feed_handler bench_lat_hist \
           bench_fast_rx bench_ws_client; do
    if [[ ! -x $BUILD/tests/$b ]]; then
      echo "not built: $BUILD/tests/$b" >"$OUT/micro/$b.txt"; echo 127 >"$OUT/micro/$b.rc"
      continue
    fi
    say "micro: $b"
    # %c: involuntary context switches (the machine's other work preempting it)
    nice -n "$NICE" taskset -c "$RX_CPU" /usr/bin/time -f '%e %U %S %c' -o "$OUT/micro/$b.time" \
      timeout 120 "$BUILD/tests/$b" >"$OUT/micro/$b.txt" 2>&1
    echo $? >"$OUT/micro/$b.rc"
  done
fi

# ---- consumers: shm ring handoff latency (two cores), NATS with three subscribers
if [[ ${BENCH_CONSUMERS:-1} != 0 ]]; then
  mkdir -p "$OUT/consumers"
  say "consumers: shm handoff, CPU $SIM_CPU -> CPU $RX_CPU"
  timeout 300 "$BUILD/tests/bench_shm" 200000 "$SIM_CPU" "$RX_CPU" >"$OUT/consumers/shm.txt" 2>&1
  say "consumers: NATS, three subscribers"
  BUILD=$BUILD timeout 300 bash "$ROOT/scripts/bench_nats.sh" "${BENCH_NATS_COUNT:-1000000}" \
    >"$OUT/consumers/nats.txt" 2>&1
  sed 's/^/bench: /' "$OUT/consumers/shm.txt" "$OUT/consumers/nats.txt" >&2
fi

# ---- namespaces
source "$ROOT/scripts/netns.sh"
netns_up || die "cannot create network namespaces"
say "namespaces $NS_EX / $NS_RX; feedsim on CPU $SIM_CPU, receivers on CPU $RX_CPU"
# the machine, for the report and the plot's title: CPU model, the receiving
# device's driver (veth here; a NIC's name on real hardware)
cpu_model=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -1 | tr -s ' ' | tr -d '"\\')
rx_driver=$(ip netns exec "$NS_RX" ethtool -i "$NETNS_RX_DEV" 2>/dev/null | sed -n 's/^driver: //p')
printf '{"cpu_model":"%s","rx_driver":"%s"}\n' "${cpu_model:-unknown}" "${rx_driver:-unknown}" \
  >"$OUT/machine.json"

# Prefix every line with CLOCK_REALTIME (s.us): when feedsim started and
# finished sending tells how fast a receiver really took the stream.
stamp() { local l; while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done; }

# rx_cmd CLIENT COUNT JSON URL: the receiver's command line into RX_CMD.
rx_cmd() {
  local client=$1 count=$2 json=$3 url=$4
  local stats=()
  [[ $HAVE_STATS_JSON == 1 ]] && stats=(--stats-json "$json")
  case $client in
    kernel) RX_CMD=("$FEEDRX" --mode kernel --cafile "$CERTS/ca.pem" --output none
                    --count "$count" "${stats[@]}" "$url") ;;
    kernel_busy) RX_CMD=("$FEEDRX" --mode kernel --poll busy --busy-cpu "$RX_CPU"
                    --cafile "$CERTS/ca.pem" --output none --count "$count" "${stats[@]}" "$url") ;;
    xdp_wakeup) RX_CMD=("$FEEDRX" --mode xdp --poll wakeup --iface "$NETNS_RX_DEV"
                    --cafile "$CERTS/ca.pem" --output none --count "$count" "${stats[@]}" "$url") ;;
    xdp_busy) RX_CMD=("$FEEDRX" --mode xdp --poll busy --busy-cpu "$RX_CPU" --iface "$NETNS_RX_DEV"
                    --cafile "$CERTS/ca.pem" --output none --count "$count" "${stats[@]}" "$url") ;;
    python) RX_CMD=("$PY" "$ROOT/scripts/bench_pyclient.py" --cafile "$CERTS/ca.pem"
                    --count "$count" --json "$json" "$url") ;;
    *) return 1 ;;
  esac
}

PORT=9442
# run_one CLIENT KIND RATE COUNT [FEEDSIM ARGS...]: one feedsim, one receiver;
# files in RUN_DIR.
run_one() {
  local client=$1 kind=$2 rate=$3 count=$4
  shift 4
  local simx=("$@")
  RUN_DIR=$RUNS/$client-$kind-$rate
  local d=$RUN_DIR
  mkdir -p "$d"
  PORT=$((PORT + 1))
  local url="wss://$NETNS_EX_IP4:$PORT$URL_PATH" tmo
  if (( rate > 0 )); then tmo=$(( count * 2 / rate + 10 )); else tmo=60; fi

  # ip netns exec execs taskset execs feedsim: $! is feedsim's own PID
  ip netns exec "$NS_EX" nice -n "$NICE" taskset -c "$SIM_CPU" "$FEEDSIM" --listen "$NETNS_EX_IP4:$PORT" \
    --cert "$CERTS/server.pem" --key "$CERTS/server.key" --rate "$rate" --count "$count" \
    --mix "$MIX" --seed "$SEED" "${simx[@]}" --once -v >/dev/null 2> >(stamp >"$d/sim.err") &
  local sim=$!
  netns_track "$sim"
  if ! wait_listen "$NS_EX" "$PORT"; then
    echo "feedsim did not listen on port $PORT" >"$d/rx.err"
    kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null
    printf '{"client":"%s","kind":"%s","rate":%s,"count":%s,"rc":-1}\n' \
      "$client" "$kind" "$rate" "$count" >"$d/meta.json"
    return 1
  fi
  rx_cmd "$client" "$count" "$d/stats.json" "$url"
  printf '%q ' "${RX_CMD[@]}" >"$d/cmd"; echo >>"$d/cmd"
  local t0=$EPOCHREALTIME
  # timeout (its own process group) sends SIGINT to the receiver and
  # /usr/bin/time (which ignores it): feedrx and the python client still
  # write their JSON. ip netns exec and taskset exec: $! is timeout's PID.
  ip netns exec "$NS_RX" nice -n "$NICE" taskset -c "$RX_CPU" timeout -k 5 -s INT "$tmo" \
    /usr/bin/time -f '%e %U %S %M %c %w' -o "$d/time" "${RX_CMD[@]}" >/dev/null 2>"$d/rx.err" &
  local rx=$!
  netns_track "$rx"
  wait "$rx"
  local rc=$?
  local t1=$EPOCHREALTIME
  # feedsim --once leaves after its client; a client that never came: stop it
  local i
  if grep -q ' connected$' "$d/sim.err" 2>/dev/null; then
    for i in $(seq 30); do kill -0 "$sim" 2>/dev/null || break; sleep 0.1; done
  fi
  kill "$sim" 2>/dev/null
  wait "$sim" 2>/dev/null
  for i in $(seq 20); do grep -q ' gone: ' "$d/sim.err" 2>/dev/null && break; sleep 0.05; done
  printf '{"client":"%s","kind":"%s","rate":%s,"count":%s,"rc":%s,"timeout_s":%s,' \
    "$client" "$kind" "$rate" "$count" "$rc" "$tmo" >"$d/meta.json"
  printf '"t_start":%s,"t_end":%s,"port":%s}\n' "$t0" "$t1" "$PORT" >>"$d/meta.json"
  return 0
}

# judge DIR: "lossless" or "loss: why" (the rule lives in bench_report.py)
judge() { "$PY" "$ROOT/scripts/bench_report.py" --judge "$1" 2>/dev/null || echo "loss: cannot judge"; }

declare -A SKIP=()
if [[ " $CLIENTS " == *" python "* ]] && ! "$PY" -c 'import websockets' 2>/dev/null; then
  SKIP[python]="$PY cannot import websockets (Debian package python3-websockets)"
fi
for c in "${!SKIP[@]}"; do
  mkdir -p "$RUNS/$c-unavailable"; echo "${SKIP[$c]}" >"$RUNS/$c-unavailable/reason"
done

# ---- low rate: one message per TLS record, every feedrx client in turn at
# each rate (side by side: the same load on the machine for all of them)
for r in $LOW_RATES; do
  for c in $CLIENTS; do
    [[ $c == python || -n ${SKIP[$c]:-} ]] && continue
    say "low: $c, $r msgs/s x ${LOW_SECS}s, one message per record"
    run_one "$c" low "$r" $(( r * LOW_SECS )) --burst 1 --record-per-msg
    v=$(judge "$RUN_DIR")
    say "  $v"
    if [[ $v == unavailable:* ]]; then
      SKIP[$c]=${v#unavailable: }
      mkdir -p "$RUNS/$c-unavailable"; echo "${SKIP[$c]}" >"$RUNS/$c-unavailable/reason"
    fi
  done
done

# ---- steady: every client at the same rate, in turn
steady_count=$(( RATE * SECS ))
for c in $CLIENTS; do
  [[ -n ${SKIP[$c]:-} ]] && continue
  say "steady: $c, $RATE msgs/s x ${SECS}s"
  run_one "$c" steady "$RATE" "$steady_count"
  v=$(judge "$RUN_DIR")
  say "  $v"
  # a client that failed before its first message is not available here
  if [[ $v == unavailable:* ]]; then
    SKIP[$c]=${v#unavailable: }
    mkdir -p "$RUNS/$c-unavailable"; echo "${SKIP[$c]}" >"$RUNS/$c-unavailable/reason"
  fi
done

# ---- saturation: rate steps until the first loss, then flat out
for c in $CLIENTS; do
  [[ -n ${SKIP[$c]:-} ]] && continue
  for r in $STEPS; do
    say "step: $c, $r msgs/s x ${STEP_SECS}s"
    run_one "$c" step "$r" $(( r * STEP_SECS ))
    v=$(judge "$RUN_DIR")
    say "  $v"
    [[ $v == lossless* ]] || break
  done
  say "max: $c, flat out, $MAX_COUNT msgs"
  run_one "$c" max 0 "$MAX_COUNT"
  say "  $(judge "$RUN_DIR")"
done

# ---- [tap] redirect vs tap transports (issue 12 item 3): its own namespaces,
# its own report in $OUT/tap/ (scripts/bench_tap.sh). BENCH_TAP=0 skips it.
if [[ ${BENCH_TAP:-1} != 0 ]]; then
  netns__teardown
  say "tap: redirect vs tap (scripts/bench_tap.sh)"
  BUILD=$BUILD BENCH_QUICK=${BENCH_QUICK:-0} BENCH_SIM_CPU=$SIM_CPU BENCH_RX_CPU=$RX_CPU \
    bash "$ROOT/scripts/bench_tap.sh" >&2 || say "tap: the comparison failed"
fi
# ---- [/tap]

# ---- the report (tear down first: nothing else runs while it renders)
cut -d' ' -f1-3 /proc/loadavg >"$OUT/loadavg_end"
netns__teardown
trap - EXIT
"$PY" "$ROOT/scripts/bench_report.py" "$OUT"
