#!/usr/bin/env bash
# netns.sh — the test bed: two network namespaces joined by a veth pair.
#
#   exchange side  NS_EX  dev veth-ex  198.18.0.1/24  fd00:fee0::1/64
#   receiver side  NS_RX  dev veth-rx  198.18.0.2/24  fd00:fee0::2/64
#
# or, with netns_create_faulty, the same two ends joined through a middle
# namespace NS_MID that forwards frames at L2 and injects faults on the wire
# (netns_fault: drop, dup, reorder, delay — see below):
#
#   NS_EX veth-ex ── mid-ex [NS_MID] mid-rx ── veth-rx NS_RX
#
# 198.18.0.0/15 is the benchmarking range (RFC 2544) and fd00::/8 is
# unique-local: no address here routes anywhere outside these namespaces.
# Names carry a per-run suffix, so parallel runs don't collide.
#
# As a library:   source scripts/netns.sh; netns_up [queues]; ...
#                 (netns_up installs an EXIT/INT/TERM trap that tears down;
#                 NETNS_TOPO=faulty makes it build the three-namespace bed).
#                 Start background processes as `ip netns exec "$NS_EX" cmd &`
#                 (not in_ex, a function: $! would be a subshell) and pass $!
#                 to netns_track, so teardown ends the process itself.
# As a command:   scripts/netns.sh up [ID] [QUEUES] | up-faulty [ID] [QUEUES] | down ID
#
# Offloads are turned off on the exchange side (docs/ARCHITECTURE.md §5): otherwise the
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
  NS_MID=fx-$NETNS_ID-mid   # exists only in the three-namespace bed
}

# Addresses on both ends, links up.
netns__addr_ends() {
  local side ns dev ip4 ip6
  for side in EX RX; do
    if [[ $side == EX ]]; then ns=$NS_EX dev=$NETNS_EX_DEV ip4=$NETNS_EX_IP4 ip6=$NETNS_EX_IP6
    else ns=$NS_RX dev=$NETNS_RX_DEV ip4=$NETNS_RX_IP4 ip6=$NETNS_RX_IP6; fi
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$ip4/24" dev "$dev"
    ip -n "$ns" addr add "$ip6/64" dev "$dev" nodad
    ip -n "$ns" link set "$dev" up
  done
}

# Wait until the link carries traffic both ways.
netns__wait_link() {
  local i
  for i in $(seq 50); do
    ip netns exec "$NS_RX" ping -c1 -W1 -q "$NETNS_EX_IP4" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "netns: link $NS_EX <-> $NS_RX did not come up" >&2
  return 1
}

# netns_create ID [QUEUES]: build the pair; returns non-zero on failure.
netns_create() {
  local q=${2:-1}
  netns__names "$1"
  ip netns add "$NS_EX" || return 1
  ip netns add "$NS_RX" || { ip netns del "$NS_EX"; return 1; }
  ip -n "$NS_EX" link add "$NETNS_EX_DEV" numtxqueues "$q" numrxqueues "$q" type veth \
     peer name "$NETNS_RX_DEV" netns "$NS_RX" numtxqueues "$q" numrxqueues "$q" || return 1
  netns__addr_ends
  ip netns exec "$NS_EX" ethtool -K "$NETNS_EX_DEV" tx off tso off gso off >/dev/null 2>&1 || true
  ip netns exec "$NS_RX" ethtool -K "$NETNS_RX_DEV" gro off >/dev/null 2>&1 || true
  netns__wait_link
}

# netns_destroy ID: remove the namespaces (their veth ends go with them).
netns_destroy() {
  netns__names "$1"
  ip netns del "$NS_EX" 2>/dev/null
  ip netns del "$NS_RX" 2>/dev/null
  ip netns del "$NS_MID" 2>/dev/null
  return 0
}

# ---- The three-namespace bed --------------------------------------------------
#
#   NS_EX veth-ex ── mid-ex [NS_MID] mid-rx ── veth-rx NS_RX
#                           mid-hp ── mid-hq   (the "hold" pair)
#
# NS_MID has no addresses and no IPv6: nftables netdev ingress chains forward
# every frame from mid-ex to mid-rx and back (`fwd to`), so the ends see one L2
# link with the same addresses and device names as the two-namespace bed.
# Faults are applied there, on the wire (docs/ARCHITECTURE.md §5): a loss in the sender's own
# stack is reported back to its TCP and proves nothing. To delay or reorder,
# the ex->rx chain forwards into mid-hp instead; tool_fwd_reorder reads the
# frames on mid-hq (AF_PACKET taps see them before the chain there drops them),
# holds some back and sends them back out of mid-hq; the chain on mid-hp
# forwards what it sends to mid-rx.
#
# A veth hands each frame to the backlog of the CPU that sent it, so two
# frames sent from different CPUs can overtake each other: seen here as
# spurious retransmissions in 1 of 30 clean 4 MB transfers on the pair bed.
# The middle steers everything it receives to CPU 0 (RPS), so a frame leaves
# it in the order it arrived, and every out-of-order arrival at the receiver
# is an injected one. The price: that one backlog holds netdev_max_backlog
# frames (1000), and a flow with more in flight than that can lose frames in
# the middle without any fault; a test that asserts "no loss" bounds its
# window (a 256 KB receive buffer is plenty).
NETNS_MID_EX_DEV=mid-ex
NETNS_MID_RX_DEV=mid-rx
NETNS_MID_HOLD_DEV=mid-hp
NETNS_MID_TOOL_DEV=mid-hq
NETNS_NFT_TABLE=fxfault
NETNS__ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# netns_create_faulty ID [QUEUES]: build the three namespaces; non-zero on failure
# (then call netns_destroy ID, as for netns_create).
netns_create_faulty() {
  local q=${2:-1} d
  netns__names "$1"
  netns__fault_reset
  ip netns add "$NS_EX" || return 1
  ip netns add "$NS_MID" || { ip netns del "$NS_EX"; return 1; }
  ip netns add "$NS_RX" || { ip netns del "$NS_EX"; ip netns del "$NS_MID"; return 1; }
  # no IPv6 in the middle: its devices must not talk (router solicitations, MLD)
  ip netns exec "$NS_MID" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
     net.ipv6.conf.default.disable_ipv6=1 || return 1
  ip -n "$NS_EX" link add "$NETNS_EX_DEV" numtxqueues "$q" numrxqueues "$q" type veth \
     peer name "$NETNS_MID_EX_DEV" netns "$NS_MID" numtxqueues "$q" numrxqueues "$q" || return 1
  ip -n "$NS_RX" link add "$NETNS_RX_DEV" numtxqueues "$q" numrxqueues "$q" type veth \
     peer name "$NETNS_MID_RX_DEV" netns "$NS_MID" numtxqueues "$q" numrxqueues "$q" || return 1
  ip -n "$NS_MID" link add "$NETNS_MID_HOLD_DEV" type veth peer name "$NETNS_MID_TOOL_DEV" || return 1
  ip -n "$NS_MID" link set lo up
  for d in "$NETNS_MID_EX_DEV" "$NETNS_MID_RX_DEV" "$NETNS_MID_HOLD_DEV" "$NETNS_MID_TOOL_DEV"; do
    ip -n "$NS_MID" link set "$d" up || return 1
    # software checksums and segmentation: frames leave the middle MTU-sized
    # with full checksums whatever the ends do
    ip netns exec "$NS_MID" ethtool -K "$d" tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip netns exec "$NS_MID" sh -c "for f in /sys/class/net/$d/queues/rx-*/rps_cpus; do echo 1 >\$f; done" ||
      return 1
  done
  ip netns exec "$NS_MID" nft -f - <<NFT || return 1
table netdev $NETNS_NFT_TABLE {
  counter pass_ex {}
  counter pass_rx {}
  counter drop_ex {}
  counter drop_rx {}
  counter dup_ex {}
  counter dup_rx {}
  counter tool_ex {}
  chain from_ex { type filter hook ingress device "$NETNS_MID_EX_DEV" priority 0; policy accept; }
  chain from_rx { type filter hook ingress device "$NETNS_MID_RX_DEV" priority 0; policy accept; }
  chain to_tool { type filter hook ingress device "$NETNS_MID_TOOL_DEV" priority 0; policy drop; }
  chain from_tool { type filter hook ingress device "$NETNS_MID_HOLD_DEV" priority 0; policy accept;
    counter name tool_ex fwd to "$NETNS_MID_RX_DEV"
  }
}
NFT
  netns__fault_apply || return 1
  netns__addr_ends
  ip netns exec "$NS_EX" ethtool -K "$NETNS_EX_DEV" tx off tso off gso off >/dev/null 2>&1 || true
  ip netns exec "$NS_RX" ethtool -K "$NETNS_RX_DEV" gro off >/dev/null 2>&1 || true
  netns__wait_link || return 1
  # IPv6 also waits for the ends' operstate, which linkwatch may report up to
  # a second late after this many link changes: wait for it too.
  local i
  for i in $(seq 50); do
    ip netns exec "$NS_RX" ping -6 -c1 -W1 -q "$NETNS_EX_IP6" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "netns: IPv6 link $NS_EX <-> $NS_RX did not come up" >&2
  return 1
}

# in_mid CMD...: run in the middle namespace.
in_mid() { ip netns exec "$NS_MID" "$@"; }

# ---- Faults (three-namespace bed only) ----------------------------------------
#
# netns_fault drop N [DIR]   drop N per mille of the frames
# netns_fault dup N [DIR]    send N per mille of the frames twice
#     DIR: ex = exchange->receiver (default), rx = receiver->exchange, both
# netns_fault reorder N [HOLD_FRAMES [HOLD_MS]]
#                            hold back N per mille of the exchange->receiver
#                            frames until HOLD_FRAMES (3) later frames have
#                            passed or HOLD_MS (2) ms have elapsed
# netns_fault delay MS       hold every exchange->receiver frame MS ms
#                            (at most 4096 frames in flight: beyond, earlier)
# netns_fault clear          no faults
# N=0 turns one knob off. Drop and dup combine with each other and with
# reorder or delay (they act first); reorder and delay replace each other.
# The reorder choice is deterministic: seed $NETNS_FAULT_SEED (default 1).
# Each call changes the forwarding rules in one nftables transaction, so it is
# safe while traffic flows. Returns non-zero (and says why) on bad arguments
# or failure.
#
# netns_fault_stats prints "name packets" lines: the nftables counters
# pass_ex/pass_rx (frames forwarded, not counting dropped ones or extra
# copies), drop_ex/drop_rx, dup_ex/dup_rx (extra copies sent) and tool_ex
# (frames the reorder tool sent on), cumulative since the bed was made; then,
# once reorder or delay has run, the tool's latest "fwd_reorder: frames=...
# held=..." line.

netns__fault_reset() {
  NETNS_FAULT_DROP_EX=0 NETNS_FAULT_DROP_RX=0 NETNS_FAULT_DUP_EX=0 NETNS_FAULT_DUP_RX=0
  NETNS_FAULT_TOOL_PID='' NETNS_FAULT_TOOL_LOG='' NETNS_FAULT_TOOL_STATS=''
}
netns__fault_reset

# Rewrite the forwarding chains from the knobs, atomically.
netns__fault_apply() {
  local t=$NETNS_NFT_TABLE out_ex=$NETNS_MID_RX_DEV
  [[ -n $NETNS_FAULT_TOOL_PID ]] && out_ex=$NETNS_MID_HOLD_DEV
  {
    echo "flush chain netdev $t from_ex"
    echo "flush chain netdev $t from_rx"
    if ((NETNS_FAULT_DROP_EX)); then
      echo "add rule netdev $t from_ex numgen random mod 1000 < $NETNS_FAULT_DROP_EX counter name drop_ex drop"
    fi
    if ((NETNS_FAULT_DUP_EX)); then
      echo "add rule netdev $t from_ex numgen random mod 1000 < $NETNS_FAULT_DUP_EX counter name dup_ex dup to \"$out_ex\""
    fi
    echo "add rule netdev $t from_ex counter name pass_ex fwd to \"$out_ex\""
    if ((NETNS_FAULT_DROP_RX)); then
      echo "add rule netdev $t from_rx numgen random mod 1000 < $NETNS_FAULT_DROP_RX counter name drop_rx drop"
    fi
    if ((NETNS_FAULT_DUP_RX)); then
      echo "add rule netdev $t from_rx numgen random mod 1000 < $NETNS_FAULT_DUP_RX counter name dup_rx dup to \"$NETNS_MID_EX_DEV\""
    fi
    echo "add rule netdev $t from_rx counter name pass_rx fwd to \"$NETNS_MID_EX_DEV\""
  } | ip netns exec "$NS_MID" nft -f -
}

netns__fwd_reorder_bin() {
  if [[ -n ${NETNS_FWD_REORDER:-} ]]; then echo "$NETNS_FWD_REORDER"; return; fi
  local b=${BUILD:-build}
  [[ $b == /* ]] || b=$NETNS__ROOT/$b
  echo "$b/tests/tool_fwd_reorder"
}

netns__untrack() {
  local p keep=()
  for p in "${NETNS_PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  NETNS_PIDS=("${keep[@]}")
}

# Stop the reorder tool: frames go straight to mid-rx first, then the tool
# sends what it holds and exits. Keeps its last stats line.
netns__fault_tool_stop() {
  local pid=$NETNS_FAULT_TOOL_PID i rc=0 alive=1 st
  [[ -n $pid ]] || return 0
  NETNS_FAULT_TOOL_PID=
  netns__fault_apply || rc=1
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || { alive=0; break; }
    [[ $(ps -o stat= -p "$pid" 2>/dev/null) == Z* ]] && { alive=0; break; }
    sleep 0.1
  done
  if ((alive)); then
    echo "netns: reorder tool ignored SIGTERM; killed" >&2
    kill -KILL "$pid" 2>/dev/null
    rc=1
  fi
  wait "$pid" 2>/dev/null
  st=$?  # 127: not a child of this shell, status unknown
  if ((st != 0 && st != 127)); then echo "netns: reorder tool exited with $st" >&2; rc=1; fi
  netns__untrack "$pid"
  NETNS_FAULT_TOOL_STATS=$(grep '^fwd_reorder:' "$NETNS_FAULT_TOOL_LOG" 2>/dev/null | tail -n1)
  [[ -n $NETNS_FAULT_TOOL_STATS ]] || { echo "netns: reorder tool left no stats" >&2; rc=1; }
  rm -f "$NETNS_FAULT_TOOL_LOG"
  NETNS_FAULT_TOOL_LOG=
  return $rc
}

# netns__fault_tool_start PERMILLE [TOOL OPTIONS]: start the reorder tool,
# then steer the ex->rx frames through it.
netns__fault_tool_start() {
  local bin pid permille=$1
  shift
  bin=$(netns__fwd_reorder_bin)
  [[ -x $bin ]] || { echo "netns: $bin not built (make)" >&2; return 1; }
  NETNS_FAULT_TOOL_LOG=$(mktemp /tmp/feedrx-fwd.XXXXXX) || return 1
  # a simple command in the background: $! is the tool itself (ip execs it)
  ip netns exec "$NS_MID" "$bin" "$@" "$NETNS_MID_TOOL_DEV" "$NETNS_MID_TOOL_DEV" "$permille" \
     >"$NETNS_FAULT_TOOL_LOG" 2>&1 &
  pid=$!
  netns_track "$pid"
  NETNS_FAULT_TOOL_PID=$pid
  for _ in $(seq 100); do
    grep -q '^ready' "$NETNS_FAULT_TOOL_LOG" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if ! grep -q '^ready' "$NETNS_FAULT_TOOL_LOG"; then
    echo "netns: reorder tool did not start: $(head -c 300 "$NETNS_FAULT_TOOL_LOG")" >&2
    netns__fault_tool_stop
    return 1
  fi
  netns__fault_apply
}

netns__permille() {
  [[ $1 =~ ^[0-9]+$ ]] && (( 10#$1 <= 1000 )) && return 0
  echo "netns: $2: want a per-mille value 0..1000, got '$1'" >&2
  return 1
}

netns_fault() {
  local knob=${1:-} n=${2:-} dir=${3:-ex}
  if [[ -z ${NETNS_ID:-} ]] || ! ip netns exec "$NS_MID" true 2>/dev/null; then
    echo "netns: netns_fault needs the three-namespace bed (netns_create_faulty)" >&2
    return 1
  fi
  case $knob in
    drop|dup)
      netns__permille "$n" "$knob" || return 1
      n=$((10#$n))
      local v=NETNS_FAULT_${knob^^}
      case $dir in
        ex)   printf -v "${v}_EX" %d "$n" ;;
        rx)   printf -v "${v}_RX" %d "$n" ;;
        both) printf -v "${v}_EX" %d "$n"; printf -v "${v}_RX" %d "$n" ;;
        *)    echo "netns: direction is ex, rx or both, not '$dir'" >&2; return 1 ;;
      esac
      netns__fault_apply ;;
    reorder)
      netns__permille "$n" reorder || return 1
      local hf=${3:-3} hm=${4:-2}
      [[ $hf =~ ^[0-9]+$ && $hm =~ ^[0-9]+$ ]] || { echo "netns: reorder N [HOLD_FRAMES [HOLD_MS]]" >&2; return 1; }
      netns__fault_tool_stop || return 1
      ((10#$n)) || return 0
      netns__fault_tool_start "$((10#$n))" -n "$hf" -t "$hm" -s "${NETNS_FAULT_SEED:-1}" ;;
    delay)
      if ! [[ $n =~ ^[0-9]+$ ]] || ((10#$n > 10000)); then
        echo "netns: delay MS (0..10000)" >&2; return 1
      fi
      netns__fault_tool_stop || return 1
      ((10#$n)) || return 0
      netns__fault_tool_start 1000 -n 4294967295 -t "$((10#$n))" -c 4096 ;;
    clear)
      NETNS_FAULT_DROP_EX=0 NETNS_FAULT_DROP_RX=0 NETNS_FAULT_DUP_EX=0 NETNS_FAULT_DUP_RX=0
      netns__fault_tool_stop || return 1
      netns__fault_apply ;;
    *)
      echo "netns: netns_fault drop|dup N [ex|rx|both] | reorder N [FRAMES [MS]] | delay MS | clear" >&2
      return 1 ;;
  esac
}

netns_fault_stats() {
  local c
  for c in pass_ex pass_rx drop_ex drop_rx dup_ex dup_rx tool_ex; do
    ip netns exec "$NS_MID" nft list counter netdev "$NETNS_NFT_TABLE" "$c" |
      awk -v c="$c" '$1 == "packets" { print c, $2 }'
  done
  if [[ -n $NETNS_FAULT_TOOL_PID ]]; then
    kill -USR1 "$NETNS_FAULT_TOOL_PID" 2>/dev/null && sleep 0.1
    grep '^fwd_reorder:' "$NETNS_FAULT_TOOL_LOG" | tail -n1
  elif [[ -n $NETNS_FAULT_TOOL_STATS ]]; then
    echo "$NETNS_FAULT_TOOL_STATS"
  fi
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
  [[ -n ${NETNS_FAULT_TOOL_LOG:-} ]] && rm -f "$NETNS_FAULT_TOOL_LOG"
  netns__fault_reset
  [[ -n ${NETNS_ID:-} ]] && netns_destroy "$NETNS_ID"
}

# netns_up [QUEUES]: create with a fresh ID and tear down on any exit.
# NETNS_TOPO=faulty builds the three-namespace bed instead.
netns_up() {
  local id
  id=$(printf '%x%04x' $$ $((RANDOM)))
  trap 'netns__teardown' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if [[ ${NETNS_TOPO:-pair} == faulty ]]; then
    netns_create_faulty "$id" "${1:-1}"
  else
    netns_create "$id" "${1:-1}"
  fi
}

# wait_listen NS PORT: wait up to 5 s for a TCP listener on PORT inside NS.
wait_listen() {
  local i
  for i in $(seq 100); do
    ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q . && return 0
    sleep 0.05
  done
  return 1
}

# Run in a namespace: in_ex CMD..., in_rx CMD...
in_ex() { ip netns exec "$NS_EX" "$@"; }
in_rx() { ip netns exec "$NS_RX" "$@"; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  case ${1:-} in
    up)   id=${2:-$(printf '%x%04x' $$ $((RANDOM)))}
          netns_create "$id" "${3:-1}" || { netns_destroy "$id"; exit 1; }
          echo "NETNS_ID=$id NS_EX=$NS_EX NS_RX=$NS_RX" ;;
    up-faulty)
          id=${2:-$(printf '%x%04x' $$ $((RANDOM)))}
          netns_create_faulty "$id" "${3:-1}" || { netns_destroy "$id"; exit 1; }
          echo "NETNS_ID=$id NS_EX=$NS_EX NS_MID=$NS_MID NS_RX=$NS_RX" ;;
    down) [[ -n ${2:-} ]] || { echo "usage: $0 down ID" >&2; exit 2; }
          netns_destroy "$2" ;;
    *)    echo "usage: $0 up [ID] [QUEUES] | up-faulty [ID] [QUEUES] | down ID" >&2; exit 2 ;;
  esac
fi
