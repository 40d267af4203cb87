"""What the dashboard benchmarks share: the real app on an in-process sandbox, driven by Pilot.

`SandboxWorkspace` opens the app's workspace on a `Sandbox` with the settings a benchmark
asks for; `start_instance_keyroll` goes through the screens a person uses (rack screen, `k`,
the pre-flight dialog, the rack's name typed) and returns the roll screen it opens.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from textual.pilot import Pilot

from tui.app import KeyrollApp
from tui.sandbox.runtime import Sandbox
from tui.services.workspace import Workspace, sandbox_workspace

SIZE = (120, 40)


def dashboard_args() -> argparse.Namespace:
    """The namespace `keyroll --sandbox` gives the dashboard."""
    return argparse.Namespace(sandbox=True, scenario="ok", speed=1.0, read_only=False, json=False)


class SandboxWorkspace:
    """The app's workspace opener: a started `sandbox`, with `settings` overriding the defaults."""

    def __init__(self, sandbox: Sandbox, **settings: Any) -> None:
        self.sandbox = sandbox
        self.settings = settings

    @contextmanager
    def __call__(self, args: argparse.Namespace) -> Iterator[Workspace]:
        with sandbox_workspace(self.sandbox) as workspace:
            workspace.settings = replace(workspace.settings, **self.settings)
            yield workspace


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], bool], timeout: float, what: str
) -> None:
    """Let the app run until `condition()` holds; raise after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the dashboard benchmark timed out waiting for {what}")
        await pilot.pause(0.02)


async def start_instance_keyroll(pilot: Pilot[Any], app: KeyrollApp, rack: str) -> Any:
    """Open `rack`, press `k`, type its name in the pre-flight dialog; returns the roll screen."""
    from tui.screens.dialogs import InstanceKeyrollDialog
    from tui.screens.rack import RackScreen
    from tui.screens.roll import RollScreen

    await wait_until(pilot, lambda: app.session.inventory is not None, 20.0, "the inventory")
    app.open_rack(rack)
    await wait_until(pilot, lambda: isinstance(app.screen, RackScreen), 20.0, "the rack screen")
    await pilot.press("k")
    await wait_until(
        pilot, lambda: isinstance(app.screen, InstanceKeyrollDialog), 20.0, "the pre-flight"
    )
    app.screen.query_one("#instance-key-typed").focus()
    await pilot.press(*rack, "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, RollScreen), 20.0, "the roll screen")
    return app.screen
