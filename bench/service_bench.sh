#!/usr/bin/env bash
# bench/service_bench.sh - the cost of going through bgcopyd: a 1 GiB download from nginx
# in-process against the same download through the service, and API round trips per second;
# run by `make bench-service`, results in bench/results-service.md.
#
# Download: a file of random bytes on tmpfs (/dev/shm) is served by nginx (one worker, sendfile,
# started here on 127.0.0.1 with a temporary configuration, stopped at the end) and downloaded
# into a file on disk under $BUILD_DIR/bench-service by $BUILD_DIR/bin/download_bench (FOREGROUND
# job, Resume, wait for JobTransferred, Complete):
#   in-process  the engine in download_bench's process, its store in bench-service/state-inproc
#   service     download_bench --service: the engine in a bgcopyd started here beforehand (so the
#               start is not timed), its store in bench-service/state-svc; download_bench only
#               sends the calls and waits for the callback event
# RUNS runs (default 5) of each, interleaved in a random order, `sync` before each. Wall time
# and the client's CPU from /usr/bin/time; the service's CPU from /proc/<pid>/stat (utime +
# stime) before and after each run. Each output is checked for size; the first of each against
# the source, byte for byte. Reported: medians and min-max of wall time, MB/s, time to
# JobTransferred, Complete, and CPU seconds per GiB (client + service).
#
# Round trips: $BUILD_DIR/bin/service_bench (bench/service_bench.c): get_state on 1 and 4
# threads, CreateJob + Cancel, in-process and through the service.
#
# Environment: BUILD_DIR (build), RUNS (5), BENCH_SIZE (bytes, default 1073741824), RESULTS
# (bench/results-service.md), NGINX (nginx in PATH or /usr/sbin/nginx). Installs nothing.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
RUNS=${RUNS:-5}
SIZE=${BENCH_SIZE:-1073741824}
RESULTS=${RESULTS:-bench/results-service.md}
DRIVER=$BUILD_DIR/bin/download_bench
ROUNDTRIP=$BUILD_DIR/bin/service_bench
BGCOPYD=$BUILD_DIR/bin/bgcopyd
TIME=/usr/bin/time

# shellcheck source=bench/lib.sh
. bench/lib.sh # NGINX, free_port, start_nginx, stop_servers

die() {
    echo "service_bench: $*" >&2
    exit 1
}

for tool in "$NGINX" "$TIME" "$DRIVER" "$ROUNDTRIP" "$BGCOPYD"; do
    [ -x "$tool" ] || die "$tool not found (run make build; nginx comes from scripts/deps.sh)"
done
command -v curl >/dev/null || die "curl not found"
command -v python3 >/dev/null || die "python3 not found"

TMP=$(mktemp -d /dev/shm/bgcopy-svcbench.XXXXXX)
OUT_DIR=$BUILD_DIR/bench-service
rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
OUT=$OUT_DIR/download.bin
WORK=$TMP # start_nginx keeps its configuration there
SVC_PID=""

cleanup() {
    stop_servers
    if [ -n "$SVC_PID" ]; then
        kill "$SVC_PID" 2>/dev/null || true
        while kill -0 "$SVC_PID" 2>/dev/null; do sleep 0.05; done
    fi
    rm -rf "$TMP" "$OUT_DIR"
}
trap cleanup EXIT

# The service's CPU seconds so far (utime + stime).
service_cpu() {
    python3 - "$SVC_PID" <<'EOF'
import os, sys
fields = open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")", 1)[1].split()
print((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
EOF
}

for v in http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY; do
    unset "$v"
done

# ---- the source file, nginx, the service ---------------------------------------------------

mkdir -p "$TMP/www" "$TMP/run"
chmod 700 "$TMP/run"
echo "service_bench: writing $SIZE random bytes to $TMP/www/file.bin" >&2
head -c "$SIZE" /dev/urandom >"$TMP/www/file.bin"

start_nginx "$TMP/www"
URL=http://127.0.0.1:$NGINX_PORT/file.bin
curl -sf -o /dev/null -r 0-0 "$URL" || die "nginx does not serve $URL"

export XDG_RUNTIME_DIR=$TMP/run
export BGCOPY_SERVICE_PROGRAM=$BGCOPYD
SOCKET=$TMP/run/bgcopy/bgcopyd.sock
READY=$("$BGCOPYD" --socket "$SOCKET" --state-dir "$OUT_DIR/state-svc" --idle-timeout 0 \
    --ready-fd 3 3>&1 >/dev/null 2>&1 </dev/null)
SVC_PID=$(echo "$READY" | sed -n 's/^READY \([0-9]*\)$/\1/p')
[ -n "$SVC_PID" ] || die "bgcopyd did not start: $READY"

# ---- download runs ----------------------------------------------------------------------------

ROWS=$TMP/rows.tsv
: >"$ROWS"

run_client() { # mode run
    local mode=$1 run=$2 cpu0=0 cpu1=0 svc=0
    rm -f "$OUT"
    sync
    if [ "$mode" = service ]; then
        cpu0=$(service_cpu)
        BGCOPY_STATE_DIR=$OUT_DIR/state-svc $TIME -f '%e %U %S' -o "$TMP/time" \
            "$DRIVER" --service "$URL" "$OUT" >"$TMP/driver"
        cpu1=$(service_cpu)
        svc=$(python3 -c "print(round($cpu1 - $cpu0, 3))")
    else
        BGCOPY_STATE_DIR=$OUT_DIR/state-inproc $TIME -f '%e %U %S' -o "$TMP/time" \
            "$DRIVER" "$URL" "$OUT" >"$TMP/driver"
    fi
    [ "$(stat -c %s "$OUT")" -eq "$SIZE" ] || die "$mode run $run: wrong size"
    if [ "$run" -eq 1 ]; then
        cmp -s "$OUT" "$TMP/www/file.bin" || die "$mode run $run: output differs from the source"
    fi
    read -r wall user sys <"$TMP/time"
    extra=$(sed -n 's/.*transferred_s=\([0-9.]*\) complete_s=\([0-9.]*\).*/\1 \2/p' "$TMP/driver")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$run" "$wall" "$user" "$sys" "$svc" \
        "$extra" >>"$ROWS"
    echo "service_bench: run $run $mode: ${wall}s wall, ${user}s+${sys}s client CPU," \
        "${svc}s service CPU, transferred/complete $extra" >&2
}

ORDERS=""
for run in $(seq "$RUNS"); do
    order=$(printf '%s\n' in-process service | shuf | tr '\n' ' ')
    ORDERS="$ORDERS${ORDERS:+; }${order% }"
    for mode in $order; do
        run_client "$mode" "$run"
    done
done
rm -f "$OUT"
stop_servers
kill "$SVC_PID"
while kill -0 "$SVC_PID" 2>/dev/null; do sleep 0.05; done
SVC_PID=""

# ---- round trips --------------------------------------------------------------------------------

mkdir -p "$TMP/rt"
BGCOPY_SERVICE_IDLE=5 "$ROUNDTRIP" "$TMP/rt" 2 >"$TMP/roundtrip" || die "service_bench failed"
RT_PID=$(cat "$TMP/rt/run/bgcopyd.sock.pid" 2>/dev/null || true)
if [ -n "$RT_PID" ]; then
    kill "$RT_PID" 2>/dev/null || true
fi

# ---- results ------------------------------------------------------------------------------------

python3 - "$ROWS" "$SIZE" "$RUNS" "$ORDERS" "$TMP/roundtrip" "$RESULTS" <<'EOF'
import statistics, subprocess, sys
rows_path, size, runs, orders, rt_path, out = sys.argv[1:7]
size = int(size)
rows = [l.rstrip("\n").split("\t") for l in open(rows_path)]
def col(mode, i):
    return [float(r[i]) for r in rows if r[0] == mode]
def extra(mode, k):
    return [float(r[6].split()[k]) for r in rows if r[0] == mode and r[6]]
def fmt(v, p=2):
    return f"{statistics.median(v):.{p}f} ({min(v):.{p}f}-{max(v):.{p}f})"
gib = size / 2**30
lines = []
cpu = lambda m: [(float(r[3]) + float(r[4]) + float(r[5])) / gib for r in rows if r[0] == m]
mbs = lambda m: [size / 1e6 / w for w in col(m, 2)]
host = subprocess.run(["uname", "-srm"], capture_output=True, text=True).stdout.strip()
cpus = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
load = open("/proc/loadavg").read().split()[:3]
lines.append("# bgcopyd: the service path against in-process\n")
lines.append("Written by `bench/service_bench.sh` (`make bench-service`); medians of "
             f"{runs} runs with min-max in parentheses. Host: {host}, {cpus} CPUs, load average "
             f"{' '.join(load)} at the end.\n")
lines.append(f"## Download: {size} bytes from nginx on 127.0.0.1\n")
lines.append("| path | wall s | MB/s | to JobTransferred s | Complete s | CPU s/GiB (client + service) |")
lines.append("|---|---|---|---|---|---|")
for m in ("in-process", "service"):
    lines.append(f"| {m} | {fmt(col(m, 2))} | {fmt(mbs(m), 0)} | {fmt(extra(m, 0))} | "
                 f"{fmt(extra(m, 1))} | {fmt(cpu(m))} |")
svc_cpu = [float(r[5]) / gib for r in rows if r[0] == "service"]
cli_cpu = [(float(r[3]) + float(r[4])) / gib for r in rows if r[0] == "service"]
lines.append("")
lines.append(f"Service path CPU split: client {fmt(cli_cpu)} s/GiB, bgcopyd {fmt(svc_cpu)} s/GiB. "
             f"Ratio of medians service / in-process: wall "
             f"{statistics.median(col('service', 2)) / statistics.median(col('in-process', 2)):.3f}, "
             f"CPU {statistics.median(cpu('service')) / statistics.median(cpu('in-process')):.3f}. "
             f"Run orders: {orders}.\n")
lines.append("## API round trips (`service_bench`, 2 s each)\n")
lines.append("```")
lines.extend(l.rstrip("\n") for l in open(rt_path))
lines.append("```")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
