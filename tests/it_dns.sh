#!/usr/bin/env bash
# it_dns — feedrx resolves names on its loop (c-ares, user/kernel/resolve.c)
# from the namespace's own resolv.conf: a DNS server in NS_RX
# (tests/tool_fake_dns) answers feedsim.test only after a delay and never
# answers hang.test. The delayed name still connects and delivers every
# message byte for byte; the connect timeout bounds a name that never
# resolves and says so; NXDOMAIN is a clear error.
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

ip netns exec "$NS_RX" "$DNS" "feedsim.test=$NETNS_EX_IP4/1500" hang.test=hang \
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
if grep -q '^query feedsim.test 1 delay 1500$' "$TMP/dns.err"; then pass dns_asked_the_server
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
