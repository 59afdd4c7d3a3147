#!/usr/bin/env bash
# it_venue_books — OKX and Bybit order books kept by feedrx (--output jsonl)
# against feedsim's truth, across gaps feedsim injects (--drop-diff): the
# log of what feedsim sent is replayed by the venue's own rule (a snapshot
# replaces the book; OKX prevSeqId == the previous seqId, Bybit u == the
# previous u + 1, else the book is invalid until the next snapshot) and
# every top-of-book feedrx emitted must equal the replay's, in order, with
# nothing missing; each gap must be followed by a resync (feedrx
# resubscribes the stream and the venue sends its snapshot again). Kernel
# and XDP modes. SKIP when this feedrx has no normalized events (--output
# jsonl) or, for XDP, when the kernel cannot attach XDP.
source "$(dirname "$0")/lib.sh"
NAME=it_venue_books
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
if ! "$FEEDRX" --help 2>&1 | grep -q 'jsonl'; then
  skip $NAME "this feedrx has no --output jsonl (normalized events and books)"; exit 0
fi
it_setup $NAME

PORT=9780
SIM_PID=
sim() {
  local n=$1; shift
  PORT=$((PORT + 1))
  ip netns exec "$NS_EX" "$FEEDSIM" --once --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --listen "$NETNS_EX_IP4:$PORT" --log "$TMP/$n.log" "$@" \
    >"$TMP/$n.sim.out" 2>"$TMP/$n.sim.err" &
  SIM_PID=$!
  netns_track $SIM_PID
  wait_listen "$NS_EX" "$PORT" || { fail "$n" "feedsim did not listen on $PORT"; return 1; }
}
sim_wait() {
  for _ in $(seq 100); do kill -0 "$SIM_PID" 2>/dev/null || return 0; sleep 0.05; done
  return 1
}

cat >"$TMP/replay.py" <<'PY'
# replay.py VENUE LOG EVENTS: feedrx's top-of-book events == the log replayed
import json, sys
from decimal import Decimal as D

venue, log, out = sys.argv[1:4]
N = 10
st = {}  # per symbol: book, valid, last
want, got, gaps = {}, {}, 0
for line in open(log):
    m = json.loads(line)
    if venue == "okx":
        if m["arg"]["channel"] != "books":
            continue
        d, sym = m["data"][0], m["arg"]["instId"]
        s = st.setdefault(sym, {"book": None, "valid": False, "last": None})
        snap, seq, bids, asks = m["action"] == "snapshot", d["seqId"], d["bids"], d["asks"]
        chained = d["prevSeqId"] == s["last"]
    else:
        if not m["topic"].startswith("orderbook.50."):
            continue
        d, sym = m["data"], m["data"]["s"]
        s = st.setdefault(sym, {"book": None, "valid": False, "last": None})
        snap, seq, bids, asks = m["type"] == "snapshot" or d["u"] == 1, d["u"], d["b"], d["a"]
        chained = s["last"] is not None and seq == s["last"] + 1
    if snap:
        s["book"], s["valid"] = ({}, {}), True
    elif not s["valid"]:
        continue
    elif not chained:
        s["valid"], gaps = False, gaps + 1
        continue
    for side, lv in ((0, bids), (1, asks)):
        for px, qty, *_ in lv:
            if D(qty) == 0:
                s["book"][side].pop(D(px), None)
            else:
                s["book"][side][D(px)] = D(qty)
    s["last"] = seq
    want.setdefault(sym, []).append((seq, sorted(s["book"][0].items(), key=lambda kv: -kv[0])[:N],
                                     sorted(s["book"][1].items())[:N]))
resynced = invalid = 0
for line in open(out):
    e = json.loads(line)
    if e["type"] == "top":
        got.setdefault(e["symbol"], []).append(
            (e["last_id"], [(D(p), D(q)) for p, q in e["bids"]], [(D(p), D(q)) for p, q in e["asks"]]))
    elif e["type"] == "status" and e.get("status") == "resynced":
        resynced += 1
    elif e["type"] == "status" and e.get("status") == "book_invalid":
        invalid += 1
for sym in sorted(set(want) | set(got)):
    g, w = got.get(sym, []), want.get(sym, [])
    bad = next((i for i, (a, b) in enumerate(zip(g, w)) if a != b), None)
    if len(g) != len(w) or bad is not None:
        i = bad if bad is not None else min(len(g), len(w))
        print("FAIL %s: %d tops from feedrx, %d in the replay; first difference at %d: %s vs %s"
              % (sym, len(g), len(w), i, str(g[i:i + 1])[:160], str(w[i:i + 1])[:160]))
        sys.exit(0)
if gaps != invalid or (gaps and resynced < gaps - len(want)):
    print("FAIL %d gaps in the log, %d book_invalid and %d resynced from feedrx"
          % (gaps, invalid, resynced))
else:
    print("OK %d books, %d tops, %d gaps, %d resyncs"
          % (len(want), sum(len(v) for v in got.values()), gaps, resynced))
PY

for mode in kernel xdp; do
  for v in okx bybit; do
    n=${v}_books_$mode
    path=/ws/v5/public subs=books:BTC-USDT,trades:BTC-USDT,books:ETH-USDT
    [[ $v == bybit ]] && path=/v5/public/spot subs=orderbook.50.BTCUSDT,publicTrade.BTCUSDT,orderbook.50.ETHUSDT
    sim $n --venue $v --seed 11 --count 1500 --rate 3000 --drop-diff 0.03 --mix trade=1,bookTicker=0,depth=3 || continue
    ip netns exec "$NS_RX" timeout 60 "$FEEDRX" --cafile "$CERTS/ca.pem" -v --mode $mode \
      --venue $v --output jsonl --top 10 --subscribe $subs "wss://$NETNS_EX_IP4:$PORT$path" \
      >"$TMP/$n.out" 2>"$TMP/$n.err"
    rc=$?
    sim_wait
    if [[ $mode == xdp && $rc -ne 0 ]] && grep -Eqi 'xdp|af_xdp' "$TMP/$n.err"; then
      skip "$n" "XDP unavailable: $(tail -n 2 "$TMP/$n.err" | tr '\n' '|' | head -c 200)"; continue
    fi
    if [[ $rc -ne 0 ]]; then fail "$n" "rc=$rc: $(tail -n 3 "$TMP/$n.err" | tr '\n' '|' | head -c 300)"; continue; fi
    r=$(/usr/bin/python3 "$TMP/replay.py" $v "$TMP/$n.log" "$TMP/$n.out" 2>&1)
    if [[ $r == OK* ]] && [[ ! $r =~ \ 0\ gaps ]]; then pass "$n"; echo "  $n: $r"
    else fail "$n" "$r"; fi
  done
done
