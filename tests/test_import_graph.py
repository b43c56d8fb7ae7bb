"""No import cycle between the project's modules, at module level or inside a
function (docs/architecture.md): tasks import services inside their bodies and
services name the tasks they send (portal/queue.py), so the graph stays a tree
of layers. The graph is read from the source with ``ast``, imports inside
functions included; a cycle fails with the modules on it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "node_modules", "var", ".git", "test-artifacts", "__pycache__"}


def project_modules(root: Path) -> dict[str, Path]:
    """Every module of the project by dotted name (``billing.documents.services``)."""
    modules = {}
    for path in root.rglob("*.py"):
        relative = path.relative_to(root)
        if SKIP & set(relative.parts):
            continue
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts:
            modules[".".join(parts)] = path
    return modules


def imported(name: str, tree: ast.AST, is_package: bool, modules: dict[str, Path]) -> set[str]:
    """The project modules that the module ``name`` imports, wherever the import stands."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    modules = project_modules(root)
    return {
        name: imported(name, ast.parse(path.read_text(encoding="utf-8")), path.name == "__init__.py", modules)
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_project_has_no_import_cycle():
    graph = import_graph(ROOT)
    issuing = "billing.documents.services.issuing"
    assert issuing in graph and "portal.queue" in graph[issuing]
    assert cycles(graph) == []


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path):
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "services.py").write_text("from shop import models\n\ndef send():\n    from shop import tasks\n")
    (tmp_path / "shop" / "tasks.py").write_text("from . import services\n")
    (tmp_path / "shop" / "models.py").write_text("import shop.selectors\n")
    (tmp_path / "shop" / "selectors.py").write_text("from shop.models import Thing\n")

    assert cycles(import_graph(tmp_path)) == [["shop.models", "shop.selectors"], ["shop.services", "shop.tasks"]]


def test_a_project_without_cycles_passes(tmp_path):
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "services.py").write_text("from portal import queue\n")
    (tmp_path / "shop" / "tasks.py").write_text("def run():\n    from shop import services\n")

    assert cycles(import_graph(tmp_path)) == []
