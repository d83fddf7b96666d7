#!/usr/bin/env python3
"""Checks that mitan's top-level modules form layers.

Every top-level module (`pub mod x;` in src/lib.rs) may use the modules below it and none above:
no two modules import each other and no import cycle runs among them. Unit tests
(`#[cfg(test)]` items) do not count. Only the wiring may reach the application state: no module
but those in WIRING imports `crate::app`.

Prints the layers (lowest first) and exits 0, or prints every cycle and forbidden import and
exits 1. Run from anywhere: `python3 scripts/layers.py`.
"""

import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
# The edges of the program: they build the service, so they may see all of it.
WIRING = {"app", "cli", "main", "http", "api", "simulate"}


def modules():
    lib = (SRC / "lib.rs").read_text()
    return re.findall(r"^pub mod (\w+);", lib, re.M)


def files_of(module):
    single = SRC / f"{module}.rs"
    folder = SRC / module
    found = [single] if single.exists() else []
    if folder.is_dir():
        found += sorted(folder.rglob("*.rs"))
    return found


def without_tests(text):
    """The text with every `#[cfg(test)]` item (a `mod tests { … }` block, a function) cut."""
    out, at = [], 0
    for match in re.finditer(r"#\[cfg\(test\)\]", text):
        if match.start() < at:
            continue
        out.append(text[at : match.start()])
        brace = text.find("{", match.end())
        semicolon = text.find(";", match.end())
        if semicolon != -1 and (brace == -1 or semicolon < brace):
            at = semicolon + 1  # `#[cfg(test)] mod tests;` or a `use`
            continue
        depth, i = 0, brace
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        at = i + 1
    out.append(text[at:])
    return "".join(out)


def without_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def imports(module, names):
    used = set()
    for path in files_of(module):
        text = without_comments(without_tests(path.read_text()))
        for name in re.findall(r"\bcrate::(\w+)", text):
            if name in names and name != module:
                used.add(name)
        # `use crate::{a, b::c}` groups
        for group in re.findall(r"\bcrate::\{([^}]*)\}", text):
            for name in re.findall(r"(?:^|,)\s*(\w+)", group):
                if name in names and name != module:
                    used.add(name)
    return used


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layers(graph):
    """Modules by height: a module sits one above the highest module it uses."""
    height = {}

    def of(node):
        if node not in height:
            height[node] = 0
            height[node] = 1 + max((of(n) for n in graph[node]), default=-1)
        return height[node]

    for node in graph:
        of(node)
    rows = {}
    for node, h in height.items():
        rows.setdefault(h, []).append(node)
    return [sorted(rows[h]) for h in sorted(rows)]


def main():
    names = set(modules())
    graph = {name: imports(name, names) for name in names}
    problems = []
    for a in sorted(graph):
        for b in sorted(graph[a]):
            if a < b and a in graph[b]:
                problems.append(f"{a} and {b} import each other")
    for component in cycles(graph):
        problems.append("import cycle among: " + ", ".join(component))
    for name in sorted(graph):
        if "app" in graph[name] and name not in WIRING:
            problems.append(f"{name} imports crate::app (only {', '.join(sorted(WIRING))} may)")
    if problems:
        print("layers: the top-level modules do not form layers:")
        for problem in problems:
            print(f"  - {problem}")
        for name in sorted(graph):
            print(f"    {name} -> {', '.join(sorted(graph[name])) or '(nothing)'}")
        return 1
    print("layers: the top-level modules form layers (lowest first):")
    for row in layers(graph):
        print("  " + ", ".join(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
