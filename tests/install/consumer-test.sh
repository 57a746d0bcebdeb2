#!/bin/sh
# tests/install/consumer-test.sh - ctest install_consumer: bgcopy as an installed library.
#
# Run by ctest in its scratch directory with the environment set in CMakeLists.txt:
#   BGCOPY_BUILD_DIR, BGCOPY_SOURCE_DIR   the build tree to install, the source tree
#   BGCOPY_VERSION                        the project version (from include/bgcopy.h)
#   BGCOPY_LIBDIR, BGCOPY_BINDIR, BGCOPY_INCLUDEDIR, BGCOPY_DOCDIR   install dirs (relative)
#   BGCOPY_CC, BGCOPY_SAN_FLAGS           the build's C compiler and sanitizer flags (may be
#                                         empty); consumers of a sanitizer build need them too
#   BGCOPY_CMAKE, BGCOPY_CMAKE_GENERATOR, BGCOPY_PYTHON
#
# Steps, each failing the test with a message:
#   1. cmake --install into ./prefix; check the files, the SONAME, the exported symbols and that
#      the installed headers are the source's; install again under DESTDIR with another prefix
#      and check the same files land there, with bgcopy.pc naming that prefix.
#   2. pkg-config: --modversion and --variable=prefix; build every installed example
#      (share/doc/bgcopy/examples) with `cc $(pkg-config --cflags --libs bgcopy)`, and
#      seed-callback once more against libbgcopy.a with `pkg-config --static`; run them all.
#   3. CMake: a throwaway project does find_package(bgcopy CONFIG) (a too-new version must be
#      refused), builds the same examples against bgcopy::bgcopy and seed-callback against
#      bgcopy::bgcopy_static, and the programs are run.
# Examples that need a server run through tests/examples/<stem>.py with the installed
# bgcopy-testserver. Times of the phases are printed (seconds).
set -eu

for v in BGCOPY_BUILD_DIR BGCOPY_SOURCE_DIR BGCOPY_VERSION BGCOPY_LIBDIR BGCOPY_BINDIR \
    BGCOPY_INCLUDEDIR BGCOPY_DOCDIR BGCOPY_CC BGCOPY_CMAKE BGCOPY_PYTHON; do
    eval "val=\${$v:-}"
    if [ -z "$val" ]; then
        echo "consumer-test.sh: $v is not set (run through ctest)" >&2
        exit 2
    fi
done
san=${BGCOPY_SAN_FLAGS:-}
work=$(pwd)
prefix=$work/prefix
libdir=$prefix/$BGCOPY_LIBDIR
examples=$prefix/$BGCOPY_DOCDIR/examples
major=${BGCOPY_VERSION%%.*}
minor=${BGCOPY_VERSION#*.}
minor=${minor%%.*}
# Warnings the project's own build uses; the installed headers must compile clean with them.
cflags_common="-std=c11 -Wall -Wextra -Wno-unused-parameter -Werror"

fail() {
    echo "consumer-test.sh: FAIL: $*" >&2
    exit 1
}

now() {
    date +%s.%N
}

# elapsed START: seconds since START, two decimals.
elapsed() {
    awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'
}

# run_example BINARY STEM: runs an example (through its runner when it has one).
run_example() {
    runner=$BGCOPY_SOURCE_DIR/tests/examples/$2.py
    if [ -f "$runner" ]; then
        "$BGCOPY_PYTHON" "$runner" --example "$1" --testserver "$prefix/$BGCOPY_BINDIR/bgcopy-testserver" \
            >"$1.log" 2>&1 || { cat "$1.log" >&2; fail "$1 (through $2.py) failed"; }
    else
        "$1" >"$1.log" 2>&1 || { cat "$1.log" >&2; fail "$1 failed"; }
    fi
}

rm -rf prefix destdir pc cmake-src cmake-build
t_all=$(now)

# ---- 1. install ---------------------------------------------------------------------------
t=$(now)
"$BGCOPY_CMAKE" --install "$BGCOPY_BUILD_DIR" --prefix "$prefix" >install.log 2>&1 ||
    { cat install.log >&2; fail "cmake --install"; }
echo "install: $(elapsed "$t") s"

for f in "$libdir/libbgcopy.so.$BGCOPY_VERSION" "$libdir/libbgcopy.so.$major" \
    "$libdir/libbgcopy.so" "$libdir/libbgcopy.a" "$prefix/$BGCOPY_INCLUDEDIR/bgcopy.h" \
    "$prefix/$BGCOPY_BINDIR/bgcopy-testserver" "$libdir/pkgconfig/bgcopy.pc" \
    "$libdir/cmake/bgcopy/bgcopy-config.cmake" "$libdir/cmake/bgcopy/bgcopy-config-version.cmake" \
    "$libdir/cmake/bgcopy/bgcopy-targets.cmake" "$libdir/cmake/bgcopy/bgcopy-static-targets.cmake" \
    "$examples/seed-callback.c"; do
    [ -e "$f" ] || fail "not installed: $f"
done
[ -L "$libdir/libbgcopy.so.$major" ] && [ -L "$libdir/libbgcopy.so" ] ||
    fail "libbgcopy.so and libbgcopy.so.$major must be symbolic links"
soname=$(objdump -p "$libdir/libbgcopy.so.$BGCOPY_VERSION" | awk '$1 == "SONAME" { print $2 }')
[ "$soname" = "libbgcopy.so.$major" ] || fail "SONAME is '$soname', expected libbgcopy.so.$major"
sh "$BGCOPY_SOURCE_DIR/scripts/check-symbols.sh" "$libdir/libbgcopy.so.$BGCOPY_VERSION" ||
    fail "the installed library exports symbols outside bgcopy_"
for h in "$BGCOPY_SOURCE_DIR"/include/bgcopy.h "$BGCOPY_SOURCE_DIR"/include/bgcopy/*.h; do
    rel=${h#"$BGCOPY_SOURCE_DIR"/include/}
    cmp -s "$h" "$prefix/$BGCOPY_INCLUDEDIR/$rel" || fail "installed $rel differs from the source"
done

# The same install staged under DESTDIR for another prefix: same files, .pc names that prefix.
other=/nonexistent/bgcopy-consumer-test
DESTDIR=$work/destdir "$BGCOPY_CMAKE" --install "$BGCOPY_BUILD_DIR" --prefix "$other" \
    >install-destdir.log 2>&1 || { cat install-destdir.log >&2; fail "DESTDIR install"; }
[ ! -e "$other" ] || fail "the DESTDIR install wrote outside DESTDIR ($other)"
(cd "$prefix" && find . | sort) >files-prefix.txt
(cd "$work/destdir$other" && find . | sort) >files-destdir.txt
cmp -s files-prefix.txt files-destdir.txt || fail "DESTDIR install differs: $(diff files-prefix.txt files-destdir.txt)"
grep -qx "prefix=$other" "$work/destdir$other/$BGCOPY_LIBDIR/pkgconfig/bgcopy.pc" ||
    fail "bgcopy.pc of the DESTDIR install does not say prefix=$other"

# The examples to build: everything installed; CMocka ones only when cmocka is available.
stems=""
for src in "$examples"/*.c; do
    stems="$stems $(basename "$src" .c)"
done
uses_cmocka() {
    grep -q '^#include <cmocka.h>' "$examples/$1.c"
}

# ---- 2. pkg-config and a plain compiler call -----------------------------------------------
t=$(now)
export PKG_CONFIG_PATH="$libdir/pkgconfig"
[ "$(pkg-config --modversion bgcopy)" = "$BGCOPY_VERSION" ] || fail "pkg-config --modversion"
[ "$(pkg-config --variable=prefix bgcopy)" = "$prefix" ] || fail "pkg-config --variable=prefix"
mkdir pc
for stem in $stems; do
    extra=""
    if uses_cmocka "$stem"; then
        extra=$(pkg-config --cflags --libs cmocka)
    fi
    # shellcheck disable=SC2046,SC2086 # pkg-config output and flag lists are split on purpose
    "$BGCOPY_CC" $cflags_common $san -pthread -o "pc/$stem" "$examples/$stem.c" \
        $(pkg-config --cflags --libs bgcopy) $extra -Wl,-rpath,"$libdir" ||
        fail "cc (pkg-config) could not build $stem"
done
# Static: libbgcopy.a named explicitly so the shared library cannot be picked instead.
# shellcheck disable=SC2046,SC2086
"$BGCOPY_CC" $cflags_common $san -o pc/seed-callback-static "$examples/seed-callback.c" \
    $(pkg-config --cflags --static bgcopy) \
    $(pkg-config --libs --static bgcopy | sed 's/-lbgcopy\( \|$\)/-l:libbgcopy.a /') ||
    fail "cc (pkg-config --static) could not build seed-callback"
if objdump -p pc/seed-callback-static | grep -q 'NEEDED.*libbgcopy'; then
    fail "seed-callback-static needs libbgcopy.so"
fi
echo "pkg-config builds: $(elapsed "$t") s"
t=$(now)
for stem in $stems seed-callback-static; do
    run_example "$work/pc/$stem" "$stem"
done
echo "pkg-config runs: $(elapsed "$t") s"

# ---- 3. CMake: find_package(bgcopy CONFIG) -------------------------------------------------
t=$(now)
mkdir cmake-src
cat >cmake-src/CMakeLists.txt <<EOF
cmake_minimum_required(VERSION 3.18)
project(bgcopy_consumer C)
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_EXTENSIONS OFF)

find_package(bgcopy $((major + 1)).0 CONFIG QUIET)
if(bgcopy_FOUND)
    message(FATAL_ERROR "find_package(bgcopy $((major + 1)).0) accepted version \${bgcopy_VERSION}")
endif()
find_package(bgcopy $major.$minor CONFIG REQUIRED COMPONENTS static)
if(NOT bgcopy_VERSION STREQUAL "$BGCOPY_VERSION")
    message(FATAL_ERROR "bgcopy_VERSION is \${bgcopy_VERSION}, expected $BGCOPY_VERSION")
endif()
foreach(t bgcopy::bgcopy bgcopy::bgcopy_static)
    if(NOT TARGET \${t})
        message(FATAL_ERROR "\${t} is not defined")
    endif()
endforeach()
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(CMOCKA QUIET IMPORTED_TARGET cmocka)

foreach(stem $stems)
    file(STRINGS $examples/\${stem}.c uses_cmocka REGEX "^#include <cmocka.h>")
    add_executable(\${stem} $examples/\${stem}.c)
    target_link_libraries(\${stem} PRIVATE bgcopy::bgcopy Threads::Threads)
    if(uses_cmocka)
        target_link_libraries(\${stem} PRIVATE PkgConfig::CMOCKA)
    endif()
endforeach()
add_executable(seed-callback-static $examples/seed-callback.c)
target_link_libraries(seed-callback-static PRIVATE bgcopy::bgcopy_static)
EOF
"$BGCOPY_CMAKE" -S cmake-src -B cmake-build ${BGCOPY_CMAKE_GENERATOR:+-G "$BGCOPY_CMAKE_GENERATOR"} \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$BGCOPY_CC" \
    -DCMAKE_C_FLAGS="$cflags_common $san" -DCMAKE_EXE_LINKER_FLAGS="$san" \
    >cmake-configure.log 2>&1 || { cat cmake-configure.log >&2; fail "CMake configure"; }
"$BGCOPY_CMAKE" --build cmake-build -j2 >cmake-build.log 2>&1 ||
    { cat cmake-build.log >&2; fail "CMake build"; }
if objdump -p cmake-build/seed-callback-static | grep -q 'NEEDED.*libbgcopy'; then
    fail "the bgcopy::bgcopy_static program needs libbgcopy.so"
fi
echo "cmake configure + build: $(elapsed "$t") s"
t=$(now)
for stem in $stems seed-callback-static; do
    run_example "$work/cmake-build/$stem" "$stem"
done
echo "cmake runs: $(elapsed "$t") s"

echo "consumer-test.sh: OK ($(echo "$stems" | wc -w) examples built and run both ways," \
    "plus static links; $(elapsed "$t_all") s)"
