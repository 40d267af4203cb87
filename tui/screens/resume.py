"""Unfinished rolls found in the journal at start, offered for resume (or left for later)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Static

from tui.core.journal import RollRecord
from tui.widgets.status import when_text
from tui.widgets.tables import fill_table


class ResumeScreen(ModalScreen[list[RollRecord] | None]):
    """The journal's unfinished rolls; dismissed with the rolls to resume, or None for later."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "resume", "Resume all", id="resume.all"),
        Binding("escape", "later", "Later", id="resume.later"),
    ]

    def __init__(self, records: list[RollRecord]) -> None:
        super().__init__()
        self.records = sorted(records, key=lambda r: r.started)

    def compose(self) -> ComposeResult:
        count = len(self.records)
        with Vertical(id="resume-box"):
            yield Static(
                f"{count} roll{'s' if count > 1 else ''} did not finish (keyroll stopped, or a "
                "roll was started without --wait). The journal kept every step: resuming "
                "watches each one to its end and verifies the keys.",
                id="resume-text",
            )
            yield DataTable(id="resume-rolls", cursor_type="none")
            with Horizontal(id="resume-buttons"):
                yield Button("Resume all", id="resume-all", variant="primary")
                yield Button("Later", id="resume-later")

    def on_mount(self) -> None:
        self.query_one("#resume-box").border_title = "Unfinished rolls"
        fill_table(
            self.query_one("#resume-rolls", DataTable),
            ("Rack", "Roll", "Route", "Started", "Last step"),
            [
                (
                    Text(record.rack, style="bold"),
                    record.kind,
                    record.route,
                    when_text(record.started),
                    record.last_step,
                )
                for record in self.records
            ],
        )
        self.query_one("#resume-all", Button).focus()

    @on(Button.Pressed, "#resume-all")
    def action_resume(self) -> None:
        self.dismiss(self.records)

    @on(Button.Pressed, "#resume-later")
    def action_later(self) -> None:
        self.dismiss(None)
