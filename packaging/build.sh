#!/usr/bin/env bash
# Builds the packages: usage packaging/build.sh deb|windows|version [JOBS]
#
#   version  prints the project version (CMakeLists.txt's project()), which names the packages
#   deb      build/rulebook_VERSION_amd64.deb (CPack) from the build in build/
#   windows  build-windows/rulebook-VERSION-windows-x86_64.zip: rulebook.exe cross-compiled
#            with MinGW-w64, linked statically, with the docs, the rulebook and the examples
#
# Everything comes from Debian: the compilers and zlib for Windows from its packages, and the
# libraries it ships only for Linux built for Windows from its own source packages
# (`apt-get source`, see debian_source_cmake); nothing is downloaded from anywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE=$PWD
JOBS=${2:-2}
SUDO=$(command -v sudo || true)

version() { sed -n 's/^project(rulebook VERSION \([0-9.]*\) .*/\1/p' CMakeLists.txt; }

build_deb() {
  cmake -S . -B build -G Ninja
  cmake --build build -j "$JOBS"
  (cd build && cpack -G DEB)
  ls -l build/rulebook_"$(version)"_amd64.deb
}

WIN=$SOURCE/build-windows
PREFIX=$WIN/prefix
TOOLCHAIN=$SOURCE/packaging/mingw-w64-x86_64.cmake
export RULEBOOK_WINDOWS_PREFIX=$PREFIX
export PKG_CONFIG_LIBDIR=$PREFIX/lib/pkgconfig:/usr/x86_64-w64-mingw32/lib/pkgconfig

# apt-get source needs deb-src entries; when the system has none, they are added for the
# mirrors it already uses (Debian 12's deb822 file, or the classic sources.list).
ensure_deb_src() {
  if grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then return; fi
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
      $SUDO tee /etc/apt/sources.list.d/rulebook-deb-src.sources >/dev/null
  else
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list | $SUDO tee /etc/apt/sources.list.d/rulebook-deb-src.list >/dev/null
  fi
  $SUDO apt-get update
}

# debian_source PKG: Debian's source package PKG, unpacked once under $WIN/src/PKG; sets TREE.
debian_source() {
  local pkg=$1 work=$WIN/src/$1
  if [[ ! -d $work ]]; then
    rm -rf "$work.part"
    mkdir -p "$work.part"
    # The newest version the mirror has (a security update can be listed before its files
    # arrive).
    local v
    for v in $(apt-cache showsrc "$pkg" | sed -n 's/^Version: //p'); do
      (cd "$work.part" && apt-get source -q "$pkg=$v" >/dev/null 2>&1) && break
    done
    [[ -n $(find "$work.part" -mindepth 1 -maxdepth 1 -type d) ]] || { echo "apt-get source $pkg failed" >&2; exit 1; }
    mv "$work.part" "$work"
  fi
  TREE=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
}

# debian_source_cmake PKG [SUBDIR] CMAKE_ARGS...: Debian's source package PKG (its CMake
# project in SUBDIR, if given), built for Windows with the MinGW toolchain and installed
# into $PREFIX as static libraries.
debian_source_cmake() {
  local pkg=$1 subdir=.
  shift
  if [[ $# -gt 0 && $1 != -* ]]; then
    subdir=$1
    shift
  fi
  debian_source "$pkg"
  cmake -S "$TREE/$subdir" -B "$WIN/lib-build/$pkg" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" -DBUILD_SHARED_LIBS=OFF "$@" >/dev/null
  cmake --build "$WIN/lib-build/$pkg" -j "$JOBS" >/dev/null
  cmake --install "$WIN/lib-build/$pkg" >/dev/null
}

# libxlsxwriter 1.1.4 takes MinGW for not Windows (it #undefs _WIN32) and so opens its files
# with fopen, which reads a UTF-8 name in the ANSI code page: a workbook in a folder with a
# Chinese name could not be written. Its own Windows code (UTF-8 names to _wfopen and
# minizip's wide Win32 file functions) is turned on instead, as for MSVC.
patch_libxlsxwriter() {
  debian_source libxlsxwriter
  sed -i '/^#undef _WIN32$/d' "$TREE/src/packager.c" "$TREE/src/utility.c"
  sed -i '/third_party\/minizip\/ioapi.c/{n;s/if(MSVC)/if(WIN32)/}' "$TREE/CMakeLists.txt"
}

# debian_headers PKG: a header-only library, as Debian's installed PKG has it (headers and
# CMake package files, which are relocatable), copied into $PREFIX.
debian_headers() {
  dpkg -L "$1" | grep -E '^/usr/(include|share/cmake|share/[^/]+/cmake)/.*\.(h|hpp|cmake)$' | while read -r f; do
    install -D -m 644 "$f" "$PREFIX/${f#/usr/}"
  done
}

# Boost's headers (header-only Boost.Multiprecision needs many of them), as Debian's
# libboost-dev installs them, copied into $PREFIX as one tree.
debian_boost_headers() {
  mkdir -p "$PREFIX/include"
  rm -rf "$PREFIX/include/boost"
  cp -r /usr/include/boost "$PREFIX/include/boost"
}

build_windows_libraries() {
  ensure_deb_src
  local started=$SECONDS
  debian_headers tao-pegtl-dev
  debian_headers libcli11-dev
  debian_headers nlohmann-json3-dev
  debian_boost_headers
  debian_source_cmake fmtlib -DFMT_TEST=OFF -DFMT_DOC=OFF
  debian_source_cmake simdjson -DSIMDJSON_DEVELOPER_MODE=OFF -DSIMDJSON_ENABLE_THREADS=OFF
  debian_source_cmake expat expat -DEXPAT_BUILD_TOOLS=OFF -DEXPAT_BUILD_EXAMPLES=OFF -DEXPAT_BUILD_TESTS=OFF \
    -DEXPAT_BUILD_DOCS=OFF -DEXPAT_SHARED_LIBS=OFF -DEXPAT_DTD=OFF
  debian_source_cmake libzip -DENABLE_BZIP2=OFF -DENABLE_LZMA=OFF -DENABLE_ZSTD=OFF -DENABLE_OPENSSL=OFF \
    -DENABLE_GNUTLS=OFF -DENABLE_MBEDTLS=OFF -DENABLE_COMMONCRYPTO=OFF -DENABLE_WINDOWS_CRYPTO=OFF \
    -DBUILD_TOOLS=OFF -DBUILD_REGRESS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_DOC=OFF
  patch_libxlsxwriter
  debian_source_cmake libxlsxwriter -DBUILD_TESTS=OFF -DBUILD_EXAMPLES=OFF -DUSE_SYSTEM_MINIZIP=OFF
  echo "libraries built from Debian source packages in $((SECONDS - started)) s"
}

build_windows() {
  [[ -f $PREFIX/.complete ]] || { build_windows_libraries && touch "$PREFIX/.complete"; }
  cmake -S . -B "$WIN/build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$PREFIX" -DBUILD_TESTING=OFF
  cmake --build "$WIN/build" -j "$JOBS"
  local name=rulebook-$(version)-windows-x86_64
  rm -rf "${WIN:?}/$name" "$WIN/$name.zip"
  cmake --install "$WIN/build" --prefix "$WIN/$name" --strip >/dev/null
  (cd "$WIN" && python3 -m zipfile -c "$name.zip" "$name")
  ls -l "$WIN/$name.zip"
}

case ${1:-} in
  version) version ;;
  deb) build_deb ;;
  windows) build_windows ;;
  *)
    echo "usage: $0 deb|windows|version [JOBS]" >&2
    exit 2
    ;;
esac
