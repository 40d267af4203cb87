"""A yes/no question, optionally confirmed by typing a name (production racks, risks)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tui.screens.dialogs.base import Dialog
from tui.screens.dialogs.typed import TypedConfirmation


class ConfirmDialog(Dialog[bool]):
    """Ask `question`; with `typed`, Confirm stays disabled until that exact text is typed."""

    def __init__(self, question: str, typed: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.typed = typed

    def cancelled(self) -> bool:
        return False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box" + (" -danger" if self.typed else "")):
            yield Static("Confirm", classes="dialog-title")
            yield Static(self.question, classes="dialog-text", id="confirm-question")
            if self.typed is not None:
                yield Static(Text.assemble("Type ", (self.typed, "bold"), " to confirm:"))
                yield TypedConfirmation(self.typed, id="confirm-typed")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    "Confirm",
                    variant="error" if self.typed else "primary",
                    id="confirm-yes",
                    disabled=self.typed is not None,
                )
                yield Button("Cancel", id="confirm-no")

    def on_mount(self) -> None:
        if self.typed is not None:
            self.query_one(TypedConfirmation).focus()
        else:
            self.query_one("#confirm-yes", Button).focus()

    @on(Input.Changed, "#confirm-typed")
    def _typed_changed(self) -> None:
        self.query_one("#confirm-yes", Button).disabled = not self._confirmed()

    @on(Input.Submitted, "#confirm-typed")
    def _typed_submitted(self) -> None:
        if self._confirmed():
            self.dismiss(True)

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self) -> None:
        if self._confirmed():
            self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def _no(self) -> None:
        self.dismiss(False)

    def _confirmed(self) -> bool:
        if self.typed is None:
            return True
        return self.query_one(TypedConfirmation).matches
