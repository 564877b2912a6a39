"""The layout holds: every module imports, no public name hides a module, no import cycle.

The layers themselves (each imports only from the layers below it) are the import-linter
contract in ``pyproject.toml``, run by ``make test``; docs/architecture.md explains them.
"""

from __future__ import annotations

import importlib
import pkgutil
import types
from pathlib import Path

import pytest

import tracelab

ROOT = Path(tracelab.__file__).parent


def _all_modules() -> list[str]:
    names = ["tracelab"]
    for info in pkgutil.walk_packages([str(ROOT)], prefix="tracelab."):
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return sorted(names)


MODULES = _all_modules()


@pytest.mark.parametrize("name", MODULES)
def test_every_module_imports_and_declares_its_public_names(name):
    module = importlib.import_module(name)
    assert module.__doc__ and module.__doc__.strip(), f"{name} has no docstring"
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"


@pytest.mark.parametrize("name", MODULES)
def test_no_public_name_hides_a_module(name):
    # `import tracelab.a.b as m` must give the module, never a function of the same name.
    module = importlib.import_module(name)
    if not hasattr(module, "__path__"):
        return
    children = {info.name for info in pkgutil.iter_modules(module.__path__)}
    for child in sorted(children):
        if child == "__main__":
            continue
        importlib.import_module(f"{name}.{child}")
        value = getattr(module, child)
        assert isinstance(value, types.ModuleType), (
            f"{name}.{child} is a {type(value).__name__}, not the module {name}.{child}")


def test_no_import_cycles():
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("tracelab")
    # Tarjan's strongly connected components; any component of two or more is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in graph.modules:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert not cycles, f"import cycles: {cycles}"


def test_the_top_level_holds_few_modules():
    modules = sorted(p.name for p in ROOT.glob("*.py"))
    assert len(modules) <= 6, modules



NOTEBOOKS = sorted((ROOT.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_import_only_public_namespaces(path):
    # A public namespace is tracelab or one of its subpackages, never a module inside them.
    import ast
    import json

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    code = "\n".join(line for line in code.splitlines() if not line.startswith(("%", "!")))
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    private = [name for name in found if name.split(".")[0] == "tracelab"
               and not hasattr(importlib.import_module(name), "__path__")]
    assert not private, f"{path.name} imports modules, not namespaces: {private}"
