#!/usr/bin/env bash
# Tests the Windows zip under Wine (Debian's wine64): usage packaging/test-windows.sh [ZIP]
#
# The zip is unpacked as an office would, and rulebook.exe runs the spec's conformance suite,
# the bundled rulebook's tests and the command-line tests (tests/cli_test.py and
# tests/cli_general_test.py, which include a folder with a Chinese name), each through a
# `rulebook` wrapper that starts the .exe under Wine.
set -euo pipefail
cd "$(dirname "$0")/.."
ZIP=${1:-$(ls build-windows/rulebook-*-windows-x86_64.zip)}
WINE=$(command -v wine64 || echo /usr/lib/wine/wine64)
WINESERVER=$(command -v wineserver || echo /usr/lib/wine/wineserver64)

WORK=$(mktemp -d /tmp/rulebook-windows.XXXXXX)
export WINEPREFIX=$WORK/wine WINEDEBUG=-all RULEBOOK_TEST_WINDOWS=1
trap '"$WINESERVER" -k || true; rm -rf "$WORK"' EXIT
python3 -m zipfile -e "$ZIP" "$WORK"
EXE=$(find "$WORK" -name rulebook.exe)
mkdir -p "$WORK/bin"
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$WINE" "$EXE" >"$WORK/bin/rulebook"
chmod +x "$WORK/bin/rulebook"

mkdir -p "$WINEPREFIX"
"$WINESERVER" -p  # one server, kept for every run below instead of one started per run
"$WINE" wineboot --init

"$WORK/bin/rulebook" --version | grep -F "rulebook $(packaging/build.sh version) "
../shared/conformance/run --cli "$WORK/bin/rulebook" --rules rules/yunhe-2022.rules
"$WORK/bin/rulebook" test "$(dirname "$EXE")/rules/yunhe-2022.rules" --coverage --threshold 100
python3 tests/cli_test.py "$WORK/bin" "$PWD"
python3 tests/cli_general_test.py "$WORK/bin" "$PWD"
