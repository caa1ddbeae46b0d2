"""The package-level import graph of the repository, read from the source with `ast`.

Every import counts, also the lazy ones inside functions and under `TYPE_CHECKING`: a lazy
import is still a dependency. A node is `training`, `serving`, or one part of the core: a
subpackage (`nmt.export`) or a top-level module (`nmt.bundle`); `nmt` itself is the package's
`__init__`. `python -m tests.import_graph [ROOT]` prints the edges (with the modules that make
them), the cycles and the core's arrows into training/serving.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

PACKAGES = ("nmt", "training", "serving")
ROOT = Path(__file__).resolve().parents[1]


def node_of(module: str) -> str:
    """The graph node of a dotted module name (`nmt.export.run` -> `nmt.export`)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "nmt" else parts[0]


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, module: str) -> Iterator[str]:
    """The absolute names of the modules that the file `path` (module `module`) imports."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the file's package upwards
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                yield ".".join([*base, *([node.module] if node.module else [])])
            elif node.module:
                yield node.module


def edges(root: Path = ROOT) -> dict[tuple[str, str], set[str]]:
    """{(from node, to node): the modules that import across}, for the project's packages."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = module_name(root, path)
            for target in imported_modules(path, module):
                if target.split(".")[0] in PACKAGES and node_of(target) != node_of(module):
                    found[node_of(module), node_of(target)].add(module)
    return found


def cycles(pairs: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in pairs:
        graph[a].add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(set(graph)):
        if node not in index:
            visit(node)
    return sorted(found)


def forbidden(pairs: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Arrows that break the layering: core -> training/serving, training <-> serving."""
    bad = []
    for a, b in sorted(pairs):
        top_a, top_b = a.split(".")[0], b.split(".")[0]
        if (top_a == "nmt" and top_b != "nmt") or {top_a, top_b} == {"training", "serving"}:
            bad.append((a, b))
    return bad


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else ROOT
    found = edges(root)
    for (a, b), modules in sorted(found.items()):
        print(f"{a} -> {b}   ({', '.join(sorted(modules))})")
    print(f"cycles: {cycles(set(found)) or 'none'}")
    print(f"forbidden arrows: {forbidden(set(found)) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
