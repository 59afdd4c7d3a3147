#!/usr/bin/env bash
# it_xdp_discard — --shadow discard: the kernel socket's bytes are dropped
# unread, the fast path alone decodes, and what needs an answer (pings,
# KeyUpdate requests, the close) is answered on the kernel socket because
# the fast path saw it. A fast-path failure reconnects and reports the gap.
source "$(dirname "$0")/lib.sh"
NAME=xdp_discard
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
it_setup $NAME

# sim NAME FEEDSIM-ARGS...: start feedsim on a fresh port, set PORT
sim() {
  local n=$1; shift
  PORT=$((9600 + RANDOM % 300))
  ip netns exec "$NS_EX" "$FEEDSIM" --listen "$NETNS_EX_IP4:$PORT" --seed 5 -v --log "$TMP/$n.log" "$@" \
    2>"$TMP/$n.sim.err" &
  SIM=$!
  netns_track "$SIM"
  wait_listen "$NS_EX" "$PORT"
}

# rx NAME FEEDRX-ARGS...: feedrx in discard mode; sets RC
rx() {
  local n=$1; shift
  in_rx timeout 60 "$FEEDRX" --mode xdp --iface veth-rx --shadow discard -v \
    --cafile "$CERTS/ca.pem" --output raw "$@" >"$TMP/$n.out" 2>"$TMP/$n.err"
  RC=$?
}

probe_skip() {
  if grep -q "cannot attach XDP\|cannot open AF_XDP" "$TMP/$1.err"; then
    skip "$1" "XDP/AF_XDP unavailable: $(grep -m1 'feedrx:' "$TMP/$1.err")"; return 0
  fi
  return 1
}

# 1. the basic promise: exact output, nothing decoded by the kernel path
n=xdd_exact
sim $n --rate 0 --count 20000 --once
rx $n --count 20000 "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade"
if ! probe_skip $n; then
  if [[ $RC -eq 0 ]] && cmp -s "$TMP/$n.out" "$TMP/$n.log" &&
     grep -q 'delivered 20000 messages: 20000 from the fast path, 0 from the kernel path; shadow compared 0' "$TMP/$n.err" &&
     grep -q '^feedrx: 0 messages, 0 payload bytes' "$TMP/$n.err" &&
     grep -q 'close sent 1000, received 1000' "$TMP/$n.err"; then pass $n
  else fail $n "rc=$RC; $(grep -E 'delivered|close sent' "$TMP/$n.err" | tr '\n' ' ')"; fi

  # 2. pings seen only by the fast path are answered: unanswered, feedsim
  # closes with 1008 after 2 s and the run fails
  n=xdd_pings
  sim $n --rate 400 --count 2400 --ping-interval 1 --pong-timeout 2 --once
  rx $n --count 2400 "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@bookTicker"
  if [[ $RC -eq 0 ]] && cmp -s "$TMP/$n.out" "$TMP/$n.log" && ! grep -q 1008 "$TMP/$n.err" "$TMP/$n.sim.err"; then
    pass $n
  else fail $n "rc=$RC; $(tail -2 "$TMP/$n.err" | tr '\n' ' '); sim: $(tail -1 "$TMP/$n.sim.err")"; fi

  # 3. KeyUpdate requests seen only by the fast path are answered
  n=xdd_key_update_requested
  sim $n --tls 1.3 --rate 2000 --count 4000 --key-update 500 --key-update-request --once
  rx $n --count 4000 --tls 1.3 "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade"
  wait "$SIM" 2>/dev/null
  line=$(grep -E ' key updates, [0-9]+ from the client$' "$TMP/$n.sim.err" | tail -1)
  if [[ $RC -eq 0 ]] && cmp -s "$TMP/$n.out" "$TMP/$n.log" &&
     [[ $line =~ \ ([0-9]+)\ key\ updates,\ ([0-9]+)\ from ]] && [[ ${BASH_REMATCH[1]} -ge 5 &&
     ${BASH_REMATCH[2]} -eq ${BASH_REMATCH[1]} ]]; then pass $n
  else fail $n "rc=$RC; feedsim: ${line:-no summary}"; fi

  # 4. a fast-path failure: reconnect, report the gap, go on delivering
  n=xdd_desync_reconnects
  sim $n --rate 0 --count 20000
  rx $n --count 20000 --test-desync-after 5000 "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade"
  kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null
  if [[ $RC -eq 0 ]] && grep -q 'reconnecting (gap 1' "$TMP/$n.err" &&
     grep -q '^feedrx: 1 gap: ' "$TMP/$n.err" &&
     /usr/bin/python3 - "$TMP/$n.out" "$TMP/$n.log" <<'PY'
import sys
out = open(sys.argv[1], 'rb').read().split(b'\n')[:-1]
log = open(sys.argv[2], 'rb').read().split(b'\n')[:-1]
# before the failure: the log's first messages; after: a contiguous run of
# the second connection's messages, from its first
assert len(out) == 20000, len(out)
k = next(i for i in range(len(out)) if out[i] != log[i])
assert 4990 <= k <= 5100, k
j = log.index(out[k])
assert j > k and log[j:j + len(out) - k] == out[k:], "after the gap"
PY
  then pass $n
  else fail $n "rc=$RC; $(grep -E 'gap|stopped|delivered' "$TMP/$n.err" | tr '\n' ' ')"; fi
fi
