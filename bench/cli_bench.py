#!/usr/bin/env python3
"""bench/cli_bench.py - cost of the bgcopy command line; run by `make bench-cli`, results in
bench/results-cli.md.

Measures, with wall-clock time around each process (time.perf_counter):
  1. start-to-exit of `bgcopy /list` on a state directory with 0 jobs and with 100 jobs (each
     with one file), RUNS_LIST runs each (default 21): median and min-max. bgcopy talks to the
     service bgcopyd: each state directory gets its own service (BGCOPY_SERVICE_SOCKET), already
     running when the timed runs start (as it is for a user who has jobs); the first /list,
     which starts the service and opens its store, is reported apart ("cold");
  2. `bgcopy /transfer` of a 100 MiB random file (on /dev/shm) from nginx on 127.0.0.1 against
     `curl -s -o`, and `curl -s -o` followed by `sync FILE` (the durability Complete gives, since
     Complete fsyncs the file and its directory): RUNS (default 5) runs of each, interleaved,
     `sync` before every run; every download is checked byte for byte.
nginx (one worker, sendfile) is started here with a temporary configuration and stopped by pid
at the end, and so is every bgcopyd (by the pid file beside its socket). Everything lives under
$BUILD_DIR/bench-cli. Standard library only.

Environment: BUILD_DIR (build), RUNS (5), RUNS_LIST (21), BENCH_SIZE (104857600),
RESULTS (bench/results-cli.md), NGINX (nginx in PATH, else /usr/sbin/nginx).
"""

import filecmp
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("BUILD_DIR", "build"))
RUNS = int(os.environ.get("RUNS", "5"))
RUNS_LIST = int(os.environ.get("RUNS_LIST", "21"))
SIZE = int(os.environ.get("BENCH_SIZE", str(100 << 20)))
RESULTS = os.path.join(ROOT, os.environ.get("RESULTS", "bench/results-cli.md"))
NGINX = os.environ.get("NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
BGCOPY = os.path.join(BUILD, "bin", "bgcopy")


def timed(argv, env=None):
    t = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit("cli_bench: %s failed (%d): %s" % (argv, p.returncode, p.stderr.decode()))
    return dt


def summary(xs, unit=1000.0, fmt="%.1f"):
    return (fmt + " (" + fmt + "-" + fmt + ")") % (statistics.median(xs) * unit, min(xs) * unit,
                                                    max(xs) * unit)


def stop_service(sock):
    """Stops the bgcopyd serving sock, by the pid it wrote beside the socket."""
    try:
        with open(sock + ".pid") as f:
            pid = int(f.read().strip())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    for _ in range(200):
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except OSError:
            return
        time.sleep(0.05)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    for tool in (BGCOPY, NGINX):
        if not os.access(tool, os.X_OK):
            sys.exit("cli_bench: %s not found (make build; nginx comes from scripts/deps.sh)" % tool)
    if not shutil.which("curl"):
        sys.exit("cli_bench: curl not found")
    work = os.path.join(BUILD, "bench-cli")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    env = dict(os.environ)

    # 1. /list start to exit.
    lists, cold, sockets = {}, {}, []
    for njobs in (0, 100):
        env["BGCOPY_STATE_DIR"] = os.path.join(work, "state-%d" % njobs)
        sockdir = os.path.join(work, "svc-%d" % njobs)
        os.mkdir(sockdir, 0o700)
        env["BGCOPY_SERVICE_SOCKET"] = os.path.join(sockdir, "bgcopyd.sock")
        sockets.append(env["BGCOPY_SERVICE_SOCKET"])
        for i in range(njobs):
            guid = subprocess.run([BGCOPY, "/rawreturn", "/create", "job%d" % i], env=env,
                                  capture_output=True, check=True).stdout.decode()
            subprocess.run([BGCOPY, "/addfile", guid, "http://127.0.0.1:9/f%d" % i,
                            os.path.join(work, "f%d" % i)], env=env, check=True,
                           stdout=subprocess.DEVNULL)
        stop_service(env["BGCOPY_SERVICE_SOCKET"])  # the cold run starts it and loads the store
        cold[njobs] = timed([BGCOPY, "/list"], env)
        lists[njobs] = [timed([BGCOPY, "/list"], env) for _ in range(RUNS_LIST)]
        stop_service(env["BGCOPY_SERVICE_SOCKET"])

    # 2. /transfer against curl.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else work
    srv = os.path.join(shm, "bgcopy-cli-bench-%d" % os.getpid())
    os.makedirs(os.path.join(srv, "www"))
    src = os.path.join(srv, "www", "big.bin")
    with open(src, "wb") as f:
        left = SIZE
        while left:
            n = min(left, 1 << 20)
            f.write(os.urandom(n))
            left -= n
    port = free_port()
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write("daemon off;\nmaster_process off;\nworker_processes 1;\n"
                "error_log %s/err.log;\npid %s/nginx.pid;\nevents { worker_connections 64; }\n"
                "http { access_log off; sendfile on; client_body_temp_path %s/cb; "
                "proxy_temp_path %s/px; fastcgi_temp_path %s/fc; uwsgi_temp_path %s/uw; "
                "scgi_temp_path %s/sc; default_type application/octet-stream;\n"
                "  server { listen 127.0.0.1:%d; root %s/www; } }\n"
                % (work, work, work, work, work, work, work, port, srv))
    nginx = subprocess.Popen([NGINX, "-p", work, "-c", conf], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    results = {"bgcopy /transfer": [], "curl -o": [], "curl -o + sync": []}
    try:
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.02)
        url = "http://127.0.0.1:%d/big.bin" % port
        env["BGCOPY_STATE_DIR"] = os.path.join(work, "state-transfer")
        os.mkdir(os.path.join(work, "svc-transfer"), 0o700)
        env["BGCOPY_SERVICE_SOCKET"] = os.path.join(work, "svc-transfer", "bgcopyd.sock")
        sockets.append(env["BGCOPY_SERVICE_SOCKET"])
        timed([BGCOPY, "/list"], env)  # the service is up before the first timed run
        dest = os.path.join(work, "out.bin")
        for r in range(RUNS):
            for name in results:
                if os.path.exists(dest):
                    os.unlink(dest)
                subprocess.run(["sync"])
                if name == "bgcopy /transfer":
                    dt = timed([BGCOPY, "/transfer", "bench", "/priority", "FOREGROUND", url,
                                dest], env)
                elif name == "curl -o":
                    dt = timed(["curl", "-s", "-o", dest, url])
                else:
                    t = time.perf_counter()
                    subprocess.run(["curl", "-s", "-o", dest, url], check=True)
                    subprocess.run(["sync", dest], check=True)
                    dt = time.perf_counter() - t
                if os.path.getsize(dest) != SIZE or (r == 0 and not filecmp.cmp(src, dest, False)):
                    sys.exit("cli_bench: %s produced a wrong file" % name)
                results[name].append(dt)
    finally:
        for sock in sockets:
            stop_service(sock)
        if nginx.poll() is None:
            os.kill(nginx.pid, signal.SIGTERM)
            nginx.wait(timeout=10)
        shutil.rmtree(srv, ignore_errors=True)

    mib = SIZE / (1 << 20)
    out = ["# bgcopy command line: measured cost", "",
           "`make bench-cli` (bench/cli_bench.py) on this machine (%d CPUs), %s." %
           (os.cpu_count(), time.strftime("%Y-%m-%d")), "",
           "## Start to exit of `bgcopy /list`", "",
           "Wall time in ms, median (min-max) of %d runs, with the user's bgcopyd running; "
           "cold: the one run that started the service (which opens the store)." % RUNS_LIST, "",
           "| jobs in the store | bgcopy /list | cold (service started) |", "|---|---|---|"]
    for njobs in (0, 100):
        out.append("| %d | %s | %.1f |" % (njobs, summary(lists[njobs]), cold[njobs] * 1000))
    out += ["", "## `bgcopy /transfer` of %.0f MiB from nginx on 127.0.0.1" % mib, "",
            "Wall time in ms, median (min-max) of %d interleaved runs; the file is on tmpfs, the "
            "download on disk. /transfer includes creating the job in the running service, "
            "polling it every 20 ms and Complete, which fsyncs the file and its directory; curl does not fsync, so curl + "
            "sync shows the same durability." % RUNS, "",
            "| client | wall ms | MB/s (median) |", "|---|---|---|"]
    for name, xs in results.items():
        out.append("| %s | %s | %.0f |" % (name, summary(xs), SIZE / statistics.median(xs) / 1e6))
    ratio = statistics.median(results["bgcopy /transfer"]) / statistics.median(results["curl -o"])
    ratio_sync = statistics.median(results["bgcopy /transfer"]) / statistics.median(
        results["curl -o + sync"])
    out += ["", "bgcopy /transfer / curl -o = %.2f; bgcopy /transfer / (curl -o + sync) = %.2f." %
            (ratio, ratio_sync), ""]
    text = "\n".join(out)
    with open(RESULTS, "w") as f:
        f.write(text)
    print(text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
