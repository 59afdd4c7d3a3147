#!/usr/bin/env bash
# bench_tap.sh — redirect vs tap, side by side (issue 12, item 3), called by
# scripts/bench.sh in its own marked block (BENCH_TAP=0 skips it) or alone:
#   sudo BUILD=build bash scripts/bench_tap.sh
# In fresh namespaces (scripts/netns.sh), feedsim pinned to BENCH_SIM_CPU and
# feedrx to BENCH_RX_CPU, the same feed (the bench's mix, one message per TLS
# record) is received by feedrx --mode xdp with --transport redirect and tap:
#   latency   10,000 msgs/s, --poll wakeup and --poll busy: arrival -> handler
#             ("rx" stage of --stats-json) p50/p99, e2e p50, CPU per message
#             (user+sys of the receiver / messages)
#   steps     --poll wakeup at TAP_STEPS msgs/s until the first run with a
#             fast-path miss (a message the shadow delivered, a lost copy) or
#             a lost message: the highest rate without misses
#   overflow  flat out with a ring far too small for the burst (--tap-ring
#             16K for tap): what covers it (shadow deliveries, lost copies,
#             the exchange's retransmissions)
# Writes $BUILD/bench/tap/{runs/,results.json,report.txt}; prints the table.
# Nothing asserts. BENCH_QUICK=1: short runs (a smoke run, not a result).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}; [[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
OUT=$BUILD/bench/tap
FEEDRX=$BUILD/feedrx
FEEDSIM=$BUILD/feedsim
CERTS=$BUILD/certs
PY=/usr/bin/python3
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
  : "${TAP_SECS:=2}" "${TAP_STEPS:=50000 200000}" "${TAP_STEP_SECS:=1}" "${TAP_MAX_COUNT:=50000}"
fi
SECS=${TAP_SECS:-10}
LAT_RATE=${TAP_LAT_RATE:-10000}
STEPS=${TAP_STEPS:-50000 100000 200000 400000}
STEP_SECS=${TAP_STEP_SECS:-2}
MAX_COUNT=${TAP_MAX_COUNT:-300000}
SEED=${BENCH_SEED:-42}
MIX=${BENCH_MIX:-trade=4,aggTrade=1,bookTicker=4,depth=1}
SIM_CPU=${BENCH_SIM_CPU:-0}
RX_CPU=${BENCH_RX_CPU:-1}
(( $(nproc) < 2 )) && SIM_CPU=0 RX_CPU=0
URL_PATH='/stream?streams=btcusdt@trade/btcusdt@bookTicker/ethusdt@trade/btcusdt@depth@100ms'
say() { echo "bench_tap: $*" >&2; }

[[ $(id -u) -eq 0 ]] || { say "run as root"; exit 1; }
for f in "$FEEDRX" "$FEEDSIM"; do [[ -x $f ]] || { say "missing $f"; exit 1; }; done
"$FEEDRX" --help 2>&1 | grep -q -- '--transport' || { say "this feedrx has no --transport"; exit 0; }
rm -rf "$OUT"; mkdir -p "$OUT/runs"
bash "$ROOT/scripts/certs.sh" "$CERTS" >/dev/null || { say "cannot create certificates"; exit 1; }
source "$ROOT/scripts/netns.sh"
netns_up || { say "cannot create network namespaces"; exit 1; }

PORT=9800
# run NAME RATE COUNT FEEDRX-ARGS...: one feedsim, one feedrx; $OUT/runs/NAME/
run() {
  local n=$1 rate=$2 count=$3 d tmo; shift 3
  d=$OUT/runs/$n; mkdir -p "$d"
  PORT=$((PORT + 1))
  if (( rate > 0 )); then tmo=$(( count * 2 / rate + 10 )); else tmo=60; fi
  ip netns exec "$NS_EX" taskset -c "$SIM_CPU" "$FEEDSIM" --listen "$NETNS_EX_IP4:$PORT" \
    --cert "$CERTS/server.pem" --key "$CERTS/server.key" --rate "$rate" --count "$count" \
    --mix "$MIX" --seed "$SEED" --once >/dev/null 2>"$d/sim.err" &
  local sim=$!
  netns_track "$sim"
  wait_listen "$NS_EX" "$PORT" || { kill "$sim" 2>/dev/null; return 1; }
  ip netns exec "$NS_EX" env NSTAT_HISTORY=/dev/null nstat -asz TcpRetransSegs 2>/dev/null |
    awk '!/^#/ {print $2}' >"$d/retrans0"
  echo "$FEEDRX --mode xdp --iface $NETNS_RX_DEV $* --count $count" >"$d/cmd"
  ip netns exec "$NS_RX" taskset -c "$RX_CPU" timeout -k 5 -s INT "$tmo" \
    /usr/bin/time -f '%e %U %S %M' -o "$d/time" "$FEEDRX" --mode xdp --iface "$NETNS_RX_DEV" \
    --cafile "$CERTS/ca.pem" --output none --stats-json "$d/stats.json" -v --count "$count" "$@" \
    "wss://$NETNS_EX_IP4:$PORT$URL_PATH" >/dev/null 2>"$d/rx.err"
  echo $? >"$d/rc"
  for _ in $(seq 30); do kill -0 "$sim" 2>/dev/null || break; sleep 0.1; done
  kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null
  ip netns exec "$NS_EX" env NSTAT_HISTORY=/dev/null nstat -asz TcpRetransSegs 2>/dev/null |
    awk '!/^#/ {print $2}' >"$d/retrans1"
  printf '{"name":"%s","rate":%s,"count":%s}\n' "$n" "$rate" "$count" >"$d/meta.json"
}

# misses DIR: "clean" when every message came from the fast path, no copy was
# lost and all arrived
misses() {
  "$PY" - "$1" <<'PY'
import json, sys
d = sys.argv[1]
try:
    s = json.load(open(d + '/stats.json')); m = json.load(open(d + '/meta.json'))
except Exception as e:
    print('failed: %s' % e); sys.exit()
c = s['counters']
lost = c['xdp'].get('tap_lost', 0)
if c['msgs'] < m['count']: print('loss: %d of %d' % (c['msgs'], m['count']))
elif c['shadow'] or lost: print('miss: %d by the shadow, %d copies lost' % (c['shadow'], lost))
else: print('clean')
PY
}

for tr in redirect tap; do
  for poll in wakeup busy; do
    extra=(--transport "$tr" --poll "$poll")
    [[ $poll == busy ]] && extra+=(--busy-cpu "$RX_CPU")
    say "latency: $tr $poll, $LAT_RATE msgs/s x ${SECS}s"
    run "lat-$tr-$poll" "$LAT_RATE" $(( LAT_RATE * SECS )) "${extra[@]}"
  done
  for r in $STEPS; do
    say "step: $tr wakeup, $r msgs/s x ${STEP_SECS}s"
    run "step-$tr-$r" "$r" $(( r * STEP_SECS )) --transport "$tr"
    v=$(misses "$OUT/runs/step-$tr-$r"); say "  $v"
    [[ $v == clean ]] || break
  done
  ring=(); [[ $tr == tap ]] && ring=(--tap-ring 16K)
  say "overflow: $tr, flat out, $MAX_COUNT msgs ${ring[*]}"
  run "over-$tr" 0 "$MAX_COUNT" --transport "$tr" "${ring[@]}"
done
netns__teardown
trap - EXIT

"$PY" - "$OUT" <<'PY' | tee "$OUT/report.txt"
import glob, json, os, sys
out = sys.argv[1]
def load(n):
    d = os.path.join(out, 'runs', n)
    r = {'name': n}
    try:
        r['meta'] = json.load(open(d + '/meta.json'))
        r['stats'] = json.load(open(d + '/stats.json'))
        e, u, s, m = open(d + '/time').read().split()[-4:]
        r['cpu_s'] = float(u) + float(s)
        r0 = int(open(d + '/retrans0').read() or 0); r1 = int(open(d + '/retrans1').read() or 0)
        r['retrans'] = r1 - r0
    except Exception as ex:
        r['error'] = str(ex)
    return r
def st(r, stage, p):
    try: return r['stats']['stages'][stage][p]
    except Exception: return None
def f(v, fmt='%.1f'):
    return '-' if v is None else fmt % v
res = {'latency': [], 'steps': {}, 'overflow': {}}
print('redirect vs tap (feedrx --mode xdp; arrival = XDP stamp; us)')
print('%-9s %-7s %9s %9s %9s %9s %10s %8s' % ('transport', 'poll', 'rx p50', 'rx p99', 'e2e p50',
      'svc p50', 'cpu/msg', 'shadow'))
for tr in ('redirect', 'tap'):
    for poll in ('wakeup', 'busy'):
        r = load('lat-%s-%s' % (tr, poll))
        c = r.get('stats', {}).get('counters', {})
        cpm = r['cpu_s'] / c['msgs'] * 1e6 if c.get('msgs') and 'cpu_s' in r else None
        row = {'transport': tr, 'poll': poll, 'rx_p50': st(r, 'rx', 'p50'), 'rx_p99': st(r, 'rx', 'p99'),
               'e2e_p50': st(r, 'e2e', 'p50'), 'service_p50': st(r, 'service', 'p50'),
               'cpu_us_per_msg': cpm, 'shadow': c.get('shadow'), 'msgs': c.get('msgs'),
               'error': r.get('error')}
        res['latency'].append(row)
        print('%-9s %-7s %9s %9s %9s %9s %10s %8s' % (tr, poll, f(row['rx_p50'], '%.2f'),
              f(row['rx_p99'], '%.2f'), f(row['e2e_p50'], '%.2f'), f(row['service_p50'], '%.2f'),
              f(cpm, '%.2f'), c.get('shadow', '-')))
print()
for tr in ('redirect', 'tap'):
    best = None; first_bad = None
    for d in sorted(glob.glob(os.path.join(out, 'runs', 'step-%s-*' % tr)),
                    key=lambda p: int(p.rsplit('-', 1)[1])):
        r = load(os.path.basename(d)); c = r.get('stats', {}).get('counters', {})
        ok = (c.get('msgs', 0) >= r.get('meta', {}).get('count', 1) and not c.get('shadow')
              and not c.get('xdp', {}).get('tap_lost'))
        rate = r.get('meta', {}).get('rate')
        if ok: best = rate
        else:
            first_bad = '%s msgs/s: %s delivered, %s by the shadow, %s copies lost' % (
                rate, c.get('msgs'), c.get('shadow'), c.get('xdp', {}).get('tap_lost', 0)); break
    res['steps'][tr] = {'highest_clean': best, 'first_miss': first_bad}
    print('%-9s highest rate without fast-path misses: %s msgs/s%s' % (
        tr, best if best else 'none', '; then ' + first_bad if first_bad else ' (every step clean)'))
print()
for tr in ('redirect', 'tap'):
    r = load('over-%s' % tr); c = r.get('stats', {}).get('counters', {})
    x = c.get('xdp', {})
    o = {'msgs': c.get('msgs'), 'count': r.get('meta', {}).get('count'), 'fast': c.get('fast'),
         'shadow': c.get('shadow'), 'tap_lost': x.get('tap_lost'), 'exchange_retrans': r.get('retrans')}
    res['overflow'][tr] = o
    print('%-9s overflow (flat out%s): %s of %s delivered, %s fast, %s by the shadow, %s copies '
          'lost, exchange retransmitted %s segments' % (tr, ', 16K ring' if tr == 'tap' else '',
          o['msgs'], o['count'], o['fast'], o['shadow'], o['tap_lost'] or 0, o['exchange_retrans']))
json.dump(res, open(os.path.join(out, 'results.json'), 'w'), indent=1)
PY
