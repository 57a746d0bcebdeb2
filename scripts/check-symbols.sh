#!/bin/sh
# scripts/check-symbols.sh - gate: every symbol the shared library exports starts with bgcopy_.
#
# Usage: check-symbols.sh [LIBRARY]   (default: build/lib/libbgcopy.so)
# Lists the dynamic symbols the library defines (nm -D --defined-only) and fails, printing
# them, if any is neither bgcopy_* nor one of the symbols the toolchain always defines
# (_init, _fini, _edata, _end, __bss_start). Internals (bgcopy__*) must stay hidden too: the
# double underscore marks them as not exported. Registered as ctest gate_symbols (LABELS gate).
set -eu

lib=${1:-build/lib/libbgcopy.so}
if [ ! -f "$lib" ]; then
    echo "check-symbols.sh: $lib not found (build the library first)" >&2
    exit 1
fi
if ! command -v nm >/dev/null 2>&1; then
    echo "check-symbols.sh: nm not found (binutils)" >&2
    exit 1
fi

symbols=$(nm -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' | sort -u)
if [ -z "$symbols" ]; then
    echo "check-symbols.sh: $lib exports nothing" >&2
    exit 1
fi
bad=$(printf '%s\n' "$symbols" | grep -v -x -E 'bgcopy_[A-Za-z0-9][A-Za-z0-9_]*|_init|_fini|_edata|_end|__bss_start' || true)
count=$(printf '%s\n' "$symbols" | wc -l)
if [ -n "$bad" ]; then
    echo "check-symbols.sh: $lib exports symbols outside the bgcopy_ namespace:" >&2
    printf '  %s\n' $bad >&2
    exit 1
fi
echo "check-symbols.sh: $count exported symbols, all bgcopy_*"
