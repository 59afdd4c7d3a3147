#!/usr/bin/env bash
# netns.sh — the test bed: two network namespaces joined by a veth pair.
#
#   exchange side  NS_EX  dev veth-ex  198.18.0.1/24  fd00:fee0::1/64
#   receiver side  NS_RX  dev veth-rx  198.18.0.2/24  fd00:fee0::2/64
#
# 198.18.0.0/15 is the benchmarking range (RFC 2544) and fd00::/8 is
# unique-local: no address here routes anywhere outside these namespaces.
# Names carry a per-run suffix, so parallel runs don't collide.
#
# As a library:   source scripts/netns.sh; netns_up [queues]; ...; netns_down
#                 (netns_up installs an EXIT/INT/TERM trap that tears down)
# As a command:   scripts/netns.sh up [ID] [QUEUES] | down ID
#
# Offloads are turned off on the exchange side (DESIGN §5): otherwise the
# receiver sees partial checksums and oversized segments.

NETNS_EX_IP4=198.18.0.1
NETNS_RX_IP4=198.18.0.2
NETNS_EX_IP6=fd00:fee0::1
NETNS_RX_IP6=fd00:fee0::2
NETNS_EX_DEV=veth-ex
NETNS_RX_DEV=veth-rx

netns__names() {
  NETNS_ID=$1
  NS_EX=fx-$NETNS_ID-ex
  NS_RX=fx-$NETNS_ID-rx
}

# netns_create ID [QUEUES]: build the pair; returns non-zero on failure.
netns_create() {
  local q=${2:-1}
  netns__names "$1"
  ip netns add "$NS_EX" || return 1
  ip netns add "$NS_RX" || { ip netns del "$NS_EX"; return 1; }
  ip -n "$NS_EX" link add "$NETNS_EX_DEV" numtxqueues "$q" numrxqueues "$q" type veth \
     peer name "$NETNS_RX_DEV" netns "$NS_RX" numtxqueues "$q" numrxqueues "$q" || return 1
  local ns dev ip4 ip6
  for side in EX RX; do
    if [[ $side == EX ]]; then ns=$NS_EX dev=$NETNS_EX_DEV ip4=$NETNS_EX_IP4 ip6=$NETNS_EX_IP6
    else ns=$NS_RX dev=$NETNS_RX_DEV ip4=$NETNS_RX_IP4 ip6=$NETNS_RX_IP6; fi
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$ip4/24" dev "$dev"
    ip -n "$ns" addr add "$ip6/64" dev "$dev" nodad
    ip -n "$ns" link set "$dev" up
  done
  ip netns exec "$NS_EX" ethtool -K "$NETNS_EX_DEV" tx off tso off gso off >/dev/null 2>&1 || true
  ip netns exec "$NS_RX" ethtool -K "$NETNS_RX_DEV" gro off >/dev/null 2>&1 || true
  # wait until the link carries traffic both ways
  local i
  for i in $(seq 50); do
    ip netns exec "$NS_RX" ping -c1 -W1 -q "$NETNS_EX_IP4" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "netns: link $NS_EX <-> $NS_RX did not come up" >&2
  return 1
}

# netns_destroy ID: remove both namespaces (their veth ends go with them).
netns_destroy() {
  netns__names "$1"
  ip netns del "$NS_EX" 2>/dev/null
  ip netns del "$NS_RX" 2>/dev/null
  return 0
}

# Processes started by a test: killed by PID at teardown.
NETNS_PIDS=()
netns_track() { NETNS_PIDS+=("$@"); }

netns__teardown() {
  local p
  for p in "${NETNS_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${NETNS_PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  NETNS_PIDS=()
  [[ -n ${NETNS_ID:-} ]] && netns_destroy "$NETNS_ID"
}

# netns_up [QUEUES]: create with a fresh ID and tear down on any exit.
netns_up() {
  local id
  id=$(printf '%x%04x' $$ $((RANDOM)))
  trap 'netns__teardown' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  netns_create "$id" "${1:-1}"
}

# Run in a namespace: in_ex CMD..., in_rx CMD...
in_ex() { ip netns exec "$NS_EX" "$@"; }
in_rx() { ip netns exec "$NS_RX" "$@"; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  case ${1:-} in
    up)   id=${2:-$(printf '%x%04x' $$ $((RANDOM)))}
          netns_create "$id" "${3:-1}" || { netns_destroy "$id"; exit 1; }
          echo "NETNS_ID=$id NS_EX=$NS_EX NS_RX=$NS_RX" ;;
    down) [[ -n ${2:-} ]] || { echo "usage: $0 down ID" >&2; exit 2; }
          netns_destroy "$2" ;;
    *)    echo "usage: $0 up [ID] [QUEUES] | down ID" >&2; exit 2 ;;
  esac
fi
