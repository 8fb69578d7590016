#!/usr/bin/env python3
"""server/ has no module cycle: no chain of #include "x.h" between the
modules of a directory (a module is x.c with its x.h) leads back to where
it started.  A cycle means two modules each need the other, which is the
tangle docs/architecture.md's module map rules out.  Prints the cycle and
fails if there is one.

usage: test_modules.py SRCDIR [DIR...]   (default: server proxy common)"""
import os
import re
import sys


def graph(directory):
    files = [f for f in os.listdir(directory) if f.endswith((".c", ".h"))]
    mods = {f[:-2] for f in files}
    g = {m: set() for m in mods}
    for f in files:
        with open(os.path.join(directory, f)) as fh:
            for inc in re.findall(r'^#include "([A-Za-z0-9_]+)\.h"', fh.read(), re.M):
                if inc in mods and inc != f[:-2]:
                    g[f[:-2]].add(inc)
    return g


def find_cycle(g):
    """A list of modules forming a cycle, or None (depth-first search)."""
    state, stack = {}, []

    def visit(v):
        state[v] = 1
        stack.append(v)
        for w in sorted(g[v]):
            if state.get(w) == 1:
                return stack[stack.index(w):] + [w]
            if w not in state:
                c = visit(w)
                if c:
                    return c
        stack.pop()
        state[v] = 2
        return None

    for v in sorted(g):
        if v not in state:
            c = visit(v)
            if c:
                return c
    return None


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else "."
    dirs = sys.argv[2:] or ["server", "proxy", "common"]
    bad = 0
    for d in dirs:
        c = find_cycle(graph(os.path.join(top, d)))
        if c:
            print(f"FAIL: {d}/ has a module cycle: {' -> '.join(c)}", file=sys.stderr)
            bad = 1
        else:
            print(f"# {d}/: no module cycle")
    # The test must be able to fail: a made-up cycle is found.
    if find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is None:
        print("FAIL: a cycle a -> b -> c -> a was not found", file=sys.stderr)
        bad = 1
    return bad


sys.exit(main())
