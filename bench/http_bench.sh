#!/usr/bin/env bash
# bench/http_bench.sh - download throughput and CPU cost of bgcopy against curl and wget2, and
# the bytes re-fetched after an interruption; run by `make bench-http`, results in
# bench/results-http.md.
#
# Throughput: a 1 GiB file of random bytes on tmpfs (/dev/shm) is served by nginx (one worker,
# sendfile, started here with a temporary configuration on 127.0.0.1 and stopped at the end) and
# downloaded into a file on disk under $BUILD_DIR/bench-http by
#   bgcopy  $BUILD_DIR/bin/download_bench: the library API (FOREGROUND job, Resume, wait for
#           JobTransferred, Complete; Complete fsyncs the file and renames it into place)
#   curl    curl -s -o FILE URL
#   wget2   wget2 -q -O FILE URL (when installed; as root the script installs it with apt-get;
#           scripts/deps.sh does not, `make test` does not need it)
#   curl+sync  curl -s -o FILE URL, then `sync FILE` (fsync): the durability Complete gives;
#           shown for reference, not counted as a peer
# RUNS runs (default 5) of each, interleaved, in a random order every round (on a small VM
# the run before changes the figures: how it left the page cache and free memory), `sync`
# before each so no run pays for the previous one's writeback. Each run is timed by /usr/bin/time (wall,
# user and sys seconds of the process and its threads); the output is checked for size each
# run and compared byte for byte with the source on the first. Reported: median and min-max of
# wall time, MB/s (10^6 bytes/s) and CPU seconds (user+sys) per GiB, and bgcopy's ratios to the
# fastest peer. bgcopy is also reported up to JobTransferred (without Complete's fsync), since
# curl and wget2 do not fsync.
#
# Interruption: bgcopy-testserver serves /gen/1g and resets the first GET after 512 MiB
# (reset_after=536870912); download_bench --resume-on-transient Resumes as soon as the job is in
# TRANSIENT_ERROR. From the server's request log: bytes requested (Range lengths) and bytes sent
# after the failure, minus the bytes that were still missing = bytes re-fetched (expect 0).
#
# Environment: BUILD_DIR (default build), RUNS (5), BENCH_SIZE (bytes, default 1073741824; a
# smaller value makes a quick trial run), RESULTS (default bench/results-http.md), NGINX
# (default nginx in PATH or /usr/sbin/nginx). Installs nothing except wget2 as described.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
RUNS=${RUNS:-5}
SIZE=${BENCH_SIZE:-1073741824}
RESULTS=${RESULTS:-bench/results-http.md}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
DRIVER=$BUILD_DIR/bin/download_bench
TESTSERVER=$BUILD_DIR/bin/bgcopy-testserver
TIME=/usr/bin/time

die() {
    echo "http_bench: $*" >&2
    exit 1
}

for tool in "$NGINX" "$TIME" "$DRIVER" "$TESTSERVER"; do
    [ -x "$tool" ] || die "$tool not found (run make build; nginx comes from scripts/deps.sh)"
done
command -v curl >/dev/null || die "curl not found"
command -v python3 >/dev/null || die "python3 not found"

if ! command -v wget2 >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "http_bench: installing wget2 (for this benchmark only)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wget2 >&2 ||
            echo "http_bench: could not install wget2; measuring without it" >&2
    else
        echo "http_bench: wget2 not installed (and not root): measuring without it" >&2
    fi
fi
HAVE_WGET2=0
command -v wget2 >/dev/null 2>&1 && HAVE_WGET2=1

TMP=$(mktemp -d /dev/shm/bgcopy-bench.XXXXXX)
OUT_DIR=$BUILD_DIR/bench-http
mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
OUT=$OUT_DIR/download.bin
NGINX_PID=""
TS_PID=""

cleanup() {
    for pid in $NGINX_PID $TS_PID; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
    rm -f "$OUT" "$OUT_DIR"/interrupted.bin
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- the source file and nginx ------------------------------------------------------------

mkdir -p "$TMP/www"
echo "http_bench: writing $SIZE random bytes to $TMP/www/file.bin" >&2
head -c "$SIZE" /dev/urandom >"$TMP/www/file.bin"

PORT=$(free_port)
cat >"$TMP/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log $TMP/error.log;
pid $TMP/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $TMP/client_body;
    proxy_temp_path $TMP/proxy;
    fastcgi_temp_path $TMP/fastcgi;
    uwsgi_temp_path $TMP/uwsgi;
    scgi_temp_path $TMP/scgi;
    default_type application/octet-stream;
    sendfile on;
    server {
        listen 127.0.0.1:$PORT;
        root $TMP/www;
    }
}
EOF
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" &
NGINX_PID=$!
URL=http://127.0.0.1:$PORT/file.bin
for _ in $(seq 100); do
    curl -sf -o /dev/null -r 0-0 "$URL" && break
    sleep 0.1
done
curl -sf -o /dev/null -r 0-0 "$URL" || die "nginx did not start (see $TMP/error.log)"

# ---- throughput runs ------------------------------------------------------------------------

CLIENTS="bgcopy curl"
[ "$HAVE_WGET2" -eq 1 ] && CLIENTS="$CLIENTS wget2"
CLIENTS="$CLIENTS curl+sync"
ROWS=$TMP/rows.tsv
: >"$ROWS"

run_client() { # client run
    local client=$1 run=$2 extra=""
    rm -f "$OUT"
    sync
    case $client in
    bgcopy) $TIME -f '%e %U %S' -o "$TMP/time" "$DRIVER" "$URL" "$OUT" >"$TMP/driver" ;;
    curl) $TIME -f '%e %U %S' -o "$TMP/time" curl -s -o "$OUT" "$URL" ;;
    wget2) $TIME -f '%e %U %S' -o "$TMP/time" wget2 -q -O "$OUT" "$URL" ;;
    curl+sync) $TIME -f '%e %U %S' -o "$TMP/time" sh -c 'curl -s -o "$1" "$2" && sync "$1"' sh "$OUT" "$URL" ;;
    esac
    [ "$(stat -c %s "$OUT")" -eq "$SIZE" ] || die "$client run $run: wrong size"
    if [ "$run" -eq 1 ]; then
        cmp -s "$OUT" "$TMP/www/file.bin" || die "$client run $run: output differs from the source"
    fi
    if [ "$client" = bgcopy ]; then
        extra=$(sed -n 's/.*transferred_s=\([0-9.]*\) complete_s=\([0-9.]*\).*/\1 \2/p' "$TMP/driver")
    fi
    read -r wall user sys <"$TMP/time"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$client" "$run" "$wall" "$user" "$sys" "$extra" >>"$ROWS"
    echo "http_bench: run $run $client: ${wall}s wall, ${user}s user, ${sys}s sys $extra" >&2
}

ORDERS=""
for run in $(seq "$RUNS"); do
    order=$(printf '%s\n' $CLIENTS | shuf | tr '\n' ' ')
    ORDERS="$ORDERS${ORDERS:+; }${order% }"
    for client in $order; do
        run_client "$client" "$run"
    done
done
rm -f "$OUT"
kill "$NGINX_PID" && wait "$NGINX_PID" 2>/dev/null || true
NGINX_PID=""

# ---- bytes re-fetched after an interruption at 50 % -----------------------------------------

"$TESTSERVER" --port 0 >"$TMP/ts.out" 2>"$TMP/ts.err" &
TS_PID=$!
for _ in $(seq 100); do
    grep -q '^listening' "$TMP/ts.out" 2>/dev/null && break
    sleep 0.1
done
TS_PORT=$(sed -n 's/^listening 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$TMP/ts.out")
[ -n "$TS_PORT" ] || die "bgcopy-testserver did not start"
HALF=$((SIZE / 2))
curl -sf -o /dev/null -d "reset_after=$HALF" -d method=GET -d count=1 "http://127.0.0.1:$TS_PORT/_control"
"$DRIVER" --resume-on-transient "http://127.0.0.1:$TS_PORT/gen/$SIZE" "$OUT_DIR/interrupted.bin" \
    >"$TMP/interrupt" 2>"$TMP/interrupt.err" || die "interrupted download failed: $(cat "$TMP/interrupt.err")"
curl -sf -o "$TMP/log.json" "http://127.0.0.1:$TS_PORT/_log"
python3 - "$OUT_DIR/interrupted.bin" "$SIZE" <<'EOF' || die "interrupted download: wrong content"
import sys
path, size = sys.argv[1], int(sys.argv[2])
pattern = bytes((i * 131 + 7) & 0xFF for i in range(256)) * 4096  # seed 0, 1 MiB
with open(path, "rb") as f:
    at = 0
    while True:
        b = f.read(len(pattern))
        if not b:
            break
        if b != pattern[:len(b)]:
            sys.exit(1)
        at += len(b)
sys.exit(0 if at == size else 1)
EOF
rm -f "$OUT_DIR/interrupted.bin"
kill "$TS_PID" && wait "$TS_PID" 2>/dev/null || true
TS_PID=""

# ---- the report ------------------------------------------------------------------------------

MACHINE="$(nproc) vCPU ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, kernel $(uname -r)"
VERSIONS="nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), $(curl --version | head -1 | cut -d' ' -f1-2)"
[ "$HAVE_WGET2" -eq 1 ] && VERSIONS="$VERSIONS, $(wget2 --version 2>/dev/null | head -1 | awk '{print $2, $3}')"
DISK=$(df -hT "$OUT_DIR" | awk 'NR == 2 {print $2 " on " $1}')

python3 - "$ROWS" "$TMP/log.json" "$TMP/interrupt" "$SIZE" "$RUNS" "$RESULTS" "$MACHINE" \
    "$VERSIONS" "$DISK" "$HAVE_WGET2" "$ORDERS" <<'EOF'
import datetime, json, statistics, sys

(rows_path, log_path, interrupt_path, size, runs, results, machine, versions, disk, wget2,
 orders) = sys.argv[1:]
size, runs = int(size), int(runs)
gib = size / 2**30

data = {}
for line in open(rows_path):
    f = line.rstrip("\n").split("\t")
    client, wall, user, sys_ = f[0], float(f[2]), float(f[3]), float(f[4])
    d = data.setdefault(client, {"wall": [], "cpu": [], "xfer": [], "complete": []})
    d["wall"].append(wall)
    d["cpu"].append((user + sys_) / gib)
    if client == "bgcopy" and f[5]:
        x, c = f[5].split()
        d["xfer"].append(float(x))
        d["complete"].append(float(c))

def fig(values, fmt="{:.2f}"):
    return "{} ({}–{})".format(fmt.format(statistics.median(values)), fmt.format(min(values)),
                               fmt.format(max(values)))

def mbs(times):
    return [size / 1e6 / t for t in times]

out = []
out.append("# HTTP download benchmark\n")
out.append("Generated by `make bench-http` (bench/http_bench.sh) on {}.\n".format(
    datetime.datetime.now().strftime("%Y-%m-%d %H:%M %Z").strip()))
out.append("- Machine: {}".format(machine))
out.append("- Software: {}".format(versions))
out.append("- Setup: a {:.0f} MiB file of random bytes on tmpfs served by nginx (one worker, "
           "sendfile) on 127.0.0.1, downloaded into a file on disk ({}); {} runs of each "
           "client, interleaved in a random order every round ({}), `sync` before each run. "
           "Figures: median (min–max).\n".format(
               size / 2**20, disk, runs, orders))
out.append("| client | wall time, s | MB/s | CPU s per GiB (user+sys) |")
out.append("|---|---|---|---|")
labels = {"bgcopy": "bgcopy (library API, through Complete incl. fsync)",
          "curl": "`curl -s -o`", "wget2": "`wget2 -q -O`",
          "curl+sync": "`curl -s -o` + `sync FILE` (reference: same durability as Complete)"}
for c in ["bgcopy", "curl", "wget2", "curl+sync"]:
    if c in data:
        d = data[c]
        out.append("| {} | {} | {} | {} |".format(labels[c], fig(d["wall"]), fig(mbs(d["wall"]), "{:.0f}"),
                                                 fig(d["cpu"])))
b = data["bgcopy"]
if b["xfer"]:
    out.append("| bgcopy, Resume → JobTransferred (no fsync) | {} | {} | – |".format(
        fig(b["xfer"]), fig(mbs(b["xfer"]), "{:.0f}")))
    out.append("| bgcopy, Complete alone (fsync + rename) | {} | – | – |".format(fig(b["complete"])))
out.append("")
peers = [c for c in ("curl", "wget2") if c in data]
fastest = min(peers, key=lambda c: statistics.median(data[c]["wall"]))
fw = statistics.median(data[fastest]["wall"])
fc = statistics.median(data[fastest]["cpu"])
bw = statistics.median(b["wall"])
bc = statistics.median(b["cpu"])
out.append("Fastest peer: {} (median {:.2f} s).\n".format(fastest, fw))
out.append("- bgcopy / {} wall time: **{:.2f}×** (throughput ratio {:.2f})".format(fastest, bw / fw, fw / bw))
if b["xfer"]:
    bx = statistics.median(b["xfer"])
    out.append("- bgcopy up to JobTransferred / {} wall time: **{:.2f}×** (throughput ratio {:.2f})".format(
        fastest, bx / fw, fw / bx))
out.append("- bgcopy / {} CPU per GiB: **{:.2f}×**".format(fastest, bc / fc))
if wget2 != "1":
    out.append("- wget2 was not installed: the comparison is with curl only.")
out.append("")

# interruption
kv = dict(item.split("=", 1) for item in open(interrupt_path).read().split())
checkpoint = int(kv["checkpoint"])
entries = [json.loads(l) for l in open(log_path) if l.strip()]
gets = [e for e in entries if e["method"] == "GET"]
failed = next(i for i, e in enumerate(gets) if e["state"] == "reset")
def range_len(r):
    a, b = r.split("=", 1)[1].split("-")
    return int(b) - int(a) + 1
after = gets[failed + 1:]
requested = sum(range_len(e["range"]) for e in after if e["range"])
sent = sum(e["bytes"] for e in after)
remaining = size - checkpoint
out.append("## Bytes re-fetched after an interruption at 50 %\n")
out.append("bgcopy-testserver serving /gen/{0} resets the first GET after {1} bytes "
           "(`reset_after={1}`); the job goes to TRANSIENT_ERROR and is Resumed at once.\n".format(size, size // 2))
out.append("| | bytes |")
out.append("|---|---|")
out.append("| sent before the reset (server log) | {} |".format(gets[failed]["bytes"]))
out.append("| checkpoint (job's bytes transferred in TRANSIENT_ERROR) | {} |".format(checkpoint))
out.append("| still missing (size − checkpoint) | {} |".format(remaining))
out.append("| requested after the failure (Range lengths) | {} |".format(requested))
out.append("| sent after the failure (server log) | {} |".format(sent))
out.append("| **re-fetched** (requested − missing) | **{}** |".format(requested - remaining))
out.append("")
out.append("Requests after the failure: " + ", ".join(
    "{} {}".format(e["method"], e["range"] or "") .strip() for e in entries[entries.index(gets[failed]) + 1:]) + ".")
out.append("")
open(results, "w").write("\n".join(out) + "\n")
print("\n".join(out))
EOF
echo "http_bench: results written to $RESULTS" >&2
