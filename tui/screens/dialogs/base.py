"""What every keyroll dialog shares: a centred box, a button row, an error line, escape."""

from __future__ import annotations

from typing import TypeVar

from textual.binding import Binding
from textual.screen import ModalScreen

from tui.screens import breakpoints

ResultType = TypeVar("ResultType")

DIALOG_CSS = """
Dialog {
    align: center middle;
    background: $background 60%;
}
Dialog > .dialog-box {
    width: 88;
    max-width: 100%;
    height: auto;
    max-height: 100%;
    padding: 1 2;
    border: thick $primary;
    background: $surface;
}
Dialog > .dialog-box.-danger {
    border: thick $error;
}
/* a long dialog: its body scrolls between a fixed title and fixed buttons */
Dialog .dialog-body {
    height: auto;
}
Dialog.-short > .dialog-box {
    padding: 0 1;
}
Dialog.-short .dialog-title, Dialog.-short .dialog-buttons {
    margin: 0;
}
Dialog.-short > .dialog-box.-long, Dialog.-medium > .dialog-box.-long {
    height: 100%;
}
Dialog.-short > .dialog-box.-long > .dialog-body,
Dialog.-medium > .dialog-box.-long > .dialog-body {
    height: 1fr;
}
Dialog .dialog-title {
    text-style: bold;
    margin-bottom: 1;
}
Dialog .dialog-text {
    margin-bottom: 1;
}
Dialog .dialog-error {
    color: $text-error;
    height: auto;
}
Dialog .dialog-buttons {
    height: auto;
    align-horizontal: right;
    margin-top: 1;
}
Dialog .dialog-buttons Button {
    margin-left: 2;
}
Dialog RadioSet {
    width: 100%;
    margin-bottom: 1;
}
Dialog Input {
    margin-bottom: 1;
}
"""


class Dialog(ModalScreen[ResultType]):
    """A modal keyroll dialog: `escape` cancels (the result is the dialog's `cancelled`)."""

    VERTICAL_BREAKPOINTS = breakpoints.VERTICAL  # also in test apps, which set none
    HORIZONTAL_BREAKPOINTS = breakpoints.HORIZONTAL

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="dialog.cancel",
            tooltip="Close the dialog; nothing is changed.",
        )
    ]

    def cancelled(self) -> ResultType | None:
        """The result `escape` and the Cancel button give."""
        return None

    def action_cancel(self) -> None:
        self.dismiss(self.cancelled())
