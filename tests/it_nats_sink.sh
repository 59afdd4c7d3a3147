#!/usr/bin/env bash
# it_nats_sink — the NATS sink against a real nats-server (started here, in
# a network namespace of its own, on 127.0.0.1 and a random port; killed by
# PID) and real subscribers (tests/tool_nats_sub, on libnats):
#   - three subscribers each receive every event of a run exactly once, in
#     order (seq 1..N), on the subject of its venue, symbol and type (JSON)
#   - the same with the flat binary payload
#   - a stalled server (SIGSTOP): the producer's loop is not blocked (the
#     run ends), and the events that did not fit the bounded buffer are
#     counted as dropped in the summary
#   - a server's max_payload (from its INFO) is respected: larger events are
#     counted as too large, the connection is never closed for them
#   - the server restarts mid-run: the sink reconnects and publishes again,
#     the events of the outage counted as dropped
#   - no server at all: the run ends, every event counted as dropped
#   - feedrx refuses a --nats that is not nats://HOST:PORT
# The events come from tests/tool_events (synthesized, through the same
# sink set feedrx uses) until a feed handler produces them from a feed.
source "$(dirname "$0")/lib.sh"
TOOL=$BUILD/tests/tool_events
SUB=$BUILD/tests/tool_nats_sub
for f in "$TOOL" "$SUB" "$FEEDRX"; do [[ -x $f ]] || { fail it_nats_sink "build $f first"; exit 1; }; done
[[ $(id -u) -eq 0 ]] || { skip it_nats_sink "needs root for a network namespace"; exit 0; }
NATS_SERVER=$(command -v nats-server || echo /usr/sbin/nats-server)
[[ -x $NATS_SERVER ]] || { skip it_nats_sink "no nats-server (apt-get install nats-server)"; exit 0; }
NS=fxnats-$$-$RANDOM
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"
}
trap cleanup EXIT
ip netns add "$NS" && ip -n "$NS" link set lo up || { skip it_nats_sink "cannot create a namespace"; exit 0; }
in_ns() { ip netns exec "$NS" "$@"; }

PORT=$((20000 + RANDOM % 30000))
# not through a function: $! must be nats-server itself (ip netns exec execs it)
ip netns exec "$NS" "$NATS_SERVER" -a 127.0.0.1 -p $PORT >"$TMP/nats.log" 2>&1 & NATS=$!; PIDS+=($NATS)
URL=nats://127.0.0.1:$PORT
for _ in $(seq 100); do in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null && break; sleep 0.1; done
in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null || { fail it_nats_sink "nats-server did not start: $(tail -2 "$TMP/nats.log")"; exit 1; }

# start_subs K N: K subscribers for N events, each ready (subscribed) on return
SUBS=()
start_subs() {
  SUBS=()
  for i in $(seq "$1"); do
    ip netns exec "$NS" "$SUB" "$URL" "$2" 10 >"$TMP/sub$i.out" 2>&1 & SUBS+=($!); PIDS+=($!)
  done
  for i in $(seq "$1"); do
    for _ in $(seq 100); do grep -q ready "$TMP/sub$i.out" && break; sleep 0.1; done
  done
}

# ---- three subscribers, every event once (JSON)
N=100000
start_subs 3 $N
in_ns "$TOOL" --nats "$URL" --count $N --rate 100000 2>"$TMP/prod.err"; prc=$?
bad=
for i in 1 2 3; do wait "${SUBS[$((i - 1))]}" || bad+=" sub$i: $(tail -1 "$TMP/sub$i.out")"; done
if [[ $prc -ne 0 ]]; then fail nats_three_subscribers "producer: $(tail -2 "$TMP/prod.err")"
elif [[ -n $bad ]]; then fail nats_three_subscribers "$bad; $(grep nats "$TMP/prod.err")"
elif ! grep -q "nats $URL: $N events, 0 dropped" "$TMP/prod.err"; then
  fail nats_three_subscribers "summary: $(grep nats "$TMP/prod.err")"
else pass nats_three_subscribers "$(tail -1 "$TMP/sub1.out")"; fi

# ---- the flat binary payload
N=20000
start_subs 1 $N
in_ns "$TOOL" --nats "$URL" --nats-format flat --count $N --rate 50000 2>"$TMP/prod.err"
if wait "${SUBS[0]}"; then pass nats_flat; else fail nats_flat "$(tail -1 "$TMP/sub1.out")"; fi

# ---- a stalled server: the loop goes on, drops are counted. 300,000 events
# of ~250 bytes are ~75 MB: past the socket buffers (a few MB) and the 64K
# buffer, at least 200,000 cannot have gone anywhere.
[[ $(cat /proc/$NATS/comm) == nats-server ]] || fail nats_stalled_server "pid $NATS is not nats-server"
kill -STOP $NATS
in_ns timeout 60 "$TOOL" --nats "$URL" --nats-buffer 65536 --count 300000 2>"$TMP/stall.err"; rc=$?
kill -CONT $NATS
line=$(grep "nats $URL" "$TMP/stall.err")
full=$(sed -n 's/.* (\([0-9]*\) buffer full.*/\1/p' <<<"$line")
if [[ $rc -eq 124 ]]; then fail nats_stalled_server "the producer blocked (timed out) on a stopped server"
elif [[ $rc -ne 0 || -z $full || $full -lt 200000 ]]; then fail nats_stalled_server "rc $rc: $line"
else pass nats_stalled_server "$line"; fi

# ---- a server with a small max_payload (its INFO): larger events are
# dropped as too large here, and the connection stays up
printf 'listen: 127.0.0.1:%d\nmax_payload: 300\n' $((PORT + 1)) >"$TMP/small.conf"
ip netns exec "$NS" "$NATS_SERVER" -c "$TMP/small.conf" >"$TMP/nats2.log" 2>&1 & N2=$!; PIDS+=($N2)
for _ in $(seq 100); do in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$((PORT + 1))" 2>/dev/null && break; sleep 0.1; done
in_ns timeout 30 "$TOOL" --nats nats://127.0.0.1:$((PORT + 1)) --count 5000 --rate 50000 2>"$TMP/mp.err"; rc=$?
line=$(grep "nats nats://127.0.0.1:$((PORT + 1))" "$TMP/mp.err")
big=$(sed -n 's/.*, \([0-9]*\) too large).*/\1/p' <<<"$line")
if [[ $rc -eq 0 && ${big:-0} -gt 0 && $line == *" 0 server unreachable"* ]] &&
   ! grep -qi "payload" "$TMP/nats2.log"; then
  pass nats_max_payload
else
  fail nats_max_payload "rc $rc: $line; $(grep -i payload "$TMP/nats2.log" | head -1)"
fi
kill $N2

# ---- the server restarts mid-run: events while it is gone are counted as
# dropped, the sink reconnects (once a second) and publishing resumes
in_ns "$TOOL" --nats "$URL" --count 50000 --rate 10000 2>"$TMP/re.err" & TP=$!; PIDS+=($TP)
sleep 1.5; kill $NATS; wait $NATS 2>/dev/null; sleep 1
ip netns exec "$NS" "$NATS_SERVER" -a 127.0.0.1 -p $PORT >>"$TMP/nats.log" 2>&1 & NATS=$!; PIDS+=($NATS)
for _ in $(seq 100); do in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null && break; sleep 0.1; done
ip netns exec "$NS" "$SUB" "$URL" 1000000 2 >"$TMP/sub-re.out" 2>&1 & SP=$!; PIDS+=($SP)
wait $TP; rc=$?; wait $SP
line=$(grep "nats $URL" "$TMP/re.err")
down=$(sed -n 's/.*buffer full, \([0-9]*\) server unreachable.*/\1/p' <<<"$line")
after=$(awk '/^received/ { print $2 }' "$TMP/sub-re.out")
if [[ $rc -eq 0 && ${down:-0} -gt 0 && ${after:-0} -gt 0 ]]; then
  pass nats_reconnect
else
  fail nats_reconnect "rc $rc: $line; after the restart a subscriber got '${after}'"
fi

# ---- no server: nothing blocks, everything is counted
kill $NATS; wait $NATS 2>/dev/null
in_ns timeout 30 "$TOOL" --nats "$URL" --count 1000 2>"$TMP/down.err"; rc=$?
line=$(grep "nats $URL" "$TMP/down.err")
[[ $rc -eq 0 && $line == *"0 events, 1000 dropped"*"1000 server unreachable"* ]] &&
  pass nats_no_server || fail nats_no_server "rc $rc: $line"

# ---- option checks
out=$("$FEEDRX" --nats http://x:1 wss://198.18.0.1/ws/a@trade 2>&1); rc=$?
[[ $rc -eq 2 && $out == *"nats://HOST:PORT"* ]] && pass nats_bad_url || fail nats_bad_url "rc $rc: $out"
