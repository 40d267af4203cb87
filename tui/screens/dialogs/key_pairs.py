"""The rack's instance key pairs: unused ones can be deleted, after a confirmation.

The verdicts come from `tui.core.key_pair_cleanup` (a pair in use by `Key` or an instance is
never offered); deleting runs in a thread worker, which judges the pairs afresh first.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, SelectionList, Static
from textual.widgets.selection_list import Selection
from textual.worker import Worker, WorkerState

from tui.core.inventory import RackEntry
from tui.core.key_pair_cleanup import KeyPairReport, KeyPairVerdict, delete_unused_key_pairs
from tui.screens.dialogs.base import Dialog
from tui.screens.dialogs.confirm import ConfirmDialog

DELETE_GROUP = "key-pairs-delete"


def created_words(verdict: KeyPairVerdict) -> str:
    return verdict.created.strftime("%Y-%m-%d") if verdict.created else "unknown date"


class KeyPairsDialog(Dialog[list[str] | None]):
    """List `pairs` of `rack` (a report or its verdicts); returns the names deleted.

    With `read_only` (keyroll's `--read-only`), or a rack marked read_only, it deletes nothing.
    """

    def __init__(
        self,
        rack: RackEntry,
        pairs: KeyPairReport | Sequence[KeyPairVerdict],
        *,
        read_only: bool = False,
    ) -> None:
        super().__init__()
        self.rack = rack
        self.keyroll_read_only = read_only
        self.verdicts = list(pairs.verdicts if isinstance(pairs, KeyPairReport) else pairs)
        self.deleted: list[str] = []
        self.outcome = ""  # the last deletion's result or error, as a sentence

    @property
    def unused(self) -> list[KeyPairVerdict]:
        return [v for v in self.verdicts if v.unused and v.name not in self.deleted]

    @property
    def read_only(self) -> bool:
        return self.keyroll_read_only or self.rack.read_only

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box -long"):
            yield Static(
                Text.assemble("Instance key pairs of ", (self.rack.name, "bold")),
                classes="dialog-title",
            )
            with VerticalScroll(classes="dialog-body"):
                yield Static(self._kept_text(), classes="dialog-text", id="key-pairs-kept")
                yield SelectionList[str](
                    *[
                        Selection(f"{v.name}  created {created_words(v)}", v.name, True, id=v.name)
                        for v in self.unused
                    ],
                    id="key-pairs-unused",
                )
            yield Static("", classes="dialog-error", id="key-pairs-status")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Delete selected", variant="error", id="key-pairs-delete")
                yield Button("Close", id="key-pairs-close")

    def on_mount(self) -> None:
        self._refresh_state()
        self.query_one("#key-pairs-unused", SelectionList).focus()

    def _kept_text(self) -> Text:
        kept = [v for v in self.verdicts if not v.unused]
        text = Text()
        unused = len(self.unused)
        text.append(
            f"{unused} unused key pair(s) can be deleted; "
            "Convox's keyroll never deletes the pair it replaces.",
        )
        for verdict in kept:
            text.append(f"\nkept  {verdict.name}", style="bold")
            text.append(f"  {verdict.why}", style="dim")
        return text

    def _refresh_state(self, busy: bool = False) -> None:
        """Enable Delete when it can act, and show the newest status line."""
        button = self.query_one("#key-pairs-delete", Button)
        listing = self.query_one("#key-pairs-unused", SelectionList)
        listing.display = bool(self.unused)  # an empty list is only an empty box
        selected = listing.selected
        if self.read_only:
            button.disabled = True
            button.label = "Delete (read-only)"
            status = "keyroll runs read-only: it lists key pairs and deletes nothing."
        else:
            button.disabled = busy or not selected
            status = "Deleting…" if busy else self.outcome
            if not status and not self.unused:
                status = "No unused key pair is left to delete."
        self.query_one("#key-pairs-status", Static).update(status)

    @on(SelectionList.SelectedChanged)
    def _selection_changed(self) -> None:
        self._refresh_state()

    @on(Button.Pressed, "#key-pairs-close")
    def _close(self) -> None:
        self.action_cancel()

    def cancelled(self) -> list[str] | None:
        return list(self.deleted) if self.deleted else None

    @on(Button.Pressed, "#key-pairs-delete")
    def _delete_pressed(self) -> None:
        names = list(self.query_one("#key-pairs-unused", SelectionList).selected)
        if not names or self.read_only:
            return
        question = (
            f"Delete {len(names)} key pair(s) of {self.rack.name} from EC2 ({', '.join(names)})? "
            "Their private keys cannot be recovered."
        )
        typed = self.rack.name if self.rack.production else None

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._refresh_state(busy=True)
                self.delete_pairs(names)

        self.app.push_screen(ConfirmDialog(question, typed), confirmed)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group=DELETE_GROUP,
        description="Deleting unused key pairs",
    )
    def delete_pairs(self, names: list[str]) -> list[str]:
        return delete_unused_key_pairs(self.rack.aws, self.rack.stack, names)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != DELETE_GROUP:
            return
        if event.state == WorkerState.SUCCESS:
            deleted = list(event.worker.result or [])
            self.deleted.extend(deleted)
            listing = self.query_one("#key-pairs-unused", SelectionList)
            for name in deleted:
                listing.remove_option(name)
            self.query_one("#key-pairs-kept", Static).update(self._kept_text())
            self.outcome = f"Deleted {len(deleted)} key pair(s): {', '.join(deleted)}."
            self._refresh_state()
        elif event.state == WorkerState.ERROR:
            # the app's one worker handler notifies the error's sentence
            self.outcome = str(event.worker.error)
            self._refresh_state()
