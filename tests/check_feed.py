#!/usr/bin/env python3
"""check_feed — compare what a client delivered with feedsim's truth log.

Usage:
  check_feed.py --truth TRUTH [--json REPORT] [--complete] [--streams A,B]
                [--conns N,M] [--peer ADDR] [--since-first] [--quiet]
                DELIVERED [DELIVERED ...]

DELIVERED: files of raw JSON lines as delivered (feedrx's stdout), one
message per line, possibly from several connections merged; "-" is stdin.
Lines that are not market data (serverShutdown, replies, raw text) are
counted and ignored. A line is a combined message {"stream":..,"data":..}
or a bare Binance object (trade, aggTrade, depthUpdate, bookTicker).

TRUTH: feedsim --market --truth FILE (user/sim/sim_market.h); repeat
--truth for A/B legs on several instances with one --seed and --symbols
(their markets publish the same messages in the same order: ranges are
joined, publications taken once):
  P <seq> <stream> <id> [<id2>] [drop]   published (or dropped by a fault)
  V <conn> <stream> <from> <to> <end> <peer>
                                         connection <conn> (from <peer>,
                                         addr:port) was written every message
                                         of stream with from<=seq<=to

Which connections are the client's: all of them, unless --conns (feedsim's
connection numbers, as in its -v lines) or --peer ADDR (the client's
address, without port; repeatable) says otherwise.

Per stream, a message is identified by trade "t", aggTrade "a",
bookTicker "u", depth ("U","u"). Over the stream's window (from the first
seq any connection was subscribed at to the last seq delivered; with
--complete, to the last seq any connection was written) every published
message that was not delivered is (--since-first: the window starts at the
stream's first delivered message instead, for a client whose connections
the truth does not tell apart):
  loss       some connection was written it and its range ended cleanly
             (unsub, close, fin, stall, slow): the client lost it
  uncertain  only ranges that ended by rst, gone or exit covered it (data
             in flight may die with the connection); reported, not failed
  real gap   no connection was written it (none subscribed, or dropped by
             --drop-diff): the client must report it, it cannot deliver it
  superseded bookTicker only (its u does not chain): written to a connection
             but after a real gap with nothing delivered since; A/B legs
             back from a gap in both bring it late, after the first leg
             back delivered newer ones, and it cannot follow them without
             going backwards (reported, not failed)
Duplicates are (stream, id) delivered more than once; unknown ids are
delivered messages the market never published.

Exit: 0 no loss, no duplicate, no unknown id; 1 otherwise; 2 bad input.
--json REPORT writes {"ok":..,"streams":{name:{"published":..,"delivered":..,
"duplicates":[ids],"unknown":[ids],"losses":[[first,last,n],..],
"uncertain":[..],"real_gaps":[[first,last,n],..]}},"totals":{..}} where
first/last are the ids of each run of n consecutive messages (depth: the
update ids the run covers, U of its first message to u of its last;
duplicates and unknown ids of depth are u).
"""
import argparse
import json
import re
import sys

CLEAN = {"unsub", "close", "fin", "stall", "slow"}


def stream_kind(name):
    if "@" not in name:
        return "raw"
    return name.split("@", 1)[1]


def key_of(kind, d):
    if kind == "trade":
        return d.get("t")
    if kind == "aggTrade":
        return d.get("a")
    if kind == "bookTicker":
        return d.get("u")
    if kind in ("depth", "depth@100ms"):
        return (d.get("U"), d.get("u"))
    return None


def show(k):
    return k[1] if isinstance(k, tuple) else k


class Stream:
    def __init__(self, name):
        self.name = name
        self.kind = stream_kind(name)
        self.order = []      # keys in publication order
        self.seq = {}        # key -> seq (float; dropped: between neighbours)
        self.dropped = set()
        self.ranges = []     # (from, to, clean)
        self.delivered = {}  # key -> count
        self.unknown = []


def read_truth(path, conns=None, peers=None, streams=None):
    streams = {} if streams is None else streams
    last_seq = -1.0
    with open(path, encoding="utf-8", errors="replace") as f:
        for ln, line in enumerate(f, 1):
            if not line.endswith("\n"):
                break  # an instance killed mid-write (an A/B leg killed): its last line is cut
            p = line.rstrip("\n").split("\t")
            if not p or not p[0]:
                continue
            if p[0] == "P":
                st = streams.setdefault(p[2], Stream(p[2]))
                ids = [x for x in p[3:] if x != "drop"]
                if st.kind in ("depth", "depth@100ms"):
                    key = (int(ids[0]), int(ids[1]))
                elif ids and ids[0] != "-":
                    key = int(ids[0])
                else:
                    continue  # raw: no id
                if key in st.seq:  # another instance's truth, same market
                    if p[1] != "-":
                        last_seq = float(p[1])
                    continue
                if p[1] == "-":
                    seq = last_seq + 0.5
                    st.dropped.add(key)
                else:
                    seq = float(p[1])
                    last_seq = seq
                st.order.append(key)
                st.seq[key] = seq
            elif p[0] == "V":
                if conns is not None and int(p[1]) not in conns:
                    continue
                if peers and (len(p) < 7 or p[6].rsplit(":", 1)[0].strip("[]") not in peers):
                    continue
                st = streams.setdefault(p[2], Stream(p[2]))
                st.ranges.append((int(p[3]), int(p[4]), p[5] in CLEAN))
            elif p[0] == "B":
                pass
            else:
                raise ValueError("%s:%d: unknown truth line %r" % (path, ln, line[:80]))
    return streams


COMBINED = re.compile(r'\{"stream":"([a-z0-9]+@(?:trade|aggTrade|bookTicker|depth|depth@100ms))",'
                      r'"data":\{')
ID_RE = {"trade": re.compile(r',"t":(\d+),'), "aggTrade": re.compile(r',"a":(\d+),'),
         "bookTicker": re.compile(r'"data":\{"u":(\d+),')}
DEPTH_RE = re.compile(r',"U":(\d+),"u":(\d+),')


def classify_line(line, streams):
    """(stream name, key) of one delivered line, or None."""
    m = COMBINED.match(line)
    if m:  # the common case, without a full parse
        name = m.group(1)
        kind = stream_kind(name)
        if kind in ID_RE:
            i = ID_RE[kind].search(line)
            if i:
                return name, int(i.group(1))
        else:
            i = DEPTH_RE.search(line)
            if i:
                return name, (int(i.group(1)), int(i.group(2)))
    try:
        o = json.loads(line)
    except ValueError:
        return None
    if not isinstance(o, dict):
        return None
    if "stream" in o and "data" in o:
        name, d = o["stream"], o["data"]
        if not isinstance(d, dict):
            return None
        return name, key_of(stream_kind(name), d)
    e, s = o.get("e"), o.get("s")
    if not isinstance(s, str):
        return None
    sym = s.lower()
    if e == "trade":
        return sym + "@trade", o.get("t")
    if e == "aggTrade":
        return sym + "@aggTrade", o.get("a")
    if e == "depthUpdate":
        k = (o.get("U"), o.get("u"))
        for name in (sym + "@depth", sym + "@depth@100ms"):
            st = streams.get(name)
            if st and k in st.seq:
                return name, k
        return sym + "@depth", k
    if e is None and "u" in o and "b" in o and "a" in o:
        return sym + "@bookTicker", o.get("u")
    return None


def runs(keys, st):
    """Group keys (in publication order) into runs of consecutive messages."""
    out = []
    pos = {k: i for i, k in enumerate(st.order)}
    for k in sorted(keys, key=lambda k: pos[k]):
        i = pos[k]
        first = k[0] if isinstance(k, tuple) else k  # depth: the update ids missed, U..u
        if out and out[-1][3] == i - 1:
            out[-1][1] = show(k)
            out[-1][2] += 1
            out[-1][3] = i
        else:
            out.append([first, show(k), 1, i])
    return [r[:3] for r in out]


def check(streams, complete, only, since_first=False):
    report, totals = {}, dict(published=0, delivered=0, duplicates=0, unknown=0,
                              losses=0, uncertain=0, real_gaps=0, superseded=0)
    for name in sorted(streams):
        st = streams[name]
        if only and name not in only:
            continue
        if not st.ranges and not st.delivered:
            continue
        got = [st.seq[k] for k in st.delivered if k in st.seq]
        lo = min([r[0] for r in st.ranges] + got) if (st.ranges or got) else 0
        if since_first:
            lo = min(got) if got else float("inf")
        hi = max(got) if got else -1
        if complete:
            hi = max([hi] + [r[1] for r in st.ranges])
        loss, unc, gap, sup = [], [], [], []
        after_gap = False  # a real gap and nothing delivered since
        for k in st.order:
            s = st.seq[k]
            if s < lo or s > hi:
                continue
            if k in st.delivered:
                after_gap = False
                continue
            if k in st.dropped:
                gap.append(k)
                after_gap = True
                continue
            cov = [r for r in st.ranges if r[0] <= s <= r[1]]
            if any(c for _, _, c in cov):
                if after_gap and st.kind == "bookTicker":
                    sup.append(k)
                else:
                    loss.append(k)
            elif cov:
                unc.append(k)
            else:
                gap.append(k)
                after_gap = True
        dups = [show(k) for k, n in st.delivered.items() if n > 1]
        r = dict(published=len(st.order), delivered=sum(st.delivered.values()),
                 duplicates=dups, unknown=[show(k) for k in st.unknown],
                 losses=runs(loss, st), uncertain=runs(unc, st), real_gaps=runs(gap, st),
                 superseded=runs(sup, st))
        report[name] = r
        totals["published"] += r["published"]
        totals["delivered"] += r["delivered"]
        totals["duplicates"] += len(dups)
        totals["unknown"] += len(st.unknown)
        totals["losses"] += len(loss)
        totals["uncertain"] += len(unc)
        totals["real_gaps"] += len(gap)
        totals["superseded"] += len(sup)
    return report, totals


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--truth", required=True, action="append")
    ap.add_argument("--json")
    ap.add_argument("--complete", action="store_true")
    ap.add_argument("--streams")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--conns")
    ap.add_argument("--peer", action="append")
    ap.add_argument("--since-first", action="store_true")
    ap.add_argument("delivered", nargs="+")
    a = ap.parse_args()
    try:
        conns = {int(x) for x in a.conns.split(",")} if a.conns else None
        streams = {}
        for t in a.truth:
            read_truth(t, conns, set(a.peer or []), streams)
    except (OSError, ValueError, IndexError) as e:
        print("check_feed: %s" % e, file=sys.stderr)
        return 2
    other = 0
    for path in a.delivered:
        try:
            f = sys.stdin if path == "-" else open(path, encoding="utf-8", errors="replace")
        except OSError as e:
            print("check_feed: %s" % e, file=sys.stderr)
            return 2
        with f:
            for line in f:
                c = classify_line(line, streams)
                if c is None or c[1] is None or c[0] not in streams and "@" not in c[0]:
                    other += 1
                    continue
                name, k = c
                st = streams.setdefault(name, Stream(name))
                if k in st.seq:
                    st.delivered[k] = st.delivered.get(k, 0) + 1
                else:
                    st.unknown.append(k)
    only = set(a.streams.split(",")) if a.streams else None
    report, totals = check(streams, a.complete, only, a.since_first)
    ok = totals["losses"] == 0 and totals["duplicates"] == 0 and totals["unknown"] == 0
    if not a.quiet:
        for name, r in report.items():
            print("%-28s published %d delivered %d dup %d unknown %d loss %d uncertain %d "
                  "real-gap %d" % (name, r["published"], r["delivered"], len(r["duplicates"]),
                                   len(r["unknown"]), sum(x[2] for x in r["losses"]),
                                   sum(x[2] for x in r["uncertain"]),
                                   sum(x[2] for x in r["real_gaps"])))
            for x in r["losses"]:
                print("  loss %s..%s (%d)" % tuple(x))
            for x in r["real_gaps"]:
                print("  real gap %s..%s (%d)" % tuple(x))
            for x in r["duplicates"][:10]:
                print("  duplicate %s" % x)
        print("total: published %(published)d delivered %(delivered)d duplicates %(duplicates)d "
              "unknown %(unknown)d losses %(losses)d uncertain %(uncertain)d "
              "real_gaps %(real_gaps)d superseded %(superseded)d" % totals)
        print("other lines ignored: %d" % other)
        print("OK" if ok else "FAIL")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(ok=ok, streams=report, totals=totals, other=other), f)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
