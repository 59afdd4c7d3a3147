#!/usr/bin/env python3
"""check_book_gaps — every diff feedsim dropped was a gap feedrx saw and resynced.

Usage: check_book_gaps.py TRUTH EVENTS [--json REPORT] [--symbols S1,S2]
                          [--stream depth|depth@100ms]

TRUTH: feedsim --market --truth FILE (lines "P\\t-\\tSTREAM\\tU\\tu\\tdrop" are
the depth messages nobody got). EVENTS: feedrx --output jsonl.

Per symbol (only the symbols EVENTS has books for, or --symbols), feedrx's
book events are replayed as id ranges:
- a synced book never skips an id: after a snapshot at L (or a diff ending
  at L) the next diff has first_id <= L + 1 < last_id + 1 (spot), unless a
  book_invalid status came between (then nothing until the next snapshot);
- every dropped diff (U..u) of the symbol is either inside the missed range
  (first_id..last_id) a book_invalid reported, or in a stretch where the
  book was not synced (before its first snapshot, between an invalid and
  its resync, after the last event): never inside a synced stretch;
- every book_invalid is followed by a snapshot and a resynced status for
  the symbol (one more invalid before it: the buffer filled while fetching;
  the last one of a symbol may be left open by the end of the run).
Prints one summary line; exit 0 when all holds, 1 otherwise, 2 bad input.
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("truth")
    ap.add_argument("events")
    ap.add_argument("--json")
    ap.add_argument("--symbols")
    ap.add_argument("--usdm", action="store_true",
                    help="USD-M: the first diff after a snapshot at L has U <= L <= u")
    ap.add_argument("--stream", default="depth", help="the depth stream kind subscribed")
    a = ap.parse_args()

    drops = {}  # SYMBOL -> [(U, u)]
    try:
        for line in open(a.truth):
            p = line.rstrip("\n").split("\t")
            if len(p) >= 6 and p[0] == "P" and p[5] == "drop" and \
                    p[2].split("@", 1)[-1] == a.stream:
                sym = p[2].split("@")[0].upper()
                drops.setdefault(sym, []).append((int(p[3]), int(p[4])))
    except (OSError, ValueError) as e:
        print("check_book_gaps: %s" % e, file=sys.stderr)
        return 2

    st = {}  # SYMBOL -> state
    errors = []
    diffs = snapshots = invalid = resynced = episodes = 0

    def S(sym):
        return st.setdefault(sym, dict(L=None, synced=[], start=None, missed=[], open=False,
                                       fresh=False))

    for line in open(a.events):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        sym, t = e.get("symbol"), e.get("type")
        if not sym:
            continue
        if t == "status" and e.get("status") == "book_invalid":
            s = S(sym)
            invalid += 1
            if not s["open"]:
                episodes += 1  # one more while open: the buffer filled again
            if s["L"] is not None:
                s["synced"].append((s["start"], s["L"]))
            s["L"] = None
            s["missed"].append((e.get("first_id", 0), e.get("last_id", 0)))
            s["open"] = True
        elif t == "status" and e.get("status") == "resynced":
            s = S(sym)
            resynced += 1
            if not s["open"] or s["L"] is None:
                errors.append("%s: resynced without an open invalid and a snapshot" % sym)
            s["open"] = False
        elif t == "book":
            s = S(sym)
            if e.get("snapshot"):
                snapshots += 1
                if s["L"] is not None:  # a snapshot replacing a synced book
                    s["synced"].append((s["start"], s["L"]))
                s["L"] = s["start"] = e["last_id"]
                s["fresh"] = True
                continue
            diffs += 1
            if s["L"] is None:
                errors.append("%s: a diff %s..%s with no synced book" %
                              (sym, e.get("first_id"), e.get("last_id")))
                continue
            L = s["L"] - 1 if a.usdm and s["fresh"] else s["L"]
            s["fresh"] = False
            if not (e["first_id"] <= L + 1 <= e["last_id"]):
                errors.append("%s: a diff %s..%s does not follow %s: a silent gap" %
                              (sym, e["first_id"], e["last_id"], s["L"]))
            s["L"] = e["last_id"]
    for s in st.values():
        if s["L"] is not None:
            s["synced"].append((s["start"], s["L"]))

    booked = set(a.symbols.upper().split(",")) if a.symbols else set(st)
    n_drops = detected = unsynced = 0
    for sym in sorted(booked):
        s = st.get(sym)
        for U, u in drops.get(sym, []):
            n_drops += 1
            if s and any(f <= U and u <= l for f, l in s["missed"]):
                detected += 1
                continue
            if s and any(a0 < U and u <= b0 for a0, b0 in s["synced"]):
                errors.append("%s: the dropped diff %d..%d is inside a synced stretch, "
                              "no gap reported" % (sym, U, u))
                continue
            unsynced += 1
    open_ = sum(1 for s in st.values() if s["open"])
    if resynced != episodes - open_:
        errors.append("%d books went invalid (%d still at the end), %d were resynced" %
                      (episodes, open_, resynced))
    ok = not errors
    rep = dict(ok=ok, symbols=len(booked), diffs=diffs, snapshots=snapshots,
               drops=n_drops, detected=detected, unsynced=unsynced, invalid=invalid,
               episodes=episodes, resynced=resynced, open=open_, errors=errors[:20])
    for x in errors[:10]:
        print(x)
    print("symbols %d, diffs applied %d, snapshots %d, dropped %d: in a reported gap %d, "
          "while unsynced %d; book_invalid %d (%d times invalid), resynced %d, open at the end "
          "%d: %s" % (len(booked), diffs, snapshots, n_drops, detected, unsynced, invalid,
                      episodes, resynced, open_, "OK" if ok else "FAIL"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rep, f)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
