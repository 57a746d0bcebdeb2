#!/usr/bin/env python3
"""Regenerate the constant #define block of include/bgcopy/errors.h from its X-macro table.

include/bgcopy/errors.h holds the single source of truth for bgcopy's HRESULTs, the table
BGCOPY_HR_TABLE(X), one row per code:

    X(SYM, "WindowsName", 0xVALUEu, "Message text.")

Strict C99 cannot declare enumerators above INT32_MAX and an X-macro cannot emit #define lines,
so each row also needs an object-like macro, preceded by its Doxygen comment (the Windows name
and the message, wrapped to the .clang-format column limit):

    /** WindowsName: Message text. */
    #define BGCOPY_<SYM> ((bgcopy_hr)0xVALUEu)

Those lines sit between the "BEGIN GENERATED CONSTANTS" and "END GENERATED CONSTANTS" marker
comments of the header and are written by this script from the table; never edit them by hand.
core/errors.c also static-asserts every row against its macro, so a stale block fails the build.

Usage:
    python3 tools/gen-errors.py include/bgcopy/errors.h           rewrite the block in place
    python3 tools/gen-errors.py --check include/bgcopy/errors.h   only compare (for CI)

The table is validated on every run: every row must parse; SYMs, Windows names and values must
be unique; values are exactly eight hex digits with a 'u' suffix; messages are non-empty and end
with '.'; no name or message contains "*/".

Exit status: 0 block up to date (or rewritten); 1 block stale under --check, or the table is
invalid; 2 usage or I/O error.
"""

import argparse
import difflib
import re
import sys
import textwrap

TABLE_START = "#define BGCOPY_HR_TABLE(X)"
BEGIN_MARK = "/* BEGIN GENERATED CONSTANTS"
END_MARK = "/* END GENERATED CONSTANTS"

STRING = r'"(?:[^"\\\n]|\\.)*"'
ROW_RE = re.compile(
    r"X\(\s*(?P<sym>[A-Za-z_][A-Za-z0-9_]*)\s*,"
    r"\s*(?P<name>" + STRING + r")\s*,"
    r"\s*(?P<value>0x[0-9A-Fa-f]+)(?P<suffix>[uU]?)\s*,"
    r"\s*(?P<msg>(?:" + STRING + r"\s*)+)\)"
)
COMMENT_RE = re.compile(r"/\*.*?\*/", re.S)
COLUMN_LIMIT = 100  # ColumnLimit of .clang-format


def literal_text(literals):
    """Concatenate adjacent C string literals (no escapes are used in the table)."""
    return "".join(re.findall(r'"((?:[^"\\\n]|\\.)*)"', literals))


def table_body(lines):
    """Return the text of the BGCOPY_HR_TABLE macro with line continuations removed."""
    for i, line in enumerate(lines):
        if line.startswith(TABLE_START):
            body = []
            j = i
            while True:
                text = lines[j].rstrip("\n")
                cont = text.endswith("\\")
                body.append(text[:-1] if cont else text)
                if not cont:
                    break
                j += 1
                if j >= len(lines):
                    raise ValueError("table macro runs off the end of the file")
            return " ".join(body)[len(TABLE_START):]
    raise ValueError("'%s' not found" % TABLE_START)


def parse_rows(lines):
    body = COMMENT_RE.sub(" ", table_body(lines))
    rows = []
    for m in ROW_RE.finditer(body):
        rows.append({
            "sym": m.group("sym"),
            "name": literal_text(m.group("name")),
            "value": m.group("value"),
            "suffix": m.group("suffix"),
            "msg": literal_text(m.group("msg")),
        })
    leftover = ROW_RE.sub(" ", body).strip()
    errors = []
    if leftover:
        errors.append("unparsed text in table: %r" % leftover[:120])
    seen = {"sym": {}, "name": {}, "value": {}}
    for r in rows:
        if not re.fullmatch(r"0x[0-9A-F]{8}", r["value"]) or r["suffix"] != "u":
            errors.append("%s: value must be 0x + 8 upper-case hex digits + 'u'" % r["sym"])
        for key in ("sym", "name"):
            if r[key] in seen[key]:
                errors.append("duplicate %s %s" % (key, r[key]))
            seen[key][r[key]] = r
        v = int(r["value"], 16)
        if v in seen["value"]:
            errors.append("%s: value %s already used by %s"
                          % (r["sym"], r["value"], seen["value"][v]["sym"]))
        seen["value"][v] = r
        if not r["name"]:
            errors.append("%s: empty Windows name" % r["sym"])
        if not r["msg"] or not r["msg"].endswith("."):
            errors.append("%s: message must be non-empty and end with '.'" % r["sym"])
        if "*/" in r["name"] + r["msg"]:
            errors.append("%s: '*/' would end the constant's doc comment" % r["sym"])
    if not rows:
        errors.append("table has no rows")
    return rows, errors


def doxygen_text(text):
    """Escape the characters Doxygen gives a meaning to ("*/" is refused by parse_rows)."""
    return re.sub(r'([\\@&$#%<>`])', r"\\\1", text)


def render_doc(row):
    """The /** ... */ comment of one constant, wrapped to the column limit (clang-format leaves
    comment lines that fit alone, so the output is clang-format clean)."""
    text = doxygen_text("%s: %s" % (row["name"], row["msg"]))
    lines = textwrap.wrap(text, width=COLUMN_LIMIT - len(" */"), initial_indent="/** ",
                          subsequent_indent=" * ", break_long_words=False,
                          break_on_hyphens=False)
    lines[-1] += " */"
    return [line + "\n" for line in lines]


def render_block(rows):
    out = [BEGIN_MARK + ": written by tools/gen-errors.py from BGCOPY_HR_TABLE. */\n"]
    for r in rows:
        out.extend(render_doc(r))
        out.append("#define BGCOPY_%s ((bgcopy_hr)%su)\n" % (r["sym"], r["value"]))
    out.append(END_MARK + " */\n")
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if the generated block is stale")
    ap.add_argument("header", help="path to include/bgcopy/errors.h")
    args = ap.parse_args(argv)

    try:
        with open(args.header, encoding="utf-8") as f:
            lines = f.readlines()
    except OSError as e:
        print("gen-errors: %s" % e, file=sys.stderr)
        return 2

    try:
        rows, errors = parse_rows(lines)
    except ValueError as e:
        print("gen-errors: %s: %s" % (args.header, e), file=sys.stderr)
        return 1
    if errors:
        for e in errors:
            print("gen-errors: %s: %s" % (args.header, e), file=sys.stderr)
        return 1

    begin = [i for i, l in enumerate(lines) if l.startswith(BEGIN_MARK)]
    end = [i for i, l in enumerate(lines) if l.startswith(END_MARK)]
    if len(begin) != 1 or len(end) != 1 or end[0] < begin[0]:
        print("gen-errors: %s: need exactly one BEGIN/END GENERATED CONSTANTS pair"
              % args.header, file=sys.stderr)
        return 1

    old = lines[begin[0]:end[0] + 1]
    new = render_block(rows)
    if old == new:
        return 0
    if args.check:
        sys.stderr.writelines(difflib.unified_diff(old, new, args.header + " (current)",
                                                   args.header + " (expected)"))
        print("gen-errors: %s: generated block is stale; run tools/gen-errors.py %s"
              % (args.header, args.header), file=sys.stderr)
        return 1
    lines[begin[0]:end[0] + 1] = new
    try:
        with open(args.header, "w", encoding="utf-8") as f:
            f.writelines(lines)
    except OSError as e:
        print("gen-errors: %s" % e, file=sys.stderr)
        return 2
    print("gen-errors: rewrote %d constants in %s" % (len(rows), args.header))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
