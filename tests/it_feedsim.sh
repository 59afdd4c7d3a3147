#!/usr/bin/env bash
# it_feedsim — feedsim in the exchange namespace against an independent
# client in the receiver namespace: Debian's python3-websockets (and a small
# hand-written frame reader over Python's ssl where the library hides
# frames). Covers TLS 1.2/1.3 over IPv4/IPv6, raw and combined streams
# checked byte for byte against feedsim's --log, the JSON methods, HTTP
# errors, fragmentation, 1 MiB messages, KeyUpdate, pings, many clients at
# once, SIGTERM and flag errors.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
it_setup feedsim

PY=/usr/bin/python3
if [[ ! -x $FEEDSIM ]]; then fail feedsim "no $FEEDSIM (run make)"; exit 1; fi
if ! $PY -c 'import websockets' 2>/dev/null; then
  skip feedsim "python3-websockets missing (bash scripts/deps.sh)"; exit 0
fi
V4=$NETNS_EX_IP4 V6=$NETNS_EX_IP6
ERR=$TMP/feedsim.err

cat >"$TMP/client.py" <<'EOF'
# Test client for it_feedsim.sh. Prints PASS/FAIL lines or writes files.
import asyncio, json, os, socket, ssl, struct, sys, time
import websockets

CA = os.environ["CA"]

def ctx():
    c = ssl.create_default_context(cafile=CA)
    return c

def ordered(s):
    return json.loads(s, object_pairs_hook=lambda kv: kv)

def result(name, ok, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)), flush=True)

def is_reply(m):
    try:
        kv = ordered(m)
    except ValueError:
        return False
    keys = [k for k, _ in kv] if isinstance(kv, list) else []
    return "id" in keys and set(keys) <= {"result", "error", "id"}

async def recv_all(uri, out, want_tls, limit=0):
    """Receive until the server closes; write payloads, one per line."""
    got = []
    async with websockets.connect(uri, ssl=ctx(), max_size=None, compression=None,
                                  ping_interval=None) as ws:
        ver = ws.transport.get_extra_info("ssl_object").version()
        try:
            async for m in ws:
                got.append(m)
                if limit and len(got) >= limit:
                    break
        except websockets.ConnectionClosed:
            pass
    code = ws.close_code
    with open(out, "w", newline="") as f:
        for m in got:
            f.write(m + "\n")
    return got, code, ver

def check_data(m, combined, streams):
    """Shape of one data message: ts_ns last, envelope when combined."""
    if combined == "raw":
        return None if "\n" not in m and all(" " <= c <= "~" for c in m) else "raw not printable"
    kv = ordered(m)
    if combined:
        if [k for k, _ in kv] != ["stream", "data"] or kv[0][1] not in streams:
            return "bad envelope: " + m[:120]
        kv = kv[1][1]
        if m.startswith('{"stream":"raw",'):
            return None if isinstance(kv, str) else "raw data is not a string"
    keys = [k for k, _ in kv]
    if keys[-1] != "ts_ns":
        return "ts_ns is not last: " + m[:120]
    return None

def cmd_recv(a):
    name, uri, out, want_tls, n = a[0], a[1], a[2], a[3], int(a[4])
    combined = {"0": False, "1": True, "raw": "raw"}[a[5]]
    streams = a[6].split(",") if len(a) > 6 else []
    got, code, ver = asyncio.run(recv_all(uri, out, want_tls))
    bad = None
    for m in got:
        bad = check_data(m, combined, streams)
        if bad:
            break
    if ver != want_tls:
        result(name, False, "negotiated %s, wanted %s" % (ver, want_tls))
    elif len(got) != n or code != 1000:
        result(name, False, "got %d messages, close %s; wanted %d, 1000" % (len(got), code, n))
    elif bad:
        result(name, False, bad)
    else:
        result(name, True)

def cmd_recv_quiet(a):
    """recv without checks: writes the payloads and prints count and code."""
    uri, out = a[0], a[1]
    got, code, ver = asyncio.run(recv_all(uri, out, None))
    print(len(got), code)

async def rpc(uri, out):
    data = []
    async with websockets.connect(uri, ssl=ctx(), max_size=None, compression=None) as ws:
        async def ask(text, want, name, exact=True):
            await ws.send(text)
            t0 = time.time()
            while time.time() - t0 < 10:
                m = await asyncio.wait_for(ws.recv(), 10)
                if is_reply(m):
                    if exact:
                        result(name, m == want, "reply %r, wanted %r" % (m, want))
                    else:
                        result(name, want(m), "reply %r" % m)
                    return m
                data.append(m)
            result(name, False, "no reply")

        await ask('{"method":"LIST_SUBSCRIPTIONS","id":1}', '{"result":[],"id":1}',
                  "feedsim_rpc_list_empty")
        await ask('{"method":"SUBSCRIBE","params":["btcusdt@trade","ethusdt@depth"],"id":2}',
                  '{"result":null,"id":2}', "feedsim_rpc_subscribe")
        await ask('{"method":"LIST_SUBSCRIPTIONS","id":3}',
                  '{"result":["btcusdt@trade","ethusdt@depth"],"id":3}', "feedsim_rpc_list")
        def err(code, idv):
            def f(m):
                kv = json.loads(m)
                return (kv.get("id") == idv and kv["error"]["code"] == code
                        and isinstance(kv["error"]["msg"], str) and list(kv) == ["error", "id"])
            return f
        await ask('{"method":"SUBSCRIBE",', err(3, None), "feedsim_rpc_bad_json", False)
        await ask('{"method":"SUBSCRIBE","params":["BTCUSDT@trade"],"id":4}', err(2, 4),
                  "feedsim_rpc_bad_stream", False)
        await ask('{"method":"NOPE","id":5}', err(2, 5), "feedsim_rpc_bad_method", False)
        await ask('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":-1}', err(2, None),
                  "feedsim_rpc_bad_id", False)
        await ask('{"method":"UNSUBSCRIBE","params":["ethusdt@depth"],"id":6}',
                  '{"result":null,"id":6}', "feedsim_rpc_unsubscribe")
        await ask('{"method":"SUBSCRIBE","params":["ethusdt@depth"],"id":7}',
                  '{"result":null,"id":7}', "feedsim_rpc_resubscribe")
        await ask('{"method":"GET_PROPERTY","params":["combined"],"id":8}',
                  '{"result":false,"id":8}', "feedsim_rpc_get_property")
        await ask('{"method":"SET_PROPERTY","params":["combined",true],"id":9}',
                  '{"result":null,"id":9}', "feedsim_rpc_set_property")
        n_before = len(data)
        pong = await ws.ping(b"feedrx")
        try:
            await asyncio.wait_for(pong, 5)
            result("feedsim_pong_reply", True)
        except asyncio.TimeoutError:
            result("feedsim_pong_reply", False, "no pong within 5 s")
        while len(data) < n_before + 300:
            m = await asyncio.wait_for(ws.recv(), 10)
            if not is_reply(m):
                data.append(m)
        combined_ok = all(json.loads(m).keys() == {"stream", "data"} for m in data[-100:])
        result("feedsim_rpc_combined_switch", combined_ok, "tail not in envelopes")
    with open(out, "w", newline="") as f:
        for m in data:
            f.write(m + "\n")
    # depth continuity across the whole session (one stream, unsubscribed once)
    last, ok, why, n = None, True, "", 0
    for m in data:
        d = json.loads(m)
        d = d.get("data", d)
        if d.get("e") != "depthUpdate":
            continue
        n += 1
        # nothing changes the ETH book while unsubscribed: ids continue
        if last is not None and d["U"] != last + 1 and ok:
            ok, why = False, "U %d after u %d" % (d["U"], last)
        if d["u"] < d["U"]:
            ok, why = False, "u < U"
        last = d["u"]
    result("feedsim_rpc_depth_ids", ok and n > 5, why or "only %d depth messages" % n)
    print("closed", ws.close_code)

def cmd_rpc(a):
    asyncio.run(rpc(a[0], a[1]))

def raw_open(host, port, path, extra=None, key="dGhlIHNhbXBsZSBub25jZQ==", version="13",
             method="GET"):
    s = socket.create_connection((host, int(port)), timeout=10)
    ss = ctx().wrap_socket(s, server_hostname=host)
    h = "[%s]" % host if ":" in host else host
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s:%s" % (h, port),
             "Upgrade: websocket", "Connection: Upgrade"]
    if version is not None:
        lines.append("Sec-WebSocket-Version: " + version)
    if key is not None:
        lines.append("Sec-WebSocket-Key: " + key)
    lines += extra or []
    ss.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = ss.recv(65536)
        if not d:
            break
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    return ss, head.decode("latin-1"), rest

class Frames:
    """A hand-written reader of server frames (unmasked)."""
    def __init__(self, ss, rest):
        self.ss, self.buf = ss, rest
    def need(self, n):
        while len(self.buf) < n:
            d = self.ss.recv(1 << 20)
            if not d:
                raise EOFError
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out
    def frame(self):
        b0, b1 = self.need(2)
        if b1 & 0x80:
            raise ValueError("server frame is masked")
        n = b1 & 0x7f
        if n == 126:
            n = struct.unpack("!H", self.need(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.need(8))[0]
        return b0 >> 7, b0 & 0x0f, self.need(n)

def send_frame(ss, op, payload, fin=True):
    mask = os.urandom(4)
    n = len(payload)
    hdr = bytes([(0x80 if fin else 0) | op])
    if n < 126:
        hdr += bytes([0x80 | n])
    elif n < 65536:
        hdr += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        hdr += bytes([0x80 | 127]) + struct.pack("!Q", n)
    ss.sendall(hdr + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload)))

def cmd_http(a):
    """http NAME HOST PORT PATH WANT [variant]: status code of a request."""
    name, host, port, path, want = a[0], a[1], a[2], a[3], int(a[4])
    var = a[5] if len(a) > 5 else ""
    kw = {}
    if var == "nokey":
        kw["key"] = None
    elif var == "badkey":
        kw["key"] = "short"
    elif var == "v8":
        kw["version"] = "8"
    elif var == "post":
        kw["method"] = "POST"
    ss, head, rest = raw_open(host, port, path, **kw)
    status = int(head.split(" ")[1]) if head.startswith("HTTP/1.1 ") else -1
    ok = status == want
    why = "status %d, wanted %d" % (status, want)
    if ok and want == 426:
        ok, why = "Sec-WebSocket-Version: 13" in head, "426 without Sec-WebSocket-Version"
    if ok and want == 101:
        ok, why = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head, "bad accept: " + head
    result(name, ok, why)
    ss.close()

def cmd_frames(a):
    """frames NAME HOST PORT PATH FRAG OUT: read frames by hand; every data
    frame <= FRAG bytes; the reassembled messages go to OUT, one per line."""
    name, host, port, path, frag, out = a[0], a[1], a[2], a[3], int(a[4]), a[5]
    ss, head, rest = raw_open(host, port, path)
    fr = Frames(ss, rest)
    msgs, cur, nframes, big, code = [], None, 0, 0, None
    while True:
        fin, op, p = fr.frame()
        if op == 8:
            code = struct.unpack("!H", p[:2])[0]
            send_frame(ss, 8, p[:2])
            break
        if op in (9, 10):
            continue
        nframes += 1
        big = max(big, len(p))
        if op == 1:
            if cur is not None:
                result(name, False, "text frame inside a fragmented message"); return
            cur = p
        elif op == 0:
            if cur is None:
                result(name, False, "continuation without a message"); return
            cur += p
        if fin:
            msgs.append(cur)
            cur = None
    try:
        while ss.recv(65536):
            pass
    except (ssl.SSLError, OSError):
        pass
    with open(out, "wb") as f:
        for m in msgs:
            f.write(m + b"\n")
    if big > frag or nframes <= len(msgs):
        result(name, False, "largest frame %d, %d frames for %d messages" % (big, nframes, len(msgs)))
    elif code != 1000:
        result(name, False, "close code %s" % code)
    else:
        result(name, True)

def cmd_nopong(a):
    """nopong NAME HOST PORT: never answer pings; expect pings, then 1008."""
    name, host, port = a[0], a[1], a[2]
    ss, head, rest = raw_open(host, port, "/ws/btcusdt@trade")
    fr = Frames(ss, rest)
    pings, t0 = 0, time.time()
    while time.time() - t0 < 20:
        fin, op, p = fr.frame()
        if op == 9:
            pings += 1
        if op == 8:
            code = struct.unpack("!H", p[:2])[0]
            result(name, code == 1008 and pings >= 1,
                   "close %d after %d pings" % (code, pings))
            return
    result(name, False, "no close within 20 s")

async def pinged(uri, secs):
    async with websockets.connect(uri, ssl=ctx(), compression=None, ping_interval=None) as ws:
        n, t0 = 0, time.time()
        try:
            while time.time() - t0 < secs:
                await asyncio.wait_for(ws.recv(), 5)
                n += 1
        except websockets.ConnectionClosed as e:
            return n, e.code
        return n, None

def cmd_pinged(a):
    """pinged NAME URI SECS: the library answers pings; stay open SECS."""
    n, code = asyncio.run(pinged(a[1], float(a[2])))
    result(a[0], code is None and n > 0, "closed with %s after %d messages" % (code, n))

async def too_big(uri):
    async with websockets.connect(uri, ssl=ctx(), compression=None, max_size=None) as ws:
        await ws.send("x" * 70000)
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        except websockets.ConnectionClosed as e:
            return e.code

def cmd_too_big(a):
    code = asyncio.run(too_big(a[1]))
    result(a[0], code == 1009, "close code %s" % code)

async def cipher(uri):
    async with websockets.connect(uri, ssl=ctx(), compression=None) as ws:
        o = ws.transport.get_extra_info("ssl_object")
        await ws.recv()
        return o.version(), o.cipher()[0]

def cmd_cipher(a):
    """cipher NAME URI VERSION CIPHER: the negotiated version and cipher."""
    ver, name = asyncio.run(cipher(a[1]))
    result(a[0], (ver, name) == (a[2], a[3]), "negotiated %s %s" % (ver, name))

try:
    globals()["cmd_" + sys.argv[1].replace("-", "_")](sys.argv[2:])
except Exception as e:
    # a crash must still name its test, never pass silently
    name = sys.argv[2] if sys.argv[2:] and sys.argv[2].startswith("feedsim_") else sys.argv[1]
    result(name, False, "client raised %s: %s" % (type(e).__name__, e))
    raise
EOF
export CA=$CERTS/ca.pem

client() { in_rx env CA="$CA" "$PY" "$TMP/client.py" "$@"; }

# start_sim PORT LOG ARGS...: feedsim in the exchange namespace; sets SIM_PID.
start_sim() {
  local port=$1 log=$2; shift 2
  # not through in_ex: a backgrounded function would leave $! a subshell
  ip netns exec "$NS_EX" "$FEEDSIM" --log "$log" "$@" 2>>"$ERR" &
  SIM_PID=$!
  netns_track "$SIM_PID"
  wait_listen "$NS_EX" "$port"
}

# stop_sim NAME: SIGTERM, then PASS NAME if feedsim exited 0.
stop_sim() {
  kill -TERM "$SIM_PID" 2>/dev/null
  wait "$SIM_PID"; local rc=$?
  if [[ $rc -eq 0 ]]; then pass "$1"; else fail "$1" "feedsim exited $rc"; fi
}

# wait_sim NAME: feedsim --once ends by itself; PASS if it exited 0.
wait_sim() {
  local i
  for i in $(seq 200); do kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$SIM_PID" 2>/dev/null; then fail "$1" "feedsim still running"; kill "$SIM_PID"; fi
  wait "$SIM_PID"; local rc=$?
  if [[ $rc -eq 0 ]]; then pass "$1"; else fail "$1" "feedsim exited $rc"; fi
}

same_bytes() { # NAME FILE_A FILE_B
  if cmp -s "$2" "$3"; then pass "$1"; else
    fail "$1" "$(basename "$2") and $(basename "$3") differ: $(cmp "$2" "$3" 2>&1 | head -1)"; fi
}

# ---- TLS 1.2/1.3 x IPv4/IPv6, raw and combined, byte for byte ----
port=9443
for fam in v4 v6; do
  for tls in 1.2 1.3; do
    port=$((port + 1))
    if [[ $fam == v4 ]]; then addr=$V4:$port host=$V4; else addr="[$V6]:$port" host="[$V6]"; fi
    n=feedsim_${fam}_tls${tls}
    log=$TMP/$n.log
    if ! start_sim "$port" "$log" --listen "$addr" --tls "$tls" --rate 0 --count 2000 --seed 7; then
      fail "$n" "feedsim did not listen on $addr"; continue
    fi
    client recv "${n}_ws" "wss://$host:$port/ws/btcusdt@trade" "$TMP/$n.a" "TLSv$tls" 2000 0
    client recv "${n}_combined" "wss://$host:$port/stream?streams=btcusdt@trade/ethusdt@bookTicker" \
      "$TMP/$n.b" "TLSv$tls" 2000 1 btcusdt@trade,ethusdt@bookTicker
    stop_sim "${n}_sigterm_exit0"
    cat "$TMP/$n.a" "$TMP/$n.b" >"$TMP/$n.ab"
    same_bytes "${n}_log_matches" "$TMP/$n.ab" "$log"
  done
done

# Same seed, same subscriptions: same payloads apart from timestamps.
strip_ts() { sed -E 's/"(E|T|ts_ns)":[0-9]+/"\1":0/g' "$1"; }
if cmp -s <(strip_ts "$TMP/feedsim_v4_tls1.2.a") <(strip_ts "$TMP/feedsim_v6_tls1.3.a"); then
  pass feedsim_seed_determinism
else
  fail feedsim_seed_determinism "two runs with --seed 7 sent different payloads"
fi

# ---- cipher choice, both address families on one port, key log ----
port=$((port + 1))
if start_sim "$port" "$TMP/cipher.log" --listen "$V4:$port" --listen "[$V6]:$port" \
     --ciphers ECDHE-ECDSA-CHACHA20-POLY1305 --ciphersuites TLS_CHACHA20_POLY1305_SHA256 \
     --keylog "$TMP/keylog" --rate 100; then
  client cipher feedsim_tls13_ciphersuites "wss://$V4:$port/ws/btcusdt@trade" TLSv1.3 \
    TLS_CHACHA20_POLY1305_SHA256
  stop_sim feedsim_cipher_sigterm_exit0
fi
port=$((port + 1))
if start_sim "$port" "$TMP/cipher.log" --listen "$V4:$port" --listen "[$V6]:$port" --tls 1.2 \
     --ciphers ECDHE-ECDSA-CHACHA20-POLY1305 --keylog "$TMP/keylog" --rate 100; then
  client cipher feedsim_tls12_ciphers_v4 "wss://$V4:$port/ws/btcusdt@trade" TLSv1.2 \
    ECDHE-ECDSA-CHACHA20-POLY1305
  client cipher feedsim_tls12_ciphers_v6 "wss://[$V6]:$port/ws/btcusdt@trade" TLSv1.2 \
    ECDHE-ECDSA-CHACHA20-POLY1305
  stop_sim feedsim_cipher12_sigterm_exit0
fi
if grep -q '^SERVER_TRAFFIC_SECRET_0 ' "$TMP/keylog" && grep -q '^CLIENT_RANDOM ' "$TMP/keylog"; then
  pass feedsim_keylog
else
  fail feedsim_keylog "no TLS 1.3 and TLS 1.2 secrets in the key log"
fi

# ---- JSON methods, client pings, client-initiated close ----
port=$((port + 1))
log=$TMP/rpc.log
if start_sim "$port" "$log" --listen "$V4:$port" --rate 2000 --once; then
  out=$(client rpc "wss://$V4:$port/ws" "$TMP/rpc.data")
  grep -E '^(PASS|FAIL) ' <<<"$out"
  grep -q '^closed 1000$' <<<"$out" && pass feedsim_client_close || fail feedsim_client_close "$out"
  wait_sim feedsim_once_exit0
  # replies are never logged: what the client got is the start of the log
  if [[ -s $TMP/rpc.data ]] && cmp -s "$TMP/rpc.data" <(head -c "$(stat -c %s "$TMP/rpc.data")" "$log"); then
    pass feedsim_rpc_log_prefix
  else
    fail feedsim_rpc_log_prefix "received data is not a prefix of the log"
  fi
else
  fail feedsim_rpc "feedsim did not listen"
fi

# ---- HTTP: bad paths and bad upgrade requests ----
port=$((port + 1))
if start_sim "$port" "$TMP/http.log" --listen "$V4:$port" --rate 10; then
  client http feedsim_http_404 "$V4" "$port" /nope 404
  client http feedsim_http_404_api "$V4" "$port" /api/v3/trades 404
  client http feedsim_http_400_stream "$V4" "$port" /ws/BTCUSDT@trade 400
  client http feedsim_http_400_no_key "$V4" "$port" /ws/btcusdt@trade 400 nokey
  client http feedsim_http_400_bad_key "$V4" "$port" /ws/btcusdt@trade 400 badkey
  client http feedsim_http_400_post "$V4" "$port" /ws/btcusdt@trade 400 post
  client http feedsim_http_426_version "$V4" "$port" /ws/btcusdt@trade 426 v8
  client http feedsim_http_101 "$V4" "$port" /ws/btcusdt@trade 101
  client too-big feedsim_client_frame_too_big_1009 "wss://$V4:$port/ws"
  stop_sim feedsim_http_sigterm_exit0
else
  fail feedsim_http "feedsim did not listen"
fi

# ---- fragmentation, read frame by frame ----
port=$((port + 1))
log=$TMP/frag.log
if start_sim "$port" "$log" --listen "$V4:$port" --rate 0 --count 300 --fragment 1000 \
     --sizes 2:20000 --once; then
  client frames feedsim_fragment_frames "$V4" "$port" /ws/raw 1000 "$TMP/frag.got"
  wait_sim feedsim_fragment_exit0
  same_bytes feedsim_fragment_frames_log_matches "$TMP/frag.got" "$log"
fi
port=$((port + 1))
log=$TMP/frag2.log
if start_sim "$port" "$log" --listen "[$V6]:$port" --rate 0 --count 500 --fragment 7 --once; then
  client recv feedsim_fragment_websockets "wss://[$V6]:$port/stream?streams=btcusdt@depth/raw" \
    "$TMP/frag2.got" TLSv1.3 500 1 btcusdt@depth,raw
  wait_sim feedsim_fragment2_exit0
  same_bytes feedsim_fragment_log_matches "$TMP/frag2.got" "$log"
fi

# ---- raw messages up to 1 MiB ----
port=$((port + 1))
log=$TMP/big.log
if start_sim "$port" "$log" --listen "[$V6]:$port" --tls 1.2 --rate 0 --count 60 \
     --sizes 2:1048576 --once; then
  client recv feedsim_raw_1mib "wss://[$V6]:$port/ws/raw" "$TMP/big.got" TLSv1.2 60 raw
  wait_sim feedsim_raw_exit0
  same_bytes feedsim_raw_log_matches "$TMP/big.got" "$log"
  max=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$log")
  if [[ $max -gt 500000 ]]; then pass feedsim_raw_sizes_big; else fail feedsim_raw_sizes_big "largest $max"; fi
fi

# ---- 200 MB flat out through the veth, byte for byte ----
port=$((port + 1))
log=$TMP/200mb.log
if start_sim "$port" "$log" --listen "$V4:$port" --rate 0 --count 200 --sizes 1000000:1048576 \
     --once; then
  client recv feedsim_200mb "wss://$V4:$port/ws/raw" "$TMP/200mb.got" TLSv1.3 200 raw
  wait_sim feedsim_200mb_exit0
  same_bytes feedsim_200mb_log_matches "$TMP/200mb.got" "$log"
  rm -f "$TMP/200mb.got" "$log"
fi

# ---- TLS 1.3 KeyUpdate every 50 messages ----
port=$((port + 1))
log=$TMP/ku.log
if start_sim "$port" "$log" --listen "$V4:$port" --tls 1.3 --rate 0 --count 2000 \
     --key-update 50 --once -v; then
  client recv feedsim_key_update "wss://$V4:$port/ws/ethusdt@aggTrade" "$TMP/ku.got" TLSv1.3 2000 0
  wait_sim feedsim_key_update_exit0
  same_bytes feedsim_key_update_log_matches "$TMP/ku.got" "$log"
  if grep -q ' 39 key updates' "$ERR"; then pass feedsim_key_update_count; else
    fail feedsim_key_update_count "$(grep 'key updates' "$ERR" | tail -1)"; fi
fi

# ---- pings: unanswered -> 1008, answered -> stays open ----
port=$((port + 1))
if start_sim "$port" "$TMP/ping.log" --listen "$V4:$port" --rate 50 --ping-interval 0.2 \
     --pong-timeout 0.6; then
  client nopong feedsim_pong_timeout_1008 "$V4" "$port"
  client pinged feedsim_pings_answered "wss://$V4:$port/ws/btcusdt@bookTicker" 2
  stop_sim feedsim_ping_sigterm_exit0
fi

# ---- many clients at once; SIGTERM closes open ones with 1001 ----
port=$((port + 1))
log=$TMP/multi.log
if start_sim "$port" "$log" --listen "$V4:$port" --rate 0 --count 5000; then
  pids=()
  for i in 1 2 3 4 5 6; do
    s=(btcusdt@trade ethusdt@depth solusdt@bookTicker bnbusdt@aggTrade raw xrpusdt@depth@100ms)
    client recv "feedsim_concurrent_$i" "wss://$V4:$port/ws/${s[$((i - 1))]}" "$TMP/multi.$i" \
      TLSv1.3 5000 "$([[ $i == 5 ]] && echo raw || echo 0)" >"$TMP/multi.$i.res" &
    pids+=($!)
  done
  wait "${pids[@]}"
  cat "$TMP"/multi.?.res
  if cmp -s <(cat "$TMP"/multi.? | sort) <(sort "$log"); then pass feedsim_concurrent_log; else
    fail feedsim_concurrent_log "the clients' messages and the log differ"; fi
  stop_sim feedsim_concurrent_sigterm_exit0
fi

port=$((port + 1))
log=$TMP/term.log
if start_sim "$port" "$log" --listen "$V4:$port" --rate 1000; then
  client recv-quiet "wss://$V4:$port/stream?streams=btcusdt@trade/raw" "$TMP/term.got" \
    >"$TMP/term.res" &
  cpid=$!
  sleep 1
  stop_sim feedsim_sigterm_exit0
  wait "$cpid"
  if grep -q ' 1001$' "$TMP/term.res"; then pass feedsim_sigterm_1001; else
    fail feedsim_sigterm_1001 "client saw: $(cat "$TMP/term.res")"; fi
  same_bytes feedsim_sigterm_log_matches "$TMP/term.got" "$log"
fi

# ---- 100,000 messages flat out, byte for byte ----
port=$((port + 1))
log=$TMP/100k.log
if start_sim "$port" "$log" --listen "$V4:$port" --rate 0 --count 100000 --once; then
  client recv feedsim_100k "wss://$V4:$port/stream?streams=btcusdt@trade/btcusdt@bookTicker/btcusdt@depth" \
    "$TMP/100k.got" TLSv1.3 100000 1 btcusdt@trade,btcusdt@bookTicker,btcusdt@depth
  wait_sim feedsim_100k_exit0
  same_bytes feedsim_100k_log_matches "$TMP/100k.got" "$log"
fi

# ---- command-line errors ----
msg=$("$FEEDSIM" --rate x 2>&1); rc=$?
if [[ $rc -eq 2 && $msg == "feedsim: --rate: not a number: 'x'" ]]; then pass feedsim_bad_flag; else
  fail feedsim_bad_flag "exit $rc: $msg"; fi
msg=$("$FEEDSIM" --listen 1.2.3:99 2>&1); rc=$?
if [[ $rc -eq 2 && $msg == *"--listen"* ]]; then pass feedsim_bad_listen; else
  fail feedsim_bad_listen "exit $rc: $msg"; fi
mkdir -p "$TMP/bin" && cp "$FEEDSIM" "$TMP/bin/feedsim"
msg=$("$TMP/bin/feedsim" 2>&1); rc=$?
if [[ $rc -eq 2 && $msg == *scripts/certs.sh* ]]; then pass feedsim_no_certs; else
  fail feedsim_no_certs "exit $rc: $msg"; fi
if "$FEEDSIM" --help | grep -q -- '--key-update'; then pass feedsim_help; else fail feedsim_help "no usage"; fi

# feedsim's own stderr, for the runner to show when something failed
echo "--- feedsim stderr ---" >&2
tail -n 60 "$ERR" >&2
