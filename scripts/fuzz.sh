#!/usr/bin/env bash
# The libFuzzer targets of build-fuzz/ (make FUZZ=1 fuzz-bins).
#
#   fuzz.sh check   exit 0 when clang can link a libFuzzer+ASan+UBSan program;
#                   otherwise print why on stderr and exit 1
#   fuzz.sh run     run every $BUILD/tests/fuzz_<target> for FUZZ_SECONDS
#                   (default 60) over its committed seeds tests/fuzz/<target>/
#                   (and dictionary tests/fuzz/<target>.dict); one line each,
#                   "PASS fuzz_<target>: N execs, cov C, ..." or "FAIL ...".
#                   Any crash, leak, timeout or sanitizer report is a FAIL;
#                   the input that caused it is kept in
#                   $BUILD/fuzz/artifacts/<target>/ (copy it into
#                   tests/fuzz/<target>/ to keep it as a regression seed).
#                   FUZZ_ONLY=<substring> selects targets.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
CLANG=${CLANG:-clang}
FUZZ_ONLY=${FUZZ_ONLY:-}

check() {
  local tmp rc
  if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "no $CLANG (apt-get install clang)" >&2; return 1
  fi
  tmp=$(mktemp -d) || return 1
  printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
    >"$tmp/t.c"
  "$CLANG" -fsanitize=fuzzer,address,undefined "$tmp/t.c" -o "$tmp/t" 2>"$tmp/err"
  rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "clang cannot link a libFuzzer program (apt-get install libclang-rt-14-dev):" \
      "$(head -n 1 "$tmp/err")" >&2
  fi
  rm -rf "$tmp"
  return $rc
}

# Flags per target: input sizes the format needs.
target_flags() {
  case $1 in
    tls_record|fp_stream) echo "-max_len=40000" ;;
    *) echo "-max_len=8192" ;;
  esac
}

run() {
  local bin name seeds corpus art log rc execs cov secs res fails=0 n=0
  local -a rows=()
  mkdir -p "$BUILD/fuzz"
  for bin in "$BUILD"/tests/fuzz_*; do
    [[ -x $bin && $bin != *.o && $bin != *.d ]] || continue
    name=${bin##*/fuzz_}
    [[ -z $FUZZ_ONLY || $name == *$FUZZ_ONLY* ]] || continue
    n=$((n + 1))
    seeds=tests/fuzz/$name
    corpus=$BUILD/fuzz/corpus/$name   # new inputs land here, never in the repository
    art=$BUILD/fuzz/artifacts/$name
    log=$BUILD/fuzz/$name.log
    mkdir -p "$corpus" "$art"
    local -a opts=(-max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048
                   -print_final_stats=1 -artifact_prefix="$art/" $(target_flags "$name"))
    [[ -f tests/fuzz/$name.dict ]] && opts+=(-dict="tests/fuzz/$name.dict")
    [[ -d $seeds ]] || seeds=
    secs=$SECONDS
    "$bin" "${opts[@]}" "$corpus" $seeds >"$log" 2>&1
    rc=$?
    secs=$((SECONDS - secs))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -oE '^#[0-9]+.*cov: [0-9]+' "$log" | tail -n 1 | sed 's/.*cov: //')
    res=ok
    if [[ $rc -ne 0 ]] || grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|==ERROR: libFuzzer|ALARM: working on the last Unit' "$log"; then
      res="FAILED (exit $rc)"
    fi
    if [[ $res == ok ]]; then
      echo "PASS fuzz_$name: ${execs:-?} execs, cov ${cov:-?}, ${secs}s"
    else
      fails=$((fails + 1))
      echo "FAIL fuzz_$name: $res after ${execs:-?} execs, cov ${cov:-?}; reproducer in $art/, log $log"
      grep -E 'ERROR|SUMMARY|runtime error|FUZZ_ASSERT|Test unit written' "$log" | head -n 8 | sed 's/^/  | /' >&2
    fi
    rows+=("$(printf '%-20s %12s %8s  %s' "fuzz_$name" "${execs:-?}" "${cov:-?}" "$res")")
  done
  if [[ $n -eq 0 ]]; then
    echo "FAIL fuzz: no fuzz targets in $BUILD/tests (make FUZZ=1 fuzz-bins)"; return 1
  fi
  printf '%-20s %12s %8s  %s\n' target execs cov result
  printf '%s\n' "${rows[@]}"
  [[ $fails -eq 0 ]]
}

case ${1:-} in
  check) check ;;
  run) run ;;
  *) echo "usage: $0 check|run" >&2; exit 2 ;;
esac
