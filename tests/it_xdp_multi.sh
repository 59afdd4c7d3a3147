#!/usr/bin/env bash
# it_xdp_multi — several connections on one loop sharing one fast path
# (fast/fast_rx: one XDP program, one flow map, one set of AF_XDP sockets,
# one TUN device; frames demultiplexed by 4-tuple), against feedsim across
# the namespace veth pair. tests/tool_multi_link opens the feed_links (the
# real link_kconn transport, each connection with its own fastpath) and
# writes each connection's messages to its own file.
#   - three connections (IPv4, IPv4, IPv6; TLS 1.3 and 1.2; different
#     seeds, so crossed streams could not match): each connection's output
#     equals its feedsim's --log byte for byte, every message from the fast
#     path, compared with its shadow, its fast stream equal to its kernel
#     stream; all three flows in the one map until the end
#   - the same with one connection's fast path forced to fail (a TLS desync
#     after N messages) while all three stream: that connection fails over
#     to its kernel path with nothing lost, and only its own map entry goes;
#     the other two deliver everything from the fast path
#   - after each run: the flow map empty once the links are gone, no XDP
#     program left on the device; at the end the namespaces are gone
# SKIP when the kernel cannot attach XDP or open AF_XDP sockets.
source "$(dirname "$0")/lib.sh"
NAME=it_xdp_multi
TOOL=$BUILD/tests/tool_multi_link
[[ -x $TOOL && -x $FEEDSIM ]] || { fail $NAME "build $TOOL and $FEEDSIM first"; exit 1; }
it_setup $NAME

PORT=9700
SIM_PIDS=()
# sim NAME ARGS...: one feedsim (--once) on a fresh port, both families,
# its log in $TMP/NAME.log; the port in $PORT
sim() {
  local n=$1; shift
  PORT=$((PORT + 1))
  ip netns exec "$NS_EX" "$FEEDSIM" --once --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --listen "$NETNS_EX_IP4:$PORT" --listen "[$NETNS_EX_IP6]:$PORT" --log "$TMP/$n.log" \
    "$@" >"$TMP/$n.sim.out" 2>"$TMP/$n.sim.err" &
  SIM_PIDS+=($!)
  netns_track $!
  wait_listen "$NS_EX" "$PORT" || { fail "$n" "feedsim did not listen on $PORT"; return 1; }
}

# feedsim writes its log as it sends: let every one finish (--once) first
sims_wait() {
  local p
  for p in "${SIM_PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
  done
  SIM_PIDS=()
}

# run NAME TOOL-ARGS...: the tool in NS_RX; status in RC
run() {
  local n=$1; shift
  ip netns exec "$NS_RX" timeout 120 "$TOOL" --iface "$NETNS_RX_DEV" --cafile "$CERTS/ca.pem" \
    --out "$TMP/$n.out" "$@" >/dev/null 2>"$TMP/$n.err"
  RC=$?
  if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP/$n.err"; then
    fail "${n}_sanitizer" "$(grep -E -m1 'Sanitizer|runtime error:' "$TMP/$n.err")"
  fi
}

why() { tail -n 6 "$TMP/$1.err" | tr '\n' '|' | head -c 500; }

# link_line NAME I: connection I's summary line
link_line() { grep "^link $2: status " "$TMP/$1.err"; }

# check_cmp NAME I SIMNAME: connection I's messages == its feedsim's log
check_cmp() {
  local n=$1 i=$2 s=$3
  if [[ ! -s $TMP/$s.log ]]; then fail "${n}_${i}_cmp" "feedsim's log is empty"
  elif cmp -s "$TMP/$n.out.$i" "$TMP/$s.log"; then pass "${n}_${i}_cmp"
  else fail "${n}_${i}_cmp" "output ($(stat -c %s "$TMP/$n.out.$i") B) differs from $s's log ($(stat -c %s "$TMP/$s.log") B)"; fi
}

# check_fast_only NAME I COUNT: all COUNT from the fast path, all compared
# with the shadow, none different; the fast stream equals the kernel's
check_fast_only() {
  local n=$1 i=$2 c=$3 l
  l=$(link_line "$n" "$i")
  if [[ $l =~ ^link\ $i:\ status\ 0,\ delivered\ $c,\ fast\ $c,\ shadow\ 0,\ compared\ $c,\ mismatched\ 0,\ stream\ fast\ ([0-9]+)\ ([0-9a-f]+)\ kernel\ ([0-9]+)\ ([0-9a-f]+)$ ]] &&
     [[ ${BASH_REMATCH[1]} -gt 0 && ${BASH_REMATCH[1]} == "${BASH_REMATCH[3]}" && ${BASH_REMATCH[2]} == "${BASH_REMATCH[4]}" ]]; then
    pass "${n}_${i}_fast_only"
  else fail "${n}_${i}_fast_only" "${l:-no summary: $(why "$n")}"; fi
}

# check_map NAME AT_END: AT_END flows in the map when the loop ended, none
# once the links were freed
check_map() {
  local n=$1 want=$2
  if grep -q "^shared: [0-9]* links, map flows at the end $want, after the links went 0\$" "$TMP/$n.err"; then
    pass "${n}_map"
  else fail "${n}_map" "want $want then 0: $(grep '^shared: .*map' "$TMP/$n.err")"; fi
}

# no XDP program left on veth-rx (ip link and bpftool agree)
check_detached() {
  local n=$1 l b
  l=$(ip -n "$NS_RX" link show "$NETNS_RX_DEV")
  b=$(ip netns exec "$NS_RX" bpftool net show dev "$NETNS_RX_DEV" 2>&1)
  if [[ $l != *xdp* && $b != *fx_xdp_steer* && $b != *"driver id"* && $b != *"generic id"* ]]; then
    pass "${n}_detached"
  else fail "${n}_detached" "still attached: $(echo "$l $b" | tr '\n' ' ' | head -c 300)"; fi
}

# ---- can this kernel do it at all? ------------------------------------------
sim probe --rate 0 --count 10 || exit 1
run probe "wss://$NETNS_EX_IP4:$PORT/ws/raw"
if [[ $RC -ne 0 ]] && grep -Eq '^tool_multi_link: cannot (attach XDP on|open AF_XDP sockets on|register AF_XDP sockets)[^:]*: .*(not supported|not allowed|not permitted|not implemented)' "$TMP/probe.err"; then
  skip $NAME "XDP/AF_XDP unavailable here: $(grep '^tool_multi_link:' "$TMP/probe.err")"
  exit 0
fi
[[ $RC -eq 0 ]] || { fail x_multi_probe "tool_multi_link failed: $(why probe)"; exit 1; }
sims_wait

# ---- 1. three connections, all from the fast path ---------------------------
n=x_multi3
COUNT=20000
sim ${n}_s0 --rate 0 --count $COUNT --seed 11 && u0="wss://$NETNS_EX_IP4:$PORT/ws/raw"
sim ${n}_s1 --rate 0 --count $COUNT --seed 12 --tls 1.2 && u1="wss://$NETNS_EX_IP4:$PORT/stream?streams=btcusdt@trade/ethusdt@bookTicker/btcusdt@depth@100ms"
sim ${n}_s2 --rate 0 --count $COUNT --seed 13 && u2="wss://[$NETNS_EX_IP6]:$PORT/ws/btcusdt@trade"
run $n "$u0" "$u1" "$u2"
sims_wait
echo "# $n: rc=$RC; $(grep '^shared: frames' "$TMP/$n.err")"
if [[ $RC -eq 0 ]]; then pass ${n}_exit; else fail ${n}_exit "rc=$RC: $(why $n)"; fi
if grep -q '^shared: native XDP on .*, 1 queue, wakeup poll$' "$TMP/$n.err"; then pass ${n}_one_program
else fail ${n}_one_program "$(grep '^shared:' "$TMP/$n.err" | head -1)"; fi
for i in 0 1 2; do
  check_cmp $n $i ${n}_s$i
  check_fast_only $n $i $COUNT
done
check_map $n 3
check_detached $n

# ---- 2. one connection's fast path fails, the others go on --------------------
# Paced so that all three stream while connection 1 fails over.
n=x_multi_desync
COUNT=15000
DESYNC=3000
sim ${n}_s0 --rate 5000 --count $COUNT --seed 21 && u0="wss://$NETNS_EX_IP4:$PORT/ws/raw"
sim ${n}_s1 --rate 5000 --count $COUNT --seed 22 && u1="wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade"
sim ${n}_s2 --rate 5000 --count $COUNT --seed 23 && u2="wss://[$NETNS_EX_IP6]:$PORT/ws/raw"
run $n --desync 1:$DESYNC "$u0" "$u1" "$u2"
sims_wait
echo "# $n: rc=$RC; $(link_line $n 1 | cut -d, -f1-6)"
if [[ $RC -eq 0 ]]; then pass ${n}_exit; else fail ${n}_exit "rc=$RC: $(why $n)"; fi
for i in 0 1 2; do check_cmp $n $i ${n}_s$i; done
check_fast_only $n 0 $COUNT
check_fast_only $n 2 $COUNT
# connection 1: the fast path up to the desync, the kernel path after it,
# nothing twice, nothing lost (the cmp above), no mismatch
l=$(link_line $n 1)
if [[ $l =~ ^link\ 1:\ status\ 0,\ delivered\ $COUNT,\ fast\ ([0-9]+),\ shadow\ ([0-9]+),\ compared\ [0-9]+,\ mismatched\ 0, ]] &&
   [[ ${BASH_REMATCH[1]} -ge $DESYNC && ${BASH_REMATCH[1]} -lt $COUNT && $((BASH_REMATCH[1] + BASH_REMATCH[2])) -eq $COUNT ]]; then
  pass ${n}_1_failover
else fail ${n}_1_failover "${l:-no summary: $(why $n)}"; fi
# only the failed connection's entry left the map
check_map $n 2
check_detached $n

# ---- 3. nothing left behind ------------------------------------------------------
ids=$NETNS_ID
netns__teardown
NETNS_ID=
if ip netns list | grep -q "fx-$ids-"; then fail x_multi_netns_gone "$(ip netns list | grep "fx-$ids-")"
else pass x_multi_netns_gone; fi
exit 0
