#!/usr/bin/env bash
# demo.sh — the embedded default: feedsim (a local exchange) in one network
# namespace, feedrx in another, joined by veth; decoded messages and live
# latency on screen. Runs DEMO_SECONDS (default 20) or until Ctrl-C, then
# tears everything down.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}; [[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
SECS=${DEMO_SECONDS:-20}
RATE=${DEMO_RATE:-50}
MODE=${DEMO_MODE:-auto}
source "$ROOT/scripts/netns.sh"

[[ $(id -u) -eq 0 ]] || { echo "demo: run as root (network namespaces, XDP)" >&2; exit 1; }
bash "$ROOT/scripts/certs.sh" "$BUILD/certs" || exit 1
netns_up || { echo "demo: cannot create network namespaces" >&2; exit 1; }
echo "demo: namespaces $NS_EX (feedsim $NETNS_EX_IP4:9443) and $NS_RX (feedrx); ${SECS}s at ${RATE} msgs/s" >&2

ip netns exec "$NS_EX" "$BUILD/feedsim" --listen "$NETNS_EX_IP4:9443" --cert "$BUILD/certs/server.pem" \
  --key "$BUILD/certs/server.key" --rate "$RATE" --seed 1 &
netns_track $!
wait_listen "$NS_EX" 9443 || { echo "demo: feedsim did not start" >&2; exit 1; }

URL="wss://$NETNS_EX_IP4:9443/stream?streams=btcusdt@trade/btcusdt@bookTicker/ethusdt@trade/btcusdt@depth@100ms"
ip netns exec "$NS_RX" timeout --foreground -s INT "$SECS" "$BUILD/feedrx" --mode "$MODE" --cafile "$BUILD/certs/ca.pem" \
  --output pretty --stats "$URL" &
rx=$!
netns_track "$rx"
wait "$rx"
rc=$?
[[ $rc -eq 124 || $rc -eq 130 ]] && rc=0
exit "$rc"
