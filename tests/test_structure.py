"""The package's shape: imports point one way (no circles), and the engine knows nothing of layers or pictures."""

from __future__ import annotations

import ast
from pathlib import Path

import tinygrad_edu

PACKAGE = Path(tinygrad_edu.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path) -> set[str]:
    """Package modules that ``path`` imports when it is imported (not inside functions or TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.If | ast.Try):
                visit(node.body)
                visit(node.orelse)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
            elif isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
                if node.module:
                    found.add(target)
                for alias in node.names:  # `from . import nn` imports the submodule nn
                    candidate = f"{target}.{alias.name}"
                    if (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(".py").exists() or (
                        PACKAGE.parent / Path(*candidate.split(".")) / "__init__.py"
                    ).exists():
                        found.add(candidate)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("tinygrad_edu"))

    visit(tree.body)
    found.discard(here)
    return found


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _top_level_imports(p) for p in PACKAGE.rglob("*.py")}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of module-level imports, if there is one (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in graph:
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if child not in graph:
                continue
            if state.get(child) == 1:
                return path[path.index(child):] + [child]
            if not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append(iter(sorted(graph[child])))
    return None


def test_no_import_circles_inside_the_package() -> None:
    graph = _graph()
    # importing a package runs its __init__, which imports its children: an edge from a module to its own
    # package is not a circle unless the package's __init__ imports the module back, which the search sees
    assert _cycle(graph) is None, f"import circle: {' -> '.join(_cycle(graph) or [])}"


def test_the_cycle_finder_finds_a_circle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_engine_imports_only_the_graph_machinery() -> None:
    graph = _graph()
    engine_side = {"tinygrad_edu.errors", "tinygrad_edu.dtypes", "tinygrad_edu.autograd", "tinygrad_edu.node",
                   "tinygrad_edu.ops", "tinygrad_edu.dataview"}  # (dtypes, dataview: ground floors like errors)
    for name in ["tinygrad_edu.engine", "tinygrad_edu.node", "tinygrad_edu.autograd"] + [
        m for m in graph if m.startswith("tinygrad_edu.ops.")
    ]:
        outside = {m for m in graph[name] if m not in engine_side and not m.startswith("tinygrad_edu.ops.")}
        assert not outside, f"{name} imports {outside}: the engine knows nothing of layers, pictures or files"
    assert "tinygrad_edu.engine" not in set().union(*(graph[m] for m in graph if m.startswith("tinygrad_edu.ops.")))


def test_no_file_is_past_600_lines() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert not long, f"files past 600 lines (split them along their families): {long}"


def test_the_readmes_layout_table_names_every_module() -> None:
    """README's "Project layout" matches the code: every module of the package is named in the table."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Project layout"):]
    missing = []
    for path in PACKAGE.rglob("*.py"):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        if path.name not in table and path.stem not in table:
            missing.append(str(path.relative_to(PACKAGE)))
    assert not missing, f"modules the README's layout table does not mention: {sorted(missing)}"
