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
lib__cleanup() { netns__teardown; rm -rf "$TMP"; }

# it_setup NAME [QUEUES]: root check, certificates, namespaces, teardown trap.
# Prints SKIP for NAME and exits when the machine cannot run namespace tests.
it_setup() {
  local name=$1
  if [[ $(id -u) -ne 0 ]]; then skip "$name" "needs root for network namespaces"; exit 0; fi
  bash "$ROOT/scripts/certs.sh" "$CERTS" || { fail "$name" "cannot create test certificates"; exit 1; }
  if ! netns_create "$(printf '%x%04x' $$ $RANDOM)" "${2:-1}"; then
    netns_destroy "$NETNS_ID"; skip "$name" "cannot create network namespaces/veth"; exit 0
  fi
  trap lib__cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# wait_listen NS PORT: wait up to 5 s for a TCP listener on PORT inside NS.
wait_listen() {
  local i
  for i in $(seq 100); do
    ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q . && return 0
    sleep 0.05
  done
  return 1
}
