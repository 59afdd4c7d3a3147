#!/usr/bin/env bash
# it_fault_matrix — --mode xdp through the forwarding namespace (DESIGN §5),
# each fault with at least 200,000 messages, each case showing that the fault
# really happened (retransmissions, out-of-order and duplicate segments, ring
# drops, stale hand-offs, resets) and then that the output is feedsim's log
# byte for byte — or, where the connection itself was lost, an exact prefix of
# it and exactly one line saying so (feedrx does not reconnect by itself).
#
#   mx_loss1 mx_loss5     1 % / 5 % of the exchange's frames dropped on the wire
#   mx_dup5               5 % sent twice
#   mx_reorder_bursts     3 % held back, with bursts of 20 ms delay on all frames
#   mx_rx_stopped         feedrx SIGSTOPped past --stale-ms while the feed runs,
#                         long enough to overflow its ring
#   mx_stall_short/long   feedsim SIGSTOPped with the connection open, shorter
#                         / longer than --idle-timeout
#   mx_fin mx_rst         the exchange ends the TCP connection mid-stream
#   mx_sigkill_restart    feedrx SIGKILLed mid-stream, restarted on the interface
#
# Messages are small (raw, 8..24 bytes) so that 200,000 of them take seconds.
# MX_COUNT changes the count, MX_CASES="loss1 fin" runs only those cases.
source "$(dirname "$0")/lib.sh"
NAME=fault_matrix
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
it_setup $NAME 1 faulty
N=${MX_COUNT:-200000}
CASES=${MX_CASES:-loss1 loss5 dup5 reorder_bursts rx_stopped stall_short stall_long fin rst sigkill_restart}
STREAM=raw
SIM_ARGS=(--sizes 8:24 --seed 21)

want() { [[ " $CASES " == *" $1 "* ]]; }

# sim CASE ARGS...: feedsim on a fresh port; sets SIM and PORT
sim() {
  local n=$1; shift
  PORT=$((9100 + RANDOM % 800))
  ip netns exec "$NS_EX" "$FEEDSIM" --listen "$NETNS_EX_IP4:$PORT" "${SIM_ARGS[@]}" -v \
    --log "$TMP/$n.log" --once "$@" 2>"$TMP/$n.sim" &
  SIM=$!
  netns_track "$SIM"
  wait_listen "$NS_EX" "$PORT" || { fail "$n" "feedsim did not listen"; return 1; }
}

# rx_bg CASE ARGS...: feedrx -v in the background; sets RX
# one connection's fate is the subject: --no-reconnect (feedrx reconnects by default)
rx_bg() {
  local n=$1; shift
  ip netns exec "$NS_RX" "$FEEDRX" --mode xdp --iface veth-rx --cafile "$CERTS/ca.pem" -v \
    --no-reconnect --output raw "$@" "wss://$NETNS_EX_IP4:$PORT/ws/$STREAM" >"$TMP/$n.out" 2>"$TMP/$n.err" &
  RX=$!
  netns_track "$RX"
}

# wait_rx CASE SECONDS: wait for feedrx; sets RC (124: still running, killed)
wait_rx() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do kill -0 "$RX" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$RX" 2>/dev/null; then kill -KILL "$RX"; wait "$RX" 2>/dev/null; RC=124; return; fi
  wait "$RX"; RC=$?
}

# lines_at_least FILE N SECONDS: wait until FILE has N lines
lines_at_least() {
  local i
  for ((i = 0; i < $3 * 20; i++)); do
    [[ $(wc -l 2>/dev/null <"$1" || echo 0) -ge $2 ]] && return 0
    sleep 0.05
  done
  return 1
}

# Counters from feedrx -v (0 when absent)
ctr() { local v; v=$(sed -n "$2" "$TMP/$1.err" | tail -1); echo "${v:-0}"; }
ooo()   { ctr "$1" 's/^feedrx: reassembly: \([0-9]*\) out-of-order.*/\1/p'; }
dups()  { ctr "$1" 's/^feedrx: reassembly: .* \([0-9]*\) duplicates.*/\1/p'; }
ringd() { ctr "$1" 's/^feedrx: rings: \([0-9]*\) dropped.*/\1/p'; }
ringf() { ctr "$1" 's/^feedrx: rings: .* \([0-9]*\) with the ring full.*/\1/p'; }
stale() { ctr "$1" 's/^feedrx: xdp program: .* \([0-9]*\) stale.*/\1/p'; }
fast()  { ctr "$1" 's/^feedrx: delivered [0-9]* messages: \([0-9]*\) from the fast path.*/\1/p'; }

exact() { cmp -s "$TMP/$1.out" "$TMP/$1.log"; }

# is_prefix CASE: feedrx's output is a prefix of the log, cut at a line end
is_prefix() {
  local o=$TMP/$1.out
  [[ -s $o ]] && [[ $(tail -c1 "$o" | od -An -c | tr -d ' ') == '\n' ]] &&
    cmp -s "$o" <(head -c "$(stat -c %s "$o")" "$TMP/$1.log")
}

errline() { grep -v -E '^feedrx: (XDP program|capabilities|fast path|connected|reassembly|stream|rings|xdp program|delivered|arrival stamps|connections|merge|[0-9]+ messages)' "$TMP/$1.err"; }

skip_if_no_xdp() {
  if grep -q "cannot attach XDP\|cannot open AF_XDP" "$TMP/$1.err"; then
    skip "$NAME" "XDP/AF_XDP unavailable: $(grep -m1 'feedrx:' "$TMP/$1.err")"; exit 0
  fi
}

report() { echo "$1: $2" >&2; }

# ---- loss, duplication: the whole feed, exact, all from the fast path ---------
wire_case() {
  local n=$1; shift
  netns_fault clear
  sim "$n" --rate 100000 --count "$N" || return
  nstat_snap "$NS_EX" "$TMP/$n.ex0"
  netns_fault_stats >"$TMP/$n.nft0"
  netns_fault "$@"
  rx_bg "$n" --count "$N"
  wait_rx "$n" 180
  netns_fault clear
  wait "$SIM" 2>/dev/null
  nstat_snap "$NS_EX" "$TMP/$n.ex1"
  skip_if_no_xdp "$n"
  RETRANS=$(nstat_delta "$TMP/$n.ex0" "$TMP/$n.ex1" TcpRetransSegs)
  netns_fault_stats >"$TMP/$n.nft1"
  # frames forwarded, dropped and duplicated in the middle during this case
  FAULTS=$(awk 'FNR == NR { b[$1] = $2; next } /^(pass|drop|dup)_ex / { printf "%s %d ", $1, $2 - b[$1] }' \
    "$TMP/$n.nft0" "$TMP/$n.nft1")
  report "$n" "retrans $RETRANS, ooo $(ooo "$n"), dups $(dups "$n"), fast $(fast "$n"); $FAULTS"
  if [[ $RC -ne 0 ]] || ! exact "$n" || [[ $(fast "$n") -ne $N ]]; then
    fail "$n" "rc=$RC, $(wc -l <"$TMP/$n.out") of $N lines, fast $(fast "$n"): $(errline "$n" | tail -2 | tr '\n' ' ')"
    return 1
  fi
}

for pm in 1:10 5:50; do
  c=loss${pm%%:*}
  want $c || continue
  n=mx_$c
  if wire_case $n drop "${pm##*:}"; then
    if [[ $RETRANS -gt 0 && $(ooo $n) -gt 0 ]]; then pass $n
    else fail $n "the loss left no trace: retrans $RETRANS, ooo $(ooo $n)"; fi
  fi
done

if want dup5; then
  n=mx_dup5
  if wire_case $n dup 50; then
    if [[ $(dups $n) -gt 0 ]]; then pass $n
    else fail $n "no duplicate reached the reassembler"; fi
  fi
fi

# ---- reordering with delay bursts --------------------------------------------
if want reorder_bursts; then
  n=mx_reorder_bursts
  netns_fault clear
  if sim $n --rate 100000 --count "$N"; then
    netns_fault reorder 30 8 4
    rx_bg $n --count "$N"
    held=0
    # three bursts in which every frame waits 20 ms; each switch releases
    # what the tool holds while new frames overtake it
    for b in 1 2 3; do
      sleep 0.3
      held=$((held + $(netns_fault_stats | sed -n 's/.*held=\([0-9]*\).*/\1/p' | tail -1)))
      netns_fault delay 20
      sleep 0.15
      netns_fault reorder 30 8 4
    done
    wait_rx $n 120
    netns_fault clear
    wait "$SIM" 2>/dev/null
    skip_if_no_xdp $n
    report $n "ooo $(ooo $n), held $held, fast $(fast $n)"
    if [[ $RC -eq 0 ]] && exact $n && [[ $(ooo $n) -gt 0 && $held -gt 0 ]]; then pass $n
    else fail $n "rc=$RC, $(wc -l <"$TMP/$n.out") of $N lines, ooo $(ooo $n), held $held: $(errline $n | tail -2 | tr '\n' ' ')"; fi
  fi
fi

# ---- the receiver stopped past --stale-ms ------------------------------------
# feedrx stops while the feed runs flat out. What reaches its ring is what
# the exchange has in flight; for that to exceed the 4096 UMEM frames, the
# exchange starts with a large congestion window (initcwnd, route metric)
# and the receiver offers a large one (initrwnd, tcp_rmem) — in these
# namespaces only, and put back afterwards. The ring overflows (frames
# dropped, fill ring empty), then after --stale-ms the program hands the flow
# to the kernel ("stale"); once feedrx runs again the shadow delivers from
# the first message the fast path never saw.
if want rx_stopped; then
  n=mx_rx_stopped
  netns_fault clear
  rmem=$(ip netns exec "$NS_RX" sysctl -n net.ipv4.tcp_rmem)
  wmem=$(ip netns exec "$NS_EX" sysctl -n net.ipv4.tcp_wmem)
  ip netns exec "$NS_RX" sysctl -qw net.ipv4.tcp_rmem="4096 16777216 33554432"
  ip netns exec "$NS_EX" sysctl -qw net.ipv4.tcp_wmem="4096 16777216 33554432"
  ip -n "$NS_EX" route change 198.18.0.0/24 dev "$NETNS_EX_DEV" initcwnd 12000
  ip -n "$NS_RX" route change 198.18.0.0/24 dev "$NETNS_RX_DEV" initrwnd 12000
  # shaped, so that no burst overruns the middle's one backlog (1000 frames):
  # a loss there would shrink the window below the ring
  ip netns exec "$NS_EX" tc qdisc replace dev "$NETNS_EX_DEV" root tbf rate 400mbit burst 64kb latency 100ms ||
    echo "$n: no tbf shaping; the middle may shrink the window" >&2
  # Whether the window exceeds the ring when feedrx stops depends on where
  # TCP is at that instant: up to three attempts, each of which must be
  # exact; the case passes once one of them has overflowed the ring.
  for attempt in 1 2 3; do
    # three times the count, larger messages (64..128 bytes): what is still
    # to come when it stops is the window, not the end of the feed
    sim $n --rate 0 --count $((3 * N)) --sizes 64:128 || break
    rx_bg $n --count $((3 * N)) --stale-ms 1000
    # (the output comes in 1 MB flushes: wait for the connection, not lines)
    for _ in $(seq 200); do grep -q '^feedrx: connected' "$TMP/$n.err" && break; sleep 0.05; done
    sleep 0.1
    kill -STOP "$RX"
    sleep 2
    kill -CONT "$RX"
    wait_rx $n 120
    wait "$SIM" 2>/dev/null
    skip_if_no_xdp $n
    report $n "attempt $attempt: ring dropped $(ringd $n) (fill ring empty $(ctr $n 's/^feedrx: rings: .* \([0-9]*\) with the fill ring empty.*/\1/p')), stale $(stale $n), fast $(fast $n)"
    if [[ $RC -ne 0 ]] || ! exact $n || ! grep -q 'the kernel path delivers from message' "$TMP/$n.err"; then
      fail $n "attempt $attempt: rc=$RC, $(wc -l <"$TMP/$n.out") of $((3 * N)) lines, stale $(stale $n): $(errline $n | tail -2 | tr '\n' ' ')"
      break
    fi
    if [[ $(stale $n) -gt 0 && $(ringd $n) -gt 0 ]]; then pass $n; break; fi
    [[ $attempt -eq 3 ]] && fail $n "3 exact attempts, none overflowed the ring: ring dropped $(ringd $n), stale $(stale $n)"
  done
  ip netns exec "$NS_RX" sysctl -qw net.ipv4.tcp_rmem="$rmem"
  ip netns exec "$NS_EX" sysctl -qw net.ipv4.tcp_wmem="$wmem"
  ip -n "$NS_EX" route change 198.18.0.0/24 dev "$NETNS_EX_DEV"
  ip -n "$NS_RX" route change 198.18.0.0/24 dev "$NETNS_RX_DEV"
  ip netns exec "$NS_EX" tc qdisc del dev "$NETNS_EX_DEV" root 2>/dev/null
fi

# ---- the exchange stalls with the connection open ----------------------------
# Defined behaviour: a stall shorter than --idle-timeout is invisible (the
# whole feed, exact); a longer one ends the connection with one line naming
# the idle timeout, after an exact prefix.
stall_case() {
  local n=$1 stall=$2 idle=$3
  netns_fault clear
  sim $n --rate 100000 --count "$N" --ping-interval 0 || return
  rx_bg $n --count "$N" --idle-timeout "$idle"
  lines_at_least "$TMP/$n.out" 50000 20
  kill -STOP "$SIM"
  sleep "$stall"
  STALLED_AT=$(wc -l <"$TMP/$n.out")
  kill -CONT "$SIM"
  wait_rx $n 120
  kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null
  skip_if_no_xdp $n
}
if want stall_short; then
  n=mx_stall_short
  if stall_case $n 1.5 4; then
    report $n "stalled 1.5 s at $STALLED_AT lines (idle timeout 4 s)"
    if [[ $RC -eq 0 ]] && exact $n && [[ $STALLED_AT -ge 50000 && $STALLED_AT -lt $N ]]; then pass $n
    else fail $n "rc=$RC, $(wc -l <"$TMP/$n.out") of $N lines, stalled at $STALLED_AT: $(errline $n | tail -2 | tr '\n' ' ')"; fi
  fi
fi
if want stall_long; then
  n=mx_stall_long
  if stall_case $n 3 1.5; then
    e=$(errline $n)
    report $n "stalled 3 s at $STALLED_AT lines (idle timeout 1.5 s): $e"
    if [[ $RC -ne 0 && $(wc -l <<<"$e") -eq 1 && $e == *"no data from server for 1.5 s"* ]] && is_prefix $n &&
       [[ $(wc -l <"$TMP/$n.out") -eq $STALLED_AT ]]; then pass $n
    else fail $n "rc=$RC, $(wc -l <"$TMP/$n.out") lines (stalled at $STALLED_AT): $(tr '\n' '|' <<<"$e")"; fi
  fi
fi

# ---- FIN and RST from the exchange mid-stream --------------------------------
for how in fin rst; do
  want $how || continue
  n=mx_$how
  netns_fault clear
  sim $n --rate 0 --cut-after "$N" --cut-with $how || continue
  nstat_snap "$NS_RX" "$TMP/$n.rx0"
  rx_bg $n
  wait_rx $n 120
  wait "$SIM" 2>/dev/null
  nstat_snap "$NS_RX" "$TMP/$n.rx1"
  skip_if_no_xdp $n
  resets=$(nstat_delta "$TMP/$n.rx0" "$TMP/$n.rx1" TcpEstabResets)
  e=$(errline $n)
  got=$(wc -l <"$TMP/$n.out")
  report $n "$got of $N lines, receiver's TcpEstabResets +$resets: $e; sim: $(grep -m1 ": cut " "$TMP/$n.sim")"
  if [[ $how == fin ]]; then
    # everything was written before the FIN: all of it arrives
    ok=$([[ $got -eq $N && $e == *"closed by the server"* ]] && exact $n && echo 1)
  else
    # the RST discards what was unsent: an exact prefix
    ok=$([[ $resets -ge 1 && $e == *"reset by peer"* ]] && is_prefix $n && echo 1)
  fi
  if [[ $RC -ne 0 && $(wc -l <<<"$e") -eq 1 && -n $ok ]] && grep -Eq ": cut ${how} after [0-9]+ messages" "$TMP/$n.sim"
  then pass $n
  else fail $n "rc=$RC, $got lines, resets $resets: $(tr '\n' '|' <<<"$e")"; fi
done

# ---- SIGKILL of feedrx, then a restart on the same interface -----------------
if want sigkill_restart; then
  n=mx_sigkill
  netns_fault clear
  if sim $n --rate 100000 --count "$N"; then
    rx_bg $n --count "$N"
    lines_at_least "$TMP/$n.out" 50000 20
    kill -KILL "$RX"; wait "$RX" 2>/dev/null
    kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null
    skip_if_no_xdp $n
    left=$(ip -n "$NS_RX" -d link show "$NETNS_RX_DEV" | grep -c 'prog/xdp')
    n2=mx_sigkill_restart
    sim $n2 --rate 0 --count "$N"
    rx_bg $n2 --count "$N"
    wait_rx $n2 120
    wait "$SIM" 2>/dev/null
    report $n2 "leftover attached after the kill: $left; $(grep -m1 'removing leftover' "$TMP/$n2.err")"
    if [[ $left -eq 1 && $RC -eq 0 ]] && exact $n2 && [[ $(fast $n2) -eq $N ]] &&
       grep -q 'removing leftover XDP program' "$TMP/$n2.err"; then
      pass $n2
    else fail $n2 "leftover $left, rc=$RC, $(wc -l <"$TMP/$n2.out") of $N lines: $(errline $n2 | tail -2 | tr '\n' ' ')"; fi
  fi
fi
