#!/usr/bin/env python3
"""The import graph of src/, by floor (docs/ARCHITECTURE.md).

Reads every `crate::…` and `super::…` path in src/**/*.rs (use lines and
paths written inline, tests included), resolves each to the file module it
names, and prints: module-to-module edges, the ones running up the floors,
cycles between files, which feature folders import each other, and imports
that reach into another feature's handlers or store.

    python3 scripts/imports.py            # the counts
    python3 scripts/imports.py --list     # and every edge that breaks a rule
"""
import os
import re
import sys
from collections import defaultdict

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")

# Floors, lowest first. A module's floor is that of the longest prefix
# listed here; a module may import only its own floor and those below.
# Features (floor 2) may not import each other except through the
# surface each one names in its mod.rs (`pub use`), never its handlers.
FLOORS = {
    # 0 kernel: names no feature
    "db": 0, "config": 0, "clock": 0, "error": 0, "mail": 0, "calendar": 0,
    "content": 0, "files": 0, "upload": 0, "templates": 0, "telemetry": 0,
    "web": 0, "auth": 0, "audit": 0, "storage": 0,
    # (before issue 16 these lived at the top; kept so old trees measure alike)
    "hygiene": 0, "limits": 0, "links": 0, "pages": 0, "routes": 0,
    # 1 people, and the sessions every feature hangs on
    "people": 1, "series::model": 1, "series::generate": 1, "series::defaults": 1,
    "series::questions": 1, "series::registrants": 1,
    # 2 features
    "registration": 2, "lists": 2, "lineup": 2, "interest": 2, "archive": 2,
    "attendance": 2, "echo": 2, "series": 2, "questions": 2, "evaluation": 2,
    # 3 composition
    "organizer": 3, "jobs": 3, "api_docs": 3, "app": 3, "cli": 3, "privacy": 3,
    "series::manage": 3, "lib": 3, "main": 3,
}
NAMES = {0: "kernel", 1: "people", 2: "feature", 3: "composition"}
# A feature's folder; the ECHO's three features are its subfolders, over
# the files directly in echo/ that the three share (cohorts, participants,
# facilitators): those may be imported by the three, and import none of them.
SPLIT = {"echo"}
HANDLER_FILES = re.compile(r"(^|::)(handlers|organizer|pages|past|store)$")


def modules():
    mods = {}
    for root, _, files in os.walk(SRC):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, f), SRC)[:-3].split(os.sep)
            if rel[-1] == "mod":
                rel = rel[:-1]
            mods["::".join(rel) or "lib"] = os.path.join(root, f)
    return mods


def floor(mod):
    parts = mod.split("::")
    for n in range(len(parts), 0, -1):
        key = "::".join(parts[:n])
        if key in FLOORS:
            return FLOORS[key]
    return None


def feature(mod):
    parts = mod.split("::")
    if floor(mod) != 2:
        return None
    if parts[0] in SPLIT and len(parts) > 1 and os.path.isdir(os.path.join(SRC, parts[0], parts[1])):
        return "::".join(parts[:2])
    return parts[0]


PATH = re.compile(r"\b(crate|super)((?:::(?:super|[a-z_][a-z0-9_]*))+)")
GROUP = re.compile(r"\buse\s+(crate|super)((?:::[a-z_][a-z0-9_]*)*)::\{")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def expand_groups(text):
    """`use crate::a::{b, c::d}` -> `crate::a::b crate::a::c::d`."""
    out = []
    i = 0
    while True:
        m = GROUP.search(text, i)
        if not m:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:m.start()])
        depth, j = 1, m.end()
        while depth and j < len(text):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        inner = text[m.end():j - 1]
        prefix = m.group(1) + m.group(2)
        paths = []
        for item in split_top(inner):
            item = item.strip()
            if not item or item.startswith("self"):
                paths.append(prefix)
            elif "{" in item:
                paths.append(expand_groups("use " + prefix + "::" + item + ";"))
            else:
                paths.append(prefix + "::" + item)
        out.append(" ".join(paths))
        i = j


def split_top(s):
    depth, cur, parts = 0, "", []
    for ch in s:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        cur += ch
    parts.append(cur)
    return parts


def resolve(mod, start, rest, mods):
    here = mod.split("::") if mod != "lib" else []
    is_dir = mods[mod].endswith(("mod.rs", "lib.rs", "main.rs"))
    if start == "crate":
        base = []
    else:
        base = here if is_dir else here[:-1]
        base = base[:-1]
    segs = [s for s in rest.split("::") if s]
    while segs and segs[0] == "super":
        base = base[:-1]
        segs = segs[1:]
    path = base + segs
    for n in range(len(path), 0, -1):
        key = "::".join(path[:n])
        if key in mods:
            return key
    return None


def graph():
    mods = modules()
    edges = set()
    for mod, file in mods.items():
        if mod in ("lib", "main"):
            continue
        text = expand_groups(strip_comments(open(file, encoding="utf-8").read()))
        for m in PATH.finditer(text):
            target = resolve(mod, m.group(1), m.group(2), mods)
            if target and target != mod and not mod.startswith(target + "::") \
                    and not target.startswith(mod + "::"):
                edges.add((mod, target))
    return mods, edges


def cycles(mods, edges):
    out = defaultdict(set)
    for a, b in edges:
        out[a].add(b)
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in out[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(mods):
        if v not in index:
            visit(v)
    return sorted(comps, key=len, reverse=True)


def main():
    listing = "--list" in sys.argv
    mods, edges = graph()
    unplaced = sorted(m for m in mods if floor(m) is None)
    up = sorted((a, b) for a, b in edges
                if floor(a) is not None and floor(b) is not None and floor(b) > floor(a))
    # The ECHO's shared floor importing one of the ECHO's features runs up too.
    up += sorted((a, b) for a, b in edges
                 if feature(a) in SPLIT and (feature(b) or "").startswith(feature(a) + "::"))
    pairs = defaultdict(set)
    reach = []
    for a, b in edges:
        fa, fb = feature(a), feature(b)
        shared = fb in SPLIT and (fa or "").startswith(fb + "::")
        if fa and fb and fa != fb and not shared:
            pairs[(fa, fb)].add((a, b))
            if HANDLER_FILES.search(b):
                reach.append((a, b))
    both = {tuple(sorted(p)) for p in pairs if (p[1], p[0]) in pairs}
    comps = cycles(mods, edges)
    feats = sorted({feature(m) for m in mods if feature(m)})
    print(f"files (modules)                        {len(mods)}")
    print(f"module-to-module imports               {len(edges)}")
    print(f"imports running up the floors          {len(up)}")
    print(f"import cycles (files in the largest)   {len(comps)} ({len(comps[0]) if comps else 0})")
    print(f"feature folders                        {len(feats)}: {', '.join(feats)}")
    print(f"feature pairs that import              {len(pairs)} of {len(feats) * (len(feats) - 1)}")
    print(f"  of them both ways                    {len(both)}")
    print(f"imports into another feature's handlers or store  {len(reach)}")
    if unplaced:
        print(f"modules with no floor                  {len(unplaced)}: {', '.join(unplaced)}")
    if listing:
        print("\nrunning up:")
        for a, b in up:
            print(f"  {a} ({NAMES[floor(a)]}) -> {b} ({NAMES[floor(b)]})")
        print("\nfeature pairs:")
        for (fa, fb), es in sorted(pairs.items()):
            print(f"  {fa} -> {fb}: " + ", ".join(f"{a}->{b}" for a, b in sorted(es)))
        print("\ninto another feature's handlers or store:")
        for a, b in sorted(reach):
            print(f"  {a} -> {b}")
        print("\ncycles:")
        for c in comps:
            print(f"  {len(c)}: {' '.join(c)}")
    bad = len(up) + len(comps) + len(reach) + len(unplaced)
    sys.exit(1 if "--check" in sys.argv and bad else 0)


if __name__ == "__main__":
    main()
