#!/usr/bin/env python3
"""tests/examples/download-progress.py - runs examples/download-progress against a real server.

ctest example_download-progress (and tests/install/consumer-test.sh, with the installed copies)
call it as

    download-progress.py --example PATH --testserver PATH

in a scratch directory. It starts bgcopy-testserver on 127.0.0.1 (a free port, read from its
"listening" line), paced at 4 MB/s so the 4 MiB download takes about a second, and checks:

1. http://127.0.0.1:PORT/gen/4m?seed=7 -> exit 0, the local file holds exactly the generated
   bytes, the output shows progress part-way (0 < bytes < total) and ends with TRANSFERRED and
   "done", and no BIT*.tmp file is left;
2. http://127.0.0.1:PORT/missing -> exit 1, JobError reported BG_E_HTTP_ERROR_404
   (0x80190194), and neither the local file nor a temporary file exists.

The server is stopped by pid (SIGTERM) and must exit 0. BGCOPY_STATE_DIR points the example's
engine at a fresh directory here, so no state of another run is used. Exit status 0 on success.
"""

import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys

SIZE = 4 << 20
SEED = 7


def expected_bytes():
    """The /gen pattern of bgcopy-testserver: byte i is (i * 131 + seed * 7 + 7) & 0xFF."""
    period = bytes((i * 131 + SEED * 7 + 7) & 0xFF for i in range(256))
    return period * (SIZE // 256)


def fail(msg, output=""):
    sys.stderr.write(output)
    sys.stderr.write("download-progress.py: FAIL: %s\n" % msg)
    sys.exit(1)


def run_example(example, url, local):
    env = dict(os.environ)
    state = os.path.abspath("state")
    shutil.rmtree(state, ignore_errors=True)
    os.mkdir(state)
    env["BGCOPY_STATE_DIR"] = state
    proc = subprocess.run([example, url, local], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=90)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--example", required=True)
    ap.add_argument("--testserver", required=True)
    args = ap.parse_args()

    server = subprocess.Popen([args.testserver, "--port", "0", "--path", "/gen/",
                               "--rate", "4000000"], stdout=subprocess.PIPE)
    try:
        line = server.stdout.readline().decode()
        if not line.startswith("listening 127.0.0.1:"):
            fail("bgcopy-testserver did not start: %r" % line)
        base = "http://127.0.0.1:%d" % int(line.rsplit(":", 1)[1])
        outdir = os.path.abspath("downloads")
        shutil.rmtree(outdir, ignore_errors=True)
        os.mkdir(outdir)

        # 1. A download that succeeds.
        local = os.path.join(outdir, "blob.bin")
        rc, out = run_example(args.example, "%s/gen/4m?seed=%d" % (base, SEED), local)
        sys.stdout.write(out)
        if rc != 0:
            fail("exit status %d for a good download" % rc, out)
        with open(local, "rb") as f:
            if f.read() != expected_bytes():
                fail("%s does not hold the served bytes" % local)
        partial = [int(m.group(1)) for m in re.finditer(r"^TRANSFERRING +(\d+) / %d bytes" % SIZE,
                                                       out, re.M)]
        if not any(0 < n < SIZE for n in partial):
            fail("no progress reported part-way through the download", out)
        if not re.search(r"^TRANSFERRED +%d bytes; Complete: 0x00000000 S_OK$" % SIZE, out, re.M):
            fail("no TRANSFERRED line with Complete S_OK", out)
        if not out.rstrip().endswith("done"):
            fail("the output does not end with 'done'", out)

        # 2. A download the server refuses: JobError, job cancelled, nothing left behind.
        local = os.path.join(outdir, "missing.bin")
        rc, out = run_example(args.example, "%s/missing" % base, local)
        sys.stdout.write(out)
        if rc != 1:
            fail("exit status %d for a 404, expected 1" % rc, out)
        if "0x80190194 BG_E_HTTP_ERROR_404" not in out:
            fail("JobError did not report BG_E_HTTP_ERROR_404", out)
        if os.path.exists(local):
            fail("%s exists after a failed download" % local)
        leftovers = glob.glob(os.path.join(outdir, "BIT*.tmp"))
        if leftovers:
            fail("temporary files left: %s" % leftovers)
    finally:
        server.send_signal(signal.SIGTERM)
        status = server.wait(timeout=10)
    if status != 0:
        fail("bgcopy-testserver exited with %d" % status)
    print("download-progress.py: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
