#!/usr/bin/env bash
# demo.sh — the embedded default: feedsim (a local exchange) in one network
# namespace, feedrx in another, joined by veth; decoded messages and live
# latency on screen. Runs DEMO_SECONDS (default 20, 0 = until Ctrl-C) or until
# Ctrl-C, then shows feedrx's summary and tears everything down.
#
# Signals: feedsim and feedrx run in sessions of their own, so a Ctrl-C (the
# terminal's SIGINT to its whole foreground group, make included) or make's
# SIGINT reaches only this script. It forwards one SIGINT to feedrx, which
# closes cleanly and prints its table, and waits for it; a second Ctrl-C is
# forwarded too (feedrx then stops at once, still printing its table).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}; [[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
SECS=${DEMO_SECONDS:-20}
RATE=${DEMO_RATE:-50}
MODE=${DEMO_MODE:-auto}
source "$ROOT/scripts/netns.sh"

[[ $(id -u) -eq 0 ]] || { echo "demo: run as root (network namespaces, XDP)" >&2; exit 1; }
[[ $SECS =~ ^[0-9]+$ ]] || { echo "demo: DEMO_SECONDS must be whole seconds, not '$SECS'" >&2; exit 2; }
bash "$ROOT/scripts/certs.sh" "$BUILD/certs" || exit 1
netns_up || { echo "demo: cannot create network namespaces" >&2; exit 1; }
echo "demo: namespaces $NS_EX (feedsim $NETNS_EX_IP4:9443) and $NS_RX (feedrx); ${SECS}s at ${RATE} msgs/s" >&2

# ip netns exec and setsid exec (a background job of a script is no group
# leader, so setsid does not fork): $! is the program's own PID.
ip netns exec "$NS_EX" setsid "$BUILD/feedsim" --listen "$NETNS_EX_IP4:9443" \
  --cert "$BUILD/certs/server.pem" --key "$BUILD/certs/server.key" --rate "$RATE" --seed 1 &
netns_track $!
wait_listen "$NS_EX" 9443 || { echo "demo: feedsim did not start" >&2; exit 1; }

URL="wss://$NETNS_EX_IP4:9443/stream?streams=btcusdt@trade/btcusdt@bookTicker/ethusdt@trade/btcusdt@depth@100ms"
ip netns exec "$NS_RX" setsid "$BUILD/feedrx" --mode "$MODE" --cafile "$BUILD/certs/ca.pem" \
  --output pretty --stats "$URL" &
rx=$!
netns_track "$rx"

# Replace netns_up's INT/TERM traps (exit at once, which kills feedrx before
# its table): forward the signal and keep waiting.
trap 'kill -INT "$rx" 2>/dev/null' INT TERM
timer=
if (( SECS > 0 )); then
  sleep "$SECS" &
  timer=$!
  netns_track "$timer"
fi
# wait -n returns when feedrx or the timer ends (-p names which), or early
# when a trapped signal arrives (the trap has forwarded it by then). The
# timer's end is a Ctrl-C of its own.
rc=
while [[ -z $rc ]]; do
  done_pid=
  wait -n -p done_pid "$rx" ${timer:+"$timer"}
  r=$?
  if [[ ${done_pid:-} == "$rx" ]]; then
    rc=$r
  elif [[ $r -eq 127 ]]; then
    rc=1 # nothing left to wait for: cannot happen, but never spin
  elif [[ -n ${done_pid:-} && ${done_pid:-} == "$timer" ]]; then
    timer=
    kill -INT "$rx" 2>/dev/null
  fi
done
[[ -n $timer ]] && kill "$timer" 2>/dev/null
[[ $rc -eq 130 ]] && rc=0
exit "$rc"
