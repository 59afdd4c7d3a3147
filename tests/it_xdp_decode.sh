#!/usr/bin/env bash
# it_xdp_decode — the XDP fast path's message decoding, end to end (issue #4
# item 6): feedrx --mode xdp --output raw against feedsim across the namespace
# veth pair must reproduce feedsim's --log byte for byte, with every message
# delivered by the fast path (the kernel path only shadows and compares):
# each TLS 1.3 and TLS 1.2 suite, KeyUpdates (also update_requested), 2 B to
# 1 MiB and fragmented messages, server pings, an HTTP CONNECT proxy (and one
# on loopback, where auto mode must fall back), IPv6, combined streams,
# --subscribe, --count, data in the TLS record of the HTTP 101 (an independent
# Python server), and forced fast-path failures after which the output still
# has nothing lost and nothing repeated.
source "$(dirname "$0")/lib.sh"
NAME=it_xdp_decode
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
it_setup $NAME

PORT=9500
SIM_PID=
# sim NAME ARGS...: one feedsim per case (--once), its log in $TMP/NAME.log,
# listening on both families at a fresh $PORT.
sim() {
  local n=$1; shift
  PORT=$((PORT + 1))
  ip netns exec "$NS_EX" "$FEEDSIM" --once -v --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --listen "$NETNS_EX_IP4:$PORT" --listen "[$NETNS_EX_IP6]:$PORT" --log "$TMP/$n.log" "$@" \
    >"$TMP/$n.sim.out" 2>"$TMP/$n.sim.err" &
  SIM_PID=$!
  netns_track $SIM_PID
  wait_listen "$NS_EX" "$PORT" || { fail "$n" "feedsim did not listen on $PORT"; return 1; }
}

rx() {
  ip netns exec "$NS_RX" timeout 60 "$FEEDRX" --mode xdp --output raw -v --cafile "$CERTS/ca.pem" "$@"
}

# Is the XDP fast path possible here? Set-up (XDP attach, AF_XDP, TUN)
# happens before the connect, so a refused connection tells us.
rx "wss://$NETNS_EX_IP4:9/ws/x" >"$TMP/probe.out" 2>"$TMP/probe.err"
if grep -q '^feedrx: --mode xdp: ' "$TMP/probe.err"; then
  skip $NAME "XDP/AF_XDP unavailable: $(grep -m1 '^feedrx: --mode xdp: ' "$TMP/probe.err")"
  exit 0
fi
if ! grep -q "^feedrx: cannot connect to $NETNS_EX_IP4:9: Connection refused\$" "$TMP/probe.err"; then
  fail xd_probe "unexpected: $(head -c 400 "$TMP/probe.err")"
  exit 1
fi

# Parse "feedrx: delivered N messages: X from the fast path, Y from the
# kernel path; shadow compared Z, M different" into DL_N DL_FAST ...
DELIVERED_RE='^feedrx: delivered ([0-9]+) messages: ([0-9]+) from the fast path, ([0-9]+) from the kernel path; shadow compared ([0-9]+), ([0-9]+) different$'
parse_delivered() {
  local line
  line=$(grep -E "$DELIVERED_RE" "$1" | tail -1)
  [[ $line =~ $DELIVERED_RE ]] || return 1
  DL_N=${BASH_REMATCH[1]} DL_FAST=${BASH_REMATCH[2]} DL_KERNEL=${BASH_REMATCH[3]}
  DL_CMP=${BASH_REMATCH[4]} DL_DIFF=${BASH_REMATCH[5]}
}

# wait_sim: feedsim writes its log as it sends; let it finish (--once).
wait_sim() {
  for _ in $(seq 100); do kill -0 "$SIM_PID" 2>/dev/null || return 0; sleep 0.1; done
}

# check_same NAME RC: exit 0 and stdout == feedsim's log (non-empty).
check_same() {
  local n=$1 rc=$2
  wait_sim
  if [[ $rc -ne 0 ]]; then fail "$n" "exit $rc: $(grep -v '^feedrx: \(XDP program\|fast path:\)' "$TMP/$n.err" | head -c 400)"; return 1; fi
  if [[ ! -s $TMP/$n.log ]]; then fail "$n" "feedsim's log is empty"; return 1; fi
  if ! cmp -s "$TMP/$n.out" "$TMP/$n.log"; then
    fail "$n" "stdout differs from feedsim's log ($(wc -l <"$TMP/$n.out") vs $(wc -l <"$TMP/$n.log") lines; $(cmp "$TMP/$n.out" "$TMP/$n.log" 2>&1 | head -c 200))"
    return 1
  fi
}

# check_fast NAME: every message from the fast path, the shadow agreeing.
check_fast() {
  local n=$1 lines
  lines=$(wc -l <"$TMP/$n.log")
  if ! parse_delivered "$TMP/$n.err"; then fail "$n" "no 'delivered' line: $(tail -c 300 "$TMP/$n.err")"; return 1; fi
  if grep -q '^feedrx: fast path stopped' "$TMP/$n.err"; then
    fail "$n" "$(grep -m1 '^feedrx: fast path stopped' "$TMP/$n.err")"; return 1
  fi
  if [[ $DL_N -ne $lines || $DL_FAST -ne $lines || $DL_KERNEL -ne 0 || $DL_CMP -eq 0 || $DL_DIFF -ne 0 ]]; then
    fail "$n" "want $lines all from the fast path, shadow compared > 0, 0 different: $(grep -E "$DELIVERED_RE" "$TMP/$n.err")"
    return 1
  fi
  if grep -q '^feedrx: warning' "$TMP/$n.err"; then
    fail "$n" "$(grep -m1 '^feedrx: warning' "$TMP/$n.err")"; return 1
  fi
}

# xdp_case NAME "SIM ARGS" FEEDRX ARGS... URL (URL with @PORT@): the common
# check; returns 0 when it passed (the caller may check more and pass it).
xdp_case() {
  local n=$1 simargs=$2; shift 2
  # shellcheck disable=SC2086
  sim "$n" $simargs || return 1
  local url=${*: -1}
  url=${url//@PORT@/$PORT}
  rx "${@:1:$#-1}" "$url" >"$TMP/$n.out" 2>"$TMP/$n.err"
  check_same "$n" $? && check_fast "$n"
}

# ---- 1. every suite the fast path implements ---------------------------------
for s in TLS_AES_128_GCM_SHA256:aes128gcm TLS_AES_256_GCM_SHA384:aes256gcm \
         TLS_CHACHA20_POLY1305_SHA256:chacha20; do
  suite=${s%%:*} n=xd_tls13_${s##*:}
  xdp_case $n "--tls 1.3 --ciphersuites $suite --rate 0 --count 5000" \
    --tls 1.3 --ciphersuites "$suite" "wss://$NETNS_EX_IP4:@PORT@/ws/btcusdt@trade" &&
    if grep -q "^feedrx: connected: .*, TLSv1\.3 $suite\$" "$TMP/$n.err"; then pass $n
    else fail $n "suite: $(grep -m1 'connected:' "$TMP/$n.err")"; fi
done
for s in ECDHE-ECDSA-AES128-GCM-SHA256:aes128gcm ECDHE-ECDSA-AES256-GCM-SHA384:aes256gcm \
         ECDHE-ECDSA-CHACHA20-POLY1305:chacha20; do
  suite=${s%%:*} n=xd_tls12_${s##*:}
  xdp_case $n "--tls 1.2 --ciphers $suite --rate 0 --count 5000" \
    --tls 1.2 --ciphers "$suite" "wss://$NETNS_EX_IP4:@PORT@/ws/btcusdt@trade" &&
    if grep -q "^feedrx: connected: .*, TLSv1\.2 $suite\$" "$TMP/$n.err"; then pass $n
    else fail $n "suite: $(grep -m1 'connected:' "$TMP/$n.err")"; fi
done

# ---- 2. KeyUpdate every 1,000 messages -----------------------------------------
n=xd_key_update
xdp_case $n "--tls 1.3 --key-update 1000 --rate 0 --count 12000" \
  --tls 1.3 "wss://$NETNS_EX_IP4:@PORT@/ws/btcusdt@trade" && {
  ku=$(sed -n 's/.* \([0-9][0-9]*\) key updates, .*/\1/p' "$TMP/$n.sim.err" | tail -1)
  if [[ ${ku:-0} -ge 10 ]]; then pass $n
  else fail $n "feedsim did ${ku:-no} key updates, want >= 10: $(tail -c 200 "$TMP/$n.sim.err")"; fi
}

# update_requested: the kernel path's OpenSSL (reading the same stream after
# re-injection) answers with its own KeyUpdate; its later writes (pongs, the
# close) must still reach the server, and the fast path must go on decoding
n=xd_key_update_requested
xdp_case $n "--tls 1.3 --key-update 500 --key-update-request --rate 1000 --count 3000 --ping-interval 1 --pong-timeout 2" \
  --tls 1.3 "wss://$NETNS_EX_IP4:@PORT@/ws/btcusdt@trade" && {
  line=$(grep -E ' key updates, [0-9]+ from the client$' "$TMP/$n.sim.err" | tail -1)
  if [[ $line =~ \ ([0-9]+)\ key\ updates,\ ([0-9]+)\ from ]] && [[ ${BASH_REMATCH[1]} -ge 5 &&
     ${BASH_REMATCH[2]} -eq ${BASH_REMATCH[1]} ]] && grep -q 'close sent 1000, received 1000' "$TMP/$n.err"; then
    pass $n
  else fail $n "feedsim: ${line:-no summary}; feedrx: $(grep -m1 'close sent' "$TMP/$n.err")"; fi
}

# ---- 3. sizes, fragments, pings ----------------------------------------------
# sizes drawn uniformly: a small range for the 7- and 16-bit length
# encodings (and 2-byte messages), a large one for 64-bit lengths up to 1 MiB
lensum() { awk 'NR == 1 || length($0) < lo { lo = length($0) } length($0) > hi { hi = length($0) }
                END { print lo + 0, hi + 0 }' "$1"; }
n=xd_raw_2b_to_130b
xdp_case $n "--rate 0 --count 5000 --sizes 2:130" "wss://$NETNS_EX_IP4:@PORT@/ws/raw" && {
  read -r lo hi < <(lensum "$TMP/$n.log")
  if [[ $lo -eq 2 && $hi -ge 126 ]]; then pass $n; else fail $n "sizes $lo..$hi"; fi
}
n=xd_raw_to_1mib
xdp_case $n "--rate 0 --count 300 --sizes 2:1048576" "wss://$NETNS_EX_IP4:@PORT@/ws/raw" && {
  read -r lo hi < <(lensum "$TMP/$n.log")
  if [[ $hi -gt 1000000 ]]; then pass $n; else fail $n "sizes $lo..$hi, want some near 1 MiB"; fi
}
xdp_case xd_fragmented_7 "--rate 0 --count 3000 --fragment 7" \
  "wss://$NETNS_EX_IP4:@PORT@/ws/btcusdt@depth" && pass xd_fragmented_7
xdp_case xd_fragmented_raw "--rate 0 --count 300 --sizes 2:300000 --fragment 4000" \
  "wss://$NETNS_EX_IP4:@PORT@/ws/raw" && pass xd_fragmented_raw
# a ping a second for ~5 s; a pong not sent within 2 s closes with 1008 (the
# output would then end early and feedrx exit 1), so a pinged run that ends
# cleanly proves the kernel path answered
n=xd_pings
xdp_case $n "--rate 500 --count 2500 --ping-interval 1 --pong-timeout 2" \
  "wss://$NETNS_EX_IP4:@PORT@/ws/btcusdt@trade" && {
  pings=$(sed -n 's/.*, \([0-9][0-9]*\) pings, .*/\1/p' "$TMP/$n.err")
  if [[ ${pings:-0} -ge 2 ]] && ! grep -q 'pong timeout' "$TMP/$n.sim.err"; then pass $n
  else fail $n "pings=${pings:-?}: $(grep -m1 'pong' "$TMP/$n.sim.err")"; fi
}

# ---- 4. through an HTTP CONNECT proxy in the exchange namespace ------------
# (the receiver's TCP connection is then to the proxy, across veth-rx)
PROXY_PORT=8888
cat >"$TMP/tinyproxy.conf" <<CONF
Port $PROXY_PORT
Listen $NETNS_EX_IP4
Timeout 60
MaxClients 16
Allow $NETNS_RX_IP4
LogLevel Info
CONF
for p in $(seq $((PORT + 1)) $((PORT + 40))); do echo "ConnectPort $p" >>"$TMP/tinyproxy.conf"; done
if command -v tinyproxy >/dev/null; then
  ip netns exec "$NS_EX" tinyproxy -d -c "$TMP/tinyproxy.conf" >"$TMP/tinyproxy.out" 2>&1 &
  netns_track $!
  if wait_listen "$NS_EX" $PROXY_PORT; then
    for v in 1.3 1.2; do
      n=xd_proxy_tls${v/./}
      xdp_case $n "--tls $v --rate 0 --count 5000" --tls $v --proxy "http://$NETNS_EX_IP4:$PROXY_PORT" \
        "wss://$NETNS_EX_IP4:@PORT@/stream?streams=btcusdt@trade/ethusdt@bookTicker" &&
        if grep -q "^feedrx: connected: .* via proxy .*TLSv$v " "$TMP/$n.err"; then pass $n
        else fail $n "not via the proxy: $(grep -m1 'connected:' "$TMP/$n.err")"; fi
    done
  else
    fail xd_proxy "tinyproxy did not start: $(tail -3 "$TMP/tinyproxy.out")"
  fi
else
  skip xd_proxy "tinyproxy not installed (scripts/deps.sh)"
fi
# a proxy on the receiver's own loopback: no fast path is possible there
# (re-injected loopback packets are martians); auto falls back, xdp refuses
if command -v tinyproxy >/dev/null; then
  printf 'Port %s\nListen 127.0.0.1\nTimeout 60\nAllow 127.0.0.1\n' $PROXY_PORT >"$TMP/tinyproxy-lo.conf"
  for p in $(seq $((PORT + 1)) $((PORT + 40))); do echo "ConnectPort $p" >>"$TMP/tinyproxy-lo.conf"; done
  ip netns exec "$NS_RX" tinyproxy -d -c "$TMP/tinyproxy-lo.conf" >"$TMP/tinyproxy-lo.out" 2>&1 &
  netns_track $!
  if wait_listen "$NS_RX" $PROXY_PORT; then
    n=xd_proxy_loopback_auto
    sim $n --rate 0 --count 2000 && {
      ip netns exec "$NS_RX" timeout 60 "$FEEDRX" --mode auto --output raw --cafile "$CERTS/ca.pem" \
        --proxy "http://127.0.0.1:$PROXY_PORT" "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" \
        >"$TMP/$n.out" 2>"$TMP/$n.err"
      check_same $n $? &&
        if grep -q '^feedrx: XDP fast path unavailable (lo is a loopback device: .*); using the kernel path$' "$TMP/$n.err"
        then pass $n; else fail $n "$(head -c 300 "$TMP/$n.err")"; fi
    }
    n=xd_proxy_loopback_xdp_refused
    rx --proxy "http://127.0.0.1:$PROXY_PORT" "wss://$NETNS_EX_IP4:9/ws/x" >"$TMP/$n.out" 2>"$TMP/$n.err"
    rc=$?
    if [[ $rc -eq 1 ]] && grep -q '^feedrx: --mode xdp: lo is a loopback device' "$TMP/$n.err"; then pass $n
    else fail $n "rc=$rc: $(head -c 300 "$TMP/$n.err")"; fi
  else
    fail xd_proxy_loopback "tinyproxy on 127.0.0.1 did not start: $(tail -3 "$TMP/tinyproxy-lo.out")"
  fi
fi
xdp_case xd_ipv6_direct "--rate 0 --count 5000" "wss://[$NETNS_EX_IP6]:@PORT@/ws/ethusdt@aggTrade" &&
  pass xd_ipv6_direct

# ---- 5. combined streams, --subscribe ----------------------------------------
xdp_case xd_combined "--rate 0 --count 10000" \
  "wss://$NETNS_EX_IP4:@PORT@/stream?streams=btcusdt@trade/ethusdt@bookTicker/btcusdt@depth@100ms" &&
  pass xd_combined
# the reply ({"result":null,"id":1}) is filtered on both paths alike: the
# shadow's comparison would show any shift by one
n=xd_subscribe
xdp_case $n "--rate 0 --count 5000" --subscribe btcusdt@trade --subscribe ethusdt@aggTrade \
  "wss://$NETNS_EX_IP4:@PORT@/ws" && {
  if grep -q ' 1 subscription replies' "$TMP/$n.err" && ! grep -q '"id":1}' "$TMP/$n.out"; then pass $n
  else fail $n "reply: $(grep -m1 'subscription replies' "$TMP/$n.err")"; fi
}

# --count: our own close; the fast path delivers exactly the first N
n=xd_count
sim $n --rate 5000 && {
  rx --count 3000 "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@bookTicker" >"$TMP/$n.out" 2>"$TMP/$n.err"
  rc=$?
  wait_sim
  if [[ $rc -ne 0 ]]; then fail $n "exit $rc: $(tail -c 300 "$TMP/$n.err")"
  elif ! cmp -s "$TMP/$n.out" <(head -n 3000 "$TMP/$n.log") || [[ $(wc -l <"$TMP/$n.out") -ne 3000 ]]; then
    fail $n "stdout is not the log's first 3000 lines ($(wc -l <"$TMP/$n.out") lines)"
  elif ! parse_delivered "$TMP/$n.err" || [[ $DL_N -ne 3000 || $DL_FAST -ne 3000 || $DL_KERNEL -ne 0 ||
       $DL_CMP -eq 0 || $DL_DIFF -ne 0 ]]; then
    fail $n "$(grep -E "$DELIVERED_RE" "$TMP/$n.err" || tail -c 300 "$TMP/$n.err")"
  elif ! grep -q 'close sent 1000, received 1000' "$TMP/$n.err"; then
    fail $n "no clean close: $(grep -m1 'close sent' "$TMP/$n.err")"
  else pass $n; fi
}

# ---- data in the same TLS record as the HTTP 101 ---------------------------
# feedsim writes the 101 on its own; this server writes the 101 and the first
# messages with one SSL write (one record), then the rest, then close 1000.
cat >"$TMP/same_record.py" <<'PY'
import base64, hashlib, socket, ssl, struct, sys
cert, key, host, port, logpath, tls = sys.argv[1:7]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ctx.maximum_version = \
    ssl.TLSVersion.TLSv1_3 if tls == "1.3" else ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(cert, key)
if len(sys.argv) > 7:  # one group only: a client's first key share may miss it
    ctx.set_ecdh_curve(sys.argv[7])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((host, int(port)))
ls.listen(1)
raw, _ = ls.accept()
raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s = ctx.wrap_socket(raw, server_side=True)
req = b""
while b"\r\n\r\n" not in req:
    req += s.recv(4096)
k = [l.split(b":", 1)[1].strip() for l in req.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key:")][0]
acc = base64.b64encode(hashlib.sha1(k + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
def frame(op, p):
    n = len(p)
    h = bytes([0x80 | op]) + (bytes([n]) if n < 126 else bytes([126]) + struct.pack(">H", n))
    return h + p
msgs = [('{"e":"trade","t":%d,"p":"%d.5","q":"0.01"}' % (i, 30000 + i)).encode() for i in range(2000)]
with open(logpath, "wb") as f:
    f.write(b"".join(m + b"\n" for m in msgs))
head = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + acc + b"\r\n\r\n")
s.sendall(head + b"".join(frame(1, m) for m in msgs[:20]))  # one record
s.sendall(b"".join(frame(1, m) for m in msgs[20:]))
s.sendall(frame(8, struct.pack(">H", 1000)))
try:
    while s.recv(4096):
        pass
except (ssl.SSLError, OSError):
    pass
PY
# pysim NAME TLS [GROUP]: run it for one feedrx; the stream dumped to NAME.dump
pysim_case() {
  local n=$1 v=$2
  PORT=$((PORT + 1))
  ip netns exec "$NS_EX" python3 "$TMP/same_record.py" "$CERTS/server.pem" "$CERTS/server.key" \
    "$NETNS_EX_IP4" "$PORT" "$TMP/$n.log" "$v" ${3:-} >"$TMP/$n.sim.out" 2>"$TMP/$n.sim.err" &
  SIM_PID=$!
  netns_track $SIM_PID
  if ! wait_listen "$NS_EX" "$PORT"; then
    fail $n "python server did not listen: $(tail -3 "$TMP/$n.sim.err")"; return 1
  fi
  rx --dump-stream "$TMP/$n.dump" "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" >"$TMP/$n.out" 2>"$TMP/$n.err"
  check_same $n $? && check_fast $n || return 1
  grep -q "^feedrx: connected: .*, TLSv$v " "$TMP/$n.err" || { fail $n "$(grep -m1 'connected:' "$TMP/$n.err")"; return 1; }
}
pysim_case xd_same_record_101_tls13 1.3 && pass xd_same_record_101_tls13
pysim_case xd_same_record_101_tls12 1.2 && pass xd_same_record_101_tls12
# a server that takes only P-384: TLS 1.3 needs a HelloRetryRequest (a second
# ServerHello, a dummy ChangeCipherSpec) before the stream is keyed
n=xd_hello_retry_request
pysim_case $n 1.3 secp384r1 &&
  if LC_ALL=C grep -qF "$(printf '\xcf\x21\xad\x74\xe5\x9a\x61\x11\xbe\x1d\x8c\x02\x1e\x65\xb8\x91')" "$TMP/$n.dump"
  then pass $n; else fail $n "no HelloRetryRequest in the stream"; fi

# ---- 6. forced desync: the kernel path takes over, exactly once ----------------
# desync_case NAME AFTER "SIM ARGS" FEEDRX ARGS... URL
desync_case() {
  local n=$1 after=$2 simargs=$3; shift 3
  # shellcheck disable=SC2086
  sim "$n" $simargs || return 1
  local url=${*: -1}
  url=${url//@PORT@/$PORT}
  rx --test-desync-after "$after" "${@:1:$#-1}" "$url" >"$TMP/$n.out" 2>"$TMP/$n.err"
  check_same "$n" $? || return 1
  local lines stop
  lines=$(wc -l <"$TMP/$n.log")
  stop=$(grep -m1 -E '^feedrx: fast path stopped after [0-9]+ messages \(.*\); the kernel path delivers from message [0-9]+ on$' "$TMP/$n.err")
  if [[ -z $stop ]]; then fail "$n" "no failover line: $(tail -c 300 "$TMP/$n.err")"; return 1; fi
  if ! parse_delivered "$TMP/$n.err"; then fail "$n" "no 'delivered' line"; return 1; fi
  # the fast path stops at the record after the one holding message AFTER
  if [[ $DL_N -ne $lines || $DL_FAST -lt $after || $DL_FAST -gt $((after + 200)) ||
        $((DL_FAST + DL_KERNEL)) -ne $lines || $DL_DIFF -ne 0 ]]; then
    fail "$n" "want $lines = ~$after fast + rest kernel, 0 different: $(grep -E "$DELIVERED_RE" "$TMP/$n.err")"
    return 1
  fi
  if [[ $stop != *"after $DL_FAST messages"* || $stop != *"from message $((DL_FAST + 1)) on" ]]; then
    fail "$n" "failover line disagrees with the counts: $stop"; return 1
  fi
}
desync_case xd_desync_failover 5000 "--rate 0 --count 20000" \
  "wss://$NETNS_EX_IP4:@PORT@/ws/btcusdt@trade" && pass xd_desync_failover
# failing in the middle of fragmented messages: the kernel path delivers the
# message the fast path had begun
desync_case xd_desync_fragmented 100 "--rate 0 --count 400 --sizes 2:100000 --fragment 1000" \
  "wss://$NETNS_EX_IP4:@PORT@/ws/raw" && pass xd_desync_fragmented
desync_case xd_desync_tls12_subscribe 1000 "--tls 1.2 --rate 0 --count 5000" \
  --tls 1.2 --subscribe btcusdt@bookTicker "wss://$NETNS_EX_IP4:@PORT@/ws" && {
  if grep -q ' 1 subscription replies' "$TMP/xd_desync_tls12_subscribe.err" &&
     ! grep -q '"id":1}' "$TMP/xd_desync_tls12_subscribe.out"; then pass xd_desync_tls12_subscribe
  else fail xd_desync_tls12_subscribe "reply not filtered"; fi
}
exit 0
