#!/usr/bin/env bash
# it_fuzz — a short pass of every libFuzzer target (tests/fuzz_<target>.c):
# builds the fuzz tree (build-fuzz/, clang with ASan/UBSan and coverage) and
# runs each target over its committed seeds and crash reproducers
# (tests/fuzz/<target>/) and then FUZZ_SECONDS (default 3) of new inputs.
# One "PASS fuzz_<target>: N execs, cov C" or "FAIL ..." line per target;
# SKIP when clang cannot link a fuzzer here. `make fuzz` is the long run.
set -uo pipefail
cd "$(dirname "$0")/.."
NAME=it_fuzz
BUILD=${BUILD:-build}
export FUZZ_SECONDS=${FUZZ_SECONDS:-3}

# run.sh runs every script once per build tree; the fuzz tree is a build of
# its own (already ASan/UBSan), so it runs once, with the normal tree.
if [[ ${BUILD##*/} == build-san* ]]; then
  echo "SKIP $NAME: the fuzz targets run once per suite, in the pass over build/ (build-fuzz/ is their own ASan/UBSan tree)"
  exit 0
fi
if ! why=$(bash scripts/fuzz.sh check 2>&1); then
  echo "SKIP $NAME: $why"
  exit 0
fi
if ! make --no-print-directory FUZZ=1 BUILD=build-fuzz fuzz-bins >"${TMPDIR:-/tmp}/it_fuzz.build.$$" 2>&1; then
  echo "FAIL $NAME: make FUZZ=1 fuzz-bins failed"
  tail -n 20 "${TMPDIR:-/tmp}/it_fuzz.build.$$" >&2
  rm -f "${TMPDIR:-/tmp}/it_fuzz.build.$$"
  exit 1
fi
rm -f "${TMPDIR:-/tmp}/it_fuzz.build.$$"
BUILD=build-fuzz bash scripts/fuzz.sh run
