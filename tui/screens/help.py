"""`?`: the keys of the screen underneath, with what each does and whether it is disabled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from tui.widgets.tables import fill_table
from tui.widgets.theme import theme_style

HIDDEN_ACTIONS = frozenset({"command_palette"})  # listed once below the table instead


@dataclass(frozen=True)
class KeyHelp:
    """One key of a screen: what it shows, what it does, and why it may be disabled."""

    key: str
    description: str
    tooltip: str
    enabled: bool


def keys_of(screen: Screen[Any]) -> list[KeyHelp]:
    """The keys active on `screen` (its own, its focused widget's, the app's), in order."""
    rows: list[KeyHelp] = []
    seen: set[str] = set()
    for _key, active in screen.active_bindings.items():
        binding = active.binding
        # keyroll's own keys (ids like `rack.refresh`) are listed even when the footer hides them
        ours = bool(binding.id and "." in binding.id)
        if binding.action in HIDDEN_ACTIONS or not binding.description:
            continue
        if not binding.show and not ours:
            continue
        label = binding.key_display or screen.app.get_key_display(binding)
        if label in seen:
            continue
        seen.add(label)
        rows.append(
            KeyHelp(label, binding.description, active.tooltip or binding.tooltip, active.enabled)
        )
    return rows


class HelpScreen(ModalScreen[None]):
    """The keys of the screen below, shown in a modal; any of `?`, `escape`, `q` closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close"),
    ]

    def __init__(self, title: str, rows: list[KeyHelp]) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows

    @classmethod
    def for_screen(cls, screen: Screen[Any]) -> HelpScreen:
        """The help of `screen`, read now (before the modal covers it)."""
        name = type(screen).__name__.removesuffix("Screen") or "keyroll"
        return cls(f"Keys: {name.lower()}", keys_of(screen))

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield DataTable(id="help-keys", cursor_type="none", zebra_stripes=True)
            yield Static(
                Text(
                    "ctrl+p  the command palette: switch to, open or roll any rack\n"
                    "Read-only mode (or a rack marked read_only) hides the keys that change "
                    "something.",
                    style=theme_style("muted"),
                ),
                id="help-foot",
            )

    def on_mount(self) -> None:
        self.query_one("#help-box").border_title = self.title_text
        fill_table(
            self.query_one("#help-keys", DataTable),
            ("Key", "Does", ""),
            [
                (
                    Text(row.key, style="bold" if row.enabled else theme_style("muted")),
                    Text(row.description, style="" if row.enabled else theme_style("muted")),
                    Text(
                        row.tooltip if row.enabled else f"disabled: {row.tooltip}",
                        style="" if row.enabled else theme_style("muted"),
                    ),
                )
                for row in self.rows
            ],
        )

    def action_close(self) -> None:
        self.dismiss()
