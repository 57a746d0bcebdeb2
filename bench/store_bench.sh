#!/usr/bin/env bash
# bench/store_bench.sh - what the job store (core/store.c) costs: the time to open a store of
# 10,000 jobs, and download throughput with progress checkpoints on, off and without a store;
# run by `make bench-store`, results in bench/results-store.md.
#
# Open: $BUILD_DIR/bin/store_bench populate creates JOBS_COUNT jobs (default 10000, one file
# each, SUSPENDED) through the API in a fresh state directory under $BUILD_DIR/bench-store
# (administrator manager, job limits raised), and closes. Then RUNS (default 5) separate
# processes each time bgcopy_manager_open on it (store opened, every job loaded and checked)
# and report the RSS after it; the page cache is warm (the database was just written). Also
# reported: the database size, the creation time and the close time.
#
# Throughput: a file of BENCH_SIZE bytes (default 1 GiB) of random bytes on tmpfs (/dev/shm) is
# served by nginx (one worker, sendfile, started here with a temporary configuration on
# 127.0.0.1, stopped at the end; as in bench/http_bench.sh) and downloaded into a file on disk
# under $BUILD_DIR/bench-store by `store_bench download MODE` (FOREGROUND job, Resume, wait for
# JobTransferred, Complete) in three modes:
#   on      a store in a fresh state directory, checkpoints at their defaults (8 MiB / 2 s)
#   off     a store, checkpoint_bytes = UINT64_MAX and checkpoint_ms = UINT32_MAX (only the
#           state changes are written)
#   memory  state_dir ":memory:" (no store at all)
# RUNS runs of each, interleaved in a random order every round, `sync` before each; the output
# is checked for size every run and compared byte for byte with the source on each mode's first
# run. Reported: median and min-max of the time from Resume to Complete's return, MB/s
# (10^6 bytes/s), CPU seconds, and the ratios on/off and on/memory.
#
# Environment: BUILD_DIR (default build), RUNS (5), JOBS_COUNT (10000), BENCH_SIZE (bytes,
# default 1073741824), RESULTS (default bench/results-store.md), NGINX (default nginx in PATH or
# /usr/sbin/nginx). Installs nothing.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
RUNS=${RUNS:-5}
JOBS_COUNT=${JOBS_COUNT:-10000}
SIZE=${BENCH_SIZE:-1073741824}
RESULTS=${RESULTS:-bench/results-store.md}
DRIVER=$BUILD_DIR/bin/store_bench
# shellcheck source=bench/lib.sh
. bench/lib.sh # NGINX, free_port, start_nginx, stop_servers

die() {
    echo "store_bench: $*" >&2
    exit 1
}

for tool in "$NGINX" "$DRIVER"; do
    [ -x "$tool" ] || die "$tool not found (run make build; nginx comes from scripts/deps.sh)"
done
command -v curl >/dev/null || die "curl not found"
command -v python3 >/dev/null || die "python3 not found"

TMP=$(mktemp -d /dev/shm/bgcopy-store-bench.XXXXXX)
WORK=$BUILD_DIR/bench-store
rm -rf "$WORK"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
cleanup() {
    stop_servers
    rm -rf "$TMP" "$WORK"
}
trap cleanup EXIT
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- open a store of JOBS_COUNT jobs ----------------------------------------------------------

mkdir -p "$WORK/open-dl"
echo "store_bench: creating $JOBS_COUNT jobs in $WORK/open-state" >&2
"$DRIVER" populate "$WORK/open-state" "$JOBS_COUNT" "$WORK/open-dl" >"$TMP/populate" ||
    die "populate failed"
cat "$TMP/populate" >&2
DB_BYTES=$(stat -c %s "$WORK/open-state/bgcopy.db")
WAL_BYTES=0
[ -f "$WORK/open-state/bgcopy.db-wal" ] && WAL_BYTES=$(stat -c %s "$WORK/open-state/bgcopy.db-wal")
: >"$TMP/opens"
for run in $(seq "$RUNS"); do
    "$DRIVER" open "$WORK/open-state" >>"$TMP/opens" || die "open run $run failed"
    echo "store_bench: open run $run: $(tail -1 "$TMP/opens")" >&2
done
grep -q "jobs=$JOBS_COUNT " "$TMP/opens" || die "the store did not hold $JOBS_COUNT jobs"
rm -rf "$WORK/open-state" "$WORK/open-dl"

# ---- the source file and nginx ------------------------------------------------------------

mkdir -p "$TMP/www"
echo "store_bench: writing $SIZE random bytes to $TMP/www/file.bin" >&2
head -c "$SIZE" /dev/urandom >"$TMP/www/file.bin"
start_nginx "$TMP/www"
URL=http://127.0.0.1:$NGINX_PORT/file.bin
curl -sf -o /dev/null -r 0-0 "$URL" || die "nginx does not serve $URL"

# ---- throughput runs ------------------------------------------------------------------------

MODES="on off memory"
OUT=$WORK/download.bin
ROWS=$TMP/rows.tsv
: >"$ROWS"
ORDERS=""
for run in $(seq "$RUNS"); do
    order=$(printf '%s\n' $MODES | shuf | tr '\n' ' ')
    ORDERS="$ORDERS${ORDERS:+; }${order% }"
    for mode in $order; do
        rm -rf "$OUT" "$WORK/state"
        sync
        "$DRIVER" download "$mode" "$WORK/state" "$URL" "$OUT" >"$TMP/driver" ||
            die "$mode run $run failed"
        [ "$(stat -c %s "$OUT")" -eq "$SIZE" ] || die "$mode run $run: wrong size"
        if [ "$run" -eq 1 ]; then
            cmp -s "$OUT" "$TMP/www/file.bin" || die "$mode run $run: output differs from the source"
        fi
        printf '%s\t%s\t%s\n' "$mode" "$run" "$(cat "$TMP/driver")" >>"$ROWS"
        echo "store_bench: run $run $mode: $(cat "$TMP/driver")" >&2
    done
done
rm -rf "$OUT" "$WORK/state"
stop_servers

# ---- the report ------------------------------------------------------------------------------

MACHINE="$(nproc) vCPU ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, kernel $(uname -r)"
VERSIONS="SQLite $(pkg-config --modversion sqlite3 2>/dev/null || echo '?'), nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///')"
DISK=$(df -hT "$WORK" | awk 'NR == 2 {print $2 " on " $1}')
LOAD="$LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"

python3 - "$TMP/populate" "$TMP/opens" "$ROWS" "$DB_BYTES" "$WAL_BYTES" "$JOBS_COUNT" "$SIZE" \
    "$RUNS" "$RESULTS" "$MACHINE" "$VERSIONS" "$DISK" "$ORDERS" "$LOAD" <<'EOF'
import datetime, statistics, sys

(populate_path, opens_path, rows_path, db_bytes, wal_bytes, jobs, size, runs, results, machine,
 versions, disk, orders, load) = sys.argv[1:]
db_bytes, wal_bytes, jobs, size, runs = int(db_bytes), int(wal_bytes), int(jobs), int(size), int(runs)

def kv(line):
    return {k: float(v) for k, v in (item.split("=", 1) for item in line.split())}

def fig(values, fmt="{:.2f}"):
    return "{} ({}–{})".format(fmt.format(statistics.median(values)), fmt.format(min(values)),
                               fmt.format(max(values)))

pop = kv(open(populate_path).read())
opens = [kv(l) for l in open(opens_path) if l.strip()]
data = {}
for line in open(rows_path):
    mode, run, rest = line.rstrip("\n").split("\t", 2)
    d = kv(rest)
    e = data.setdefault(mode, {"total": [], "xfer": [], "complete": [], "cpu": []})
    e["total"].append(d["transferred_s"] + d["complete_s"])
    e["xfer"].append(d["transferred_s"])
    e["complete"].append(d["complete_s"])
    e["cpu"].append(d["user_s"] + d["sys_s"])

out = []
out.append("# Job store benchmark\n")
out.append("Generated by `make bench-store` (bench/store_bench.sh, bench/store_bench.c) on {}.\n".format(
    datetime.datetime.now().strftime("%Y-%m-%d %H:%M %Z").strip()))
out.append("- Machine: {}".format(machine))
out.append("- Software: {}".format(versions))
out.append("- Disk of the state directories and downloads: {}".format(disk))
out.append("- Load average (1, 5, 15 min; other work on the machine): {}".format(load))
out.append("- Figures: median (min–max) of {} runs.\n".format(runs))

out.append("## Opening a store of {:,} jobs\n".format(jobs))
out.append("{:,} download jobs of one file each (SUSPENDED), created through the API in a fresh "
           "state directory, then the manager closed. Each run is a new process that calls "
           "`bgcopy_manager_open` on that directory (the database opened and checked, every job "
           "loaded and its temp file checked); page cache warm.\n".format(jobs))
out.append("| | value |")
out.append("|---|---|")
out.append("| `bgcopy_manager_open`, s | {} |".format(fig([o["open_s"] for o in opens], "{:.3f}")))
out.append("| per job, µs | {} |".format(fig([o["open_s"] / jobs * 1e6 for o in opens], "{:.1f}")))
out.append("| RSS after the open, MiB (before it: {:.1f}) | {} |".format(
    statistics.median([o["rss_before_kib"] for o in opens]) / 1024,
    fig([o["rss_after_kib"] / 1024 for o in opens], "{:.1f}")))
out.append("| peak RSS (VmHWM) after the open, MiB | {} |".format(
    fig([o["hwm_kib"] / 1024 for o in opens], "{:.1f}")))
out.append("| `bgcopy_manager_close` after it, s | {} |".format(fig([o["close_s"] for o in opens], "{:.3f}")))
out.append("| database size (bgcopy.db{}), MiB | {:.2f} ({:.0f} bytes per job) |".format(
    " + WAL" if wal_bytes else "", (db_bytes + wal_bytes) / 2**20, (db_bytes + wal_bytes) / jobs))
out.append("| creating the {:,} jobs (CreateJob + AddFile each), s | {:.2f} ({:.0f} µs per job) |".format(
    jobs, pop["create_s"], pop["create_s"] / jobs * 1e6))
out.append("")

out.append("## Download throughput: checkpoints on, off, no store\n")
out.append("A {:.0f} MiB file of random bytes on tmpfs served by nginx (one worker, sendfile) on "
           "127.0.0.1, downloaded into a file on disk by one FOREGROUND job (Resume, "
           "JobTransferred, Complete). Modes: **on** = a store with the default checkpoints "
           "(every 8 MiB or 2 s; no fsync), **off** = a store with "
           "checkpoint_bytes = UINT64_MAX and checkpoint_ms = UINT32_MAX (only state changes "
           "written), **memory** = state_dir `:memory:` (no store). Interleaved in a random "
           "order every round ({}), `sync` before each run, a fresh state directory for each.\n".format(
               size / 2**20, orders))
out.append("| mode | Resume → Complete returned, s | MB/s | Resume → JobTransferred, s | Complete, s | CPU s (user+sys) |")
out.append("|---|---|---|---|---|---|")
for m in ("on", "off", "memory"):
    d = data[m]
    out.append("| {} | {} | {} | {} | {} | {} |".format(
        m, fig(d["total"]), fig([size / 1e6 / t for t in d["total"]], "{:.0f}"), fig(d["xfer"]),
        fig(d["complete"], "{:.3f}"), fig(d["cpu"])))
out.append("")
on, off, mem = (statistics.median(data[m]["total"]) for m in ("on", "off", "memory"))
out.append("- on / off time: **{:.3f}×** (throughput ratio {:.3f}, {:+.1f} %)".format(
    on / off, off / on, (off / on - 1) * 100))
out.append("- on / memory time: **{:.3f}×** (throughput ratio {:.3f}, {:+.1f} %)".format(
    on / mem, mem / on, (mem / on - 1) * 100))
out.append("- CPU on / off: **{:.3f}×**".format(
    statistics.median(data["on"]["cpu"]) / statistics.median(data["off"]["cpu"])))
out.append("")
out.append("Reproduce: `make bench-store` (RUNS, JOBS_COUNT, BENCH_SIZE override the defaults).")
out.append("")
open(results, "w").write("\n".join(out) + "\n")
print("\n".join(out))
EOF
echo "store_bench: results written to $RESULTS" >&2
