#!/usr/bin/env python3
"""tests/conformance/run.py - run the conformance scenarios against a real test server.

    run.py emulated --program P --server S --dir D --trace T
        Starts bgcopy-testserver S on 127.0.0.1, runs bgcopy-conformance P on the emulated engine
        (every scenario) into trace T, stops the server. Exit status: the program's. (ctest
        conformance_emulated.)

    run.py wine --build B --cross-build W [--out O]
        The Wine smoke test and trace comparison (`make wine-smoke`), with B the Linux build (for
        bgcopy-testserver and the Linux bgcopy-conformance) and W the mingw-w64 build (for
        bgcopy-conformance.exe). In O (default W/wine-smoke):
          1. a private Wine prefix W/wine-prefix, created with `wineboot -i` when missing (timed);
          2. test_native_bridge.exe under Wine (tests/win: the callback bridge and the
             conversions, no BITS needed), then bgcopy-testserver on 127.0.0.1;
          3. the Linux program on the emulated engine: emulated.trace;
          4. the Windows program under Wine on the native engine, i.e. Wine's BITS (qmgr),
             every scenario: native-wine.trace; checks Wine is known not to pass
             (wine-known.txt) are reported as skipped with their reason;
          5. the Windows program under Wine on the emulated engine of the Windows build (no HTTP
             transport there: scenarios rules and localfile): emulated-wine.trace;
          6. compare.py: emulated vs native-wine (only the differences wine-known.txt explains
             are allowed) and emulated vs emulated-wine on rules and localfile (no difference
             allowed);
        then stops the server and this prefix's wineserver, and prints the timings. Exit status
        0 when no check failed and no difference is unexplained.

Wine runs with WINEDEBUG=-all, WINEDLLOVERRIDES="mscoree,mshtml=" (no Mono/Gecko installers),
no DISPLAY, and without http_proxy and friends: Wine's WinHTTP sends even 127.0.0.1 through
$http_proxy. Every process started here is stopped here, by its pid (the wineserver by
`wineserver -k` of this prefix only).
"""
import argparse
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402  (this directory)

PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy")
WINE_TIMEOUT = 600


def clean_env():
    env = dict(os.environ)
    for name in list(env):
        if name.lower() in PROXY_VARS:
            del env[name]
    return env


def start_server(path, env):
    """Starts bgcopy-testserver on a free port; returns (process, base URL)."""
    proc = subprocess.Popen([path, "--port", "0"], stdout=subprocess.PIPE, env=env)
    line = proc.stdout.readline().decode().strip()
    if not line.startswith("listening "):
        proc.kill()
        proc.wait()
        raise SystemExit(f"run.py: {path} did not start (printed {line!r})")
    return proc, "http://" + line.split(" ", 1)[1]


def stop_server(proc):
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def run(cmd, env, cwd=None, timeout=WINE_TIMEOUT):
    """Runs cmd with its output passed through; returns (exit status, seconds)."""
    print("run.py: " + " ".join(cmd), flush=True)
    t0 = time.monotonic()
    try:
        rc = subprocess.run(cmd, env=env, cwd=cwd, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        print(f"run.py: timed out after {timeout} s", flush=True)
        rc = 124
    return rc, time.monotonic() - t0


def windows_path(path):
    """A Unix path as Wine's Z: drive (the whole Unix file system) names it."""
    return "Z:" + os.path.abspath(path).replace("/", "\\")


def cmd_emulated(args):
    env = clean_env()
    os.makedirs(args.dir, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.trace)), exist_ok=True)
    proc, base = start_server(args.server, env)
    try:
        rc, _ = run([args.program, "--engine", "emulated", "--dir", os.path.abspath(args.dir),
                     "--base", base, "--trace", args.trace], env, timeout=300)
    finally:
        stop_server(proc)
    return rc


def cmd_wine(args):
    build, cross = os.path.abspath(args.build), os.path.abspath(args.cross_build)
    out = os.path.abspath(args.out or os.path.join(cross, "wine-smoke"))
    prefix = os.path.join(cross, "wine-prefix")
    exe = os.path.join(cross, "bin", "bgcopy-conformance.exe")
    bridge = os.path.join(cross, "bin", "test_native_bridge.exe")
    known = os.path.join(HERE, "wine-known.txt")
    for path in (exe, bridge, os.path.join(build, "bin", "bgcopy-testserver"),
                 os.path.join(build, "bin", "bgcopy-conformance")):
        if not os.path.exists(path):
            raise SystemExit(f"run.py: {path} is missing (make build cross-win)")
    dirs = {name: os.path.join(out, name) for name in ("emulated", "native", "emulated-win")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    traces = {name: os.path.join(out, name + ".trace") for name in dirs}

    env = clean_env()
    env.pop("DISPLAY", None)
    env.update(WINEPREFIX=prefix, WINEDEBUG="-all", WINEDLLOVERRIDES="mscoree,mshtml=")
    env.setdefault("HOME", out)  # Wine wants a home directory; CI may run without one
    timings, failures = [], 0

    if os.path.isdir(prefix):
        timings.append(("wineboot", "prefix reused"))
    else:
        rc, secs = run(["wineboot", "-i"], env)
        rc2, secs2 = run(["wineserver", "-w"], env)  # wineboot returns before the prefix is done
        timings.append(("wineboot (new prefix)", f"{secs + secs2:.1f} s"))
        if rc != 0 or rc2 != 0:
            raise SystemExit("run.py: wineboot failed")

    rc, secs = run(["wine", bridge], env, cwd=out)
    timings.append(("callback bridge test under Wine", f"{secs:.1f} s"))
    failures += rc != 0

    server, base = start_server(os.path.join(build, "bin", "bgcopy-testserver"), env)
    try:
        rc, secs = run([os.path.join(build, "bin", "bgcopy-conformance"), "--engine", "emulated",
                        "--dir", dirs["emulated"], "--base", base, "--trace",
                        traces["emulated"]], env)
        timings.append(("emulated engine, Linux", f"{secs:.1f} s"))
        failures += rc != 0

        rc, secs = run(["wine", exe, "--engine", "native", "--dir",
                        windows_path(dirs["native"]), "--base", base, "--trace",
                        windows_path(traces["native"]), "--known", windows_path(known)], env,
                       cwd=out)
        timings.append(("native engine, Wine's BITS", f"{secs:.1f} s"))
        failures += rc != 0

        rc, secs = run(["wine", exe, "--engine", "emulated", "--dir", dirs["emulated-win"],
                        "--scenario", "rules", "--scenario", "localfile", "--trace",
                        windows_path(traces["emulated-win"])], env, cwd=out)
        timings.append(("emulated engine, Windows build under Wine", f"{secs:.1f} s"))
        failures += rc != 0
    finally:
        stop_server(server)
        subprocess.run(["wineserver", "-k"], env=env)

    print("\ntrace comparison:", flush=True)
    known_map = compare.read_known(known)
    _, explained, unexplained = compare.compare(
        compare.read_trace(traces["emulated"]), compare.read_trace(traces["native"]),
        known_map, ("emulated", "wine"))
    failures += unexplained
    scen = {"rules", "localfile"}
    _, _, unexplained2 = compare.compare(
        compare.read_trace(traces["emulated"], scen),
        compare.read_trace(traces["emulated-win"], scen), {}, ("emulated-linux", "emulated-win"))
    failures += unexplained2

    print("\ntimings:")
    for name, value in timings:
        print(f"  {name}: {value}")
    print(f"\nwine-smoke: {explained} differences explained by Wine's partial BITS, "
          f"{unexplained + unexplained2} unexplained")
    return 0 if failures == 0 else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    e = sub.add_parser("emulated")
    e.add_argument("--program", required=True)
    e.add_argument("--server", required=True)
    e.add_argument("--dir", required=True)
    e.add_argument("--trace", required=True)
    w = sub.add_parser("wine")
    w.add_argument("--build", required=True)
    w.add_argument("--cross-build", required=True)
    w.add_argument("--out")
    args = p.parse_args()
    return cmd_emulated(args) if args.mode == "emulated" else cmd_wine(args)


if __name__ == "__main__":
    sys.exit(main())
