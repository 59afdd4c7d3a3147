#!/usr/bin/env bash
# it_hostile — feedrx against a hostile exchange (feedsim --hostile KIND), in
# --mode kernel, --mode xdp (the shadow decodes) and --mode xdp --shadow
# discard (mode "xdp-discard": the fast path is the only decoder), across the
# namespace veth pair. For every kind and mode, one PASS/FAIL line
# "h_<kind>_<mode>" that checks:
#   - the end: the expected RFC 6455 close code (in feedrx's one error line
#     "(closed with N)" and in feedsim's "close received N"), or the expected
#     one-line error; exit status 1 (0 for after-close: the server closed
#     1000, feedrx echoed it, the data after the close was dropped);
#   - one line: stderr holds that line and nothing else (xdp mode: besides
#     the set-up description and the "delivered" summary), so a violation
#     seen by both the fast path and its shadow is reported once;
#   - bounded time (seconds) and bounded memory: peak RSS (/usr/bin/time)
#     under RSS_MAX_KB, far below what the attack would need (1 GiB answer,
#     2^63 length, endless fragments);
#   - delivery: stdout (--output raw) is exactly the valid messages feedsim
#     sent before the attack (its --log): nothing invalid delivered, nothing
#     delivered taken back;
#   - no sanitizer report from feedrx or feedsim (the ASan/UBSan build runs
#     this too).
# xdp cases print SKIP when XDP/AF_XDP cannot be set up here. A table of
# what each case ended with goes to stderr (build*/test-logs/it_hostile.log.err).
# Knobs for debugging: HOSTILE_KINDS="len63 ...", HOSTILE_MODES="kernel ...",
# HOSTILE_RX_EXTRA=-v (more feedrx options; -v breaks the one-line check).
source "$(dirname "$0")/lib.sh"
NAME=it_hostile
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
if ! "$FEEDSIM" --help 2>/dev/null | grep -q -- '--hostile KIND'; then
  fail $NAME "this feedsim has no --hostile"; exit 1
fi
if [[ ! -x /usr/bin/time ]]; then skip $NAME "/usr/bin/time missing (scripts/deps.sh)"; exit 0; fi
it_setup $NAME

RSS_MAX_KB=${RSS_MAX_KB:-65536} # 64 MiB
TIME_MAX=${TIME_MAX:-8}         # seconds per case
PREFIX=3                        # valid messages before a session attack
# short timeouts keep the whole run short: silence is found in 2 s
# one hostile connection is the subject: --no-reconnect (the default reconnects)
RX_OPTS=(${HOSTILE_RX_EXTRA:-} --no-reconnect --output raw --cafile "$CERTS/ca.pem" --idle-timeout 2 --connect-timeout 3 --max-message 1M)

# kind -> "RC CODE REGEX": the exit status, the close code feedrx sends
# (- when it sends none) and the one line it must print on stderr (- for
# none). Handshake kinds send no valid message first.
declare -A WANT=(
  [len63]='1 1002 WebSocket protocol error .*\(closed with 1002\)$'
  [oversize]='1 1009 WebSocket protocol error .*\(closed with 1009\)$'
  [endless-cont]='1 1009 WebSocket protocol error .*\(closed with 1009\)$'
  [ctl-long]='1 1002 WebSocket protocol error .*\(closed with 1002\)$'
  [ctl-frag]='1 1002 WebSocket protocol error .*\(closed with 1002\)$'
  [masked]='1 1002 WebSocket protocol error .*\(closed with 1002\)$'
  [rsv]='1 1002 WebSocket protocol error .*\(closed with 1002\)$'
  [opcode]='1 1002 WebSocket protocol error .*\(closed with 1002\)$'
  [bad-utf8]='1 1007 WebSocket protocol error .*\(closed with 1007\)$'
  [bad-close]='1 1002 WebSocket protocol error .*\(closed with 1002\)$'
  [close-1byte]='1 1002 WebSocket protocol error .*\(closed with 1002\)$'
  [after-close]='0 1000 -'
  [tls-trunc]='1 - no (data|complete frame) from server for 2 s'
  [slowloris]='1 - no complete frame from server for 2 s'
  [bad-accept]='1 - [Ss]ec-[Ww]eb[Ss]ocket-[Aa]ccept'
  [body-101]='1 1002 WebSocket protocol error .*\(closed with 1002\)$'
  [endless-headers]='1 - bad HTTP answer to the upgrade: too many response headers$'
  [huge-answer]='1 - server answered 200 .*\(expected 101\)$'
)
KINDS=(len63 oversize endless-cont ctl-long ctl-frag masked rsv opcode bad-utf8 bad-close
       close-1byte after-close tls-trunc slowloris bad-accept body-101 endless-headers huge-answer)
HANDSHAKE_KINDS=" bad-accept body-101 endless-headers huge-answer "

# ---- feedsim's own contract: --help lists every kind; unknown is a usage error
help=$("$FEEDSIM" --help)
missing=
for k in "${KINDS[@]}"; do grep -qw -- "$k" <<<"$help" || missing+=" $k"; done
"$FEEDSIM" --hostile nosuch >/dev/null 2>"$TMP/usage.err"; rc=$?
if [[ -z $missing && $rc -eq 2 ]] && grep -q "unknown kind 'nosuch'" "$TMP/usage.err"; then
  pass h_feedsim_usage
else fail h_feedsim_usage "missing in --help:${missing:- none}; unknown kind: rc=$rc $(head -c 200 "$TMP/usage.err")"; fi

# ---- can XDP be set up here? (set-up happens before the connect) ----------
XDP_OK=1 XDP_WHY=
ip netns exec "$NS_RX" timeout 20 "$FEEDRX" --mode xdp "${RX_OPTS[@]}" "wss://$NETNS_EX_IP4:9/ws/x" \
  >"$TMP/probe.out" 2>"$TMP/probe.err"
if grep -q '^feedrx: --mode xdp: ' "$TMP/probe.err"; then
  XDP_OK=0 XDP_WHY=$(grep -m1 '^feedrx: --mode xdp: ' "$TMP/probe.err")
elif ! grep -q "^feedrx: cannot connect to $NETNS_EX_IP4:9: Connection refused\$" "$TMP/probe.err"; then
  XDP_OK=2 XDP_WHY="unexpected probe result: $(head -c 300 "$TMP/probe.err")"
fi

PORT=9600
SIM_PID=
# sim NAME KIND [ARGS]: one feedsim per case (--once), its log in $TMP/NAME.log
sim() {
  local n=$1 kind=$2
  PORT=$((PORT + 1))
  ip netns exec "$NS_EX" "$FEEDSIM" --once --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --listen "$NETNS_EX_IP4:$PORT" --rate 0 --count $PREFIX --ping-interval 0 --hostile "$kind" \
    --log "$TMP/$n.log" "${@:3}" >"$TMP/$n.sim.out" 2>"$TMP/$n.sim.err" &
  SIM_PID=$!
  netns_track $SIM_PID
  wait_listen "$NS_EX" "$PORT" || { fail "$n" "feedsim did not listen on $PORT"; return 1; }
}

# feedrx's stderr without the lines every xdp run prints (set-up, summary)
# and without /usr/bin/time's report (written to its own file)
rx_lines() {
  grep -v -e '^feedrx: fast path: ' -e '^feedrx: XDP program ' -e '^feedrx: delivered [0-9]* messages: ' "$1"
}

# hostile_case KIND MODE [SUFFIX FEEDSIM ARGS]
hostile_case() {
  local kind=$1 mode=$2 n=h_${1}_$2${3:-} want rc code re why= t0 t1 secs rss lines
  read -r want code re <<<"${WANT[$kind]}"
  sim "$n" "$kind" "${@:4}" || return
  t0=$(date +%s.%N)
  local mopts=(--mode "$mode")
  [[ $mode == xdp-discard ]] && mopts=(--mode xdp --shadow discard)
  ip netns exec "$NS_RX" /usr/bin/time -v -o "$TMP/$n.time" timeout -k 2 20 \
    "$FEEDRX" "${mopts[@]}" "${RX_OPTS[@]}" "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade" \
    >"$TMP/$n.out" 2>"$TMP/$n.err"
  rc=$?
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  # feedsim writes its log and the close code it got before it exits (--once)
  for _ in $(seq 50); do kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.1; done
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TMP/$n.time")

  [[ $rc -eq $want ]] || why+="; exit $rc, want $want"
  lines=$(rx_lines "$TMP/$n.err")
  if [[ $re == - ]]; then
    [[ -z $lines ]] || why+="; stderr not empty: $(head -c 300 <<<"$lines")"
  else
    if ! grep -Eq "^feedrx: .*$re" <<<"$lines"; then
      why+="; no line matching '$re': $(head -c 300 <<<"$lines")"
    elif [[ $(wc -l <<<"$lines") -ne 1 ]]; then
      why+="; $(wc -l <<<"$lines") lines on stderr, want 1: $(head -c 400 <<<"$lines" | tr '\n' '|')"
    fi
  fi
  if [[ $code != - ]] && ! grep -q "close received $code " "$TMP/$n.sim.err"; then
    why+="; feedsim did not receive close $code: $(grep -m1 -e 'close received' -e 'without a close' "$TMP/$n.sim.err")"
  fi
  if awk -v s="$secs" -v m="$TIME_MAX" 'BEGIN { exit !(s >= m) }'; then why+="; took $secs s (limit $TIME_MAX)"; fi
  if [[ -z $rss ]]; then why+="; no RSS figure"
  elif [[ $rss -ge $RSS_MAX_KB ]]; then why+="; peak RSS $rss KiB (limit $RSS_MAX_KB)"; fi
  local san='ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined)'
  if grep -Eq "$san" "$TMP/$n.err" "$TMP/$n.sim.err"; then
    why+="; sanitizer report: $(grep -h -m1 -E 'ERROR: |runtime error:' "$TMP/$n.err" "$TMP/$n.sim.err" | head -1)"
  fi
  # nothing but the valid prefix, and all of it
  if [[ $HANDSHAKE_KINDS == *" $kind "* ]]; then
    [[ ! -s $TMP/$n.log ]] || why+="; feedsim logged messages for a handshake attack"
  elif [[ $(wc -l <"$TMP/$n.log") -ne $PREFIX ]]; then
    why+="; feedsim's log has $(wc -l <"$TMP/$n.log") lines, want $PREFIX"
  fi
  if ! cmp -s "$TMP/$n.out" "$TMP/$n.log"; then
    why+="; stdout ($(wc -l <"$TMP/$n.out") lines) differs from the valid messages sent ($(wc -l <"$TMP/$n.log"))"
  fi
  local simsaw
  simsaw=$(grep -m1 -o -e 'close received [0-9]*' -e 'left without a close frame' "$TMP/$n.sim.err")
  RESULT[$n]="rc $rc: $(rx_lines "$TMP/$n.err" | head -1 | sed 's/^feedrx: //; s/ from [0-9.]*:[0-9]*:/:/' | cut -c1-80); feedsim: ${simsaw:-connection closed}; $((${rss:-0} / 1024)) MiB; ${secs} s"
  if [[ -z $why ]]; then pass "$n"; else fail "$n" "${why#; }"; fi
}

declare -A RESULT
MODES=${HOSTILE_MODES:-kernel xdp xdp-discard}
[[ -n ${HOSTILE_KINDS:-} ]] && read -ra KINDS <<<"$HOSTILE_KINDS"
for kind in "${KINDS[@]}"; do
  for mode in $MODES; do
    if [[ $mode == kernel || $XDP_OK -eq 1 ]]; then hostile_case "$kind" "$mode"
    elif [[ $XDP_OK -eq 2 ]]; then fail "h_${kind}_$mode" "$XDP_WHY"
    else skip "h_${kind}_$mode" "XDP/AF_XDP unavailable: $XDP_WHY"; fi
  done
done

# The attack at once after the valid messages (feedsim's default pauses
# 0.1 s): in xdp mode it then often arrives before the fast path has its
# keys, so the fast path meets it replaying its held bytes.
if [[ -z ${HOSTILE_KINDS:-} ]]; then
  for kind in rsv bad-utf8 oversize after-close; do
    for mode in $MODES; do
      [[ $mode != kernel ]] || continue
      if [[ $XDP_OK -eq 1 ]]; then hostile_case "$kind" "$mode" _nodelay --hostile-delay 0
      elif [[ $XDP_OK -eq 2 ]]; then fail "h_${kind}_${mode}_nodelay" "$XDP_WHY"
      else skip "h_${kind}_${mode}_nodelay" "XDP/AF_XDP unavailable: $XDP_WHY"; fi
    done
  done
fi

# the table, for the log: case | one column per mode
{
  echo "case | ${MODES// / | }"
  for kind in "${KINDS[@]}"; do
    line=$kind
    for mode in $MODES; do line+=" | ${RESULT[h_${kind}_$mode]:-skipped}"; done
    echo "$line"
  done
} >&2
exit 0
