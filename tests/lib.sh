# lib.sh — shared helpers for the integration scripts tests/it_*.sh.
# Results are lines "PASS name" / "FAIL name: why" / "SKIP name: why",
# counted by tests/run.sh.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
FEEDRX=$BUILD/feedrx
FEEDSIM=$BUILD/feedsim
CERTS=$BUILD/certs
source "$ROOT/scripts/netns.sh"

pass() { echo "PASS $1"; }
fail() { local n=$1; shift; echo "FAIL $n: $*"; }
skip() { local n=$1; shift; echo "SKIP $n: $*"; }

# A scratch directory removed at exit (after namespace teardown).
TMP=$(mktemp -d /tmp/feedrx-it.XXXXXX)
# IT_KEEP=DIR: a copy of the scratch files is left there, for a person to read
lib__cleanup() {
  netns__teardown
  [[ -n ${IT_KEEP:-} ]] && mkdir -p "$IT_KEEP" && cp -r "$TMP"/. "$IT_KEEP"/
  rm -rf "$TMP"
}
# removed even when a script exits before it_setup (a skip, a missing build)
trap 'rm -rf "$TMP"' EXIT

# FEEDRX_TEST_TRANSPORT=tap (or redirect): every feedrx run gets --transport
# tap, so the XDP tests check both transports (tests/it_xdp_tap.sh). A
# wrapper that execs: the PID a test holds is feedrx's own.
if [[ -n ${FEEDRX_TEST_TRANSPORT:-} && -x $FEEDRX ]]; then
  printf '#!/bin/sh\nexec "%s" --transport %s "$@"\n' "$FEEDRX" "$FEEDRX_TEST_TRANSPORT" >"$TMP/feedrx"
  chmod +x "$TMP/feedrx"
  FEEDRX=$TMP/feedrx
fi

# it_setup NAME [QUEUES [TOPO]]: root check, certificates, namespaces, teardown
# trap. TOPO is "pair" (the default, or $NETNS_TOPO when set) or "faulty": the
# three-namespace bed with a middle namespace where netns_fault injects faults.
# Prints SKIP for NAME and exits when the machine cannot run namespace tests.
it_setup() {
  local name=$1 topo=${3:-${NETNS_TOPO:-pair}} create
  case $topo in
    pair)   create=netns_create ;;
    faulty) create=netns_create_faulty ;;
    *)      fail "$name" "unknown topology '$topo' (pair or faulty)"; exit 1 ;;
  esac
  if [[ $(id -u) -ne 0 ]]; then skip "$name" "needs root for network namespaces"; exit 0; fi
  bash "$ROOT/scripts/certs.sh" "$CERTS" || { fail "$name" "cannot create test certificates"; exit 1; }
  # traps first: a signal while the namespaces are being made removes them too
  trap lib__cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if ! $create "$(printf '%x%04x' $$ $RANDOM)" "${2:-1}"; then
    netns_destroy "$NETNS_ID"; skip "$name" "cannot create network namespaces/veth ($topo)"; exit 0
  fi
}

# nstat_snap NS FILE: the absolute values of every SNMP/netstat counter in NS
# ("Name value" lines), without touching nstat's shared history file.
nstat_snap() {
  ip netns exec "$1" env NSTAT_HISTORY=/dev/null nstat -asz | awk '!/^#/ { print $1, $2 }' >"$2"
}

# nstat_delta BEFORE AFTER NAME: how much counter NAME grew between two snaps.
nstat_delta() {
  awk -v n="$3" 'FNR == NR { if ($1 == n) b = $2; next } $1 == n { a = $2 } END { print a - b }' "$1" "$2"
}
