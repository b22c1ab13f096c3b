"""The house in order: no import cycle among the modules of ``forecast/`` and ``ui/``, and no
module over :data:`MAX_LINES` lines.

The imports are read from the source (``ast``), not by importing: every ``import`` and
``from ... import`` counts, at the top of a module or inside a function (an import inside a
function that closes a circle is still a circle), except those under ``if TYPE_CHECKING:``,
which never run. ``from forecast.tracking.results import X`` is an edge to
``forecast.tracking.results`` alone; ``from forecast import limits`` is an edge to
``forecast.limits`` (a module), ``from forecast import Plan`` an edge to ``forecast``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("forecast", "ui")
MAX_LINES = 600
#: Modules not yet split into rooms of one concept: skipped (and said so) until they are;
#: one listed that is within the limit fails, so the list only shrinks. None is left.
NOT_YET_SPLIT: set[str] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import node that can run (those under ``if TYPE_CHECKING:`` left out)."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _within(name: str, modules: dict[str, Path]) -> str | None:
    """``name`` or its longest prefix that is one of our modules."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _edges(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        for target in targets:
            found = _within(target, modules)
            if found is not None and found != name:
                out.add(found)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of ``forecast/`` and ``ui/`` it imports."""
    modules = _modules()
    return {name: _edges(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return out


def test_the_graph_sees_every_kind_of_import():
    # Worked by hand on modules whose imports are known: scenario_io imports the schema at
    # the top; the CLI imports the public API and, inside functions, the tracking package.
    graph = import_graph()
    assert "forecast.scenario" in graph["forecast.scenario_io"]
    assert "forecast.limits" in graph["forecast.cli.common"]  # from forecast import limits
    assert "forecast" in graph["forecast.cli.common"]  # from forecast import PlannerError
    assert "forecast.tracking" in graph["forecast.cli.common"]  # inside _month_arg
    # under `if TYPE_CHECKING:` only: the report names LeverSet for its annotations
    assert "forecast.scenario" not in graph["forecast.report"]


def test_cycles_finds_a_circle_it_is_given():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_one_that_imports_it():
    found = cycles(import_graph())
    assert found == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


@pytest.mark.parametrize("name", sorted(_modules()))
def test_no_module_over_the_line_limit(name: str):
    path = _modules()[name]
    lines = len(path.read_text(encoding="utf-8").splitlines())
    where = path.relative_to(ROOT).as_posix()
    if where in NOT_YET_SPLIT:
        assert lines > MAX_LINES, f"{where} has {lines} lines: take it off NOT_YET_SPLIT"
        pytest.skip(f"{where} has {lines} lines; not yet split by concept")
    assert lines <= MAX_LINES, f"{where} has {lines} lines; split it by concept"
