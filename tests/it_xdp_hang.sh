#!/usr/bin/env bash
# it_xdp_hang — a receiver that stops draining must not black-hole its feed
# (docs/ARCHITECTURE.md §2): feedrx is frozen with SIGSTOP mid-stream; after --stale-ms
# without a heartbeat the XDP program hands the flow's frames to the kernel
# (counted as "stale"), and once feedrx runs again the shadow, which holds
# what the fast path never saw, takes over delivery: nothing lost, nothing
# repeated.
source "$(dirname "$0")/lib.sh"
NAME=xdp_hang
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
it_setup $NAME

n=xh_sigstop
PORT=9443
ip netns exec "$NS_EX" "$FEEDSIM" --listen "$NETNS_EX_IP4:$PORT" --rate 2000 --count 10000 \
  --seed 7 --log "$TMP/$n.log" --once 2>"$TMP/$n.sim.err" &
sim=$!
netns_track $sim
wait_listen "$NS_EX" $PORT || { fail $n "feedsim did not listen"; exit 1; }
ip netns exec "$NS_RX" "$FEEDRX" --mode xdp --iface veth-rx --cafile "$CERTS/ca.pem" \
  --stale-ms 200 --stats --output raw --count 10000 "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" \
  >"$TMP/$n.out" 2>"$TMP/$n.err" &
rx=$!
netns_track $rx
sleep 1.5
if grep -q "cannot attach XDP\|cannot open AF_XDP" "$TMP/$n.err"; then
  skip $n "XDP/AF_XDP unavailable: $(grep -m1 'feedrx:' "$TMP/$n.err")"; exit 0
fi
kill -STOP $rx
sleep 1.5
kill -CONT $rx
for _ in $(seq 300); do kill -0 $rx 2>/dev/null || break; sleep 0.1; done
wait $rx; rc=$?
wait $sim 2>/dev/null
stale=$(sed -n 's/^xdp: .* stale \([0-9]*\).*/\1/p' "$TMP/$n.err" | tail -1)
if [[ $rc -eq 0 ]] && cmp -s "$TMP/$n.out" "$TMP/$n.log"; then pass ${n}_exact
else fail ${n}_exact "rc=$rc, $(wc -l <"$TMP/$n.out") lines vs $(wc -l <"$TMP/$n.log"): $(tail -3 "$TMP/$n.err" | tr '\n' ' ')"; fi
if [[ ${stale:-0} -gt 0 ]]; then pass ${n}_kernel_got_the_feed
else fail ${n}_kernel_got_the_feed "no frame was passed as stale: $(grep '^xdp:' "$TMP/$n.err" | tail -1)"; fi
if grep -q 'fast path stopped after .* the kernel path delivers from message' "$TMP/$n.err"; then
  pass ${n}_shadow_took_over
else fail ${n}_shadow_took_over "$(grep -E 'delivered|stopped' "$TMP/$n.err" | tr '\n' ' ')"; fi
# the reason names the stale hand-off, not a missing socket or interface
if grep -q 'stopped draining for longer than --stale-ms.*[0-9]* stale frames' "$TMP/$n.err" &&
  ! grep -q 'no AF_XDP socket on its RX queue' "$TMP/$n.err"; then pass ${n}_names_stale
else fail ${n}_names_stale "$(grep -m1 'fast path stopped' "$TMP/$n.err")"; fi
# one live line per second: the timer that fired late does not add a second
# line (with a rate from a few microseconds) right after the first
if awk -F'[][s]' '/^\[ *[0-9.]+s\]/ { t = $2 + 0; if (seen && t - last < 0.5) bad = 1; last = t; seen = 1 }
     END { exit bad }' "$TMP/$n.err"; then pass ${n}_one_live_line_per_second
else fail ${n}_one_live_line_per_second "$(grep '^\[' "$TMP/$n.err" | tr '\n' '|')"; fi
