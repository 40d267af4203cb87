"""The keyroll theme is registered and active; `[keymap]` remaps a key by its binding id."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.tui.conftest import SIZE, wait_for
from tui.app import KeyrollApp
from tui.keymap import binding_ids
from tui.screens.help import HelpScreen
from tui.screens.racks import RacksScreen
from tui.services.workspace import Workspace
from tui.widgets.theme import KEYROLL_THEME, KEYROLL_VARIABLES, THEME_NAME, theme_style

README = Path(__file__).resolve().parents[2] / "README.md"


def with_keymap(keymap: dict[str, str]) -> Any:
    def set_keymap(workspace: Workspace) -> None:
        workspace.settings = replace(workspace.settings, keymap=keymap)

    return set_keymap


async def test_the_keyroll_theme_is_active_and_its_colours_survive_another_theme(
    make_app: Any,
) -> None:
    app, _opener = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == THEME_NAME and app.current_theme is KEYROLL_THEME
        assert app.theme_variables["keyroll-production"] == KEYROLL_VARIABLES["keyroll-production"]
        # picking another theme in the palette keeps keyroll's variables, so the stylesheet holds
        app.theme = "nord"
        await wait_for(pilot, lambda: app.theme_variables.get("primary") == "#88C0D0", what="nord")
        assert app.theme_variables["keyroll-production"] == KEYROLL_VARIABLES["keyroll-production"]
        assert isinstance(app.screen, RacksScreen)


def test_theme_styles_take_the_colours_of_the_variables_given() -> None:
    assert theme_style("failed", {"keyroll-failed": "#123456"}) == "bold #123456"
    light = {"keyroll-light": "#eeeeee", "keyroll-production": "#600030"}
    assert theme_style("production-badge", light) == "bold #eeeeee on #600030"


async def test_a_remapped_key_runs_its_action_and_the_old_key_does_not(make_app: Any) -> None:
    app, opener = make_app()
    opener.before_yield = with_keymap({"help": "f1"})
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.session.inventory is not None, what="the racks")
        await pilot.press("f1")  # the new key of `help`
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RacksScreen), what="the racks")
        # keys run in order: had `?` (the old key) opened the help, f1 would close it again
        await pilot.press("question_mark", "f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help")
        assert len(app.screen_stack) == 2
        assert not [n for n in app._notifications if "keymap" in n.message]


async def test_an_unknown_key_id_is_one_notification_naming_it(make_app: Any) -> None:
    app, opener = make_app()
    opener.before_yield = with_keymap({"rack.refrsh": "f5", "help": "f1"})
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(app._notifications), what="a notification")
        [message] = [n.message for n in app._notifications]
        assert "[keymap] names 'rack.refrsh', which is not the id of any keyroll key" in message
        assert "rack.refresh" in message and "config.toml" in message
        # shown as the sentence it is: `[keymap]` is not taken for markup and dropped
        [notification] = list(app._notifications)
        assert not notification.markup  # shown as written: markup would drop `[keymap]`
        await pilot.press("f1")  # a keymap with an unknown id is not used at all
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help")


def test_the_readme_lists_every_key_id() -> None:
    section = README.read_text().split("## Keys and colours", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_.]+)` \|", section, flags=re.MULTILINE))
    assert listed == binding_ids(KeyrollApp.BINDINGS)
