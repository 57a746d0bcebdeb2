#!/bin/sh
# scripts/demo.sh - the main job of `make demo`: a multi-file download with the bgcopy command
# line from a local test server, with its progress bar and a notification command line, then
# the downloaded files' SHA-256 sums next to the served files' sums.
#
# Everything lives under $BUILD_DIR/demo (default build/demo), recreated on every run: the
# served files (www/), the downloads (downloads/), the job store (state/, BGCOPY_STATE_DIR), the
# socket of the demo's own bgcopyd (service/, BGCOPY_SERVICE_SOCKET: bgcopy starts it on demand)
# and the notification log - so the user's own service and store are never touched.
# bgcopy-testserver listens on 127.0.0.1 only (port chosen by the kernel), paces each file at
# DEMO_RATE bytes per second (default 8 MB/s) so the progress is visible. The server and the
# demo's bgcopyd (by the pid file beside its socket) are stopped when the script ends, however
# it ends. Exit status: 0 when every sum matches.
set -eu

BUILD_DIR=${BUILD_DIR:-build}
DEMO_RATE=${DEMO_RATE:-8000000}
root=$(cd "$(dirname "$0")/.." && pwd)
case "$BUILD_DIR" in
/*) build=$BUILD_DIR ;;
*) build=$root/$BUILD_DIR ;;
esac
bgcopy=$build/bin/bgcopy
server=$build/bin/bgcopy-testserver
demo=$build/demo

for tool in "$bgcopy" "$server"; do
    if [ ! -x "$tool" ]; then
        echo "demo.sh: $tool is missing; run 'make build' first" >&2
        exit 1
    fi
done

# A service still running from an interrupted earlier demo goes first.
if [ -f "$demo/service/bgcopyd.sock.pid" ]; then
    kill "$(cat "$demo/service/bgcopyd.sock.pid")" 2>/dev/null || true
    sleep 0.5
fi
rm -rf "$demo"
mkdir -p "$demo/www" "$demo/downloads" "$demo/service"
chmod 700 "$demo/service"
BGCOPY_STATE_DIR=$demo/state
BGCOPY_SERVICE_SOCKET=$demo/service/bgcopyd.sock
export BGCOPY_STATE_DIR BGCOPY_SERVICE_SOCKET

# Three files to serve: random bytes, so a wrong byte anywhere changes the sum.
head -c 25165824 /dev/urandom >"$demo/www/dataset.bin"
head -c 6291456 /dev/urandom >"$demo/www/model.bin"
head -c 716800 /dev/urandom >"$demo/www/notes.bin"

server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ -f "$BGCOPY_SERVICE_SOCKET.pid" ]; then
        kill "$(cat "$BGCOPY_SERVICE_SOCKET.pid")" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$server" --port 0 --root "$demo/www" --rate "$DEMO_RATE" >"$demo/server.out" \
    2>"$demo/server.err" &
server_pid=$!
port=""
tries=0
while [ -z "$port" ]; do
    line=$(head -n 1 "$demo/server.out" 2>/dev/null || true)
    case "$line" in
    "listening 127.0.0.1:"*) port=${line##*:} ;;
    esac
    if [ -z "$port" ]; then
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ] || ! kill -0 "$server_pid" 2>/dev/null; then
            echo "demo.sh: bgcopy-testserver did not start:" >&2
            cat "$demo/server.err" >&2
            exit 1
        fi
        sleep 0.1
    fi
done
url=http://127.0.0.1:$port

echo "== bgcopy-testserver (pid $server_pid) serves $demo/www on $url"
echo "== bgcopy /transfer of three files, with a notification command line"
echo
# The job runs in the demo's bgcopyd, which bgcopy starts on demand. Its notification program
# runs (without a shell) when the job is TRANSFERRED and completes the job itself, as BITS
# expects; bgcopy puts the job's {GUID} where %JOBID% stands.
"$bgcopy" /transfer demo /priority FOREGROUND \
    /notifycmdline /bin/sh \
    "/bin/sh \"$root/scripts/demo-notify.sh\" \"$demo/notify.log\" \"$bgcopy\" %JOBID%" \
    "$url/dataset.bin" "$demo/downloads/dataset.bin" \
    "$url/model.bin" "$demo/downloads/model.bin" \
    "$url/notes.bin" "$demo/downloads/notes.bin"

echo
echo "== the notification command line ran:"
cat "$demo/notify.log"
echo
echo "== SHA-256 of the downloads next to the server's files:"
status=0
for f in dataset.bin model.bin notes.bin; do
    mine=$(sha256sum "$demo/downloads/$f" | cut -d' ' -f1)
    theirs=$(sha256sum "$demo/www/$f" | cut -d' ' -f1)
    if [ "$mine" = "$theirs" ]; then
        verdict=same
    else
        verdict=DIFFERENT
        status=1
    fi
    printf '%-12s downloaded %s\n%-12s served     %s  %s\n' "$f" "$mine" "" "$theirs" "$verdict"
done
echo
"$bgcopy" /list
exit $status
