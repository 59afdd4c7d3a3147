#!/usr/bin/env bash
# it_dns — feedrx resolves names on its loop (c-ares, user/kernel/resolve.c)
# from the namespace's own resolv.conf: a DNS server in NS_RX
# (tests/tool_fake_dns) answers feedsim.test only after a delay and never
# answers hang.test. The delayed name still connects and delivers every
# message byte for byte; the connect timeout bounds a name that never
# resolves and says so; NXDOMAIN is a clear error. And in one feedrx with two
# URLs, one connection's name answered only after 3 s does not hold up the
# other connection's messages (dns_slow_name_other_flows).
source "$(dirname "$0")/lib.sh"
NAME=it_dns
DNS=$BUILD/tests/tool_fake_dns
[[ -x $FEEDRX && -x $FEEDSIM && -x $DNS ]] || { fail $NAME "build $FEEDRX, $FEEDSIM and $DNS first"; exit 1; }
if ! "$FEEDSIM" --help 2>/dev/null | grep -q -- '--listen'; then
  skip $NAME "this feedsim is a placeholder (branch feedsim not merged)"; exit 0
fi
it_setup $NAME

# `ip netns exec` bind-mounts these over /etc/resolv.conf and /etc/hosts
ETC_RX=/etc/netns/$NS_RX
mkdir -p "$ETC_RX"
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' >"$ETC_RX/resolv.conf"
printf '127.0.0.1 localhost\n' >"$ETC_RX/hosts"
trap 'rm -rf "$ETC_RX"; lib__cleanup' EXIT

ip netns exec "$NS_RX" "$DNS" "feedsim.test=$NETNS_EX_IP4/3000" hang.test=hang \
  >"$TMP/dns.out" 2>"$TMP/dns.err" &
netns_track $!
for _ in $(seq 100); do grep -q ready "$TMP/dns.out" 2>/dev/null && break; sleep 0.05; done
grep -q ready "$TMP/dns.out" || { fail $NAME "tool_fake_dns did not start: $(head -c 200 "$TMP/dns.err")"; exit 1; }

PORT=9600
ip netns exec "$NS_EX" "$FEEDSIM" --once --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
  --listen "$NETNS_EX_IP4:$PORT" --rate 0 --count 2000 --log "$TMP/slow.log" \
  >"$TMP/slow.sim.out" 2>"$TMP/slow.sim.err" &
SIM_PID=$!
netns_track $SIM_PID
wait_listen "$NS_EX" "$PORT" || { fail dns_slow_answer "feedsim did not listen on $PORT"; exit 1; }

rx() { ip netns exec "$NS_RX" timeout 60 "$FEEDRX" --mode kernel --cafile "$CERTS/ca.pem" "$@"; }

# ---- a slow answer: the connection waits for it on the loop, then works ----
rx "wss://feedsim.test:$PORT/ws/btcusdt@trade" >"$TMP/slow.out" 2>"$TMP/slow.err"
rc=$?
for _ in $(seq 50); do kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.1; done
if [[ $rc -eq 0 && -s $TMP/slow.log ]] && cmp -s "$TMP/slow.out" "$TMP/slow.log"; then
  pass dns_slow_answer
else
  fail dns_slow_answer "rc=$rc, $(wc -l <"$TMP/slow.out") lines vs $(wc -l <"$TMP/slow.log" 2>/dev/null) logged: $(head -c 300 "$TMP/slow.err")"
fi
# the answer really came from the fake server, after its delay
if grep -q '^query feedsim.test 1 delay 3000$' "$TMP/dns.err"; then pass dns_asked_the_server
else fail dns_asked_the_server "$(head -c 300 "$TMP/dns.err")"; fi

# expect_err NAME RC REGEX FEEDRX ARGS...
expect_err() {
  local n=$1 want=$2 re=$3; shift 3
  rx "$@" >"$TMP/$n.out" 2>"$TMP/$n.err"
  local rc=$?
  if [[ $rc -eq $want ]] && grep -Eq "$re" "$TMP/$n.err"; then pass "$n"
  else fail "$n" "rc=$rc (want $want), stderr: $(head -c 300 "$TMP/$n.err")"; fi
}

# ---- no answer: the connect timeout covers resolution ----------------------
expect_err dns_hang_connect_timeout 1 '^feedrx: connect timeout after 1 s \(resolving hang\.test\)$' \
  --connect-timeout 1 "wss://hang.test:$PORT/ws/x"
# ---- NXDOMAIN ---------------------------------------------------------------
expect_err dns_nxdomain 1 '^feedrx: cannot resolve nosuch\.test: Domain name not found$' \
  "wss://nosuch.test:$PORT/ws/x"

# ---- two URLs in one feedrx: one by address, flowing at once; one by a name
# answered after 3 s. The first connection's messages go on being delivered
# while the second one's name is being resolved, and none of them waits
# anything like the 3 s (a blocking resolver would stall the loop, and every
# message queued meanwhile would be 3 s late); then the second one works.
P1=9611 P2=9612
ip netns exec "$NS_EX" "$FEEDSIM" --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
  --listen "$NETNS_EX_IP4:$P1" --listen "$NETNS_EX_IP4:$P2" --rate 1000 \
  >/dev/null 2>"$TMP/two.sim.err" &
netns_track $!
if ! wait_listen "$NS_EX" "$P1" || ! wait_listen "$NS_EX" "$P2"; then
  fail dns_slow_name_other_flows "feedsim did not listen: $(head -c 200 "$TMP/two.sim.err")"
else
  ip netns exec "$NS_RX" "$FEEDRX" --mode kernel --cafile "$CERTS/ca.pem" --output raw \
    --stats-json "$TMP/two.json" "wss://$NETNS_EX_IP4:$P1/ws/btcusdt@trade" \
    "wss://feedsim.test:$P2/ws/ethusdt@aggTrade" >"$TMP/two.out" 2>"$TMP/two.err" &
  RXP=$!
  netns_track $RXP
  for _ in $(seq 150); do
    grep -q '"e":"aggTrade"' "$TMP/two.out" 2>/dev/null && break
    kill -0 $RXP 2>/dev/null || break
    sleep 0.1
  done
  sleep 0.5
  kill -INT $RXP 2>/dev/null; wait $RXP; rc=$?
  # messages of the first connection before the second one's first
  before=$(awk '/"e":"aggTrade"/ { exit } /"e":"trade"/ { n++ } END { print n + 0 }' "$TMP/two.out")
  eth=$(grep -c '"e":"aggTrade"' "$TMP/two.out")
  e2e_max=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["stages"]["e2e"]["max"]))' \
    "$TMP/two.json" 2>/dev/null || echo -1)
  asked=$(grep -c '^query feedsim.test 1 delay 3000$' "$TMP/dns.err")
  echo "# dns_slow_name_other_flows: $before messages on the address's connection while feedsim.test resolved; then $eth on it; e2e max $e2e_max us" >&2
  if [[ $rc -eq 0 && $asked -ge 2 && $before -ge 1000 && $eth -gt 0 && $e2e_max -ge 0 && $e2e_max -lt 1500000 ]]; then
    pass dns_slow_name_other_flows
  else
    fail dns_slow_name_other_flows "rc $rc, feedsim.test asked $asked times (in all), $before messages before its first (want >= 1000), $eth after, e2e max $e2e_max us (want < 1.5 s): $(tail -c 300 "$TMP/two.err")"
  fi
fi
exit 0
