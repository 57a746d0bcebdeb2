#!/usr/bin/env bash
# bench/run.sh - every benchmark of bgcopy on this machine, on 127.0.0.1, in one run; the
# report goes to bench/results.md (`make bench`). `make bench-http` runs the throughput and
# resume benchmarks only and writes bench/results-http.md.
#
#   bench/run.sh [SECTION...]      (default: all, in this order)
#     throughput  1 GiB from nginx by bgcopy, curl, wget2, aria2c     (bench/http_bench.sh)
#     many        500 jobs / one job of 200 files, against curl and aria2c (bench/many_bench.sh)
#     resume      bytes fetched again after Suspend, SIGKILL, reset   (bench/resume_bench.sh)
#     rest        memory and idle CPU of an engine holding 10,000 jobs (bench/rest_bench.c)
#     notify      notification throughput and latency, in-process and through bgcopyd
#                                                                      (bench/notify_bench.c)
#     sim         simulated lifecycles per second, 90-day scenarios   (bench/sim_bench.c)
#
# Every figure is measured RUNS times (default 5) and reported as median (min-max); a ratio
# against a peer is taken per round, between runs of the same round (bench/report.py). Each
# measurement is a row of $WORK/raw.tsv (bench/lib.sh); the rows are kept next to the report
# (RESULTS with .tsv for .md) so every figure can be traced to its runs.
#
# Needs (installed by `make bench` through scripts/deps.sh bench): nginx, curl, wget2,
# aria2c, GNU time, python3; and a build in BUILD_DIR. Takes about 7 minutes on the 2-core
# development VM (the rest benchmark alone sleeps 2 x REST_SECONDS per run).
# Environment: BUILD_DIR (build), RUNS (5), BENCH_SIZE (bytes, 1 GiB; smaller for a quick
# trial), RESULTS (bench/results.md), REST_JOBS (10000), REST_SECONDS (10), SIM_LIFECYCLES
# (100000 on tmpfs; a hundredth of that on disk, where each Complete waits for the disk).
set -euo pipefail
cd "$(dirname "$0")/.."

export BUILD_DIR=${BUILD_DIR:-build}
export RUNS=${RUNS:-5}
export SIZE=${BENCH_SIZE:-1073741824}
RESULTS=${RESULTS:-bench/results.md}
REST_JOBS=${REST_JOBS:-10000}
REST_SECONDS=${REST_SECONDS:-10}
SIM_LIFECYCLES=${SIM_LIFECYCLES:-100000}
SECTIONS=${*:-throughput many resume rest notify sim}

export WORK
WORK=$(mktemp -d /dev/shm/bgcopy-bench.XXXXXX)
export RAW=$WORK/raw.tsv META=$WORK/meta.tsv
: >"$RAW"
: >"$META"
trap 'rm -rf "$WORK"' EXIT
source bench/lib.sh

for tool in "$GNU_TIME" "$NGINX" "$BUILD_DIR/bin/bgcopy-testserver"; do
    [ -x "$tool" ] || die "$tool not found (make bench installs the tools and builds)"
done
for tool in curl python3; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
for tool in wget2 aria2c; do
    command -v "$tool" >/dev/null || say "$tool not installed: measuring without it"
done

cpu_model=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
meta machine "$(nproc) CPUs (${cpu_model:-unknown model}), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, kernel $(uname -r)"
meta load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
meta commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (with local changes)')"
meta build_type "$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null)"
meta runs "$RUNS"
meta started "$(date '+%Y-%m-%d %H:%M %Z')"
meta sections "$SECTIONS"

section_rest() {
    local run
    mkdir -p "$WORK/rest"
    for run in $(seq "$RUNS"); do
        "$BUILD_DIR/bin/rest_bench" "$REST_JOBS" "$REST_SECONDS" "$WORK/rest" >"$WORK/out"
        kv_rows rest engine "$run" <"$WORK/out"
        meta "rest_wakers_$run" "$(tr ' ' '\n' <"$WORK/out" | grep _wakers= | tr '\n' ' ')"
        say "rest: run $run: $(cat "$WORK/out")"
    done
    meta rest_jobs "$REST_JOBS"
    meta rest_seconds "$REST_SECONDS"
    # Opening a store of REST_JOBS jobs: bench/store_bench.c's populate and open (see
    # bench/store_bench.sh), when it is built.
    local store=$BUILD_DIR/bench-out/store-state
    [ -x "$BUILD_DIR/bin/store_bench" ] || return 0
    rm -rf "$store"
    mkdir -p "$store" "$WORK/store-files"
    store=$(cd "$store" && pwd)
    "$BUILD_DIR/bin/store_bench" populate "$store" "$REST_JOBS" "$WORK/store-files" >"$WORK/out"
    kv_rows rest store-populate 1 <"$WORK/out"
    for run in $(seq "$RUNS"); do
        sync
        "$BUILD_DIR/bin/store_bench" open "$store" >"$WORK/out"
        kv_rows rest store "$run" <"$WORK/out"
        say "rest: store open run $run: $(cat "$WORK/out")"
    done
    rm -rf "$store"
}

section_notify() {
    local line run
    "$BUILD_DIR/bin/notify_bench" --kv >"$WORK/out"
    while read -r line; do
        run=$(sed -n 's/^run=\([0-9]*\) .*/\1/p' <<<"$line")
        kv_rows notify inproc "$run" <<<"$line"
    done <"$WORK/out"
    say "notify: $(tr '\n' ';' <"$WORK/out")"

    # Through the service: a bgcopyd of its own (socket and store under $WORK), stopped by the
    # pid it writes beside its socket.
    local svc=$WORK/notify-service
    rm -rf "$svc" && mkdir -p -m 0700 "$svc/run" "$svc/state"
    BGCOPY_SERVICE_SOCKET=$svc/run/bgcopyd.sock BGCOPY_STATE_DIR=$svc/state \
        BGCOPY_SERVICE_PROGRAM=$BUILD_DIR/bin/bgcopyd \
        "$BUILD_DIR/bin/notify_bench" --kv --service >"$WORK/out" || true
    if [ -f "$svc/run/bgcopyd.sock.pid" ]; then
        kill "$(cut -d' ' -f1 <"$svc/run/bgcopyd.sock.pid")" 2>/dev/null || true
    fi
    while read -r line; do
        run=$(sed -n 's/^run=\([0-9]*\) .*/\1/p' <<<"$line")
        kv_rows notify service "$run" <<<"$line"
    done <"$WORK/out"
    say "notify (service): $(tr '\n' ';' <"$WORK/out")"
}

section_sim() {
    local run disk
    mkdir -p "$WORK/sim" "$BUILD_DIR/bench-out/sim"
    disk=$(cd "$BUILD_DIR/bench-out/sim" && pwd)
    for run in $(seq "$RUNS"); do
        "$BUILD_DIR/bin/sim_bench" lifecycles "$WORK/sim" "$SIM_LIFECYCLES" 4096 >"$WORK/out"
        kv_rows sim lifecycles-tmpfs "$run" <"$WORK/out"
        say "sim: run $run tmpfs: $(cat "$WORK/out")"
        "$BUILD_DIR/bin/sim_bench" lifecycles "$disk" $((SIM_LIFECYCLES / 100)) 4096 >"$WORK/out"
        kv_rows sim lifecycles-disk "$run" <"$WORK/out"
        say "sim: run $run disk: $(cat "$WORK/out")"
        "$BUILD_DIR/bin/sim_bench" idle90 "$WORK/sim" 1000 >"$WORK/out"
        kv_rows sim idle90 "$run" <"$WORK/out"
        "$BUILD_DIR/bin/sim_bench" retry90 "$WORK/sim" 50 >"$WORK/out"
        kv_rows sim retry90 "$run" <"$WORK/out"
        say "sim: run $run retry90: $(cat "$WORK/out")"
    done
    rm -rf "$disk"
    meta sim_disk "$(df -hT "$BUILD_DIR" | awk 'NR == 2 {print $2 " on " $1}')"
}

for section in $SECTIONS; do
    start=$(date +%s)
    say "=== $section"
    case $section in
    throughput) bash bench/http_bench.sh ;;
    many) bash bench/many_bench.sh ;;
    resume) bash bench/resume_bench.sh ;;
    rest) section_rest ;;
    notify) section_notify ;;
    sim) section_sim ;;
    *) die "unknown section $section" ;;
    esac
    meta "duration_$section" "$(($(date +%s) - start))"
done
meta load_after "$(cut -d' ' -f1-3 /proc/loadavg)"

python3 bench/report.py "$RAW" "$META" "$RESULTS"
cp "$RAW" "${RESULTS%.md}.tsv"
say "results written to $RESULTS (rows in ${RESULTS%.md}.tsv)"
