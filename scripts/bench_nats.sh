#!/usr/bin/env bash
# bench_nats.sh — NATS sink throughput with three subscribers: in a network
# namespace of its own, a nats-server on 127.0.0.1, three libnats
# subscribers (tests/tool_nats_sub) on feedrx.>, and the producer
# (tests/tool_events: synthesized events through the NATS sink) flat out.
# Prints the producer's rate, what each subscriber received and at what
# rate, and the sink's drop summary. Asserts nothing. Run by `make bench`;
# alone: sudo BUILD=build bash scripts/bench_nats.sh [N] [json|flat] [RATE/s]
# Flat out, the producer outruns the server: the bounded buffer drops (as
# designed) and the subscribers' rate is the throughput; a RATE at or below
# it runs lossless.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}; [[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
N=${1:-${BENCH_NATS_COUNT:-1000000}}
FMT=${2:-json}
RATE=${3:-${BENCH_NATS_RATE:-0}} # events/s, 0 = flat out (past what the server takes: drops)
TOOL=$BUILD/tests/tool_events SUB=$BUILD/tests/tool_nats_sub
NATS_SERVER=$(command -v nats-server || echo /usr/sbin/nats-server)
for f in "$TOOL" "$SUB" "$NATS_SERVER"; do [[ -x $f ]] || { echo "bench_nats: missing $f"; exit 1; }; done
[[ $(id -u) -eq 0 ]] || { echo "bench_nats: run as root (a network namespace)"; exit 1; }
NS=fxbnats-$$ TMP=$(mktemp -d) PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; ip netns del $NS 2>/dev/null; rm -rf "$TMP"' EXIT
ip netns add $NS && ip -n $NS link set lo up || exit 1
PORT=4222 URL=nats://127.0.0.1:4222
ip netns exec $NS "$NATS_SERVER" -a 127.0.0.1 -p $PORT >"$TMP/nats.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do ip netns exec $NS bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null && break; sleep 0.1; done
SUBS=()
for i in 1 2 3; do
  ip netns exec $NS "$SUB" $URL "$N" 10 >"$TMP/sub$i" 2>&1 & SUBS+=($!); PIDS+=($!)
done
for i in 1 2 3; do for _ in $(seq 100); do grep -q ready "$TMP/sub$i" && break; sleep 0.1; done; done
ip netns exec $NS "$TOOL" --nats $URL --nats-format "$FMT" --nats-buffer 67108864 --count "$N" --rate "$RATE" \
  2>"$TMP/prod"
for s in "${SUBS[@]}"; do wait "$s"; done
echo "bench_nats: $N events ($FMT, rate ${RATE/#0/flat out}), 3 subscribers, nats-server $("$NATS_SERVER" --version | awk '{print $2}')"
sed 's/^tool_events: /  producer: /' "$TMP/prod"
for i in 1 2 3; do
  awk -v i=$i '/^received/ { printf "  subscriber %d: %s events in %s s = %.0f events/s (dups %s, gaps %s)\n", i, $2, $14, ($14 > 0 ? $2 / $14 : 0), $8, $10 }' "$TMP/sub$i"
done
