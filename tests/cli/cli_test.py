#!/usr/bin/env python3
"""tests/cli/cli_test.py - black-box tests of the bgcopy command line.

Runs build/bin/bgcopy as a user would, against bgcopy-testserver and nginx started here on
127.0.0.1 (stopped by pid in tearDownModule, whatever happens), and checks exit statuses and
output byte for byte where bitsadmin defines it (reference 11.1): the /list line and
"Listed N job(s).", the /info /verbose layout, the /geterror block, /getstate words, the
banner and /rawreturn, --json documents (parsed), and the messages for bad input. Every test
has its own BGCOPY_STATE_DIR, so tests never share jobs and never touch the user's store.

Engine: the command line runs on the per-user service bgcopyd, started on demand by the
library (`bgcopy --version` says so); every test points BGCOPY_SERVICE_SOCKET at its own socket
(so it gets its own service on its own state directory) and stops that service by the pid file
beside the socket. The tests that wait for a queued job poll /getstate from separate processes,
as a user would.

Usage: cli_test.py --bgcopy PATH --server PATH [--nginx PATH] [unittest options]
Standard library only.
"""

import argparse
import hashlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

BGCOPY = None
SERVER_PATH = None
NGINX_PATH = None

SRV = None  # the shared bgcopy-testserver
NGINX = None  # the shared nginx (None when not installed)
WORK = None  # this run's scratch directory

GUID_RE = r"\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}"
BANNER = ["BITSADMIN version 3.0 [ bgcopy 0.1.0 ]", "BITS administration utility.",
          "(bgcopy: an emulation of BITS; not Microsoft software.)", ""]
TIME_RE = r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d\d:\d\d [AP]M"


def gen_bytes(start, length, seed=0):
    """Bytes [start, start+length) of the test server's /gen/<n>?seed=<seed>."""
    c = (seed * 7 + 7) & 0xFF
    return bytes(((i * 131) + c) & 0xFF for i in range(start, start + length))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stop_pid(proc, sig=signal.SIGTERM):
    """Stops a process we started, by pid; kills it if it does not exit."""
    if proc is None or proc.poll() is not None:
        return
    os.kill(proc.pid, sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


class TestServer:
    """bgcopy-testserver on 127.0.0.1, port read from its `listening` line."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([SERVER_PATH, "--port", "0"] + list(args),
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        if not ready:
            stop_pid(self.proc)
            raise RuntimeError("bgcopy-testserver printed nothing within 10 s")
        line = self.proc.stdout.readline().decode()
        m = re.fullmatch(r"listening 127\.0\.0\.1:(\d+)\n", line)
        if not m:
            stop_pid(self.proc)
            raise RuntimeError("unexpected first line %r" % line)
        self.port = int(m.group(1))

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def control(self, text):
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request("POST", "/_control", body=text.encode())
            r = c.getresponse()
            body = r.read()
            if r.status != 200:
                raise AssertionError("control %r: %d %s" % (text, r.status, body))
        finally:
            c.close()

    def reset(self):
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request("POST", "/_control/reset")
            c.getresponse().read()
        finally:
            c.close()

    def stop(self):
        stop_pid(self.proc)
        self.proc.stdout.close()


class Nginx:
    """nginx serving <dir>/www on a free 127.0.0.1 port, in the foreground."""

    def __init__(self, path, root):
        self.dir = root
        os.makedirs(os.path.join(root, "www"), exist_ok=True)
        for attempt in range(5):
            self.port = free_port()
            conf = os.path.join(root, "nginx.conf")
            d = root
            with open(conf, "w") as f:
                f.write(
                    "daemon off;\nmaster_process off;\nworker_processes 1;\n"
                    "error_log %s/err.log;\npid %s/nginx.pid;\n"
                    "events { worker_connections 64; }\n"
                    "http {\n"
                    "    access_log %s/access.log;\n"
                    "    client_body_temp_path %s/client_body;\n    proxy_temp_path %s/proxy;\n"
                    "    fastcgi_temp_path %s/fastcgi;\n    uwsgi_temp_path %s/uwsgi;\n"
                    "    scgi_temp_path %s/scgi;\n"
                    "    default_type application/octet-stream;\n    sendfile on;\n"
                    "    server { listen 127.0.0.1:%d; root %s/www; }\n"
                    "}\n" % (d, d, d, d, d, d, d, d, self.port, d))
            self.proc = subprocess.Popen([path, "-p", root, "-c", conf],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(1000):
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return
                except OSError:
                    if self.proc.poll() is not None:
                        break
                    time.sleep(0.01)
            stop_pid(self.proc)
        raise RuntimeError("nginx did not start")

    def url(self, name):
        return "http://127.0.0.1:%d/%s" % (self.port, name)

    def stop(self):
        stop_pid(self.proc)


def setUpModule():
    global SRV, NGINX, WORK
    WORK = tempfile.mkdtemp(prefix="cli-", dir=os.getcwd())
    p = subprocess.run([BGCOPY, "--version"], capture_output=True, text=True, timeout=30)
    if p.returncode != 0 or p.stdout != "bgcopy 0.1.0 (library 0.1.0, service engine)\n":
        raise RuntimeError("bgcopy --version: %r" % p.stdout)
    SRV = TestServer()
    if NGINX_PATH and os.access(NGINX_PATH, os.X_OK):
        NGINX = Nginx(NGINX_PATH, os.path.join(WORK, "nginx"))
        www = os.path.join(WORK, "nginx", "www")
        with open(os.path.join(www, "a.bin"), "wb") as f:
            f.write(os.urandom(1 << 20))
        with open(os.path.join(www, "b.bin"), "wb") as f:
            f.write(os.urandom(300 * 1024 + 7))


def tearDownModule():
    if SRV:
        SRV.stop()
    if NGINX:
        NGINX.stop()
    shutil.rmtree(WORK, ignore_errors=True)


class CliTest(unittest.TestCase):
    """Each test: its own state directory and download directory."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix=self._testMethodName[:40] + "-", dir=WORK)
        self.state = os.path.join(self.dir, "state")
        self.dl = os.path.join(self.dir, "dl")
        os.mkdir(self.dl)
        # The service's socket (used once the command line runs on bgcopyd): one per test, in a
        # short directory (socket paths are limited to 107 bytes).
        self.sockdir = tempfile.mkdtemp(prefix="bgcli-", dir="/tmp")
        self.socket = os.path.join(self.sockdir, "bgcopyd.sock")
        self.procs = []
        SRV.reset()

    def tearDown(self):
        for p in self.procs:
            stop_pid(p, signal.SIGINT)
        self.stop_service()
        shutil.rmtree(self.sockdir, ignore_errors=True)
        SRV.reset()

    def stop_service(self):
        """Stops the bgcopyd this test's commands started, by the pid it wrote beside its
        socket (it is not our child: it was started by the library on demand)."""
        try:
            with open(self.socket + ".pid") as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with open("/proc/%d/stat" % pid) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        return  # exited; its parent (not us) has yet to reap it
            except (OSError, IndexError):
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    # ---- helpers ---------------------------------------------------------------------------

    def env(self):
        env = dict(os.environ)
        env["BGCOPY_STATE_DIR"] = self.state
        env["BGCOPY_SERVICE_SOCKET"] = self.socket
        return env

    def run_cli(self, *args, timeout=120):
        """Runs bgcopy with args: (exit status, stdout text, stderr text)."""
        p = subprocess.run([BGCOPY] + list(args), capture_output=True, env=self.env(),
                           timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def ok(self, *args, timeout=120):
        """Runs bgcopy, expects exit 0 and the banner; returns stdout after the banner."""
        rc, out, err = self.run_cli(*args, timeout=timeout)
        self.assertEqual(rc, 0, "bgcopy %s -> %d\nstdout:\n%s\nstderr:\n%s" % (args, rc, out, err))
        lines = out.split("\n")
        self.assertEqual(lines[:4], BANNER, out)
        return "\n".join(lines[4:])

    def raw(self, *args):
        """bgcopy /rawreturn ...: the value, exactly (no newline)."""
        rc, out, err = self.run_cli("/rawreturn", *args)
        self.assertEqual(rc, 0, "bgcopy /rawreturn %s: %s %s" % (args, out, err))
        return out

    def fails(self, status, *args):
        """Runs bgcopy and expects the exit status; returns (stdout, stderr)."""
        rc, out, err = self.run_cli(*args)
        self.assertEqual(rc, status, "bgcopy %s -> %d\nstdout:\n%s\nstderr:\n%s" %
                         (args, rc, out, err))
        return out, err

    def create(self, name, *opts):
        guid = self.raw("/create", *opts, name)
        self.assertRegex(guid, "^" + GUID_RE + "$")
        return guid

    def job_count(self):
        out = self.ok("/list")
        m = re.search(r"Listed (\d+) job\(s\)\.\n$", out)
        self.assertIsNotNone(m, out)
        return int(m.group(1))

    def wait_state(self, guid, states, also=None, timeout=60):
        """Polls /getstate until the job is in one of states (and also() is true); returns
        the state. Each poll is a separate bgcopy process: the service does the work."""
        deadline = time.time() + timeout
        state = None
        while time.time() < deadline:
            state = self.raw("/getstate", guid)
            if state in states and (also is None or also()):
                return state
            time.sleep(0.1)
        self.fail("job %s did not reach %s (last %s)" % (guid, states, state))

    # ---- banner, help, version -------------------------------------------------------------

    def test_version_help(self):
        rc, out, err = self.run_cli("--version")
        self.assertEqual(rc, 0)
        self.assertEqual(out, "bgcopy 0.1.0 (library 0.1.0, service engine)\n")
        for args in (["/help"], ["--help"], ["-h"], ["/?"], []):
            rc, out, err = self.run_cli(*args)
            self.assertEqual(rc, 0, args)
            for switch in ("/transfer", "/create", "/addfile", "/addfileset", "/addfilewithranges",
                           "/resume", "/suspend", "/cancel", "/complete", "/reset", "/list",
                           "/info", "/monitor", "/getstate", "/geterror", "/setpriority",
                           "/setnotifycmdline", "/setproxysettings", "/setcredentials",
                           "/gettemporaryname", "/rawreturn", "/nowrap", "--json"):
                self.assertIn(switch, out, args)
        for args in (["/help", "transfer"], ["/help", "/TRANSFER"], ["/transfer", "/?"],
                     ["transfer", "--help"]):
            rc, out, err = self.run_cli(*args)
            self.assertEqual(rc, 0, args)
            self.assertTrue(out.startswith("Usage: bgcopy /transfer <name> "), out)
            self.assertIn("%JOBID%", out)
        out, err = self.fails(2, "/help", "/frob")
        self.assertIn("unknown switch '/frob'", err)

    def test_banner_and_rawreturn(self):
        rc, out, err = self.run_cli("/create", "job")
        self.assertEqual(rc, 0)
        self.assertRegex(out, "^" + re.escape("\n".join(BANNER)) + "\ncreated job " + GUID_RE +
                         "\n$")
        guid = re.search(GUID_RE, out).group(0)
        self.assertEqual(self.raw("/getstate", guid), "SUSPENDED")
        self.assertEqual(self.raw("/getstate", "job"), "SUSPENDED")
        self.assertEqual(self.raw("/gettype", "job"), "DOWNLOAD")
        self.assertEqual(self.raw("/getbytestotal", "job"), "0")
        # Case-insensitive switches, GNU spelling, bare words.
        self.assertEqual(self.raw("/GETSTATE", "job"), "SUSPENDED")
        self.assertEqual(self.raw("getstate", "job"), "SUSPENDED")
        self.assertEqual(self.raw("--getState", "job"), "SUSPENDED")
        self.assertEqual(self.ok("/getpriority", guid.lower()), "NORMAL\n")

    # ---- /list and /info layouts ------------------------------------------------------------

    def test_list_and_info_layout(self):
        self.assertEqual(self.ok("/list"), "\nListed 0 job(s).\n")
        g1 = self.create("job1")
        g2 = self.create("second job", "/download")
        self.ok("/addfile", g2, SRV.url("/gen/100"), os.path.join(self.dl, "x.bin"))
        out = self.ok("/list")
        self.assertEqual(out, "%s job1 SUSPENDED 0 / 0 0 / 0\n%s second job SUSPENDED 0 / 1 0 / "
                         "UNKNOWN\n\nListed 2 job(s).\n" % (g1, g2))
        # /info without /verbose: the list line; with it, the reference layout.
        self.assertEqual(self.ok("/info", "job1"), "%s job1 SUSPENDED 0 / 0 0 / 0\n" % g1)
        self.ok("/setdescription", g2, "nightly data")
        out = self.ok("/nowrap", "/info", g2, "/verbose")
        user = self.raw("/getowner", g2)
        expect = [
            r"GUID: %s DISPLAY: 'second job'" % re.escape(g2),
            r"TYPE: DOWNLOAD STATE: SUSPENDED OWNER: %s" % re.escape(user),
            r"PRIORITY: NORMAL FILES: 0 / 1 BYTES: 0 / UNKNOWN",
            r"CREATION TIME: %s MODIFICATION TIME: %s" % (TIME_RE, TIME_RE),
            r"COMPLETION TIME: UNKNOWN ACL FLAGS:",
            r"NOTIFY INTERFACE: UNREGISTERED NOTIFICATION FLAGS: 3",
            r"RETRY DELAY: 600 NO PROGRESS TIMEOUT: 1209600 ERROR COUNT: 0",
            r"PROXY USAGE: PRECONFIG PROXY LIST: NULL PROXY BYPASS LIST: NULL",
            r"DESCRIPTION: nightly data",
            r"JOB FILES:",
            r"        0 / UNKNOWN WORKING %s -> %s" % (re.escape(SRV.url("/gen/100")),
                                                    re.escape(os.path.join(self.dl, "x.bin"))),
            r"NOTIFICATION COMMAND LINE: none",
            r"CUSTOM HEADERS: NULL",
            r"",
        ]
        got = out.split("\n")
        self.assertEqual(len(got), len(expect), out)
        for e, g in zip(expect, got):
            self.assertRegex(g, "^" + e + "$")
        # /list /verbose: the /info block of every job, then the count.
        out = self.ok("/nowrap", "/list", "/verbose")
        self.assertEqual(out.count("\nJOB FILES:\n"), 2, out)
        self.assertTrue(out.startswith("GUID: %s DISPLAY: 'job1'\n" % g1), out)
        self.assertTrue(out.endswith("\n\nListed 2 job(s).\n"), out)

    def test_wrap(self):
        self.create("w")
        text = "word " * 30
        self.ok("/setdescription", "w", text.strip())
        out = self.ok("/wrap", "/info", "w", "/verbose")
        for line in out.split("\n"):
            self.assertLessEqual(len(line), 79, line)
        self.assertIn("DESCRIPTION: word word", out)
        out = self.ok("/nowrap", "/info", "w", "/verbose")
        self.assertIn("DESCRIPTION: " + text.strip() + "\n", out)
        # Not a terminal: no wrapping by default.
        out = self.ok("/info", "w", "/verbose")
        self.assertIn("DESCRIPTION: " + text.strip() + "\n", out)

    # ---- the job life cycle -------------------------------------------------------------------

    def test_create_addfile_resume_complete(self):
        guid = self.create("cycle")
        local = os.path.join(self.dl, "data.bin")
        out = self.ok("/addfile", guid, SRV.url("/gen/200000?seed=3"), local)
        self.assertEqual(out, "Added %s -> %s to job.\n" % (SRV.url("/gen/200000?seed=3"), local))
        self.assertEqual(self.ok("/resume", guid), "Job resumed.\n")
        self.assertIn(self.raw("/getstate", guid),
                      ("QUEUED", "CONNECTING", "TRANSFERRING", "TRANSFERRED"))
        self.assertEqual(self.wait_state(guid, {"TRANSFERRED"}), "TRANSFERRED")
        self.assertEqual(self.raw("/getstate", guid), "TRANSFERRED")
        self.assertEqual(self.raw("/getbytestransferred", guid), "200000")
        self.assertEqual(self.raw("/getfilestransferred", guid), "1")
        self.assertRegex(self.raw("/getcompletiontime", guid), "^" + TIME_RE + "$")
        self.assertFalse(os.path.exists(local))  # not before Complete
        self.assertEqual(self.ok("/complete", guid), "Job completed.\n")
        with open(local, "rb") as f:
            self.assertEqual(f.read(), gen_bytes(0, 200000, 3))
        self.assertEqual(os.listdir(self.dl), ["data.bin"])  # no BIT*.tmp left
        out, err = self.fails(1, "/getstate", guid)
        self.assertEqual(err, "Unable to find job %s - 0x80200001\n" % guid +
                         "The requested job or item was not found.\n")

    def test_job_finishes_after_shell_exits(self):
        local = os.path.join(self.dl, "later.bin")
        script = ("set -e\nG=$(%s /rawreturn /create later)\n%s /addfile \"$G\" %s %s\n"
                  "%s /resume \"$G\"\necho \"$G\"\n" % (BGCOPY, BGCOPY, SRV.url("/gen/300000"),
                                                       local, BGCOPY))
        p = subprocess.run(["/bin/sh", "-c", script], capture_output=True, env=self.env(),
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        guid = p.stdout.decode().strip().split("\n")[-1]
        deadline = time.time() + 60
        while self.raw("/getstate", guid) != "TRANSFERRED":
            self.assertLess(time.time(), deadline)
            time.sleep(0.1)
        self.ok("/complete", guid)
        with open(local, "rb") as f:
            self.assertEqual(f.read(), gen_bytes(0, 300000))

    def test_state_commands(self):
        guid = self.create("states")
        out, err = self.fails(1, "/resume", guid)
        self.assertTrue(err.startswith("Unable to resume job - 0x80200003\n"), err)
        self.assertEqual(self.ok("/suspend", guid), "Job suspended.\n")
        self.ok("/addfile", guid, SRV.url("/gen/10"), os.path.join(self.dl, "s.bin"))
        self.assertEqual(self.ok("/cancel", guid), "Job canceled.\n")
        out, err = self.fails(1, "/cancel", guid)
        self.assertTrue(err.startswith("Unable to find job %s - 0x80200001\n" % guid), err)
        self.assertEqual(self.job_count(), 0)
        # Complete before the transfer: nothing whole to keep.
        guid = self.create("early")
        self.ok("/addfile", guid, SRV.url("/gen/10"), os.path.join(self.dl, "e.bin"))
        out = self.ok("/complete", guid)
        self.assertIn(out, ("Job completed.\n", "Job partially completed: only the files "
                                                "transferred in full were kept (0x00200017).\n"))
        self.assertEqual(self.job_count(), 0)
        self.assertEqual(os.listdir(self.dl), [])

    def test_reset(self):
        guids = [self.create("r%d" % i) for i in range(3)]
        out = self.ok("/reset")
        self.assertEqual(out, "".join("%s canceled.\n" % g for g in guids) +
                         "3 out of 3 jobs canceled.\n")
        self.assertEqual(self.job_count(), 0)
        self.assertEqual(self.ok("/reset"), "0 out of 0 jobs canceled.\n")

    def test_addfileset(self):
        guid = self.create("set")
        listing = os.path.join(self.dir, "files.txt")
        a, b = os.path.join(self.dl, "a.bin"), os.path.join(self.dl, "b c.bin")
        with open(listing, "w") as f:
            f.write("# comment line\n\n%s %s\n  %s \"%s\"\n" % (SRV.url("/gen/10"), a,
                                                            SRV.url("/gen/20"), b))
        self.assertEqual(self.ok("/addfileset", guid, listing), "Added 2 file(s) to job.\n")
        self.assertEqual(self.raw("/getfilestotal", guid), "2")
        out = self.ok("/listfiles", guid)
        self.assertEqual(out, "0 / UNKNOWN WORKING %s -> %s\n0 / UNKNOWN WORKING %s -> %s\n\n"
                         "Listed 2 file(s).\n" % (SRV.url("/gen/10"), a, SRV.url("/gen/20"), b))
        # A bad line, or a relative name: nothing at all is added.
        with open(listing, "w") as f:
            f.write("%s %s\nonly-one-token\n" % (SRV.url("/gen/10"), a))
        out, err = self.fails(2, "/addfileset", guid, listing)
        self.assertIn("files.txt:2: expected '<remote> <local>'", err)
        with open(listing, "w") as f:
            f.write("%s %s\n%s relative.bin\n" % (SRV.url("/gen/10"), a, SRV.url("/gen/10")))
        out, err = self.fails(1, "/addfileset", guid, listing)
        self.assertTrue(err.startswith("Unable to add file set - 0x80070057\n"), err)
        out, err = self.fails(1, "/addfileset", guid, os.path.join(self.dir, "missing.txt"))
        self.assertIn("cannot read", err)
        self.assertEqual(self.raw("/getfilestotal", guid), "2")

    def test_addfilewithranges(self):
        guid = self.create("ranges")
        local = os.path.join(self.dl, "r.bin")
        out = self.ok("/addfilewithranges", guid, SRV.url("/gen/5000"), local, "100:10,4990:eof")
        self.assertEqual(out, "Added %s -> %s (2 ranges) to job.\n" % (SRV.url("/gen/5000"), local))
        doc = json.loads(self.run_cli("/info", guid, "--json")[1])
        self.assertEqual(doc["files"][0]["ranges"],
                         [{"offset": 100, "length": 10}, {"offset": 4990, "length": None}])
        for bad in ("100", "a:1", "1:b", "", "1:2,,", "-1:5"):
            out, err = self.fails(2, "/addfilewithranges", guid, SRV.url("/gen/5000"),
                                  os.path.join(self.dl, "q.bin"), bad)
        out, err = self.fails(1, "/addfilewithranges", guid, SRV.url("/gen/5000"),
                              os.path.join(self.dl, "q.bin"), "5:0")
        self.assertTrue(err.startswith("Unable to add file - 0x80070057\n"), err)
        out, err = self.fails(1, "/addfilewithranges", guid, SRV.url("/gen/5000"),
                              os.path.join(self.dl, "q.bin"), "0:10,5:10")
        self.assertTrue(err.startswith("Unable to add file - 0x8020002c\n"), err)
        self.assertEqual(self.raw("/getfilestotal", guid), "1")
        self.ok("/resume", guid)
        self.wait_state(guid, {"TRANSFERRED"})
        self.ok("/complete", guid)
        with open(local, "rb") as f:
            self.assertEqual(f.read(), gen_bytes(100, 10) + gen_bytes(4990, 10))

    # ---- properties ---------------------------------------------------------------------------

    def test_getters_and_setters(self):
        guid = self.create("props")
        local = os.path.join(self.dl, "p.bin")
        self.ok("/addfile", guid, SRV.url("/gen/10"), local)
        cases = [
            ("/setdisplayname", ["renamed"], "Display name set to 'renamed'.", "/getdisplayname",
             "renamed"),
            ("/setdescription", ["some text"], "Description set to 'some text'.",
             "/getdescription", "some text"),
            ("/setpriority", ["foreground"], "Priority set to FOREGROUND.", "/getpriority",
             "FOREGROUND"),
            ("/setnotifyflags", ["0xB"], "Notification flags set to 11.", "/getnotifyflags",
             "11"),
            ("/setminretrydelay", ["3"], "Minimum retry delay set to 3.", "/getminretrydelay",
             "5"),
            ("/setnoprogresstimeout", ["77"], "No progress timeout set to 77.",
             "/getnoprogresstimeout", "77"),
            ("/setmaxdownloadtime", ["3600"], "Maximum download time set to 3600.",
             "/getmaxdownloadtime", "3600"),
            ("/setsecurityflags", ["256"], "Security flags set to 256.", "/getsecurityflags",
             "256"),
            ("/setcustomheaders", ["X-A: 1", "X-B: two"], "Custom headers set.",
             "/getcustomheaders", "X-A: 1\r\nX-B: two\r\n"),
            ("/setnotifyhandler", ["myapp"], "Notification handler set to 'myapp'.",
             "/getnotifyhandler", "myapp"),
        ]
        for setter, args, msg, getter, value in cases:
            self.assertEqual(self.ok(setter, guid, *args), msg + "\n", setter)
            self.assertEqual(self.raw(getter, guid), value, getter)
        self.assertEqual(self.raw("/getdisplayname", "renamed"), "renamed")
        self.assertEqual(self.ok("/setproxysettings", guid, "OVERRIDE", "p1:8080,https=p2:443",
                                 "<local> *.corp"), "Proxy usage set to OVERRIDE.\n")
        self.assertEqual(self.raw("/getproxyusage", guid), "OVERRIDE")
        self.assertEqual(self.raw("/getproxylist", guid), "p1:8080 https=p2:443")
        self.assertEqual(self.raw("/getproxybypasslist", guid), "<local> *.corp")
        self.ok("/setproxysettings", guid, "no_proxy")
        self.assertEqual(self.raw("/getproxyusage", guid), "NO_PROXY")
        self.assertEqual(self.raw("/getproxylist", guid), "NULL")
        out, err = self.fails(2, "/setproxysettings", guid, "OVERRIDE", "p1:8080")
        out, err = self.fails(2, "/setproxysettings", guid, "PRECONFIG", "p1", "NULL")
        self.assertEqual(self.ok("/setcredentials", guid, "SERVER", "BASIC", "user", "pw"),
                         "Credentials for SERVER BASIC set.\n")
        self.assertEqual(self.ok("/removecredentials", guid, "server", "basic"),
                         "Credentials for SERVER BASIC removed.\n")
        out, err = self.fails(1, "/setcredentials", guid, "SERVER", "BASIC", "NULL", "pw")
        self.assertTrue(err.startswith("Unable to set credentials - 0x80070057\n"), err)
        self.ok("/setcustomheaders", guid, "NULL")
        self.assertEqual(self.raw("/getcustomheaders", guid), "NULL")
        prog = sys.executable
        self.assertEqual(self.ok("/setnotifycmdline", guid, prog, prog + " -c pass"),
                         "Notification command line set to '%s' '%s -c pass'.\n" % (prog, prog))
        self.assertEqual(self.raw("/getnotifycmdline", guid), "'%s' '%s -c pass'" % (prog, prog))
        out, err = self.fails(1, "/setnotifycmdline", guid, prog, "other -c pass")
        self.assertTrue(err.startswith("Unable to set notification command line - 0x80070057\n"),
                        err)
        self.assertEqual(self.ok("/setnotifycmdline", guid, "NULL", "NULL"),
                         "Notification command line removed.\n")
        self.assertEqual(self.raw("/getnotifycmdline", guid), "none")
        self.ok("/setproperty", guid, "DYNAMIC_CONTENT", "true")
        self.assertEqual(self.raw("/getproperty", guid, "dynamic_content"), "TRUE")
        self.assertEqual(self.raw("/getproperty", guid, "COST_FLAGS"), "0x800000ff")
        self.ok("/setproperty", guid, "COST_FLAGS", "0x80000021")
        self.assertEqual(self.raw("/getproperty", guid, "COST_FLAGS"), "0x80000021")
        self.ok("/setproperty", guid, "MAX_DOWNLOAD_SIZE", "1000000")
        self.assertEqual(self.raw("/getproperty", guid, "MAX_DOWNLOAD_SIZE"), "1000000")
        out, err = self.fails(1, "/setproperty", guid, "MAX_DOWNLOAD_SIZE", "0")
        self.assertTrue(err.startswith("Unable to set property - 0x80200063\n"), err)
        self.assertEqual(self.raw("/getowner", guid), self.raw("/getowner", "renamed"))
        self.assertEqual(self.raw("/gettype", guid), "DOWNLOAD")
        self.assertEqual(self.raw("/geterrorcount", guid), "0")
        self.assertEqual(self.raw("/getbytestotal", guid), "UNKNOWN")
        self.assertEqual(self.raw("/getfilestotal", guid), "1")
        self.assertEqual(self.raw("/getnotifyinterface", guid), "UNREGISTERED")
        self.assertRegex(self.raw("/getcreationtime", guid), "^" + TIME_RE + "$")
        self.assertRegex(self.raw("/getmodificationtime", guid), "^" + TIME_RE + "$")
        self.assertEqual(self.raw("/getcompletiontime", guid), "UNKNOWN")
        out, err = self.fails(1, "/geterror", guid)
        self.assertTrue(err.startswith("Unable to get error - 0x8020000f\n"), err)
        out, err = self.fails(1, "/gettemporaryname", guid, "5")
        self.assertTrue(err.startswith("Unable to get temporary name - 0x80200029\n"), err)
        # Upload jobs.
        up = self.create("up", "/upload")
        self.assertEqual(self.raw("/gettype", up), "UPLOAD")
        # Final state: setters are refused with BG_E_INVALID_STATE by the engine, but the
        # command line cannot name a final job any more (it has left the queue).
        self.ok("/cancel", guid)
        out, err = self.fails(1, "/setpriority", guid, "HIGH")
        self.assertTrue(err.startswith("Unable to find job %s - 0x80200001" % guid), err)

    def test_unsupported_switches(self):
        self.create("u")
        for sw in ("/takeownership", "/getaclflags", "/sethttpmethod", "/getreplydata",
                   "/util", "/setclientcertificatebyid"):
            out, err = self.fails(1, sw, "u")
            self.assertIn("not supported", err)

    # ---- JSON ---------------------------------------------------------------------------------

    def test_json(self):
        doc = json.loads(self.run_cli("--json", "/list")[1])
        self.assertEqual(doc, {"jobs": [], "count": 0})
        rc, out, err = self.run_cli("/create", "j\u00e9\"x", "--json")
        self.assertEqual(rc, 0)
        created = json.loads(out)
        self.assertEqual(created["display_name"], "j\u00e9\"x")
        guid = created["id"]
        self.assertRegex(guid, "^" + GUID_RE + "$")
        self.ok("/addfile", guid, SRV.url("/gen/10"), os.path.join(self.dl, "j.bin"))
        doc = json.loads(self.run_cli("list", "--json")[1])
        self.assertEqual(doc["count"], 1)
        self.assertEqual(doc["jobs"][0], {
            "id": guid, "display_name": "j\u00e9\"x", "type": "DOWNLOAD", "state": "SUSPENDED",
            "priority": "NORMAL", "files_transferred": 0, "files_total": 1,
            "bytes_transferred": 0, "bytes_total": None})
        doc = json.loads(self.run_cli("--json", "/list", "/verbose")[1])
        self.assertEqual(doc["jobs"][0]["notify_flags"], 3)
        info = json.loads(self.run_cli("/info", guid, "--json")[1])
        for key, value in (("min_retry_delay", 600), ("no_progress_timeout", 1209600),
                           ("max_download_time", 7776000), ("error_count", 0),
                           ("proxy_usage", "PRECONFIG"), ("proxy_list", None),
                           ("custom_headers", None), ("security_flags", 0), ("error", None),
                           ("notify_cmd_line", None), ("completion_time", None)):
            self.assertEqual(info[key], value, key)
        self.assertRegex(info["creation_time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(info["files"][0]["remote_name"], SRV.url("/gen/10"))
        self.assertIsNone(info["files"][0]["bytes_total"])
        self.assertEqual(json.loads(self.run_cli("/getstate", guid, "--json")[1]),
                         {"id": guid, "state": "SUSPENDED"})
        self.assertEqual(json.loads(self.run_cli("--json", "/getbytestotal", guid)[1]),
                         {"id": guid, "bytes_total": None})
        self.assertEqual(json.loads(self.run_cli("--json", "/getnotifyflags", guid)[1]),
                         {"id": guid, "notify_flags": 3})
        self.assertEqual(json.loads(self.run_cli("--json", "/geterror", guid)[1]),
                         {"id": guid, "error": None})
        self.assertEqual(json.loads(self.run_cli("--json", "/getproperty", guid,
                                                 "DYNAMIC_CONTENT")[1]),
                         {"id": guid, "property": "DYNAMIC_CONTENT", "value": False})
        # A display name that is not valid UTF-8 still gives valid JSON.
        rc, out, err = self.run_cli("/create", b"bad\xff\xfe", "--json")
        self.assertEqual(rc, 0)
        self.assertEqual(json.loads(out)["display_name"], "bad\ufffd\ufffd")
        out, err = self.fails(2, "/resume", guid, "--json")
        self.assertIn("--json applies to", err)

    # ---- /transfer ----------------------------------------------------------------------------

    def test_transfer_multi_file(self):
        a, b = os.path.join(self.dl, "a.bin"), os.path.join(self.dl, "b.bin")
        out = self.ok("/transfer", "multi", "/priority", "high", SRV.url("/gen/300000"), a,
                      SRV.url("/gen/123457?seed=9"), b)
        lines = out.split("\n")
        self.assertEqual(lines[-4:], ["DISPLAY: 'multi' TYPE: DOWNLOAD STATE: TRANSFERRED",
                                      "PRIORITY: HIGH FILES: 2 / 2 BYTES: 423457 / 423457 (100%)",
                                      "Transfer complete.", ""])
        with open(a, "rb") as f:
            self.assertEqual(f.read(), gen_bytes(0, 300000))
        with open(b, "rb") as f:
            self.assertEqual(f.read(), gen_bytes(0, 123457, 9))
        self.assertEqual(sorted(os.listdir(self.dl)), ["a.bin", "b.bin"])
        self.assertEqual(self.job_count(), 0)

    def test_transfer_from_nginx(self):
        if NGINX is None:
            if os.environ.get("BGCOPY_TEST_ALLOW_MISSING_SERVERS"):
                self.skipTest("nginx not installed")
            self.fail("nginx is not installed (make test installs it; set "
                      "BGCOPY_TEST_ALLOW_MISSING_SERVERS=1 to skip)")
        a, b = os.path.join(self.dl, "a.bin"), os.path.join(self.dl, "b.bin")
        www = os.path.join(WORK, "nginx", "www")
        out = self.ok("transfer", "--priority=FOREGROUND", "nginx", NGINX.url("a.bin"), a,
                      NGINX.url("b.bin"), b)
        self.assertTrue(out.endswith("Transfer complete.\n"), out)
        self.assertEqual(sha256(a), sha256(os.path.join(www, "a.bin")))
        self.assertEqual(sha256(b), sha256(os.path.join(www, "b.bin")))
        self.assertEqual(self.job_count(), 0)

    def test_transfer_progress_bar_on_a_terminal(self):
        import pty
        SRV.control("rate=1000000\npath=/gen/")
        local = os.path.join(self.dl, "tty.bin")
        master, slave = pty.openpty()
        p = subprocess.Popen([BGCOPY, "/transfer", "tty", SRV.url("/gen/1500000"), local],
                             stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=self.env())
        self.procs.append(p)
        os.close(slave)
        data = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the program exited and closed the terminal
                break
            if not chunk:
                break
            data += chunk
        os.close(master)
        self.assertEqual(p.wait(timeout=60), 0, data)
        text = data.decode(errors="replace")
        bars = re.findall(r"\r\[([#.]+)\] +(\d+)% ", text)
        self.assertGreaterEqual(len(bars), 5, text)  # redrawn several times a second
        percents = [int(pc) for _, pc in bars]
        self.assertEqual(percents, sorted(percents), text)
        self.assertTrue(any(0 < pc < 100 for pc in percents), text)
        self.assertIn("TRANSFERRING", text)
        self.assertTrue(text.replace("\r\n", "\n").endswith(
            "DISPLAY: 'tty' TYPE: DOWNLOAD STATE: TRANSFERRED\n"
            "PRIORITY: NORMAL FILES: 1 / 1 BYTES: 1500000 / 1500000 (100%)\n"
            "Transfer complete.\n"), text[-300:])
        with open(local, "rb") as f:
            self.assertEqual(f.read(), gen_bytes(0, 1500000))

    def test_transfer_dynamic(self):
        # A server that sends no Content-Length: BG_E_MISSING_FILE_SIZE, unless /dynamic.
        SRV.control("no_content_length=1\npath=/gen/")
        local = os.path.join(self.dl, "dyn.bin")
        out, err = self.fails(1, "/transfer", "sized", SRV.url("/gen/70000"), local)
        self.assertIn("ERROR CODE:    0x80200011 - ", out)
        self.assertEqual(self.job_count(), 0)
        out = self.ok("/transfer", "dynamic", "/dynamic", "/priority", "FOREGROUND",
                      SRV.url("/gen/70000"), local)
        self.assertTrue(out.endswith("Transfer complete.\n"), out)
        with open(local, "rb") as f:
            self.assertEqual(f.read(), gen_bytes(0, 70000))

    def test_transfer_404(self):
        local = os.path.join(self.dl, "missing.bin")
        url = SRV.url("/nothing")
        out, err = self.fails(1, "/transfer", "broken", url, local)
        self.assertIn("DISPLAY: 'broken' TYPE: DOWNLOAD STATE: ERROR\n"
                      "PRIORITY: NORMAL FILES: 0 / 1 BYTES: 0 / UNKNOWN\n"
                      "ERROR FILE:    %s -> %s\n"
                      "ERROR CODE:    0x80190194 - The server returned HTTP status 404 (Not "
                      "Found): the requested URL does not exist on the server.\n"
                      "ERROR CONTEXT: 0x00000005 - The error occurred while the remote file was "
                      "being processed.\n" % (url, local), out)
        self.assertIn("the job failed and was canceled", err)
        self.assertEqual(self.job_count(), 0)
        self.assertEqual(os.listdir(self.dl), [])

    def test_transfer_waits_through_transient_errors(self):
        SRV.control("status=503\ncount=1\nmethod=HEAD")
        local = os.path.join(self.dl, "t.bin")
        out = self.ok("/transfer", "flaky", "/minretrydelay", "5", SRV.url("/gen/5000"), local)
        self.assertIn("STATE: TRANSIENT_ERROR\n", out)
        self.assertIn("ERROR CODE:    0x801901f7 - ", out)
        self.assertTrue(out.endswith("Transfer complete.\n"), out)
        with open(local, "rb") as f:
            self.assertEqual(f.read(), gen_bytes(0, 5000))

    def test_transfer_bad_input_leaves_no_job(self):
        url = SRV.url("/gen/10")
        out, err = self.fails(1, "/transfer", "rel", url, "relative.bin")
        self.assertIn("Unable to add file - 0x80070057\nOne or more arguments are not valid.\n",
                      err)
        out, err = self.fails(1, "/transfer", "rel2", url, os.path.join(self.dl, "ok.bin"), url,
                              os.path.join(self.dir, "no-such-dir", "x.bin"))
        self.assertIn("Unable to add file - 0x80070003\n", err)
        out, err = self.fails(2, "/transfer", "odd", url)
        out, err = self.fails(2, "/transfer", "odd", url, os.path.join(self.dl, "x"), url)
        self.assertIn("files come in <remote> <local> pairs", err)
        out, err = self.fails(2, "/transfer", "p", "/priority", "URGENT", url,
                              os.path.join(self.dl, "x"))
        self.assertIn("'URGENT' is not a valid priority (FOREGROUND|HIGH|NORMAL|LOW)", err)
        out, err = self.fails(2, "/transfer", "p", "/bogus", url, os.path.join(self.dl, "x"))
        self.assertIn("unknown switch '/bogus'", err)
        out, err = self.fails(2, "/transfer")
        out, err = self.fails(1, "/transfer", "acl", "/aclflags", "O", url,
                              os.path.join(self.dl, "x"))
        out, err = self.fails(1, "/transfer", "up", "/upload", url, os.path.join(self.dl, "x"))
        self.assertIn("Unable to resume job - 0x80004001", err)
        self.assertEqual(self.job_count(), 0)
        self.assertEqual(os.listdir(self.dl), [])

    def test_transfer_interrupted_keeps_job(self):
        SRV.control("rate=200000\npath=/gen/")
        local = os.path.join(self.dl, "slow.bin")
        p = subprocess.Popen([BGCOPY, "/transfer", "slow", SRV.url("/gen/5000000"), local],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env())
        self.procs.append(p)
        deadline = time.time() + 30
        line = b""
        while b"STATE: TRANSFERRING" not in line and time.time() < deadline:
            line = p.stdout.readline()
        os.kill(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 130, err)
        self.assertRegex(err.decode(), r"^Transfer interrupted\. The job " + GUID_RE +
                         r" stays in the queue")
        guid = re.search(GUID_RE, err.decode()).group(0)
        self.assertIn(self.raw("/getstate", guid), ("QUEUED", "TRANSFERRING", "CONNECTING"))
        self.ok("/cancel", guid)
        self.assertEqual(os.listdir(self.dl), [])

    def test_transfer_notify_cmdline(self):
        out_file = os.path.join(self.dir, "notified.txt")
        script = os.path.join(self.dir, "notify.py")
        with open(script, "w") as f:
            f.write("import sys\nopen(sys.argv[1], 'a').write(' '.join(sys.argv[2:]) + '\\n')\n")
        local = os.path.join(self.dl, "n.bin")
        out = self.ok("/transfer", "notify", "/notifycmdline", sys.executable,
                      '"%s" %s %s transferred %%JOBID%%' % (sys.executable, script, out_file),
                      SRV.url("/gen/1000"), local)
        self.assertTrue(out.endswith("Transfer complete.\n"))
        with open(out_file) as f:
            self.assertRegex(f.read(), "^transferred " + GUID_RE + "\n$")

    # ---- notifications ------------------------------------------------------------------------

    def test_setnotifycmdline_runs_program(self):
        out_file = os.path.join(self.dir, "notified.txt")
        script = os.path.join(self.dir, "notify.py")
        with open(script, "w") as f:
            f.write("import sys\nopen(sys.argv[1], 'a').write(' '.join(sys.argv[2:]) + '\\n')\n")
        guid = self.create("notify")
        local = os.path.join(self.dl, "n.bin")
        self.ok("/addfile", guid, SRV.url("/gen/4096"), local)
        params = '"%s" "%s" "%s" %s done' % (sys.executable, script, out_file, guid)
        self.ok("/setnotifycmdline", guid, sys.executable, params)
        self.ok("/resume", guid)
        self.wait_state(guid, {"TRANSFERRED"}, also=lambda: os.path.exists(out_file))
        with open(out_file) as f:
            self.assertEqual(f.read(), "%s done\n" % guid)
        self.ok("/complete", guid)
        with open(local, "rb") as f:
            self.assertEqual(f.read(), gen_bytes(0, 4096))

    # ---- errors -------------------------------------------------------------------------------

    def test_geterror_block(self):
        guid = self.create("err")
        local = os.path.join(self.dl, "e.bin")
        url = SRV.url("/gen/5000")
        self.ok("/addfile", guid, url, local)
        SRV.control("status=403")
        self.ok("/resume", guid)
        self.wait_state(guid, {"ERROR"})
        self.assertEqual(self.raw("/getstate", guid), "ERROR")
        self.assertEqual(self.raw("/geterrorcount", guid), "1")
        out = self.ok("/nowrap", "/geterror", guid)
        self.assertEqual(out, "ERROR FILE:    %s -> %s\n"
                         "ERROR CODE:    0x80190193 - The server returned HTTP status 403 "
                         "(Forbidden): the server refused access to the resource.\n"
                         "ERROR CONTEXT: 0x00000005 - The error occurred while the remote file "
                         "was being processed.\n" % (url, local))
        info = self.ok("/nowrap", "/info", guid, "/verbose")
        self.assertIn("PROXY BYPASS LIST: NULL\nERROR FILE:    %s -> %s\nERROR CODE:    "
                      "0x80190193 - " % (url, local), info)
        err = json.loads(self.run_cli("/geterror", guid, "--json")[1])["error"]
        self.assertEqual(err, {"code": "0x80190193", "name": "BG_E_HTTP_ERROR_403",
                               "message": err["message"], "context": 5,
                               "context_name": err["context_name"],
                               "context_message": "The error occurred while the remote file "
                                                  "was being processed.",
                               "file": {"remote_name": url, "local_name": local}})
        SRV.reset()
        self.ok("/resume", guid)
        self.wait_state(guid, {"TRANSFERRED"})
        self.ok("/complete", guid)
        self.assertEqual(os.path.getsize(local), 5000)

    def test_bad_input(self):
        guid = self.create("dup")
        guid2 = self.create("dup")
        out, err = self.fails(2, "/frobnicate")
        self.assertEqual(err, "bgcopy: unknown switch '/frobnicate'\n"
                              "Try 'bgcopy /help' for the list of switches.\n")
        out, err = self.fails(2, "/addfile", guid, SRV.url("/gen/1"))
        self.assertIn("bgcopy /addfile: missing argument (2 given, 3 needed)\n"
                      "Usage: bgcopy /addfile <job> <remote> <local>\n", err)
        out, err = self.fails(2, "/getstate", guid, "extra")
        self.assertIn("too many arguments (2 given, at most 1): 'extra'", err)
        out, err = self.fails(2, "/getstate", guid, "/verbose")
        self.assertIn("unknown switch '/verbose'", err)
        out, err = self.fails(2, "/list", "/frob")
        self.assertIn("unknown switch '/frob'", err)
        out, err = self.fails(1, "/getstate", "nope")
        self.assertEqual(err, "Unable to find job named 'nope' - 0x80200001\n"
                              "The requested job or item was not found.\n")
        out, err = self.fails(1, "/resume", "dup")
        self.assertEqual(err, "The job name 'dup' is ambiguous: 2 jobs have it. Name the job by "
                              "its GUID:\n%s\n%s\n" % (guid, guid2))
        for bad in ("{1234}", "{00000000-0000-0000-0000-00000000000G}",
                    "{00000000-0000-0000-0000-0000000000000}"):
            out, err = self.fails(2, "/getstate", bad)
            self.assertIn("'%s' is not a valid job GUID" % bad, err)
        out, err = self.fails(1, "/getstate", "{00000000-0000-0000-0000-000000000000}")
        self.assertIn("Unable to find job {00000000-0000-0000-0000-000000000000} - 0x80200001",
                      err)
        for bad in ("abc", "-5", "99999999999", "1.5", "", " 7", "0x10"):
            out, err = self.fails(2, "/setminretrydelay", guid, bad)
            self.assertIn("'%s' is not a valid number of seconds" % bad, err)
        out, err = self.fails(2, "/setnotifyflags", guid, "0xZZ")
        out, err = self.fails(2, "/setpriority", guid, "URGENT")
        self.assertIn("'URGENT' is not a valid priority (FOREGROUND|HIGH|NORMAL|LOW)", err)
        out, err = self.fails(2, "/setproxysettings", guid, "SOMETIMES")
        out, err = self.fails(2, "/setcredentials", guid, "CLIENT", "BASIC", "u", "p")
        out, err = self.fails(2, "/gettemporaryname", guid, "x")
        out, err = self.fails(2, "/monitor", "/refresh", "0")
        out, err = self.fails(2, "/create")
        out, err = self.fails(2, "/create", "/sideways", "x")
        out, err = self.fails(1, "/setnotifyflags", guid, "64")
        self.assertTrue(err.startswith("Unable to set notification flags - 0x80004001\n"), err)
        out, err = self.fails(1, "/addfile", guid, SRV.url("/gen/1"), "relative/path")
        self.assertEqual(err, "Unable to add file - 0x80070057\nOne or more arguments are not "
                              "valid.\n")
        out, err = self.fails(1, "/addfile", guid, "gopher://x/y", os.path.join(self.dl, "g"))
        # Nothing changed by any of it.
        self.assertEqual(self.raw("/getminretrydelay", guid), "600")
        self.assertEqual(self.raw("/getpriority", guid), "NORMAL")
        self.assertEqual(self.raw("/getfilestotal", guid), "0")
        self.assertEqual(self.job_count(), 2)

    def test_every_switch_survives_bad_arguments(self):
        """Every switch with no, wrong and too many arguments: success (/create nope is a fine
        command), or a message and status 1 or 2 - never a crash (under ASan a leak or an
        overflow would change the status too)."""
        rc, out, err = self.run_cli("/help")
        switches = re.findall(r"^  /(\S+)", out, re.M)
        self.assertGreater(len(switches), 60)
        guid = self.create("victim")
        for sw in switches:
            if sw in ("monitor", "help"):
                continue
            for args in ([], ["nope"], ["{bad}"], [guid, "1", "x", "y", "z", "w", "v"]):
                p = subprocess.run([BGCOPY, "/" + sw] + args, capture_output=True,
                                   env=self.env(), timeout=60)
                self.assertIn(p.returncode, (0, 1, 2), "/%s %s: %d %s" % (
                    sw, args, p.returncode, p.stderr))
                if p.returncode != 0:
                    self.assertTrue(p.stderr, "/%s %s printed no reason" % (sw, args))

    def test_two_processes_at_once(self):
        guid = self.create("shared")
        mon = subprocess.Popen([BGCOPY, "/monitor", "/refresh", "1"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=self.env())
        self.procs.append(mon)
        self.assertIn(b"MONITORING BACKGROUND COPY MANAGER(1 second refresh)",
                      b"".join(mon.stdout.readline() for _ in range(5)))
        # While /monitor holds its connection, other processes create, change and list jobs.
        other = self.create("other")
        self.ok("/setdescription", guid, "changed by a second process")
        out = self.ok("/list")
        self.assertIn("%s shared SUSPENDED" % guid, out)
        self.assertIn("%s other SUSPENDED" % other, out)
        deadline = time.time() + 10
        seen = b""
        while b"%s other " % other.encode() not in seen and time.time() < deadline:
            seen += mon.stdout.readline()
        self.assertIn(b"%s other SUSPENDED" % other.encode(), seen)  # the monitor sees it too
        os.kill(mon.pid, signal.SIGINT)
        self.assertEqual(mon.wait(timeout=30), 0)
        mon.stdout.close()

    def test_connect_failures(self):
        # No service, and the program to start is missing: the reason, with the library's detail.
        env = self.env()
        env["BGCOPY_SERVICE_PROGRAM"] = "/nonexistent/bgcopyd"
        p = subprocess.run([BGCOPY, "/list"], capture_output=True, env=env, timeout=60)
        self.assertEqual(p.returncode, 1)
        err = p.stderr.decode()
        self.assertTrue(err.startswith("Unable to connect to BITS - 0x80070426\n"), err)
        self.assertIn("/nonexistent/bgcopyd: the service could not be started", err)
        self.assertEqual(p.stdout, b"")
        # A store that is not a database: the service cannot start; its reason is shown.
        os.makedirs(self.state, mode=0o700)
        db = os.path.join(self.state, "bgcopy.db")
        with open(db, "wb") as f:
            f.write(b"this is not an SQLite database" * 100)
        out, err = self.fails(1, "/list")
        self.assertTrue(err.startswith("Unable to connect to BITS - 0x8020006c\n"), err)
        self.assertIn(db, err)
        with open(db, "rb") as f:
            self.assertEqual(f.read(), b"this is not an SQLite database" * 100)  # untouched

    def test_monitor(self):
        guid = self.create("mon")
        p = subprocess.Popen([BGCOPY, "/monitor", "/refresh", "1"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env())
        self.procs.append(p)
        time.sleep(1.5)
        os.kill(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        text = out.decode()
        self.assertTrue(text.startswith("\n".join(BANNER)), text)
        block = "MONITORING BACKGROUND COPY MANAGER(1 second refresh)\n" \
                "%s mon SUSPENDED 0 / 0 0 / 0\n\n" % guid
        self.assertGreaterEqual(text.count(block), 2, text)


def main():
    global BGCOPY, SERVER_PATH, NGINX_PATH
    ap = argparse.ArgumentParser()
    ap.add_argument("--bgcopy", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--nginx")
    args, rest = ap.parse_known_args()
    BGCOPY, SERVER_PATH, NGINX_PATH = args.bgcopy, args.server, args.nginx
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
