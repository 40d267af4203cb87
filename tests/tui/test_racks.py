"""The racks screen against the sandbox: table, filter, open, switch (also for the CLI), palette."""

from __future__ import annotations

import json
from typing import Any

from textual import events
from textual.command import CommandList, CommandPalette
from textual.widgets import DataTable

from tests.tui.conftest import SIZE, until_statuses
from tests.tui.roll_harness import screen_text, until_closed, until_shown, wait_until
from tui.core.current_rack import current_rack
from tui.screens.racks import CURRENT_MARK


async def until_palette_offers(pilot: Any, command: str) -> None:
    """Wait until the command palette's search has ended with `command` (any case) highlighted,
    so that Enter runs it (Enter before the search ends runs nothing, or another command)."""
    app = pilot.app

    def offered() -> bool:
        palette = app.screen
        if not isinstance(palette, CommandPalette):
            return False
        if any(w.group == palette._GATHER_COMMANDS_GROUP and w.is_running for w in app.workers):
            return False
        hits = palette.query_one(CommandList)
        if hits.highlighted is None:
            return False
        prompt = hits.get_option_at_index(hits.highlighted).prompt
        return command.lower() in str(getattr(prompt, "plain", prompt)).lower()

    await wait_until(pilot, offered, what=f"the palette to offer {command!r}")


def rows(app: Any) -> list[str]:
    table = app.screen.query_one("#racks", DataTable)
    return [str(key.value) for key in table.rows]


async def test_the_table_shows_every_rack_with_status_version_count_and_badge(
    make_app: Any,
) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)

        def polled_rows() -> dict[str, str]:
            text = screen_text(app)
            return {
                name: line
                for name in rows(app)
                for line in text.splitlines()
                if f" {name} " in line and "20240415123456" in line
            }

        await wait_until(pilot, lambda: len(polled_rows()) == 3, what="three polled rows")
        assert rows(app) == ["acme/production", "acme/staging", "dev"]
        lines = polled_rows()
        # the CLI's `racks` file makes acme/production current: its row starts with the mark
        assert lines["acme/production"].split()[:2] == [CURRENT_MARK.strip(), "acme/production"]
        assert lines["acme/production"].split()[2:8] == [
            "PRODUCTION",
            "running",
            "3",
            "never",
            "console",
            "20240415123456",
        ]
        assert "PRODUCTION" not in lines["acme/staging"]
        assert lines["dev"].split()[1:6] == ["running", "1", "never", "direct", "20240415123456"]


async def test_slash_filters_and_escape_clears(make_app: Any) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        await pilot.press("slash", "s", "t", "a", "g")
        assert rows(app) == ["acme/staging"]
        await pilot.press("enter")  # ends the filter, keeps it
        assert app.focused is not None and app.focused.id == "racks"
        assert rows(app) == ["acme/staging"]
        await pilot.press("enter")  # opens the one rack left
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RackScreen")
        assert app.screen.rack.name == "acme/staging"
        await pilot.press("escape")
        await pilot.press("escape")  # clears the filter
        assert rows(app) == ["acme/production", "acme/staging", "dev"]
        await pilot.press("slash", *"direct")
        assert rows(app) == ["dev"]  # by source
        await pilot.press("escape", "slash", *"production")
        assert rows(app) == ["acme/production"]  # by its badge
        await pilot.press("escape", "slash", *"nothing-like-this")
        assert rows(app) == []


async def test_s_switches_keyroll_and_the_convox_cli(make_app: Any) -> None:
    app, opener = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        await pilot.press("down", "down", "s")  # dev
        await wait_until(pilot, lambda: app.session.current_rack == "dev", what="the switch")
        workspace, sandbox = opener.workspace, opener.sandbox
        assert workspace is not None and sandbox is not None
        assert current_rack(workspace.state_dir) == "dev"
        host = sandbox.rack_host("dev")
        cli = workspace.cli.path
        assert (cli / "host").read_text().strip() == host
        assert json.loads((cli / "racks").read_text())[host] == "dev"
        note = app._notifications
        assert any(n.message.startswith("Switched to dev. Convox CLI: wrote") for n in note)

        def dev_line() -> str:
            return next(x for x in screen_text(app).splitlines() if " dev " in x)

        await wait_until(pilot, lambda: "▸ dev" in dev_line(), what="dev marked current")
        # and back to a Console rack: the CLI's racks entry names org/name on the Console host
        await pilot.press("up", "up", "s")
        await wait_until(pilot, lambda: app.session.current_rack == "acme/production")
        console_host = sandbox.console_host
        assert (cli / "host").read_text().strip() == console_host
        assert json.loads((cli / "racks").read_text())[console_host] == "acme/production"


async def test_the_palette_switches_and_opens_racks(make_app: Any) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.press(*"Switch to acme/staging")
        await until_palette_offers(pilot, "Switch to acme/staging")
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: app.session.current_rack == "acme/staging", what="the switch"
        )
        await pilot.press("ctrl+p")
        await pilot.press(*"Open dev")
        await until_palette_offers(pilot, "Open dev")
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RackScreen")
        assert app.screen.rack.name == "dev"
        # leave once the screen has composed: closing mid-mount trips Textual's Header
        await wait_until(pilot, lambda: app.screen.overview is not None, what="dev's overview")
        await pilot.press("ctrl+p")
        await pilot.press(*"theme")  # Textual's own commands are kept
        await until_palette_offers(pilot, "theme")
        assert "theme" in screen_text(app).lower()


async def test_question_mark_shows_the_keys_of_the_current_screen(make_app: Any) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        text = await until_shown(pilot, "Keys: racks")
        for line in ("/    Filter", "s    Switch", "a    Account", "q    Quit"):
            assert line in text
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RacksScreen")
        app.open_rack("dev")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RackScreen")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        text = await until_shown(pilot, "Keys: rack", "Roll API key")
        assert "Keys: racks" not in text
        assert "Roll API key" in text and "Instance keyroll" in text and "Key pairs" in text
        assert "Re-link" not in text  # dev is a direct rack: nothing to re-link


async def test_q_quits(make_app: Any) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        await pilot.press("q")
        await until_closed(app)
    assert app.return_code == 0


async def test_keys_typed_ahead_open_the_rack_they_point_at(make_app: Any) -> None:
    """ "down down enter" arriving at once, as a quick typist or a paste sends them, opens the
    third rack: Enter waits behind the arrow keys (it once opened the first)."""
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        footer = lambda: screen_text(app).splitlines()[-1]  # noqa: E731
        await wait_until(pilot, lambda: "⏎ Open" in footer(), what="the footer to show Enter")
        assert app._driver is not None
        for key in ("down", "down", "enter"):  # straight to the driver: no pause between keys
            event = events.Key(key, None)
            event.set_sender(app)
            app._driver.send_message(event)
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RackScreen", what="a rack")
        assert app.screen.rack.name == "dev"
        # leave once the screen has composed: closing mid-mount trips Textual's Header
        await wait_until(pilot, lambda: app.screen.overview is not None, what="dev's overview")
