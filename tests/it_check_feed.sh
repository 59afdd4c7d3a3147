#!/usr/bin/env bash
# it_check_feed — tests/check_feed.py on synthetic truth logs and deliveries:
# a clean run with real gaps (no connection subscribed, a --drop-diff drop),
# a duplicate, a loss, a loss hidden by an RST (uncertain, not failed), an
# id the market never published, bare and combined lines, the JSON report.
# Files only: no namespaces, no network.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
CHK="python3 $ROOT/tests/check_feed.py"

# conn 1 sees seq 0..3, nobody 4, conn 2 sees 5..7; depth 13..15 dropped
truth() {
  printf 'P\t0\tbtcusdt@trade\t100\n'
  printf 'P\t1\tbtcusdt@trade\t101\n'
  printf 'P\t2\tbtcusdt@depth\t10\t12\n'
  printf 'P\t3\tbtcusdt@trade\t102\n'
  printf 'P\t4\tbtcusdt@trade\t103\n'
  printf 'P\t5\tbtcusdt@trade\t104\n'
  printf 'P\t6\tbtcusdt@trade\t105\n'
  printf 'P\t-\tbtcusdt@depth\t13\t15\tdrop\n'
  printf 'P\t7\tbtcusdt@depth\t16\t18\n'
  printf 'V\t1\tbtcusdt@trade\t0\t3\t%s\t198.18.0.2:40000\n' "${1:-fin}"
  printf 'V\t1\tbtcusdt@depth\t0\t3\t%s\t198.18.0.2:40000\n' "${1:-fin}"
  printf 'V\t2\tbtcusdt@trade\t5\t7\tclose\t[fd00::2]:40001\n'
  printf 'V\t2\tbtcusdt@depth\t5\t7\tclose\t[fd00::2]:40001\n'
}
tr_() { printf '{"e":"trade","E":1,"s":"BTCUSDT","t":%s,"p":"1.0","q":"1.0","T":1,"m":true,"M":true}\n' "$1"; }
dp_() { printf '{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":%s,"u":%s,"b":[],"a":[]}}\n' "$1" "$2"; }
dpb() { printf '{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":%s,"u":%s,"b":[],"a":[]}\n' "$1" "$2"; }

truth >"$TMP/truth"
truth rst >"$TMP/truth-rst"

# case NAME WANT_RC GREP_REGEX TRUTH: delivered lines on stdin
case_() {
  local n=$1 want=$2 re=$3 t=$4
  cat >"$TMP/$n.in"
  $CHK --truth "$TMP/$t" --json "$TMP/$n.json" "$TMP/$n.in" >"$TMP/$n.out" 2>&1
  local rc=$?
  if [[ $rc -ne $want ]]; then fail "$n" "exit $rc, want $want: $(tr '\n' '|' <"$TMP/$n.out")"
  elif ! grep -Eq "$re" "$TMP/$n.out"; then fail "$n" "no /$re/ in: $(tr '\n' '|' <"$TMP/$n.out")"
  else pass "$n"; fi
}

{ tr_ 100; tr_ 101; dp_ 10 12; tr_ 102; tr_ 104; echo '{"e":"serverShutdown","E":5}'; tr_ 105; dpb 16 18; } |
  case_ check_feed_real_gaps 0 'total: .* duplicates 0 unknown 0 losses 0 uncertain 0 real_gaps 2' truth
if python3 - "$TMP/check_feed_real_gaps.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["streams"]
assert r["ok"] is True, r
assert s["btcusdt@trade"]["real_gaps"] == [[103, 103, 1]], s["btcusdt@trade"]
assert s["btcusdt@depth"]["real_gaps"] == [[13, 15, 1]], s["btcusdt@depth"]
assert s["btcusdt@trade"]["delivered"] == 5 and s["btcusdt@depth"]["delivered"] == 2
assert r["other"] == 1
EOF
then pass check_feed_json; else fail check_feed_json "report: $(head -c 400 "$TMP/check_feed_real_gaps.json")"; fi

{ tr_ 100; tr_ 101; tr_ 101; tr_ 102; tr_ 104; tr_ 105; } |
  case_ check_feed_duplicate 1 'duplicate 101' truth
{ tr_ 100; tr_ 101; tr_ 104; tr_ 105; } |
  case_ check_feed_loss 1 'loss 102\.\.102 \(1\)' truth
{ tr_ 100; tr_ 101; tr_ 104; tr_ 105; } |
  case_ check_feed_rst_uncertain 0 'losses 0 uncertain 1 ' truth-rst
{ tr_ 100; tr_ 101; tr_ 102; tr_ 999; } |
  case_ check_feed_unknown 1 'unknown 1 ' truth
# the stream ends where the client stopped: nothing after its last message counts
{ tr_ 100; tr_ 101; } |
  case_ check_feed_prefix 0 'losses 0 uncertain 0 real_gaps 0' truth
# ... unless --complete: then the undelivered rest of a clean range is a loss
printf '%s\n%s\n' "$(tr_ 100)" "$(tr_ 101)" >"$TMP/prefix.in"
if $CHK --complete --streams btcusdt@trade --truth "$TMP/truth" "$TMP/prefix.in" >"$TMP/complete.out"; then
  fail check_feed_complete "exit 0: $(tr '\n' '|' <"$TMP/complete.out")"
elif grep -q 'loss 102\.\.102 (1)' "$TMP/complete.out"; then pass check_feed_complete
else fail check_feed_complete "$(tr '\n' '|' <"$TMP/complete.out")"; fi
# bad input is exit 2, not a verdict
printf 'X\tbad\n' >"$TMP/bad-truth"
$CHK --truth "$TMP/bad-truth" /dev/null >/dev/null 2>&1
rc=$?
if [[ $rc -eq 2 ]]; then pass check_feed_bad_truth; else fail check_feed_bad_truth "exit $rc, want 2"; fi

# whose connections: conn 2 (or address fd00::2) is another client's, so
# what only it was written is a real gap for this one, not a loss
printf '%s\n%s\n%s\n%s\n' "$(tr_ 100)" "$(tr_ 101)" "$(tr_ 102)" "$(tr_ 105)" >"$TMP/other.in"
for sel in "--conns 1" "--peer 198.18.0.2"; do
  # shellcheck disable=SC2086
  if $CHK $sel --streams btcusdt@trade --truth "$TMP/truth" "$TMP/other.in" >"$TMP/sel.out" &&
     grep -q 'losses 0 uncertain 0 real_gaps 2' "$TMP/sel.out"; then pass "check_feed_select_${sel%% *}"
  else fail "check_feed_select_${sel%% *}" "$(tr '\n' '|' <"$TMP/sel.out")"; fi
done
if $CHK --streams btcusdt@trade --truth "$TMP/truth" "$TMP/other.in" >"$TMP/sel.out"; then
  fail check_feed_select_all "exit 0: $(tr '\n' '|' <"$TMP/sel.out")"
else pass check_feed_select_all; fi

# two instances' truths (A/B on two feedsims, one seed): ranges are joined
{ printf 'P\t0\tbtcusdt@trade\t100\n'; printf 'P\t1\tbtcusdt@trade\t101\n'; printf 'P\t2\tbtcusdt@trade\t102\n'
  printf 'V\t1\tbtcusdt@trade\t0\t0\tfin\t198.18.0.2:1\n'; } >"$TMP/truth-a"
{ printf 'P\t0\tbtcusdt@trade\t100\n'; printf 'P\t1\tbtcusdt@trade\t101\n'; printf 'P\t2\tbtcusdt@trade\t102\n'
  printf 'V\t1\tbtcusdt@trade\t1\t2\tfin\t198.18.0.2:2\n'; } >"$TMP/truth-b"
printf '%s\n%s\n' "$(tr_ 100)" "$(tr_ 102)" >"$TMP/ab.in"
if $CHK --truth "$TMP/truth-a" --truth "$TMP/truth-b" "$TMP/ab.in" >"$TMP/ab.out"; then
  fail check_feed_two_truths "exit 0: $(tr '\n' '|' <"$TMP/ab.out")"
elif grep -q 'published 3 delivered 2 dup 0 unknown 0 loss 1 ' "$TMP/ab.out"; then pass check_feed_two_truths
else fail check_feed_two_truths "$(tr '\n' '|' <"$TMP/ab.out")"; fi

# ---- check_books.py: a client's book events against --book-dump checkpoints
CB="python3 $ROOT/tests/check_books.py"
mkdir -p "$TMP/books"
printf '%s\n' '{"symbol":"BTCUSDT","stream":"btcusdt@depth","lastUpdateId":10,"seq":3,"bids":[["100.00000000","1.00000000"],["99.00000000","2.00000000"],["90.00000000","5.00000000"]],"asks":[["101.00000000","1.50000000"]]}' >"$TMP/books/book-0.jsonl"
snap='{"seq":1,"type":"book","venue":"binance","symbol":"BTCUSDT","first_id":5,"last_id":8,"snapshot":true,"bids":[["100","1"],["98","3"],["90","5"]],"asks":[["101","1.5"]]}'
diff10='{"seq":2,"type":"book","venue":"binance","symbol":"BTCUSDT","first_id":9,"last_id":10,"snapshot":false,"bids":[["98","0"],["99","2"]],"asks":[]}'
bad10='{"seq":2,"type":"book","venue":"binance","symbol":"BTCUSDT","first_id":9,"last_id":10,"snapshot":false,"bids":[["98","0"],["99","2.1"]],"asks":[]}'
gap='{"seq":2,"type":"status","venue":"binance","symbol":"BTCUSDT","status":"gap","first_id":9,"last_id":9}'
cb_case() { # NAME WANT_RC REGEX ARGS...: events on stdin
  local n=$1 want=$2 re=$3; shift 3
  cat >"$TMP/$n.ev"
  $CB --books "$TMP/books" "$@" "$TMP/$n.ev" >"$TMP/$n.out" 2>&1
  local rc=$?
  if [[ $rc -eq $want ]] && grep -Eq "$re" "$TMP/$n.out"; then pass "$n"
  else fail "$n" "exit $rc (want $want): $(tr '\n' '|' <"$TMP/$n.out")"; fi
}
printf '%s\n%s\n' "$snap" "$diff10" | cb_case check_books_equal 0 'comparisons 1, differences 0: OK'
printf '%s\n%s\n' "$snap" "$bad10" | cb_case check_books_differ 1 'BTCUSDT at 10: bids differ'
printf '%s\n%s\n%s\n' "$snap" "$gap" "$diff10" | cb_case check_books_gap_drops_book 1 'comparisons 0, differences 0: FAIL'
# a client whose snapshot had one level a side knows only the best level
snap1='{"seq":1,"type":"book","venue":"binance","symbol":"BTCUSDT","first_id":5,"last_id":8,"snapshot":true,"bids":[["100","1"]],"asks":[["101","1.5"]]}'
diff1='{"seq":2,"type":"book","venue":"binance","symbol":"BTCUSDT","first_id":9,"last_id":10,"snapshot":false,"bids":[["98","0"]],"asks":[]}'
printf '%s\n%s\n' "$snap1" "$diff1" |
  cb_case check_books_levels 0 'comparisons 1, differences 0: OK' --levels 1
