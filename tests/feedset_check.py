#!/usr/bin/env python3
"""feedset_check — what feedrx delivered, per stream, against what feedsim
sent and what feedrx reported (tests/it_feedset.sh).

usage: feedset_check.py OUT STATS_JSON [SIM_LOG...] [--min N] [--expect-gaps 0]
                        [--err FEEDRX_STDERR]

OUT: feedrx --output raw, one message a line ({"stream":..,"data":..}).
Per stream, by the venue's ids (trade t, aggTrade a, depthUpdate U/u,
bookTicker u): no id delivered twice or out of order; every jump in a
chained stream (trade, aggTrade, depth) is a gap, and the gaps found must be
exactly the gaps feedrx reported in the JSON (feeds.gap_count, and the
ranges in feeds.gaps, or with --err in feedrx's "gap on" lines, which are
not limited to the last 64); every delivered message is one feedsim sent (its
log). Prints one line of figures, then "OK" or "BAD: why" lines; exit 0/1.
"""
import json
import re
import sys

GAP_LINE = re.compile(r"gap on (\S+): ids (\d+)\.\.(\d+) ")


def ids(stream, d):
    e = d.get("e")
    if e == "trade":
        return d["t"], d["t"], True
    if e == "aggTrade":
        return d["a"], d["a"], True
    if e == "depthUpdate":
        return d["U"], d["u"], True
    if "u" in d and "b" in d and "a" in d:  # bookTicker: no "e"
        return d["u"], d["u"], False
    return None


def main(argv):
    args, opts = [], {"--min": "0", "--expect-gaps": None, "--err": None}
    it = iter(argv)
    for a in it:
        if a in opts:
            opts[a] = next(it)
        else:
            args.append(a)
    out, js, logs = args[0], args[1], args[2:]
    bad = []
    sent = set()
    for path in logs:
        with open(path, "rb") as f:
            for line in f:
                sent.add(line.rstrip(b"\n"))
    last = {}
    n = dups = gaps = missed = unknown = notsent = 0
    found = []
    with open(out, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            if not line:
                continue
            n += 1
            if sent and line not in sent:
                notsent += 1
            try:
                o = json.loads(line)
            except ValueError:
                unknown += 1
                continue
            s, d = o.get("stream"), o.get("data", o)
            r = ids(s, d) if s else None
            if r is None:
                unknown += 1
                continue
            first, lastid, chained = r
            p = last.get(s)
            if p is not None:
                if lastid <= p:
                    dups += 1
                    if dups <= 3:
                        bad.append("duplicate or reorder on %s: %d after %d" % (s, lastid, p))
                    continue
                if chained and first > p + 1:
                    gaps += 1
                    missed += first - p - 1
                    found.append((s, p + 1, first - 1))
            last[s] = lastid
    with open(js) as f:
        j = json.load(f)
    fe = j.get("feeds", {})
    print("delivered %d messages on %d streams; gaps %d (%d ids); feedrx reported %s gaps, "
          "%s reconnects, %s rotations, %s shutdown notices, %s refusals, %s duplicates dropped"
          % (n, len(last), gaps, missed, fe.get("gap_count"), fe.get("reconnects"),
             fe.get("rotations"), fe.get("shutdown_notices"), fe.get("refusals"),
             fe.get("duplicates")))
    for leg in fe.get("legs", []):
        print("leg %s: won %d, second %d, lead p50 %.1f us p90 %.1f us p99 %.1f us (%d)" % (
            leg["leg"], leg["won"], leg["second"], leg["lead_us"]["p50"],
            leg["lead_us"]["p90"], leg["lead_us"]["p99"], leg["lead_us"]["count"]))
    if n < int(opts["--min"]):
        bad.append("only %d messages (wanted at least %s)" % (n, opts["--min"]))
    if notsent:
        bad.append("%d delivered messages feedsim never sent" % notsent)
    if dups:
        bad.append("%d duplicates or reorders" % dups)
    if fe.get("gap_count") != gaps:
        bad.append("feedrx reported %s gaps, the output has %d" % (fe.get("gap_count"), gaps))
    rep = [(g["stream"], g["first"], g["last"]) for g in fe.get("gaps", [])]
    if opts["--err"]:  # the JSON keeps the last 64; stderr has a line for every gap
        rep = []
        with open(opts["--err"], errors="replace") as f:
            for line in f:
                m = GAP_LINE.search(line)
                if m:
                    rep.append((m.group(1), int(m.group(2)), int(m.group(3))))
    # every gap once, with its range (the JSON keeps them all: feeds.gaps)
    if len(rep) == fe.get("gap_count") and sorted(rep) != sorted(found):
        extra = sorted(set(rep) - set(found))
        miss = sorted(set(found) - set(rep))
        bad.append("gap ranges differ: reported, not found %s; found, not reported %s"
                   % (extra[:5], miss[:5]))
    elif len(rep) != fe.get("gap_count"):
        bad.append("the JSON lists %d gap ranges of %s" % (len(rep), fe.get("gap_count")))
    if opts["--expect-gaps"] is not None and gaps != int(opts["--expect-gaps"]):
        bad.append("%d gaps, expected %s" % (gaps, opts["--expect-gaps"]))
    for b in bad:
        print("BAD: " + b)
    if not bad:
        print("OK")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
