#!/usr/bin/env bash
# it_sbe — feedrx --venue binance-sbe against feedsim --venue binance-sbe in
# the namespace pair, in kernel and xdp modes: every SBE message feedsim
# sent (its --log, hex per line) is delivered exactly once and in order
# (feedrx's raw output: each payload + newline, compared byte for byte);
# the API key goes out as X-MBX-APIKEY (feedsim answers 401 without it)
# and never appears in feedrx's stderr at -v -v nor its output; the key
# from FEEDRX_API_KEY, --api-key-file and --api-key (which warns); a
# SUBSCRIBE with SBE stream names is answered by a JSON text reply that is
# not delivered; the serverShutdown text frame is delivered among the binary
# ones; --output pretty decodes the binary frames.
# SKIP without namespaces; the xdp cases SKIP where XDP cannot attach.
source "$(dirname "$0")/lib.sh"
NAME=it_sbe
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }

KEY="sbeTestKey$RANDOM${RANDOM}Ed25519xQ"

# No namespace needed: binance-sbe without a key is a usage error.
env -u FEEDRX_API_KEY "$FEEDRX" --venue binance-sbe "wss://localhost:1/ws/btcusdt@trade" \
  >/dev/null 2>"$TMP/nokey.err"
rc=$?
if [[ $rc -eq 2 ]] && grep -q 'needs an API key (sent as X-MBX-APIKEY)' "$TMP/nokey.err"; then
  pass sbe_no_key_usage
else fail sbe_no_key_usage "rc=$rc: $(head -c 300 "$TMP/nokey.err")"; fi

it_setup $NAME

PORT=9700
SIM_PID=
sim() {
  local n=$1; shift
  PORT=$((PORT + 1))
  ip netns exec "$NS_EX" "$FEEDSIM" --once --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --listen "$NETNS_EX_IP4:$PORT" --listen "[$NETNS_EX_IP6]:$PORT" --seed 7 --log "$TMP/$n.log" \
    --venue binance-sbe -v "$@" >"$TMP/$n.sim.out" 2>"$TMP/$n.sim.err" &
  SIM_PID=$!
  netns_track $SIM_PID
  wait_listen "$NS_EX" "$PORT" || { fail "$n" "feedsim did not listen on $PORT"; return 1; }
}
sim_wait() {
  for _ in $(seq 100); do kill -0 "$SIM_PID" 2>/dev/null || return 0; sleep 0.05; done
  return 1
}
# rx NAME URL ARGS...: feedrx -v -v in NS_RX, the key in the environment
rx() {
  local n=$1 url=$2; shift 2
  ip netns exec "$NS_RX" env FEEDRX_API_KEY="$KEY" timeout 60 "$FEEDRX" --cafile "$CERTS/ca.pem" \
    -v -v --venue binance-sbe "$@" "$url" >"$TMP/$n.out" 2>"$TMP/$n.err"
  RC=$?
  if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP/$n.err"; then
    fail "${n}_sanitizer" "$(grep -E -m1 'Sanitizer|runtime error:' "$TMP/$n.err")"
  fi
}
why() { tail -n 4 "$TMP/$1.err" | tr '\n' '|' | head -c 400; }

# feedsim's hex log as the raw sink writes it: each payload + "\n"
log_bytes() {
  python3 -c 'import sys
out = sys.stdout.buffer
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    # JSON text frames (serverShutdown) are logged as sent, binary ones in hex
    out.write((line.encode() if line.startswith("{") else bytes.fromhex(line)) + b"\n")' "$1"
}

# check NAME COUNT: clean exit, every message once, the key nowhere
check() {
  local n=$1 c=$2
  sim_wait || { fail "${n}_cmp" "feedsim did not exit"; return; }
  if [[ $RC -eq 0 ]] && grep -q 'close sent 1000, received 1000$' "$TMP/$n.err"; then
    pass "${n}_exit_clean"
  else fail "${n}_exit_clean" "rc=$RC: $(why "$n")"; fi
  if [[ $(wc -l <"$TMP/$n.log") -ne $c ]]; then
    fail "${n}_cmp" "feedsim logged $(wc -l <"$TMP/$n.log") messages, wanted $c"
  elif cmp -s "$TMP/$n.out" <(log_bytes "$TMP/$n.log"); then pass "${n}_cmp"
  else fail "${n}_cmp" "stdout ($(stat -c %s "$TMP/$n.out") B) differs from feedsim's log"; fi
  if grep -Eq "^feedrx: (delivered )?$c messages" "$TMP/$n.err"; then pass "${n}_count"
  else fail "${n}_count" "$(grep -m1 '^feedrx: delivered' "$TMP/$n.err")"; fi
  if grep -qF "$KEY" "$TMP/$n.err" "$TMP/$n.out" "$TMP/$n.sim.err"; then
    fail "${n}_key_hidden" "the API key appears in the output or the logs"
  elif ! grep -q 'API key loaded' "$TMP/$n.err"; then
    fail "${n}_key_hidden" "no debug line: was -v -v in effect?"
  else pass "${n}_key_hidden"; fi
}

STREAMS="btcusdt@trade/btcusdt@bestBidAsk/btcusdt@depth/btcusdt@depth20/ethusdt@trade"

# ---- kernel mode -----------------------------------------------------------
if sim sbe_kernel --rate 0 --count 3000; then
  rx sbe_kernel "wss://$NETNS_EX_IP4:$PORT/stream?streams=$STREAMS" --mode kernel
  check sbe_kernel 3000
  # all four templates went out
  tpls=$(cut -c5-8 "$TMP/sbe_kernel.log" | sort -u | tr '\n' ' ')
  if [[ $tpls == "1027 1127 1227 1327 " ]]; then pass sbe_kernel_templates
  else fail sbe_kernel_templates "template ids seen (LE hex): $tpls"; fi
fi

# SUBSCRIBE with SBE names over /ws: the JSON reply is not delivered
if sim sbe_subscribe --rate 0 --count 500; then
  rx sbe_subscribe "wss://[$NETNS_EX_IP6]:$PORT/ws" --mode kernel \
    --subscribe btcusdt@bestBidAsk,btcusdt@depth20
  check sbe_subscribe 500
  # the JSON reply was classified and counted, not delivered (_cmp)
  if grep -q 'pongs, 1 subscription replies; close' "$TMP/sbe_subscribe.err"; then
    pass sbe_subscribe_reply
  else fail sbe_subscribe_reply "$(grep -m1 'subscription replies' "$TMP/sbe_subscribe.err")"; fi
fi

# the key from a file; and on the command line, which warns
printf '%s\n' "$KEY" >"$TMP/key.txt"
chmod 600 "$TMP/key.txt"
if sim sbe_keyfile --rate 0 --count 200; then
  ip netns exec "$NS_RX" env -u FEEDRX_API_KEY timeout 60 "$FEEDRX" --cafile "$CERTS/ca.pem" \
    -v -v --venue binance-sbe --mode kernel --api-key-file "$TMP/key.txt" \
    "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" >"$TMP/sbe_keyfile.out" 2>"$TMP/sbe_keyfile.err"
  RC=$?
  check sbe_keyfile 200
fi
if sim sbe_keyarg --rate 0 --count 100; then
  ip netns exec "$NS_RX" env -u FEEDRX_API_KEY timeout 60 "$FEEDRX" --cafile "$CERTS/ca.pem" \
    -v -v --venue binance-sbe --mode kernel --api-key "$KEY" \
    "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@depth" >"$TMP/sbe_keyarg.out" 2>"$TMP/sbe_keyarg.err"
  RC=$?
  check sbe_keyarg 100
  if grep -q 'warning: --api-key: other users can see the key' "$TMP/sbe_keyarg.err"; then
    pass sbe_keyarg_warns
  else fail sbe_keyarg_warns "no warning: $(why sbe_keyarg)"; fi
fi

# while it runs, the key is gone from /proc/PID/environ and /proc/PID/cmdline
# (paced so that feedrx is still up when they are read)
proc_check() {
  local n=$1 how=$2 pid=""
  if ! sim "$n" --rate 100 --count 300; then return; fi
  if [[ $how == env ]]; then
    ip netns exec "$NS_RX" env FEEDRX_API_KEY="$KEY" timeout 60 "$FEEDRX" --cafile "$CERTS/ca.pem" \
      --venue binance-sbe --mode kernel --output none \
      "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" >/dev/null 2>"$TMP/$n.err" &
  else
    ip netns exec "$NS_RX" env -u FEEDRX_API_KEY timeout 60 "$FEEDRX" --cafile "$CERTS/ca.pem" \
      --venue binance-sbe --mode kernel --output none --api-key "$KEY" \
      "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" >/dev/null 2>"$TMP/$n.err" &
  fi
  local outer=$!
  netns_track "$outer"
  for _ in $(seq 100); do
    pid=$(pgrep -P "$outer" -x feedrx | head -n1)
    [[ -n $pid && -r /proc/$pid/environ ]] && break
    sleep 0.02
  done
  sleep 0.5 # past set-up: the key was read
  if [[ -z $pid ]]; then fail "$n" "feedrx did not start: $(why "$n")"
  elif tr '\0' '\n' <"/proc/$pid/environ" | grep -qF "$KEY" ||
       tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$KEY"; then
    fail "$n" "the key is still in /proc/$pid/environ or cmdline"
  else pass "$n"; fi
  wait "$outer"
  sim_wait
}
proc_check sbe_proc_env env
proc_check sbe_proc_arg arg

# no key header: feedsim answers 401 and feedrx says so
if sim sbe_401 --rate 0 --count 10; then
  ip netns exec "$NS_RX" timeout 60 "$FEEDRX" --cafile "$CERTS/ca.pem" --venue binance \
    --mode kernel "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" >"$TMP/sbe_401.out" 2>"$TMP/sbe_401.err"
  RC=$?
  if [[ $RC -eq 1 ]] && grep -q '401' "$TMP/sbe_401.err" && [[ ! -s $TMP/sbe_401.out ]]; then
    pass sbe_401
  else fail sbe_401 "rc=$RC: $(why sbe_401)"; fi
fi

# people read it: --output pretty decodes the binary frames
if sim sbe_pretty --rate 0 --count 100; then
  rx sbe_pretty "wss://$NETNS_EX_IP4:$PORT/stream?streams=$STREAMS" --mode kernel --output pretty
  if [[ $RC -eq 0 ]] && [[ $(wc -l <"$TMP/sbe_pretty.out") -ge 100 ]] &&
     grep -q 'BTCUSDT' "$TMP/sbe_pretty.out" && ! grep -qi 'error' "$TMP/sbe_pretty.out"; then
    pass sbe_pretty
  else fail sbe_pretty "rc=$RC: $(head -c 300 "$TMP/sbe_pretty.out")"; fi
fi

# serverShutdown: a JSON text frame among the binary ones, delivered in
# its place (then the connection set rotates to a new connection)
if sim sbe_notice --rate 200 --max-age 1.5 --shutdown-notice 1; then
  rx sbe_notice "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@bestBidAsk" --mode kernel --no-reconnect
  sim_wait
  k=$(grep -n -m1 '^{"e":"serverShutdown"' "$TMP/sbe_notice.log" | cut -d: -f1)
  if [[ -n $k ]]; then
    head -n "$k" "$TMP/sbe_notice.log" >"$TMP/sbe_notice.head"
    log_bytes "$TMP/sbe_notice.head" >"$TMP/sbe_notice.bin"
  fi
  if [[ -n $k ]] && cmp -s -n "$(stat -c %s "$TMP/sbe_notice.bin")" "$TMP/sbe_notice.bin" "$TMP/sbe_notice.out" &&
     grep -q 'serverShutdown notice: rotating' "$TMP/sbe_notice.err"; then
    pass sbe_notice
  else fail sbe_notice "rc=$RC, log $(wc -l <"$TMP/sbe_notice.log") lines: $(why sbe_notice)"; fi
fi

# books: the same market in SBE and in JSON (one --seed: feedsim's SBE frames
# re-encode the JSON generator's messages) makes the same books, level for
# level (ETHUSDT: the JSON twin's btcusdt@depth@100ms, which stands in for
# @depth20 in the generator's draws, is a second diff stream of BTCUSDT's
# book there), and the partial @depth20 books never break BTCUSDT's
for mode in kernel xdp; do
  if sim sbe_books_$mode --rate 0 --count 3000; then
    rx sbe_books_$mode "wss://$NETNS_EX_IP4:$PORT/stream?streams=btcusdt@depth/btcusdt@depth20/ethusdt@depth" \
      --mode $mode --output jsonl --book-from-stream --top 5
    sim_wait
  fi
done
if sim sbe_books_json --venue binance --rate 0 --count 3000; then
  rx sbe_books_json "wss://$NETNS_EX_IP4:$PORT/stream?streams=btcusdt@depth/btcusdt@depth@100ms/ethusdt@depth" \
    --venue binance --mode kernel --output jsonl --book-from-stream --top 5
  sim_wait
fi
for mode in kernel xdp; do
  if [[ $mode == xdp ]] && grep -Eqi 'cannot attach|AF_XDP.*not supported|no XDP' "$TMP/sbe_books_xdp.err"; then
    skip sbe_books_equal_json_xdp "XDP unavailable: $(why sbe_books_xdp)"; continue
  fi
  if python3 - "$TMP/sbe_books_$mode.out" "$TMP/sbe_books_json.out" 2>"$TMP/sbe_books.py.err" <<'PY'
import json, sys
def books(path, sbe=False):
    out = []
    for line in open(path):
        e = json.loads(line)
        if sbe and e.get("type") == "status":
            assert e.get("status") not in ("book_invalid", "resynced"), e
        if e.get("type") in ("book", "top") and e.get("symbol") == "ETHUSDT":
            for k in ("seq", "exch_ns", "recv_ns", "venue", "path"):
                e.pop(k, None)
            out.append(json.dumps(e, sort_keys=True))
    return out
a, b = books(sys.argv[1], True), books(sys.argv[2])
assert len(a) > 200, len(a)
if a != b:
    i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    raise SystemExit("%d vs %d book events, first difference at %d: %s | %s" % (
        len(a), len(b), i, a[i][:160] if i < len(a) else "-", b[i][:160] if i < len(b) else "-"))
PY
  then pass sbe_books_equal_json_$mode
  else fail sbe_books_equal_json_$mode "SBE $(grep -c '"type":"top"' "$TMP/sbe_books_$mode.out") tops, JSON $(grep -c '"type":"top"' "$TMP/sbe_books_json.out"): $(tail -c 600 "$TMP/sbe_books.py.err")"; fi
done

# ---- xdp mode --------------------------------------------------------------
if sim sbe_xdp --rate 0 --count 3000; then
  rx sbe_xdp "wss://$NETNS_EX_IP4:$PORT/stream?streams=$STREAMS" --mode xdp
  if [[ $RC -ne 0 ]] && grep -Eqi 'cannot attach|AF_XDP.*not supported|no XDP' "$TMP/sbe_xdp.err"; then
    skip sbe_xdp "XDP unavailable: $(why sbe_xdp)"
  else
    check sbe_xdp 3000
    if grep -q '^feedrx: delivered 3000 messages: 3000 from the fast path, 0 from the kernel path; shadow compared 3000, 0 different$' "$TMP/sbe_xdp.err"; then
      pass sbe_xdp_fast_only
    else fail sbe_xdp_fast_only "$(grep -E '^feedrx: (delivered|fast path stopped)' "$TMP/sbe_xdp.err" | head -c 300)"; fi
  fi
fi
if sim sbe_xdp6 --rate 2000 --count 1000 --fragment 100; then
  rx sbe_xdp6 "wss://[$NETNS_EX_IP6]:$PORT/ws" --mode xdp --subscribe btcusdt@trade,btcusdt@depth
  if [[ $RC -ne 0 ]] && grep -Eqi 'cannot attach|AF_XDP.*not supported|no XDP' "$TMP/sbe_xdp6.err"; then
    skip sbe_xdp6 "XDP unavailable: $(why sbe_xdp6)"
  else
    check sbe_xdp6 1000
    if grep -q '^feedrx: delivered 1000 messages: 1000 from the fast path' "$TMP/sbe_xdp6.err"; then
      pass sbe_xdp6_fast_only
    else fail sbe_xdp6_fast_only "$(grep -E '^feedrx: (delivered|fast path stopped)' "$TMP/sbe_xdp6.err" | head -c 300)"; fi
  fi
fi
