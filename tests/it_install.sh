#!/usr/bin/env bash
# it_install — `make install` into a temporary PREFIX, and the service example:
#   - every file is there: bin/feedrx, bin/feedsim, lib/libfeedrx.a, the
#     versioned libfeedrx.so with its soname links, include/feedrx/ (the
#     umbrella feedrx.h and the public headers), lib/pkgconfig/feedrx.pc,
#     share/man/man1/feedrx.1 and feedsim.1, bash completions
#   - a small C program builds against the installed header with
#     pkg-config, once on the shared library (run from PREFIX/lib) and once on
#     the static one, and runs
#   - man -l renders both pages, with a SYNOPSIS and every option of --help
#   - the completion script loads in bash and completes options and values
#   - make uninstall removes every file again
#   - scripts/feedrx.service passes systemd-analyze verify, and feedrx runs
#     in XDP mode as user nobody with exactly its capabilities and memlock
#     limit (setpriv, prlimit), detaches its program at exit, and cannot
#     attach without CAP_BPF or without CAP_PERFMON
source "$(dirname "$0")/lib.sh"
NAME=it_install
[[ -x $FEEDRX && -x $FEEDSIM ]] || { fail $NAME "build $FEEDRX and $FEEDSIM first"; exit 1; }
SAN=0 EXTRA_CFLAGS=()
if [[ $(basename "$BUILD") == build-san* ]]; then
  SAN=1 EXTRA_CFLAGS=(-fsanitize=address,undefined -fno-omit-frame-pointer)
fi
P=$TMP/prefix

# ---- make install
if ! make -C "$ROOT" --no-print-directory BUILD="$BUILD" SAN=$SAN PREFIX="$P" install \
    >"$TMP/install.log" 2>&1; then
  fail install_runs "make install failed: $(tail -3 "$TMP/install.log" | tr '\n' ' ')"; exit 1
fi
pass install_runs

want=(bin/feedrx bin/feedsim lib/libfeedrx.a lib/libfeedrx.so.0.1.0 lib/libfeedrx.so.0
      lib/libfeedrx.so lib/pkgconfig/feedrx.pc include/feedrx/feedrx.h include/feedrx/feedrx_bpf.h
      include/feedrx/core/fx_err.h include/feedrx/core/fx_log.h include/feedrx/link/feed_link.h
      include/feedrx/stats/lat_hist.h include/feedrx/stats/metrics.h
      share/man/man1/feedrx.1 share/man/man1/feedsim.1
      share/bash-completion/completions/feedrx share/bash-completion/completions/feedsim)
missing=()
for f in "${want[@]}"; do [[ -s $P/$f ]] || missing+=("$f"); done
[[ -x $P/bin/feedrx && -x $P/bin/feedsim ]] || missing+=("executable bin/*")
[[ $(readlink "$P/lib/libfeedrx.so") == libfeedrx.so.0 &&
   $(readlink "$P/lib/libfeedrx.so.0") == libfeedrx.so.0.1.0 ]] || missing+=("soname links")
soname=$(readelf -d "$P/lib/libfeedrx.so.0.1.0" 2>/dev/null | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[[ $soname == libfeedrx.so.0 ]] || missing+=("SONAME libfeedrx.so.0 (got '$soname')")
# every header the umbrella pulls in is installed (it compiles below), none left over
if [[ ${#missing[@]} -eq 0 ]]; then pass install_files; else fail install_files "missing: ${missing[*]}"; fi
"$P/bin/feedrx" --help >/dev/null 2>&1 && "$P/bin/feedsim" --help >/dev/null 2>&1 &&
  pass install_programs_run || fail install_programs_run "installed feedrx/feedsim --help failed"

# ---- a program on the library, through pkg-config
export PKG_CONFIG_PATH=$P/lib/pkgconfig
cat >"$TMP/prog.c" <<'CEOF'
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <feedrx.h>

int main(void)
{
	struct url u;
	struct lat_hist h;

	if (url_parse("wss://198.18.0.1:9443/ws/btcusdt@trade", &u) || u.port != 9443 ||
	    strcmp(u.host, "198.18.0.1") != 0)
		return 1;
	lat_hist__init(&h);
	for (uint64_t v = 1; v <= 100; v++)
		lat_hist__record(&h, v);
	if (lat_hist__percentile(&h, 50) != 50 || !venue_find(venues, "binance"))
		return 2;
	printf("feedrx library: %s, p50 %llu\n", fx_strerror(-EPIPE),
	       (unsigned long long)lat_hist__percentile(&h, 50));
	return 0;
}
CEOF
if [[ $(pkg-config --modversion feedrx 2>&1) != 0.1.0 ]]; then
  fail install_pkgconfig "pkg-config --modversion feedrx: $(pkg-config --modversion feedrx 2>&1)"
else
  pass install_pkgconfig
fi
# shared
if cc -std=gnu11 -Wall -Werror "${EXTRA_CFLAGS[@]}" "$TMP/prog.c" $(pkg-config --cflags --libs feedrx) \
     -o "$TMP/prog_shared" 2>"$TMP/cc_shared.err" &&
   out=$(LD_LIBRARY_PATH=$P/lib "$TMP/prog_shared" 2>&1) && [[ $out == "feedrx library: "*", p50 50" ]] &&
   LD_LIBRARY_PATH=$P/lib ldd "$TMP/prog_shared" | grep -q "libfeedrx.so.0 => $P/lib/libfeedrx.so.0"; then
  pass install_link_shared
else
  fail install_link_shared "$(head -c 400 "$TMP/cc_shared.err") ${out:-}"
fi
# static: the archive and the libraries pkg-config --static lists
if cc -std=gnu11 -Wall -Werror "${EXTRA_CFLAGS[@]}" "$TMP/prog.c" $(pkg-config --cflags feedrx) "$P/lib/libfeedrx.a" \
     $(pkg-config --static --libs feedrx | sed 's/-lfeedrx//') -o "$TMP/prog_static" 2>"$TMP/cc_static.err" &&
   out=$("$TMP/prog_static" 2>&1) && [[ $out == "feedrx library: "* ]] && ! ldd "$TMP/prog_static" | grep -q libfeedrx; then
  pass install_link_static
else
  fail install_link_static "$(head -c 400 "$TMP/cc_static.err") ${out:-}"
fi

# ---- man pages
for prog in feedrx feedsim; do
  page=$(MANWIDTH=100 man -l "$P/share/man/man1/$prog.1" 2>"$TMP/man.err")
  opts=$("$P/bin/$prog" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u)
  absent=()
  for o in $opts; do grep -qF -- "$o" <<<"$page" || absent+=("$o"); done
  if [[ -n $page && ! -s $TMP/man.err ]] && grep -q '^SYNOPSIS' <<<"$page" &&
     grep -q "^ *$prog \[options\]" <<<"$page" && [[ ${#absent[@]} -eq 0 ]]; then
    pass "install_man_$prog"
  else
    fail "install_man_$prog" "man -l: $(head -c 200 "$TMP/man.err") options absent: ${absent[*]}"
  fi
done

# ---- bash completion
comp=$(bash --norc -c '
  source "$1" || exit 1
  complete -p feedrx >/dev/null || exit 2
  COMP_WORDS=(feedrx --mo); COMP_CWORD=1; _feedrx; echo "A:${COMPREPLY[*]}"
  COMP_WORDS=(feedrx --mode ""); COMP_CWORD=2; _feedrx; echo "B:${COMPREPLY[*]}"
  COMP_WORDS=(feedrx --metrics ""); COMP_CWORD=2; _feedrx; echo "C:${#COMPREPLY[@]}"
' _ "$P/share/bash-completion/completions/feedrx" 2>&1)
if grep -qx 'A:--mode' <<<"$comp" && grep -qx 'B:auto xdp kernel' <<<"$comp" && grep -qx 'C:0' <<<"$comp"; then
  pass install_completion
else
  fail install_completion "$(tr '\n' ' ' <<<"$comp")"
fi

# ---- uninstall
make -C "$ROOT" --no-print-directory BUILD="$BUILD" SAN=$SAN PREFIX="$P" uninstall >"$TMP/uninstall.log" 2>&1
left=$(find "$P" -type f -o -type l)
[[ -z $left ]] && pass install_uninstall || fail install_uninstall "left: $(tr '\n' ' ' <<<"$left")"

# ---- the systemd unit
if command -v systemd-analyze >/dev/null; then
  make -C "$ROOT" --no-print-directory BUILD="$BUILD" SAN=$SAN PREFIX="$P" install >/dev/null 2>&1
  sed "s|/usr/local/bin/feedrx|$P/bin/feedrx|" "$ROOT/scripts/feedrx.service" >"$TMP/feedrx.service"
  if MANPATH=$P/share/man systemd-analyze verify "$TMP/feedrx.service" >"$TMP/verify.log" 2>&1; then
    pass service_unit_verifies
  else
    fail service_unit_verifies "$(head -c 400 "$TMP/verify.log")"
  fi
else
  skip service_unit_verifies "no systemd-analyze"
fi

# ---- the unit's privileges are enough, and needed: XDP as nobody
caps=$(sed -n 's/^AmbientCapabilities=//p' "$ROOT/scripts/feedrx.service")
setcaps=$(for c in $caps; do c=${c#CAP_}; printf ',+%s' "${c,,}"; done)
if ! command -v setpriv >/dev/null || ! command -v prlimit >/dev/null; then
  skip service_caps_xdp "no setpriv/prlimit (util-linux)"; exit 0
fi
it_setup service_caps_xdp
PORT=9801
ip netns exec "$NS_EX" "$FEEDSIM" --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
  --listen "$NETNS_EX_IP4:$PORT" --rate 2000 --seed 4 >/dev/null 2>"$TMP/sim.err" &
netns_track $!
wait_listen "$NS_EX" $PORT || { fail service_caps_xdp "feedsim did not listen"; exit 1; }
# LimitMEMLOCK=infinity where this machine lets root raise the limit; a
# container without CAP_SYS_RESOURCE cannot, and CAP_IPC_LOCK stands in for it
# (the same effect on the AF_XDP memory).
MEMLOCK=(prlimit --memlock=unlimited) lockcap=
if ! prlimit --memlock=unlimited true 2>/dev/null; then MEMLOCK=(env) lockcap=,+ipc_lock; fi
# /dev/net/tun is 0666 on Debian; where it is not (a container), a 0666 node
# in a private mount namespace (only this process sees it)
TUNFIX=(env)
if [[ $(stat -c %a /dev/net/tun 2>/dev/null) != 666 ]]; then
  TUNFIX=(unshare -m sh -c 'mount -t tmpfs -o mode=0755 tun /dev/net &&
          mknod -m 0666 /dev/net/tun c 10 200 && exec "$@"' _)
fi
as_nobody() { # as_nobody CAPS ARGS...: feedrx as nobody with only CAPS (",+a,+b")
  local c=$1$lockcap; shift
  ip netns exec "$NS_RX" "${TUNFIX[@]}" "${MEMLOCK[@]}" setpriv --reuid=65534 --regid=65534 \
    --clear-groups --no-new-privs --inh-caps="-all$c" --ambient-caps="-all$c" \
    --bounding-set="-all$c" timeout 30 "$FEEDRX" --cafile "$CERTS/ca.pem" --output none -v "$@" \
    "wss://$NETNS_EX_IP4:$PORT/ws/btcusdt@trade"
}
as_nobody "$setcaps" --mode xdp --count 300 >/dev/null 2>"$TMP/nobody.err"
rc=$?
if [[ $rc -eq 0 ]] && grep -q 'delivered 300 messages: 300 from the fast path' "$TMP/nobody.err" &&
   ! grep -q 'cannot detach' "$TMP/nobody.err" && ! ip netns exec "$NS_RX" ip link show "$NETNS_RX_DEV" | grep -q xdp; then
  pass service_caps_xdp
else
  fail service_caps_xdp "caps '$caps' as nobody: exit $rc: $(grep -m2 feedrx: "$TMP/nobody.err" | tr '\n' ' ')"
fi
for cap in bpf perfmon; do
  as_nobody "${setcaps/,+$cap/}" --mode xdp --count 10 >/dev/null 2>"$TMP/no$cap.err"
  rc=$?
  if [[ $rc -eq 1 ]] && grep -Eq -- "--mode xdp: (cannot attach|missing capability CAP_${cap^^})" "$TMP/no$cap.err"; then
    pass "service_caps_${cap}_needed"
  else
    fail "service_caps_${cap}_needed" "without CAP_${cap^^}: exit $rc: $(grep -m2 feedrx: "$TMP/no$cap.err" | tr '\n' ' ')"
  fi
done
