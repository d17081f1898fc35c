#!/usr/bin/env python3
"""The layers contract of docs/architecture.md, checked on the source tree (standard library only).

Every import of a ``sigmatrade`` module counts: module level, inside functions (lazy) and under
``if TYPE_CHECKING:``. A module may import its own layer and the layers below it; sibling layers
(``bot | web | jobs``, ``texts | ledger``) may not import each other. Some layers may not import
some third-party packages (the texts stack works without aiogram, the domain without any I/O
library). Import cycles between modules are reported too.

Usage: ``python scripts/check_layers.py [SRC_DIR]`` — prints every violation with file and line and
exits 1, or prints a one-line summary and exits 0.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Bottom to top. A row with several layers holds siblings: same height, no imports between them.
LAYERS: list[tuple[str, ...]] = [
    ("domain",),
    ("kernel",),
    ("db",),
    ("texts", "ledger"),
    ("services",),
    ("chain",),
    ("bot", "web", "jobs"),
    ("app",),
    ("sandbox",),
    ("entry",),
]

# Module prefix (dotted, under ``sigmatrade``) -> layer. The longest matching prefix wins.
MODULE_LAYERS: dict[str, str] = {
    "domain": "domain",
    "config": "kernel",
    "clock": "kernel",
    "context": "kernel",
    "logging": "kernel",
    "metrics": "kernel",
    "": "kernel",  # the package itself (version)
    "db": "db",
    "texts": "texts",
    "ledger": "ledger",
    "services": "services",
    "ops": "services",  # operations helpers (backups, disk tiers, memory, loop lag): used by services and jobs
    "runtime": "services",
    "chain": "chain",
    "bot": "bot",
    "web": "web",
    "jobs": "jobs",
    "app": "app",
    "sandbox": "sandbox",
    "cli": "entry",
    "clicmds": "entry",
    "demo": "entry",
    "__main__": "entry",
}

# Third-party packages a layer must not import (top-level package names).
FORBIDDEN_PACKAGES: dict[str, set[str]] = {
    "domain": {"aiogram", "sqlalchemy", "web3", "eth_account", "redis", "aiohttp", "asyncpg", "aiosqlite"},
    "kernel": {"aiogram", "sqlalchemy", "web3", "redis"},
    "texts": {"aiogram", "sqlalchemy", "web3", "redis"},
    "ledger": {"aiogram", "web3"},
    "db": {"aiogram", "web3"},
}

RANK: dict[str, int] = {name: height for height, row in enumerate(LAYERS) for name in row}


@dataclass(frozen=True)
class Import:
    source: str  # importing module (dotted)
    target: str  # imported sigmatrade module, or a third-party top-level package
    line: int
    internal: bool


def layer_of(module: str) -> str:
    rest = module.removeprefix("sigmatrade").removeprefix(".")
    best = ""
    for prefix in MODULE_LAYERS:
        if prefix and (rest == prefix or rest.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return MODULE_LAYERS[best]


def discover(src: Path) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for path in sorted((src / "sigmatrade").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if "migrations" in parts and "versions" in parts:
            continue  # Alembic revisions are data
        modules[".".join(parts)] = path
    return modules


def _resolve(name: str, modules: dict[str, Path]) -> str:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _classify(module, alias.name, None, node.lineno, modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            for alias in node.names:
                yield from _classify(module, name, alias.name, node.lineno, modules)


def _classify(
    module: str, name: str, member: str | None, line: int, modules: dict[str, Path]
) -> Iterator[Import]:
    if name == "sigmatrade" or name.startswith("sigmatrade."):
        full = f"{name}.{member}" if member else name
        target = full if full in modules else _resolve(name, modules)
        if target and target != module:
            yield Import(module, target, line, internal=True)
    else:
        yield Import(module, name.split(".", maxsplit=1)[0], line, internal=False)


def layer_violations(graph: list[Import], modules: dict[str, Path], root: Path) -> list[str]:
    problems: list[str] = []
    for imp in graph:
        source_layer = layer_of(imp.source)
        where = f"{modules[imp.source].relative_to(root)}:{imp.line}"
        if not imp.internal:
            if imp.target in FORBIDDEN_PACKAGES.get(source_layer, set()):
                problems.append(f"{where}: {imp.source} ({source_layer}) imports {imp.target}")
            continue
        target_layer = layer_of(imp.target)
        if source_layer == target_layer:
            continue
        if RANK[target_layer] > RANK[source_layer]:
            problems.append(
                f"{where}: {imp.source} ({source_layer}) imports {imp.target} ({target_layer}), a higher layer"
            )
        elif RANK[target_layer] == RANK[source_layer]:
            problems.append(
                f"{where}: {imp.source} ({source_layer}) imports {imp.target} ({target_layer}), a sibling layer"
            )
    return problems


def cycles(graph: list[Import]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    edges: dict[str, set[str]] = {}
    for imp in graph:
        if imp.internal:
            edges.setdefault(imp.source, set()).add(imp.target)
            edges.setdefault(imp.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def check(src: Path) -> list[str]:
    modules = discover(src)
    unknown = [m for m in modules if layer_of(m) not in RANK]
    if unknown:
        return [f"module without a layer: {m}" for m in unknown]
    graph = [imp for module, path in modules.items() for imp in imports_of(module, path, modules)]
    problems = layer_violations(graph, modules, src.parent)
    problems += ["import cycle: " + " <-> ".join(component) for component in cycles(graph)]
    return problems


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "src"
    problems = check(src)
    for problem in problems:
        print(problem)
    if problems:
        print(f"layers: {len(problems)} violation(s) (docs/architecture.md)")
        return 1
    print(f"layers: ok ({len(discover(src))} modules, {len(LAYERS)} layers, no cycles)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
