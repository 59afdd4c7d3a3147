#!/usr/bin/env bash
# it_kernel_pyws — feedrx --mode kernel against an independent WebSocket
# server (tests/wsserver.py on Debian's python3-websockets) across the veth
# pair: what feedsim does not send — fragmented messages, server pings, close
# codes — plus byte-exact output over IPv4/IPv6 and TLS 1.2/1.3.
source "$(dirname "$0")/lib.sh"
NAME=it_kernel_pyws
PY=/usr/bin/python3
if ! $PY -c 'import websockets' 2>/dev/null; then
  skip $NAME "python3-websockets not installed (scripts/deps.sh)"; exit 0
fi
[[ -x $FEEDRX ]] || { fail $NAME "build $FEEDRX first"; exit 1; }
it_setup $NAME

# start_server PORT TLS LOG: wsserver.py in the exchange namespace, both families
start_server() {
  # ip netns exec, not the in_ex function: $! must be the server's own PID
  ip netns exec "$NS_EX" $PY "$ROOT/tests/wsserver.py" --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --host 198.18.0.1 --host fd00:fee0::1 --port "$1" ${2:+--tls $2} --log "$3" >"$TMP/server-$1.out" 2>&1 &
  netns_track $!
  wait_listen "$NS_EX" "$1" || { fail $NAME "wsserver on port $1 did not start"; exit 1; }
}
start_server 9443 "" "$TMP/log13"
start_server 9444 1.2 "$TMP/log12"

rx() { in_rx timeout 60 "$FEEDRX" --mode kernel --cafile "$CERTS/ca.pem" "$@"; }

# run_cmp NAME LOG ARGS...: feedrx's stdout must equal the server's log
run_cmp() {
  local n=$1 log=$2; shift 2
  rx "$@" >"$TMP/$n.out" 2>"$TMP/$n.err"
  local rc=$?
  if [[ $rc -ne 0 ]]; then fail "$n" "exit $rc: $(head -c 300 "$TMP/$n.err")"; return; fi
  if [[ ! -s $log ]]; then fail "$n" "server log is empty"; return; fi
  if ! cmp -s "$TMP/$n.out" "$log"; then
    fail "$n" "stdout differs from the server's log ($(wc -l <"$TMP/$n.out") vs $(wc -l <"$log") lines)"
    return
  fi
  pass "$n"
}

run_cmp pyws_ipv4_tls13 "$TMP/log13" --tls 1.3 "wss://198.18.0.1:9443/ws/btcusdt@trade?n=20000&close=1000"
run_cmp pyws_ipv6_tls12 "$TMP/log12" --tls 1.2 "wss://[fd00:fee0::1]:9444/ws/btcusdt@trade?n=5000&close=1000"
run_cmp pyws_fragments_and_pings "$TMP/log13" -v \
  "wss://198.18.0.1:9443/ws/btcusdt@trade?n=3000&frag=1&ping=1&close=1000"
if grep -q ' 300 pings' "$TMP/pyws_fragments_and_pings.err"; then pass pyws_pings_answered
else fail pyws_pings_answered "expected 300 pings: $(tail -1 "$TMP/pyws_fragments_and_pings.err")"; fi

# a subscription reply never reaches stdout
run_cmp pyws_subscribe_reply_hidden "$TMP/log13" -v --subscribe btcusdt@trade \
  "wss://198.18.0.1:9443/ws/btcusdt@trade?n=100&close=1000"
if grep -q '1 subscription replies' "$TMP/pyws_subscribe_reply_hidden.err"; then
  pass pyws_subscribe_reply_seen
else fail pyws_subscribe_reply_seen "$(tail -1 "$TMP/pyws_subscribe_reply_hidden.err")"; fi

# --count stops after exactly N messages with a clean close
rx --count 7 "wss://198.18.0.1:9443/ws/btcusdt@trade?n=100" >"$TMP/count.out" 2>"$TMP/count.err"
rc=$?
if [[ $rc -eq 0 && $(wc -l <"$TMP/count.out") -eq 7 ]] && cmp -s "$TMP/count.out" <(head -7 "$TMP/log13"); then
  pass pyws_count
else fail pyws_count "rc=$rc lines=$(wc -l <"$TMP/count.out") $(head -c 200 "$TMP/count.err")"; fi

# a server that closes with 1001 is an error, echoed and reported (one-shot:
# by default feedrx reconnects, tests/it_feedset.sh)
rx --no-reconnect "wss://198.18.0.1:9443/ws/btcusdt@trade?n=3&close=1001" >"$TMP/c1001.out" 2>"$TMP/c1001.err"
rc=$?
if [[ $rc -eq 1 ]] && grep -q '^feedrx: server closed the connection: 1001 bye$' "$TMP/c1001.err" &&
   [[ $(wc -l <"$TMP/c1001.out") -eq 3 ]]; then pass pyws_close_1001
else fail pyws_close_1001 "rc=$rc $(head -c 200 "$TMP/c1001.err")"; fi

# non-101
rx "wss://198.18.0.1:9443/nope" >"$TMP/404.out" 2>"$TMP/404.err"
rc=$?
if [[ $rc -eq 1 && $(cat "$TMP/404.err") == "feedrx: server answered 404 Not Found (expected 101)" ]]; then
  pass pyws_non101
else fail pyws_non101 "rc=$rc $(head -c 200 "$TMP/404.err")"; fi

# SIGTERM on a quiet connection: clean close, exit 0
ip netns exec "$NS_RX" "$FEEDRX" --mode kernel --cafile "$CERTS/ca.pem" -v "wss://198.18.0.1:9443/ws/btcusdt@trade?n=2" \
  >"$TMP/term.out" 2>"$TMP/term.err" &
p=$!
for _ in $(seq 50); do [[ $(wc -l <"$TMP/term.out") -ge 2 ]] && break; sleep 0.1; done
kill -TERM $p
wait $p
rc=$?
if [[ $rc -eq 0 ]] && grep -q 'close sent 1000, received 1000' "$TMP/term.err"; then pass pyws_sigterm_clean_close
else fail pyws_sigterm_clean_close "rc=$rc $(tail -c 300 "$TMP/term.err")"; fi
exit 0
