"""Paste a key rolled elsewhere (the web Console): masked input, returned as a `Secret`."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tui.base.secret import Secret
from tui.screens.dialogs.base import Dialog


def pasted_key_problem(value: str) -> str | None:
    """Why a pasted key cannot be a key, as one sentence, or None when it can."""
    if not value.strip():
        return "The key is empty; paste it exactly as the web Console shows it."
    if any(c.isspace() for c in value.strip()):
        return "The key holds spaces; paste it exactly as the web Console shows it."
    return None


class PasteKeyDialog(Dialog[Secret | None]):
    """A masked input for a key; the caller validates the key against its service."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static(
                "Paste the key; it stays masked here and is checked before keyroll keeps it.",
                classes="dialog-text",
            )
            yield Input(placeholder="paste the key", password=True, id="paste-key")
            yield Static("", classes="dialog-error", id="paste-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Use this key", variant="primary", id="paste-ok")
                yield Button("Cancel", id="paste-cancel")

    def on_mount(self) -> None:
        self.query_one("#paste-key", Input).focus()

    @on(Button.Pressed, "#paste-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#paste-ok")
    @on(Input.Submitted, "#paste-key")
    def _submit(self) -> None:
        field = self.query_one("#paste-key", Input)
        problem = pasted_key_problem(field.value)
        if problem is not None:
            self.query_one("#paste-error", Static).update(problem)
            field.focus()
            return
        key = Secret(field.value.strip())
        field.value = ""
        self.dismiss(key)
