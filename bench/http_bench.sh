#!/usr/bin/env bash
# bench/http_bench.sh - throughput (benchmark 1 of bench/run.sh): a 1 GiB file downloaded from
# nginx on 127.0.0.1 into a file on disk by bgcopy and by curl, wget2 and aria2c, in the same
# run. Run through bench/run.sh (`make bench`, `make bench-http`), which provides the
# environment of bench/lib.sh ($WORK, $RAW, $META, $BUILD_DIR, $RUNS, $SIZE).
#
# A file of $SIZE random bytes on tmpfs ($WORK, /dev/shm) is served by nginx (one worker,
# sendfile) and downloaded into $BUILD_DIR/bench-out/download.bin (the disk the build is on) by
#   bgcopy     $BUILD_DIR/bin/download_bench: the library API (FOREGROUND job, Resume, wait
#              for JobTransferred, Complete; Complete fsyncs the file and renames it)
#   curl       curl -s -o FILE URL
#   wget2      wget2 -q -O FILE URL
#   aria2c     aria2c -x1 --file-allocation=none --allow-overwrite=true -q -d DIR -o NAME URL
#   curl+sync  curl -s -o FILE URL, then `sync FILE` (fsync): the durability Complete gives;
#              shown for reference, not a peer
#   bgcopy-cli $BUILD_DIR/bin/bgcopy /transfer bench /priority FOREGROUND URL FILE (the command
#              line, with its default store: a fresh BGCOPY_STATE_DIR each run), measured when
#              the CLI is built; until then the report shows a "pending: CLI" row
# $RUNS rounds; in each, every client once, in a random order (on a small VM the run before
# changes the figures: how it left the page cache and free memory), `sync` before each run so
# no run pays for the previous one's writeback. Each run is timed by GNU time (wall, user and
# sys seconds of the process and its threads, peak RSS); the output's size is checked every
# run and its bytes compared with the source in the first round.
# Rows: section "throughput", subject = client, metrics wall user sys maxrss_kib, and for
# bgcopy transferred_s / complete_s (Resume -> JobTransferred, and Complete alone).
set -euo pipefail
[ -n "${RAW:-}" ] || {
    echo "http_bench.sh: run it through bench/run.sh (make bench-http)" >&2
    exit 2
}
cd "$(dirname "$0")/.."
source bench/lib.sh

DRIVER=$BUILD_DIR/bin/download_bench
OUT_DIR=$BUILD_DIR/bench-out
mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
OUT=$OUT_DIR/download.bin
CLI=$BUILD_DIR/bin/bgcopy
CLI_STATE=$OUT_DIR/cli-state
trap 'stop_servers; rm -rf "$OUT" "$OUT_DIR"/*.aria2 "$CLI_STATE"' EXIT

mkdir -p "$WORK/www"
say "throughput: writing $SIZE random bytes to $WORK/www/file.bin"
head -c "$SIZE" /dev/urandom >"$WORK/www/file.bin"
start_nginx "$WORK/www"
URL=http://127.0.0.1:$NGINX_PORT/file.bin

CLIENTS="bgcopy bgcopy-cli curl wget2 aria2c curl+sync"
[ -x "$CLI" ] || CLIENTS=${CLIENTS/bgcopy-cli /}
command -v wget2 >/dev/null 2>&1 || CLIENTS=${CLIENTS/wget2 /}
command -v aria2c >/dev/null 2>&1 || CLIENTS=${CLIENTS/aria2c /}

run_client() { # client run
    local client=$1 run=$2
    rm -f "$OUT"
    sync
    # shellcheck disable=SC2016 # in the curl+sync branch, $1 and $2 are the inner shell's
    case $client in
    bgcopy) timed "$WORK/time" "$DRIVER" "$URL" "$OUT" >"$WORK/driver" ;;
    bgcopy-cli)
        rm -rf "$CLI_STATE"
        BGCOPY_STATE_DIR=$CLI_STATE timed "$WORK/time" "$CLI" /transfer bench /priority FOREGROUND \
            "$URL" "$OUT" >/dev/null
        ;;
    curl) timed "$WORK/time" curl -s -o "$OUT" "$URL" ;;
    wget2) timed "$WORK/time" wget2 -q -O "$OUT" "$URL" ;;
    aria2c) timed "$WORK/time" aria2c -x1 --file-allocation=none --allow-overwrite=true -q \
        -d "$OUT_DIR" -o download.bin "$URL" ;;
    curl+sync) timed "$WORK/time" sh -c 'curl -s -o "$1" "$2" && sync "$1"' sh "$OUT" "$URL" ;;
    esac
    [ "$(stat -c %s "$OUT")" -eq "$SIZE" ] || die "throughput: $client run $run: wrong size"
    if [ "$run" -eq 1 ]; then
        cmp -s "$OUT" "$WORK/www/file.bin" || die "throughput: $client run $run: output differs"
    fi
    read -r wall user sys rss <"$WORK/time"
    row throughput "$client" "$run" wall "$wall"
    row throughput "$client" "$run" user "$user"
    row throughput "$client" "$run" sys "$sys"
    row throughput "$client" "$run" maxrss_kib "$rss"
    if [ "$client" = bgcopy ]; then
        kv_rows throughput bgcopy "$run" <"$WORK/driver"
    fi
    say "throughput: run $run $client: ${wall}s wall, ${user}s user, ${sys}s sys, ${rss} KiB"
}

for run in $(seq "$RUNS"); do
    # shellcheck disable=SC2086 # the client list is split on purpose
    order=$(shuffled $CLIENTS)
    meta throughput_order "$order"
    for client in $order; do
        run_client "$client" "$run"
    done
done

meta throughput_size "$SIZE"
meta throughput_disk "$(df -hT "$OUT_DIR" | awk 'NR == 2 {print $2 " on " $1}')"
versions="nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), $(curl --version | head -1 | cut -d' ' -f1-2)"
command -v wget2 >/dev/null 2>&1 && versions="$versions, $(wget2 --version 2>/dev/null | head -1 | awk '{print $2, $3}')"
command -v aria2c >/dev/null 2>&1 && versions="$versions, $(aria2c --version | head -1)"
meta versions "$versions"
rm -f "$WORK/www/file.bin"
