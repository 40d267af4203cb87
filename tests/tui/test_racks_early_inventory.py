"""Regression: a workspace that opens before the racks screen's `on_mount` (an opener that
returns at once) made `DataTable.add_row` raise "More values provided than there are columns"
and took the dashboard down."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from tests.tui.conftest import SIZE, until_statuses


async def test_an_inventory_before_the_columns_waits_for_on_mount(make_app: Any) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        screen = app.screen
        table = screen.query_one("#racks", DataTable)
        assert table.row_count == 3
        table.clear(columns=True)  # the screen as composed, before its on_mount ran
        screen.inventory_changed()  # raised ValueError
        assert table.row_count == 0
        screen.on_mount()  # the mount that follows lays the rows out
        assert table.row_count == 3 and len(table.columns) > 0
