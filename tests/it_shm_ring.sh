#!/usr/bin/env bash
# it_shm_ring — the shared-memory ring end to end, between processes:
#   - a producer (tests/tool_events: synthesized events through the same
#     shm sink feedrx uses) and, at once, the C reader (feedrx-shm-read) and
#     the Python reader (examples/shm_reader.py): each receives every event
#     of the run exactly once, in order (seq 1..N), and the two print the
#     same JSON byte for byte
#   - a reader stopped (SIGSTOP) while the producer laps a small ring
#     reports the overrun on stderr and exits 3; the events it got plus the
#     ones it says it lost are exactly the run (C and Python)
#   - the ring is removed at the producer's exit, kept with --shm-keep; a
#     second producer on a live ring's name is refused; a reader of a
#     missing ring says what to do
# No network: the ring is a file in /dev/shm (names unique per run).
source "$(dirname "$0")/lib.sh"
READER=$BUILD/feedrx-shm-read
TOOL=$BUILD/tests/tool_events
PYR=$ROOT/examples/shm_reader.py
for f in "$READER" "$TOOL"; do [[ -x $f ]] || { fail it_shm_ring "build $f first"; exit 1; }; done
[[ -d /dev/shm && -w /dev/shm ]] || { skip it_shm_ring "no writable /dev/shm"; exit 0; }
command -v python3 >/dev/null || { skip it_shm_ring "no python3"; exit 0; }
ID=fxit-$$-$RANDOM
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -f /dev/shm/"$ID"-*; rm -rf "$TMP"; }
trap cleanup EXIT

# check_seq FILE N: the JSON lines' seq are exactly 1..N
check_seq() {
  python3 - "$1" "$2" <<'PY'
import json, sys
seqs = [json.loads(l)["seq"] for l in open(sys.argv[1])]
n = int(sys.argv[2])
sys.exit(0 if seqs == list(range(1, n + 1)) else 1)
PY
}

# ---- every event exactly once, two readers in two languages at once
N=100000
"$READER" --wait 20 --from-start "$ID-a" >"$TMP/c.jsonl" 2>"$TMP/c.err" & RC=$!; PIDS+=($RC)
python3 "$PYR" --wait 20 --from-start "$ID-a" >"$TMP/p.jsonl" 2>"$TMP/p.err" & RP=$!; PIDS+=($RP)
# the readers wait for the ring and start at its beginning (it holds the
# whole run), so when they open it does not matter
"$TOOL" --shm "$ID-a" --shm-size 67108864 --count $N --rate 50000 --start-delay 1.5 \
  >"$TMP/prod.out" 2>"$TMP/prod.err" &
PP=$!; PIDS+=($PP)
wait $PP; prc=$?
wait $RC; crc=$?
wait $RP; prc_py=$?
if [[ $prc -ne 0 ]]; then
  fail shm_exactly_once "producer failed: $(tail -2 "$TMP/prod.err")"
elif [[ $crc -ne 0 ]] || ! check_seq "$TMP/c.jsonl" $N; then
  fail shm_exactly_once "C reader: exit $crc, $(wc -l <"$TMP/c.jsonl") lines; $(tail -1 "$TMP/c.err")"
elif [[ $prc_py -ne 0 ]] || ! check_seq "$TMP/p.jsonl" $N; then
  fail shm_exactly_once "Python reader: exit $prc_py, $(wc -l <"$TMP/p.jsonl") lines; $(tail -1 "$TMP/p.err")"
elif ! cmp -s "$TMP/c.jsonl" "$TMP/p.jsonl"; then
  fail shm_exactly_once "the C and Python readers printed different JSON"
else
  pass shm_exactly_once
fi
[[ ! -e /dev/shm/$ID-a ]] && pass shm_removed_at_exit || fail shm_removed_at_exit "/dev/shm/$ID-a left"

# ---- an overrun: a stopped reader is lapped, says so, and counts the loss
N=60000
# the producer gives the readers 3 s to open the ring before its first event
# (from the start of a ring nothing was written to: no loss uncounted)
"$TOOL" --shm "$ID-b" --shm-size 65536 --count $N --rate 20000 --start-delay 3 \
  2>"$TMP/prod2.err" & PP=$!; PIDS+=($PP)
"$READER" --wait 20 --from-start --quiet "$ID-b" >/dev/null 2>"$TMP/c2.err" & RC=$!; PIDS+=($RC)
python3 "$PYR" --wait 20 --from-start --quiet "$ID-b" >/dev/null 2>"$TMP/p2.err" & RP=$!; PIDS+=($RP)
sleep 3.8; kill -STOP $RC $RP; sleep 1; kill -CONT $RC $RP
wait $PP; wait $RC; crc=$?; wait $RP; prc_py=$?
# "N events, O overruns, L events lost": got + lost must be the run
sum_c=$(sed -n 's/.*: \([0-9]*\) events, \([0-9]*\) overruns, \([0-9]*\) events lost.*/\1 \2 \3/p' "$TMP/c2.err")
sum_p=$(sed -n 's/.*: \([0-9]*\) events, \([0-9]*\) overruns, \([0-9]*\) events lost.*/\1 \2 \3/p' "$TMP/p2.err")
ok_overrun() { # "got overruns lost" rc errfile
  local got ov lost; read -r got ov lost <<<"$1"
  [[ $2 -eq 3 && ${ov:-0} -gt 0 && ${lost:-0} -gt 0 && $((got + lost)) -eq $N ]] && grep -q "overrun: .* lost" "$3"
}
# a loss after a reader's last event shows in no later record: the readers
# got the run's end (the producer kept publishing after SIGCONT)
if ok_overrun "$sum_c" $crc "$TMP/c2.err"; then pass shm_overrun_c "$sum_c"; else
  fail shm_overrun_c "exit $crc, got/overruns/lost '$sum_c' (want lost > 0, got + lost = $N)"; fi
if ok_overrun "$sum_p" $prc_py "$TMP/p2.err"; then pass shm_overrun_python; else
  fail shm_overrun_python "exit $prc_py, got/overruns/lost '$sum_p' (want lost > 0, got + lost = $N)"; fi

# ---- kept ring, a live name refused, a missing ring explained
"$TOOL" --shm "$ID-c" --shm-keep --count 10 2>/dev/null
if [[ -e /dev/shm/$ID-c ]] && "$READER" --from-start --quiet "$ID-c" 2>"$TMP/k.err" &&
   grep -q "^feedrx-shm-read: 10 events, 0 overruns" "$TMP/k.err"; then
  pass shm_keep
else
  fail shm_keep "kept ring missing or unreadable: $(cat "$TMP/k.err" 2>/dev/null)"
fi
"$TOOL" --shm "$ID-d" --count 2000000 --rate 1000 2>/dev/null & PP=$!; PIDS+=($PP)
# ready once a reader gets its first event
timeout 20 "$READER" --wait 15 --from-start --count 1 --quiet "$ID-d" 2>/dev/null
out=$("$TOOL" --shm "$ID-d" --count 1 2>&1); rc=$?
kill $PP; wait $PP 2>/dev/null
[[ $rc -ne 0 && $out == *"in use by a running producer"* ]] && pass shm_name_in_use ||
  fail shm_name_in_use "rc $rc: $out"
out=$("$READER" "$ID-none" 2>&1); rc=$?
[[ $rc -eq 1 && $out == *"No such file"*"--shm NAME"* ]] && pass shm_reader_missing ||
  fail shm_reader_missing "rc $rc: $out"
