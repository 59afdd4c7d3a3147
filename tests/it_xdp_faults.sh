#!/usr/bin/env bash
# it_xdp_faults — the fast path under faults on the wire: frames dropped,
# duplicated and reordered in a middle namespace (docs/ARCHITECTURE.md §5). The fast path
# must still reproduce feedsim's log exactly, deliver every message itself,
# and the faults must provably have happened (retransmissions, duplicates
# and out-of-order segments seen by the reassembler and by the kernel).
source "$(dirname "$0")/lib.sh"
NAME=xdp_faults
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
it_setup $NAME 1 faulty

# run_fault NAME KNOB... : 20000 trades at full speed through the fault
run_fault() {
  local n=$1; shift
  local port=$((9500 + RANDOM % 400))
  netns_fault clear
  ip netns exec "$NS_EX" "$FEEDSIM" --listen "$NETNS_EX_IP4:$port" --rate 0 --count 20000 --seed 3 \
    --log "$TMP/$n.log" --once 2>"$TMP/$n.sim" &
  local sim=$!
  netns_track "$sim"
  wait_listen "$NS_EX" "$port" || { fail "$n" "feedsim did not listen"; return; }
  nstat_snap "$NS_EX" "$TMP/$n.ex0"
  [[ $# -gt 0 ]] && netns_fault "$@"
  in_rx timeout 120 "$FEEDRX" --mode xdp --iface veth-rx --cafile "$CERTS/ca.pem" -v \
    --output raw --count 20000 "wss://$NETNS_EX_IP4:$port/ws/btcusdt@trade" \
    >"$TMP/$n.out" 2>"$TMP/$n.err"
  local rc=$?
  netns_fault clear
  wait "$sim" 2>/dev/null
  nstat_snap "$NS_EX" "$TMP/$n.ex1"
  RETRANS=$(nstat_delta "$TMP/$n.ex0" "$TMP/$n.ex1" TcpRetransSegs)
  if grep -q "cannot attach XDP\|AF_XDP.*not supported" "$TMP/$n.err"; then
    skip "$n" "XDP/AF_XDP unavailable: $(grep -m1 feedrx: "$TMP/$n.err")"; return 1
  fi
  if [[ $rc -ne 0 ]]; then fail "$n" "feedrx exit $rc: $(tail -3 "$TMP/$n.err" | tr '\n' ' ')"; return 1; fi
  if ! cmp -s "$TMP/$n.out" "$TMP/$n.log"; then
    fail "$n" "output differs from feedsim's log ($(wc -l <"$TMP/$n.out") vs $(wc -l <"$TMP/$n.log") lines)"; return 1
  fi
  if ! grep -q "delivered 20000 messages: 20000 from the fast path, 0 from the kernel path" "$TMP/$n.err"; then
    fail "$n" "not all from the fast path: $(grep -m1 delivered "$TMP/$n.err")"; return 1
  fi
  local fast kern
  fast=$(sed -n 's/.*stream: fast \([0-9]*\) bytes sha256 \([0-9a-f]*\).*/\1 \2/p' "$TMP/$n.err")
  kern=$(sed -n 's/.*stream: kernel \([0-9]*\) bytes sha256 \([0-9a-f]*\).*/\1 \2/p' "$TMP/$n.err")
  if [[ -z $fast || $fast != "$kern" ]]; then
    fail "$n" "fast stream '$fast' != kernel stream '$kern'"; return 1
  fi
  REASM=$(grep -m1 "reassembly:" "$TMP/$n.err")
  echo "$n: exchange retransmissions $RETRANS; $REASM" >&2
  return 0
}

field() { sed -n "s/.* \([0-9]*\) $1.*/\1/p" <<<"$REASM"; }

if run_fault xdp_clean; then pass xdp_clean; fi

if run_fault xdp_drop drop 20; then
  if [[ $RETRANS -gt 0 && $(field "out-of-order segments") -gt 0 ]]; then pass xdp_drop
  else fail xdp_drop "the drops caused nothing visible: retrans $RETRANS, $REASM"; fi
fi

if run_fault xdp_dup dup 20; then
  if [[ $(field duplicates) -gt 0 ]]; then pass xdp_dup
  else fail xdp_dup "no duplicate reached the reassembler: $REASM"; fi
fi

if run_fault xdp_reorder reorder 30; then
  if [[ $(field "out-of-order segments") -gt 0 ]]; then pass xdp_reorder
  else fail xdp_reorder "no segment arrived out of order: $REASM"; fi
fi

# everything at once, both directions lossy
if run_fault xdp_all drop 10 both; then
  pass xdp_drop_both_directions
fi
