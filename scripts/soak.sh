#!/usr/bin/env bash
# soak.sh — long runs (`make soak`, not part of `make test`): feedsim ->
# feedrx at SOAK_RATE msgs/s (20000) for SOAK_MINUTES (30) in each mode of
# SOAK_MODES ("kernel xdp", one after the other), in the namespace bed.
# Every SOAK_INTERVAL s (10) it samples feedrx's RSS (VmRSS), its open file
# descriptors, the entries of the XDP program's flow map (bpftool) and the
# messages delivered so far, into build/soak/<mode>.csv; then plots them
# (build/soak/soak.png, gnuplot) and writes build/soak/summary.txt, which
# says for each line whether it is flat after warm-up: the largest value of
# the last minute against the value at the end of warm-up (2 minutes, or a
# third of a shorter run), within SOAK_RSS_TOL_KB (1024) for RSS and exactly
# for descriptors and map entries. Exit 0 when everything is flat and every
# run delivered at the rate asked (within 5 %), 1 otherwise.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}; [[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
MINUTES=${SOAK_MINUTES:-30}
RATE=${SOAK_RATE:-20000}
MODES=${SOAK_MODES:-kernel xdp}
INTERVAL=${SOAK_INTERVAL:-10}
RSS_TOL=${SOAK_RSS_TOL_KB:-1024}
OUT=$BUILD/soak
source "$ROOT/scripts/netns.sh"

say() { echo "soak: $*" >&2; }
[[ $(id -u) -eq 0 ]] || { say "run as root (network namespaces, XDP)"; exit 1; }
[[ $MINUTES =~ ^[0-9]+$ && $MINUTES -ge 1 ]] || { say "SOAK_MINUTES: a whole number of minutes >= 1"; exit 2; }
for m in $MODES; do [[ $m == kernel || $m == xdp ]] || { say "SOAK_MODES: kernel and/or xdp, not '$m'"; exit 2; }; done
command -v bpftool >/dev/null || say "bpftool missing: no map entries"
bash "$ROOT/scripts/certs.sh" "$BUILD/certs" || exit 1
mkdir -p "$OUT"
netns_up || { say "cannot create network namespaces"; exit 1; }
SECS=$((MINUTES * 60))

# The flow map of the XDP program on the receiver's device: its entries, or
# NA when it cannot be read (three tries: a sample must not invent a drop).
flow_entries() {
  local prog mid try n
  for try in 1 2 3; do
    prog=$(ip -n "$NS_RX" -d link show "$NETNS_RX_DEV" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -1)
    for mid in $(bpftool prog show id "${prog:-0}" 2>/dev/null | sed -n 's/.*map_ids \([0-9,]*\).*/\1/p' | tr ',' ' '); do
      bpftool map show id "$mid" 2>/dev/null | grep -q ' name fx_flows ' || continue
      n=$(bpftool -j map dump id "$mid" 2>/dev/null |
        python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' 2>/dev/null)
      [[ -n $n ]] && { echo "$n"; return; }
    done
    sleep 0.2
  done
  echo NA
}

run_mode() {
  local mode=$1 csv=$OUT/$1.csv port=9443 sim rx cnt t0 t rss fds ent n
  local args=(--mode "$mode")
  [[ $mode == xdp ]] && args+=(--iface "$NETNS_RX_DEV")
  say "$mode: ${MINUTES} min at $RATE msgs/s, a sample every ${INTERVAL} s -> $csv"
  ip netns exec "$NS_EX" "$BUILD/feedsim" --listen "$NETNS_EX_IP4:$port" --rate "$RATE" --seed 4 \
    2>"$OUT/$mode.sim.err" &
  sim=$!
  netns_track "$sim"
  wait_listen "$NS_EX" "$port" || { say "$mode: feedsim did not start"; return 1; }
  cnt=$OUT/$mode.count
  echo 0 >"$cnt"
  # feedrx's output goes through a FIFO to a counter that writes its total
  # to $cnt every 2000 messages (the messages themselves are not kept); a
  # simple command in the background, so $! is feedrx itself (ip execs it)
  rm -f "$OUT/$mode.fifo"
  mkfifo "$OUT/$mode.fifo" || return 1
  awk -v f="$cnt" 'NR % 2000 == 0 { print NR > f; close(f) } END { print NR > f; close(f) }' \
    <"$OUT/$mode.fifo" &
  netns_track $!
  ip netns exec "$NS_RX" "$BUILD/feedrx" "${args[@]}" --cafile "$BUILD/certs/ca.pem" -v \
    --output raw "wss://$NETNS_EX_IP4:$port/ws/btcusdt@trade" >"$OUT/$mode.fifo" 2>"$OUT/$mode.err" &
  rx=$!
  netns_track "$rx"
  sleep 1
  echo "t_s,rss_kb,fds,map_entries,delivered" >"$csv"
  t0=$SECONDS
  while :; do
    t=$((SECONDS - t0))
    kill -0 "$rx" 2>/dev/null || { say "$mode: feedrx exited after ${t} s: $(tail -2 "$OUT/$mode.err")"; return 1; }
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$rx/status")
    fds=$(ls "/proc/$rx/fd" | wc -l)
    ent=0
    [[ $mode == xdp ]] && ent=$(flow_entries)
    # the counter rewrites the file: an empty read is one caught mid-write
    for _ in 1 2 3 4 5; do n=$(cat "$cnt"); [[ -n $n ]] && break; sleep 0.02; done
    echo "$t,$rss,$fds,$ent,$n" >>"$csv"
    ((t >= SECS)) && break
    sleep $((INTERVAL - (SECONDS - t0) % INTERVAL))
  done
  kill -INT "$rx"
  for _ in $(seq 50); do kill -0 "$rx" 2>/dev/null || break; sleep 0.1; done
  kill "$sim" 2>/dev/null
  wait 2>/dev/null
  rm -f "$OUT/$mode.fifo"
  say "$mode: $(grep -E '^feedrx: (delivered|connection|[0-9]+ messages)' "$OUT/$mode.err" | tr '\n' ' ')"
  return 0
}

rc=0
for m in $MODES; do run_mode "$m" || rc=1; done

# ---- flat after warm-up? ---------------------------------------------------------
WARM=$((SECS / 3 < 120 ? SECS / 3 : 120))
{
  echo "soak: $MINUTES min per mode at $RATE msgs/s, samples every $INTERVAL s, warm-up $WARM s"
  for m in $MODES; do
    [[ -s $OUT/$m.csv ]] || { echo "$m: no samples"; rc=1; continue; }
    awk -F, -v m="$m" -v warm="$WARM" -v tol="$RSS_TOL" -v rate="$RATE" '
      NR == 1 { next }
      { t[NR] = $1; r[NR] = $2; f[NR] = $3; e[NR] = $4; d[NR] = $5; last = NR }
      END {
        # the sample at the end of warm-up, and the window of the last minute
        for (i = 2; i <= last; i++) if (t[i] <= warm) w = i
        end = t[last]
        rmax = fmax = emax = 0
        for (i = 2; i <= last; i++) if (t[i] >= end - 60 && t[i] > warm) {
          if (r[i] > rmax) rmax = r[i]; if (f[i] > fmax) fmax = f[i]
          if (e[i] != "NA" && e[i] + 0 > emax) emax = e[i] + 0
        }
        bad = 0
        ok = rmax - r[w] <= tol; bad += !ok
        printf "%s rss: %d kB at %d s, at most %d kB in the last minute (%+d kB): %s\n", m, r[w], t[w], rmax, rmax - r[w], ok ? "flat" : "GROWING"
        ok = fmax == f[w]; bad += !ok
        printf "%s fds: %d at %d s, at most %d in the last minute: %s\n", m, f[w], t[w], fmax, ok ? "flat" : "GROWING"
        ok = emax == e[w]; bad += !ok
        printf "%s flow map entries: %d at %d s, at most %d in the last minute: %s\n", m, e[w], t[w], emax, ok ? "flat" : "GROWING"
        got = end > t[w] ? (d[last] - d[w]) / (end - t[w]) : 0
        ok = got >= rate * 0.95 && got <= rate * 1.05; bad += !ok
        printf "%s delivered: %d messages, %.0f msgs/s after warm-up: %s\n", m, d[last], got, ok ? "at the rate" : "OFF THE RATE"
        exit bad ? 1 : 0
      }' "$OUT/$m.csv" || rc=1
  done
} | tee "$OUT/summary.txt"
grep -q 'GROWING\|OFF THE RATE\|no samples' "$OUT/summary.txt" && rc=1

# ---- the plot ------------------------------------------------------------------
if command -v gnuplot >/dev/null; then
  plots() { # COLUMN
    local m s=
    for m in $MODES; do
      [[ -s $OUT/$m.csv ]] && s+="${s:+, }'$OUT/$m.csv' using (\$1/60):$1 with linespoints pt 7 ps 0.4 title '$m'"
    done
    echo "$s"
  }
  rate_plots() {
    local m s=
    for m in $MODES; do
      [[ -s $OUT/$m.csv ]] && s+="${s:+, }'$OUT/$m.csv' using (\$1/60):(\$5) with linespoints pt 7 ps 0.4 title '$m'"
    done
    echo "$s"
  }
  gnuplot <<GP 2>"$OUT/gnuplot.err" || say "gnuplot failed: $(tail -1 "$OUT/gnuplot.err")"
set terminal pngcairo size 1100,900 noenhanced font 'sans,10'
set output '$OUT/soak.png'
set datafile separator ','
set datafile missing 'NA'
set key autotitle columnhead
set multiplot layout 4,1 title 'feedrx soak: $RATE msgs/s, $MINUTES min per mode (dashed: the end of warm-up, $WARM s)'
set grid
set xlabel 'minutes'
set arrow from $WARM/60.0, graph 0 to $WARM/60.0, graph 1 nohead dt 2
set ylabel 'RSS (kB)'
plot $(plots 2)
set ylabel 'open fds'
set yrange [0:*]
plot $(plots 3)
set ylabel 'flow map entries'
set yrange [0:*]
plot $(plots 4)
set ylabel 'delivered'
set yrange [0:*]
plot $(rate_plots)
unset multiplot
GP
  [[ -s $OUT/soak.png ]] && say "plot: $OUT/soak.png"
else
  say "gnuplot not installed (gnuplot-nox; make deps): no plot"
fi
say "figures: $(for m in $MODES; do printf '%s ' "$OUT/$m.csv"; done)$OUT/summary.txt"
exit $rc
