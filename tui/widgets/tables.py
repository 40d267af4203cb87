"""Fill a DataTable with every column as wide as its widest cell, measured as the rows go in.

Textual's DataTable measures auto-width columns later, once its message queue runs dry, and
rows it painted before that stay in a render cache the new widths do not clear. On a loaded
machine, or with keys typed ahead of a screen, a table could stay cut to its headers' widths
("Key produ", "App doc") until something else repainted it. Explicit widths leave nothing
to measure after the fact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable

Cell = str | Text


@dataclass(frozen=True)
class Column:
    """One column: its header, its key for `update_cell`, and a fixed width (None: as wide as
    its widest cell, header included when the table shows one)."""

    label: str
    key: str | None = None
    width: int | None = None


def cell_width(cell: Cell) -> int:
    """Terminal cells the widest line of `cell` takes."""
    if isinstance(cell, Text):
        return max((line.cell_len for line in cell.split(allow_blank=True)), default=0)
    return max((cell_len(line) for line in cell.splitlines()), default=0)


def fill_table(
    table: DataTable[Any],
    columns: Sequence[Column | str],
    rows: Sequence[Sequence[Cell]],
    row_keys: Sequence[str] | None = None,
) -> None:
    """Replace `table`'s columns and rows; each column sized to fit what it now holds."""
    specs = [c if isinstance(c, Column) else Column(c) for c in columns]
    widths = [
        spec.width
        if spec.width is not None
        else max(
            [cell_width(spec.label) if table.show_header else 0]
            + [cell_width(row[i]) for row in rows if i < len(row)]
        )
        for i, spec in enumerate(specs)
    ]
    table.clear(columns=True)
    for spec, width in zip(specs, widths, strict=True):
        table.add_column(spec.label, key=spec.key, width=width)
    for n, row in enumerate(rows):
        table.add_row(*row, key=row_keys[n] if row_keys is not None else None)
