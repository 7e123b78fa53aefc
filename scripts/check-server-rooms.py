#!/usr/bin/env python3
"""The import rules between the server's rooms (docs/server-map.md), checked on the source.

A room is a top-level module of server/src (a folder or a file). An import is any `crate::room`
path in code (comments are skipped). The rules:

1. Nothing outside `api/` imports from `api/`, except `serve.rs`, which mounts its routes.
2. `store/` imports no other room but `error`-free plumbing: never `auth`, `app`, `api`,
   `cases`, `open311`, `jobs`, `cli`, `live`.
3. No cycles between rooms. `ALLOWED_CYCLE_EDGES` lists the edges known to close a cycle that
   is not broken yet; each names why, and the check fails if one of them disappears (so the list
   cannot go stale) or a new cycle appears.

Run with the repository root as the working folder, or give it as the first argument. Prints
each violation with the file and line that makes it, and exits 1 when there is any.
"""

import os
import re
import sys
from collections import defaultdict

STORE_MAY_NOT_IMPORT = {"auth", "app", "api", "cases", "open311", "jobs", "cli", "live"}

# Edges that still close a cycle, each with the reason it is left for now.
# Empty since the Principal extractor reads its own app data (auth -> app was the last edge).
ALLOWED_CYCLE_EDGES: dict = {}

CRATE_PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
# `use crate::{a, b::c}` names several rooms at once.
CRATE_GROUP = re.compile(r"\bcrate::\{([^}]*)\}")


def rooms_of(src):
    rooms = set()
    for name in os.listdir(src):
        path = os.path.join(src, name)
        if os.path.isdir(path):
            rooms.add(name)
        elif name.endswith(".rs") and name not in ("lib.rs", "main.rs"):
            rooms.add(name[:-3])
    return rooms


def code_lines(text):
    """Lines with their numbers, without `//` comments (doc comments included)."""
    for number, line in enumerate(text.split("\n"), start=1):
        code = line.split("//", 1)[0] if "//" in line and '"' not in line.split("//", 1)[0] else line
        if line.lstrip().startswith("//"):
            continue
        yield number, code


def imports(src, rooms):
    """{from_room: {to_room: [where, ...]}}"""
    edges = defaultdict(lambda: defaultdict(list))
    for folder, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith(".rs"):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, src)
            room = rel.split(os.sep)[0].removesuffix(".rs")
            if room not in rooms:
                continue
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for number, code in code_lines(text):
                named = CRATE_PATH.findall(code)
                for group in CRATE_GROUP.findall(code):
                    named += [part.strip().split("::")[0] for part in group.split(",")]
                for target in named:
                    if target in rooms and target != room:
                        edges[room][target].append(f"server/src/{rel}:{number}")
    return edges


def cycles(edges, ignored):
    """The strongly connected rooms (Tarjan), over the edges not in `ignored`."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, {}):
            if (node, target) in ignored:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    src = os.path.join(root, "server", "src")
    rooms = rooms_of(src)
    edges = imports(src, rooms)
    problems = []
    for room, targets in sorted(edges.items()):
        if "api" in targets and room not in ("api", "serve"):
            for where in targets["api"]:
                problems.append(f"{where}: {room} imports from api/ (only api/ and serve.rs may)")
        if room == "store":
            for target in sorted(STORE_MAY_NOT_IMPORT & set(targets)):
                for where in targets[target]:
                    problems.append(f"{where}: store imports {target}")
    for component in cycles(edges, set(ALLOWED_CYCLE_EDGES)):
        inside = [
            f"{a} -> {b} ({edges[a][b][0]})" for a in component for b in component if b in edges.get(a, {})
        ]
        problems.append("import cycle between " + ", ".join(component) + ": " + "; ".join(inside))
    for (a, b), why in sorted(ALLOWED_CYCLE_EDGES.items()):
        if b not in edges.get(a, {}):
            problems.append(f"allowed edge {a} -> {b} is gone: remove it from ALLOWED_CYCLE_EDGES")
        elif not cycles(edges, set(ALLOWED_CYCLE_EDGES) - {(a, b)}):
            problems.append(f"allowed edge {a} -> {b} closes no cycle any more: remove it from the list")
    for problem in problems:
        print(f"room rule violated: {problem}", file=sys.stderr)
    if problems:
        return 1
    known = ", ".join(f"{a} -> {b}" for a, b in ALLOWED_CYCLE_EDGES)
    print(f"server rooms ok: {len(rooms)} rooms, no import from api/ outside it, store imports no auth, "
          f"no cycle" + (f" (known: {known})" if known else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
