#!/usr/bin/env python3
"""shm_reader.py -- read feedrx's normalized events from its shared-memory
ring (feedrx --shm NAME) with nothing but the standard library's mmap, and
print them as JSON lines, the same text feedrx-shm-read prints.

    python3 shm_reader.py [--from-start] [--count N] [--quiet] NAME

The ring (user/shm/shm_ring.h) and the event record
(user/feed/feed_event_codec.h) are fixed little-endian layouts. A reader
copies a record out, then re-reads the producer's `claim`: if the producer
may have written over the record meanwhile, the copy is thrown away (never
torn data), the reader jumps to the newest record, and the next record's
number says how many were lost (an overrun, reported on stderr).

CPython has no memory fences: this relies on x86's ordering of loads (a
load is not reordered with an older load). On other CPUs use the C reader.
Exit status: 0 when the producer closed the ring and all was read, 3 after
an overrun, 1 on errors."""
import argparse
import mmap
import os
import struct
import sys
import time

MAGIC = 0x31474E4952584446  # "FDXRING1"
HDR_SIZE = 4096
OFF_HEAD, OFF_CLAIM, OFF_OLDEST, OFF_CLOSED = 64, 128, 192, 28
REC_EVENT = 1
SCALE = 100_000_000
TYPES = {1: "trade", 2: "bbo", 3: "book", 4: "top", 5: "status"}
STATUS = {1: "connected", 2: "disconnected", 3: "gap", 4: "book_invalid",
          5: "resynced", 6: "rotated", 7: "stale"}
SIDES = {1: "buy", 2: "sell"}
EVF_SNAPSHOT, EVF_SHADOW, EVF_FAST = 1, 2, 4
U64 = struct.Struct("<Q")
REC = struct.Struct("<IIQ")
EV_HDR = struct.Struct("<BBHIQQQBBHI")  # the 40-byte event header


def fixed(v):
    """A fixed-point value (1e-8 units) as an exact decimal string."""
    sign = "-" if v < 0 else ""
    v = abs(v)
    ip, fp = divmod(v, SCALE)
    if not fp:
        return f"{sign}{ip}"
    return f"{sign}{ip}." + f"{fp:08d}".rstrip("0")


def jstr(b):
    out = []
    for c in b:
        if c in (0x22, 0x5C):
            out.append("\\" + chr(c))
        elif c < 0x20 or c == 0x7F:
            out.append(f"\\u{c:04x}")
        else:
            out.append(chr(c))
    return '"' + "".join(out) + '"'


def levels(rec, off, n):
    parts = []
    for i in range(n):
        px, qty = struct.unpack_from("<qq", rec, off + 16 * i)
        parts.append(f'["{fixed(px)}","{fixed(qty)}"]')
    return "[" + ",".join(parts) + "]"


def event_json(rec):
    """One event record (bytes) as the JSON line feedrx-shm-read prints."""
    ver, typ, flags, ln, seq, exch, recv, vl, sl, tl, _ = EV_HDR.unpack_from(rec, 0)
    if ver != 1 or ln > len(rec) or typ not in TYPES:
        raise ValueError("bad event record")
    body = 40
    nb = na = 0
    if typ in (3, 4):
        if typ == 3:
            nb, na = struct.unpack_from("<II", rec, body + 16)
        else:
            nb, na = struct.unpack_from("<II", rec, body + 8)
    s = 80 + 16 * (nb + na)
    if s + vl + sl + tl > ln:
        raise ValueError("bad event record")
    venue, sym, text = rec[s:s + vl], rec[s + vl:s + vl + sl], rec[s + vl + sl:s + vl + sl + tl]
    o = [f'{{"seq":{seq},"type":"{TYPES[typ]}","venue":{jstr(venue)}']
    if sl:
        o.append(f',"symbol":{jstr(sym)}')
    o.append(f',"exch_ns":{exch},"recv_ns":{recv}')
    if flags & EVF_FAST:
        o.append(',"path":"fast"')
    elif flags & EVF_SHADOW:
        o.append(',"path":"shadow"')
    if typ == 1:
        px, qty, tid, side = struct.unpack_from("<qqQB", rec, body)
        o.append(f',"price":"{fixed(px)}","qty":"{fixed(qty)}","id":{tid},'
                 f'"side":"{SIDES.get(side, "unknown")}"')
    elif typ == 2:
        bp, bq, ap, aq, uid = struct.unpack_from("<qqqqQ", rec, body)
        o.append(f',"bid_px":"{fixed(bp)}","bid_qty":"{fixed(bq)}","ask_px":"{fixed(ap)}",'
                 f'"ask_qty":"{fixed(aq)}","id":{uid}')
    elif typ == 3:
        fi, li = struct.unpack_from("<QQ", rec, body)
        snap = "true" if flags & EVF_SNAPSHOT else "false"
        o.append(f',"first_id":{fi},"last_id":{li},"snapshot":{snap}'
                 f',"bids":{levels(rec, 80, nb)},"asks":{levels(rec, 80 + 16 * nb, na)}')
    elif typ == 4:
        li, = struct.unpack_from("<Q", rec, body)
        dk, = struct.unpack_from("<I", rec, body + 16)
        o.append(f',"last_id":{li},"depth_known":{dk}'
                 f',"bids":{levels(rec, 80, nb)},"asks":{levels(rec, 80 + 16 * nb, na)}')
    else:
        kind, _, conn, fi, li = struct.unpack_from("<HHIQQ", rec, body)
        o.append(f',"status":"{STATUS.get(kind, "unknown")}","conn":{conn},'
                 f'"first_id":{fi},"last_id":{li}')
        if tl:
            o.append(f',"text":{jstr(text)}')
    o.append("}")
    return "".join(o)


class Ring:
    def __init__(self, name, from_start):
        fd = os.open("/dev/shm/" + name, os.O_RDONLY)
        try:
            self.m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ)
        finally:
            os.close(fd)
        magic, ver, hsz, size = struct.unpack_from("<QIIQ", self.m, 0)
        if magic != MAGIC or ver != 1 or hsz != HDR_SIZE or size + HDR_SIZE != len(self.m):
            raise ValueError(f"/dev/shm/{name} is not a feedrx ring of version 1")
        self.size, self.mask = size, size - 1
        self.pos = self.u64(OFF_OLDEST if from_start else OFF_HEAD)
        self.expect = 1 if self.pos == 0 else 0
        self.overruns = self.lost = 0

    def u64(self, off):
        return U64.unpack_from(self.m, off)[0]

    def next(self):
        """(payload, lost before it), None when empty, or EOFError at the end."""
        lost = 0
        while True:
            head = self.u64(OFF_HEAD)
            if self.pos == head:
                if struct.unpack_from("<I", self.m, OFF_CLOSED)[0] and self.u64(OFF_HEAD) == head:
                    raise EOFError
                return None
            off = self.pos & self.mask
            if head - self.pos <= self.size:
                ln, kind, seq = REC.unpack_from(self.m, HDR_SIZE + off)
                step = (ln + 15) & ~15
                ok = 16 <= ln and step <= self.size - off and step <= head - self.pos
                data = self.m[HDR_SIZE + off + 16:HDR_SIZE + off + ln] if ok else b""
                if self.u64(OFF_CLAIM) - self.pos <= self.size:  # not written over: whole
                    if not ok:
                        raise ValueError("malformed record")
                    self.pos += step
                    if kind != REC_EVENT:
                        continue
                    if self.expect and seq > self.expect:
                        lost += seq - self.expect
                    self.expect = seq + 1
                    self.lost += lost
                    return data, lost
            self.overruns += 1  # lapped: go on from the newest
            self.pos = self.u64(OFF_HEAD)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name")
    ap.add_argument("--from-start", action="store_true")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--wait", type=float, default=0, help="wait S seconds for the ring")
    a = ap.parse_args()
    t_end = time.monotonic() + a.wait
    while True:
        try:
            ring = Ring(a.name, a.from_start)
            break
        except (FileNotFoundError, ValueError) as e:
            if time.monotonic() >= t_end:
                print(f"shm_reader.py: {e}", file=sys.stderr)
                return 1
            time.sleep(0.05)
    out, got, status, idle = sys.stdout, 0, 0, 0
    while not a.count or got < a.count:
        try:
            r = ring.next()
        except EOFError:
            break
        if r is None:
            idle += 1
            if idle > 1000:
                out.flush()
                time.sleep(0.0002)
            continue
        idle = 0
        data, lost = r
        if lost:
            out.flush()
            print(f"shm_reader.py: overrun: {lost} events lost (the producer lapped this "
                  "reader)", file=sys.stderr)
            status = 3
        got += 1
        if not a.quiet:
            out.write(event_json(data) + "\n")
    out.flush()
    print(f"shm_reader.py: {got} events, {ring.overruns} overruns, {ring.lost} events lost",
          file=sys.stderr)
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BrokenPipeError, KeyboardInterrupt):
        sys.exit(1)
