#!/usr/bin/env python3
"""Write the committed seed corpora tests/fuzz/<target>/seed-*: small, valid
inputs in each fuzz target's input format (see the comment at the top of
tests/fuzz_<target>.c and tests/fuzz_tls.h). Deterministic; run it again
after changing a format. Crash reproducers (crash-*) are kept beside the
seeds and never rewritten here."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(bytes(data))


def clear(target):
    d = os.path.join(HERE, target)
    if os.path.isdir(d):
        for f in os.listdir(d):
            if f.startswith("seed-"):
                os.unlink(os.path.join(d, f))


u8 = lambda v: struct.pack(">B", v & 0xff)
u16 = lambda v: struct.pack(">H", v & 0xffff)
u32 = lambda v: struct.pack(">I", v & 0xffffffff)

# ---- pkt_parse: u16 filler length, then the frame's start ---------------
MACS = bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2])


def eth(proto, vlan=False):
    return MACS + (u16(0x8100) + u16(42) if vlan else b"") + u16(proto)


def tcp(seq=1, flags=0x18, opts=0, payload=b"hello"):
    h = u16(9443) + u16(40000) + u32(seq) + u32(7) + u8((5 + opts) << 4) + u8(flags)
    h += u16(0xffff) + u16(0) + u16(0)
    return h + b"\x01\x01\x01\x01" * opts + payload


def ipv4(body, opts=0, frag=0x4000, proto=6):
    ihl = 5 + opts
    tot = ihl * 4 + len(body)
    h = u8(0x40 | ihl) + u8(0) + u16(tot) + u16(1) + u16(frag) + u8(64) + u8(proto) + u16(0)
    h += bytes([198, 18, 0, 1, 198, 18, 0, 2])
    return h + b"\x01\x01\x01\x01" * opts + body


V6S = bytes.fromhex("fd00fee0000000000000000000000001")
V6D = bytes.fromhex("fd00fee0000000000000000000000002")


def ipv6(body, nh=6, plen=None, ext=b""):
    pl = len(ext) + len(body) if plen is None else plen
    return u8(0x60) + b"\0\0\0" + u16(pl) + u8(nh) + u8(64) + V6S + V6D + ext + body


def pkt_seeds():
    t = "pkt_parse"
    clear(t)
    write(t, "ipv4", u16(0) + eth(0x0800) + ipv4(tcp()))
    write(t, "ipv4-vlan-opts-pad", u16(20) + eth(0x0800, True) + ipv4(tcp(opts=3), opts=2))
    write(t, "ipv4-syn", u16(0) + eth(0x0800) + ipv4(tcp(flags=0x12, payload=b"")))
    write(t, "ipv4-fragment", u16(0) + eth(0x0800) + ipv4(tcp(), frag=0x2000))
    write(t, "ipv4-udp", u16(0) + eth(0x0800) + ipv4(b"\0" * 12, proto=17))
    write(t, "ipv6", u16(0) + eth(0x86dd) + ipv6(tcp()))
    hbh = bytes([6, 0, 1, 4, 0, 0, 0, 0])
    write(t, "ipv6-hop-by-hop", u16(0) + eth(0x86dd) + ipv6(tcp(), nh=0, ext=hbh))
    frag = bytes([6, 0, 0, 0, 0, 0, 0, 9])
    write(t, "ipv6-atomic-fragment", u16(0) + eth(0x86dd, True) + ipv6(tcp(), nh=44, ext=frag))
    # the largest payload lengths: the frame is filled up to the packet's end
    for plen in (65495, 65535):
        head = eth(0x86dd) + ipv6(tcp(payload=b""), plen=plen)
        write(t, "ipv6-plen-%d" % plen, u16(14 + 40 + plen - len(head)) + head)


# ---- tcp_reasm: cfg, ooo-bytes, segs, [window], isn; ops ----------------
def seg(flags=0, delta=0, length=0, ver=0, near_zero=False, big=False):
    op = (flags & 7) | (0x8 if near_zero else 0) | (0x10 if big else 0)
    d = delta + (4 if near_zero else 0)
    return u8(op) + u16(d) + (u16(length) if big else u8(length)) + u8(ver)


def reasm_seeds():
    t = "tcp_reasm"
    clear(t)
    isn = u32(0xfffffff0)
    hdr = lambda cfg, win=None: u8(cfg) + u8(4) + u8(16) + (u16(win) if win is not None else b"") + isn
    # started, in order
    write(t, "in-order", hdr(2) + seg(0, 0, 100) + seg(0, 0, 200) + seg(1, 0, 10))
    # SYN starts, data, reorder, fill the hole, FIN
    write(t, "syn-reorder-fin", hdr(0) + seg(2, 0, 0, near_zero=True) + seg(0, 50, 30)
          + seg(0, 0, 50) + seg(0, 30, 20) + seg(1, 0, 5))
    # overlaps with other bytes (versions): first copy wins
    write(t, "conflicting-overlaps", hdr(2) + seg(0, 20, 40, ver=1) + seg(0, 10, 40, ver=2)
          + seg(0, 0, 80, ver=3) + seg(0, -10, 30, ver=4))
    # out-of-order caps: many small holes
    write(t, "caps", hdr(2) + b"".join(seg(0, 2 * i + 1, 1) for i in range(20)) + seg(0, 0, 60))
    # RST at the next byte discards held data
    write(t, "rst", hdr(2) + seg(0, 0, 10) + seg(0, 20, 10) + seg(4, 0, 0))
    # a window change and data beyond it
    write(t, "window", hdr(3, 100) + seg(0, 0, 90) + seg(0, 20, 200, big=True)
          + u8(0x1f) + u16(4000) + seg(0, 0, 200, big=True))
    # regression: a SYN refused for the window must not take its ISN
    write(t, "refused-syn", hdr(1, 3) + seg(2, 0, 10, near_zero=True)
          + seg(2, 2, 2, near_zero=True) + seg(0, 0, 3))


# ---- TLS streams (fuzz_tls.h ops) ----------------------------------------
def plain(typ, content):
    return u8(0x84) + u8(typ) + u16(len(content)) + content


def app(content, total=None, right=False):
    n = len(content) if total is None else total
    return u8(0x61 if right else 0x43) + u16(n) + content


def sealed(typ, content):
    return u8(0x44) + u8(typ) + u16(len(content)) + content


HS13 = plain(22, b"\x02\x00\x00\x04" + b"\x03\x03\x00\x00") + plain(20, b"\x01")


def fin13(hash_len):
    return sealed(22, b"\x08\x00\x00\x02\x00\x00") + sealed(22, b"\x14\x00\x00" + u8(hash_len) + b"\x11" * hash_len)


FIN12 = plain(22, b"\x02\x00\x00\x04\x03\x03\x00\x00") + plain(20, b"\x01") + sealed(22, b"\x14\x00\x00\x0c" + b"\x22" * 12)
CLOSE = sealed(21, b"\x01\x00")
KEYUPDATE = sealed(22, b"\x18\x00\x00\x01\x01")
TICKET = sealed(22, b"\x04\x00\x00\x08" + b"\x00" * 8)
HASH = [32, 48, 32]


def stream_start(suite):
    if suite < 3:
        return HS13 + fin13(HASH[suite])
    return FIN12


def tls_seeds():
    t = "tls_record"
    clear(t)
    for s in range(6):
        # at a record boundary: application data, whole and in pieces
        write(t, "start-%d" % s, u8(s) + u8(0) + u8(0) + app(b"hello") + app(b"", 3000) + CLOSE)
        write(t, "stream-%d" % s, u8(s | 0x08) + u8(5) + u8(s) + stream_start(s)
              + app(b"{\"e\":\"trade\"}") + (TICKET + KEYUPDATE if s < 3 else b"")
              + app(b"after", 16384) + CLOSE)
    write(t, "pause-split", u8(0x10) + u8(9) + u8(7) + app(b"a") + app(b"b", 100) + app(b"c", 16384))
    write(t, "seq-wrap", u8(0x23) + u8(0) + u8(0) + app(b"x") + app(b"y") + app(b"z"))
    write(t, "padding", u8(0x01) + u8(0) + u8(0) + u8(0xc1) + u16(10) + u8(200) + b"0123456789")
    write(t, "bit-flip", u8(0x02) + u8(3) + u8(1) + app(b"abc") + u8(0x05) + u16(7) + u8(1))


HEAD101 = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
TRADE = (b"{\"e\":\"trade\",\"E\":1700000000123,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"43210.12\","
         b"\"q\":\"0.0015\",\"T\":1700000000122,\"m\":true,\"M\":true,\"ts_ns\":123456789}")


def ws(op, payload, fin=True):
    n = len(payload)
    b0 = (0x80 if fin else 0) | op
    if n < 126:
        return u8(b0) + u8(n) + payload
    if n < 65536:
        return u8(b0) + u8(126) + u16(n) + payload
    return u8(b0) + u8(127) + struct.pack(">Q", n) + payload


def fp_seeds():
    t = "fp_stream"
    clear(t)
    sizes = 0x9c  # hold 256 B, messages up to 32 KiB
    for s in range(6):
        msgs = ws(1, TRADE) + ws(9, b"p") + ws(2, b"frag", fin=False) + ws(0, b"mented") + ws(8, b"\x03\xe8")
        write(t, "ws-%d" % s, u8(s) + u8(sizes) + u8(0) + u8(0) + u16(0)
              + stream_start(s) + app(HEAD101) + app(msgs))
    # secrets late (bytes held), behind a proxy, in pieces
    proxy = b"HTTP/1.1 200 Connection established\r\n\r\n"
    write(t, "proxy-hold", u8(0x08) + u8(0x9f) + u8(6) + u8(3) + u16(200)
          + u8(0x04) + u8(len(proxy)) + proxy + stream_start(0) + app(HEAD101 + ws(1, TRADE)))
    # a 1-byte text frame at the very end of a full (16,384-byte) record:
    # the message ends where the reader's plaintext buffer does
    write(t, "one-byte-frame-at-record-end", u8(0) + u8(sizes) + u8(0) + u8(0) + u16(0)
          + stream_start(0) + app(HEAD101 + b"\x81\x7e" + u16(16381))
          + app(b"\x81\x01\x31", 16384, right=True))


# ---- the text formats -------------------------------------------------------
def http_seeds():
    t = "http_response"
    clear(t)
    up = 0x80
    write(t, "upgrade-101", u8(up) + u8(0) + HEAD101 + b"\x81\x02hi")
    write(t, "upgrade-101-split", u8(up | 3) + u8(9) + HEAD101.replace(b"Upgrade: websocket", b"Upgrade: WebSocket, h2c"))
    write(t, "upgrade-404", u8(up) + u8(0) + b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    write(t, "upgrade-ext", u8(up | 1) + u8(1) + HEAD101[:-2] + b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
    write(t, "proxy-200", u8(0) + u8(0) + b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01")
    write(t, "proxy-407", u8(2) + u8(5) + b"HTTP/1.0 407 Proxy Authentication Required\r\n"
          b"Proxy-Authenticate: Basic realm=\"x\"\r\nServer: tinyproxy\r\n\r\n")
    write(t, "folded-empty", u8(4) + u8(2) + b"HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Tab:\t v \t\r\n\r\n")


def json_seeds():
    t = "feed_parse"
    clear(t)
    hdr = u8(255) + u8(63)
    msgs = {
        "trade": TRADE,
        "aggtrade": b"{\"e\":\"aggTrade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"a\":12345,\"p\":\"0.001\","
                    b"\"q\":\"100\",\"f\":100,\"l\":105,\"T\":1672515782136,\"m\":false,\"M\":true}",
        "bookticker": b"{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\",\"B\":\"31.21000000\","
                      b"\"a\":\"25.36520000\",\"A\":\"40.66000000\"}",
        "depth": b"{\"e\":\"depthUpdate\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"U\":157,\"u\":160,"
                 b"\"b\":[[\"0.0024\",\"10\"],[\"0.0023\",\"0\"]],\"a\":[[\"0.0026\",\"100\"]],\"pu\":156}",
        "envelope": b"{\"stream\":\"btcusdt@trade\",\"data\":" + TRADE + b"}",
        "reply": b"{\"result\":null,\"id\":1}",
        "reply-list": b"{\"result\":[\"btcusdt@trade\"],\"id\":\"abc\"}",
        "error": b"{\"error\":{\"code\":-1121,\"msg\":\"Invalid symbol.\"},\"id\":2}",
        "escapes-ws": b" {\"e\" : \"x\\u0041\\n\", \"n\":[1.5e-3,-0,true,false,null,{}]} \r\n",
        "decimal": b"-92233720368.54775807",
    }
    for name, m in msgs.items():
        write(t, name, hdr + m)
    write(t, "few-tokens", u8(4) + u8(1) + msgs["depth"])


def book_seeds():
    t = "order_book"
    clear(t)

    def lv(levels):
        return u8(len(levels)) + b"".join(u16(p) + u8(q) for p, q in levels)

    snap = u8(0) + u16(100) + lv([(200, 0x80), (199, 0x90), (198, 0xa0)]) + lv([(201, 0x80), (202, 0x90)])

    def upd(dU, span, bids, asks, op=0x10):
        return u8(op) + u8(dU) + u8(span) + lv(bids) + lv(asks)

    write(t, "snapshot-updates", u8(10) + snap + upd(1, 2, [(200, 0), (197, 0x50)], [(201, 0xff)])
          + upd(3, 0, [(205, 0x41)], []) + upd(0xf0, 0, [], []))
    write(t, "before-snapshot-gap", u8(3) + upd(1, 0, [(5, 0x50)], []) + snap + upd(9, 0, [], [(1, 0x50)])
          + upd(1, 0, [], []) + snap)
    write(t, "capacity", u8(1) + snap + upd(1, 0, [(300, 0x60), (100, 0x60)], [(150, 0x70)]))
    write(t, "bad-levels", u8(5) + u8(1) + u16(1) + lv([(0, 0x50)]) + lv([]) + snap
          + upd(1, 0, [(0, 0xff)], [], op=0x11) + upd(1, 0, [], [], op=0x90))


def ws_seeds():
    t = "ws_frame"
    clear(t)
    msgs = ws(1, TRADE) + ws(2, b"\x00\xff") + ws(9, b"ping") + ws(10, b"")
    write(t, "messages", u8(12) + u8(0) + u8(0) + msgs)
    write(t, "messages-split", u8(12) + u8(3) + u8(5) + msgs)
    write(t, "fragmented", u8(12) + u8(2) + u8(1) + ws(1, b"frag", fin=False) + ws(9, b"x")
          + ws(0, b"men", fin=False) + ws(0, b"ted") + ws(8, b"\x03\xe8bye"))
    # a 64-bit length: the header and the start of its payload
    write(t, "lengths", u8(12) + u8(12) + u8(2) + ws(2, b"a" * 126) + ws(2, b"b" * 65536)[:20])
    write(t, "utf8", u8(0x80 | 12) + u8(1) + u8(0) + ws(1, "héllo €".encode()) + ws(1, b"\xed\xa0\x80"))
    write(t, "too-big", u8(0) + u8(0) + u8(0) + ws(1, b"x" * 17))
    write(t, "close-then-more", u8(12) + u8(0) + u8(0) + ws(8, b"") + ws(1, b"late"))


def url_seeds():
    t = "url"
    clear(t)
    for i, s in enumerate([
        b"wss://stream.binance.com:9443/ws/btcusdt@trade",
        b"wss://stream.binance.com/stream?streams=btcusdt@trade/btcusdt@depth",
        b"ws://198.18.0.1:8080",
        b"wss://[fd00::1]:9443/ws?x=1#frag",
        b"http://proxy.example:3128",
        b"HTTPS://h?q",
        b"wss://user@h/",
        b"wss://h:0/",
        b"wss://h:65536/",
        b"wss://[::1/",
    ]):
        write(t, "%02d" % i, u8(40 if i % 2 else 255) + s)


def sbe_seeds():
    """fuzz_sbe_decode: level and trade array sizes, then one Binance spot SBE
    message (schema 1, little-endian, laid out as stream_1_0.xml says)."""
    import struct as st
    le16 = lambda v: st.pack("<H", v)
    le32 = lambda v: st.pack("<I", v)
    le64 = lambda v: st.pack("<q", v)
    i8 = lambda v: st.pack("<b", v)
    hdr = lambda blen, tpl, ver=0: le16(blen) + le16(tpl) + le16(1) + le16(ver)
    sym = lambda s: bytes([len(s)]) + s
    clear("sbe_decode")
    pre = u8(64) + u8(16)
    trades = (hdr(18, 10000) + le64(1700000000123456) + le64(1700000000123400) + i8(-2) + i8(-5)
              + le16(25) + le32(2)
              + le64(1) + le64(4321012) + le64(150) + u8(1)
              + le64(2) + le64(4321013) + le64(200000) + u8(0) + sym(b"BTCUSDT"))
    write("sbe_decode", "trades", pre + trades)
    bba = (hdr(50, 10001) + le64(1700000000200000) + le64(400900217) + i8(-4) + i8(-2)
           + le64(253519) + le64(3121) + le64(253652) + le64(4066) + sym(b"BNBUSDT"))
    write("sbe_decode", "bestbidask", pre + bba)
    snap = (hdr(18, 10002) + le64(1) + le64(777) + i8(0) + i8(-3)
            + le16(16) + le16(1) + le64(100) + le64(1500)
            + le16(16) + le16(1) + le64(101) + le64(2500) + sym(b"ETHUSDT"))
    write("sbe_decode", "depth20", pre + snap)
    diff = (hdr(26, 10003) + le64(1) + le64(157) + le64(160) + i8(-8) + i8(-8)
            + le16(16) + le16(1) + le64(240000) + le64(1000000000)
            + le16(16) + le16(0) + sym(b"BNBBTC"))
    write("sbe_decode", "depth", pre + diff)
    bumped = (hdr(28, 10003, 1) + le64(1) + le64(2) + le64(3) + i8(0) + i8(0) + le16(0)
              + le16(20) + le16(1) + le64(7) + le64(8) + le32(0)
              + le16(16) + le16(0) + sym(b"Y") + le16(8) + le32(1) + le64(-1))
    write("sbe_decode", "version-bump", pre + bumped)
    write("sbe_decode", "reply", pre + b'{"result":null,"id":1}')


if __name__ == "__main__":
    pkt_seeds()
    reasm_seeds()
    tls_seeds()
    fp_seeds()
    http_seeds()
    json_seeds()
    book_seeds()
    ws_seeds()
    url_seeds()
    sbe_seeds()
