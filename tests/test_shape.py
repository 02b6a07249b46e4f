"""The code keeps the shape a newcomer can read: small modules, short functions, no
private names shared between modules, no import cycle (shared/STYLE.md, items 13-14)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGES = ("analytics", "ui", "web", "pages")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
# A longer function says why in a comment on the line above it.
REASON = "# Over 60 lines"


def modules() -> list[Path]:
    found = [ROOT / "app.py", ROOT / "serve.py"]
    for package in PACKAGES:
        found += sorted((ROOT / package).rglob("*.py"))
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_is_small_and_its_functions_short(path):
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= MAX_MODULE_LINES, "split the module into a package"
    lines = text.splitlines()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            said_why = first >= 2 and lines[first - 2].strip().startswith(REASON)
            assert length <= MAX_FUNCTION_LINES or said_why, f"{node.name}: {length} lines"


def imports() -> dict[str, set[str]]:
    """Return module -> the project modules it imports (names imported from a package count
    as its submodules when they are ones)."""
    names = {module_name(p) for p in modules()}
    graph: dict[str, set[str]] = {}
    for path in modules():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    deps.add(sub if sub in names else node.module)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        graph[module_name(path)] = {d for d in deps if d in names} - {module_name(path)}
    return graph


GETTEXT_NAMES = {"_", "N_", "n_"}


def test_no_private_name_is_imported_from_another_module():
    shared = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            ours = isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
            if ours and node.module.split(".")[0] in ("analytics", "ui", "web"):
                # gettext's _ is the one underscore name meant to be shared.
                shared += [
                    f"{path.name}: {a.name}"
                    for a in node.names
                    if a.name[0] == "_" and a.name not in GETTEXT_NAMES
                ]
    assert shared == []


def test_no_module_imports_itself_back():
    graph = imports()

    def cycle_from(start: str, node: str, seen: tuple[str, ...]) -> tuple[str, ...] | None:
        for dep in graph.get(node, ()):
            # A package's __init__ importing its own submodules is how it re-exports.
            if dep.startswith(node + ".") or node.startswith(dep + "."):
                continue
            if dep == start:
                return (*seen, dep)
            if dep not in seen:
                found = cycle_from(start, dep, (*seen, dep))
                if found:
                    return found
        return None

    cycles = [c for m in graph if (c := cycle_from(m, m, (m,)))]
    assert cycles == []
