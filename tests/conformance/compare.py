#!/usr/bin/env python3
"""tests/conformance/compare.py - compare two conformance traces, key by key.

A trace (written by bgcopy-conformance --trace) has one "scenario.key = value" line per step,
with nothing run-specific in it, so the traces of two engines that behave alike are equal line
for line. This script reports every key whose values differ and sorts the differences into

  explained    the key is listed in the known-differences file (wine-known.txt: key, a tab, the
               reason), i.e. a deviation of Wine's partial BITS, printed with its reason;
  unexplained  anything else - the comparison fails.

Keys present in only one trace count as differences too (value "(absent)"). Known entries whose
values turned out equal are listed as "not seen", so the list can be trimmed when Wine improves.

    compare.py A.trace B.trace [--known wine-known.txt] [--names emulated,wine]
               [--scenarios download,rules]

Exit status 0 when every difference is explained, 1 otherwise. The last line reads
"N passed, N failed" (passed = equal or explained keys, failed = unexplained ones).
"""
import argparse
import sys


def read_trace(path, scenarios=None):
    """Ordered {key: value} of a trace file, limited to the given scenarios (prefixes)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line or " = " not in line:
                continue
            key, value = line.split(" = ", 1)
            if scenarios and key.split(".", 1)[0] not in scenarios:
                continue
            out[key] = value
    return out


def read_known(path):
    """{key: reason} from a known-differences file (# comments, key<TAB>reason lines)."""
    known = {}
    if path is None:
        return known
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line or line.startswith("#") or "\t" not in line:
                continue
            key, reason = line.split("\t", 1)
            known[key] = reason
    return known


def compare(a, b, known, names=("A", "B"), out=sys.stdout):
    """Prints the comparison; returns (equal, explained, unexplained) counts."""
    keys = list(a) + [k for k in b if k not in a]
    equal, explained, unexplained = 0, [], []
    for key in keys:
        va, vb = a.get(key, "(absent)"), b.get(key, "(absent)")
        if va == vb:
            equal += 1
        elif key in known:
            explained.append((key, va, vb, known[key]))
        else:
            unexplained.append((key, va, vb))
    print(f"compare {names[0]} vs {names[1]}: {len(keys)} keys, {equal} equal, "
          f"{len(explained)} explained, {len(unexplained)} unexplained", file=out)
    for key, va, vb, reason in explained:
        print(f"  explained    {key}: {names[0]}={va} | {names[1]}={vb}\n"
              f"               reason: {reason}", file=out)
    for key, va, vb in unexplained:
        print(f"  UNEXPLAINED  {key}: {names[0]}={va} | {names[1]}={vb}", file=out)
    present = set(keys)
    for key in known:
        if key in present and a.get(key) == b.get(key):
            print(f"  not seen     {key}: listed as a known difference, but equal here", file=out)
    return equal, len(explained), len(unexplained)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--known")
    p.add_argument("--names", default="A,B")
    p.add_argument("--scenarios")
    args = p.parse_args()
    scenarios = set(args.scenarios.split(",")) if args.scenarios else None
    equal, explained, unexplained = compare(
        read_trace(args.a, scenarios), read_trace(args.b, scenarios), read_known(args.known),
        tuple(args.names.split(",", 1)))
    print(f"{equal + explained} passed, {unexplained} failed")
    return 0 if unexplained == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
