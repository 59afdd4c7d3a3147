#!/usr/bin/env bash
# it_book_rest — Binance books from REST snapshots (user/feed/book_rest.c)
# against feedsim --market across the namespace veth pair: feedrx --output
# jsonl --rest-url https://<feedsim> (no --book-from-stream) fetches each
# symbol's snapshot over HTTP/2 (or HTTP/1.1 with --rest-http1) from the
# market's true book while its diffs are buffered, then:
# - tests/check_books.py: at every --book-dump checkpoint a synced book
#   reaches, it equals feedsim's true book level for level;
# - tests/check_book_gaps.py: no synced book ever skips an id, every diff
#   feedsim dropped (--drop-diff) lies in a reported book_invalid gap or
#   where the book was not synced, and every invalid book was resynced;
# - faults: --snapshot-delay-ms (diffs buffered meanwhile), --snapshot-stale
#   (a snapshot older than the buffer is fetched again), --rest-429 (the
#   Retry-After is waited out, then synced), USD-M over /fapi/v1/depth;
# - scale: BOOK_REST_SYMBOLS (100) symbols' depth streams flat out until
#   BOOK_REST_DIFFS (default 1000000) diffs, with gaps injected.
# BOOK_REST_CASES=REGEX runs only the cases whose name matches;
# BOOK_REST_KEEP=DIR keeps a failing case's files there.
# Kernel mode, and one case in XDP mode (SKIP where XDP is unavailable).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
NAME=book_rest
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
PY=/usr/bin/python3
[[ -x $PY ]] || { skip $NAME "no python3"; exit 0; }
it_setup $NAME

V4=$NETNS_EX_IP4
PORT=9700
SIM=

# sim NAME SIM-ARGS...: a market with truth and checkpoints
sim() {
  local n=$1; shift
  PORT=$((PORT + 1))
  mkdir -p "$TMP/$n.books"
  ip netns exec "$NS_EX" "$FEEDSIM" --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --listen "$V4:$PORT" --market --ping-interval 0 --truth "$TMP/$n.truth" \
    --book-dump "$TMP/$n.books" "$@" >"$TMP/$n.sim.out" 2>"$TMP/$n.sim.err" &
  SIM=$!
  netns_track $SIM
  wait_listen "$NS_EX" "$PORT" || { fail "$n" "feedsim did not listen on $PORT"; return 1; }
}

# streams N KIND: s000usdt@KIND/s001usdt@KIND/...
streams() { local i s=; for ((i = 0; i < $1; i++)); do s+=$(printf 's%03dusdt@%s/' $i "$2"); done; echo "${s%/}"; }

# case NAME NSYM COUNT "SIM-ARGS" [FEEDRX ARGS...]: one run, both checks
case_() {
  local n=$1 nsym=$2 count=$3 simargs=$4 mode=${MODE:-kernel}; shift 4
  [[ -z ${BOOK_REST_CASES:-} || $n =~ $BOOK_REST_CASES ]] || return 0
  # shellcheck disable=SC2086
  sim "$n" --symbols "$nsym" --mix depth=1 $simargs || return
  in_rx timeout "${RX_TIMEOUT:-120}" "$FEEDRX" --mode "$mode" --cafile "$CERTS/ca.pem" \
    --output jsonl --top "${TOP:-0}" --count "$count" --rest-url "https://$V4:$PORT" "$@" \
    "wss://$V4:$PORT/stream?streams=$(streams "$nsym" depth)" >"$TMP/$n.out" 2>"$TMP/$n.err"
  local rc=$?
  kill -TERM "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null
  if [[ $rc -ne 0 && $mode == xdp ]] && grep -Eq '^feedrx: --mode xdp: cannot (attach XDP on|open AF_XDP sockets on|register AF_XDP sockets)' "$TMP/$n.err"; then
    skip "$n" "XDP/AF_XDP unavailable here: $(grep -m1 '^feedrx: --mode xdp' "$TMP/$n.err")"; return
  fi
  if [[ $rc -ne 0 ]]; then fail "$n" "feedrx exit $rc: $(grep -v '^feedrx: warning' "$TMP/$n.err" | head -c 400)"; return; fi
  local rest; rest=$(grep -m1 'REST snapshots:' "$TMP/$n.err")
  echo "# $n: $rest"
  if [[ -n ${WANT_PROTO:-} && $rest != *", $WANT_PROTO" ]]; then
    fail "$n" "snapshots not over $WANT_PROTO: $rest"; return
  fi
  if [[ -n ${WANT_LIMITED:-} ]] && ! [[ $rest =~ ok,\ ([1-9][0-9]*)\ limited ]]; then
    fail "$n" "no 429 answered: $rest"; return
  fi
  if [[ -n ${WANT_REFETCH:-} ]] && ! grep -q 'older than the first buffered update' "$TMP/$n.err"; then
    fail "$n" "no stale snapshot fetched again: $rest"; return
  fi
  local books gaps
  books=$($PY "$ROOT/tests/check_books.py" --books "$TMP/$n.books" --min-checks "${MIN_CHECKS:-10}" \
            ${KNOWN:+--known} \
            "$TMP/$n.out" 2>&1 | tail -1)
  gaps=$($PY "$ROOT/tests/check_book_gaps.py" ${USDM:+--usdm} --json "$TMP/$n.gaps.json" "$TMP/$n.truth" \
           "$TMP/$n.out" 2>&1 | tail -3 | tr '\n' ' ')
  echo "# $n: books: $books"
  echo "# $n: gaps: $gaps"
  if [[ $books != *": OK" ]]; then [[ -n ${BOOK_REST_KEEP:-} ]] && cp -r "$TMP/$n".* "$BOOK_REST_KEEP/"; fail "$n" "check_books: $books"; return; fi
  if [[ $gaps != *": OK "* ]]; then [[ -n ${BOOK_REST_KEEP:-} ]] && cp -r "$TMP/$n".* "$BOOK_REST_KEEP/"; fail "$n" "check_book_gaps: $gaps"; return; fi
  if [[ -n ${WANT_GAPS:-} ]] && ! $PY -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["detected"] > 0 and r["resynced"] > 0 else 1)' "$TMP/$n.gaps.json"; then
    fail "$n" "gaps injected but none detected and resynced: $gaps"; return
  fi
  pass "$n"
}

# snapshots over h2 (what feedsim picks when offered) and over HTTP/1.1
WANT_PROTO=h2 case_ book_rest_h2 4 20000 "--rate 0 --book-every 500"
WANT_PROTO=http/1.1 case_ book_rest_http1 4 20000 "--rate 0 --book-every 500" --rest-http1
# the snapshot answered 300 ms after it is taken: the diffs meanwhile are buffered
case_ book_rest_delay 4 20000 "--rate 20000 --book-every 500 --snapshot-delay-ms 300"
# half the snapshots are the previous one (older than the buffer): fetched again
WANT_REFETCH=1 case_ book_rest_stale 4 20000 "--rate 20000 --book-every 500 --snapshot-stale 0.5 --drop-diff 0.002" -v
# 429 with Retry-After: 1 for a third of the requests: waited out, then synced
WANT_LIMITED=1 RX_TIMEOUT=180 case_ book_rest_429 4 20000 "--rate 5000 --book-every 500 --rest-429 0.3 --drop-diff 0.001"
# gaps: every one reported and resynced
WANT_GAPS=1 case_ book_rest_gaps 8 40000 "--rate 0 --book-every 1000 --drop-diff 0.002"
# USD-M: /fapi/v1/depth, its weights and its first-diff rule
USDM=1 WANT_GAPS=1 case_ book_rest_usdm 4 20000 "--rate 0 --book-every 500 --drop-diff 0.002" --venue binance-usdm
# the same in XDP mode: the diffs from the fast path, the snapshots over the kernel
WANT_GAPS=1 MODE=xdp case_ book_rest_xdp 4 20000 "--rate 0 --book-every 500 --drop-diff 0.002"
# scale: 100 symbols x 1,000,000 diffs flat out, gaps injected (~500), a
# smaller snapshot depth (weight 5: ~600 snapshots fit the 6000/min budget;
# at 1000 levels, weight 50, they would not): the market's books reach ~130
# levels, deeper than a snapshot's are unknown, so the levels compared are
# those feedrx says are exact (depth_known of its top events)
NSYM=${BOOK_REST_SYMBOLS:-100}
# (the ASan build runs 200,000: memory errors show in fewer, 1M takes too long)
[[ $BUILD == *san* ]] && NDIFF=${BOOK_REST_DIFFS:-200000} || NDIFF=${BOOK_REST_DIFFS:-1000000}
WANT_GAPS=1 MIN_CHECKS=100 TOP=1 KNOWN=1 RX_TIMEOUT=${BOOK_REST_TIMEOUT:-600} case_ book_rest_scale "$NSYM" "$NDIFF" \
  "--rate 0 --book-every $((NDIFF / 50)) --drop-diff 0.0005" --book-depth 100
