#!/usr/bin/env python3
"""tests/integration/testserver_test.py - checks bgcopy-testserver with real clients.

Starts the server on port 0, reads the port from its one stdout line, and checks it with the
curl command-line tool and Python's http.client (plus raw sockets for what clients refuse to
send): HEAD sizes, single, suffix and multipart ranges byte for byte, 416, /gen and /zero
content, every fault of the control protocol, the request log, path traversal, garbage and huge
requests, a client that disconnects mid-response, keep-alive and pipelining, and a clean exit 0
on SIGTERM and SIGINT. Digest credentials are computed here with hashlib (RFC 7616, MD5,
qop=auth), and the server's own MD5 is checked against RFC 1321's test suite (--md5); requests
in absolute form (as to a proxy) and proxy credentials (407) are checked with raw requests and
curl -x. After each abuse it checks that the server still answers. Every server is
stopped by pid in a finally block, whatever happens.

Usage: testserver_test.py --server PATH [--curl PATH] [unittest options]
Standard library only. Timing is asserted only as a wide sanity bound (the rate limit).
"""

import argparse
import email.utils
import hashlib
import http.client
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

SERVER_PATH = None
CURL = None
GEN_LM = "Wed, 01 Jan 2020 00:00:00 GMT"


def gen_bytes(start, length, seed=0):
    """Bytes [start, start+length) of /gen/<n>?seed=<seed>: (i*131 + seed*7 + 7) & 0xFF."""
    c = (seed * 7 + 7) & 0xFF
    return bytes(((i * 131) + c) & 0xFF for i in range(start, start + length))


class Server:
    """One bgcopy-testserver process. Use as a context manager: stop() runs in any case."""

    def __init__(self, *args, root=None):
        self.stderr = tempfile.TemporaryFile()
        cmd = [SERVER_PATH, "--port", "0", "--log"] + list(args)
        if root:
            cmd += ["--root", root]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.stderr)
        self.port = None
        try:
            ready, _, _ = select.select([self.proc.stdout], [], [], 10)
            if not ready:
                raise RuntimeError("server printed nothing within 10 s")
            line = self.proc.stdout.readline().decode()
            m = re.fullmatch(r"listening 127\.0\.0\.1:(\d+)\n", line)
            if not m:
                raise RuntimeError("unexpected first line %r" % line)
            self.port = int(m.group(1))
        except BaseException:
            self.stop()
            self.stderr.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self.stderr.close()

    def stop(self, sig=signal.SIGTERM):
        """Signals the server (by pid) and returns its exit status; kills it if it hangs."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc.stdout.close()
        return self.proc.returncode

    def log_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def conn(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, headers=None, body=None):
        """One request on a fresh connection: (status, headers dict lower-cased, body)."""
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def control(self, text):
        status, _, body = self.request("POST", "/_control", body=text.encode())
        if status != 200:
            raise AssertionError("control %r: %d %s" % (text, status, body))
        return body.decode()

    def reset(self):
        self.request("POST", "/_control/reset")
        self.request("POST", "/_log/reset")

    def log(self):
        status, headers, body = self.request("GET", "/_log")
        assert status == 200 and headers["content-type"] == "application/x-ndjson"
        return [json.loads(line) for line in body.decode().splitlines()]

    def raw(self, data, read_timeout=5):
        """Sends raw bytes and reads until the server closes (or the timeout)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout)
        try:
            s.sendall(data)
            out = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            s.close()


def curl(*args, timeout=60):
    """Runs curl -s with args: (exit code, stdout bytes)."""
    p = subprocess.run([CURL, "-s", "-S"] + list(args), capture_output=True, timeout=timeout)
    return p.returncode, p.stdout


def md5_hex(text):
    return hashlib.md5(text.encode()).hexdigest()


def parse_challenge(value):
    """'Digest k="v", k=v' -> {k: v} (the scheme under the key '')."""
    scheme, _, rest = value.partition(" ")
    params = {"": scheme}
    for m in re.finditer(r'\s*([A-Za-z]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)', rest):
        params[m.group(1).lower()] = m.group(2) if m.group(2) is not None else m.group(3)
    return params


def digest_credentials(challenge, user, password, method, uri, **override):
    """An RFC 7616 (MD5, qop=auth) credentials value answering challenge (a header value).
    Keyword arguments replace fields (realm, nonce, qop, nc, cnonce, algorithm, opaque) before
    the response is computed; response=... replaces the computed response itself."""
    c = parse_challenge(challenge)
    f = {"username": user, "realm": c["realm"], "nonce": c["nonce"], "uri": uri,
         "algorithm": "MD5", "qop": "auth", "nc": "00000001", "cnonce": "0a4f113b",
         "opaque": c.get("opaque")}
    f.update({k: v for k, v in override.items() if k != "response"})
    ha1 = md5_hex("%s:%s:%s" % (user, f["realm"], password))
    ha2 = md5_hex("%s:%s" % (method, f["uri"]))
    f["response"] = override.get("response") or md5_hex(
        ":".join([ha1, f["nonce"], f["nc"], f["cnonce"], f["qop"], ha2]))
    quoted = ("username", "realm", "nonce", "uri", "response", "cnonce", "opaque")
    return "Digest " + ", ".join(
        ('%s="%s"' if k in quoted else "%s=%s") % (k, v) for k, v in f.items() if v is not None)


def parse_multipart(body, boundary):
    """Splits a multipart/byteranges body: [(part headers dict lower-cased, part bytes)]."""
    delim = b"--" + boundary.encode()
    assert body.startswith(delim + b"\r\n"), body[:80]
    assert body.endswith(b"\r\n" + delim + b"--\r\n"), body[-80:]
    inner = body[len(delim) + 2 : -(len(delim) + 6)]
    parts = []
    for chunk in inner.split(b"\r\n" + delim + b"\r\n"):
        head, _, data = chunk.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode().split("\r\n"):
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        parts.append((headers, data))
    return parts


class ServerTest(unittest.TestCase):
    """Tests against the shared server; each test starts with no rules and an empty log."""

    srv = None

    def setUp(self):
        self.srv.reset()

    def tearDown(self):
        self.srv.reset()

    def assert_alive(self):
        status, _, body = self.srv.request("GET", "/gen/16?seed=1")
        self.assertEqual(status, 200)
        self.assertEqual(body, gen_bytes(0, 16, 1))

    # ---- resources and plain HTTP -------------------------------------------------------

    def test_head_sizes(self):
        for path, size in [("/gen/0", 0), ("/gen/1", 1), ("/gen/1000", 1000),
                           ("/gen/1099511627776", 1 << 40), ("/zero/12345", 12345),
                           ("/gen/3k", 3072), ("/zero/2G", 2 << 30), ("/gen/1T", 1 << 40)]:
            status, h, body = self.srv.request("HEAD", path)
            self.assertEqual(status, 200, path)
            self.assertEqual(int(h["content-length"]), size, path)
            self.assertEqual(body, b"")
            self.assertEqual(h["accept-ranges"], "bytes")
            self.assertEqual(h["last-modified"], GEN_LM)
            self.assertTrue(h["etag"].startswith('"') and h["etag"].endswith('"'))
            self.assertIn("date", h)
        self.assertEqual(self.srv.request("HEAD", "/gen/1099511627777")[0], 404)
        self.assertEqual(self.srv.request("GET", "/gen/12x")[0], 404)
        self.assertEqual(self.srv.request("GET", "/nothing")[0], 404)
        if CURL:
            rc, out = curl("-I", self.srv.url("/gen/4096"))
            self.assertEqual(rc, 0)
            self.assertIn(b"Content-Length: 4096\r\n", out)

    def test_gen_and_zero_content(self):
        for seed in (0, 1, 37, 255, 256, 123456789):
            status, _, body = self.srv.request("GET", "/gen/70000?seed=%d" % seed)
            self.assertEqual(status, 200)
            self.assertEqual(body, gen_bytes(0, 70000, seed), seed)
        status, _, body = self.srv.request("GET", "/zero/300000")
        self.assertEqual((status, body), (200, bytes(300000)))
        self.assertEqual(self.srv.request("GET", "/gen/10?seed=x")[0], 400)
        # different seeds: different ETags
        e1 = self.srv.request("HEAD", "/gen/10?seed=1")[1]["etag"]
        e2 = self.srv.request("HEAD", "/gen/10?seed=2")[1]["etag"]
        self.assertNotEqual(e1, e2)
        if CURL:
            # a large body through curl, several chunks, byte for byte
            with tempfile.TemporaryDirectory() as d:
                out = os.path.join(d, "g")
                rc, _ = curl("-o", out, self.srv.url("/gen/3000000?seed=9"))
                self.assertEqual(rc, 0)
                with open(out, "rb") as f:
                    data = f.read()
                pattern = gen_bytes(0, 256, 9)
                self.assertEqual(len(data), 3000000)
                self.assertEqual(data, (pattern * (3000000 // 256 + 1))[:3000000])

    def test_single_ranges(self):
        size = 100000
        cases = [("0-0", 0, 0), ("10-19", 10, 19), ("99990-", 99990, 99999),
                 ("99990-200000", 99990, 99999), ("0-99999", 0, 99999), (" 5-7 ", 5, 7),
                 ("50000-50000", 50000, 50000)]
        for spec, first, last in cases:
            status, h, body = self.srv.request("GET", "/gen/%d?seed=4" % size,
                                               {"Range": "bytes=" + spec})
            self.assertEqual(status, 206, spec)
            self.assertEqual(h["content-range"], "bytes %d-%d/%d" % (first, last, size))
            self.assertEqual(int(h["content-length"]), last - first + 1)
            self.assertEqual(body, gen_bytes(first, last - first + 1, 4), spec)
        # HEAD with a range: the same head, no body
        status, h, body = self.srv.request("HEAD", "/gen/100", {"Range": "bytes=10-19"})
        self.assertEqual((status, h["content-range"], h["content-length"], body),
                         (206, "bytes 10-19/100", "10", b""))
        if CURL:
            rc, out = curl("-r", "1000-1999", self.srv.url("/gen/5000?seed=2"))
            self.assertEqual((rc, out), (0, gen_bytes(1000, 1000, 2)))
        log = self.srv.log()
        self.assertEqual(log[0]["range"], "bytes=0-0")
        self.assertEqual(log[0]["status"], 206)
        self.assertEqual(log[0]["bytes"], 1)

    def test_suffix_ranges(self):
        status, h, body = self.srv.request("GET", "/gen/1000", {"Range": "bytes=-100"})
        self.assertEqual((status, h["content-range"]), (206, "bytes 900-999/1000"))
        self.assertEqual(body, gen_bytes(900, 100))
        # a suffix longer than the resource is the whole resource
        status, h, body = self.srv.request("GET", "/gen/1000", {"Range": "bytes=-5000"})
        self.assertEqual((status, h["content-range"], body),
                         (206, "bytes 0-999/1000", gen_bytes(0, 1000)))
        if CURL:
            rc, out = curl("-r", "-10", self.srv.url("/zero/50"))
            self.assertEqual((rc, out), (0, bytes(10)))

    def test_multipart_ranges(self):
        size = 600000
        specs = [(0, 9), (100, 199), (size - 5, size - 1), (50, 60), (300000, 599999)]
        header = "bytes=0-9,100-199,-5,50-60,300000-"
        status, h, body = self.srv.request("GET", "/gen/%d?seed=7" % size, {"Range": header})
        self.assertEqual(status, 206)
        self.assertNotIn("content-range", h)
        m = re.fullmatch(r"multipart/byteranges; boundary=(\S+)", h["content-type"])
        self.assertIsNotNone(m, h["content-type"])
        self.assertEqual(int(h["content-length"]), len(body))
        parts = parse_multipart(body, m.group(1))
        self.assertEqual(len(parts), len(specs))  # in request order, not merged
        for (ph, data), (first, last) in zip(parts, specs):
            self.assertEqual(ph["content-type"], "application/octet-stream")
            self.assertEqual(ph["content-range"], "bytes %d-%d/%d" % (first, last, size))
            self.assertEqual(data, gen_bytes(first, last - first + 1, 7))
        # unsatisfiable members are dropped; one left gives a single-part 206
        status, h, body = self.srv.request("GET", "/gen/100", {"Range": "bytes=500-600,5-6"})
        self.assertEqual((status, h["content-range"], body), (206, "bytes 5-6/100",
                                                              gen_bytes(5, 2)))
        # many small ranges over several writes
        many = ",".join("%d-%d" % (i * 1000, i * 1000 + 9) for i in range(300))
        status, h, body = self.srv.request("GET", "/gen/400000", {"Range": "bytes=" + many})
        parts = parse_multipart(body, h["content-type"].split("boundary=")[1])
        self.assertEqual(len(parts), 300)
        for i, (ph, data) in enumerate(parts):
            self.assertEqual(data, gen_bytes(i * 1000, 10))
        if CURL:
            rc, out = curl("-i", "-r", "0-1,10-11", self.srv.url("/zero/20"))
            self.assertEqual(rc, 0)
            head, _, body = out.partition(b"\r\n\r\n")
            boundary = re.search(rb"boundary=(\S+)", head).group(1).decode()
            parts = parse_multipart(body, boundary)
            self.assertEqual([p[1] for p in parts], [bytes(2), bytes(2)])

    def test_416_and_ignored_ranges(self):
        for path, spec, total in [("/gen/1000", "bytes=1000-", 1000),
                                  ("/gen/1000", "bytes=5000-6000,2000-", 1000),
                                  ("/gen/1000", "bytes=-0", 1000), ("/gen/0", "bytes=0-", 0),
                                  ("/gen/0", "bytes=-5", 0)]:
            status, h, _ = self.srv.request("GET", path, {"Range": spec})
            self.assertEqual(status, 416, spec)
            self.assertEqual(h["content-range"], "bytes */%d" % total)
            self.assertIn("content-length", h)
        # invalid syntax or another unit: the Range header is ignored
        for spec in ["bytes=5-1", "items=0-1", "bytes=", "bytes=a-b", "bytes=1-2-3"]:
            status, h, body = self.srv.request("GET", "/gen/100", {"Range": spec})
            self.assertEqual((status, body), (200, gen_bytes(0, 100)), spec)
        if CURL:
            rc, out = curl("-o", os.devnull, "-w", "%{http_code}", "-r", "200-",
                           self.srv.url("/gen/100"))
            self.assertEqual(out, b"416")
        self.assert_alive()

    def test_if_range(self):
        h = self.srv.request("HEAD", "/gen/100")[1]
        status, _, body = self.srv.request("GET", "/gen/100",
                                           {"Range": "bytes=0-9", "If-Range": h["etag"]})
        self.assertEqual((status, body), (206, gen_bytes(0, 10)))
        status, _, _ = self.srv.request("GET", "/gen/100",
                                        {"Range": "bytes=0-9", "If-Range": h["last-modified"]})
        self.assertEqual(status, 206)
        status, _, body = self.srv.request("GET", "/gen/100",
                                           {"Range": "bytes=0-9", "If-Range": '"other"'})
        self.assertEqual((status, len(body)), (200, 100))

    def test_keep_alive_and_pipelining(self):
        c = self.srv.conn()
        try:
            for i in range(5):
                c.request("GET", "/gen/%d" % (1000 + i), headers={"Range": "bytes=0-3"})
                r = c.getresponse()
                self.assertEqual(r.read(), gen_bytes(0, 4))
                c.request("HEAD", "/gen/10")
                r = c.getresponse()
                r.read()
        finally:
            c.close()
        conns = {e["conn"] for e in self.srv.log()}
        self.assertEqual(len(conns), 1)
        # two pipelined requests in one segment, the second asking to close
        out = self.srv.raw(b"GET /gen/3 HTTP/1.1\r\nHost: x\r\n\r\n"
                           b"GET /zero/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(out.count(b"HTTP/1.1 200 OK"), 2)
        self.assertIn(b"\r\n\r\n" + gen_bytes(0, 3) + b"HTTP/1.1 200 OK\r\n", out)
        self.assertTrue(out.endswith(b"\r\n\r\n" + bytes(2)))
        # HTTP/1.0 without keep-alive: closed after the response
        out = self.srv.raw(b"GET /gen/5 HTTP/1.0\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 200 OK\r\n"))
        self.assertIn(b"Connection: close\r\n", out)
        self.assertTrue(out.endswith(gen_bytes(0, 5)))

    def test_request_bodies_are_discarded(self):
        c = self.srv.conn()
        try:
            c.request("PUT", "/gen/10", body=b"x" * 100000)
            r = c.getresponse()
            self.assertEqual(r.status, 405)
            self.assertEqual(r.getheader("Allow"), "GET, HEAD")
            r.read()
            c.request("GET", "/gen/10")  # same connection: the body was consumed
            r = c.getresponse()
            self.assertEqual(r.read(), gen_bytes(0, 10))
        finally:
            c.close()
        # chunked body, then a second request on the same connection
        out = self.srv.raw(b"POST /gen/4 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n"
                           b"GET /gen/4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertIn(b"HTTP/1.1 405 ", out)
        self.assertTrue(out.endswith(gen_bytes(0, 4)))
        if CURL:
            # curl sends Expect: 100-continue for a large body
            with tempfile.NamedTemporaryFile() as f:
                f.write(b"y" * 2000000)
                f.flush()
                rc, out = curl("-o", os.devnull, "-w", "%{http_code}", "-X", "POST",
                               "--data-binary", "@" + f.name, "-H", "Expect: 100-continue",
                               self.srv.url("/gen/1"), timeout=30)
                self.assertEqual((rc, out), (0, b"405"))

    # ---- control protocol ---------------------------------------------------------------

    def test_control_protocol(self):
        self.assertEqual(self.srv.request("GET", "/_control")[2], b"no rules\n")
        text = self.srv.control("status=503\ncount=2\npath=/gen/\n")
        self.assertEqual(text, "rule %s: status=503 count=2 remaining=2 path=/gen/\n"
                         % text.split()[1][:-1])
        # query-string form, percent-decoded, '&' separated
        status, _, body = self.srv.request("POST", "/_control?rate=1000&redirect=%2Fgen%2F1")
        self.assertEqual(status, 200)
        self.assertIn("redirect=/gen/1", body.decode())
        self.assertIn("rate=1000", body.decode())
        status, _, body = self.srv.request("GET", "/_control")
        self.assertEqual(len(body.decode().splitlines()), 2)
        for bad in ["nonsense=1", "status=99", "status=abc", "count=2", "redirect_status=200",
                    "ignore_ranges=maybe", "rate"]:
            status, _, body = self.srv.request("POST", "/_control", body=bad.encode())
            self.assertEqual(status, 400, bad)
            self.assertTrue(body)
        status, _, body = self.srv.request("POST", "/_control/reset")
        self.assertEqual((status, body), (200, b"no rules\n"))
        self.assertEqual(self.srv.request("GET", "/_control/reset")[0], 405)
        self.assertEqual(self.srv.request("DELETE", "/_control")[0], 405)
        self.assertEqual(self.srv.request("GET", "/_control/other")[0], 404)
        # control requests are neither faulted nor logged
        self.srv.control("status=500")
        self.assertEqual(self.srv.request("GET", "/_control")[0], 200)
        self.assertEqual(self.srv.log(), [])
        if CURL:
            rc, out = curl("-d", "status=502", "-d", "count=1", self.srv.url("/_control"))
            self.assertEqual(rc, 0)
            self.assertIn(b"status=502 count=1", out)
            rc, out = curl("-o", os.devnull, "-w", "%{http_code}", self.srv.url("/gen/1"))
            self.assertEqual(out, b"502")  # the later rule overrides status=500

    def test_request_log(self):
        self.srv.request("GET", "/gen/10", {"Range": "bytes=2-3"})
        self.srv.request("HEAD", "/zero/5")
        self.srv.request("GET", "/missing?q=1")
        log = self.srv.log()
        self.assertEqual([(e["method"], e["path"], e["range"], e["status"], e["bytes"],
                           e["state"]) for e in log],
                         [("GET", "/gen/10", "bytes=2-3", 206, 2, "done"),
                          ("HEAD", "/zero/5", None, 200, 0, "done"),
                          ("GET", "/missing?q=1", None, 404, len(b"not found\n"), "done")])
        self.assertEqual(sorted(log[0].keys()), ["bytes", "conn", "faults", "method", "path",
                                                 "range", "seq", "state", "status", "time_ms"])
        self.assertLess(log[0]["seq"], log[1]["seq"])
        status, _, body = self.srv.request("POST", "/_log/reset")
        self.assertEqual(status, 200)
        self.assertEqual(self.srv.log(), [])
        self.assertIn("GET /gen/10 range=bytes=2-3 status=206 bytes=2 done",
                      self.srv.log_text())

    # ---- faults ---------------------------------------------------------------------------

    def test_fault_ignore_ranges(self):
        self.srv.control("ignore_ranges=1")
        status, h, body = self.srv.request("GET", "/gen/1000", {"Range": "bytes=10-19"})
        self.assertEqual((status, body), (200, gen_bytes(0, 1000)))
        self.assertNotIn("content-range", h)
        status, _, _ = self.srv.request("GET", "/gen/1000", {"Range": "bytes=5000-"})
        self.assertEqual(status, 200)  # no 416 either
        if CURL:
            rc, out = curl("-r", "0-9", self.srv.url("/gen/50"))
            self.assertEqual((rc, out), (0, gen_bytes(0, 50)))
        self.assertEqual(self.srv.log()[0]["faults"], ["ignore_ranges"])
        self.srv.control("ignore_ranges=0")  # a later rule turns it off again
        self.assertEqual(self.srv.request("GET", "/gen/1000", {"Range": "bytes=1-2"})[0], 206)

    def test_fault_no_content_length(self):
        self.srv.control("no_content_length=1")
        status, h, body = self.srv.request("GET", "/gen/100000?seed=3")
        self.assertNotIn("content-length", h)
        self.assertEqual(h.get("connection"), "close")
        self.assertEqual((status, body), (200, gen_bytes(0, 100000, 3)))
        status, h, _ = self.srv.request("HEAD", "/gen/100")
        self.assertNotIn("content-length", h)
        if CURL:
            rc, out = curl(self.srv.url("/gen/5000"))
            self.assertEqual((rc, out), (0, gen_bytes(0, 5000)))
        self.srv.reset()
        self.assert_alive()

    def test_fault_status_count(self):
        self.srv.control("status=503\ncount=2")
        got = []
        for _ in range(3):
            if CURL:
                rc, out = curl("-o", os.devnull, "-w", "%{http_code}", self.srv.url("/gen/10"))
                got.append(int(out))
            else:
                got.append(self.srv.request("GET", "/gen/10")[0])
        self.assertEqual(got, [503, 503, 200])
        status, h, body = self.srv.request("GET", "/gen/10")
        self.assertEqual(status, 200)
        self.assertEqual(self.srv.request("GET", "/_control")[2], b"no rules\n")
        self.srv.control("status=503\ncount=1")
        status, h, body = self.srv.request("GET", "/gen/10")
        self.assertEqual((status, body), (503, b"injected status 503 Service Unavailable\n"))
        self.assertEqual(int(h["content-length"]), len(body))
        self.assertEqual([e["status"] for e in self.srv.log()], [503, 503, 200, 200, 503])

    def test_fault_scope(self):
        self.srv.control("status=404\npath=/gen/\nmethod=GET")
        self.assertEqual(self.srv.request("HEAD", "/gen/10")[0], 200)
        self.assertEqual(self.srv.request("GET", "/zero/10")[0], 200)
        self.assertEqual(self.srv.request("GET", "/gen/10")[0], 404)

    def test_fault_reset_after(self):
        self.srv.control("reset_after=1000\npath=/gen/\nmethod=GET")
        status, h, _ = self.srv.request("HEAD", "/gen/100000")  # HEAD is not affected
        self.assertEqual(status, 200)
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "part")
            if CURL:
                rc, _ = curl("-o", out, self.srv.url("/gen/100000?seed=5"))
                self.assertIn(rc, (18, 56))
                with open(out, "rb") as f:
                    data = f.read()
                # the server waits for the peer's ACK before resetting, so on Linux the
                # client has all N bytes before it sees the reset
                if sys.platform.startswith("linux"):
                    self.assertEqual(len(data), 1000)
                self.assertLessEqual(len(data), 1000)
                self.assertEqual(data, gen_bytes(0, len(data), 5))
        c = self.srv.conn()
        try:
            c.request("GET", "/gen/100000")
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            with self.assertRaises((http.client.IncompleteRead, ConnectionResetError)):
                r.read()
        finally:
            c.close()
        entries = [e for e in self.srv.log() if e["method"] == "GET"]
        self.assertTrue(all(e["state"] == "reset" and e["bytes"] == 1000 for e in entries))
        self.srv.reset()
        self.assert_alive()

    def test_fault_stall_after(self):
        if not CURL:
            if os.environ.get("BGCOPY_TEST_ALLOW_MISSING_SERVERS"):
                self.skipTest("curl not found")
            self.fail("curl is not installed (make test installs it; set "
                      "BGCOPY_TEST_ALLOW_MISSING_SERVERS=1 to skip)")
        self.srv.control("stall_after=100\ncount=1")
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "part")
            t0 = time.monotonic()
            rc, _ = curl("--max-time", "2", "-o", out, self.srv.url("/gen/100000"))
            self.assertEqual(rc, 28)
            self.assertGreaterEqual(time.monotonic() - t0, 1.5)
            self.assertEqual(os.path.getsize(out), 100)
        entry = self.srv.log()[0]
        self.assertEqual((entry["state"], entry["bytes"]), ("stalled", 100))
        self.assert_alive()

    def test_fault_bad_range(self):
        self.srv.control("bad_range=1")
        status, h, body = self.srv.request("GET", "/gen/1000", {"Range": "bytes=10-19"})
        self.assertEqual((status, h["content-range"]), (206, "bytes 11-20/1000"))
        self.assertEqual(body, gen_bytes(10, 10))  # the body is still the requested bytes
        status, h, body = self.srv.request("GET", "/gen/1000", {"Range": "bytes=0-1,5-6"})
        parts = parse_multipart(body, h["content-type"].split("boundary=")[1])
        self.assertEqual([p[0]["content-range"] for p in parts],
                         ["bytes 1-2/1000", "bytes 6-7/1000"])

    def test_fault_last_modified(self):
        self.srv.control("lm_bump=1")
        stamps = []
        for _ in range(3):
            h = self.srv.request("HEAD", "/gen/10")[1]
            stamps.append(email.utils.parsedate_to_datetime(h["last-modified"]).timestamp())
        self.assertEqual([stamps[1] - stamps[0], stamps[2] - stamps[1]], [1, 1])
        etags = {self.srv.request("HEAD", "/gen/10")[1]["etag"] for _ in range(2)}
        self.assertEqual(len(etags), 2)  # the entity tag follows Last-Modified
        self.srv.reset()
        self.srv.control("lm=1700000000")
        h = self.srv.request("HEAD", "/zero/10")[1]
        self.assertEqual(h["last-modified"], "Tue, 14 Nov 2023 22:13:20 GMT")
        self.srv.reset()
        self.assertEqual(self.srv.request("HEAD", "/gen/10")[1]["last-modified"], GEN_LM)

    def test_fault_redirect(self):
        self.srv.control("redirect=/gen/5000?seed=3\npath=/old/")
        status, h, _ = self.srv.request("GET", "/old/file")
        self.assertEqual((status, h["location"]), (302, "/gen/5000?seed=3"))
        if CURL:
            rc, out = curl("-L", self.srv.url("/old/file"))
            self.assertEqual((rc, out), (0, gen_bytes(0, 5000, 3)))
        self.srv.reset()
        self.srv.control("redirect=%s\nredirect_status=307\ncount=1"
                         % self.srv.url("/zero/7"))
        status, h, _ = self.srv.request("GET", "/anything")
        self.assertEqual((status, h["location"]), (307, self.srv.url("/zero/7")))
        self.assertEqual(self.srv.request("GET", "/gen/1")[0], 200)

    def test_fault_basic_auth(self):
        self.srv.control("auth=user:pa%3Ass")  # percent-decoded: password "pa:ss"
        status, h, _ = self.srv.request("GET", "/gen/10")
        self.assertEqual((status, h["www-authenticate"]), (401, 'Basic realm="bgcopy"'))
        if CURL:
            rc, out = curl("-o", os.devnull, "-w", "%{http_code}", self.srv.url("/gen/10"))
            self.assertEqual(out, b"401")
            rc, out = curl("-u", "user:wrong", "-o", os.devnull, "-w", "%{http_code}",
                           self.srv.url("/gen/10"))
            self.assertEqual(out, b"401")
            rc, out = curl("-u", "user:pa:ss", self.srv.url("/gen/10"))
            self.assertEqual((rc, out), (0, gen_bytes(0, 10)))
        else:
            status, _, body = self.srv.request("GET", "/gen/10",
                                               {"Authorization": "Basic dXNlcjpwYTpzcw=="})
            self.assertEqual(status, 200)

    def test_fault_digest_auth(self):
        self.srv.control("auth=user:pa%3Ass\nauth_scheme=digest")
        status, h, _ = self.srv.request("GET", "/gen/10?seed=4")
        self.assertEqual(status, 401)
        challenge = h["www-authenticate"]
        c = parse_challenge(challenge)
        self.assertEqual((c[""], c["realm"], c["qop"], c["algorithm"]),
                         ("Digest", "bgcopy", "auth", "MD5"))
        self.assertRegex(c["nonce"], r"^[0-9a-f]{32}$")
        self.assertIn("opaque", c)
        # the same nonce for the server's whole life
        self.assertEqual(parse_challenge(self.srv.request("HEAD", "/x")[1]["www-authenticate"])
                         ["nonce"], c["nonce"])

        def attempt(path="/gen/10?seed=4", method="GET", **kw):
            return self.srv.request(method, path, {"Authorization": digest_credentials(
                challenge, kw.pop("user", "user"), kw.pop("password", "pa:ss"), method,
                kw.pop("uri", path), **kw)})

        status, _, body = attempt()
        self.assertEqual((status, body), (200, gen_bytes(0, 10, 4)))
        status, h, body = attempt(method="HEAD")
        self.assertEqual((status, h["content-length"]), (200, "10"))
        status, _, body = attempt(nc="0000000a", cnonce="x" * 100)
        self.assertEqual(status, 200)
        for bad in [dict(password="pa:sS"), dict(user="User"), dict(nonce="0" * 32),
                    dict(realm="other"), dict(uri="/gen/11?seed=4"), dict(qop="auth-int"),
                    dict(algorithm="SHA-256"), dict(nc="1"), dict(opaque="nope"),
                    dict(response="0" * 32), dict(response="zz")]:
            status, h, _ = attempt(**bad)
            self.assertEqual(status, 401, bad)
            self.assertTrue(h["www-authenticate"].startswith("Digest "), bad)
        # no qop (the RFC 2069 form) and Basic credentials are refused too
        cred = digest_credentials(challenge, "user", "pa:ss", "GET", "/gen/10")
        self.assertEqual(self.srv.request("GET", "/gen/10", {
            "Authorization": re.sub(r", (qop|nc|cnonce)=[^,]*", "", cred)})[0], 401)
        self.assertEqual(self.srv.request("GET", "/gen/10", {
            "Authorization": "Basic dXNlcjpwYTpzcw=="})[0], 401)
        self.assertEqual(self.srv.request("GET", "/gen/10", {
            "Authorization": "Digest garbage"})[0], 401)
        if CURL:
            rc, out = curl("--digest", "-u", "user:pa:ss", self.srv.url("/gen/10?seed=4"))
            self.assertEqual((rc, out), (0, gen_bytes(0, 10, 4)))
            rc, out = curl("--digest", "-u", "user:nope", "-o", os.devnull, "-w",
                           "%{http_code}", self.srv.url("/gen/10"))
            self.assertEqual(out, b"401")
        log = self.srv.log()
        self.assertEqual(log[0]["faults"], ["auth", "auth_scheme"])
        self.assertEqual([e["status"] for e in log[:4]], [401, 401, 200, 200])
        self.srv.reset()
        self.assert_alive()

    # ---- proxies ---------------------------------------------------------------------------

    def test_proxy_absolute_form(self):
        out = self.srv.raw(b"GET http://origin.invalid:9/gen/10?seed=2 HTTP/1.1\r\n"
                           b"Host: origin.invalid:9\r\nConnection: close\r\n\r\n")
        head, _, body = out.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 OK\r\n"), head)
        self.assertEqual(body, gen_bytes(0, 10, 2))
        out = self.srv.raw(b"GET HTTP://Origin.invalid HTTP/1.1\r\nHost: x\r\n"
                           b"Connection: close\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 404 "), out[:40])  # the path is "/"
        if CURL:
            rc, out = curl("-x", self.srv.url(""), "-r", "3-7",
                           "http://127.0.0.1:1/gen/100?seed=2")
            self.assertEqual((rc, out), (0, gen_bytes(3, 5, 2)))
        log = self.srv.log()
        self.assertEqual([(e["method"], e["path"], e["status"]) for e in log[:2]],
                         [("GET", "http://origin.invalid:9/gen/10?seed=2", 200),
                          ("GET", "HTTP://Origin.invalid", 404)])
        if CURL:
            self.assertEqual((log[2]["path"], log[2]["range"], log[2]["status"]),
                             ("http://127.0.0.1:1/gen/100?seed=2", "bytes=3-7", 206))

    def test_fault_proxy_auth(self):
        url = "http://origin.invalid/gen/20?seed=9"
        self.srv.control("proxy_auth=bob:pw")
        status, h, _ = self.srv.request("GET", url)
        self.assertEqual((status, h["proxy-authenticate"]), (407, 'Basic realm="bgcopy-proxy"'))
        self.assertNotIn("www-authenticate", h)
        basic = {"Proxy-Authorization": "Basic Ym9iOnB3"}  # bob:pw
        status, _, body = self.srv.request("GET", url, basic)
        self.assertEqual((status, body), (200, gen_bytes(0, 20, 9)))
        # server credentials do not satisfy the proxy
        self.assertEqual(self.srv.request("GET", url, {"Authorization": "Basic Ym9iOnB3"})[0],
                         407)
        self.assertEqual(self.srv.request("GET", url, {
            "Proxy-Authorization": "Basic Ym9iOnB4"})[0], 407)
        # with server auth too: the proxy is asked first
        self.srv.control("auth=alice:s3cret")
        self.assertEqual(self.srv.request("GET", url)[0], 407)
        status, h, _ = self.srv.request("GET", url, basic)
        self.assertEqual((status, h["www-authenticate"]), (401, 'Basic realm="bgcopy"'))
        both = dict(basic, Authorization="Basic YWxpY2U6czNjcmV0")
        self.assertEqual(self.srv.request("GET", url, both)[0], 200)
        if CURL:
            rc, out = curl("-x", self.srv.url(""), "-U", "bob:pw", "-u", "alice:s3cret", url)
            self.assertEqual((rc, out), (0, gen_bytes(0, 20, 9)))
            rc, out = curl("-x", self.srv.url(""), "-o", os.devnull, "-w", "%{http_code}", url)
            self.assertEqual(out, b"407")

        self.srv.reset()
        self.srv.control("proxy_auth=bob:pw\nproxy_auth_scheme=digest")
        status, h, _ = self.srv.request("GET", url)
        self.assertEqual(status, 407)
        challenge = h["proxy-authenticate"]
        c = parse_challenge(challenge)
        self.assertEqual((c[""], c["realm"], c["qop"]), ("Digest", "bgcopy-proxy", "auth"))
        # the uri may be the absolute target or its origin-form part
        for uri in (url, "/gen/20?seed=9"):
            status, _, body = self.srv.request("GET", url, {
                "Proxy-Authorization": digest_credentials(challenge, "bob", "pw", "GET", uri)})
            self.assertEqual((status, body), (200, gen_bytes(0, 20, 9)), uri)
        for uri in ("/gen/20", "http://other.invalid/gen/20?seed=9"):
            self.assertEqual(self.srv.request("GET", url, {
                "Proxy-Authorization": digest_credentials(challenge, "bob", "pw", "GET",
                                                          uri)})[0], 407, uri)
        self.assertEqual(self.srv.request("GET", url, {
            "Proxy-Authorization": digest_credentials(challenge, "bob", "pv", "GET", url)})[0],
            407)
        self.assertEqual(self.srv.request("GET", url, {
            "Authorization": digest_credentials(challenge, "bob", "pw", "GET", url)})[0], 407)
        if CURL:
            rc, out = curl("-x", self.srv.url(""), "--proxy-digest", "-U", "bob:pw", url)
            self.assertEqual((rc, out), (0, gen_bytes(0, 20, 9)))
            rc, out = curl("-x", self.srv.url(""), "--proxy-digest", "-U", "bob:px", "-o",
                           os.devnull, "-w", "%{http_code}", url)
            self.assertEqual(out, b"407")
        self.assertEqual(self.srv.log()[0]["faults"], ["proxy_auth", "proxy_auth_scheme"])

    def test_fault_size(self):
        _, h0, _ = self.srv.request("HEAD", "/gen/10000?seed=3")
        self.assertIn("size=5000 path=/gen/10000",
                      self.srv.control("size=5000\npath=/gen/10000"))
        status, h, body = self.srv.request("GET", "/gen/10000?seed=3")
        self.assertEqual((status, int(h["content-length"]), body), (200, 5000, gen_bytes(0, 5000, 3)))
        self.assertNotEqual(h["etag"], h0["etag"])  # a different representation
        self.assertEqual(h["last-modified"], h0["last-modified"])  # only the size changed
        status, h, body = self.srv.request("GET", "/gen/10000?seed=3", {"Range": "bytes=4000-"})
        self.assertEqual((status, h["content-range"], body),
                         (206, "bytes 4000-4999/5000", gen_bytes(4000, 1000, 3)))
        self.assertEqual(self.srv.request("GET", "/gen/10000", {"Range": "bytes=6000-"})[0], 416)
        self.assertEqual(int(self.srv.request("HEAD", "/gen/100")[1]["content-length"]), 100)
        # a later rule switches it off again; /zero too
        self.srv.control("size=off")
        self.assertEqual(int(self.srv.request("HEAD", "/gen/10000")[1]["content-length"]), 10000)
        self.srv.control("size=12\npath=/zero/")
        self.assertEqual(self.srv.request("GET", "/zero/1m")[2], b"\0" * 12)
        self.assertEqual(self.srv.log()[1]["faults"], ["size"])
        for bad in ("size=1099511627777", "size=x", "auth_scheme=ntlm", "proxy_auth=nocolon"):
            status, _, body = self.srv.request("POST", "/_control", body=bad.encode())
            self.assertEqual(status, 400, bad)

    def test_fault_rate(self):
        self.srv.control("rate=100000")
        t0 = time.monotonic()
        if CURL:
            rc, out = curl(self.srv.url("/gen/200000"))
        else:
            rc, out = 0, self.srv.request("GET", "/gen/200000")[2]
        elapsed = time.monotonic() - t0
        self.assertEqual((rc, out), (0, gen_bytes(0, 200000)))
        self.assertGreaterEqual(elapsed, 1.5)
        self.assertLess(elapsed, 30)

    def test_fault_overlong(self):
        self.srv.control("overlong=10")
        out = self.srv.raw(b"GET /gen/100 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head, _, body = out.partition(b"\r\n\r\n")
        self.assertIn(b"Content-Length: 100\r\n", head)
        self.assertEqual(body, gen_bytes(0, 100) + b"X" * 10)
        out = self.srv.raw(b"HEAD /gen/100 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertTrue(out.endswith(b"\r\n\r\n"))  # no body after a HEAD head
        if CURL:
            rc, out = curl(self.srv.url("/gen/100"))
            self.assertEqual(out[:100], gen_bytes(0, 100))
        self.srv.reset()
        self.assert_alive()

    # ---- abuse ----------------------------------------------------------------------------

    def test_path_traversal(self):
        for req in [b"GET /../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    b"GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    b"GET /gen/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]:
            out = self.srv.raw(req)
            self.assertRegex(out, rb"^HTTP/1.1 40[34] ")
            self.assertNotIn(b"root:", out)
        if CURL:
            rc, out = curl("--path-as-is", "-w", "%{http_code}", "-o", os.devnull,
                           self.srv.url("/../etc/passwd"))
            self.assertIn(out, (b"403", b"404"))
        self.assert_alive()

    def test_garbage_requests(self):
        for junk in [b"garbage\r\n\r\n", b"\x00\x01\x02\xff\r\n\r\n", b"GET\r\n\r\n",
                     b"GET / HTTP/1.1\r\n\r\n",  # no Host
                     b"GET / HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n",
                     b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
                     b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                     b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                     b"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                     # refused at once, without waiting for a blank line that never comes:
                     b"hello there\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
                     b"GET / HTTX", b"GET /a\x01b"]:
            out = self.srv.raw(junk)
            self.assertTrue(out.startswith(b"HTTP/1.1 400 Bad Request\r\n"), (junk, out))
            self.assertIn(b"Connection: close\r\n", out)
        out = self.srv.raw(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 505 "))
        out = self.srv.raw(b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 501 "))
        # random bytes in bulk
        out = self.srv.raw(bytes((i * 37 + 11) & 0xFF for i in range(50000)))
        self.assertTrue(out == b"" or out.startswith(b"HTTP/1.1 4"))
        self.assert_alive()

    def test_huge_header(self):
        out = self.srv.raw(b"GET /gen/1 HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 +
                           b"\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 431 "), out[:60])
        # just under the limit is fine
        pad = 16384 - len(b"GET /gen/1 HTTP/1.1\r\nHost: x\r\nX-Big: \r\n\r\n")
        out = self.srv.raw(b"GET /gen/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: " +
                           b"a" * (pad - len(b"Connection: close\r\n")) + b"\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 200 "), out[:60])
        # an endless header line is cut off at the limit, without waiting for its end
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=5)
        try:
            s.sendall(b"GET / HTTP/1.1\r\nX: " + b"b" * 100000)
            self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 431 "))
        except ConnectionResetError:
            pass  # the server may reset while we still send; it must survive either way
        finally:
            s.close()
        self.assert_alive()

    def test_disconnect_mid_response(self):
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=5)
            s.sendall(b"GET /gen/1099511627776 HTTP/1.1\r\nHost: x\r\n\r\n")
            got = 0
            while got < 3000000:
                got += len(s.recv(1 << 20))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
        # and a client that vanishes before its request is complete
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=5)
        s.sendall(b"GET /gen/1 HTTP/1.1\r\nHo")
        s.close()
        self.assert_alive()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            states = [e["state"] for e in self.srv.log() if e["path"].startswith("/gen/1099")]
            if states == ["aborted"] * 3:
                break
            time.sleep(0.05)
        self.assertEqual(states, ["aborted"] * 3)

    def test_many_connections(self):
        socks = []
        try:
            for _ in range(200):
                s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=5)
                s.sendall(b"GET /gen/1")  # incomplete requests, left hanging
                socks.append(s)
            self.assert_alive()
        finally:
            for s in socks:
                s.close()
        self.assert_alive()


class StandaloneTest(unittest.TestCase):
    """Tests that need their own server: --root, command-line faults, signals."""

    def test_root_files(self):
        with tempfile.TemporaryDirectory() as d:
            root = os.path.join(d, "root")
            os.makedirs(os.path.join(root, "sub dir"))
            data = os.urandom(700000)
            with open(os.path.join(root, "sub dir", "f.bin"), "wb") as f:
                f.write(data)
            os.utime(os.path.join(root, "sub dir", "f.bin"), (1600000000, 1600000000))
            with open(os.path.join(d, "secret"), "w") as f:
                f.write("secret\n")
            os.symlink(os.path.join(d, "secret"), os.path.join(root, "link"))
            with Server(root=root) as srv:
                status, h, body = srv.request("GET", "/sub%20dir/f.bin")
                self.assertEqual((status, body), (200, data))
                self.assertEqual(h["last-modified"], "Sun, 13 Sep 2020 12:26:40 GMT")
                status, h, _ = srv.request("HEAD", "/sub%20dir/./f.bin")
                self.assertEqual(int(h["content-length"]), len(data))
                status, h, body = srv.request("GET", "/sub%20dir/f.bin",
                                              {"Range": "bytes=1000-1999,-100"})
                parts = parse_multipart(body, h["content-type"].split("boundary=")[1])
                self.assertEqual([p[1] for p in parts], [data[1000:2000], data[-100:]])
                self.assertEqual(srv.request("GET", "/link")[0], 403)  # leads outside the root
                self.assertEqual(srv.request("GET", "/sub%20dir")[0], 403)  # directory
                self.assertEqual(srv.request("GET", "/nope")[0], 404)
                out = srv.raw(b"GET /../secret HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                self.assertTrue(out.startswith(b"HTTP/1.1 403 "))
                self.assertNotIn(b"secret\n", out)
                out = srv.raw(b"GET /sub%20dir/..%2f..%2fsecret HTTP/1.1\r\nHost: x\r\n"
                              b"Connection: close\r\n\r\n")
                self.assertTrue(out.startswith(b"HTTP/1.1 403 "))
                if CURL:
                    rc, out = curl("-r", "5-9", srv.url("/sub%20dir/f.bin"))
                    self.assertEqual((rc, out), (0, data[5:10]))
                    rc, out = curl("--path-as-is", "-o", os.devnull, "-w", "%{http_code}",
                                   srv.url("/../secret"))
                    self.assertIn(out, (b"403", b"404"))
                self.assertEqual(srv.request("GET", "/gen/3")[2], gen_bytes(0, 3))
                self.assertEqual(srv.stop(), 0)

    def test_command_line_faults(self):
        with Server("--status", "503", "--count=1", "--ignore-ranges") as srv:
            self.assertEqual(srv.request("GET", "/gen/10")[0], 503)
            self.assertEqual(srv.request("GET", "/gen/10")[0], 200)
        with Server("--ignore-ranges", "--rate=1000000") as srv:
            status, _, body = srv.request("GET", "/gen/10", {"Range": "bytes=0-1"})
            self.assertEqual((status, len(body)), (200, 10))
            self.assertIn("ignore_ranges=1 rate=1000000",
                          srv.request("GET", "/_control")[2].decode())
            self.assertEqual(srv.stop(), 0)
        with Server("--proxy-auth", "u:p", "--proxy-auth-scheme=digest", "--size", "7") as srv:
            status, h, _ = srv.request("GET", "http://o.invalid/gen/10")
            self.assertEqual(status, 407)
            challenge = h["proxy-authenticate"]
            self.assertTrue(challenge.startswith("Digest realm=\"bgcopy-proxy\""), challenge)
            status, h, body = srv.request("GET", "http://o.invalid/gen/10", {
                "Proxy-Authorization": digest_credentials(challenge, "u", "p", "GET",
                                                          "/gen/10")})
            self.assertEqual((status, body), (200, gen_bytes(0, 7)))
            self.assertEqual(srv.stop(), 0)
        # bad options: exit 1 without the listening line
        for args in (["--status", "99"], ["--nonsense"], ["--port", "70000"],
                     ["--root", "/nonexistent/dir"], ["--auth-scheme", "ntlm"], ["--md5"]):
            p = subprocess.run([SERVER_PATH] + args, capture_output=True, timeout=10)
            self.assertEqual(p.returncode, 1, args)
            self.assertEqual(p.stdout, b"")

    def test_md5_self_check(self):
        # RFC 1321 appendix A.5 test suite, then lengths around the 56/64-byte padding edges
        vectors = [("", "d41d8cd98f00b204e9800998ecf8427e"),
                   ("a", "0cc175b9c0f1b6a831c399e269772661"),
                   ("abc", "900150983cd24fb0d6963f7d28e17f72"),
                   ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
                   ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
                   ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                    "d174ab98d277d9f5a5611c2c9f419d9f"),
                   ("1234567890" * 8, "57edf4a22be3c955ac49da2e2107b67a")]
        vectors += [((("%d:" % n) * 200)[:n], None) for n in
                    (55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000)]
        for text, want in vectors:
            p = subprocess.run([SERVER_PATH, "--md5", text], capture_output=True, timeout=10)
            self.assertEqual(p.returncode, 0)
            self.assertEqual(p.stdout.decode(), (want or md5_hex(text)) + "\n", text)
            self.assertEqual(md5_hex(text), want or md5_hex(text))

    def test_signals_exit_zero(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            socks = []

            def connect(data):
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                socks.append(s)
                s.sendall(data)
                return s

            with Server("--stall-after=10", "--path=/zero/") as srv:
                try:
                    # an idle keep-alive connection, a stalled one, one mid-request, one
                    # mid-body
                    connect(b"GET /gen/1 HTTP/1.1\r\nHost: x\r\n\r\n").recv(1000)
                    connect(b"GET /zero/1000 HTTP/1.1\r\nHost: x\r\n\r\n")
                    connect(b"GET /gen/1 HTT")
                    connect(b"GET /gen/100000000000 HTTP/1.1\r\nHost: x\r\n\r\n").recv(1000)
                    time.sleep(0.2)
                    self.assertEqual(srv.stop(sig), 0)
                finally:
                    for s in socks:
                        s.close()


def main():
    global SERVER_PATH, CURL
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", required=True, help="path of bgcopy-testserver")
    ap.add_argument("--curl", default=shutil.which("curl"), help="path of curl")
    args, rest = ap.parse_known_args()
    SERVER_PATH = os.path.abspath(args.server)
    CURL = args.curl if args.curl and os.path.exists(args.curl) else None
    if not CURL:
        print("testserver_test: curl not found; curl checks are skipped", file=sys.stderr)

    srv = Server()
    ServerTest.srv = srv
    ok = False
    try:
        prog = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2)
        ok = prog.result.wasSuccessful()
    finally:
        code = srv.stop()
        if code != 0:
            print("shared server exited with %s; its stderr:\n%s" % (code, srv.log_text()[-4000:]),
                  file=sys.stderr)
            ok = False
        srv.stderr.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
