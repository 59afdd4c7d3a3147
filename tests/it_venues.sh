#!/usr/bin/env bash
# it_venues — feedrx --venue okx / bybit against feedsim --venue okx / bybit
# across the namespace veth pair, in kernel and XDP modes: every data message
# delivered exactly once, byte for byte as feedsim's --log, while the
# venue's subscription replies (one per stream on OKX, one per request on
# Bybit, spot requests split at 10 topics) and keepalive answers (OKX "pong",
# Bybit's op ping/pong, both shapes) are filtered on both paths — feedsim
# starts its data late (--delay-ms) so feedrx's idle keepalive goes out and
# is answered first; also with --shadow discard (the fast path alone).
# Also: a refused subscription ends feedrx with an error; --drop-diff breaks
# the venue's book id chain (checked in the log) and the messages still
# arrive exactly once.
# The XDP cases SKIP when the kernel cannot attach XDP or open AF_XDP sockets.
source "$(dirname "$0")/lib.sh"
NAME=it_venues
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
it_setup $NAME

PORT=9750
SIM_PID=
HAS_XDP=
"$FEEDRX" --help 2>/dev/null | grep -q -- '--dump-stream' && HAS_XDP=1

# sim NAME ARGS...: one feedsim (--once) on a fresh port; log in $TMP/NAME.log
sim() {
  local n=$1; shift
  PORT=$((PORT + 1))
  ip netns exec "$NS_EX" "$FEEDSIM" --once --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --listen "$NETNS_EX_IP4:$PORT" --seed 7 --log "$TMP/$n.log" -v "$@" \
    >"$TMP/$n.sim.out" 2>"$TMP/$n.sim.err" &
  SIM_PID=$!
  netns_track $SIM_PID
  wait_listen "$NS_EX" "$PORT" || { fail "$n" "feedsim did not listen on $PORT"; return 1; }
}

sim_wait() {
  for _ in $(seq 100); do kill -0 "$SIM_PID" 2>/dev/null || return 0; sleep 0.05; done
  return 1
}

# rx NAME PATH ARGS...: feedrx -v in NS_RX, status in RC
rx() {
  local n=$1 path=$2; shift 2
  ip netns exec "$NS_RX" timeout 60 "$FEEDRX" --cafile "$CERTS/ca.pem" -v "$@" \
    "wss://$NETNS_EX_IP4:$PORT$path" >"$TMP/$n.out" 2>"$TMP/$n.err"
  RC=$?
  if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP/$n.err" "$TMP/$n.sim.err"; then
    fail "${n}_sanitizer" "$(grep -hE -m1 'Sanitizer|runtime error:' "$TMP/$n.err" "$TMP/$n.sim.err")"
  fi
}

why() { tail -n 4 "$TMP/$1.err" | tr '\n' '|' | head -c 400; }

# exactly once: stdout (raw sink, one message a line) == feedsim's log, the
# whole --count, and a clean close
check_once() {
  local n=$1 count=$2
  sim_wait || { fail "${n}_once" "feedsim did not exit"; return; }
  if [[ $RC -ne 0 ]]; then fail "${n}_once" "rc=$RC: $(why "$n")"; return; fi
  if [[ $(wc -l <"$TMP/$n.log") -ne $count ]]; then
    fail "${n}_once" "feedsim logged $(wc -l <"$TMP/$n.log") messages, want $count"; return
  fi
  if cmp -s "$TMP/$n.out" "$TMP/$n.log"; then pass "${n}_once"
  else fail "${n}_once" "stdout ($(wc -l <"$TMP/$n.out") lines) differs from feedsim's log"; fi
}

# the replies and keepalive answers were filtered (feedrx -v counts them)
check_filtered() {
  local n=$1 replies=$2 line
  line=$(grep '^feedrx: venue: ' "$TMP/$n.err")
  if [[ $line =~ ^feedrx:\ venue:\ ([0-9]+)\ subscription\ replies,\ ([0-9]+)\ control ]] &&
     [[ ${BASH_REMATCH[1]} -eq $replies && ${BASH_REMATCH[2]} -ge 1 ]]; then
    pass "${n}_filtered"
  else fail "${n}_filtered" "want $replies replies and a keepalive answer: '$line'"; fi
}

check_fast() {
  local n=$1 c=$2
  if grep -q "^feedrx: delivered $c messages: $c from the fast path, 0 from the kernel path; shadow compared $c, 0 different\$" "$TMP/$n.err"; then
    pass "${n}_fast"
  else fail "${n}_fast" "$(grep -E '^feedrx: (delivered|fast path)' "$TMP/$n.err" | head -c 300)"; fi
}

OKX_SUBS=(--subscribe books:BTC-USDT --subscribe trades:BTC-USDT --subscribe bbo-tbt:ETH-USDT)
BYBIT_SUBS=(--subscribe orderbook.50.BTCUSDT --subscribe publicTrade.BTCUSDT --subscribe orderbook.1.ETHUSDT)
COMMON=(--count 300 --rate 500 --delay-ms 1500)

xdp_ok() {
  [[ -n $HAS_XDP ]] || { skip "$1" "this feedrx has no XDP mode"; return 1; }
  if grep -Eq 'cannot (attach|open|create).*(XDP|AF_XDP|xsk)|not supported' "$TMP/$1.err" && [[ $RC -ne 0 ]]; then
    skip "$1" "XDP unavailable: $(why "$1")"; return 1
  fi
  return 0
}

for mode in kernel xdp; do
  n=okx_$mode
  sim $n --venue okx "${COMMON[@]}" || continue
  rx $n /ws/v5/public --mode $mode --venue okx --idle-timeout 2 "${OKX_SUBS[@]}"
  if [[ $mode == xdp ]] && ! xdp_ok $n; then continue; fi
  check_once $n 300
  check_filtered $n 3
  [[ $mode == xdp ]] && check_fast $n 300

  n=bybit_$mode
  sim $n --venue bybit "${COMMON[@]}" || continue
  rx $n /v5/public/spot --mode $mode --venue bybit --idle-timeout 2 "${BYBIT_SUBS[@]}"
  if [[ $mode == xdp ]] && ! xdp_ok $n; then continue; fi
  check_once $n 300
  check_filtered $n 1
  [[ $mode == xdp ]] && check_fast $n 300
done

# --shadow discard: the kernel socket is read and dropped, the fast path is
# the only decoder: the keepalive still goes out, its answer and the replies
# are filtered there
if [[ -n $HAS_XDP ]]; then
  n=okx_discard
  sim $n --venue okx "${COMMON[@]}"
  rx $n /ws/v5/public --mode xdp --shadow discard --venue okx --idle-timeout 2 "${OKX_SUBS[@]}"
  if xdp_ok $n; then
    check_once $n 300
    check_filtered $n 3
  fi
fi

# futures: the other pong shape ({"op":"pong",..}), no request limit
n=bybit_linear
sim $n --venue bybit "${COMMON[@]}"
rx $n /v5/public/linear --mode kernel --venue bybit-linear --idle-timeout 2 "${BYBIT_SUBS[@]}"
check_once $n 300
check_filtered $n 1

# spot: 12 topics go out as two requests (10 + 2), two replies (one of 12
# would be refused: "args size >10", and feedrx would end with an error)
n=bybit_split
subs=()
for s in BTC ETH SOL XRP BNB ADA DOGE TRX DOT LTC LINK AVAX; do subs+=(--subscribe "publicTrade.${s}USDT"); done
sim $n --venue bybit "${COMMON[@]}"
rx $n /v5/public/spot --mode kernel --venue bybit --idle-timeout 2 "${subs[@]}"
check_once $n 300
check_filtered $n 2
# a refused subscription (OKX has no channel "books7") ends feedrx with an error
n=okx_refused
sim $n --venue okx --count 10
rx $n /ws/v5/public --mode kernel --venue okx --subscribe books7:BTC-USDT
if [[ $RC -ne 0 ]] && grep -q 'subscription refused: {"event":"error","code":"60018"' "$TMP/$n.err"; then
  pass "$n"
else fail "$n" "rc=$RC: $(why "$n")"; fi
sim_wait

# --drop-diff: the book id chain breaks (the log says so), every message sent
# still arrives once; both venues
for v in okx bybit; do
  n=${v}_gaps
  path=/ws/v5/public subs=(--subscribe books:BTC-USDT)
  [[ $v == bybit ]] && path=/v5/public/spot subs=(--subscribe orderbook.50.BTCUSDT)
  sim $n --venue $v --count 200 --rate 1000 --drop-diff 0.2
  rx $n $path --mode kernel --venue $v "${subs[@]}"
  check_once $n 200
  breaks=$(/usr/bin/python3 - "$TMP/$n.log" "$v" <<'PY'
import json, sys
prev, breaks = None, 0
for line in open(sys.argv[1]):
    m = json.loads(line)
    if sys.argv[2] == "okx":
        d = m["data"][0]
        if m["action"] == "update" and prev is not None and d["prevSeqId"] != prev:
            breaks += 1
        prev = d["seqId"]
    else:
        u = m["data"]["u"]
        if m["type"] == "delta" and prev is not None and u != prev + 1:
            breaks += 1
        prev = u
print(breaks)
PY
)
  if [[ $breaks =~ ^[0-9]+$ && $breaks -ge 5 ]]; then pass "${n}_chain_breaks"
  else fail "${n}_chain_breaks" "$breaks breaks in the log's ids (want >= 5 at 20%)"; fi
done

# without --drop-diff the chains hold (the same check finds no break)
n=okx_nogaps
sim $n --venue okx --count 200 --rate 1000
rx $n /ws/v5/public --mode kernel --venue okx --subscribe books:BTC-USDT
check_once $n 200
if /usr/bin/python3 - "$TMP/$n.log" <<'PY'
import json, sys
prev = None
for i, line in enumerate(open(sys.argv[1])):
    d = json.loads(line)["data"][0]
    assert (d["prevSeqId"] == -1) == (i == 0), line[:100]
    assert prev is None or d["prevSeqId"] == prev, line[:100]
    prev = d["seqId"]
PY
then pass "${n}_chain"; else fail "${n}_chain" "prevSeqId does not name the previous seqId"; fi
