#!/usr/bin/env bash
# Builds the packages: usage packaging/build.sh deb|version [JOBS]
#
#   version  prints the project version (CMakeLists.txt's project()), which names the packages
#   deb      build/rulebook_VERSION_amd64.deb (CPack) from the build in build/
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${2:-2}

version() { sed -n 's/^project(rulebook VERSION \([0-9.]*\) .*/\1/p' CMakeLists.txt; }

build_deb() {
  cmake -S . -B build -G Ninja
  cmake --build build -j "$JOBS"
  (cd build && cpack -G DEB)
  ls -l build/rulebook_"$(version)"_amd64.deb
}

case ${1:-} in
  version) version ;;
  deb) build_deb ;;
  *)
    echo "usage: $0 deb|version [JOBS]" >&2
    exit 2
    ;;
esac
