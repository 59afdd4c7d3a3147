#!/usr/bin/env bash
# it_xdp_nicstamps — which clock stamped arrival, and --nic-stamps: the XDP
# program loaded device-bound to read the NIC's RX hardware timestamp. On a
# device that has them (a NIC with a PTP clock) the run's stats say
# "arrival_clock":"nic" with stamped arrivals; on veth (no PTP clock) the
# run must fail at set-up with a clear error and leave no XDP program behind.
source "$(dirname "$0")/lib.sh"
NAME=xdp_nicstamps
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
it_setup $NAME

# sim: feedsim on a fresh port, sets PORT and SIM
sim() {
  PORT=$((9700 + RANDOM % 250))
  ip netns exec "$NS_EX" "$FEEDSIM" --listen "$NETNS_EX_IP4:$PORT" --seed 9 --rate 2000 \
    --count 2000 --once -v 2>"$TMP/sim.$PORT.err" &
  SIM=$!
  netns_track "$SIM"
  wait_listen "$NS_EX" "$PORT"
}
stop_sim() { kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null; }

# rx NAME FEEDRX-ARGS...: sets RC; stats JSON in $TMP/NAME.json
rx() {
  local n=$1; shift
  sim
  ip netns exec "$NS_RX" timeout 30 "$FEEDRX" -v --cafile "$CERTS/ca.pem" --output none \
    --count 2000 --stats-json "$TMP/$n.json" "$@" "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" \
    >/dev/null 2>"$TMP/$n.err"
  RC=$?
  stop_sim
}

# json_field FILE EXPR: a Python expression over the stats JSON d
json_field() {
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}

xdp_attached() { ip -n "$NS_RX" link show "$NETNS_RX_DEV" | grep -q 'prog/xdp'; }

# 1. the kernel path: its software RX stamps, said in -v and the JSON
n=arrival_clock_kernel
rx $n --mode kernel
if [[ $RC -eq 0 && $(json_field "$TMP/$n.json" 'd["arrival_clock"]') == kernel-rx-software ]] &&
   grep -q 'arrival stamps: kernel-rx-software' "$TMP/$n.err"; then pass $n
else fail $n "rc=$RC; $(json_field "$TMP/$n.json" 'd.get("arrival_clock")'); $(tail -1 "$TMP/$n.err")"; fi

# 2. the fast path by default: the XDP program's bpf_ktime_get_ns
n=arrival_clock_xdp_ktime
rx $n --mode xdp --iface "$NETNS_RX_DEV"
if grep -q "cannot attach XDP\|cannot open AF_XDP" "$TMP/$n.err"; then
  skip $n "XDP/AF_XDP unavailable: $(grep -m1 'feedrx:' "$TMP/$n.err")"
  XDP_OK=0
else
  XDP_OK=1
  if [[ $RC -eq 0 && $(json_field "$TMP/$n.json" 'd["arrival_clock"]') == xdp-ktime &&
        $(json_field "$TMP/$n.json" 'd["stages"]["rx"]["count"] > 0') == True ]] &&
     grep -q 'arrival stamps: xdp-ktime' "$TMP/$n.err"; then pass $n
  else fail $n "rc=$RC; $(json_field "$TMP/$n.json" 'd.get("arrival_clock")'); $(tail -1 "$TMP/$n.err")"; fi
fi

# 3. --nic-stamps with --mode kernel: a usage error
n=nic_stamps_kernel_usage
ip netns exec "$NS_RX" "$FEEDRX" --mode kernel --nic-stamps "wss://$NETNS_EX_IP4:1/ws/x@trade" \
  >/dev/null 2>"$TMP/$n.err"
RC=$?
if [[ $RC -eq 2 ]] && grep -q -- '--nic-stamps needs --mode xdp' "$TMP/$n.err"; then pass $n
else fail $n "rc=$RC; $(head -1 "$TMP/$n.err")"; fi

n=nic_stamps_generic_usage
ip netns exec "$NS_RX" "$FEEDRX" --mode xdp --xdp-mode generic --nic-stamps "wss://$NETNS_EX_IP4:1/ws/x@trade" \
  >/dev/null 2>"$TMP/$n.err"
RC=$?
if [[ $RC -eq 2 ]] && grep -q -- '--nic-stamps needs native XDP' "$TMP/$n.err"; then pass $n
else fail $n "rc=$RC; $(head -1 "$TMP/$n.err")"; fi

# 4. --nic-stamps: NIC stamps, or a clear failure that leaves the device clean
if [[ $XDP_OK == 1 ]]; then
  n=nic_stamps
  rx $n --mode xdp --iface "$NETNS_RX_DEV" --xdp-mode native --nic-stamps
  if [[ $RC -eq 0 ]]; then
    # stamps obtained: one clock, named, and arrivals measured with it
    if [[ $(json_field "$TMP/$n.json" 'd["arrival_clock"]') == nic &&
          $(json_field "$TMP/$n.json" 'd["stages"]["rx"]["count"] > 0') == True ]] &&
       grep -q 'arrival stamps: nic' "$TMP/$n.err"; then pass $n
    else fail $n "ran, but: $(json_field "$TMP/$n.json" 'd.get("arrival_clock")'), $(json_field "$TMP/$n.json" 'd["counters"]["xdp"]')"; fi
  elif grep -q 'cannot attach XDP on .*--nic-stamps: .*PTP hardware clock\|cannot attach XDP on ' "$TMP/$n.err"; then
    if xdp_attached; then
      fail ${n}_clean "failed ($(grep -m1 'feedrx:' "$TMP/$n.err")) but left an XDP program on $NETNS_RX_DEV"
    else
      pass ${n}_fails_clearly
    fi
    if grep -q 'device-bound program with the RX-timestamp kfunc loaded' "$TMP/$n.err"; then
      # the kfunc program loaded device-bound: only the PTP clock is missing
      pass ${n}_devbound_load
    fi
    skip $n "no NIC stamps on $NETNS_RX_DEV: $(grep -m1 'feedrx:' "$TMP/$n.err" | cut -c1-240)"
  else
    fail $n "rc=$RC without a clear reason: $(tail -2 "$TMP/$n.err" | tr '\n' ' ')"
  fi
fi

# 5. the device-bound program's data path (FEEDRX_TEST_NIC_NO_PHC: a test
# knob that skips the PTP clock): every message still arrives through the
# fast path; a frame the device did not stamp has no arrival stamp, never a
# bpf_ktime_get_ns one (veth has no hardware stamps: all of them)
if [[ $XDP_OK == 1 ]]; then
  n=nic_stamps_datapath
  FEEDRX_TEST_NIC_NO_PHC=1 rx $n --mode xdp --iface "$NETNS_RX_DEV" --xdp-mode native --nic-stamps
  if grep -q 'cannot attach XDP' "$TMP/$n.err"; then
    skip $n "the device-bound program did not attach: $(grep -m1 'feedrx:' "$TMP/$n.err" | cut -c1-200)"
  else
    got=$(json_field "$TMP/$n.json" '"%d %d %d %d %s" % (d["counters"]["msgs"], d["counters"]["fast"], d["counters"]["xdp"]["steered"], d["counters"]["xdp"]["nic_nostamp"], d["arrival_clock"])')
    rxc=$(json_field "$TMP/$n.json" 'd["stages"]["rx"]["count"]')
    read -r msgs fast steered nostamp clock <<<"$got"
    if [[ $RC -eq 0 && $msgs == 2000 && $fast -gt 0 && $clock == nic && $steered -gt 0 ]] &&
       { [[ $nostamp == "$steered" && $rxc == 0 ]] || [[ $nostamp -lt $steered && $rxc -gt 0 ]]; } &&
       grep -q 'fx_xdp_nic' "$TMP/$n.err"; then
      pass "$n (steered $steered, unstamped $nostamp, arrivals measured $rxc)"
    else
      fail $n "rc=$RC; msgs/fast/steered/nostamp/clock: ${got:-no JSON}; rx count ${rxc:-?}; $(tail -1 "$TMP/$n.err")"
    fi
  fi
fi
