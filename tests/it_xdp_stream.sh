#!/usr/bin/env bash
# it_xdp_stream — feedrx --mode xdp against feedsim across the namespace veth
# pair: the fast path's reassembled exchange->client TCP stream must equal
# the ciphertext the kernel socket read (length and SHA-256 from feedrx -v),
# the messages must equal feedsim's --log byte for byte and come from the
# fast path, and the receiver's kernel must count no TCP/IP receive errors
# and no retransmissions of its own (a missing ACK = a frame not re-injected).
#   - 200 MB of big raw messages over TLS 1.3/IPv4, with --dump-stream
#   - IPv6 + TLS 1.2 (raw), IPv6 + TLS 1.3 (combined market-data stream)
#   - --poll busy --busy-cpu 1
#   - normal exit, SIGINT and SIGTERM mid-stream: clean close, exit 0, no
#     XDP program left on veth-rx
#   - SIGKILL mid-stream: other connections keep working, the next
#     feedrx --mode xdp removes the leftover program and receives correctly
#   - --mode auto where XDP cannot be used (no such device, no native XDP,
#     loopback: says why, kernel path); --mode xdp there (clear error, exit
#     1); an interface the feed does not arrive on (the fast path sees
#     nothing: failover to the kernel path, saying why)
#   - a 2-queue veth: sockets on all queues; --queue N on the flow's queue and
#     on the other one (XPS pins the flow to queue 1 so both are certain)
# SKIP when the kernel cannot attach XDP or open AF_XDP sockets.
source "$(dirname "$0")/lib.sh"
NAME=it_xdp_stream
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
if ! "$FEEDRX" --help 2>/dev/null | grep -q -- '--dump-stream'; then
  skip $NAME "this feedrx has no XDP mode"; exit 0
fi
it_setup $NAME

PORT=9600
SIM_PID=
# sim NAME ARGS...: one feedsim per case (--once) on a fresh port, both
# families, its log in $TMP/NAME.log.
sim() {
  local n=$1; shift
  PORT=$((PORT + 1))
  ip netns exec "$NS_EX" "$FEEDSIM" --once --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --listen "$NETNS_EX_IP4:$PORT" --listen "[$NETNS_EX_IP6]:$PORT" --seed 1 --log "$TMP/$n.log" \
    "$@" >"$TMP/$n.sim.out" 2>"$TMP/$n.sim.err" &
  SIM_PID=$!
  netns_track $SIM_PID
  wait_listen "$NS_EX" "$PORT" || { fail "$n" "feedsim did not listen on $PORT"; return 1; }
}

# feedsim writes its log as it sends: let it finish (--once) before reading it
sim_wait() {
  for _ in $(seq 100); do kill -0 "$SIM_PID" 2>/dev/null || return 0; sleep 0.05; done
  return 1
}

# rx NAME URL ARGS...: feedrx -v in NS_RX; $TMP/NAME.out/.err, status in RC
# and wall time in SECS.
rx() {
  local n=$1 url=$2 t0; shift 2
  t0=$(date +%s%N)
  ip netns exec "$NS_RX" timeout 120 "$FEEDRX" --cafile "$CERTS/ca.pem" -v "$@" "$url" \
    >"$TMP/$n.out" 2>"$TMP/$n.err"
  RC=$?
  san_check "$n"
  SECS=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
}

why() { tail -n 4 "$TMP/$1.err" | tr '\n' '|' | head -c 400; }

# A sanitizer report in a run's stderr (BUILD=build-san) fails that run.
san_check() {
  if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP/$1.err"; then
    fail "${1}_sanitizer" "$(grep -E -m1 'Sanitizer|runtime error:' "$TMP/$1.err")"
  fi
}

# ---- checks on one finished run (each prints its own PASS/FAIL) --------------

# exit 0 after a clean WebSocket close (close frames 1000 both ways)
check_exit() {
  local n=$1
  if [[ $RC -eq 0 ]] && grep -q 'close sent 1000, received 1000$' "$TMP/$n.err"; then
    pass "${n}_exit_clean"
  else fail "${n}_exit_clean" "rc=$RC: $(why "$n")"; fi
}

check_cmp() {
  local n=$1
  sim_wait || { fail "${n}_cmp" "feedsim did not exit"; return; }
  if [[ ! -s $TMP/$n.log ]]; then fail "${n}_cmp" "feedsim's log is empty"; return; fi
  if cmp -s "$TMP/$n.out" "$TMP/$n.log"; then pass "${n}_cmp"
  else fail "${n}_cmp" "stdout ($(stat -c %s "$TMP/$n.out") B) differs from feedsim's log ($(stat -c %s "$TMP/$n.log") B)"; fi
}

# check_stream NAME MIN_BYTES: fast stream == kernel stream, >= MIN_BYTES;
# sets FAST_BYTES/FAST_SHA
check_stream() {
  local n=$1 min=$2 fast kern
  fast=$(sed -n 's/^feedrx: stream: fast \([0-9]*\) bytes sha256 \([0-9a-f]\{64\}\)$/\1 \2/p' "$TMP/$n.err")
  kern=$(sed -n 's/^feedrx: stream: kernel \([0-9]*\) bytes sha256 \([0-9a-f]\{64\}\)$/\1 \2/p' "$TMP/$n.err")
  FAST_BYTES=${fast%% *} FAST_SHA=${fast##* }
  if [[ -z $fast || -z $kern ]]; then fail "${n}_stream" "no stream lines: $(why "$n")"
  elif [[ $fast != "$kern" ]]; then fail "${n}_stream" "fast '$fast' != kernel '$kern'"
  elif [[ $FAST_BYTES -lt $min ]]; then fail "${n}_stream" "only $FAST_BYTES bytes (want >= $min)"
  else pass "${n}_stream"; fi
}

# check_fast_only NAME COUNT: COUNT messages, all from the fast path, all
# compared with the shadow, none different
check_fast_only() {
  local n=$1 c=$2
  if grep -q "^feedrx: delivered $c messages: $c from the fast path, 0 from the kernel path; shadow compared $c, 0 different\$" "$TMP/$n.err" &&
     ! grep -q 'fast path stopped' "$TMP/$n.err"; then
    pass "${n}_fast_only"
  else fail "${n}_fast_only" "$(grep -E '^feedrx: (delivered|fast path stopped)' "$TMP/$n.err" | head -c 300)"; fi
}

# check_failover NAME COUNT: the fast path saw nothing, said so, and the
# kernel path delivered all COUNT messages
check_failover() {
  local n=$1 c=$2 why='the kernel socket received data the fast path never saw: .*'
  # tap: the kernel may lead a healthy fast path, so it says so differently
  [[ ${FEEDRX_TEST_TRANSPORT:-} == tap ]] && why='.*'
  if grep -q "^feedrx: fast path stopped after 0 messages ($why); the kernel path delivers from message 1 on\$" "$TMP/$n.err" &&
     grep -q "^feedrx: delivered $c messages: 0 from the fast path, $c from the kernel path; shadow compared 0, 0 different\$" "$TMP/$n.err"; then
    pass "${n}_failover"
  else fail "${n}_failover" "$(grep -E '^feedrx: (delivered|fast path stopped)' "$TMP/$n.err" | head -c 300)"; fi
}

# no XDP program left on veth-rx (ip link and bpftool agree)
check_detached() {
  local n=$1 l b
  l=$(ip -n "$NS_RX" link show "$NETNS_RX_DEV")
  b=$(ip netns exec "$NS_RX" bpftool net show dev "$NETNS_RX_DEV" 2>&1)
  if [[ $l != *xdp* && $b != *fx_xdp_steer* && $b != *"driver id"* && $b != *"generic id"* ]]; then
    pass "${n}_detached"
  else fail "${n}_detached" "still attached: $(echo "$l $b" | tr '\n' ' ' | head -c 300)"; fi
}

# The receiver's kernel must see no IP/TCP receive errors: the re-injected
# copies are exact (checksums, lengths) and nothing backs up. Nor may it
# retransmit: every ACK the exchange sent it (up to the last one, after our
# FIN) must have reached it through re-injection. The one exception is a tail
# loss probe: on a loaded machine the probe timer (about two round trips)
# can fire before an ACK is re-injected (seen once in a run beside a parallel
# build); that is a timer, not a loss, so retransmissions up to the number of
# loss probes, plus two for a late ACK on a busy machine, are allowed. Receive
# errors must stay at zero.
NSTAT_WATCH='TcpExtTCPLossProbes TcpRetransSegs TcpInErrs TcpInCsumErrors IpExtInCsumErrors IpInHdrErrors Ip6InHdrErrors IpInDiscards Ip6InDiscards TcpExtTCPBacklogDrop TcpExtTCPRcvQDrop TcpExtTCPZeroWindowDrop TcpExtTCPOFODrop TcpExtPFMemallocDrop'
# nstat_deltas BEFORE AFTER NAMES...: "name=delta " for each name (snapshots
# from lib.sh's nstat_snap)
nstat_deltas() {
  local a=$1 b=$2; shift 2
  awk -v names="$*" 'BEGIN { n = split(names, w, " ") }
    FNR == NR { x[$1] = $2; next } { y[$1] = $2 }
    END { for (i = 1; i <= n; i++) printf "%s=%d ", w[i], y[w[i]] - x[w[i]] }' "$a" "$b"
}
check_nstat() {
  local n=$1 d
  nstat_snap "$NS_RX" "$TMP/$n.nstat1"
  # shellcheck disable=SC2086
  d=$(nstat_deltas "$TMP/$n.nstat0" "$TMP/$n.nstat1" $NSTAT_WATCH)
  echo "# $n: receiver nstat deltas: $d"
  echo "# $n: exchange side: $(nstat_deltas "$TMP/$n.nstat0ex" <(nstat_snap "$NS_EX" /dev/stdout) TcpRetransSegs TcpOutSegs)"
  local probes retrans rest
  probes=$(sed -n 's/.*TcpExtTCPLossProbes=\([0-9-]*\).*/\1/p' <<<"$d")
  retrans=$(sed -n 's/.*TcpRetransSegs=\([0-9-]*\).*/\1/p' <<<"$d")
  rest=$(sed 's/TcpExtTCPLossProbes=[0-9-]* //; s/TcpRetransSegs=[0-9-]* //' <<<"$d")
  if [[ -s $TMP/$n.nstat1 && $rest =~ ^([A-Za-z0-9]+=0\ )+$ && ${retrans:-99} -le $((${probes:-0} + 2)) ]]; then
    pass "${n}_nstat"
  else fail "${n}_nstat" "$d"; fi
}
nstat_begin() { nstat_snap "$NS_RX" "$TMP/$1.nstat0"; nstat_snap "$NS_EX" "$TMP/$1.nstat0ex"; }

# xdp_case NAME COUNT MIN_BYTES "SIM ARGS" URL FEEDRX ARGS...: a complete
# XDP run and every equality on it
xdp_case() {
  local n=$1 c=$2 min=$3 simargs=$4 url=$5; shift 5
  # shellcheck disable=SC2086
  sim "$n" $simargs || return 1
  url=${url//@PORT@/$PORT}
  nstat_begin "$n"
  rx "$n" "$url" --mode xdp --output raw "$@"
  echo "# $n: rc=$RC in ${SECS}s, $(stat -c %s "$TMP/$n.out") bytes of output; $(grep '^feedrx: fast path: [0-9]' "$TMP/$n.err")"
  check_exit "$n"
  check_cmp "$n"
  check_stream "$n" "$min"
  check_fast_only "$n" "$c"
  check_nstat "$n"
  check_detached "$n"
}

# ---- can this kernel do it at all? ------------------------------------------
sim probe --rate 0 --count 100 || exit 1
rx probe "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" --mode xdp --output none
if [[ $RC -ne 0 ]] && grep -Eq '^feedrx: --mode xdp: cannot (attach XDP on|open AF_XDP sockets on|register AF_XDP sockets)[^:]*: .*(not supported|not allowed|not permitted|not implemented)' "$TMP/probe.err"; then
  skip $NAME "XDP/AF_XDP unavailable here: $(grep '^feedrx: --mode xdp' "$TMP/probe.err")"
  exit 0
fi
[[ $RC -eq 0 ]] || { fail x_probe "feedrx --mode xdp failed: $(why probe)"; exit 1; }
sim_wait

# ---- 1. 200 MB of big raw messages, TLS 1.3 over IPv4, --dump-stream ----------
n=x_ipv4_tls13_200mb
xdp_case $n 200 200000000 "--tls 1.3 --rate 0 --count 200 --sizes 1000000:1048576" \
  "wss://$NETNS_EX_IP4:@PORT@/ws/raw" --tls 1.3 --dump-stream "$TMP/$n.dump"
dump=$( (stat -c %s "$TMP/$n.dump"; sha256sum <"$TMP/$n.dump" | cut -d' ' -f1) 2>/dev/null | tr '\n' ' ')
if [[ $dump == "$FAST_BYTES $FAST_SHA " && $FAST_BYTES -gt 0 ]]; then pass ${n}_dump_stream
else fail ${n}_dump_stream "dump '$dump' vs fast stream '$FAST_BYTES $FAST_SHA'"; fi
echo "# $n: $FAST_BYTES stream bytes in ${SECS}s"
rm -f "$TMP/$n.out" "$TMP/$n.log" "$TMP/$n.dump"

# ---- 2. IPv6, TLS 1.2 ---------------------------------------------------------
xdp_case x_ipv6_tls12 20000 1000000 "--tls 1.2 --rate 0 --count 20000" \
  "wss://[$NETNS_EX_IP6]:@PORT@/ws/raw" --tls 1.2
# and the feed's own message formats, combined stream, TLS 1.3 over IPv6
xdp_case x_ipv6_combined 20000 1000000 "--rate 0 --count 20000" \
  "wss://[$NETNS_EX_IP6]:@PORT@/stream?streams=btcusdt@trade/ethusdt@bookTicker/btcusdt@depth@100ms"

# ---- 4. busy polling ----------------------------------------------------------
cpu=1; [[ $(nproc) -ge 2 ]] || cpu=0
xdp_case x_busy_poll 3000 10000000 "--rate 0 --count 3000 --sizes 2:65536" \
  "wss://$NETNS_EX_IP4:@PORT@/ws/raw" --poll busy --busy-cpu $cpu
if grep -q '^feedrx: fast path: .*, busy poll$' "$TMP/x_busy_poll.err"; then pass x_busy_poll_mode
else fail x_busy_poll_mode "$(grep '^feedrx: fast path:' "$TMP/x_busy_poll.err")"; fi

# ---- 5. SIGINT and SIGTERM mid-stream -----------------------------------------
# sig_case NAME SIGNAL MIN_OUT "SIM ARGS" URL: signal once MIN_OUT bytes are out
sig_case() {
  local n=$1 sig=$2 min=$3 simargs=$4 url=$5 p size
  # shellcheck disable=SC2086
  sim "$n" $simargs || return
  nstat_begin "$n"
  ip netns exec "$NS_RX" "$FEEDRX" --cafile "$CERTS/ca.pem" -v --mode xdp "${url//@PORT@/$PORT}" \
    >"$TMP/$n.out" 2>"$TMP/$n.err" &
  p=$!
  netns_track $p
  for _ in $(seq 200); do [[ $(stat -c %s "$TMP/$n.out") -ge $min ]] && break; sleep 0.05; done
  kill -"$sig" $p
  for _ in $(seq 100); do kill -0 $p 2>/dev/null || break; sleep 0.05; done
  if kill -0 $p 2>/dev/null; then kill -9 $p; fi
  wait $p; RC=$?
  san_check "$n"
  check_exit "$n"
  # what was printed is a whole-message prefix of what feedsim sent
  sim_wait
  size=$(stat -c %s "$TMP/$n.out")
  if [[ $size -ge $min ]] && [[ $(tail -c 1 "$TMP/$n.out" | od -An -c | tr -d ' ') == '\n' ]] &&
     cmp -s -n "$size" "$TMP/$n.out" "$TMP/$n.log"; then pass "${n}_prefix"
  else fail "${n}_prefix" "$size bytes out, not a message prefix of feedsim's log"; fi
  if grep -q "^feedrx: delivered [1-9][0-9]* messages: [1-9][0-9]* from the fast path, 0 from the kernel path; shadow compared [0-9]*, 0 different\$" "$TMP/$n.err"
  then pass "${n}_fast_only"
  else fail "${n}_fast_only" "$(grep -E '^feedrx: (delivered|fast path stopped)' "$TMP/$n.err" | head -c 300)"; fi
  check_nstat "$n"
  check_detached "$n"
  echo "# $n: stopped after $size bytes of output"
}
sig_case x_sigint INT 20000000 "--rate 0 --sizes 1000:65536" "wss://$NETNS_EX_IP4:@PORT@/ws/raw"
sig_case x_sigterm TERM 100000 "--rate 2000" "wss://$NETNS_EX_IP4:@PORT@/ws/btcusdt@trade"

# ---- 6. SIGKILL mid-stream ----------------------------------------------------
n=x_sigkill
if sim $n --rate 0 --sizes 1000:65536; then
  ip netns exec "$NS_RX" "$FEEDRX" --cafile "$CERTS/ca.pem" -v --mode xdp --output none \
    "wss://$NETNS_EX_IP4:$PORT/ws/raw" >"$TMP/$n.out" 2>"$TMP/$n.err" &
  p=$!
  netns_track $p
  for _ in $(seq 200); do grep -q '^feedrx: connected' "$TMP/$n.err" && break; sleep 0.05; done
  sleep 0.5
  kill -KILL $p; wait $p 2>/dev/null
  id=$(sed -n 's/^feedrx: XDP program fx_xdp_steer (id \([0-9]*\)) attached to .*/\1/p' "$TMP/$n.err")
  # nothing can detach after SIGKILL: the program stays, failing open
  if [[ -n $id ]] && ip -n "$NS_RX" link show "$NETNS_RX_DEV" | grep -q "prog/xdp id $id "; then
    pass ${n}_leftover_attached
  else fail ${n}_leftover_attached "id '$id': $(ip -n "$NS_RX" link show "$NETNS_RX_DEV" | tr '\n' ' ')"; fi
  sim_wait

  # another connection on the same interface: plain kernel TCP through the
  # leftover program
  n2=x_sigkill_other_conn
  if sim $n2 --rate 0 --count 20000; then
    rx $n2 "wss://$NETNS_EX_IP4:$PORT/ws/raw" --mode kernel
    check_exit $n2
    check_cmp $n2
  fi
  # a new XDP receiver removes the leftover and receives correctly
  n3=x_sigkill_restart
  xdp_case $n3 20000 1000000 "--rate 0 --count 20000" "wss://$NETNS_EX_IP4:@PORT@/ws/raw"
  if grep -q "^feedrx: removing leftover XDP program fx_xdp_steer (id $id) from $NETNS_RX_DEV: a receiver exited without detaching it\$" "$TMP/$n3.err"
  then pass ${n3}_removed_leftover
  else fail ${n3}_removed_leftover "$(head -c 300 "$TMP/$n3.err")"; fi
fi

# ---- 7. where XDP cannot be used ----------------------------------------------
# A second device in NS_RX that the feed does not arrive on: an empty
# bridge (no native XDP; generic XDP and AF_XDP copy mode work on it).
OTHER=fxbr0
if ! ip -n "$NS_RX" link add $OTHER type bridge || ! ip -n "$NS_RX" link set $OTHER up; then
  fail x_other_iface "cannot create a bridge device in $NS_RX"
fi

# kernel_case NAME WANT_LINE FEEDRX ARGS...: runs on the kernel path, says why
kernel_case() {
  local n=$1 want=$2; shift 2
  sim "$n" --rate 0 --count 3000 || return
  rx "$n" "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" "$@"
  check_exit "$n"
  check_cmp "$n"
  if grep -qxF "$want" "$TMP/$n.err" && ! grep -q '^feedrx: delivered .* from the fast path' "$TMP/$n.err"
  then pass "${n}_says_why"
  else fail "${n}_says_why" "$(head -c 300 "$TMP/$n.err")"; fi
}
# no_xdp_on NAME DEV: nothing left attached to DEV
no_xdp_on() {
  if ip -n "$NS_RX" link show "$2" | grep -q xdp; then fail "$1" "XDP left on $2"; else pass "$1"; fi
}
kernel_case x_auto_no_iface \
  'feedrx: XDP fast path unavailable (cannot attach XDP on nosuch0: no such network interface); using the kernel path' \
  --mode auto --iface nosuch0
kernel_case x_auto_native_unsupported \
  "feedrx: XDP fast path unavailable (cannot attach XDP on $OTHER: XDP mode not supported by this device); using the kernel path" \
  --mode auto --xdp-mode native --iface $OTHER
no_xdp_on x_auto_native_unsupported_detached $OTHER
kernel_case x_auto_loopback \
  'feedrx: XDP fast path unavailable (lo is a loopback device: re-injected loopback packets are dropped as martians); using the kernel path' \
  --mode auto --iface lo
no_xdp_on x_auto_loopback_detached lo

# xdp_err NAME REGEX FEEDRX ARGS...: exit 1, nothing on stdout, the reason
xdp_err() {
  local n=$1 re=$2; shift 2
  rx "$n" "wss://$NETNS_EX_IP4:9/ws/btcusdt@trade" "$@"
  if [[ $RC -eq 1 && ! -s $TMP/$n.out ]] && grep -Eq "$re" "$TMP/$n.err"; then pass "$n"
  else fail "$n" "rc=$RC: $(head -c 300 "$TMP/$n.err")"; fi
}
xdp_err x_xdp_no_iface '^feedrx: --mode xdp: cannot attach XDP on nosuch0: no such network interface$' \
  --mode xdp --iface nosuch0
xdp_err x_xdp_native_unsupported "^feedrx: --mode xdp: cannot attach XDP on $OTHER: XDP mode not supported by this device\$" \
  --mode xdp --xdp-mode native --iface $OTHER
xdp_err x_xdp_loopback '^feedrx: --mode xdp: lo is a loopback device: ' --mode xdp --iface lo
no_xdp_on x_xdp_errors_detached $OTHER

# XDP works on the bridge (generic), but the feed arrives on veth-rx: the
# fast path sees nothing, the kernel socket everything. feedrx must fail
# over and say why, not drop the messages.
n=x_wrong_iface
if sim $n --rate 0 --count 3000; then
  rx $n "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" --mode xdp --xdp-mode generic --iface $OTHER
  if grep -q "^feedrx: fast path: generic XDP on $OTHER, " "$TMP/$n.err"; then pass ${n}_attached
  else fail ${n}_attached "$(head -c 300 "$TMP/$n.err")"; fi
  check_exit $n
  check_cmp $n
  check_failover $n 3000
  no_xdp_on ${n}_detached $OTHER
fi

# ---- 3. two RX queues ---------------------------------------------------------
netns__teardown
if ! netns_create "$(printf '%x%04x' $$ $RANDOM)" 2; then
  fail x_multiqueue "cannot create a 2-queue veth pair"; exit 1
fi
xdp_case x_mq_all_queues 20000 1000000 "--rate 0 --count 20000" "wss://$NETNS_EX_IP4:@PORT@/ws/raw"
if [[ ${FEEDRX_TEST_TRANSPORT:-} == tap ]]; then
  # no AF_XDP sockets, no per-queue choice: the program copies on every queue
  skip x_mq_queues "AF_XDP sockets per RX queue and --queue: --transport redirect only"
  exit 0
fi
if grep -q '^feedrx: fast path: .*, AF_XDP .* mode, 2 queues, ' "$TMP/x_mq_all_queues.err"; then
  pass x_mq_all_queues_2_sockets
else fail x_mq_all_queues_2_sockets "$(grep '^feedrx: fast path:' "$TMP/x_mq_all_queues.err")"; fi

# Pin the exchange's transmit queue with XPS: veth delivers tx queue i of
# veth-ex to rx queue i of veth-rx, so the flow arrives on queue 1.
xps=/sys/class/net/$NETNS_EX_DEV/queues
if ip netns exec "$NS_EX" sh -c "echo 0 >$xps/tx-0/xps_cpus && printf '%x' $(((1 << $(nproc)) - 1)) >$xps/tx-1/xps_cpus" 2>/dev/null; then
  xdp_case x_mq_pinned_all 20000 1000000 "--rate 0 --count 20000" "wss://$NETNS_EX_IP4:@PORT@/ws/raw"
  xdp_case x_mq_queue1 20000 1000000 "--rate 0 --count 20000" "wss://$NETNS_EX_IP4:@PORT@/ws/raw" --queue 1
  if grep -q '^feedrx: fast path: .*, 1 queue, ' "$TMP/x_mq_queue1.err"; then pass x_mq_queue1_1_socket
  else fail x_mq_queue1_1_socket "$(grep '^feedrx: fast path:' "$TMP/x_mq_queue1.err")"; fi
  # --queue 0 while the flow arrives on queue 1: XDP finds no socket there
  # and passes the frames to the kernel; feedrx fails over and says why
  n=x_mq_queue0_other_queue
  if sim $n --rate 0 --count 20000; then
    rx $n "wss://$NETNS_EX_IP4:$PORT/ws/raw" --mode xdp --queue 0
    check_exit $n
    check_cmp $n
    check_failover $n 20000
    check_detached $n
  fi
  # the same with --shadow discard: nothing can take over, so feedrx must
  # notice (the kernel holds bytes the fast path never saw) and say so
  n=x_mq_queue0_discard
  if sim $n --rate 0 --count 20000; then
    rx $n "wss://$NETNS_EX_IP4:$PORT/ws/raw" --mode xdp --queue 0 --shadow discard --idle-timeout 5
    if [[ $RC -ne 0 ]] && grep -q 'the kernel socket received bytes the fast path never saw' "$TMP/$n.err"; then
      pass $n
    else fail $n "rc=$RC: $(why "$n")"; fi
  fi
else
  skip x_mq_pinned "cannot set XPS on $NETNS_EX_DEV"
fi
exit 0
