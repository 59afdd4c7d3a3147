#!/usr/bin/env bash
# it_privs — least privilege (README, Requirements; docs/ARCHITECTURE.md §9):
#   - as a non-root user with exactly the documented ambient capabilities
#     (CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK) --mode xdp
#     delivers byte-exact from the fast path, and the XDP program is gone after
#     exit;
#   - during the run /proc/PID/status shows CapEff 0 and CapPrm only
#     CAP_NET_ADMIN (kept to detach at exit); in --mode kernel CapPrm 0 too;
#   - with any one of them missing it fails with one line naming it;
#   - a --shadow discard reconnect (a new flow in the flow map) works with
#     every capability dropped.
# The user is nobody (65534), via setpriv. /dev/net/tun must be usable by that
# user: where it is not (0600 in some containers) the run gets a 0666 node
# bind-mounted over it in a private mount namespace.
source "$(dirname "$0")/lib.sh"
NAME=privs
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
command -v setpriv >/dev/null || { skip $NAME "setpriv missing (util-linux)"; exit 0; }
it_setup $NAME
CAPS=(bpf perfmon net_admin net_raw ipc_lock)
USR=65534
chmod 755 "$TMP"
# the user must read the CA and write its output
chmod 644 "$CERTS/ca.pem"

if ! setpriv --reuid=$USR --regid=$USR --clear-groups test -x "$FEEDRX" -a -r "$CERTS/ca.pem"; then
  skip $NAME "uid $USR cannot run $FEEDRX or read the CA (a private directory on the way)"; exit 0
fi
TUN_NODE=
if ! setpriv --reuid=$USR --regid=$USR --clear-groups sh -c 'exec 3<>/dev/net/tun' 2>/dev/null; then
  TUN_NODE=$TMP/tun
  mknod "$TUN_NODE" c 10 200 && chmod 666 "$TUN_NODE" ||
    { skip $NAME "/dev/net/tun is not usable by uid $USR and no node can be made"; exit 0; }
fi

# capset LIST: "+cap,+cap" for setpriv
capset() { local c s=; for c in "$@"; do s+=${s:+,}+$c; done; echo "${s:--all}"; }

# as_user CAPS... -- CMD...: CMD in the receiver namespace as uid 65534 with
# exactly CAPS inheritable and ambient (so effective and permitted after exec)
as_user() {
  local caps=() s
  while [[ $1 != -- ]]; do caps+=("$1"); shift; done
  shift
  s=$(capset "${caps[@]}")
  local pre=()
  # the default limit of an unprivileged user: the UMEM does not fit without CAP_IPC_LOCK
  ulimit -l 8192
  [[ -n $TUN_NODE ]] && pre=(unshare -m sh -c 'mount --bind "$0" /dev/net/tun && exec "$@"' "$TUN_NODE")
  exec "${pre[@]}" ip netns exec "$NS_RX" setpriv --reuid=$USR --regid=$USR --clear-groups \
    --inh-caps="$s" --ambient-caps="$s" --bounding-set=-all,"$s" "$@"
}

sim() {
  local n=$1; shift
  PORT=$((9700 + RANDOM % 200))
  ip netns exec "$NS_EX" "$FEEDSIM" --listen "$NETNS_EX_IP4:$PORT" --seed 11 --log "$TMP/$n.log" "$@" \
    2>"$TMP/$n.sim.err" &
  SIM=$!
  netns_track "$SIM"
  wait_listen "$NS_EX" "$PORT"
}

xdp_attached() { ip -n "$NS_RX" -d link show "$NETNS_RX_DEV" | grep -q 'prog/xdp'; }

# caps_mid PID FILE: CapEff/CapPrm of PID once it runs feedrx and has connected
caps_mid() {
  local pid=$1 i
  for i in $(seq 100); do
    [[ $(cat /proc/$pid/comm 2>/dev/null) == feedrx ]] && [[ -s $2.out ]] && break
    sleep 0.05
  done
  grep -E '^Cap(Eff|Prm|Amb|Inh):' /proc/$pid/status 2>/dev/null | tr -s '\t ' ' '
}

# 1. exactly the documented capabilities: runs, byte-exact, drops them
n=pv_xdp_user
sim $n --rate 4000 --count 12000 --once
( as_user "${CAPS[@]}" -- "$FEEDRX" --mode xdp --iface veth-rx -v --cafile "$CERTS/ca.pem" \
    --output raw --count 12000 "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" ) \
  >"$TMP/$n.out" 2>"$TMP/$n.err" &
rx=$!
netns_track $rx
caps=$(caps_mid $rx "$TMP/$n")
wait $rx; rc=$?
if grep -q "cannot attach XDP\|cannot open AF_XDP" "$TMP/$n.err" && ! grep -q "CAP_" "$TMP/$n.err"; then
  skip $n "XDP/AF_XDP unavailable: $(grep -m1 'feedrx:' "$TMP/$n.err")"; exit 0
fi
if [[ $rc -eq 0 ]] && cmp -s "$TMP/$n.out" "$TMP/$n.log" &&
   grep -q 'delivered 12000 messages: 12000 from the fast path' "$TMP/$n.err"; then pass ${n}_exact
else fail ${n}_exact "rc=$rc, $(wc -l <"$TMP/$n.out") vs $(wc -l <"$TMP/$n.log") lines: $(grep -v 'attached to' "$TMP/$n.err" | tail -3 | tr '\n' ' ')"; fi
echo "$n: $caps" >&2
if [[ $caps == *"CapEff: 0000000000000000"* && $caps == *"CapPrm: 0000000000001000"* &&
      $caps == *"CapAmb: 0000000000000000"* && $caps == *"CapInh: 0000000000000000"* ]]; then
  pass ${n}_caps_dropped
else fail ${n}_caps_dropped "during the run: ${caps:-no status}"; fi
if ! xdp_attached && ! grep -q 'cannot detach' "$TMP/$n.err"; then pass ${n}_detached
else fail ${n}_detached "XDP program still on $NETNS_RX_DEV after exit: $(grep detach "$TMP/$n.err")"; fi

# 2. one capability missing: one line that names it
for c in "${CAPS[@]}"; do
  n=pv_without_$c
  keep=()
  for k in "${CAPS[@]}"; do [[ $k == "$c" ]] || keep+=("$k"); done
  sim $n --rate 0 --count 100 --once
  ( as_user "${keep[@]}" -- "$FEEDRX" --mode xdp --iface veth-rx --cafile "$CERTS/ca.pem" \
      --output raw --count 100 "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" ) \
    >"$TMP/$n.out" 2>"$TMP/$n.err"
  rc=$?
  kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null
  lines=$(grep -v ' attached to ' "$TMP/$n.err")
  echo "$n: $lines" >&2
  if [[ $rc -ne 0 && $(wc -l <<<"$lines") -eq 1 && $lines == "feedrx: --mode xdp: "*"CAP_${c^^}"* ]] &&
     ! xdp_attached; then pass $n
  else fail $n "rc=$rc: $(tr '\n' '|' <"$TMP/$n.err")"; fi
done

# 3. --mode kernel as root: nothing is kept at all
n=pv_kernel_root
sim $n --rate 4000 --count 8000 --once
ip netns exec "$NS_RX" "$FEEDRX" --mode kernel --cafile "$CERTS/ca.pem" --output raw --count 8000 \
  "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" >"$TMP/$n.out" 2>"$TMP/$n.err" &
rx=$!
netns_track $rx
caps=$(caps_mid $rx "$TMP/$n")
wait $rx; rc=$?
if [[ $rc -eq 0 ]] && cmp -s "$TMP/$n.out" "$TMP/$n.log" &&
   [[ $caps == *"CapEff: 0000000000000000"* && $caps == *"CapPrm: 0000000000000000"* ]]; then pass $n
else fail $n "rc=$rc; during the run: ${caps:-no status}; $(tail -2 "$TMP/$n.err" | tr '\n' ' ')"; fi

# 4. a reconnect after the drop: --shadow discard re-registers its flow
# through the flow map's fd, which needs no capability
n=pv_discard_reconnect
sim $n --rate 0 --count 20000
( as_user "${CAPS[@]}" -- "$FEEDRX" --mode xdp --iface veth-rx --shadow discard -v \
    --cafile "$CERTS/ca.pem" --output raw --count 20000 --test-desync-after 5000 \
    "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" ) >"$TMP/$n.out" 2>"$TMP/$n.err"
rc=$?
kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null
if [[ $rc -eq 0 ]] && grep -q 'reconnecting (gap 1' "$TMP/$n.err" &&
   grep -q 'capabilities dropped: effective 0' "$TMP/$n.err" &&
   grep -q 'merge: 20000 delivered' "$TMP/$n.err" &&
   grep -Eq 'delivered [0-9]+ messages: [0-9]+ from the fast path, 0 from the kernel path' "$TMP/$n.err" &&
   [[ $(wc -l <"$TMP/$n.out") -eq 20000 ]]; then pass $n
else fail $n "rc=$rc; $(grep -E 'gap|dropped|delivered|feedrx: --' "$TMP/$n.err" | tr '\n' ' ')"; fi

# 5. after a SIGKILL the program stays (failing open); telling that it is a
# feedrx leftover reads it by id, which needs CAP_SYS_ADMIN: without it the
# restart says so in one line, with it the leftover is removed
n=pv_leftover
sim $n --rate 2000 --count 100000 --once
( as_user "${CAPS[@]}" -- "$FEEDRX" --mode xdp --iface veth-rx --cafile "$CERTS/ca.pem" \
    --output raw "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" ) >"$TMP/$n.out" 2>"$TMP/$n.err" &
rx=$!
netns_track $rx
caps_mid $rx "$TMP/$n" >/dev/null
kill -KILL $rx; wait $rx 2>/dev/null
kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null
sim ${n}2 --rate 0 --count 2000 --once
( as_user "${CAPS[@]}" -- "$FEEDRX" --mode xdp --iface veth-rx --cafile "$CERTS/ca.pem" \
    --output raw --count 2000 "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" ) >"$TMP/${n}2.out" 2>"$TMP/${n}2.err"
rc=$?
echo "$n: $(cat "$TMP/${n}2.err")" >&2
if [[ $rc -ne 0 ]] && xdp_attached && grep -q 'needs CAP_SYS_ADMIN' "$TMP/${n}2.err"; then
  pass ${n}_needs_sys_admin
else fail ${n}_needs_sys_admin "rc=$rc: $(tr '\n' '|' <"$TMP/${n}2.err")"; fi
( as_user "${CAPS[@]}" sys_admin -- "$FEEDRX" --mode xdp --iface veth-rx --cafile "$CERTS/ca.pem" \
    --output raw --count 2000 "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" ) >"$TMP/${n}2.out" 2>"$TMP/${n}2.err"
rc=$?
kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null
if [[ $rc -eq 0 ]] && cmp -s "$TMP/${n}2.out" "$TMP/${n}2.log" && grep -q 'removing leftover' "$TMP/${n}2.err" &&
   ! xdp_attached; then pass ${n}_removed_with_sys_admin
else fail ${n}_removed_with_sys_admin "rc=$rc: $(tail -3 "$TMP/${n}2.err" | tr '\n' '|')"; fi
