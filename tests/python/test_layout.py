"""The package's shape, checked from its source: no import cycles, the benchmark outside the
runtime, engines named in one module."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import PROJECT_DIR

SOURCE_ROOTS = (PROJECT_DIR / "src", PROJECT_DIR / "bench")
RUNTIME = PROJECT_DIR / "src" / "weblogs"
# The module that defines the targets: the one place that knows engines by name.
TARGETS_MODULE = RUNTIME / "targets.py"
ENGINE_NAMES = ("sail_delta", "spark_connect", "databricks")


def module_name(path: Path) -> str:
    root = next(root for root in SOURCE_ROOTS if root in path.parents)
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for root in SOURCE_ROOTS:
        for path in root.rglob("*.py"):
            if ".egg-info" in str(path) or "__pycache__" in path.parts:
                continue
            modules[module_name(path)] = path
    return modules


def imported(path: Path, name: str, known: set[str]) -> set[str]:
    """The project's modules that a module imports, at its top or inside a function: a lazy
    import is still a dependency, and two modules that import each other lazily are a
    cycle all the same."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            # `from package import module` imports the module (its package's __init__ runs
            # first, as for any import of a module); `from module import name`, the module.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {name: imported(path, name, known) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from weblogs.cli.main import leave\nfrom . import options\n")
    known = {"weblogs.cli.main", "weblogs.cli.options", "weblogs.cli.x"}
    assert imported(module, "weblogs.cli.x", known) == {"weblogs.cli.main", "weblogs.cli.options"}


def test_no_import_cycle_under_src_or_bench() -> None:
    graph = import_graph()
    assert "weblogs.cli.main" in graph and "weblogs_bench.peers" in graph
    assert cycles(graph) == []


def test_the_runtime_never_imports_the_benchmark() -> None:
    graph = import_graph()
    runtime = {name: deps for name, deps in graph.items() if name.split(".")[0] in ("weblogs",)}
    importing = sorted(
        name for name, deps in runtime.items() if any(d.startswith("weblogs_bench") for d in deps)
    )
    assert importing == []
    packaged = (PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8")
    assert "weblogs_bench" not in packaged.split("[tool.setuptools.packages.find]")[1].split("[")[0]


def string_constants(path: Path) -> list[tuple[int, str]]:
    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_engines_are_named_only_where_targets_are_defined() -> None:
    """Outside targets.py no module of the weblogs package holds an engine's adapter name as a
    value (docstrings may mention one): each asks its Target what the engine can do."""
    named = []
    for path in sorted(RUNTIME.rglob("*.py")):
        if path == TARGETS_MODULE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and node.value in ENGINE_NAMES
            ):
                named.append(f"{path.relative_to(PROJECT_DIR)}:{node.lineno}: {node.value}")
    assert named == []
    assert {constant for _, constant in string_constants(TARGETS_MODULE)} >= set(ENGINE_NAMES)
