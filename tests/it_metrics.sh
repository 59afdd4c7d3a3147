#!/usr/bin/env bash
# it_metrics — feedrx --metrics during a real run: feedsim sends 1000
# msgs/s across the namespace veth pair, feedrx (--mode auto) serves
# /metrics on the receiver's address, and a python3 client in the receiver's
# namespace
#   - scrapes twice: Content-Type 0.0.4, every line parses as the text
#     exposition format (HELP/TYPE before each family, counters end in
#     _total), the required families are there, histograms are cumulative with
#     +Inf == _count, and messages, bytes, deliveries, e2e samples (and, on the
#     fast path, XDP steered frames) grow between the scrapes
#   - gets 405 (with Allow: GET) for POST, 404 for another path, 400 for
#     garbage, 431 for a request head over 4 KiB
#   - holds every client slot with a slow request: the server closes them
#     after its timeout, delivery goes on meanwhile (messages keep growing at
#     the feed's rate), and the next scrape is answered
# and feedrx then ends cleanly on SIGINT (exit 0, summary printed).
source "$(dirname "$0")/lib.sh"
NAME=it_metrics
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
"$FEEDRX" --help 2>/dev/null | grep -q -- '--metrics' || { fail $NAME "feedrx has no --metrics"; exit 1; }
PY=/usr/bin/python3
[[ -x $PY ]] || { skip $NAME "no /usr/bin/python3"; exit 0; }
it_setup $NAME

PORT=9700
MPORT=9100
RATE=1000
ip netns exec "$NS_EX" "$FEEDSIM" --once --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
  --listen "$NETNS_EX_IP4:$PORT" --rate $RATE --seed 3 >/dev/null 2>"$TMP/sim.err" &
netns_track $!
wait_listen "$NS_EX" $PORT || { fail $NAME "feedsim did not listen"; exit 1; }

ip netns exec "$NS_RX" "$FEEDRX" --mode auto --cafile "$CERTS/ca.pem" --output none --stats \
  --metrics "$NETNS_RX_IP4:$MPORT" -v \
  "wss://$NETNS_EX_IP4:$PORT/stream?streams=btcusdt@trade/btcusdt@bookTicker" \
  >/dev/null 2>"$TMP/rx.err" &
RX=$!
netns_track $RX
wait_listen "$NS_RX" $MPORT || { fail $NAME "feedrx did not serve $NETNS_RX_IP4:$MPORT"; cat "$TMP/rx.err" >&2; exit 1; }
# whether the fast path runs is read from feedrx's log by the client once
# messages flow (a sanitizer build may print it well after /metrics listens)
ip netns exec "$NS_RX" "$PY" - "$NETNS_RX_IP4" $MPORT $RATE "$TMP/rx.err" ${METRICS_KEEP:+"$METRICS_KEEP"} <<'PYEOF'
import re, socket, sys, time

host, port, rate, rxlog = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def fast_path_up():
    return any(l.startswith("feedrx: fast path: ") for l in open(rxlog, errors="replace"))

def ok(name): print("PASS " + name, flush=True)
def bad(name, why): print("FAIL %s: %s" % (name, why), flush=True)
def check(name, cond, why):
    ok(name) if cond else bad(name, why)

def request(raw, timeout=5.0):
    """Send raw bytes, read until the server closes: (status, headers, body)."""
    s = socket.create_connection((host, port), timeout=timeout)
    s.sendall(raw)
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.1 (\d{3}) ", lines[0] + " ")
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return (int(m.group(1)) if m else None), hdrs, body

NAME_RE = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_RE = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE_RE = re.compile(r"^(%s)(?:\{(%s(?:,%s)*)\})? (\S+)$" % (NAME_RE, LABEL_RE, LABEL_RE))

def parse(text):
    """Text format 0.0.4 -> ({(name, labels): value}, {family: type}); raises on a bad line."""
    samples, types, helps = {}, {}, set()
    for n, line in enumerate(text.split("\n")):
        if line == "":
            continue
        if line.startswith("# HELP "):
            helps.add(line.split(" ")[2]); continue
        if line.startswith("# TYPE "):
            _, _, fam, t = line.split(" ")
            if t not in ("counter", "gauge", "histogram", "summary", "untyped"):
                raise ValueError("line %d: bad type %r" % (n, t))
            if fam in types:
                raise ValueError("line %d: %s typed twice" % (n, fam))
            types[fam] = t; continue
        if line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        if not m:
            raise ValueError("line %d does not parse: %r" % (n, line))
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        float(value)  # raises on a bad number (+Inf, NaN are valid floats)
        fam = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        if fam not in types:
            raise ValueError("line %d: %s has no TYPE before it" % (n, name))
        if fam not in helps:
            raise ValueError("line %d: %s has no HELP" % (n, name))
        if types[fam] == "counter" and not name.endswith("_total"):
            raise ValueError("line %d: counter %s does not end in _total" % (n, name))
        key = (name, labels)
        if key in samples:
            raise ValueError("line %d: duplicate sample %s{%s}" % (n, name, labels))
        samples[key] = float(value)
    return samples, types

def hist_ok(samples, stage):
    """Cumulative buckets, ascending le, +Inf == _count; returns _count."""
    pre = 'stage="%s",le="' % stage
    bk = [(float(l[len(pre):-1]), v) for (n, l), v in samples.items()
          if n == "feedrx_latency_seconds_bucket" and l.startswith(pre)]
    if not bk:
        raise ValueError("no buckets for stage %s" % stage)
    bk.sort()
    vals = [v for _, v in bk]
    if vals != sorted(vals):
        raise ValueError("stage %s: buckets not cumulative: %s" % (stage, vals))
    cnt = samples.get(("feedrx_latency_seconds_count", 'stage="%s"' % stage))
    if bk[-1][0] != float("inf") or bk[-1][1] != cnt:
        raise ValueError("stage %s: +Inf bucket %s != _count %s" % (stage, bk[-1], cnt))
    if ("feedrx_latency_seconds_sum", 'stage="%s"' % stage) not in samples:
        raise ValueError("stage %s: no _sum" % stage)
    return cnt

def scrape(name):
    st, h, body = request(b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n")
    if len(sys.argv) > 5:  # a copy for a person to read (tests/it_metrics.sh DIR)
        open("%s/%s.txt" % (sys.argv[5], name), "wb").write(body)
    if st != 200:
        raise ValueError("%s: status %s" % (name, st))
    if not h.get("content-type", "").startswith("text/plain; version=0.0.4"):
        raise ValueError("%s: content-type %r" % (name, h.get("content-type")))
    if int(h.get("content-length", -1)) != len(body):
        raise ValueError("%s: content-length %s for %d bytes" % (name, h.get("content-length"), len(body)))
    return parse(body.decode())

def v(s, name, labels=""):
    return s.get((name, labels), -1)

# wait (bounded) for the first messages, then for the log to settle the path
for _ in range(100):
    s0, _ = scrape("scrape0")
    if s0.get(("feedrx_messages_total", ""), 0) > 0:
        break
    time.sleep(0.1)
time.sleep(0.5)
fast = fast_path_up()
try:
    s1, t1 = scrape("scrape1")
    ok("metrics_format_parses")
except (ValueError, OSError) as e:
    bad("metrics_format_parses", e); sys.exit(1)

need = ["feedrx_messages_total", "feedrx_bytes_total", "feedrx_drops_total", "feedrx_gaps_total",
        "feedrx_reconnects_total", "feedrx_delivered_total", "feedrx_latency_seconds"]
if fast:
    need.append("feedrx_xdp_frames_total")
missing = [n for n in need if n not in t1]
check("metrics_families", not missing and t1["feedrx_latency_seconds"] == "histogram",
      "missing %s; types %s" % (missing, t1))
try:
    counts = {st: hist_ok(s1, st) for st in ("e2e", "rx", "wire", "exchange")}
    ok("metrics_histograms_cumulative")
except ValueError as e:
    bad("metrics_histograms_cumulative", e); counts = {}

time.sleep(1.5)
try:
    s2, _ = scrape("scrape2")
except (ValueError, OSError) as e:
    bad("metrics_grow", e); sys.exit(1)
path = 'path="fast"' if fast else 'path="kernel"'
grow = {
    "messages": (v(s1, "feedrx_messages_total"), v(s2, "feedrx_messages_total")),
    "bytes": (v(s1, "feedrx_bytes_total"), v(s2, "feedrx_bytes_total")),
    "delivered " + path: (v(s1, "feedrx_delivered_total", path), v(s2, "feedrx_delivered_total", path)),
    "e2e count": (v(s1, "feedrx_latency_seconds_count", 'stage="e2e"'),
                  v(s2, "feedrx_latency_seconds_count", 'stage="e2e"')),
}
if fast:
    grow["xdp steered"] = (v(s1, "feedrx_xdp_frames_total", 'counter="steered"'),
                           v(s2, "feedrx_xdp_frames_total", 'counter="steered"'))
stuck = {k: ab for k, ab in grow.items() if not (0 <= ab[0] < ab[1])}
check("metrics_grow", not stuck, "did not grow between scrapes: %s" % stuck)
m1, m2 = grow["messages"]
check("metrics_messages_at_rate", m2 - m1 >= rate * 1.5 * 0.5,
      "%d messages in 1.5 s at %d msgs/s" % (m2 - m1, rate))
check("metrics_deliveries_add_up",
      v(s2, "feedrx_messages_total") == sum(v(s2, "feedrx_delivered_total", 'path="%s"' % p)
                                            for p in ("fast", "shadow", "kernel")),
      "messages_total != sum of delivered_total by path")

st, h, _ = request(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
check("metrics_post_405", st == 405 and h.get("allow") == "GET", "POST: %s %s" % (st, h))
st, _, _ = request(b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
check("metrics_path_404", st == 404, "GET /other: %s" % st)
st, _, _ = request(b"HELLO\r\n\r\n")
check("metrics_garbage_400", st == 400, "garbage: %s" % st)
st, _, _ = request(b"GET /metrics HTTP/1.1\r\nX-Pad: " + b"a" * 6000 + b"\r\n\r\n")
check("metrics_oversized_431", st == 431, "6 KiB head: %s" % st)

# every slot held by a client that never finishes its request
try:
    s3, _ = scrape("scrape_before_slow")
except (ValueError, OSError) as e:
    bad("metrics_slow_clients_do_not_stall", e); sys.exit(1)
before = v(s3, "feedrx_messages_total")
slow = []
for _ in range(4):
    c = socket.create_connection((host, port), timeout=10)
    c.sendall(b"GET /metr")
    slow.append(c)
t0 = time.time()
closed = 0
for c in slow:
    try:
        closed += c.recv(100) == b""   # the server's timeout closes it
    except socket.timeout:
        pass
    c.close()
held = time.time() - t0
check("metrics_slow_clients_closed", closed == 4 and held < 9,
      "%d of 4 slow clients closed by the server after %.1f s" % (closed, held))
try:
    s4, _ = scrape("scrape_after_slow")
    after = v(s4, "feedrx_messages_total")
    check("metrics_slow_clients_do_not_stall",
          after - before >= rate * held * 0.5,
          "%d messages while slow clients were held %.1f s at %d msgs/s" % (after - before, held, rate))
except (ValueError, OSError) as e:
    bad("metrics_slow_clients_do_not_stall", e)
PYEOF

kill -INT $RX 2>/dev/null
rc=0
wait $RX || rc=$?
if [[ $rc -eq 0 ]] && grep -q 'msgs, .* bytes in' "$TMP/rx.err"; then
  pass metrics_clean_exit
else
  fail metrics_clean_exit "feedrx exited $rc; stderr: $(tail -3 "$TMP/rx.err" | tr '\n' ' ')"
fi
if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP/rx.err"; then
  fail metrics_sanitizer "$(grep -E -m1 'Sanitizer|runtime error:' "$TMP/rx.err")"
fi
