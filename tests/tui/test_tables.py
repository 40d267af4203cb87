"""`fill_table`: every column is as wide as its widest cell the moment the rows go in, so no
paint can come before the widths are right (DataTable measures auto widths only on idle)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui.widgets.tables import Column, cell_width, fill_table


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable(id="with-header")
        yield DataTable(id="no-header", show_header=False)


def widths(table: DataTable[Any]) -> list[int]:
    return [
        column.get_render_width(table) - 2 * table.cell_padding for column in table.ordered_columns
    ]


def test_cell_width_counts_terminal_cells_of_the_widest_line() -> None:
    assert cell_width("abc") == 3
    assert cell_width(Text("ключ")) == 4
    assert cell_width("日本") == 4  # two cells each
    assert cell_width("a\nlonger") == 6
    assert cell_width("") == 0


async def test_widths_are_set_before_any_idle() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one("#with-header", DataTable)
        fill_table(
            table,
            ("App", Column("Status", "status", 10), "Running"),
            [("docs", Text("running"), "3"), ("worker", "down", "12")],
            ["docs", "worker"],
        )
        # no pause: nothing has been measured on idle yet
        assert widths(table) == [6, 10, 7]  # "worker", fixed 10, the header "Running"
        assert [str(key.value) for key in table.rows] == ["docs", "worker"]
        table.update_cell("worker", "status", "running")  # the key of a fixed column works
        bare = app.query_one("#no-header", DataTable)
        fill_table(bare, ("parameter", "value"), [("Key", "production-keypair-7867")])
        assert widths(bare) == [3, 23]  # headers hidden: only the cells count
        fill_table(bare, ("parameter", "value"), [])  # refilled: the old rows and widths go
        assert bare.row_count == 0 and widths(bare) == [0, 0]
        await pilot.pause()
        assert widths(table) == [6, 10, 7]  # idle changes nothing
