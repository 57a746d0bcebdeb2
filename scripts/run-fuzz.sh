#!/bin/sh
# scripts/run-fuzz.sh - runs the libFuzzer targets built by `make fuzz` (the Makefile builds them
# into $FUZZ_BUILD_DIR first; this script only runs them).
#
# For each target <name> (every fuzz/<name>_fuzzer.c, or the names given in FUZZ_TARGETS):
#   - the committed seeds fuzz/corpus/<name>/ are copied into the scratch corpus
#     $FUZZ_BUILD_DIR/corpus/<name>/, which is what grows (the committed corpus is only read);
#   - the fuzzer runs for FUZZ_SECONDS seconds (-max_total_time), its log in
#     $FUZZ_BUILD_DIR/logs/<name>.log, crash / leak / timeout reproducers in
#     $FUZZ_BUILD_DIR/artifacts/<name>-*;
#   - with FUZZ_MERGE=1, inputs of the scratch corpus that add edge coverage are merged back
#     into fuzz/corpus/<name>/ (-merge=1), to be reviewed and committed.
# Prints one line per target (executions, seconds, corpus sizes) and exits 1 if any target
# found a problem.
#
# Environment: FUZZ_BUILD_DIR (build-fuzz), FUZZ_SECONDS (60), FUZZ_MERGE (0), FUZZ_TARGETS
# (all), FUZZ_NICE (nice -n 10), FUZZ_ARGS (extra libFuzzer flags).
set -eu
cd "$(dirname "$0")/.."

build=${FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
merge=${FUZZ_MERGE:-0}
nice_cmd=${FUZZ_NICE-nice -n 10}
extra=${FUZZ_ARGS:-}
targets=${FUZZ_TARGETS:-}
if [ -z "$targets" ]; then
    for src in fuzz/*_fuzzer.c; do
        name=$(basename "$src" _fuzzer.c)
        targets="$targets $name"
    done
fi

mkdir -p "$build/corpus" "$build/logs" "$build/artifacts"
failed=""
for name in $targets; do
    bin="$build/bin/${name}_fuzzer"
    seeds="fuzz/corpus/$name"
    scratch="$build/corpus/$name"
    log="$build/logs/$name.log"
    if [ ! -x "$bin" ]; then
        echo "run-fuzz.sh: $bin is missing (run 'make fuzz')" >&2
        exit 1
    fi
    mkdir -p "$scratch" "$seeds"
    if [ -n "$(ls -A "$seeds")" ]; then
        cp -p "$seeds"/* "$scratch"/
    fi
    rc=0
    # The scratch corpus comes first: libFuzzer writes new inputs into the first directory.
    # shellcheck disable=SC2086 # nice_cmd and extra are word lists
    $nice_cmd "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=4000 \
        -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" $extra \
        "$scratch" >"$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    if [ "$rc" -ne 0 ]; then
        failed="$failed $name"
        echo "$name: FAILED (exit $rc) after ${runs:-?} executions - see $log and $build/artifacts/"
        continue
    fi
    if [ "$merge" = "1" ]; then
        # Edge coverage only (-use_counters=0): adds tens of files, not hundreds, so the
        # committed corpora stay small.
        # shellcheck disable=SC2086
        $nice_cmd "$bin" -merge=1 -use_counters=0 -max_len=4000 -timeout=20 "$seeds" \
            "$scratch" >>"$log" 2>&1
    fi
    echo "$name: ${runs:-?} executions in ${secs:-?} s; corpus: $(ls "$scratch" | wc -l) scratch," \
        "$(ls "$seeds" | wc -l) committed"
done
if [ -n "$failed" ]; then
    echo "run-fuzz.sh: findings in:$failed" >&2
    exit 1
fi
