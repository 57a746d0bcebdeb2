#!/usr/bin/env python3
"""tests/examples/queue-and-collect.py - runs examples/queue-and-collect against a real server.

ctest example_queue-and-collect calls it as

    queue-and-collect.py --example PATH --testserver PATH

in a scratch directory. bgcopyd is taken from beside bgcopy-testserver (BGCOPY_SERVICE_PROGRAM);
the service's socket (XDG_RUNTIME_DIR) and state directory (BGCOPY_STATE_DIR) are fresh
directories here, so no other service or store is touched. It starts bgcopy-testserver on
127.0.0.1 paced at 2 MB/s and checks:

1. `queue URL LOCAL` exits 0 at once (well before the 4 MiB body could have arrived) printing a
   {GUID}, and LOCAL does not exist yet;
2. the queuing process is gone while the job goes on in bgcopyd: `collect GUID`, a new process,
   exits 0 with "TRANSFERRED; Complete: 0x00000000 S_OK", LOCAL holds exactly the served
   bytes, and no BIT*.tmp file is left;
3. `queue` of a URL the server answers 404, then `collect`: exit 1, the error line names
   0x80190194 and context 5 (remote file), and neither the file nor a temporary file exists.

bgcopyd is stopped by the pid it wrote beside its socket, and the server by its pid; both must
have run. Exit status 0 on success.
"""

import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time

SIZE = 4 << 20
SEED = 3


def expected_bytes():
    """The /gen pattern of bgcopy-testserver: byte i is (i * 131 + seed * 7 + 7) & 0xFF."""
    period = bytes((i * 131 + SEED * 7 + 7) & 0xFF for i in range(256))
    return period * (SIZE // 256)


def fail(msg, output=""):
    sys.stderr.write(output)
    sys.stderr.write("queue-and-collect.py: FAIL: %s\n" % msg)
    sys.exit(1)


def fresh(name):
    path = os.path.abspath(name)
    shutil.rmtree(path, ignore_errors=True)
    os.mkdir(path, 0o700)
    return path


def run(example, env, *args):
    proc = subprocess.run([example] + list(args), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=90)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def stop_service(runtime):
    for pidfile in glob.glob(os.path.join(runtime, "bgcopy", "*.pid")):
        try:
            pid = int(open(pidfile).read().split()[0])
            os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError, IndexError):
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--example", required=True)
    ap.add_argument("--testserver", required=True)
    args = ap.parse_args()

    env = dict(os.environ)
    runtime = fresh("runtime")
    env["XDG_RUNTIME_DIR"] = runtime
    env["BGCOPY_STATE_DIR"] = fresh("state")
    env["BGCOPY_SERVICE_PROGRAM"] = os.path.join(os.path.dirname(args.testserver), "bgcopyd")
    env["BGCOPY_SERVICE_IDLE"] = "30"
    env.pop("BGCOPY_SERVICE_SOCKET", None)
    outdir = fresh("downloads")

    server = subprocess.Popen([args.testserver, "--port", "0", "--path", "/gen/",
                               "--rate", "2000000"], stdout=subprocess.PIPE)
    try:
        line = server.stdout.readline().decode()
        if not line.startswith("listening 127.0.0.1:"):
            fail("bgcopy-testserver did not start: %r" % line)
        base = "http://127.0.0.1:%d" % int(line.rsplit(":", 1)[1])

        # 1. Queue and exit.
        local = os.path.join(outdir, "blob.bin")
        started = time.monotonic()
        rc, out = run(args.example, env, "queue", "%s/gen/4m?seed=%d" % (base, SEED), local)
        took = time.monotonic() - started
        sys.stdout.write(out)
        guid = out.strip()
        if rc != 0 or not re.fullmatch(r"\{[0-9a-f-]{36}\}", guid):
            fail("queue: exit %d, output %r" % (rc, out), out)
        if os.path.exists(local):
            fail("%s exists before Complete" % local)
        if took >= SIZE / 2000000.0:
            print("note: queue took %.2f s (slow machine)" % took)

        # 2. Collect from a new process.
        rc, out = run(args.example, env, "collect", guid)
        sys.stdout.write(out)
        if rc != 0 or "TRANSFERRED; Complete: 0x00000000 S_OK" not in out:
            fail("collect: exit %d" % rc, out)
        with open(local, "rb") as f:
            if f.read() != expected_bytes():
                fail("%s does not hold the served bytes" % local)

        # 3. A job the server refuses.
        bad = os.path.join(outdir, "missing.bin")
        rc, out = run(args.example, env, "queue", "%s/missing" % base, bad)
        sys.stdout.write(out)
        if rc != 0:
            fail("queue of the 404 URL: exit %d" % rc, out)
        rc, out = run(args.example, env, "collect", out.strip())
        sys.stdout.write(out)
        if rc != 1 or "ERROR: 0x80190194" not in out or "context 5" not in out:
            fail("collect of the 404 job: exit %d" % rc, out)
        if os.path.exists(bad):
            fail("%s exists after a failed download" % bad)
        leftovers = glob.glob(os.path.join(outdir, "BIT*.tmp"))
        if leftovers:
            fail("temporary files left: %s" % leftovers)
        if not glob.glob(os.path.join(runtime, "bgcopy", "*.pid")):
            fail("no bgcopyd pid file under %s: was the service used?" % runtime)
    finally:
        stop_service(runtime)
        server.send_signal(signal.SIGTERM)
        status = server.wait(timeout=10)
    if status != 0:
        fail("bgcopy-testserver exited with %d" % status)
    print("queue-and-collect.py: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
