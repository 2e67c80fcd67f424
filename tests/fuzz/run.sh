#!/usr/bin/env bash
# The libFuzzer harnesses, each for a bounded time (README: Fuzzing). Builds them with clang
# in BUILD_DIR if needed (RULEBOOK_FUZZ=ON), writes the .rbc seeds, copies the seed corpora
# into the work folder (the repository's corpus is never written) and runs each harness for
# SECONDS. Prints each harness's runs, executions per second and coverage; fails when any
# harness crashed, leaked, ran out of memory or timed out, naming the input and how to
# reproduce it.
#
#   tests/fuzz/run.sh [BUILD_DIR] [SECONDS]     (default build-fuzz 60; from anywhere)
#
# FUZZ_WORK        the work folder (default: a new temporary one); corpora grow there, in
#                  FUZZ_WORK/corpus/HARNESS, and a later run with the same FUZZ_WORK goes on
#                  from them. Crashes land in FUZZ_WORK/artifacts/HARNESS/, logs in FUZZ_WORK/logs/.
# FUZZ_HARNESSES   which harnesses (default: fuzz_compiler fuzz_rbc fuzz_events fuzz_tests_file)
# FUZZ_ARGS        more libFuzzer options for every harness, e.g. "-jobs=4 -workers=4"
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
build=${1:-build-fuzz}
seconds=${2:-60}
harnesses=${FUZZ_HARNESSES:-fuzz_compiler fuzz_rbc fuzz_events fuzz_tests_file}
work=${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/rulebook-fuzz.XXXXXX")}
mkdir -p "$work"
work=$(cd "$work" && pwd)
build=$(mkdir -p "$build" && cd "$build" && pwd)

if [ ! -f "$build/CMakeCache.txt" ]; then
  CXX=${CXX:-clang++} cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRULEBOOK_FUZZ=ON \
    -DBUILD_TESTING=OFF
fi
# shellcheck disable=SC2086
cmake --build "$build" --target fuzz_make_seeds $harnesses

# The largest input each harness takes: compiling and scoring cost grows with the input, and
# small inputs keep the executions fast. fuzz_rbc takes whole compiled rulebooks.
max_len() {
  case $1 in
    fuzz_rbc) echo 32768 ;;
    fuzz_tests_file) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

"$build/fuzz/fuzz_make_seeds" "$work/seeds/fuzz_rbc" >/dev/null

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
printf '%-16s %12s %10s %8s %8s  %s\n' harness runs exec/s cov corpus result
for h in $harnesses; do
  corpus=$work/corpus/$h
  artifacts=$work/artifacts/$h
  logs=$work/logs/$h
  mkdir -p "$corpus" "$artifacts" "$logs"
  if [ -d "tests/fuzz/corpus/$h" ]; then cp -R "tests/fuzz/corpus/$h/." "$corpus/"; fi
  if [ -d "$work/seeds/$h" ]; then cp -R "$work/seeds/$h/." "$corpus/"; fi
  # The rulebooks of the repository seed the compiler as they are now (not copies in the corpus).
  if [ "$h" = fuzz_compiler ]; then cp rules/*.rules examples/*/*.rules tests/lang/*.rules "$corpus/"; fi
  rm -f "$logs"/*.log
  # libFuzzer writes the logs of -jobs into the folder it runs in. -entropic=0: with the
  # hundred thousand features a rulebook's parse reaches, clang 14's entropic schedule spends
  # three quarters of the time updating its frequencies (fuzz_compiler: 7 exec/s, not 40).
  # shellcheck disable=SC2086
  (cd "$logs" && "$build/fuzz/$h" -max_total_time="$seconds" -dict="$root/tests/fuzz/rules.dict" \
    -max_len="$(max_len "$h")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -entropic=0 \
    -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} "$corpus" >"$logs/main.log" 2>&1) || true
  runs=$(cat "$logs"/*.log | sed -n 's/^stat::number_of_executed_units: *//p' | awk '{s += $1} END {print s + 0}')
  speed=$(cat "$logs"/*.log | sed -n 's/^stat::average_exec_per_sec: *//p' | awk '{s += $1} END {print s + 0}')
  cov=$(cat "$logs"/*.log | grep -o 'cov: [0-9]*' | awk '{if ($2 > m) m = $2} END {print m + 0}')
  found=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
  result=ok
  if [ -n "$found" ] || grep -q -e '^==[0-9]*==ERROR' -e 'runtime error:' -e 'deadly signal' "$logs"/*.log; then
    result=FAILED
    status=1
  fi
  printf '%-16s %12s %10s %8s %8s  %s\n' "$h" "$runs" "$speed" "$cov" "$(find "$corpus" -type f | wc -l)" "$result"
  if [ "$result" = FAILED ]; then
    grep -h -m 5 -e '^==[0-9]*==ERROR' -e 'runtime error:' -e 'deadly signal' -e '^SUMMARY' "$logs"/*.log | sed 's/^/    /' || true
    for f in $found; do
      echo "    input: $f"
      echo "    reproduce: $build/fuzz/$h $f"
    done
    echo "    log: $logs/main.log"
  fi
done
echo "fuzz: work folder $work"
if [ "$status" -ne 0 ]; then
  echo "fuzz: FAILED"
  exit 1
fi
echo "fuzz: no crash, leak, timeout or out-of-memory in $seconds s per harness"
