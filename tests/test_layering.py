"""Layers point one way: the table below is every direction an import may take in `tui/`.

Every import counts: at the top of a module, inside a function, and under `TYPE_CHECKING`
(a type-only import back up is still a dependency). `core`, `clients`, `base` and `sandbox`
never import Textual, checked in the source and at run time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tui"

# The layers under the front ends, lowest first; each may use those before it.
BASE, CLIENTS, CORE, SERVICES = "base", "clients", "core", "services"
DASHBOARD = ("app", "dashboard", "palette", "messages", "screens", "widgets")

# unit -> the units it may import (a unit is a package of tui/ or one of its top-level
# modules; "tui" is the package's own __init__, which holds only __version__).
ALLOWED: dict[str, frozenset[str]] = {
    "tui": frozenset(),
    BASE: frozenset(),
    CLIENTS: frozenset({"tui", BASE}),
    CORE: frozenset({"tui", BASE, CLIENTS}),
    # The simulated world: base only, and core only to write keyroll's own files for
    # `--write-config` (see SANDBOX_WRITES_CONFIG).
    "sandbox": frozenset({"tui", BASE}),
    # The workspace opens the sandbox when there is no Convox config.
    SERVICES: frozenset({"tui", BASE, CLIENTS, CORE, "sandbox"}),
    # The headless front end.
    "commands": frozenset({"tui", BASE, CLIENTS, CORE, SERVICES, "sandbox"}),
    "cli": frozenset({"tui", BASE, "commands", "dashboard"}),
    "__main__": frozenset({"cli"}),
    # The dashboard front end: its entry, the app, and what the app shows.
    "dashboard": frozenset({"tui", BASE, CORE, SERVICES, "app"}),
    "app": frozenset(
        {"tui", BASE, CLIENTS, CORE, SERVICES, "messages", "palette", "screens", "widgets"}
    ),
    "palette": frozenset({"tui", BASE, CORE, "messages", "widgets"}),
    "messages": frozenset({"tui", BASE, CORE}),
    "screens": frozenset({"tui", BASE, CLIENTS, CORE, SERVICES, "messages", "widgets"}),
    "widgets": frozenset({"tui", BASE, CLIENTS, CORE, "messages"}),
}
SANDBOX_WRITES_CONFIG = "tui.sandbox.write_config"
HEADLESS = (BASE, CLIENTS, CORE, "sandbox", SERVICES)


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def unit_of(module: str) -> str | None:
    """The unit a dotted module name belongs to, or None outside `tui`."""
    parts = module.split(".")
    if parts[0] != "tui":
        return None
    return parts[1] if len(parts) > 1 else "tui"


def imports_of(source: str, module: str) -> Iterator[tuple[int, str]]:
    """Every module `source` imports (line, dotted name), wherever the import sits."""
    package = module.split(".")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = package[: len(package) - node.level]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            yield node.lineno, name
            for alias in node.names:  # `from tui import app` imports the module tui.app
                if _is_module(f"{name}.{alias.name}"):
                    yield node.lineno, f"{name}.{alias.name}"


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def violations(module: str, source: str) -> list[str]:
    """The imports of `module` the table does not allow, as `module:line -> imported`."""
    unit = unit_of(module)
    assert unit is not None
    allowed = ALLOWED[unit] | {unit}
    if module == SANDBOX_WRITES_CONFIG:
        allowed = allowed | {CORE}
    found = []
    for line, name in imports_of(source, module):
        target = unit_of(name)
        if target is None or target in allowed:
            continue
        found.append(f"{module}:{line} -> {name}")
    return found


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_unit_of_tui_is_in_the_table() -> None:
    units = {unit_of(_module_name(path)) for path in _sources()}
    assert units <= set(ALLOWED), sorted(units - set(ALLOWED))
    assert set(HEADLESS) <= units


def test_imports_follow_the_table() -> None:
    found = [v for p in _sources() for v in violations(_module_name(p), p.read_text())]
    assert found == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        # a screen that imports the app, inside a function
        ("tui.screens.rack", "def f():\n    from tui.app import KeyrollApp\n", "tui.app"),
        # a client that imports core, as a type only
        (
            "tui.clients.rack",
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from tui.core.journal import Journal\n",
            "tui.core.journal",
        ),
        ("tui.widgets.status", "import tui.screens.rack\n", "tui.screens.rack"),
        ("tui.core.inventory", "from tui.services import workspace\n", "tui.services"),
        ("tui.sandbox.world", "from tui.clients.models import System\n", "tui.clients.models"),
        ("tui.sandbox.world", "from tui.core.keystore import Keystore\n", "tui.core.keystore"),
        ("tui.base.secret", "from tui.clients import errors\n", "tui.clients"),
        ("tui.core.session", "from ..app import KeyrollApp\n", "tui.app"),
    ],
)
def test_the_table_refuses_an_import_back_up(module: str, source: str, expected: str) -> None:
    found = violations(module, source)
    assert found and all(expected in line for line in found), found


def test_the_table_allows_what_it_names() -> None:
    assert violations("tui.screens.rack", "from tui.core.session import Session\n") == []
    assert violations(SANDBOX_WRITES_CONFIG, "from tui.core.keystore import Keystore\n") == []
    assert violations("tui.clients.http", "from tui import __version__\n") == []


def _headless() -> list[Path]:
    return sorted(p for layer in HEADLESS for p in (PACKAGE / layer).rglob("*.py"))


def test_no_textual_import_in_the_headless_layers() -> None:
    offenders = [
        f"{_module_name(path)}:{line}"
        for path in _headless()
        for line, name in imports_of(path.read_text(), _module_name(path))
        if name.split(".")[0] == "textual"
    ]
    assert offenders == []


def test_no_textual_loaded_at_run_time() -> None:
    modules = [_module_name(p) for p in _headless()]
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
