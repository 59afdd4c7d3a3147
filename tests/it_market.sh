#!/usr/bin/env bash
# it_market — feedsim --market across the namespace veth pair, with feedrx
# (kernel mode) as the client:
# - one market, several connections in a row, each cut by --cut-every (FIN):
#   tests/check_feed.py against the --truth log finds no loss and no
#   duplicate, and classifies the gap at each reconnect as a real gap (no
#   connection was subscribed), one per reconnect;
# - flat out (--rate 0), a client that reads nothing does not stop the market;
# - two connections at once see the same messages (same bytes but "ts_ns"),
#   one of them on a listener with --listen-delay-ms;
# - REST depth snapshots over HTTP/1.1 and HTTP/2 (curl, ALPN h2), the
#   weight header, 429 with Retry-After over --rest-weight;
# - the snapshot plus the depth diffs feedrx delivered rebuild, at every
#   --book-dump checkpoint they reach, exactly the market's true book.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
NAME=market
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
command -v curl >/dev/null || { skip $NAME "curl missing"; exit 0; }
it_setup $NAME

V4=$NETNS_EX_IP4
PORT=9443
STREAMS="btcusdt@trade/btcusdt@aggTrade/btcusdt@bookTicker/btcusdt@depth/ethusdt@trade"
URL="wss://$V4:$PORT/stream?streams=$STREAMS"
mkdir -p "$TMP/books"

ip netns exec "$NS_EX" "$FEEDSIM" --cert "$CERTS/server.pem" --key "$CERTS/server.key" --listen "$V4:$PORT" \
  --listen "$V4:9446" --listen-delay-ms 9446=150 --market --symbols btcusdt,ethusdt --rate 4000 --cut-every 1.5 --ping-interval 0 \
  --truth "$TMP/truth" --book-dump "$TMP/books" --book-every 1500 -v \
  >"$TMP/sim.out" 2>"$TMP/sim.err" &
SIM=$!
netns_track $SIM
wait_listen "$NS_EX" $PORT || { fail $NAME "feedsim did not listen"; exit 1; }

# one connection a run (a cut ends it): the runs are the reconnects
rx() { in_rx timeout 30 "$FEEDRX" --mode kernel --no-reconnect --cafile "$CERTS/ca.pem" "$@"; }

# ---- three connections in a row, each cut after 1.5 s ----------------------
: >"$TMP/delivered"
for i in 1 2 3; do
  rx "$URL" >"$TMP/run$i.out" 2>"$TMP/run$i.err" &
  RX=$!
  if [[ $i -eq 1 ]]; then # the snapshot, while run 1 receives the diffs
    sleep 0.5
    in_rx curl -sS --cacert "$CERTS/ca.pem" --http1.1 \
      "https://$V4:$PORT/api/v3/depth?symbol=BTCUSDT&limit=5000" >"$TMP/snap.json" 2>"$TMP/snap.err"
  fi
  wait $RX
  cat "$TMP/run$i.out" >>"$TMP/delivered"
  sleep 0.3 # the market goes on while no connection is there
done

# ---- two connections at once (A/B: b on the listener that lags 150 ms) -----
rx --count 2000 "$URL" >"$TMP/a.out" 2>"$TMP/a.err" &
A=$!
sleep 0.2
rx --count 1200 "${URL/:$PORT\//:9446/}" >"$TMP/b.out" 2>"$TMP/b.err"
wait $A

# ---- the same in XDP mode: two connections in a row, each cut --------------
: >"$TMP/xdp.delivered"
XDP=1
for i in 1 2; do
  rx --mode xdp "$URL" >"$TMP/xdp$i.out" 2>"$TMP/xdp$i.err"
  if [[ $i -eq 1 ]] && grep -Eq '^feedrx: --mode xdp: cannot (attach XDP on|open AF_XDP sockets on|register AF_XDP sockets)' "$TMP/xdp1.err"; then
    XDP=0; break
  fi
  cat "$TMP/xdp$i.out" >>"$TMP/xdp.delivered"
  sleep 0.3
done

# ---- REST -------------------------------------------------------------------
curl_rest() { # VERSION PATH: body on stdout, "status version weight" in $TMP/rest.w
  in_rx curl -sS --cacert "$CERTS/ca.pem" "$1" -D "$TMP/rest.h" \
    -w '%{http_code} %{http_version}' -o "$TMP/rest.body" "https://$V4:$PORT$2" >"$TMP/rest.w" 2>&1
}
rest_case() { # NAME VERSION PATH WANT_STATUS WANT_VERSION REGEX
  curl_rest "$2" "$3"
  local w body; w=$(cat "$TMP/rest.w"); body=$(head -c 300 "$TMP/rest.body")
  if [[ $w != "$4 $5" ]]; then fail "$1" "got '$w', want '$4 $5': $body"
  elif ! grep -Eq "$6" "$TMP/rest.body"; then fail "$1" "body: $body"
  elif ! grep -Eiq '^x-mbx-used-weight-1m: [0-9]+' "$TMP/rest.h"; then fail "$1" "no weight header"
  else pass "$1"; fi
}
rest_case market_rest_http1 --http1.1 "/api/v3/depth?symbol=BTCUSDT&limit=5" 200 1.1 \
  '^\{"lastUpdateId":[0-9]+,"bids":\[\["[0-9.]+","[0-9.]+"\](,\[[^]]*\]){4}\],"asks":\['
rest_case market_rest_h2 --http2 "/fapi/v1/depth?symbol=ETHUSDT&limit=10" 200 2 \
  '^\{"lastUpdateId":[0-9]+,"E":[0-9]{13},"T":[0-9]{13},"bids":\[\['
rest_case market_rest_bad_symbol --http2 "/api/v3/depth?symbol=NOPE" 400 2 '"code":-1121'
rest_case market_rest_h1_bad_symbol --http1.1 "/api/v3/depth?symbol=NOPE" 400 1.1 '"code":-1121'
# 40 requests multiplexed on one h2 connection (more than its 32 streams at once)
args=()
for i in $(seq 40); do args+=(-o /dev/null "https://$V4:$PORT/api/v3/depth?symbol=ETHUSDT&limit=$((i * 10))"); done
in_rx curl -sS --cacert "$CERTS/ca.pem" --http2 -Z --parallel-max 50 -w '%{http_code} %{http_version}\n' \
  "${args[@]}" >"$TMP/mux.out" 2>&1
nconn=$(grep -E 'client [0-9]+ GET /api/v3/depth\?symbol=ETHUSDT&limit=[0-9]+ -> 200' "$TMP/sim.err" |
        awk '{print $3}' | sort -u | wc -l)
if [[ $(grep -c '^200 2$' "$TMP/mux.out") -eq 40 && $nconn -le 3 ]]; then pass market_rest_h2_multiplexed
else fail market_rest_h2_multiplexed "$(sort "$TMP/mux.out" | uniq -c | tr '\n' ' ') on $nconn connections"; fi

# ---- the truth: no loss, no duplicate, a real gap per reconnect ------------
sleep 0.5
kill -TERM $SIM; wait $SIM 2>/dev/null
lines=$(wc -l <"$TMP/delivered")
if [[ $lines -lt 1000 ]]; then
  fail market_delivered "only $lines lines delivered: $(head -c 300 "$TMP/run1.err")"
else
  pass market_delivered
fi
python3 "$ROOT/tests/check_feed.py" --truth "$TMP/truth" --json "$TMP/check.json" \
  --streams "${STREAMS//\//,}" "$TMP/delivered" >"$TMP/check.out" 2>&1
rc=$?
if [[ $rc -eq 0 ]]; then pass market_no_loss_no_dup
else fail market_no_loss_no_dup "check_feed exit $rc: $(grep -v '^  ' "$TMP/check.out" | tr '\n' '|')"; fi
if python3 - "$TMP/check.json" "$TMP/truth" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
runs = {}
for line in open(sys.argv[2]):
    p = line.rstrip("\n").split("\t")
    if p[0] == "V" and p[2] == "btcusdt@trade":
        runs.setdefault(p[5], 0)
        runs[p[5]] += 1
gaps = r["streams"]["btcusdt@trade"]["real_gaps"]
# three connections in a row cut by FIN (then two more at once): two
# reconnect gaps in what the three delivered
assert runs.get("fin", 0) >= 3, runs
assert len(gaps) == 2 and all(g[2] > 0 for g in gaps), gaps
assert r["totals"]["losses"] == 0 and r["totals"]["duplicates"] == 0, r["totals"]
EOF
then pass market_reconnect_gaps_are_real
else fail market_reconnect_gaps_are_real "$(grep -E 'btcusdt@trade|real gap' "$TMP/check.out" | head -5 | tr '\n' '|')"; fi

if [[ $XDP -eq 0 ]]; then
  skip market_xdp_reconnect_gaps "XDP/AF_XDP unavailable here: $(grep -m1 '^feedrx: --mode xdp' "$TMP/xdp1.err")"
elif python3 "$ROOT/tests/check_feed.py" --since-first --truth "$TMP/truth" --json "$TMP/xdp.json" \
     --streams "${STREAMS//\//,}" "$TMP/xdp.delivered" >"$TMP/xdp.check" 2>&1 &&
     python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); g=r["streams"]["btcusdt@trade"]["real_gaps"]; assert len(g) == 1, g; assert r["streams"]["btcusdt@trade"]["delivered"] > 500' "$TMP/xdp.json"; then
  pass market_xdp_reconnect_gaps
else fail market_xdp_reconnect_gaps "$(grep -v '^  ' "$TMP/xdp.check" | tr '\n' '|') $(head -c 200 "$TMP/xdp1.err")"; fi

# both simultaneous connections: no loss, no duplicate, and the same messages
for leg in a b; do
  if python3 "$ROOT/tests/check_feed.py" --quiet --since-first --truth "$TMP/truth" "$TMP/$leg.out"; then
    pass market_view_$leg
  else fail market_view_$leg "check_feed: $(python3 "$ROOT/tests/check_feed.py" --since-first --truth "$TMP/truth" "$TMP/$leg.out" | tail -3 | tr '\n' '|')"; fi
done
if python3 - "$TMP/a.out" "$TMP/b.out" <<'EOF'
import re, sys
norm = lambda l: re.sub(r',"ts_ns":[0-9]+', "", l)
a = [norm(l) for l in open(sys.argv[1])]
b = [norm(l) for l in open(sys.argv[2])]
assert len(a) == 2000 and len(b) == 1200, (len(a), len(b))
i = a.index(b[0])   # b started later: mid-stream, then the very same bytes
n = min(len(a) - i, len(b))
assert n > 600 and a[i:i + n] == b[:n], (i, n)
EOF
then pass market_views_identical
else fail market_views_identical "the two connections differ"; fi

# ---- snapshot + delivered diffs == the true book at each checkpoint --------
if python3 - "$TMP/snap.json" "$TMP/run1.out" "$TMP/books" <<'EOF'
import glob, json, sys
snap = json.load(open(sys.argv[1]))
book = {"b": {p: q for p, q in snap["bids"]}, "a": {p: q for p, q in snap["asks"]}}
last = snap["lastUpdateId"]
truth = {}
for f in glob.glob(sys.argv[3] + "/book-*.jsonl"):
    for line in open(f):
        o = json.loads(line)
        if o["stream"] == "btcusdt@depth":
            truth[o["lastUpdateId"]] = o
checked, first = 0, True
for line in open(sys.argv[2]):
    o = json.loads(line)
    if o.get("stream") != "btcusdt@depth":
        continue
    d = o["data"]
    if d["u"] <= last:
        continue
    if first:
        assert d["U"] <= last + 1 <= d["u"], ("first diff does not straddle", last, d["U"], d["u"])
        first = False
    else:
        assert d["U"] == last + 1, ("gap", last, d["U"])
    for side, key in (("b", "b"), ("a", "a")):
        for p, q in d[key]:
            if float(q) == 0:
                book[side].pop(p, None)
            else:
                book[side][p] = q
    last = d["u"]
    t = truth.get(last)
    if t:
        assert book["b"] == {p: q for p, q in t["bids"]}, "bids differ at %d" % last
        assert book["a"] == {p: q for p, q in t["asks"]}, "asks differ at %d" % last
        checked += 1
assert not first, "no diff after the snapshot"
assert checked >= 1, "no checkpoint reached (%d in the dumps)" % len(truth)
print("# %d checkpoints compared level for level" % checked)
EOF
then pass market_snapshot_plus_diffs_is_true_book
else fail market_snapshot_plus_diffs_is_true_book "see above ($(head -c 200 "$TMP/snap.err"))"; fi

# the same through tests/check_books.py: the snapshot and diffs as the book
# events feedrx --output jsonl prints (sink_jsonl.c)
python3 - "$TMP/snap.json" "$TMP/run1.out" >"$TMP/events.jsonl" <<'EOF'
import json, sys
snap = json.load(open(sys.argv[1]))
last = snap["lastUpdateId"]
print(json.dumps(dict(type="book", symbol="BTCUSDT", first_id=last, last_id=last, snapshot=True,
                      bids=snap["bids"], asks=snap["asks"])))
for line in open(sys.argv[2]):
    o = json.loads(line)
    if o.get("stream") == "btcusdt@depth" and o["data"]["u"] > last:
        d = o["data"]
        print(json.dumps(dict(type="book", symbol="BTCUSDT", first_id=d["U"], last_id=d["u"],
                              snapshot=False, bids=d["b"], asks=d["a"])))
EOF
if python3 "$ROOT/tests/check_books.py" --books "$TMP/books" "$TMP/events.jsonl" >"$TMP/cb.out" 2>&1; then
  pass market_check_books
else fail market_check_books "$(tail -3 "$TMP/cb.out" | tr '\n' '|')"; fi

# ---- the weight limit, a held snapshot ---------------------------------------
# the weight is counted per UTC minute: keep these few seconds inside one
sec=$(date -u +%-S); if (( sec > 45 )); then sleep $((61 - sec)); fi
PORT=9444
ip netns exec "$NS_EX" "$FEEDSIM" --cert "$CERTS/server.pem" --key "$CERTS/server.key" --listen "$V4:$PORT" \
  --market --symbols btcusdt,ethusdt --rate 2000 --rest-weight 10 --snapshot-delay-ms 200 \
  --drop-diff 0.1 --truth "$TMP/truth2" -v >"$TMP/sim2.out" 2>"$TMP/sim2.err" &
SIM2=$!
netns_track $SIM2
wait_listen "$NS_EX" $PORT || { fail market_rest_429 "feedsim did not listen"; exit 1; }
rest_case market_rest_held_h2 --http2 "/api/v3/depth?symbol=BTCUSDT&limit=5" 200 2 '^\{"lastUpdateId":'
rest_case market_rest_held_h1 --http1.1 "/api/v3/depth?symbol=BTCUSDT&limit=5" 200 1.1 '^\{"lastUpdateId":'
rest_case market_rest_429 --http1.1 "/api/v3/depth?symbol=BTCUSDT&limit=5" 429 1.1 '"code":-1003'
if grep -Eiq '^retry-after: [0-9]+' "$TMP/rest.h" && grep -Eiq '^x-mbx-used-weight-1m: 10' "$TMP/rest.h"; then
  pass market_rest_retry_after
else fail market_rest_retry_after "headers: $(tr '\r\n' '  ' <"$TMP/rest.h")"; fi
rest_case market_rest_429_h2 --http2 "/api/v3/depth?symbol=BTCUSDT&limit=5" 429 2 '"code":-1003'
# HTTP/1.1 keep-alive: curl asks twice over one connection, both answered
in_rx curl -sS --cacert "$CERTS/ca.pem" --http1.1 -o /dev/null -o /dev/null -w '%{http_code}\n' \
  "https://$V4:$PORT/api/v3/depth?symbol=BTCUSDT" "https://$V4:$PORT/api/v3/depth?symbol=ETHUSDT" \
  >"$TMP/ka.out" 2>&1
kc=$(grep -E 'client [0-9]+ GET /api/v3/depth\?symbol=(BTC|ETH)USDT -> 429' "$TMP/sim2.err" |
     tail -2 | awk '{print $3}' | sort -u | wc -l)
if [[ $(tr '\n' ' ' <"$TMP/ka.out") == "429 429 " && $kc -eq 1 ]]; then pass market_rest_keepalive
else fail market_rest_keepalive "curl: $(tr '\n' ' ' <"$TMP/ka.out"), answers on $kc connections"; fi

# --drop-diff: the dropped diffs are real gaps for the client, not losses
rx --count 600 "wss://$V4:$PORT/ws/btcusdt@depth" >"$TMP/drop.out" 2>"$TMP/drop.err"
kill -TERM $SIM2; wait $SIM2 2>/dev/null
python3 "$ROOT/tests/check_feed.py" --truth "$TMP/truth2" --json "$TMP/drop.json" "$TMP/drop.out" \
  >"$TMP/drop.check" 2>&1
rc=$?
drops=$(grep -c 'drop$' "$TMP/truth2")
if [[ $rc -eq 0 ]] && python3 - "$TMP/drop.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["streams"]["btcusdt@depth"]
assert r["delivered"] == 600 and not r["losses"] and not r["duplicates"], r
assert sum(g[2] for g in r["real_gaps"]) >= 20, r["real_gaps"]
EOF
then pass market_drop_diff_real_gaps
else fail market_drop_diff_real_gaps "exit $rc, $drops drops: $(tail -3 "$TMP/drop.check" | tr '\n' '|')"; fi

# ---- flat out (--rate 0): a client that reads nothing does not stop the market
PORT=9447
ip netns exec "$NS_EX" "$FEEDSIM" --cert "$CERTS/server.pem" --key "$CERTS/server.key" --listen "$V4:$PORT" \
  --market --symbols btcusdt@trade --rate 0 --ping-interval 0 --truth "$TMP/truth3" -v \
  >"$TMP/sim3.out" 2>"$TMP/sim3.err" &
SIM3=$!
netns_track $SIM3
wait_listen "$NS_EX" $PORT || { fail market_flat_out_stuck_client "feedsim did not listen"; exit 1; }
cat >"$TMP/deaf.py" <<'EOF'
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[3])
s = ctx.wrap_socket(socket.create_connection((sys.argv[1], int(sys.argv[2]))), server_hostname=sys.argv[1])
s.sendall(b"GET /ws/btcusdt@trade HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
print(s.recv(12), flush=True)  # the 101, then never another read
time.sleep(30)
EOF
in_rx python3 "$TMP/deaf.py" "$V4" $PORT "$CERTS/ca.pem" >"$TMP/deaf.out" 2>&1 &
DEAF=$!
sleep 0.5
rx --output raw --count 200000 "wss://$V4:$PORT/ws/btcusdt@trade" >"$TMP/flat.out" 2>"$TMP/flat.err"
rc=$?
kill $DEAF 2>/dev/null; wait $DEAF 2>/dev/null
kill -TERM $SIM3; wait $SIM3 2>/dev/null
if [[ $rc -eq 0 && $(wc -l <"$TMP/flat.out") -eq 200000 ]] &&
   python3 "$ROOT/tests/check_feed.py" --quiet --since-first --truth "$TMP/truth3" "$TMP/flat.out" &&
   grep -q "101" "$TMP/deaf.out"; then
  pass market_flat_out_stuck_client
else
  fail market_flat_out_stuck_client "rc=$rc, $(wc -l <"$TMP/flat.out") lines, $(grep -c 'slow' "$TMP/sim3.err") slow lines; deaf: $(head -c 100 "$TMP/deaf.out")"
fi

# a sanitizer report in any feedsim or feedrx stderr (BUILD=build-san) fails the run
for f in "$TMP"/*.err; do
  if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f"; then
    fail "market_sanitizer_$(basename "$f" .err)" "$(grep -E -m1 'Sanitizer|runtime error:' "$f")"
  fi
done
