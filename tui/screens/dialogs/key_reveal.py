"""A new key, shown once: copy it to the clipboard, then it is masked for good."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui.base.secret import Secret
from tui.screens.dialogs.base import Dialog


class KeyRevealDialog(Dialog[None]):
    """Shows `key` in clear once; after the dialog closes, keyroll never shows it again."""

    BINDINGS = [
        Binding(
            "c",
            "copy",
            "Copy",
            id="reveal.copy",
            tooltip="Copy the key to the clipboard (through the terminal).",
        ),
    ]

    def __init__(self, title: str, key: Secret) -> None:
        super().__init__()
        self.title_text = title
        self._key: Secret | None = key

    @property
    def showing(self) -> bool:
        """Whether the dialog still holds the key (False once it closes)."""
        return self._key is not None

    def compose(self) -> ComposeResult:
        key = self._key
        assert key is not None
        with Vertical(classes="dialog-box -danger"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static(
                "This is the only time keyroll shows this key. Copy it now and keep it "
                "somewhere safe; once this dialog closes it is masked for good.",
                classes="dialog-text",
            )
            yield Static(
                Text(key.reveal(), style="bold reverse"), id="reveal-key", classes="dialog-text"
            )
            yield Static(Text(f"fingerprint {key.fingerprint()}", style="dim"))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Copy (c)", variant="primary", id="reveal-copy")
                yield Button("Done", id="reveal-done")

    def on_mount(self) -> None:
        self.query_one("#reveal-copy", Button).focus()

    def action_copy(self) -> None:
        if self._key is None:
            return
        self.app.copy_to_clipboard(self._key.reveal())
        self.notify("The key is on the clipboard.", title="Copied")
        self.query_one("#reveal-done", Button).focus()  # copied: Enter now closes

    @on(Button.Pressed, "#reveal-copy")
    def _copy(self) -> None:
        self.action_copy()

    @on(Button.Pressed, "#reveal-done")
    def _done(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        # drop the key and its rendering before the screen goes
        self._key = None
        self.query_one("#reveal-key", Static).update(Text("**********"))
        self.dismiss(None)
