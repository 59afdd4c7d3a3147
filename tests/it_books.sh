#!/usr/bin/env bash
# it_books — feedrx --output jsonl against feedsim across the namespace veth
# pair (kernel mode): every normalized event checked against feedsim's --log,
# replayed independently in Python with exact decimals: each trade, aggTrade
# and bookTicker becomes one event with the same values; each depth message
# one book event (the first one the whole book: --book-from-stream) and one
# top event equal to the replayed book's best levels; seq runs 1..N without
# a gap, between a connected and a disconnected status. Also --book: only the
# symbols asked for get books, and one run in XDP mode (events from the fast
# path; SKIP where XDP/AF_XDP is unavailable).
source "$(dirname "$0")/lib.sh"
NAME=it_books
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
PY=/usr/bin/python3
[[ -x $PY ]] || { skip $NAME "no python3"; exit 0; }
it_setup $NAME

PORT=9600
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

MODE=kernel
rx() { ip netns exec "$NS_RX" timeout 120 "$FEEDRX" --mode $MODE --cafile "$CERTS/ca.pem" "$@"; }

cat >"$TMP/check.py" <<'EOF'
# check.py LOG EVENTS TOP [BOOKED_SYMBOLS]: the events feedrx printed are what
# feedsim's log says, replayed here. Prints one line: OK <counts> or why not.
import json, sys
from decimal import Decimal as D

log, evf, top = sys.argv[1], sys.argv[2], int(sys.argv[3])
booked = set(sys.argv[4].split(",")) if len(sys.argv) > 4 else None

def dec(s):
    return D(s)

def levels(lv):
    return [(dec(p), dec(q)) for p, q in lv]

exp = []          # expected events (dicts without seq/times)
books = {}        # symbol -> ({px: qty} bids, {px: qty} asks)
for line in open(log):
    m = json.loads(line)
    d = m.get("data", m)
    e = d.get("e")
    if e in ("trade", "aggTrade"):
        exp.append({"type": "trade", "symbol": d["s"], "price": dec(d["p"]), "qty": dec(d["q"]),
                    "id": d["t"] if e == "trade" else d["a"],
                    "side": "sell" if d["m"] else "buy"})
    elif e == "depthUpdate":
        s = d["s"]
        if booked is not None and s not in booked:
            continue
        first = s not in books
        b, a = books.setdefault(s, ({}, {}))
        for side, lv in ((b, d["b"]), (a, d["a"])):
            for p, q in levels(lv):
                if q == 0:
                    side.pop(p, None)
                else:
                    side[p] = q
        bids = sorted(b.items(), key=lambda x: -x[0])
        asks = sorted(a.items())
        if first:
            exp.append({"type": "book", "symbol": s, "snapshot": True, "last_id": d["u"],
                        "bids": bids, "asks": asks})
        else:
            exp.append({"type": "book", "symbol": s, "snapshot": False, "first_id": d["U"],
                        "last_id": d["u"], "bids": levels(d["b"]), "asks": levels(d["a"])})
        if top:
            exp.append({"type": "top", "symbol": s, "last_id": d["u"], "bids": bids[:top],
                        "asks": asks[:top]})
    elif "u" in d and "b" in d and "A" in d:
        exp.append({"type": "bbo", "symbol": d["s"], "bid_px": dec(d["b"]),
                    "bid_qty": dec(d["B"]), "ask_px": dec(d["a"]), "ask_qty": dec(d["A"]),
                    "id": d["u"]})

got = [json.loads(l) for l in open(evf)]
def fail(why):
    print("BAD " + why)
    sys.exit(0)
if [g["seq"] for g in got] != list(range(1, len(got) + 1)):
    fail("seq is not 1..%d without gaps" % len(got))
if not got or got[0].get("status") != "connected" or got[-1].get("status") != "disconnected":
    fail("not between connected and disconnected statuses")
data = [g for g in got if g["type"] != "status"]
if any(g["type"] == "status" for g in got[1:-1]):
    fail("unexpected status: " + json.dumps([g for g in got[1:-1] if g["type"] == "status"][0]))
if len(data) != len(exp):
    fail("%d data events, the log makes %d" % (len(data), len(exp)))
for i, (g, x) in enumerate(zip(data, exp)):
    for k, v in x.items():
        gv = g.get(k)
        if k in ("bids", "asks"):
            gv = levels(gv)
        elif isinstance(v, D):
            if not isinstance(gv, str):
                fail("event %d: %s is not a decimal string" % (g["seq"], k))
            gv = dec(gv)
        if gv != v:
            fail("event %d (%s %s): %s is %r, want %r" % (g["seq"], x["type"], x["symbol"], k,
                 gv, v))
    if g["exch_ns"] <= 0 and g["type"] != "bbo" or g["recv_ns"] <= 0:
        fail("event %d: times missing" % g["seq"])
n = {}
for x in exp:
    n[x["type"]] = n.get(x["type"], 0) + 1
print("OK %d events: %s" % (len(got), ", ".join("%s %d" % kv for kv in sorted(n.items()))))
EOF

# run NAME SIM-ARGS STREAMS TOP [FEEDRX ARGS...]
run() {
  local n=$1 simargs=$2 streams=$3 top=$4 booked=${5:-}; shift 5
  # shellcheck disable=SC2086
  sim "$n" $simargs || return
  rx --output jsonl --book-from-stream --top "$top" "$@" \
    "wss://$NETNS_EX_IP4:$PORT/stream?streams=$streams" >"$TMP/$n.out" 2>"$TMP/$n.err"
  local rc=$?
  for _ in $(seq 50); do kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.1; done
  if [[ $rc -ne 0 && $MODE == xdp ]] && grep -Eq '^feedrx: --mode xdp: cannot (attach XDP on|open AF_XDP sockets on|register AF_XDP sockets)[^:]*: .*(not supported|not allowed|not permitted|not implemented)' "$TMP/$n.err"; then
    skip "$n" "XDP/AF_XDP unavailable here: $(grep '^feedrx: --mode xdp' "$TMP/$n.err")"; return
  fi
  if [[ $rc -ne 0 ]]; then fail "$n" "exit $rc: $(head -c 300 "$TMP/$n.err")"; return; fi
  if [[ $MODE == xdp ]] && ! grep -q '"path":"fast"' "$TMP/$n.out"; then
    fail "$n" "no event came from the fast path: $(grep '^feedrx: delivered' "$TMP/$n.err")"; return
  fi
  [[ -s $TMP/$n.log ]] || { fail "$n" "feedsim's log is empty"; return; }
  local res
  res=$($PY "$TMP/check.py" "$TMP/$n.log" "$TMP/$n.out" "$top" ${booked:+"$booked"})
  if [[ $res == OK* ]]; then pass "$n"; echo "# $n: $res"
  else fail "$n" "$res"; fi
}

run books_events "--rate 0 --count 20000" \
  "btcusdt@trade/btcusdt@depth/ethusdt@depth@100ms/ethusdt@bookTicker/bnbusdt@aggTrade/bnbusdt@depth" \
  5 ""
run books_top20 "--rate 0 --count 5000 --mix depth=1" "btcusdt@depth/ethusdt@depth" 20 ""
MODE=xdp run books_xdp "--rate 0 --count 20000" \
  "btcusdt@trade/btcusdt@depth@100ms/ethusdt@bookTicker/ethusdt@depth" 10 ""
run books_only_asked "--rate 0 --count 5000 --mix depth=4,trade=1" \
  "btcusdt@depth/ethusdt@depth/ethusdt@trade" 3 ETHUSDT --book ethusdt
