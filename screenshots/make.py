"""Regenerate the README's screenshots: the dashboard driven headless against a seeded sandbox.

    .venv/bin/python screenshots/make.py            # every screenshot
    .venv/bin/python screenshots/make.py racks      # only the ones named

Each shot starts its own sandbox (seeded, so instance ids and rack domains repeat), opens the
dashboard at 120x40, drives it with Textual's Pilot and saves `screenshots/<name>.svg` with
`App.save_screenshot`. Nothing touches the user's files: keyroll's home, the Convox CLI dir
and AWS's credential files all point into a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tui.app import KeyrollApp  # noqa: E402
from tui.base.secret import Secret  # noqa: E402
from tui.sandbox.runtime import Sandbox  # noqa: E402
from tui.services.workspace import Workspace, sandbox_workspace  # noqa: E402

SIZE = (120, 40)
SEED = 7
ACCOUNT_KEY = "AccountKeyForScreenshots0123456789abcdXY42"  # only "XY42" is ever shown
OUT = Path(__file__).resolve().parent

Drive = Callable[[Any], Awaitable[None]]


def _args(scenario: str, speed: float) -> argparse.Namespace:
    return argparse.Namespace(
        sandbox=True, scenario=scenario, speed=speed, read_only=False, json=False
    )


def _opener(scenario: str, speed: float) -> Callable[[argparse.Namespace], Any]:
    @contextmanager
    def open_seeded(_args: argparse.Namespace) -> Iterator[Workspace]:
        sandbox = Sandbox(scenario=scenario, speed=speed, seed=SEED)
        sandbox.world.console.api_key = Secret(ACCOUNT_KEY)
        with sandbox_workspace(sandbox) as workspace:
            workspace.settings = replace(
                workspace.settings, poll_active_s=0.5, poll_idle_s=5.0, probe_interval_s=0.25
            )
            yield workspace

    return open_seeded


async def _until(pilot: Any, condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("screenshots: the dashboard did not reach the state to capture")
        await pilot.pause(0.1)


async def _home(pilot: Any) -> None:
    app = pilot.app
    await _until(
        pilot,
        lambda: (
            app.session.inventory is not None
            and all(r.name in app.session.statuses for r in app.session.inventory.racks)
        ),
    )
    await pilot.pause(0.3)


async def _racks(pilot: Any) -> None:
    await _home(pilot)


async def _rack(pilot: Any) -> None:
    await _home(pilot)
    await pilot.press("enter")  # acme/production, the first row
    await _until(pilot, lambda: getattr(pilot.app.screen, "overview", None) is not None)
    await pilot.pause(0.3)


async def _account(pilot: Any) -> None:
    await _home(pilot)
    await pilot.press("a")
    await _until(pilot, lambda: getattr(pilot.app.screen, "overview", None) is not None)
    await pilot.pause(0.3)


def _instance_keyroll(pilot: Any, rack: str) -> Any:
    """Start a forced instance keyroll of `rack` by the rack route and show it."""
    from tui.core.rolls.events import RollKind

    app = pilot.app
    target = app.session.target_for(rack)
    run = app.session.start_roll(RollKind.INSTANCE_KEY, target, "rack", force=True)
    app.open_roll(run)
    return run


def _progress_count(run: Any) -> int:
    return sum(type(event).__name__ == "InstanceProgress" for event in run.events)


async def _roll_in_progress(pilot: Any) -> None:
    await _home(pilot)
    run = _instance_keyroll(pilot, "acme/staging")
    # a moment when the first batch is being replaced: events, probes and progress all show
    await _until(pilot, lambda: _progress_count(run) >= 2)
    await pilot.pause(1.0)


async def _keyroll_rolled_back(pilot: Any) -> None:
    await _home(pilot)
    run = _instance_keyroll(pilot, "acme/staging")
    await _until(pilot, lambda: not run.running, timeout=120)
    await pilot.pause(0.5)


# name -> (scenario, sandbox speed, how to get there)
SHOTS: dict[str, tuple[str, float, Drive]] = {
    "racks": ("ok", 50.0, _racks),
    "rack": ("ok", 50.0, _rack),
    "roll-in-progress": ("ok", 8.0, _roll_in_progress),
    "keyroll-rolled-back": ("rollback", 60.0, _keyroll_rolled_back),
    "account": ("ok", 50.0, _account),
}


async def shoot(name: str) -> Path:
    """Drive a fresh dashboard to the state of `name` and save `screenshots/<name>.svg`."""
    scenario, speed, drive = SHOTS[name]
    app = KeyrollApp(_args(scenario, speed), opener=_opener(scenario, speed))
    async with app.run_test(size=SIZE) as pilot:
        await drive(pilot)
        app.save_screenshot(f"{name}.svg", str(OUT))
        app.exit(0)
    return OUT / f"{name}.svg"


@contextmanager
def _isolated() -> Iterator[None]:
    """keyroll's home, the Convox CLI dir and AWS's credential chain in a temporary directory."""
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="keyroll-screenshots-") as temp:
        aws = Path(temp) / "aws"
        aws.mkdir()
        for file in ("credentials", "config"):
            (aws / file).write_text("")
        os.environ.update(
            {
                "KEYROLL_HOME": str(Path(temp) / "keyroll"),
                "HOME": str(Path(temp) / "home"),
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials"),
                "AWS_CONFIG_FILE": str(aws / "config"),
            }
        )
        for name in ("CONVOX_CONFIG", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.pop(name, None)
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def main(argv: list[str]) -> int:
    names = argv or list(SHOTS)
    unknown = [n for n in names if n not in SHOTS]
    if unknown:
        print(f"screenshots: unknown {', '.join(unknown)}; choose from {', '.join(SHOTS)}")
        return 2
    with _isolated():
        for name in names:
            print(f"screenshots: {asyncio.run(shoot(name)).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
