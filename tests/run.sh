#!/usr/bin/env bash
# Run every test: unit binaries build/tests/test_* and integration scripts
# tests/it_*.sh, once per build tree in BUILDS (default: $BUILD or build;
# `make test` passes the normal and the ASan/UBSan tree). Each prints
# PASS/FAIL/SKIP lines; this script counts them and ends with
# "N passed, N failed, N skipped". A test that exits non-zero without
# printing a FAIL, or that times out, counts as one failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILDS=${BUILDS:-${BUILD:-build}}
ONLY=${ONLY:-}          # e.g. ONLY=reasm runs only tests whose name contains it

pass=0 fail=0 skip=0
run_one() {
  local name=$1 limit=$2; shift 2
  local log=$LOGDIR/${name#san:}.log
  local t0=$SECONDS rc
  timeout --foreground -k 10 "$limit" "$@" >"$log" 2>"$log.err" </dev/null
  rc=$?
  local p f s
  p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
  grep -E '^(PASS|FAIL|SKIP) ' "$log" | sed "s/^/  [$name] /"
  if [[ $rc -ne 0 && $f -eq 0 ]]; then
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then
      echo "  [$name] FAIL $name: timed out after ${limit}s"
    else
      echo "  [$name] FAIL $name: exited $rc without a FAIL line"
    fi
    f=1
  fi
  if [[ $f -gt 0 ]]; then
    echo "  --- $name stderr (last 30 lines) ---"; tail -n 30 "$log.err" | sed 's/^/  | /'
  fi
  if [[ $p -eq 0 && $f -eq 0 && $s -eq 0 ]]; then
    echo "  [$name] FAIL $name: ran no test case"; f=1
  fi
  echo "  ($name: $((SECONDS - t0))s)"
  pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

for BUILD in $BUILDS; do
  export BUILD
  LOGDIR=$BUILD/test-logs
  mkdir -p "$LOGDIR"
  [[ $BUILD == build-san* ]] && tag=san: || tag=
  [[ -n $tag ]] && echo "== the same tests on the ASan/UBSan build ($BUILD)"
  for t in "$BUILD"/tests/test_*; do
    [[ -x $t && $t != *.o && $t != *.d ]] || continue
    n=$(basename "$t"); [[ -z $ONLY || $n == *$ONLY* ]] || continue
    run_one "$tag$n" 300 "$t"
  done
  for t in tests/it_*.sh; do
    [[ -f $t ]] || continue
    n=$(basename "$t" .sh); [[ -z $ONLY || $n == *$ONLY* ]] || continue
    run_one "$tag$n" 900 bash "$t"
  done
done

echo "$pass passed, $fail failed, $skip skipped"
[[ $fail -eq 0 ]]
