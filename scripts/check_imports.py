"""Import directions (docs/architecture.md), checked over the source with ``ast``: every
import of a ``chalicelib`` module, at the top of a file or inside a function, under
TYPE_CHECKING or not. ``make lint`` runs it; it exits 1 and names each offending import.

Rules:
- each layer imports only the layers listed for it in ALLOWED (and itself);
- no cycles between modules;
- only app.py imports chalicelib.api (nothing below the API knows it exists), and nothing
  in chalicelib imports app.py.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "chalicelib"

# Shared by everyone: configuration, the error tree, logging, the pipeline declaration.
BASE = {"settings", "errors", "observability", "pipeline"}

# Layer -> the layers it may import (besides itself and BASE). A layer is the first name
# under chalicelib/ ("api", "services", ...); a module at the top is its own layer.
ALLOWED: dict[str, set[str]] = {
    # Entry points: HTTP routes, queue workers, scheduled jobs.
    "api": {"services", "schemas", "jobs", "container"},
    "workers": {"services", "repositories", "messaging", "storage", "ml", "media", "container"},
    "jobs": {"container"},
    # The composition root builds everything below the entry points.
    "container": {"services", "repositories", "messaging", "storage", "ml", "db"},
    # Use cases.
    "services": {"repositories", "schemas", "messaging", "storage", "ml", "media", "db"},
    # Ports and adapters.
    "repositories": {"db"},
    "messaging": set(),
    "storage": set(),
    "ml": {"media"},
    # Pure functions over files and pictures.
    "media": set(),
    "schemas": set(),
    "db": set(),
    "settings": set(),
    "errors": set(),
    "observability": set(),
    "pipeline": set(),
    # The command-line client talks HTTP only; its hashing and multipart rules are its own.
    "cli": set(),
    # The local stack stands in for AWS: it may start anything.
    "local": {"*"},
    # chalicelib/__init__.py: the version.
    "": set(),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every chalicelib module ``path`` imports."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative imports: the style here is absolute (ruff's isort)
                continue
            base = node.module or ""
            for alias in node.names:
                # "from chalicelib.workers import faces" imports the module chalicelib.workers.faces
                candidate = f"{base}.{alias.name}"
                yield node.lineno, candidate if _is_module(candidate) else base


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _own(name: str) -> str | None:
    """The chalicelib module ``name`` refers to (a module, or the module holding a name)."""
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    while name and not _is_module(name):
        name = name.rpartition(".")[0]
    return name or None


def check() -> list[str]:
    problems: list[str] = []
    graph: dict[str, set[str]] = {}
    sources = sorted((ROOT / PACKAGE).rglob("*.py"))
    for path in sources:
        source = module_name(path)
        here = layer(source)
        allowed = ALLOWED.get(here)
        if allowed is None:
            problems.append(f"{path.relative_to(ROOT)}: layer {here!r} is not in ALLOWED")
            continue
        for line, name in sorted(set(imports(path))):
            if name == "app" or name.startswith("app."):
                problems.append(f"{path.relative_to(ROOT)}:{line}: imports app.py (the API Lambda)")
                continue
            target = _own(name)
            if target is None or target == PACKAGE:
                continue
            graph.setdefault(source, set()).add(target)
            there = layer(target)
            if there == "api" and here != "api":
                problems.append(f"{path.relative_to(ROOT)}:{line}: imports {target} (the API)")
            elif there != here and there not in BASE | allowed and "*" not in allowed:
                problems.append(
                    f"{path.relative_to(ROOT)}:{line}: {here} imports {target} ({there})"
                )
    problems += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                found.append(_path_through(sorted(group), graph))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _path_through(group: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A readable cycle inside ``group``: from its first module back to it."""
    members = set(group)
    start = group[0]
    path, node, seen = [start], start, {start}
    while True:
        nxt = next(n for n in sorted(graph[node]) if n in members)
        path.append(nxt)
        if nxt in seen:
            return path[path.index(nxt) :]
        seen.add(nxt)
        node = nxt


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    found = check()
    for problem in found:
        print(problem)
    if found:
        print(f"{len(found)} import rule(s) broken: see docs/architecture.md", file=sys.stderr)
    sys.exit(1 if found else 0)
