#!/usr/bin/env bash
# Runs every fuzz target built under BUILD/bin, one at a time, each on its seed corpus
# tests/fuzz/corpus/NAME/. Called by the Makefile (tests/fuzz/README.md):
#   run.sh replay BUILD           replay driver: seeds + deterministic mutations (seconds)
#   run.sh fuzz BUILD [SECONDS]   libFuzzer for SECONDS (default 30) per target; new inputs
#                                 go to BUILD/corpus/NAME, crashes to BUILD/crashes/NAME/
# Prints one line per target and ends with "N passed, N failed" (targets); exits 1 if any
# target failed, 2 on a usage error.
set -uo pipefail
cd "$(dirname "$0")/../.."

mode=${1:-}
build=${2:-}
seconds=${3:-30}
if [[ -z "$build" || ( "$mode" != replay && "$mode" != fuzz ) ]]; then
  echo "usage: $0 replay|fuzz BUILD [SECONDS]" >&2
  exit 2
fi

export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

passed=0
failed=0
shopt -s nullglob
bins=("$build"/bin/fuzz_*)
if [[ ${#bins[@]} -eq 0 ]]; then
  echo "fuzz: no targets in $build/bin" >&2
  exit 2
fi

for bin in "${bins[@]}"; do
  name=${bin##*/fuzz_}
  corpus=tests/fuzz/corpus/$name
  if [[ ! -d "$corpus" ]]; then
    echo "$name: FAILED (no seed corpus $corpus)"
    failed=$((failed + 1))
    continue
  fi
  crashes=$build/crashes/$name
  mkdir -p "$crashes"
  if [[ "$mode" == replay ]]; then
    log=$build/replay-$name.log
    if FUZZ_CRASH_DIR=$crashes "$bin" "$corpus" >"$log" 2>&1; then
      cat "$log"
      passed=$((passed + 1))
    else
      cat "$log" >&2
      echo "$name: FAILED (input saved under $crashes)"
      failed=$((failed + 1))
    fi
  else
    scratch=$build/corpus/$name
    mkdir -p "$scratch"
    log=$build/fuzz-$name.log
    dict=()
    [[ -f tests/fuzz/$name.dict ]] && dict=("-dict=tests/fuzz/$name.dict")
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$crashes/" "${dict[@]}" "$scratch" "$corpus" >"$log" 2>&1
    rc=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' || true)
    if [[ $rc -eq 0 ]]; then
      echo "$name: ${runs:-?} runs in ${seconds}s, ${cov:-no stats}, ok"
      passed=$((passed + 1))
    else
      grep -E 'ERROR|runtime error|invariant broken|SUMMARY|Test unit written|^0x|^artifact' "$log" | head -20 >&2
      echo "$name: FAILED (exit $rc; log $log; reproducer in $crashes/)"
      failed=$((failed + 1))
    fi
  fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
