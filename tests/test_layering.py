"""`core`, `clients` and `sandbox` never import Textual: checked in the source and at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADLESS = ("core", "clients", "sandbox")


def _modules() -> list[Path]:
    return sorted(p for layer in HEADLESS for p in (ROOT / "tui" / layer).rglob("*.py"))


def test_headless_layers_have_modules() -> None:
    names = {p.relative_to(ROOT / "tui").parts[0] for p in _modules()}
    assert names == set(HEADLESS)


def test_no_textual_import_in_source() -> None:
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path}:{node.lineno}" for n in names if n.split(".")[0] == "textual"]
    assert offenders == []


def test_no_textual_loaded_at_run_time() -> None:
    modules = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in _modules()
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(len(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"
