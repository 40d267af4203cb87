"""The home screen: every rack of the inventory, its live status and its last roll.

Rows are added when the inventory arrives (or the filter changes); status polls update
cells in place. `/` filters, `enter` opens a rack, `s` switches to it, `a` opens the account.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from tui.core.session import READ_ONLY_SENTENCE, DashboardSession
from tui.messages import DashboardSignals, OpenAccount, OpenRack, OpenRoll, SwitchRack
from tui.screens.in_view import in_view
from tui.screens.refused_keys import REFUSE_ACTION, refusal_bindings
from tui.widgets.rack_table import RackTable
from tui.widgets.status import (
    ModeBanner,
    age_text,
    outcome_text,
    production_badge,
    read_only_badge,
    status_text,
)
from tui.widgets.tables import Cell, Column, fill_table
from tui.widgets.theme import theme_style

if TYPE_CHECKING:
    from tui.core.inventory import RackEntry, RackStatus
    from tui.core.journal import HistoryEntry
    from tui.core.roll_runs import RollRun

# (key, label, width): cells that polls update in place get a fixed width, so a longer
# value never waits for the table to re-measure its columns. Most important first: on a
# narrow terminal (80 columns) the source and version are what the right edge cuts.
COLUMNS = (
    Column("Rack", "name"),
    Column("", "badge"),  # set when the rows are laid out, never updated in place
    Column("Status", "status", 10),
    Column("Instances", "count", 9),
    Column("Last roll", "last", 32),
    Column("Source", "source", 8),
    Column("Version", "version", 14),
)
CURRENT_MARK = "▸ "


def rack_matches(rack: RackEntry, status: RackStatus | None, text: str) -> bool:
    """Whether the filter `text` is part of the rack's name, source or status (any case)."""
    needle = text.strip().lower()
    if not needle:
        return True
    words = [rack.name, rack.via, *rack.sources, status.status if status else ""]
    if rack.production:
        words.append("production")
    return any(needle in word.lower() for word in words)


def last_roll_text(entry: HistoryEntry | None, running_kind: str | None) -> Text:
    """`rack-key succeeded 3d ago`, or the roll running now."""
    if running_kind is not None:
        return Text.assemble(f"{running_kind} ", outcome_text("running"))
    if entry is None:
        return Text("never", style=theme_style("muted"))
    ago = age_text(entry.ended or entry.started)
    return Text.assemble(f"{entry.kind} ", outcome_text(entry.outcome), f" {ago} ago")


RACKS_BINDINGS: list[BindingType] = [
    Binding(
        "slash",
        "filter",
        "Filter",
        key_display="/",
        id="racks.filter",
        tooltip="Show only racks whose name, source or status holds the text",
    ),
    Binding(
        "s",
        "switch",
        "Switch",
        id="racks.switch",
        tooltip="Make the highlighted rack current for keyroll and the Convox CLI",
    ),
    Binding(
        "w",
        "watch",
        "Watch roll",
        id="racks.watch",
        tooltip="Open the live view of the highlighted rack's latest roll",
    ),
    Binding("a", "account", "Account", id="racks.account", tooltip="The account API key"),
    Binding("escape", "clear_filter", "Clear filter", show=False, id="racks.clear_filter"),
]
CHANGING_ACTIONS = frozenset({"switch"})  # writes files: off in read-only mode


class RacksScreen(Screen[None]):
    """Every rack keyroll knows, with live status, last roll and a PRODUCTION badge."""

    AUTO_FOCUS = "#racks"

    BINDINGS: ClassVar[list[BindingType]] = [
        *RACKS_BINDINGS,
        *refusal_bindings(RACKS_BINDINGS, CHANGING_ACTIONS),  # read-only: say why
    ]

    def __init__(self, session: DashboardSession, signals: DashboardSignals) -> None:
        super().__init__()
        self.session = session
        self.signals = signals

    def compose(self) -> ComposeResult:
        yield Header()
        yield ModeBanner(self.session, id="banner")
        with Vertical(id="racks-body"):
            yield Input(placeholder="filter: part of a name, source or status", id="filter")
            yield RackTable(id="racks", cursor_type="row", zebra_stripes=True)
            yield Static("", id="racks-note")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#racks", DataTable)
        fill_table(table, COLUMNS, [])
        table.loading = self.session.inventory is None
        self.query_one("#filter", Input).display = False
        table.focus()
        signals = self.signals
        signals.listen(self, signals.inventory_changed, self.inventory_changed)
        signals.listen(self, signals.statuses_changed, self.statuses_changed)
        signals.listen(self, signals.workspace_failed, self.workspace_failed)
        signals.listen(self, signals.roll_ended, self.roll_ended)
        if self.session.inventory is not None:
            self.inventory_changed()
        elif self.session.workspace_failure is not None:
            self.workspace_failed(self.session.workspace_failure)

    # what the app broadcasts ----------------------------------------------------------------

    def inventory_changed(self, _: None = None) -> None:
        """The inventory (or the journal, or the current rack) changed: lay the rows out again."""
        self._fill(self.query_one("#filter", Input).value)

    def workspace_failed(self, sentence: str) -> None:
        """keyroll's files could not be opened: say so where the racks would be."""
        self.query_one("#racks", DataTable).loading = False
        self.query_one("#racks-note", Static).update(Text(sentence))  # not markup

    def statuses_changed(self, statuses: dict[str, RackStatus]) -> None:
        """Update the status cells of the racks just polled, in place."""
        table = self.query_one("#racks", DataTable)
        for name, status in statuses.items():
            try:
                cells = {
                    "status": status_text(status.status),
                    "version": status.version or "-",
                    "count": str(status.count) if status.count else "-",
                    "last": self._last(name),
                }
                for column, value in cells.items():
                    table.update_cell(name, column, value)
            except (CellDoesNotExist, RowDoesNotExist):
                continue  # filtered out: its row comes back with the new values
        if self.session.inventory is not None:
            self._show_note()

    def roll_ended(self, run: RollRun) -> None:
        if not in_view(self):
            return  # told once the screen is in view again: the inventory reloads after a roll
        with contextlib.suppress(CellDoesNotExist, RowDoesNotExist):
            self.query_one("#racks", DataTable).update_cell(run.rack, "last", self._last(run.rack))

    # rows -------------------------------------------------------------------------------------

    def _fill(self, text: str) -> None:
        session = self.session
        table = self.query_one("#racks", DataTable)
        table.loading = session.inventory is None
        if session.inventory is None or not table.columns:
            return  # no columns yet: the workspace opened before on_mount, which fills it
        selected = self.selected_rack
        shown = [
            rack
            for rack in session.inventory.racks
            if rack_matches(rack, session.statuses.get(rack.name), text)
        ]
        fill_table(
            table,
            COLUMNS,
            [self._cells(rack, session.statuses.get(rack.name)) for rack in shown],
            [rack.name for rack in shown],
        )
        if selected is not None:
            with contextlib.suppress(RowDoesNotExist):
                table.move_cursor(row=table.get_row_index(selected.name))
        self._show_note()
        # the footer shows the table's Enter ("Open") once bindings are read with rows present
        self.refresh_bindings()

    def _cells(self, rack: RackEntry, status: RackStatus | None) -> list[Cell]:
        current = rack.name == self.session.current_rack
        name = Text(CURRENT_MARK if current else "  ", style="bold") + Text(
            rack.name, style="bold" if current else ""
        )
        badges = production_badge(rack.production) + read_only_badge(rack.read_only)
        return [
            name,
            badges,
            status_text(status.status if status else ""),
            str(status.count) if status and status.count else "-",
            self._last(rack.name),
            rack.via,
            (status.version if status else "") or "-",
        ]

    def _last(self, name: str) -> Text:
        running = self.session.rolls.running_on(name)
        return last_roll_text(self.session.last_rolls.get(name), running.kind if running else None)

    @property
    def selected_rack(self) -> RackEntry | None:
        """The rack under the cursor, if any."""
        table = self.query_one("#racks", DataTable)
        inventory = self.session.inventory
        if inventory is None or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return inventory.find(str(key)) if key is not None else None

    def _show_note(self) -> None:
        note = self.query_one("#racks-note", Static)
        inventory = self.session.inventory
        if inventory is not None and not inventory.racks:
            note.update(
                "keyroll knows no racks: run `convox login`, add [[racks]] to its settings, "
                "or try `keyroll --sandbox`."
            )
            return
        rack = self.selected_rack
        status = self.session.statuses.get(rack.name) if rack else None
        note.update(status.error if status and status.error else "")

    @on(DataTable.RowHighlighted, "#racks")
    def _highlighted(self) -> None:
        self._show_note()

    @on(DataTable.RowSelected, "#racks")
    def _selected(self) -> None:
        self._open_highlighted()  # enter, or a click on the highlighted row

    # filter ----------------------------------------------------------------------------------

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        field.focus()

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.value = ""
        field.display = False
        self.query_one("#racks", DataTable).focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one("#racks", DataTable).focus()

    # actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Switching writes files: hidden in read-only mode (its key says why)."""
        read_only = self.session.read_only
        if action == REFUSE_ACTION:
            return read_only
        return not (action in CHANGING_ACTIONS and read_only)

    def action_refuse(self) -> None:
        self.notify(READ_ONLY_SENTENCE, severity="warning")

    def _open_highlighted(self) -> None:
        rack = self.selected_rack
        if rack is not None:
            self.app.post_message(OpenRack(rack.name))

    def action_switch(self) -> None:
        rack = self.selected_rack
        if rack is not None:
            self.app.post_message(SwitchRack(rack.name))

    def action_watch(self) -> None:
        rack = self.selected_rack
        run = self.session.rolls.latest_for(rack.name) if rack else None
        if run is None:
            self.notify("No roll of this rack has run since keyroll started.")
            return
        self.app.post_message(OpenRoll(run))

    def action_account(self) -> None:
        self.app.post_message(OpenAccount())
