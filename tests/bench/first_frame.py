"""Child of `startup_ratio`: start one app headless, print the monotonic time of its first frame.

`python tests/bench/first_frame.py dashboard|bare`. Run by path in a fresh interpreter, so
import time counts as it does for a user typing `keyroll`. "First frame" is the same hook for
both apps: the app's first screen has been laid out and painted (`call_after_refresh` queued
once the app is running). The time goes to stdout with whether the racks table was on screen,
its rows, and whether boto3 was imported by then; the process
leaves at once (`os._exit`): shutting down is not part of start-up.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

SIZE = (120, 40)
RACKS = 50
COLUMNS = ("Rack", "Source", "Status", "Version", "Instances", "Last roll", "")


def _stamp(app: Any) -> None:
    """Print the first frame's time and what it held, then leave without shutting down."""
    at = time.monotonic()
    from textual.widgets import DataTable

    table = app.screen.query_one(DataTable)
    shown = table in app.screen._compositor.visible_widgets
    boto3 = "boto3" in sys.modules or "botocore" in sys.modules
    print(f"{at:.6f} {int(shown)} {table.row_count} {int(boto3)}", flush=True)
    os._exit(0)


async def _after_first_frame(pilot: Any) -> None:
    pilot.app.call_after_refresh(_stamp, pilot.app)


def dashboard() -> None:
    """What `keyroll` does with no command (tui.cli -> tui.commands.dashboard), headless."""
    from tui.cli import build_parser

    args = build_parser().parse_args([])
    from tui.commands.workspace import starts_on_sandbox

    if starts_on_sandbox():
        raise SystemExit("the bench's keyroll home names no racks: the dashboard would sandbox")
    from tui.app import KeyrollApp

    KeyrollApp(args).run(headless=True, size=SIZE, auto_pilot=_after_first_frame)


def bare() -> None:
    """A bare Textual app with the racks screen's widget types, its columns and 50 rows."""
    from textual.app import App, ComposeResult
    from textual.containers import Vertical
    from textual.widgets import DataTable, Footer, Header, Input, Static

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Static("keyroll")
            with Vertical():
                yield Input(placeholder="filter")
                yield DataTable(cursor_type="row", zebra_stripes=True)
                yield Static("")
            yield Footer()

        def on_mount(self) -> None:
            self.query_one(Input).display = False
            table = self.query_one(DataTable)
            table.add_columns(*COLUMNS)
            for n in range(RACKS):
                table.add_row(f"rack{n:02d}", "keyroll", "", "-", "-", "never", "")
            table.focus()

    Bare().run(headless=True, size=SIZE, auto_pilot=_after_first_frame)


if __name__ == "__main__":
    {"dashboard": dashboard, "bare": bare}[sys.argv[1]]()
