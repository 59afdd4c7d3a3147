#!/usr/bin/env python3
"""check_books — compare a client's order books with feedsim's true books.

Usage:
  check_books.py --books DIR [--levels N] [--min-checks K] [--json REPORT]
                 EVENTS [EVENTS ...]

DIR: feedsim --market --book-dump DIR (book-<n>.jsonl checkpoint files: one
line per symbol and depth stream, {"symbol","stream","lastUpdateId","seq",
"bids","asks"}, the true book right after the depth message with that u).

EVENTS: feedrx --output jsonl lines (user/sink/sink_jsonl.c). Per symbol
the book is replayed from its "book" events: snapshot:true replaces it,
otherwise each [px, qty] sets a level (qty 0 removes it); a "status" event
gap or book_invalid for the symbol drops the book until the next snapshot.
Whenever a book event leaves a symbol's book at last_id == a checkpoint's
lastUpdateId, the two books are compared level for level (prices and
quantities as exact decimals; the best N a side with --levels N, for books
built from a snapshot of limited depth). With --known the comparison waits
for the "top" event that follows the book event (feedrx --top 1 or more) and
covers the best depth_known levels a side (those feedrx says are exact:
levels beyond a limited snapshot's depth are unknown), at most --levels N.

Exit: 0 every comparison equal and at least --min-checks (default 1) made;
1 a difference or too few comparisons; 2 bad input. Prints one line per
difference and a summary; --json writes {"ok","checks","mismatches":[..],
"checkpoints"}.
"""
import argparse
import glob
import json
import os
import sys
from decimal import Decimal


def side(levels):
    return {Decimal(p): Decimal(q) for p, q in levels if Decimal(q) != 0}


def best(book, n, reverse):
    keys = sorted(book, reverse=reverse)
    if n:
        keys = keys[:n]
    return [(k, book[k]) for k in keys]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--books", required=True)
    ap.add_argument("--levels", type=int, default=0)
    ap.add_argument("--min-checks", type=int, default=1)
    ap.add_argument("--known", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("events", nargs="+")
    a = ap.parse_args()

    truth = {}  # (SYMBOL, lastUpdateId) -> (bids, asks)
    try:
        for f in sorted(glob.glob(os.path.join(a.books, "book-*.jsonl"))):
            for line in open(f):
                o = json.loads(line)
                truth[(o["symbol"], o["lastUpdateId"])] = (side(o["bids"]), side(o["asks"]))
    except (OSError, ValueError, KeyError) as e:
        print("check_books: %s" % e, file=sys.stderr)
        return 2

    books, checks, bad = {}, 0, []
    pending = {}  # --known: symbol -> (last_id, truth) waiting for its top event
    known_levels = 0

    def compare(sym, last_id, b, t, n):
        nonlocal checks
        checks += 1
        for i, name, rev in ((0, "bids", True), (1, "asks", False)):
            got, want = best(b[i], n, rev), best(t[i], n, rev)
            if got != want:
                diff = [(str(p), str(q)) for p, q in want if (p, q) not in got][:3]
                extra = [(str(p), str(q)) for p, q in got if (p, q) not in want][:3]
                bad.append(dict(symbol=sym, last_id=last_id, side=name,
                                missing=diff, extra=extra))
                print("%s at %s: %s differ: missing %s, extra %s" %
                      (sym, last_id, name, diff, extra))

    for path in a.events:
        try:
            f = sys.stdin if path == "-" else open(path)
        except OSError as e:
            print("check_books: %s" % e, file=sys.stderr)
            return 2
        with f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(e, dict):
                    continue
                sym = e.get("symbol")
                if e.get("type") == "status" and e.get("status") in ("gap", "book_invalid"):
                    books.pop(sym, None)
                    pending.pop(sym, None)
                    continue
                if a.known and e.get("type") == "top" and sym in pending:
                    last_id, t = pending.pop(sym)
                    k = e.get("depth_known", 0)
                    if e.get("last_id") == last_id and sym in books and k > 0:
                        n = min(k, a.levels) if a.levels else k
                        known_levels += n
                        compare(sym, last_id, books[sym], t, n)
                    continue
                if e.get("type") != "book" or not sym:
                    continue
                if e.get("snapshot"):
                    books[sym] = ({}, {})
                elif sym not in books:
                    continue  # no snapshot yet: the book is unknown
                b = books[sym]
                for i, key in ((0, "bids"), (1, "asks")):
                    for p, q in e.get(key, []):
                        p, q = Decimal(p), Decimal(q)
                        if q == 0:
                            b[i].pop(p, None)
                        else:
                            b[i][p] = q
                t = truth.get((sym, e.get("last_id")))
                if t is None:
                    continue
                if a.known:  # the top event right after it says how deep to compare
                    pending[sym] = (e.get("last_id"), t)
                    continue
                compare(sym, e.get("last_id"), b, t, a.levels)
    ok = not bad and checks >= a.min_checks
    print("checkpoints %d, comparisons %d%s, differences %d: %s" %
          (len(truth), checks, ", %.1f known levels a side on average" %
           (known_levels / checks) if a.known and checks else "", len(bad),
           "OK" if ok else "FAIL"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(ok=ok, checks=checks, mismatches=bad, checkpoints=len(truth)), f)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
