"""Child of `startup_ratio`: start one app headless, print the monotonic time of its first frame
with the racks listed.

`python tests/bench/first_frame.py dashboard|bare`. Run by path in a fresh interpreter, so
import time counts as it does for a user typing `keyroll`. "First frame" is the same hook for
both apps: the first frame the app composes for display while its racks table holds its 50
rows (the app's display hook, wrapped). The time goes to
stdout with whether the racks table was on screen, its rows, and whether boto3 was imported
by then; the process leaves at once (`os._exit`): shutting down is not part of start-up.
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


def _racks_listed(app: Any) -> bool:
    from textual.widgets import DataTable

    tables = app.screen.query(DataTable)
    return bool(tables) and tables.first().row_count >= RACKS and not tables.first().loading


def _stamp_first_frame_with_racks(app: Any) -> Any:
    """Wrap the app's display hook: the first frame it is handed with the racks listed
    is stamped (the same hook for both apps; a headless app computes its frames all the
    same, it only leaves out writing them to a terminal)."""
    display = app._display

    def displayed(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None and app.is_running and _racks_listed(app):
            _stamp(app)

    app._display = displayed
    return app


def dashboard() -> None:
    """What `keyroll` does with no command (tui.cli -> tui.dashboard), headless."""
    from tui.cli import build_parser

    args = build_parser().parse_args([])
    from tui.dashboard import make_app
    from tui.services.workspace import starts_on_sandbox

    if starts_on_sandbox():
        raise SystemExit("the bench's keyroll home names no racks: the dashboard would sandbox")
    _stamp_first_frame_with_racks(make_app(args)).run(headless=True, size=SIZE)


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

    _stamp_first_frame_with_racks(Bare()).run(headless=True, size=SIZE)


if __name__ == "__main__":
    {"dashboard": dashboard, "bare": bare}[sys.argv[1]]()
