"""Shared fixtures of the dashboard's Pilot and snapshot tests: the real app on a real sandbox.

`make_app` builds `KeyrollApp` on an in-process sandbox (seeded, fast clock) with fast poll
and probe settings; AWS's credential chain points at missing files so nothing reaches real AWS.
The other dashboard engineer may add fixtures at the end of this file.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from tests.aws_support import scrub_aws_env
from tests.tui.roll_harness import WAIT_S, layout_owed, wait_until
from tui.app import KeyrollApp
from tui.base.secret import Secret
from tui.sandbox.runtime import Sandbox
from tui.services.workspace import Workspace, sandbox_workspace

FAST = 200.0  # sandbox clock speed: a minute-long roll takes 0.3 s
SEED = 7
SIZE = (120, 40)
FIXED_ACCOUNT_KEY = "AccountKeyForSnapshots0123456789abcdXY42"  # its hint shows only "XY42"
FAST_SETTINGS = {"poll_active_s": 0.2, "poll_idle_s": 1.0, "probe_interval_s": 0.1}


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No real AWS, no real keyroll home, no real Convox CLI config."""
    scrub_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("KEYROLL_HOME", str(tmp_path / "keyroll-home"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CONVOX_CONFIG", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)


def dashboard_args(**overrides: Any) -> argparse.Namespace:
    """The argparse namespace `keyroll --sandbox` gives the dashboard."""
    values: dict[str, Any] = {
        "sandbox": True,
        "scenario": "ok",
        "speed": FAST,
        "read_only": False,
        "json": False,
    }
    values.update(overrides)
    return argparse.Namespace(**values)


class SandboxOpener:
    """Opens the app's workspace on a seeded sandbox; keeps the sandbox for the test to inspect."""

    def __init__(self, *, fixed_account_key: bool = False, **sandbox: Any) -> None:
        self.options = {"seed": SEED, "speed": FAST, **sandbox}
        self.fixed_account_key = fixed_account_key
        self.sandbox: Sandbox | None = None
        self.workspace: Workspace | None = None
        self.before_yield: Callable[[Workspace], None] | None = None

    @contextmanager
    def __call__(self, args: argparse.Namespace) -> Iterator[Workspace]:
        options = dict(self.options)
        options.setdefault("scenario", getattr(args, "scenario", "ok"))
        sandbox = Sandbox(**options)
        if self.fixed_account_key:
            sandbox.world.console.api_key = Secret(FIXED_ACCOUNT_KEY)
        with sandbox_workspace(sandbox) as workspace:
            workspace.settings = replace(workspace.settings, **FAST_SETTINGS)
            self.sandbox, self.workspace = sandbox, workspace
            if self.before_yield is not None:
                self.before_yield(workspace)
            yield workspace


@pytest.fixture
def make_app() -> Callable[..., tuple[KeyrollApp, SandboxOpener]]:
    """`make_app(read_only=..., scenario=..., fixed_account_key=...)` -> (app, opener)."""

    def make(
        *, fixed_account_key: bool = False, sandbox: dict[str, Any] | None = None, **args: Any
    ) -> tuple[KeyrollApp, SandboxOpener]:
        opener = SandboxOpener(fixed_account_key=fixed_account_key, **(sandbox or {}))
        return KeyrollApp(dashboard_args(**args), opener=opener), opener

    return make


wait_for = wait_until
"""The one wait of the dashboard tests (`tests.tui.roll_harness.wait_until`), by the name other
suites import it."""


async def until_statuses(pilot: Any, app: KeyrollApp, timeout: float = WAIT_S) -> None:
    """Wait until every rack of the inventory has a polled status."""
    await wait_until(
        pilot,
        lambda: (
            app.session.inventory is not None
            and all(r.name in app.session.statuses for r in app.session.inventory.racks)
        ),
        timeout,
        "every rack's status",
    )


def tables_measured(app: KeyrollApp | Any) -> bool:
    """Whether every table on the screen has measured its new rows and cells. A DataTable sizes
    its columns only when its message queue runs dry, which a loaded machine can put off past
    any fixed pause (a snapshot once caught "App" cut to 3 columns wide)."""
    return not any(
        table._require_update_dimensions or table._updated_cells
        for table in app.screen.query(DataTable)
    )


async def until_measured(pilot: Any) -> None:
    """Wait until every table on the screen has measured its rows (see `tables_measured`) and
    no layout is owed (see `layout_owed`): what `screen_text` then reads is what a person sees."""
    await wait_until(
        pilot,
        lambda: tables_measured(pilot.app) and not layout_owed(pilot.app),
        what="the tables to measure and the screen to lay out",
    )


async def settled(pilot: Any, pause: float = 0.2) -> None:
    """For snapshots: the tables measured, then a repaint, then measured again (a repaint can
    bring new cells)."""
    await until_measured(pilot)
    await pilot.pause(pause)
    await until_measured(pilot)


Waiter = Callable[..., Awaitable[None]]
