#!/usr/bin/env bash
# it_top_of_book — the C library's events API as a program uses it:
# `make install` into a temporary PREFIX (the reader tool and the example
# sources installed with it), examples/top_of_book.c built from the
# installed copy with pkg-config, and run against a live ring fed by a
# producer (tests/tool_events: synthesized events through the shm sink, until a
# feed handler makes them from a feed): it receives every event once
# ("N events, 0 lost") and its final table holds, for every symbol, the
# last top-of-book update the producer sent (last_id and best bid).
source "$(dirname "$0")/lib.sh"
TOOL=$BUILD/tests/tool_events
[[ -x $TOOL ]] || { fail it_top_of_book "build $TOOL first"; exit 1; }
command -v pkg-config >/dev/null || { skip it_top_of_book "no pkg-config"; exit 0; }
SAN=0 EXTRA_CFLAGS=()
if [[ $(basename "$BUILD") == build-san* ]]; then
  SAN=1 EXTRA_CFLAGS=(-fsanitize=address,undefined -fno-omit-frame-pointer)
fi
P=$TMP/prefix
ID=fxtob-$$-$RANDOM
trap 'rm -f /dev/shm/$ID; rm -rf "$TMP"' EXIT
if ! make -C "$ROOT" --no-print-directory BUILD="$BUILD" SAN=$SAN PREFIX="$P" install \
    >"$TMP/install.log" 2>&1; then
  fail tob_install "make install failed: $(tail -3 "$TMP/install.log" | tr '\n' ' ')"; exit 1
fi
ex=$P/share/doc/feedrx/examples
if [[ -x $P/bin/feedrx-shm-read && -s $ex/top_of_book.c && -s $ex/shm_reader.py &&
      -s $P/include/feedrx/shm/shm_sub.h && -s $P/include/feedrx/feed/feed_event.h ]]; then
  pass tob_install
else
  fail tob_install "missing: feedrx-shm-read, examples or event headers under $P"
fi
export PKG_CONFIG_PATH=$P/lib/pkgconfig
# shellcheck disable=SC2046
if ! cc -std=gnu11 -Wall -Wextra -Werror "${EXTRA_CFLAGS[@]}" -o "$TMP/top_of_book" "$ex/top_of_book.c" \
     $(pkg-config --cflags --libs feedrx) >"$TMP/cc.log" 2>&1; then
  fail tob_builds "$(head -5 "$TMP/cc.log" | tr '\n' ' ')"; exit 1
fi
pass tob_builds

N=5000
"$TOOL" --shm "$ID" --count $N --rate 20000 --start-delay 3 2>"$TMP/prod.err" & PP=$!
LD_LIBRARY_PATH=$P/lib timeout 60 "$TMP/top_of_book" --lines --from-start --wait 20 "$ID" >"$TMP/tob.out" 2>"$TMP/tob.err"
rc=$?
wait $PP
# expected: per symbol SYM<i%7>, the last bbo (i%5 == 2, best bid i) or top
# (i%5 == 4, best bid 10i) event i <= N
bad=$(python3 - "$TMP/tob.out" $N <<'PY'
import re, sys
out = open(sys.argv[1]).read().splitlines()
n = int(sys.argv[2])
errs = []
if not out or not out[0].startswith(f"{n} events, 0 lost"):
    errs.append(f"header {out[:1]}")
last = {}
for i in range(1, n + 1):
    if i % 5 in (2, 4):
        last[i % 7] = i
for k, i in last.items():
    bid = str(i) if i % 5 == 2 else str(10 * i)
    for j, l in enumerate(out):
        if re.match(rf"SYM{k}\s+last_id {i}\s", l):
            if j + 1 >= len(out) or out[j + 1].split()[1] != bid:
                errs.append(f"SYM{k}: best bid {out[j + 1:j + 2]} want {bid}")
            break
    else:
        errs.append(f"SYM{k}: no 'last_id {i}'")
print("; ".join(errs))
PY
)
if [[ $rc -ne 0 ]]; then fail tob_live "exit $rc: $(tail -3 "$TMP/tob.err")"
elif [[ -n $bad ]]; then fail tob_live "$bad"
else pass tob_live; fi
