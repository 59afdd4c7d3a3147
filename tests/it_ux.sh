#!/usr/bin/env bash
# it_ux — what a user of feedrx sees, against feedsim in namespaces: errors
# are one line in every mode (root and not), option errors name what exists,
# subscriptions that cannot deliver end the run, the depth line says it is a
# diff, reports show what the mode measures, latency against a server
# without feedsim's send time, --version and --stats-json -.
source "$(dirname "$0")/lib.sh"
NAME=it_ux
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
it_setup $NAME 2

PORT=9600
SIM_PID=
# sim NAME ARGS...: one feedsim (--once) on a fresh port
sim() {
  local n=$1; shift
  PORT=$((PORT + 1))
  ip netns exec "$NS_EX" "$FEEDSIM" --once --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --listen "$NETNS_EX_IP4:$PORT" --log "$TMP/$n.log" "$@" >"$TMP/$n.sim.out" 2>"$TMP/$n.sim.err" &
  SIM_PID=$!
  netns_track $SIM_PID
  wait_listen "$NS_EX" "$PORT" || { fail "$n" "feedsim did not listen on $PORT"; return 1; }
}
sim_stop() { kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; }

# rx NAME ARGS...: feedrx as root in NS_RX; stdout/stderr in $TMP/NAME.{out,err}, RC
rx() {
  local n=$1; shift
  ip netns exec "$NS_RX" timeout 30 "$FEEDRX" --cafile "$CERTS/ca.pem" "$@" >"$TMP/$n.out" 2>"$TMP/$n.err"
  RC=$?
}
# rx_user NAME ARGS...: the same as an unprivileged user (nobody)
rx_user() {
  local n=$1; shift
  chmod a+r "$CERTS/ca.pem"
  ip netns exec "$NS_RX" timeout 30 setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$FEEDRX" --cafile "$CERTS/ca.pem" "$@" >"$TMP/$n.out" 2>"$TMP/$n.err"
  RC=$?
}
# one_line NAME RC REGEX: exit status RC and stderr exactly one line matching REGEX
one_line() {
  local n=$1 want=$2 re=$3 lines
  lines=$(wc -l <"$TMP/$n.err")
  if [[ $RC -eq $want && $lines -eq 1 ]] && grep -Eq "$re" "$TMP/$n.err"; then pass "$n"
  else fail "$n" "rc=$RC (want $want), $lines lines: $(head -c 400 "$TMP/$n.err")"; fi
}
# has NAME REGEX [FILE]: a line matches
has() {
  if grep -Eq -- "$2" "${3:-$TMP/$1.err}"; then pass "$1"
  else fail "$1" "no /$2/ in: $(head -c 400 "${3:-$TMP/$1.err}")"; fi
}
# hasnt NAME REGEX [FILE]: no line matches
hasnt() {
  if [[ ! -f ${3:-$TMP/$1.err} ]]; then fail "$1" "no output file ${3:-$TMP/$1.err}"
  elif ! grep -Eq -- "$2" "${3:-$TMP/$1.err}"; then pass "$1"
  else fail "$1" "unexpected /$2/: $(grep -Em1 -- "$2" "${3:-$TMP/$1.err}")"; fi
}
XDP=1
ip netns exec "$NS_RX" "$FEEDRX" --mode xdp --iface "$NETNS_RX_DEV" --count 1 \
  "wss://$NETNS_EX_IP4:9/ws/x" 2>"$TMP/probe.err" >/dev/null
grep -q '^feedrx: --mode xdp: cannot attach' "$TMP/probe.err" && XDP=0
REFUSED="wss://$NETNS_EX_IP4:9/ws/btcusdt@trade"

# ---- 2. errors are one line -------------------------------------------------
for who in rx rx_user; do
  for mode in auto xdp kernel; do
    n=ux_err_refused_${mode}_${who}
    $who $n --mode $mode "$REFUSED"
    if [[ $mode == xdp && ( $who == rx_user || $XDP == 0 ) ]]; then
      one_line $n 1 '^feedrx: --mode xdp: .*needs CAP_BPF and CAP_NET_ADMIN|^feedrx: --mode xdp: '
    else
      one_line $n 1 "^feedrx: cannot connect to $NETNS_EX_IP4:9: Connection refused\$"
    fi
  done
  n=ux_err_dns_auto_$who
  $who $n --mode auto "wss://nosuch.invalid:9443/ws/btcusdt@trade"
  one_line $n 1 '^feedrx: cannot resolve nosuch\.invalid: '
done
# without privileges auto mode says once, in one line, why XDP is not used
if sim ux_auto_user_fallback --count 3; then
  rx_user ux_auto_user_fallback --mode auto "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade"
  one_line ux_auto_user_fallback 0 \
    '^feedrx: XDP fast path unavailable \(.*(needs CAP_BPF(, CAP_PERFMON)? and CAP_NET_ADMIN|missing capability CAP_[A-Z_]+ \(XDP needs CAP_BPF).*\); using the kernel path$'
  sim_stop
fi
# --stats after a connection error: the error only; the JSON says it
rx ux_err_stats --mode kernel --stats --stats-json "$TMP/ux_err_stats.json" "$REFUSED"
one_line ux_err_stats 1 '^feedrx: cannot connect to '
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["error"].startswith("cannot connect to "), d["error"]; assert d["counters"]["msgs"]==0' \
  "$TMP/ux_err_stats.json" 2>"$TMP/ux_err_stats.py"; then pass ux_err_stats_json
else fail ux_err_stats_json "$(cat "$TMP/ux_err_stats.py")"; fi

# ---- 6. XDP options, --version, --stats-json - -------------------------------
rx ux_version --version
if [[ $RC -eq 0 ]] && grep -Eq '^feedrx [^ ]+$' "$TMP/ux_version.out"; then pass ux_version
else fail ux_version "rc=$RC: $(cat "$TMP/ux_version.out" "$TMP/ux_version.err")"; fi
if "$FEEDRX" --help | grep -q -- '--version'; then pass ux_version_in_help; else fail ux_version_in_help "not in --help"; fi
rx ux_busy_cpu_without_busy --busy-cpu 0 "$REFUSED"
one_line ux_busy_cpu_without_busy 2 '^feedrx: --busy-cpu and --busy-poll-usecs need --poll busy'
rx ux_busy_cpu_missing --poll busy --busy-cpu 4000 "$REFUSED"
one_line ux_busy_cpu_missing 2 "^feedrx: --busy-cpu 4000: no such CPU for this process \\(it may run on CPUs 0(-$(($(nproc) - 1)))?\\)"
if sim ux_stats_json_stdout --count 3; then
  ( cd "$TMP" && ip netns exec "$NS_RX" "$FEEDRX" --cafile "$CERTS/ca.pem" --mode kernel --output none \
      --stats-json - "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" >"$TMP/ux_stats_json_stdout.out" 2>"$TMP/ux_stats_json_stdout.err" )
  if [[ ! -e $TMP/- ]] && python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["counters"]["msgs"]==3 and d["error"] is None' \
    <"$TMP/ux_stats_json_stdout.out"; then pass ux_stats_json_stdout
  else fail ux_stats_json_stdout "$(head -c 300 "$TMP/ux_stats_json_stdout.out")"; fi
  sim_stop
fi
if [[ $XDP == 1 ]]; then
  rx ux_queue_missing --mode xdp --iface "$NETNS_RX_DEV" --queue 5 "$REFUSED"
  one_line ux_queue_missing 2 "^feedrx: --queue 5: $NETNS_RX_DEV has 2 RX queues \\(0-1\\)\$"
  rx ux_queue_missing_auto --mode auto --queue 5 "$REFUSED"
  one_line ux_queue_missing_auto 2 "^feedrx: --queue 5: $NETNS_RX_DEV has 2 RX queues \\(0-1\\)\$"
  if sim ux_attach_line --count 3; then
    rx ux_attach_line --mode xdp --output none "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade"
    hasnt ux_attach_line_quiet '^feedrx: XDP program fx_xdp_steer' "$TMP/ux_attach_line.err"
    sim_stop
  fi
  if sim ux_attach_line_v --count 3; then
    rx ux_attach_line_v -v --mode xdp --output none "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade"
    has ux_attach_line_v '^feedrx: XDP program fx_xdp_steer \(id [0-9]+\) attached to .*directly \(no bpffs'
    sim_stop
  fi
  # bpffs mounted: libxdp tries its dispatcher; say why it is not used
  BPFFS=$TMP/bpffs
  mkdir -p "$BPFFS"
  if sim ux_bpffs_dispatcher --count 3 && ip netns exec "$NS_RX" sh -c "mount -t bpf bpf $BPFFS && \
      LIBXDP_BPFFS=$BPFFS timeout 30 $FEEDRX --cafile $CERTS/ca.pem -v --mode xdp --output none \
      wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade; umount $BPFFS" >/dev/null 2>"$TMP/ux_bpffs_dispatcher.err"; then
    if grep -q "under libxdp's multiprog dispatcher" "$TMP/ux_bpffs_dispatcher.err"; then pass ux_bpffs_dispatcher
    else has ux_bpffs_dispatcher "attached to .*directly \\((libxdp's dispatcher failed its check on this kernel: [^;]+|LIBXDP_SKIP_DISPATCHER is set); "; fi
  else skip ux_bpffs_dispatcher "cannot mount bpffs or run: $(head -c 200 "$TMP/ux_bpffs_dispatcher.err")"; fi
  sim_stop
else
  skip ux_xdp_options "XDP unavailable: $(head -c 200 "$TMP/probe.err")"
fi

# ---- 4. the depth line is a diff ---------------------------------------------
if sim ux_depth_diff --count 50 --rate 0; then
  rx ux_depth_diff --mode kernel --output pretty "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@depth"
  if [[ $RC -eq 0 && $(grep -Ec '^BTCUSDT +depth +diff [0-9]+\.\.[0-9]+  bids [0-9]+ set [0-9]+ removed  asks [0-9]+ set [0-9]+ removed' "$TMP/ux_depth_diff.out") -eq 50 ]]
  then pass ux_depth_diff; else fail ux_depth_diff "rc=$RC: $(head -c 300 "$TMP/ux_depth_diff.out")"; fi
  hasnt ux_depth_no_top 'top (bid|ask)' "$TMP/ux_depth_diff.out"
  sim_stop
fi

# ---- 3. subscriptions ----------------------------------------------------------
for who in rx rx_user; do
  n=ux_sub_refused_$who
  if sim $n --rate 100; then
    $who $n --subscribe nosuch "wss://$NETNS_EX_IP4:$PORT/ws"
    one_line $n 1 '^feedrx: subscription refused: \{"error":'
    sim_stop
  fi
done
if sim ux_sub_refused_url_streams --rate 1000 --count 400; then
  rx ux_sub_refused_url_streams --mode kernel --subscribe nosuch "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade"
  if [[ $RC -eq 0 && $(wc -l <"$TMP/ux_sub_refused_url_streams.out") -ge 300 ]] &&
    grep -q 'subscription refused: .*(the URL.s streams stay)$' "$TMP/ux_sub_refused_url_streams.err"
  then pass ux_sub_refused_url_streams
  else fail ux_sub_refused_url_streams "rc=$RC $(wc -l <"$TMP/ux_sub_refused_url_streams.out") lines: $(head -c 300 "$TMP/ux_sub_refused_url_streams.err")"; fi
  sim_stop
fi
if sim ux_sub_comma --rate 0 --count 2000; then
  rx ux_sub_comma --mode kernel --subscribe btcusdt@trade,ethusdt@bookTicker "wss://$NETNS_EX_IP4:$PORT/ws"
  if [[ $RC -eq 0 ]] && cmp -s "$TMP/ux_sub_comma.out" "$TMP/ux_sub_comma.log" &&
    grep -q '"s":"ETHUSDT"' "$TMP/ux_sub_comma.out" && grep -q '"e":"trade"' "$TMP/ux_sub_comma.out"
  then pass ux_sub_comma
  else fail ux_sub_comma "rc=$RC: $(head -c 300 "$TMP/ux_sub_comma.err")"; fi
  sim_stop
fi
rx ux_sub_comma_bad --subscribe 'a@trade,b"x' "wss://$NETNS_EX_IP4:9/ws"
one_line ux_sub_comma_bad 2 "^feedrx: bad --subscribe stream name 'b\"x'"
rx ux_sub_comma_empty --subscribe 'a@trade,' "wss://$NETNS_EX_IP4:9/ws"
one_line ux_sub_comma_empty 2 "^feedrx: empty stream name in --subscribe"
rx ux_ws_no_stream --idle-timeout 1 "wss://$NETNS_EX_IP4:9/ws"
one_line ux_ws_no_stream 2 "names no stream: add --subscribe STREAM"
rx ux_stream_no_stream "wss://$NETNS_EX_IP4:9/stream?streams="
one_line ux_stream_no_stream 2 "names no stream"

# ---- 1. latency against a server without feedsim's send time ------------------
# feedsim --no-ts sends what Binance sends: the event time "E", no "ts_ns"
if sim ux_lat_kernel --no-ts --rate 200 --count 300; then
  rx ux_lat_kernel --mode kernel --output pretty --stats "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade"
  # the kernel's receive stamps (SO_TIMESTAMPING) are the kernel path's arrival
  if [[ $RC -eq 0 && $(grep -Ec '   exch->rx -?[0-9]+\.[0-9] exch->handler -?[0-9]+\.[0-9] us \(two clocks\)  rx->handler [0-9]+\.[0-9] us$' "$TMP/ux_lat_kernel.out") -eq 300 ]]
  then pass ux_lat_kernel_pretty; else fail ux_lat_kernel_pretty "rc=$RC: $(head -c 300 "$TMP/ux_lat_kernel.out")"; fi
  has ux_lat_kernel_live '^\[ *[0-9.]+s\] [0-9]+ msg/s [0-9.]+ MB/s  exch->handler p50 [0-9.]+ p99 [0-9.]+ us  exch->rx p50 [0-9.]+ p99 [0-9.]+ us  rx p50 [0-9.]+ p99 [0-9.]+ us$' "$TMP/ux_lat_kernel.err"
  has ux_lat_kernel_exchange_row '^exchange E -> handler \(realtime\) +300 ' "$TMP/ux_lat_kernel.err"
  has ux_lat_kernel_arrival_row '^first rx stamp -> handler +300 ' "$TMP/ux_lat_kernel.err"
  hasnt ux_lat_kernel_no_arrival_note 'note: the kernel (path has no arrival stamp|gave no receive stamps)' "$TMP/ux_lat_kernel.err"
  # kernel mode shows what it measures: no fast/shadow, zero or dash rows
  hasnt ux_lat_kernel_no_fast_counters 'fast [0-9]|shadow [0-9]|      -$|      0\.000 ' "$TMP/ux_lat_kernel.err"
  sim_stop
fi
if [[ $XDP == 1 ]] && sim ux_lat_xdp --no-ts --rate 200 --count 300; then
  rx ux_lat_xdp --mode xdp --output pretty --stats "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade"
  if [[ $RC -eq 0 && $(grep -Ec '   exch->rx -?[0-9]+\.[0-9] exch->handler -?[0-9]+\.[0-9] us \(two clocks\)  rx->handler [0-9]+\.[0-9] us$' "$TMP/ux_lat_xdp.out") -ge 290 ]]
  then pass ux_lat_xdp_pretty; else fail ux_lat_xdp_pretty "rc=$RC: $(head -c 300 "$TMP/ux_lat_xdp.out")"; fi
  has ux_lat_xdp_live 'exch->handler p50 [0-9.]+ p99 [0-9.]+ us  exch->rx p50 [0-9.]+ p99 [0-9.]+ us  rx p50 [0-9.]+' "$TMP/ux_lat_xdp.err"
  has ux_lat_xdp_arrival_row '^exchange E -> arrival \(realtime\) +[0-9]{3} ' "$TMP/ux_lat_xdp.err"
  sim_stop
fi
# the venue's finer time unit is asked for when latency is measured
if sim ux_lat_time_unit --no-ts --count 3; then
  rx ux_lat_time_unit -v --mode kernel --output none --stats "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade"
  has ux_lat_time_unit '^feedrx: asking for exchange times in a finer unit: /ws/btcusdt@trade\?timeUnit=MICROSECOND$' "$TMP/ux_lat_time_unit.err"
  sim_stop
fi

# ---- 5. a reader that goes away: the counts add up --------------------------------
if [[ $XDP == 1 ]] && sim ux_head_1 --rate 0; then
  ip netns exec "$NS_RX" timeout 30 "$FEEDRX" --cafile "$CERTS/ca.pem" --mode xdp \
    "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" 2>"$TMP/ux_head_1.err" | head -1 >"$TMP/ux_head_1.out"
  rc=${PIPESTATUS[0]}
  read -r d f k < <(sed -n 's/^feedrx: delivered \([0-9]*\) messages: \([0-9]*\) from the fast path, \([0-9]*\) from the kernel path.*/\1 \2 \3/p' "$TMP/ux_head_1.err")
  if [[ $rc -eq 0 && -n $d && $((f + k)) -eq $d ]] && grep -q '^feedrx: the reader closed stdout: stopped' "$TMP/ux_head_1.err"
  then pass ux_head_1_counts_add_up
  else fail ux_head_1_counts_add_up "rc=$rc: $(tr '\n' '|' <"$TMP/ux_head_1.err")"; fi
  sim_stop
fi

# feedsim honours timeUnit=MICROSECOND as Binance spot does: E in us, and the
# exchange rows have us resolution
if sim ux_lat_us --no-ts --rate 200 --count 200; then
  rx ux_lat_us --mode kernel --output raw --stats "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade"
  if [[ $RC -eq 0 ]] && cmp -s "$TMP/ux_lat_us.out" "$TMP/ux_lat_us.log" &&
    [[ $(grep -Ec '"E":[0-9]{16},' "$TMP/ux_lat_us.out") -eq 200 ]]; then pass ux_lat_us_raw
  else fail ux_lat_us_raw "rc=$RC: $(head -c 200 "$TMP/ux_lat_us.out")"; fi
  has ux_lat_us_row '^exchange E -> handler \(realtime\) +200 ' "$TMP/ux_lat_us.err"
  sim_stop
fi
