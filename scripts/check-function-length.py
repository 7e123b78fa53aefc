#!/usr/bin/env python3
"""Keeps the functions of a folder of Rust source short: each `fn`, from its first line to its
closing brace, at most a given number of lines (issue 15: the case service's functions are split
by meaning, the checks, the decision, the effects and the event, and stay so).

Usage: check-function-length.py FOLDER MAX_LINES. Prints each longer function with its file,
line and length, longest first, and exits 1 when there is any.

Braces inside string and character literals and comments are not counted; a raw string with a
brace in it would be, which the folders checked here do not hold.
"""

import os
import re
import sys

FN_START = re.compile(
    r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(\w+)"
)
# String literals, character literals (not lifetimes) and line comments, which may hold braces.
NOT_CODE = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])\'|//.*$')


def code_of(line):
    return NOT_CODE.sub("", line)


def long_functions(path, max_lines):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    found = []
    i = 0
    while i < len(lines):
        start = FN_START.match(lines[i])
        if not start:
            i += 1
            continue
        depth, opened, j = 0, False, i
        while j < len(lines):
            code = code_of(lines[j])
            if not opened and ";" in code and "{" not in code:
                break  # a declaration without a body (a trait's method)
            for ch in code:
                if ch == "{":
                    depth, opened = depth + 1, True
                elif ch == "}":
                    depth -= 1
            if opened and depth == 0:
                break
            j += 1
        length = j - i + 1
        if opened and length > max_lines:
            found.append((length, path, i + 1, start.group(1)))
        # Functions nested in this one are counted within it, not again.
        i = j + 1 if opened else i + 1
    return found


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    folder, max_lines = sys.argv[1], int(sys.argv[2])
    found = []
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            if name.endswith(".rs"):
                found.extend(long_functions(os.path.join(root, name), max_lines))
    if not found:
        print(f"function length ok: every function in {folder} is at most {max_lines} lines")
        return 0
    for length, path, line, name in sorted(found, reverse=True):
        print(
            f"too long: {path}:{line} fn {name} is {length} lines (at most {max_lines})",
            file=sys.stderr,
        )
    return 1


if __name__ == "__main__":
    sys.exit(main())
