# cmake/mingw-w64.cmake - CMake toolchain file: cross-compile bgcopy for 64-bit Windows from
# Linux with Debian's mingw-w64 (gcc-mingw-w64-x86-64-win32, installed by
# `sh scripts/deps.sh win`).
#
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake
#
# (`make cross-win` does this.) The programs it builds run on Windows, or on Linux under Wine
# (`make wine-smoke`). The compiler prefix can be changed with -DBGCOPY_MINGW_PREFIX=... .

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(BGCOPY_MINGW_PREFIX x86_64-w64-mingw32 CACHE STRING "Target triplet of the mingw-w64 tools")

set(CMAKE_C_COMPILER ${BGCOPY_MINGW_PREFIX}-gcc)
set(CMAKE_CXX_COMPILER ${BGCOPY_MINGW_PREFIX}-g++)
set(CMAKE_RC_COMPILER ${BGCOPY_MINGW_PREFIX}-windres)

# Headers and libraries of the target come only from the mingw sysroot; programs (cmake's own
# helpers) from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${BGCOPY_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Test programs are run on Linux through Wine when ctest is asked to run them.
find_program(BGCOPY_WINE_PROGRAM NAMES wine wine64)
if(BGCOPY_WINE_PROGRAM)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${BGCOPY_WINE_PROGRAM})
endif()
