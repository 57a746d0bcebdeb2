# shellcheck shell=bash
# bench/lib.sh - shell helpers shared by the benchmark scripts (bash; sourced, not run).
#
# The scripts record every measurement as one row of $RAW, a tab-separated file:
#   section  subject  run  metric  value
# (bench/report.py turns those rows into bench/results.md) and facts about the setup as
# "key<TAB>text" lines of $META. Servers are started on 127.0.0.1 by the functions below and
# stopped by pid (stop_servers, called from the scripts' EXIT trap).
#
# Needs: $WORK (a scratch directory on tmpfs), $RAW, $META, $BUILD_DIR. Provides:
#   die MSG                 message on stderr, exit 1
#   say MSG                 progress message on stderr
#   meta KEY TEXT           a setup fact
#   row SECTION SUBJECT RUN METRIC VALUE
#   kv_rows SECTION SUBJECT RUN   rows from "key=value key=value" on stdin (numeric values)
#   timed OUT CMD...        runs CMD under GNU time; OUT gets "wall user sys maxrss_kib"
#   start_nginx ROOT        nginx (one worker, sendfile) serving ROOT on a free port:
#                           NGINX_PORT, NGINX_PID
#   start_testserver        bgcopy-testserver on a free port: TS_PORT, TS_PID
#   stop_servers            stops whatever the two above started
#   shuffled WORD...        the words in a random order, on one line

GNU_TIME=${GNU_TIME:-/usr/bin/time}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
SERVER_PIDS=""

die() {
    echo "bench: $*" >&2
    exit 1
}

say() {
    echo "bench: $*" >&2
}

meta() {
    printf '%s\t%s\n' "$1" "$2" >>"$META"
}

row() {
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$RAW"
}

kv_rows() {
    local section=$1 subject=$2 run=$3 kv
    local -a kvs
    read -r -a kvs || true
    for kv in "${kvs[@]}"; do
        case ${kv#*=} in
        '' | *[!0-9.eE+-]*) ;; # not a number: left out
        *) row "$section" "$subject" "$run" "${kv%%=*}" "${kv#*=}" ;;
        esac
    done
}

timed() {
    local out=$1
    shift
    "$GNU_TIME" -f '%e %U %S %M' -o "$out" "$@"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_nginx() {
    local root=$1 dir
    dir=$(mktemp -d "$WORK/nginx.XXXXXX")
    NGINX_PORT=$(free_port)
    cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 4096;
error_log $dir/error.log;
pid $dir/nginx.pid;
events { worker_connections 2048; }
http {
    access_log off;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    default_type application/octet-stream;
    sendfile on;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        root $root;
    }
}
EOF
    "$NGINX" -p "$dir" -c "$dir/nginx.conf" &
    NGINX_PID=$!
    SERVER_PIDS="$SERVER_PIDS $NGINX_PID"
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/" && return 0
        sleep 0.1
    done
    die "nginx did not start (see $dir/error.log)"
}

start_testserver() {
    local out
    out=$(mktemp "$WORK/testserver.XXXXXX")
    "$BUILD_DIR/bin/bgcopy-testserver" --port 0 >"$out" 2>"$out.err" &
    TS_PID=$!
    SERVER_PIDS="$SERVER_PIDS $TS_PID"
    for _ in $(seq 100); do
        grep -q '^listening' "$out" 2>/dev/null && break
        sleep 0.1
    done
    TS_PORT=$(sed -n 's/^listening 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$out")
    [ -n "$TS_PORT" ] || die "bgcopy-testserver did not start: $(cat "$out.err")"
}

stop_servers() {
    local pid
    for pid in $SERVER_PIDS; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    SERVER_PIDS=""
}

# The words given in a random order, on one line (the order clients run in a round).
shuffled() {
    printf '%s\n' "$@" | shuf | tr '\n' ' ' | sed 's/ $//'
}
