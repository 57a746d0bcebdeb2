#!/usr/bin/env bash
# bench/many_bench.sh - many transfers (benchmark 2 of bench/run.sh): 500 jobs of one 64 KiB
# file each, and one job of 200 files of 64 KiB, by bgcopy against curl --parallel and
# aria2c -i on the same files in the same run. Run through bench/run.sh (`make bench`),
# which provides the environment of bench/lib.sh ($WORK, $RAW, $META, $BUILD_DIR, $RUNS).
#
# 500 files of 64 KiB of random bytes on tmpfs are served by nginx (one worker, sendfile,
# 2048 connections) and downloaded into $BUILD_DIR/bench-out/many (the disk the build is on):
#   bgcopy-mem   many_bench: state ":memory:" (no store)
#   bgcopy-disk  many_bench --state-dir DIR: a fresh store on disk each run (a transaction per
#                job change)
#   curl         curl -s --no-progress-meter --parallel --parallel-max 50 -K LIST
#                (LIST: one url/output pair per file)
#   aria2c       aria2c -i LIST -j 50 -x1 --file-allocation=none --allow-overwrite=true -q -d DIR
#   curl+sync    the curl command, then `sync FILE...` (an fsync of every file): close to the
#                durability Complete gives (which also fsyncs the directory after each rename);
#                shown for reference, not a peer
# Workloads: "jobs" = 500 FOREGROUND jobs of one file (bgcopy) / 500 URLs (peers); "files" =
# one FOREGROUND job of 200 files / 200 URLs. $RUNS rounds, clients in a random order each
# round, `sync` before each run. Every run is timed by GNU time (wall, CPU, peak RSS); every
# output file's size is checked every run and the bytes compared with the sources in the
# first round. Rows: section "many-jobs" / "many-files", subject = client, metrics wall user sys
# maxrss_kib, and many_bench's setup_s transfer_s complete_s total_s.
set -euo pipefail
[ -n "${RAW:-}" ] || {
    echo "many_bench.sh: run it through bench/run.sh (make bench)" >&2
    exit 2
}
cd "$(dirname "$0")/.."
source bench/lib.sh

JOBS=500
FILES=200
FILE_SIZE=65536
DRIVER=$BUILD_DIR/bin/many_bench
OUT_DIR=$BUILD_DIR/bench-out/many
STATE=$BUILD_DIR/bench-out/many-state
mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
trap 'stop_servers; rm -rf "$OUT_DIR" "$STATE"' EXIT

mkdir -p "$WORK/many/m"
say "many: writing $JOBS files of $FILE_SIZE bytes"
for i in $(seq 0 $((JOBS - 1))); do
    head -c "$FILE_SIZE" /dev/urandom >"$WORK/many/m/f$(printf %03d "$i").bin"
done
start_nginx "$WORK/many"
BASE=http://127.0.0.1:$NGINX_PORT/m

lists() { # count: curl config and aria2c input files for the first count files
    local n=$1 i name
    : >"$WORK/curl-$n.cfg"
    : >"$WORK/aria2-$n.txt"
    for i in $(seq 0 $((n - 1))); do
        name=f$(printf %03d "$i").bin
        printf 'url = "%s/%s"\noutput = "%s/%s"\n' "$BASE" "$name" "$OUT_DIR" "$name" >>"$WORK/curl-$n.cfg"
        printf '%s/%s\n  out=%s\n' "$BASE" "$name" "$name" >>"$WORK/aria2-$n.txt"
    done
}
lists $JOBS
lists $FILES

run_client() { # workload client run
    local workload=$1 client=$2 run=$3 n mode section i name
    if [ "$workload" = jobs ]; then n=$JOBS mode=jobs; else n=$FILES mode=files; fi
    section=many-$workload
    rm -rf "$OUT_DIR" "$STATE"
    mkdir -p "$OUT_DIR"
    sync
    : >"$WORK/driver"
    # shellcheck disable=SC2016 # in the curl+sync branch, $1 and $2 are the inner shell's
    case $client in
    bgcopy-mem) timed "$WORK/time" "$DRIVER" "$mode" "$n" "$BASE" "$OUT_DIR" >"$WORK/driver" ;;
    bgcopy-disk) timed "$WORK/time" "$DRIVER" --state-dir "$STATE" "$mode" "$n" "$BASE" "$OUT_DIR" >"$WORK/driver" ;;
    curl) timed "$WORK/time" curl -s --no-progress-meter --parallel --parallel-max 50 -K "$WORK/curl-$n.cfg" ;;
    curl+sync) timed "$WORK/time" sh -c 'curl -s --no-progress-meter --parallel --parallel-max 50 -K "$1" &&
        sync "$2"/f*.bin' sh "$WORK/curl-$n.cfg" "$OUT_DIR" ;;
    aria2c) timed "$WORK/time" aria2c -i "$WORK/aria2-$n.txt" -j 50 -x1 --file-allocation=none \
        --allow-overwrite=true -q -d "$OUT_DIR" ;;
    esac
    [ "$(find "$OUT_DIR" -name 'f*.bin' -size "${FILE_SIZE}c" | wc -l)" -eq "$n" ] ||
        die "many-$workload: $client run $run: files missing or of the wrong size"
    if [ "$run" -eq 1 ]; then
        for i in $(seq 0 $((n - 1))); do
            name=f$(printf %03d "$i").bin
            cmp -s "$OUT_DIR/$name" "$WORK/many/m/$name" || die "many-$workload: $client: $name differs"
        done
    fi
    read -r wall user sys rss <"$WORK/time"
    row "$section" "$client" "$run" wall "$wall"
    row "$section" "$client" "$run" user "$user"
    row "$section" "$client" "$run" sys "$sys"
    row "$section" "$client" "$run" maxrss_kib "$rss"
    kv_rows "$section" "$client" "$run" <"$WORK/driver"
    say "many-$workload: run $run $client: ${wall}s wall, ${user}s user, ${sys}s sys, ${rss} KiB"
}

CLIENTS="bgcopy-mem bgcopy-disk curl curl+sync"
command -v aria2c >/dev/null 2>&1 && CLIENTS="$CLIENTS aria2c"
for run in $(seq "$RUNS"); do
    for workload in jobs files; do
        # shellcheck disable=SC2086 # the client list is split on purpose
        order=$(shuffled $CLIENTS)
        meta "many_${workload}_order" "$order"
        for client in $order; do
            run_client "$workload" "$client" "$run"
        done
    done
done
meta many_disk "$(df -hT "$OUT_DIR" | awk 'NR == 2 {print $2 " on " $1}')"
