"""80x24, the classic terminal: every panel keeps rows, every dialog keeps its buttons in view.

A widget counts as seen only if it is what the screen shows at its centre (not under a
border, not scrolled out, not squashed to nothing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widget import Widget
from textual.widgets import Button, DataTable, RadioSet

from tests.tui.conftest import until_measured, until_statuses
from tests.tui.roll_harness import (
    isolate_aws,
    layout_owed,
    on_screen,
    screen_text,
    until_shown,
    wait_until,
)
from tests.tui.test_dialogs import DEV, PRODUCTION, DialogHost, report
from tui.core.preflight import ServiceRisk
from tui.screens.dialogs import InstanceKeyrollDialog, RackKeyRollDialog

CLASSIC = (80, 24)


@pytest.fixture(autouse=True)
def _no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_aws(monkeypatch, tmp_path)


async def until_on_screen(pilot: Any, *widgets: Widget) -> None:
    """Wait until the screen shows every one of `widgets` (laid out, as its next refresh does)."""

    def seen() -> bool:
        if layout_owed(pilot.app):
            return False
        screen_text(pilot.app)  # lays out what the screen owes
        return all(on_screen(widget) for widget in widgets)

    names = ", ".join(f"#{w.id}" if w.id else type(w).__name__ for w in widgets)
    await wait_until(pilot, seen, what=f"{names} on screen")


async def test_the_racks_table_shows_the_production_badge(make_app: Any) -> None:
    app, _ = make_app()
    async with app.run_test(size=CLASSIC) as pilot:
        await until_statuses(pilot, app)
        await until_measured(pilot)
        await until_shown(pilot, "acme/production")
        line = next(line for line in screen_text(app).splitlines() if "acme/production" in line)
        assert "PRODUCTION" in line


async def test_the_rack_screen_gives_instances_and_services_rows(make_app: Any) -> None:
    app, _ = make_app()
    async with app.run_test(size=CLASSIC) as pilot:
        await until_statuses(pilot, app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "overview", None) is not None)
        await until_measured(pilot)
        tables = [app.screen.query_one(i, DataTable) for i in ("#instances", "#services")]
        await until_on_screen(pilot, *tables)
        for table in tables:
            assert table.scrollable_content_region.height >= 4  # a header and three rows
            assert on_screen(table)
        history = app.screen.query_one("#history", DataTable)
        history.focus()  # the less important panel gave way: focus scrolls it into view
        await until_on_screen(pilot, history)


async def test_the_rack_key_dialog_shows_its_key_choice_and_start_button() -> None:
    app = DialogHost(RackKeyRollDialog(DEV))
    async with app.run_test(size=CLASSIC) as pilot:
        dialog = app.screen
        source = dialog.query_one("#rack-key-source", RadioSet)
        start = dialog.query_one("#rack-key-start", Button)
        await until_on_screen(pilot, start)
        assert source.region.height >= 4
        assert on_screen(start)
        await pilot.press("tab")  # to the key choice: it scrolls into view
        await until_on_screen(pilot, source)
        assert source.has_focus and on_screen(source)
        assert on_screen(start)
        await pilot.press("tab")
        assert start.has_focus
        await pilot.press("enter")
        assert app.results and app.results[0].route == "rack"


async def test_the_production_dialogs_keep_the_typed_name_and_start_in_view() -> None:
    for dialog, typed_id, start_id in (
        (RackKeyRollDialog(PRODUCTION), "#rack-key-typed", "#rack-key-start"),
        (
            InstanceKeyrollDialog(
                PRODUCTION, report(risks=[ServiceRisk("worker", "worker", 1, 1)])
            ),
            "#instance-key-typed",
            "#instance-key-start",
        ),
    ):
        app = DialogHost(dialog)
        async with app.run_test(size=CLASSIC) as pilot:
            await until_on_screen(pilot, dialog.query_one(typed_id), dialog.query_one(start_id))
            assert on_screen(dialog.query_one(typed_id))
            assert on_screen(dialog.query_one(start_id))
