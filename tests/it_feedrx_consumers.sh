#!/usr/bin/env bash
# it_feedrx_consumers — feedrx itself with its event consumers, against
# feedsim across the namespace pair (kernel mode):
#   - --shm NAME: the ring exists while feedrx runs (a reader attaches),
#     the raw --output stays byte-exact beside it, the exit summary has the
#     ring's line, the reader received exactly the events feedrx reports
#     (seq 1..N, none lost), and the ring is gone after the exit
#   - --nats URL to a nats-server in the receiver's namespace: the summary
#     line says nothing was dropped and a libnats subscriber got exactly
#     the events reported; --metrics shows the consumer's counters
#   - a ring name held by a running producer is refused at set-up
# How many events there are depends on the feed handler (none until it
# produces them); the checks hold for any number.
source "$(dirname "$0")/lib.sh"
NAME=it_feedrx_consumers
READER=$BUILD/feedrx-shm-read SUB=$BUILD/tests/tool_nats_sub TOOL=$BUILD/tests/tool_events
for f in "$FEEDRX" "$FEEDSIM" "$READER" "$SUB" "$TOOL"; do
  [[ -x $f ]] || { fail $NAME "build $f first"; exit 1; }
done
it_setup $NAME
ID=fxrx-$$-$RANDOM
trap 'rm -f /dev/shm/$ID*; lib__cleanup' EXIT
PORT=9443
sim() {
  PORT=$((PORT + 1))
  ip netns exec "$NS_EX" "$FEEDSIM" --once --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --listen "$NETNS_EX_IP4:$PORT" --log "$TMP/sim$PORT.log" --rate 2000 --count "$1" \
    >/dev/null 2>"$TMP/sim.err" &
  netns_track $!
  wait_listen "$NS_EX" "$PORT"
}
URL() { echo "wss://$NETNS_EX_IP4:$PORT/stream?streams=btcusdt@trade/btcusdt@bookTicker/btcusdt@depth@100ms"; }

# ---- --shm
sim 3000 || { fail shm_feedrx "feedsim did not listen"; exit 1; }
ip netns exec "$NS_RX" "$READER" --wait 20 --from-start "$ID" >"$TMP/r.jsonl" 2>"$TMP/r.err" &
RP=$!; netns_track $RP
ip netns exec "$NS_RX" timeout 60 "$FEEDRX" --mode kernel --cafile "$CERTS/ca.pem" --count 3000 \
  --shm "$ID" "$(URL)" >"$TMP/raw.out" 2>"$TMP/rx.err"; rc=$?
wait $RP; rrc=$?
line=$(grep "^feedrx: shm /dev/shm/$ID: " "$TMP/rx.err")
n=$(sed -n 's/.*: \([0-9]*\) events,.*/\1/p' <<<"$line")
got=$(sed -n 's/^feedrx-shm-read: \([0-9]*\) events, 0 overruns, 0 events lost, 0 seq breaks$/\1/p' "$TMP/r.err")
if [[ $rc -ne 0 ]]; then fail shm_feedrx "feedrx exit $rc: $(tail -2 "$TMP/rx.err")"
elif ! cmp -s "$TMP/raw.out" "$TMP/sim$PORT.log"; then fail shm_feedrx "raw output differs from feedsim's log"
elif [[ -z $n ]]; then fail shm_feedrx "no summary line for the ring: $(tail -3 "$TMP/rx.err")"
elif [[ $rrc -ne 0 || $got != "$n" ]]; then fail shm_feedrx "reader: exit $rrc, '$(cat "$TMP/r.err")' vs $n events"
elif [[ -e /dev/shm/$ID ]]; then fail shm_feedrx "/dev/shm/$ID left after the exit"
else pass shm_feedrx "$n events"; fi

# ---- --nats
NATS_SERVER=$(command -v nats-server || echo /usr/sbin/nats-server)
if [[ ! -x $NATS_SERVER ]]; then skip nats_feedrx "no nats-server"; else
  ip netns exec "$NS_RX" "$NATS_SERVER" -a 127.0.0.1 -p 4222 >"$TMP/nats.log" 2>&1 & netns_track $!
  wait_listen "$NS_RX" 4222
  sim 2000
  # the subscriber counts what arrives in 3 idle seconds after the run
  ip netns exec "$NS_RX" "$SUB" nats://127.0.0.1:4222 1000000000 3 >"$TMP/sub.out" 2>&1 & SP=$!
  netns_track $SP
  for _ in $(seq 100); do grep -q ready "$TMP/sub.out" && break; sleep 0.1; done
  ip netns exec "$NS_RX" timeout 60 "$FEEDRX" --mode kernel --cafile "$CERTS/ca.pem" --count 2000 \
    --output none --nats nats://127.0.0.1:4222 --metrics 127.0.0.1:9109 "$(URL)" 2>"$TMP/rxn.err" &
  FP=$!
  # the consumer's counters on the Prometheus endpoint, while it runs
  for _ in $(seq 40); do
    ip netns exec "$NS_RX" python3 -c 'import urllib.request,sys; sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:9109/metrics", timeout=2).read().decode())' \
      >"$TMP/metrics.txt" 2>/dev/null && break
    sleep 0.1
  done
  wait $FP; rc=$?
  wait $SP
  if grep -q '^feedrx_consumer_events_total{consumer="nats:nats://127.0.0.1:4222"} [0-9]' "$TMP/metrics.txt" &&
     grep -q '^feedrx_consumer_dropped_total{consumer="nats:nats://127.0.0.1:4222"} 0' "$TMP/metrics.txt"; then
    pass nats_feedrx_metrics
  else
    fail nats_feedrx_metrics "no consumer counters in /metrics: $(grep -c . "$TMP/metrics.txt" 2>/dev/null) lines"
  fi
  line=$(grep "^feedrx: nats nats://127.0.0.1:4222: " "$TMP/rxn.err")
  n=$(sed -n 's/.*: \([0-9]*\) events, 0 dropped.*/\1/p' <<<"$line")
  read -r _ got _ first _ last _ dups _ gaps _ < <(grep ^received "$TMP/sub.out")
  if [[ $rc -ne 0 ]]; then fail nats_feedrx "feedrx exit $rc: $(tail -2 "$TMP/rxn.err")"
  elif [[ -z $n ]]; then fail nats_feedrx "summary: '$line'"
  elif [[ $got != "$n" || ( $n -gt 0 && ( $first != 1 || $last != "$n" ) ) || $dups != 0 || $gaps != 0 ]]; then
    fail nats_feedrx "subscriber: $(grep ^received "$TMP/sub.out") vs $n events"
  else pass nats_feedrx "$n events"; fi
fi

# ---- a ring name in use
ip netns exec "$NS_RX" "$TOOL" --shm "$ID-busy" --count 100000000 --rate 10 2>/dev/null & TP=$!; netns_track $TP
timeout 20 "$READER" --wait 15 --from-start --count 1 --quiet "$ID-busy" 2>/dev/null # ready
out=$(ip netns exec "$NS_RX" timeout 20 "$FEEDRX" --mode kernel --shm "$ID-busy" "$(URL)" 2>&1); rc=$?
kill $TP
[[ $rc -eq 1 && $out == *"in use by a running producer"* ]] && pass shm_feedrx_busy ||
  fail shm_feedrx_busy "rc $rc: $out"
