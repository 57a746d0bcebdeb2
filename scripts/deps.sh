#!/bin/sh
# scripts/deps.sh - make sure the Debian packages the build and tests need are installed.
#
# `deps.sh docs` checks DOCS_PACKAGES instead (what `make docs` needs).
#
# Checks every package in PACKAGES with dpkg-query and installs only the missing
# ones (apt-get update once, then apt-get install), as root directly or through
# sudo. Without sudo it prints the command to run and exits 1. On a system
# without dpkg it lists the packages, checks that cmake and pkg-config exist and
# exits 0. Prints one line saying what it did; does nothing slow when all is there.
# `deps.sh win` does the same for the packages of the Windows cross-build and Wine.
# `deps.sh bench` does the same for the servers and peers `make bench` measures with.
# `deps.sh fuzz` does the same for clang and its libFuzzer runtime (`make fuzz`).
set -eu

# Append new needs here (one list for the whole project).
PACKAGES="build-essential cmake pkg-config libuv1-dev libcurl4-openssl-dev libsqlite3-dev libcmocka-dev clang-format python3 curl nginx-light openssl"
# Only for `make docs` (the API reference); not needed to build or test.
DOCS_PACKAGES="doxygen"
if [ "${1:-}" = docs ]; then
    PACKAGES=$DOCS_PACKAGES
fi

# `deps.sh win`: the Windows cross-build and its Wine smoke test instead (make cross-win,
# make wine-smoke). 64-bit Wine only: no i386 architecture is needed.
if [ "${1:-}" = "win" ]; then
    PACKAGES="cmake python3 gcc-mingw-w64-x86-64-win32 g++-mingw-w64-x86-64-win32 mingw-w64-x86-64-dev binutils-mingw-w64-x86-64 wine wine64"
fi

# `deps.sh bench`: the servers and peers of `make bench` and GNU time, instead.
if [ "${1:-}" = bench ]; then
    PACKAGES="nginx-light curl wget2 aria2 time python3"
fi

# `deps.sh fuzz`: clang with libFuzzer and the sanitizer runtimes (make fuzz), instead.
if [ "${1:-}" = fuzz ]; then
    PACKAGES="clang libclang-rt-14-dev"
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    for tool in cmake pkg-config; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "deps.sh: not a Debian system and '$tool' is missing; install the equivalents of: $PACKAGES" >&2
            exit 1
        fi
    done
    echo "deps.sh: not a Debian system; make sure the equivalents of these are installed: $PACKAGES"
    exit 0
fi

missing=""
count=0
for pkg in $PACKAGES; do
    count=$((count + 1))
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
    *" installed") ;;
    *) missing="$missing $pkg" ;;
    esac
done
missing=${missing# }

if [ -z "$missing" ]; then
    echo "deps.sh: all $count packages present, nothing installed"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "deps.sh: missing packages and no sudo; run as root:" >&2
    echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing" >&2
    exit 1
fi

# apt output goes to stderr so stdout keeps the one summary line.
$SUDO apt-get update >&2
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2
echo "deps.sh: installed $missing"
