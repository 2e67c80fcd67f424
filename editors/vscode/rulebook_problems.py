#!/usr/bin/env python3
"""Turns the diagnostics of `rulebook check` into one line per problem for a VS Code
problem matcher:

    FILE:LINE:COLUMN:END_LINE:END_COLUMN: error: MESSAGE (hint: HINT)

Usage (python3 standard library only):

    rulebook check --format json FILE | python3 rulebook_problems.py
    rulebook check FILE 2>&1 | python3 rulebook_problems.py        # the plain text form
    python3 rulebook_problems.py diagnostics.json

Input is read from the named file or from standard input, either as the JSON form

    {"file": ..., "diagnostics": [{"file", "line", "column", "end_line", "end_column",
      "severity", "message", "hint"}, ...], "errors": N, "warnings": N}

(one object, a list of them, or one per line), or as the plain text form
`FILE:LINE:COL: error: MESSAGE` followed by the source line, a caret line and an optional
`  hint: ...` line, in English or in Chinese (`错误`, `警告`, `说明`, `提示`). Anything else is
passed through unchanged. The output is always in the English form the problem matcher
reads.

Why not point the problem matcher at rulebook's own output? Because rulebook counts
columns in characters (code points), while VS Code counts UTF-16 code units, which differ
for a character outside the Basic Multilingual Plane (an emoji, a rare CJK character);
and because the text form may be in Chinese. This script re-reads the source line and
converts the columns; `--columns bytes` reads input whose columns count bytes (as older
builds of rulebook gave them). It also keeps the hint, which a one-line problem matcher cannot read from the
text form.

Exit status: 1 when there was at least one error, else 0.
"""

import argparse
import json
import re
import sys

TEXT_HEADER = re.compile(r"^(.+?):([0-9]+):([0-9]+): (error|warning|note|错误|警告|说明): (.*)$")
TEXT_HINT = re.compile(r"^  (?:hint|提示): (.*)$")
TEXT_SUMMARY = re.compile(r"^([0-9]+ (error|warning)s?(, [0-9]+ warnings?)?|共 [0-9]+ 个错误.*)$")
SEVERITY = {"错误": "error", "警告": "warning", "说明": "note"}


class Columns:
    """Converts 1-based columns counting code points (or bytes) to 1-based UTF-16 columns,
    reading each file once."""

    def __init__(self, unit):
        self.unit = unit
        self.files = {}

    def _lines(self, path):
        if path not in self.files:
            try:
                with open(path, "rb") as f:
                    self.files[path] = f.read().split(b"\n")
            except OSError:
                self.files[path] = None
        return self.files[path]

    def convert(self, path, line, column):
        if line < 1 or column < 1:
            return column
        lines = self._lines(path)
        if lines is None or line > len(lines):
            return column
        source = lines[line - 1]
        if line == 1 and source.startswith(b"\xef\xbb\xbf"):
            source = source[3:]  # the byte order mark is not shown, nor counted
        if self.unit == "bytes":
            text = source[: column - 1].decode("utf-8", errors="replace")
        else:
            text = source.decode("utf-8", errors="replace")[: column - 1]
        return 1 + sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def as_int(value, default=0):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def format_problem(columns, file, line, column, end_line, end_column, severity, message, hint):
    severity = {"error": "error", "warning": "warning"}.get(str(severity).lower(), "note")
    column = max(column, 1)
    start = columns.convert(file, line, column)
    if end_line < line or (end_line == line and end_column <= column):
        end_line, end = line, start + 1
    else:
        end = columns.convert(file, end_line, end_column)
    message = " ".join(str(message).split("\n"))
    if hint:
        message += f" (hint: {' '.join(str(hint).splitlines())})"
    return f"{file}:{line}:{start}:{end_line}:{end}: {severity}: {message}"


def from_json(documents, columns):
    out, errors = [], 0
    for doc in documents:
        for d in doc.get("diagnostics", []) if isinstance(doc, dict) else []:
            file = d.get("file") or doc.get("file") or ""
            line = as_int(d.get("line"), 1)
            column = as_int(d.get("column"), 1)
            end_line = as_int(d.get("end_line"), line)
            end_column = as_int(d.get("end_column"), 0)
            severity = d.get("severity", "error")
            errors += severity == "error"
            out.append(format_problem(columns, file, line, column, end_line, end_column, severity,
                                      d.get("message", ""), d.get("hint", "")))
    return out, errors


def parse_json(text):
    """The JSON documents in text (one, a list, or one per line), or None."""
    try:
        value = json.loads(text)
        return value if isinstance(value, list) else [value]
    except ValueError:
        pass
    docs = []
    for line in text.splitlines():
        if line.strip():
            try:
                docs.append(json.loads(line))
            except ValueError:
                return None
    return docs or None


def from_text(text, columns):
    """The plain text form; lines that belong to no diagnostic are passed through."""
    out, errors, current = [], 0, None

    def flush():
        if current:
            out.append(format_problem(columns, *current))

    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = TEXT_HEADER.match(lines[i])
        if m:
            flush()
            file, line, column, severity, message = m.groups()
            severity = SEVERITY.get(severity, severity)
            errors += severity == "error"
            current = [file, int(line), int(column), int(line), 0, severity, message, ""]
            i += 1
            # The source line and the caret line follow when the source could be read.
            if i + 1 < len(lines) and lines[i].startswith("  ") and re.match(r"^ *\^+$", lines[i + 1]):
                current[4] = column_after_carets(lines[i][2:], lines[i + 1][2:], columns)
                i += 2
            h = TEXT_HINT.match(lines[i]) if i < len(lines) else None
            if h:
                current[7] = h.group(1)
                i += 1
            continue
        flush()
        current = None
        if not TEXT_SUMMARY.match(lines[i]):
            out.append(lines[i])
        i += 1
    flush()
    return out, errors


def column_after_carets(source, carets, columns):
    """The column just after the carets (in the input's unit), which rulebook draws in
    display width (two columns for a character of three or more bytes). 0 when it cannot
    be worked out."""
    end = len(carets.rstrip())
    if end == 0:
        return 0
    width, offset = 0, 0
    for ch in source:
        if width >= end:
            break
        size = len(ch.encode("utf-8"))
        width += 2 if size >= 3 else 1
        offset += size if columns.unit == "bytes" else 1
    return offset + 1 if width == end else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", nargs="?", default="-", help="diagnostics file (default: standard input)")
    parser.add_argument("--columns", choices=["chars", "bytes"], default="chars",
                        help="what the input's columns count (default: chars, as rulebook does)")
    args = parser.parse_args(argv)
    if args.input == "-":
        text = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    else:
        with open(args.input, encoding="utf-8", errors="replace") as f:
            text = f.read()
    columns = Columns(args.columns)
    docs = parse_json(text) if text.lstrip().startswith(("{", "[")) else None
    out, errors = from_json(docs, columns) if docs is not None else from_text(text, columns)
    for line in out:
        print(line)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
