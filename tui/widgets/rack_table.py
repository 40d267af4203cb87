"""The home screen's list of racks: a DataTable whose own Enter opens the highlighted rack.

Enter belongs to the table, not to a priority binding of the screen: a priority binding runs
as soon as the key arrives, ahead of arrow keys typed just before it that the table has not
handled yet, so a quick "down down enter" opened the rack the cursor had left.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable


class RackTable(DataTable[Any]):
    """DataTable with Enter shown in the footer as "Open" (it posts `RowSelected`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            "Open",
            id="racks.open",
            tooltip="Open the highlighted rack",
        ),
    ]
