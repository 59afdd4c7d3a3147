#!/usr/bin/env bash
# it_feedsim_records — feedsim --record-per-msg: one TLS record per data
# message even when several are due at once (make bench's low-rate phase
# relies on it). The records are counted in the server-to-client TCP stream
# that feedrx --mode xdp --dump-stream writes (TLS record headers walked from
# the first byte); without the knob, --burst 8 packs several messages into
# one record, which proves the count can tell the two apart.
source "$(dirname "$0")/lib.sh"
NAME=feedsim_records
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
it_setup $NAME

COUNT=800
# run NAME FEEDSIM-ARGS...: sets RC; the stream in $TMP/NAME.stream
run() {
  local n=$1; shift
  PORT=$((9750 + RANDOM % 200))
  ip netns exec "$NS_EX" "$FEEDSIM" --listen "$NETNS_EX_IP4:$PORT" --seed 3 --rate 4000 --burst 8 \
    --count $COUNT --ping-interval 0 --tls 1.3 --once "$@" 2>"$TMP/$n.sim.err" &
  SIM=$!
  netns_track "$SIM"
  wait_listen "$NS_EX" "$PORT"
  ip netns exec "$NS_RX" timeout 30 "$FEEDRX" --mode xdp --iface "$NETNS_RX_DEV" --cafile "$CERTS/ca.pem" \
    --output none --count $COUNT --dump-stream "$TMP/$n.stream" \
    "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" >/dev/null 2>"$TMP/$n.err"
  RC=$?
  kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null
}

# records FILE: application-data records (type 23) in a TLS byte stream
records() {
  /usr/bin/python3 - "$1" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
i = n = 0
while i + 5 <= len(b):
    t, ln = b[i], int.from_bytes(b[i + 3:i + 5], "big")
    if t not in (20, 21, 22, 23) or b[i + 1] != 3:
        print("bad"); sys.exit(0)
    n += t == 23
    i += 5 + ln
print(n)
PY
}

run per_msg --record-per-msg
if grep -q "cannot attach XDP\|cannot open AF_XDP" "$TMP/per_msg.err"; then
  skip $NAME "XDP/AF_XDP unavailable (needed for --dump-stream): $(grep -m1 'feedrx:' "$TMP/per_msg.err")"
  exit 0
fi
RC1=$RC
run batched
a=$(records "$TMP/per_msg.stream"); b=$(records "$TMP/batched.stream")
# per message: every data message its own record (plus a few: the session
# tickets, the upgrade reply, the close, a write split when the socket was
# full: at most 5 % more); batched: bursts of 8 share records
if [[ $RC1 -eq 0 && $RC -eq 0 && $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && (( a >= COUNT && a <= COUNT + COUNT / 20 && b < COUNT / 2 )); then
  pass "$NAME ($COUNT messages: $a records with --record-per-msg, $b without)"
else
  fail $NAME "records with --record-per-msg: ${a:-?}, without: ${b:-?} (want >= $COUNT and < $((COUNT / 2))); rc=$RC1/$RC; $(tail -1 "$TMP/batched.err")"
fi
