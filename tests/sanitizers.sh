#!/usr/bin/env bash
# The whole test suite built with AddressSanitizer and UndefinedBehaviorSanitizer (and
# LeakSanitizer, which comes with ASan): the Catch2 cases, the command-line tests, the
# bundled rulebooks' own tests (all in ctest) and the spec's conformance suite. Any report
# fails: every finding is fatal in the build (-fno-sanitize-recover=all), and each report is
# also written to a file, so that a test which expects a failing exit cannot hide one.
#
#   tests/sanitizers.sh [BUILD_DIR]      (default build-asan; run from the project root)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-asan}

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRULEBOOK_SANITIZE=ON
cmake --build "$build"

reports=$(mktemp -d)
export ASAN_OPTIONS="detect_leaks=1:exitcode=86:log_path=$reports/asan:strict_string_checks=1:detect_stack_use_after_return=1"
# Slow unwinding on malloc: whole stacks through the system libraries (built without frame
# pointers), so that the one suppression in tests/lsan.supp matches its own frame only.
export ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87:log_path=$reports/ubsan"
status=0
ctest --test-dir "$build" --output-on-failure -j2 || status=1
../shared/conformance/run --cli "$build/rulebook" --rules rules/yunhe-2022.rules || status=1

found=$(find "$reports" -type f | wc -l)
if [ "$found" -gt 0 ]; then
  echo "sanitizers: $found report(s):"
  for f in "$reports"/*; do echo "== $f"; head -60 "$f"; done
  status=1
fi
rm -rf "$reports"
if [ "$status" -ne 0 ]; then
  echo "sanitizers: FAILED"
  exit 1
fi
echo "sanitizers: no report (ASan, UBSan, LeakSanitizer) over ctest and the conformance suite"
