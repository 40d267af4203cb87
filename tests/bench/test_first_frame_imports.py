"""The dashboard's first frame loads no network stack and no roll engine: what
`startup_ratio` depends on.

The modules the racks screen needs to draw (the app, the racks screen, the CLI entry point)
import neither boto3 nor httpx; those load in workers once the frame is on screen. Nor do
they import the roll engine's events and summaries, the journal or the status poller: a
roll, the workspace worker and the first poll load them.
"""

from __future__ import annotations

import subprocess
import sys

FIRST_FRAME_MODULES = ("tui.cli", "tui.dashboard", "tui.app", "tui.screens.racks")
NETWORK_MODULES = ("boto3", "botocore", "httpx", "httpcore")
LATER_MODULES = (
    "tui.core.rolls.events",
    "tui.core.rolls.summary",
    "tui.core.journal",
    "tui.core.fleet_status",
    "tui.core.roll_targets",
)


def _loaded_by_first_frame(names: tuple[str, ...]) -> str:
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in FIRST_FRAME_MODULES)
        + f"print(','.join(m for m in {names!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def test_first_frame_modules_import_no_network_stack() -> None:
    assert _loaded_by_first_frame(NETWORK_MODULES) == ""


def test_first_frame_modules_import_no_roll_engine_journal_or_poller() -> None:
    assert _loaded_by_first_frame(LATER_MODULES) == ""


def test_the_check_sees_a_later_import() -> None:
    code = "import sys, tui.core.roll_runs, tui.core.rolls.summary\nprint(sorted(sys.modules))\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "tui.core.rolls.events" in done.stdout


def test_the_check_sees_a_network_import() -> None:
    code = f"import sys, tui.clients.http\nprint('httpx' in sys.modules, {NETWORK_MODULES!r})\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.startswith("True")
