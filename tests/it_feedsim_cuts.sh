#!/usr/bin/env bash
# it_feedsim_cuts — feedsim's connection ends, seen by an independent client
# (Python's ssl and a hand-written frame reader) in the receiver namespace:
# --max-age with its serverShutdown notice and close 1001, cuts by FIN, RST
# and stall (--cut-after, --cut-every, --cut-random with mix, repeatable by
# seed), --conn-limit's 429 with Retry-After, and two A/B instances with one
# seed that send the same stream, one of them --delay-ms later.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
it_setup feedsim_cuts

PY=/usr/bin/python3
if [[ ! -x $FEEDSIM ]]; then fail feedsim_cuts "no $FEEDSIM (run make)"; exit 1; fi
if ! $PY -c 'import ssl' 2>/dev/null; then skip feedsim_cuts "python3 without ssl"; exit 0; fi
V4=$NETNS_EX_IP4
ERR=$TMP/feedsim.err

cat >"$TMP/client.py" <<'EOF'
# Test client for it_feedsim_cuts.sh: prints PASS/FAIL lines or facts.
import json, os, re, socket, ssl, statistics, struct, sys, threading, time

CA = os.environ["CA"]

def result(name, ok, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)), flush=True)

class TcpEof(Exception):
    """The TCP stream ended (a FIN) without a TLS close_notify before it."""

class Tls:
    """TLS over a socket this client reads itself (ssl.MemoryBIO), so that
    what ends the TCP stream shows as itself: recv() b"" is a FIN (TcpEof),
    ECONNRESET an RST, a timeout silence; close_notify is
    ssl.SSLZeroReturnError. Python's own SSLSocket blurs these."""
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        ctx = ssl.create_default_context(cafile=CA)
        self.obj = ctx.wrap_bio(self.inc, self.out, server_hostname=host)
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._pull()
        self._push()
    def _push(self):
        d = self.out.read()
        if d:
            self.sock.sendall(d)
    def _pull(self):
        self._push()
        d = self.sock.recv(65536)
        if not d:
            raise TcpEof()
        self.inc.write(d)
    def settimeout(self, t):
        self.sock.settimeout(t)
    def sendall(self, data):
        self.obj.write(data)
        self._push()
    def recv(self, n):
        while True:
            try:
                d = self.obj.read(n)
            except ssl.SSLWantReadError:
                self._pull()
                continue
            if not d: # SSLObject reports close_notify so
                raise ssl.SSLZeroReturnError()
            return d
    def close(self):
        self.sock.close()

def upgrade(host, port, path):
    """TLS, then the upgrade request: (connection, status line + headers, rest)."""
    ss = Tls(host, port)
    ss.sendall(("GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n" % (path, host, port)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        try:
            buf += ss.recv(65536)
        except (ssl.SSLZeroReturnError, TcpEof):
            break
    head, _, rest = buf.partition(b"\r\n\r\n")
    return ss, head.decode("latin-1"), rest

def send_frame(ss, op, payload):
    mask = os.urandom(4)
    ss.sendall(bytes([0x80 | op, 0x80 | len(payload)]) + mask +
               bytes(b ^ mask[i & 3] for i, b in enumerate(payload)))

def session(host, port, path, silence, probe=False):
    """Read frames until the connection ends. Returns (messages as (time,
    bytes), pings, close code or None, end, t_upgrade, t_end: when the
    close frame came or the end was seen); end is 'close'
    (close frame, then close_notify), 'eof' (a TCP FIN without close_notify),
    'rst' (ECONNRESET) or 'silence' (nothing for `silence` s, socket open)."""
    ss, head, buf = upgrade(host, port, path)
    t_up = time.monotonic()
    if " 101 " not in head.split("\r\n")[0]:
        raise RuntimeError("no 101: " + head.split("\r\n")[0])
    ss.settimeout(silence)
    msgs, pings, code, end, cur, t_end = [], 0, None, None, b"", None
    def more():
        return ss.recv(1 << 20)
    try:
        while True:
            while True: # one frame from buf
                if len(buf) >= 2:
                    n, off = buf[1] & 0x7f, 2
                    if n == 126 and len(buf) >= 4:
                        n, off = struct.unpack("!H", buf[2:4])[0], 4
                    elif n == 127 and len(buf) >= 10:
                        n, off = struct.unpack("!Q", buf[2:10])[0], 10
                    if n < 126 or off > 2:
                        if len(buf) >= off + n:
                            break
                buf += more()
            fin, op, p, buf = buf[0] >> 7, buf[0] & 15, buf[off:off + n], buf[off + n:]
            if op == 9:
                pings += 1
                continue
            if op == 8:
                t_end = time.monotonic()
                code = struct.unpack("!H", p[:2])[0]
                send_frame(ss, 8, p[:2])
                try:
                    while more():
                        pass
                except ssl.SSLZeroReturnError:
                    end = "close"
                except (ssl.SSLError, OSError, TcpEof) as e:
                    end = "close-then-%s" % type(e).__name__
                break
            cur += p
            if fin:
                msgs.append((time.monotonic(), cur))
                cur = b""
    except ssl.SSLZeroReturnError:
        end = "close_notify"
    except TcpEof:
        end = "eof"
    except ConnectionResetError:
        end = "rst"
    except socket.timeout:
        end = "silence"
        if probe:
            # a stalled server answers nothing, not even a ping, and the
            # socket stays open: neither a FIN nor an RST comes
            try:
                send_frame(ss, 9, b"probe")
                ss.settimeout(0.7)
                ss.recv(1 << 20)
                end = "answered a ping"
            except socket.timeout:
                pass
            except (TcpEof, OSError, ssl.SSLError) as e:
                end = "%s after a ping" % type(e).__name__
    ss.close()
    return msgs, pings, code, end, t_up, t_end or time.monotonic()

def write_msgs(path, msgs, mode="a"):
    with open(path, mode + "b") as f:
        for _, m in msgs:
            f.write(m + b"\n")

NOTICE = {False: re.compile(rb'^\{"e":"serverShutdown","E":([0-9]{13})\}$'),
          True: re.compile(rb'^\{"stream":"!serverShutdown","data":\{"e":"serverShutdown","E":([0-9]{13})\}\}$')}

def cmd_age(a):
    """age NAME HOST PORT PATH AGE NOTICE OUT: notice ~NOTICE s before a 1001
    close ~AGE s after the upgrade; the notice last, in the stream's format."""
    name, host, port, path, age, notice, out = a[0], a[1], a[2], a[3], float(a[4]), float(a[5]), a[6]
    combined = path.startswith("/stream")
    msgs, pings, code, end, t_up, t_close = session(host, port, path, age + 5)
    write_msgs(out, msgs)
    hits = [i for i, (_, m) in enumerate(msgs) if b"serverShutdown" in m]
    why = ""
    if code != 1001 or end != "close":
        why = "ended with %s, close code %s" % (end, code)
    elif len(hits) != 1 or not NOTICE[combined].match(msgs[hits[0]][1]):
        why = "notices: %r" % [msgs[i][1][:100] for i in hits]
    elif abs(int(NOTICE[combined].match(msgs[hits[0]][1]).group(1)) - time.time() * 1000) > 5000:
        why = "notice E is not the time"
    elif not abs((t_close - msgs[hits[0]][0]) - notice) < 0.3:
        why = "notice %.3f s before the close, wanted %.3f" % (t_close - msgs[hits[0]][0], notice)
    elif not abs((t_close - t_up) - age) < 0.3:
        why = "close %.3f s after the upgrade, wanted %.3f" % (t_close - t_up, age)
    result(name, not why, why)

def cmd_cut(a):
    """cut NAME HOST PORT PATH WANT OUT [N | ~SECS]: the end the client sees
    is WANT (eof, rst, silence); after N messages, or ~SECS after upgrade."""
    name, host, port, path, want, out = a[0], a[1], a[2], a[3], a[4], a[5]
    silence = float(os.environ.get("SILENCE", "1.5"))
    msgs, pings, code, end, t_up, _ = session(host, port, path, silence, want == "silence")
    write_msgs(out, msgs)
    t_last = msgs[-1][0] - t_up if msgs else 0
    why = ""
    if end != want:
        why = "ended with %s (close %s), wanted %s" % (end, code, want)
    elif len(a) > 6 and a[6].startswith("~"):
        if not abs(t_last - float(a[6][1:])) < 0.3:
            why = "last message %.3f s after the upgrade" % t_last
    elif len(a) > 6 and len(msgs) != int(a[6]):
        why = "%d messages, wanted %s" % (len(msgs), a[6])
    result(name, not why, why)
    if want == "silence":
        print("pings", pings, flush=True)

def cmd_cuts(a):
    """cuts HOST PORT N OUT: N sessions one after another; prints the end
    each saw (eof, rst, silence) and its message count."""
    host, port, n, out = a[0], a[1], int(a[2]), a[3]
    ends = []
    for i in range(n):
        msgs, pings, code, end, t_up, _ = session(host, port, "/ws/btcusdt@trade", 1.0)
        write_msgs("%s.%d" % (out, i + 1), msgs, "w")
        ends.append(end)
    print(" ".join(ends), flush=True)

def cmd_limit(a):
    """limit NAME HOST PORT N: N upgrades get 101, the next two 429 with a
    Retry-After of 1..WINDOW s; after that wait, one more gets 101."""
    name, host, port, n, window, wait = a[0], a[1], a[2], int(a[3]), float(a[4]), a[5] == "wait"
    def one():
        ss, head, rest = upgrade(host, port, "/ws/btcusdt@trade")
        try:
            ss.close()
        except OSError:
            pass
        return head
    t0 = time.monotonic()
    for i in range(n):
        head = one()
        if " 101 " not in head.split("\r\n")[0]:
            result(name, False, "attempt %d: %s" % (i + 1, head.split("\r\n")[0])); return
    heads = [one(), one()]
    for h in heads:
        m = re.search(r"\r\nRetry-After: ([0-9]+)\r\n", h)
        if not h.startswith("HTTP/1.1 429 Too Many Requests\r\n") or not m:
            result(name, False, "attempt %d: %r" % (n + 1, h[:200])); return
        ra = int(m.group(1))
        if not 1 <= ra <= window or ra < window - (time.monotonic() - t0) - 1:
            result(name, False, "Retry-After %d in a %g s window" % (ra, window)); return
    if wait:
        time.sleep(ra)
        head = one()
        if " 101 " not in head.split("\r\n")[0]:
            result(name, False, "after Retry-After: " + head.split("\r\n")[0]); return
    result(name, True)

def cmd_ab(a):
    """ab NAME HOST PORT_A PORT_B PATH DELAY_MS OUT_A OUT_B EPOCH RATE: both
    legs at once; the same messages but for ts_ns, B later by DELAY_MS; the
    "E" of message i is EPOCH + i * 1000 / RATE."""
    name, host, pa, pb, path, delay = a[0], a[1], a[2], a[3], a[4], float(a[5]) / 1000
    res = {}
    def leg(k, port):
        res[k] = session(host, port, path, 10)
    th = [threading.Thread(target=leg, args=(k, p)) for k, p in (("a", pa), ("b", pb))]
    for t in th:
        t.start()
    for t in th:
        t.join()
    A, B = res["a"][0], res["b"][0]
    write_msgs(a[6], A, "w")
    write_msgs(a[7], B, "w")
    strip = lambda m: re.sub(rb',"ts_ns":[0-9]+', b"", m)
    ts = lambda m: int(re.search(rb'"ts_ns":([0-9]+)', m).group(1))
    why = ""
    if res["a"][2] != 1000 or res["b"][2] != 1000 or not A:
        why = "closes %s %s, %d messages" % (res["a"][2], res["b"][2], len(A))
    elif [strip(m) for _, m in A] != [strip(m) for _, m in B]:
        why = "the streams differ beyond ts_ns"
    elif [m for _, m in A] == [m for _, m in B]:
        why = "ts_ns is the same on both legs: not a send time"
    if why:
        result(name, False, why); return
    result(name, True)
    # the lag, by arrival and by the sender's own stamp (one clock: one host)
    lag_rx = statistics.median(tb - ta for (ta, _), (tb, _) in zip(A, B))
    lag_ts = statistics.median((ts(mb) - ts(ma)) / 1e9 for (_, ma), (_, mb) in zip(A, B))
    ok = abs(lag_rx - delay) < 0.1 and abs(lag_ts - delay) < 0.1
    result(name + "_lag", ok, "B lags by %.3f s (arrival), %.3f s (ts_ns), wanted %.3f" %
           (lag_rx, lag_ts, delay))
    epoch, rate, bad, n = int(a[8]), float(a[9]), None, 0
    for i, (_, m) in enumerate(A):
        e = re.search(rb'"E":([0-9]+)', m)
        if e:
            n += 1
            if int(e.group(1)) != epoch + int(i * 1000 / rate) and bad is None:
                bad = "message %d has E %s" % (i, e.group(1).decode())
    result(name + "_epoch", bad is None and n > 100, bad or "only %d with E" % n)

try:
    globals()["cmd_" + sys.argv[1]](sys.argv[2:])
except Exception as e:
    name = sys.argv[2] if sys.argv[2:] and sys.argv[2].startswith("feedsim_") else sys.argv[1]
    result(name, False, "client raised %s: %s" % (type(e).__name__, e))
    raise
EOF
export CA=$CERTS/ca.pem
client() { in_rx env CA="$CA" "$PY" "$TMP/client.py" "$@"; }

# start_sim PORT LOG ARGS...: feedsim -v in the exchange namespace; sets SIM_PID.
start_sim() {
  local port=$1 log=$2; shift 2
  ip netns exec "$NS_EX" "$FEEDSIM" --listen "$V4:$port" --log "$log" -v "$@" 2>>"$ERR" &
  SIM_PID=$!
  netns_track "$SIM_PID"
  wait_listen "$NS_EX" "$port"
}
stop_sim() {
  kill -TERM "$SIM_PID" 2>/dev/null
  wait "$SIM_PID"; local rc=$?
  if [[ $rc -eq 0 ]]; then pass "$1"; else fail "$1" "feedsim exited $rc"; fi
}
same_bytes() { # NAME FILE_A FILE_B
  if cmp -s "$2" "$3"; then pass "$1"; else
    fail "$1" "$(basename "$2") and $(basename "$3") differ: $(cmp "$2" "$3" 2>&1 | head -1)"; fi
}
# count NAME PATTERN WANT: lines of feedsim's stderr (since MARK) matching PATTERN.
count() {
  local got; got=$(tail -n +"$MARK" "$ERR" | grep -cE -- "$2")
  if [[ $got -eq $3 ]]; then pass "$1"; else fail "$1" "$got lines match '$2', wanted $3"; fi
}
mark() { MARK=$(($(wc -l <"$ERR" 2>/dev/null || echo 0) + 1)); }
touch "$ERR"

# ---- --max-age 2 with a notice 0.6 s before: raw, then combined ----
port=9501 log=$TMP/age.log
mark
if start_sim $port "$log" --rate 100 --max-age 2 --shutdown-notice 0.6; then
  client age feedsim_max_age_raw "$V4" $port /ws/btcusdt@trade 2 0.6 "$TMP/age.got"
  client age feedsim_max_age_combined "$V4" $port "/stream?streams=btcusdt@trade/ethusdt@depth" \
    2 0.6 "$TMP/age.got"
  stop_sim feedsim_max_age_exit0
  same_bytes feedsim_max_age_log_matches "$TMP/age.got" "$log"
  count feedsim_max_age_notice_lines 'serverShutdown notice after [0-9]+ messages' 2
  count feedsim_max_age_close_lines 'closing: 1001 max age' 2
else
  fail feedsim_max_age "feedsim did not listen"
fi

# ---- cuts: FIN after 120 messages, RST and stall 1 s after the upgrade ----
port=9502 log=$TMP/fin.log
mark
if start_sim $port "$log" --rate 500 --cut-after 120; then
  client cut feedsim_cut_fin_eof "$V4" $port /ws/ethusdt@bookTicker eof "$TMP/fin.got" 120
  stop_sim feedsim_cut_fin_exit0
  same_bytes feedsim_cut_fin_log_matches "$TMP/fin.got" "$log"
  count feedsim_cut_fin_line 'cut fin after 120 messages' 1
fi
port=9503 log=$TMP/rst.log
mark
if start_sim $port "$log" --rate 200 --cut-every 1 --cut-with rst; then
  client cut feedsim_cut_rst_reset "$V4" $port /ws/btcusdt@trade rst "$TMP/rst.got" "~1"
  stop_sim feedsim_cut_rst_exit0
  # an RST drops what the socket still held: the client has a prefix
  if [[ -s $TMP/rst.got ]] && cmp -s "$TMP/rst.got" <(head -c "$(stat -c %s "$TMP/rst.got")" "$log"); then
    pass feedsim_cut_rst_log_prefix; else fail feedsim_cut_rst_log_prefix "not a prefix of the log"; fi
  count feedsim_cut_rst_line 'cut rst after [0-9]+ messages' 1
fi
port=9504 log=$TMP/stall.log
mark
if start_sim $port "$log" --rate 200 --cut-every 1 --cut-with stall --ping-interval 0.2; then
  out=$(client cut feedsim_cut_stall_silence "$V4" $port /ws/btcusdt@trade silence "$TMP/stall.got" "~1")
  grep -E '^(PASS|FAIL) ' <<<"$out"
  # pings came before the stall (0.2 s apart) and none after it
  if [[ $(awk '/^pings/ { print $2 }' <<<"$out") -ge 3 ]]; then pass feedsim_cut_stall_pings_before; else
    fail feedsim_cut_stall_pings_before "$out"; fi
  same_bytes feedsim_cut_stall_log_matches "$TMP/stall.got" "$log"
  count feedsim_cut_stall_line 'cut stall after [0-9]+ messages' 1
  # SIGTERM ends a stalled connection too, silently: the client sees the FIN
  in_rx env CA="$CA" SILENCE=8 "$PY" "$TMP/client.py" cut feedsim_cut_stall_sigterm_eof "$V4" $port \
    /ws/btcusdt@trade eof "$TMP/stall2.got" >"$TMP/stall2.res" &
  cpid=$!
  sleep 2
  t0=$SECONDS
  stop_sim feedsim_cut_stall_exit0
  wait "$cpid"
  cat "$TMP/stall2.res"
  if ((SECONDS - t0 <= 2)); then pass feedsim_cut_stall_sigterm_prompt; else
    fail feedsim_cut_stall_sigterm_prompt "feedsim took $((SECONDS - t0)) s to exit"; fi
fi

# ---- --cut-random with mix: what the client sees is what feedsim says it
# did, and a second run with the same seed does the same ----
for run in 1 2; do
  port=$((9504 + run)) log=$TMP/mix$run.log
  mark
  if start_sim $port "$log" --rate 200 --cut-random 0.8 --cut-with mix --seed 11; then
    seen[$run]=$(client cuts "$V4" $port 6 "$TMP/mix$run.got")
    stop_sim feedsim_cut_mix_exit0_$run
    said[$run]=$(tail -n +"$MARK" "$ERR" | sed -nE 's/.*: cut (fin|rst|stall) after.*/\1/p' |
      sed 's/fin/eof/; s/stall/silence/' | tr '\n' ' ' | sed 's/ $//')
    if [[ ${seen[$run]} == "${said[$run]}" && -n ${seen[$run]} ]]; then pass feedsim_cut_mix_seen_$run; else
      fail feedsim_cut_mix_seen_$run "client saw '${seen[$run]}', feedsim logged '${said[$run]}'"; fi
  fi
done
if [[ -n ${said[1]:-} && ${said[1]} == "${said[2]:-}" ]]; then pass feedsim_cut_mix_same_seed; else
  fail feedsim_cut_mix_same_seed "run 1 '${said[1]:-}', run 2 '${said[2]:-}'"; fi
if [[ ${said[1]:-} == *eof* && ${said[1]:-} == *rst* && ${said[1]:-} == *silence* ]]; then
  pass feedsim_cut_mix_all_kinds; else fail feedsim_cut_mix_all_kinds "only '${said[1]:-}'"; fi

# ---- --conn-limit: Binance's 300 per 300 s, and 3 per 2 s waited out ----
port=9507
mark
if start_sim $port "$TMP/limit.log" --rate 10 --conn-limit 300/300; then
  client limit feedsim_conn_limit_301st_429 "$V4" $port 300 300 nowait
  stop_sim feedsim_conn_limit_exit0
  count feedsim_conn_limit_lines '-> 429: too many connection attempts, retry after [0-9]+ s' 2
fi
port=9508
if start_sim $port "$TMP/limit2.log" --rate 10 --conn-limit 3/2; then
  client limit feedsim_conn_limit_retry_after "$V4" $port 3 2 wait
  stop_sim feedsim_conn_limit2_exit0
fi

# ---- A/B: one seed and epoch, B --delay-ms 300 ----
EPOCH=1764662400000
if start_sim 9509 "$TMP/a.log" --rate 200 --count 400 --seed 5 --epoch-ms $EPOCH; then
  pid_a=$SIM_PID
  if start_sim 9510 "$TMP/b.log" --rate 200 --count 400 --seed 5 --epoch-ms $EPOCH --delay-ms 300; then
    client ab feedsim_ab_same_stream "$V4" 9509 9510 \
      "/stream?streams=btcusdt@trade/btcusdt@depth/ethusdt@bookTicker" 300 "$TMP/a.got" "$TMP/b.got" \
      $EPOCH 200
    stop_sim feedsim_ab_b_exit0
    same_bytes feedsim_ab_b_log_matches "$TMP/b.got" "$TMP/b.log"
  fi
  SIM_PID=$pid_a
  stop_sim feedsim_ab_a_exit0
  same_bytes feedsim_ab_a_log_matches "$TMP/a.got" "$TMP/a.log"
fi

# ---- flag errors ----
i=0
for bad in "--cut-with nope" "--cut-random 1" "--conn-limit 300" "--conn-limit 0/300" \
           "--conn-limit 300/0" "--max-age 0" "--epoch-ms x"; do
  # shellcheck disable=SC2086
  msg=$("$FEEDSIM" $bad 2>&1); rc=$?
  i=$((i + 1))
  if [[ $rc -eq 2 && $msg == "feedsim: ${bad%% *}"* ]]; then pass "feedsim_cuts_bad_flag_$i"; else
    fail "feedsim_cuts_bad_flag_$i" "'$bad': exit $rc: $msg"; fi
done

echo "--- feedsim stderr ---" >&2
tail -n 60 "$ERR" >&2
