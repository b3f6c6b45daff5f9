"""The modules import one way, down the layers: cli -> formats, render, report -> store -> storage, journal,
layout -> index, register -> migrations, files, extract -> model, strictjson, parallel -> errors, fastjson ->
interrupts. A function-level import counts like any other: it would only hide a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"

LAYERS = [
    ["interrupts"],
    ["errors", "fastjson"],
    ["model", "strictjson", "parallel"],
    ["files", "migrations", "extract", "validate"],
    ["index", "register"],
    ["layout", "journal"],
    ["storage"],
    ["store"],
    ["formats", "render", "report", "trend"],
    ["html"],
    ["cli"],
    ["__main__"],
]
RANK = {module: rank for rank, modules in enumerate(LAYERS) for module in modules}
# Within one layer a module may import another only in this direction (so no cycle can form).
SIDEWAYS = {("formats", "render"), ("trend", "report")}


def _imports(module: str, path: Path | None = None) -> set[str]:
    """The tracker modules that `module` imports anywhere in its file, at the top or inside a function."""
    tree = ast.parse((path or PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "tracker":
                found |= {alias.name for alias in node.names if (PACKAGE / f"{alias.name}.py").exists()}
            elif node.module.startswith("tracker."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("tracker.")}
    return found - {"data", module}


def test_every_module_has_a_layer() -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    assert modules == set(RANK), "a new module must be given a layer in tests/test_layers.py"


@pytest.mark.parametrize("module", sorted(RANK))
def test_a_module_imports_only_from_the_layers_below_it(module: str) -> None:
    for imported in _imports(module):
        assert imported in RANK, f"{module} imports tracker.{imported}, which has no layer"
        if RANK[imported] == RANK[module]:
            assert (module, imported) in SIDEWAYS, f"{module} imports {imported}, in its own layer"
        else:
            assert RANK[imported] < RANK[module], f"{module} imports {imported}, a layer above it"


def test_the_checker_sees_function_level_imports(tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text(
        "import os\nfrom tracker import model\n\ndef f():\n    from tracker.cli import app\n    import tracker.store\n",
        encoding="utf-8",
    )
    assert _imports("example", module) == {"model", "cli", "store"}


def test_the_store_has_no_function_level_imports() -> None:
    tree = ast.parse((PACKAGE / "store.py").read_text(encoding="utf-8"))
    nested = [
        node.lineno
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert nested == []


def test_list_imports_nothing_it_does_not_use(db_path: Path) -> None:
    """Start-up is most of what `tracker list` costs on a small file: what only other commands need waits for them."""
    import subprocess
    import sys

    unused = ["orjson", "json", "hashlib", "tempfile", "rich", "tinydb", "jinja2", "pygal", "bs4", "filelock"]
    unused += ["charset_normalizer", "csv", "tracker.extract", "tracker.formats", "tracker.html", "tracker.trend"]
    script = (
        "import sys\n"
        f"sys.argv = ['tracker', '--db', {str(db_path)!r}, 'list']\n"
        "from tracker.cli import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(name for name in {unused!r} if name in sys.modules), file=sys.stderr)\n"
    )
    for _ in range(2):  # the first reads the whole file and writes its index; the second is an everyday `list`
        listed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "rcep-signing" in listed.stdout
    assert listed.stderr.strip().splitlines()[-1] == "[]", listed.stderr
