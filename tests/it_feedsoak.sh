#!/usr/bin/env bash
# it_feedsoak — the connection set's whole promise in one long run per mode
# (kernel, then xdp): a million messages (FEEDSOAK_COUNT; 200,000 on a
# sanitizer build) over A/B legs of three connections each, from two feedsim
# --market instances with one seed and epoch (leg B 30 ms late), while
# feedsim cuts connections at random (FIN, RST, silent stall; each leg its
# own --cut-seed, as two network paths fail apart), ends every
# connection at --max-age after a serverShutdown notice, and leg B is killed
# (SIGKILL) halfway. Then, per stream:
#   - tests/check_feed.py against both instances' --truth: no loss (nothing
#     a connection was written and ended cleanly is missing), no duplicate,
#     no id the market never published; what is missing is a real gap (no
#     connection of either leg was written it) or died in flight with a RST;
#   - tests/feedset_check.py: every hole in the delivered ids is a gap feedrx
#     reported once, with its range, and no gap was reported that is not one.
# Also: the cuts, rotations, shutdown notices and the leg kill happened, the
# fast path delivered in xdp mode, and nothing is left attached or running.
# The figures (messages, cuts, rotations, notices, gaps real vs reported, A/B
# lead) go to stderr as "# soak_<mode>: ..." lines.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
NAME=feedsoak
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
it_setup $NAME
PY=/usr/bin/python3
V4=$NETNS_EX_IP4
if [[ $BUILD == *san* ]]; then COUNT=${FEEDSOAK_COUNT:-200000} RATE=${FEEDSOAK_RATE:-8000}
else COUNT=${FEEDSOAK_COUNT:-1000000} RATE=${FEEDSOAK_RATE:-25000}; fi
LIMIT=${FEEDSOAK_LIMIT:-240}
# every stream kind with an id; @trade on symbols without @aggTrade (the
# market's aggTrade takes trade ids, so a symbol with both has no contiguous t)
STREAMS=${FEEDSOAK_STREAMS:-btcusdt@trade,ethusdt@aggTrade,bnbusdt@depth,solusdt@bookTicker,xrpusdt@depth@100ms,adausdt@aggTrade}
SIM_ARGS=(--market --symbols "$STREAMS" --rate "$RATE" --seed 21 --cut-random "${FEEDSOAK_CUT:-0.12}"
  --cut-with mix --max-age "${FEEDSOAK_AGE:-6}" --shutdown-notice 1 --ping-interval 1 -v)
want() { [[ -z ${FEEDSOAK_ONLY:-} || " $FEEDSOAK_ONLY " == *" $1 "* ]]; }

# soak MODE PORT: one run; PASS/FAIL/SKIP soak_MODE
soak() {
  local mode=$1 port=$2 n=soak_$1 epoch a b p i lines killed=0 mode_args=()
  epoch=$(( $(date +%s) * 1000 ))
  ip netns exec "$NS_EX" "$FEEDSIM" --listen "$V4:$port" --truth "$TMP/$n.a.truth" \
    --epoch-ms "$epoch" "${SIM_ARGS[@]}" 2>"$TMP/$n.a.err" &
  a=$!; netns_track $a
  ip netns exec "$NS_EX" "$FEEDSIM" --listen "$V4:$((port + 1))" --truth "$TMP/$n.b.truth" \
    --epoch-ms "$epoch" --delay-ms 30 "${SIM_ARGS[@]}" --cut-seed 22 2>"$TMP/$n.b.err" &
  b=$!; netns_track $b
  if ! wait_listen "$NS_EX" "$port" || ! wait_listen "$NS_EX" "$((port + 1))"; then
    fail $n "feedsim did not start: $(head -c 300 "$TMP/$n.a.err" "$TMP/$n.b.err")"
    kill $a $b 2>/dev/null; wait $a $b 2>/dev/null; return
  fi
  [[ $mode == xdp ]] && mode_args=(--iface "$NETNS_RX_DEV")
  ip netns exec "$NS_RX" "$FEEDRX" --mode "$mode" "${mode_args[@]}" --cafile "$CERTS/ca.pem" \
    --output raw --stats-json "$TMP/$n.json" --subscribe "$STREAMS" --streams-per-conn 2 \
    --redundant 2 --leg-b "wss://$V4:$((port + 1))/stream" --reconnect-min 0.05 \
    --reconnect-max 0.5 --idle-timeout 2 --stale 1 --count "$COUNT" \
    "wss://$V4:$port/stream" >"$TMP/$n.out" 2>"$TMP/$n.err" &
  p=$!; netns_track $p
  for ((i = 0; i < LIMIT * 5; i++)); do
    kill -0 $p 2>/dev/null || break
    if [[ $killed -eq 0 ]]; then
      lines=$(wc -l <"$TMP/$n.out")
      if [[ $lines -ge $(( COUNT / 2 )) ]]; then
        kill -KILL $b; wait $b 2>/dev/null; killed=1
        echo "# $n: leg B's feedsim killed after $lines messages" >&2
      fi
    fi
    sleep 0.2
  done
  kill -INT $p 2>/dev/null; wait $p; local rc=$?
  [[ $killed -eq 0 ]] && { kill -KILL $b 2>/dev/null; wait $b 2>/dev/null; }
  kill -TERM $a 2>/dev/null; wait $a 2>/dev/null
  local left
  left=$(ip -n "$NS_RX" -d link show "$NETNS_RX_DEV" | grep -c 'prog/xdp')
  if [[ $mode == xdp ]] && grep -q 'mode xdp:' "$TMP/$n.err"; then
    skip $n "no XDP here: $(grep -m1 'mode xdp:' "$TMP/$n.err")"; return
  fi
  if [[ $rc -ne 0 ]]; then fail $n "feedrx exit $rc: $(tail -c 400 "$TMP/$n.err")"; return; fi
  if ! $PY "$ROOT/tests/check_feed.py" --since-first --truth "$TMP/$n.a.truth" --truth "$TMP/$n.b.truth" \
       --json "$TMP/$n.truth.json" "$TMP/$n.out" >"$TMP/$n.truth.txt" 2>&1; then
    fail $n "check_feed: $(grep -E 'loss|duplicate|unknown|total|check_feed' "$TMP/$n.truth.txt" | head -5 | tr '\n' '|')"
    return
  fi
  if ! $PY "$ROOT/tests/feedset_check.py" "$TMP/$n.out" "$TMP/$n.json" --min "$COUNT" --err "$TMP/$n.err" \
       >"$TMP/$n.check" 2>&1; then
    fail $n "$(tr '\n' ' ' <"$TMP/$n.check" | head -c 600)"; return
  fi
  # the figures; the faults must have happened
  local cuts notices rot rec legs real unc found gaps fast msgs
  cuts=$(cat "$TMP/$n.a.err" "$TMP/$n.b.err" | grep -c ': cut ')
  notices=$(json_get $n 'j["feeds"]["shutdown_notices"]')
  rot=$(json_get $n 'j["feeds"]["rotations"]')
  rec=$(json_get $n 'j["feeds"]["reconnects"]')
  gaps=$(json_get $n 'j["feeds"]["gap_count"]')
  msgs=$(json_get $n 'j["counters"]["msgs"]')
  fast=$(json_get $n 'j["counters"].get("fast", 0)')
  legs=$(json_get $n '" ".join("%s won %d second %d lead p50/p90/p99 %.0f/%.0f/%.0f us" % (l["leg"], l["won"], l["second"], l["lead_us"]["p50"], l["lead_us"]["p90"], l["lead_us"]["p99"]) for l in j["feeds"]["legs"])')
  real=$($PY -c "import json,sys; t=json.load(open(sys.argv[1]))['streams']; ch={k: s for k, s in t.items() if not k.endswith('@bookTicker')}; print('%d (%d on chained streams)' % (sum(len(s['real_gaps']) for s in t.values()), sum(len(s['real_gaps']) for s in ch.values())), sum(len(s['uncertain']) for s in t.values()), sum(len(s['superseded']) for s in t.values()))" "$TMP/$n.truth.json")
  echo "# $n: $msgs messages ($fast by the fast path), $cuts cuts, $notices shutdown notices, $rot rotations, $rec reconnects, leg B killed $killed; gaps reported $gaps, real-gap runs/in-flight (RST) runs/bookTicker runs superseded after a gap $real; legs: $legs" >&2
  echo "# $n: $(head -1 "$TMP/$n.check")" >&2
  local why=()
  [[ $killed -eq 1 ]] || why+=("leg B never killed (fewer than $((COUNT / 2)) messages)")
  grep -q 'slot [0-9]* B.*lost' "$TMP/$n.err" || why+=("feedrx never reported leg B lost")
  [[ $cuts -ge 4 ]] || why+=("only $cuts cuts")
  [[ $notices -ge 2 && $rot -ge 2 ]] || why+=("notices $notices, rotations $rot (want >= 2 each)")
  [[ $mode != xdp || $fast -gt 0 ]] || why+=("no message delivered by the fast path")
  [[ $left -eq 0 ]] || why+=("an XDP program left attached")
  if [[ ${#why[@]} -eq 0 ]]; then pass $n; else fail $n "${why[*]}"; fi
}

json_get() { $PY -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$TMP/$1.json"; }

want kernel && soak kernel 9620
want xdp && soak xdp 9630
exit 0
