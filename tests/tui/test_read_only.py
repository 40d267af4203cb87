"""The read-only dashboard: keys that would change something are not offered, and say why.

Each screen's footer leaves out its changing keys (roll, paste, re-link, switch, retry); a
person who presses one anyway reads the read-only sentence instead of nothing at all.
"""

from __future__ import annotations

from typing import Any

from tests.tui.conftest import SIZE, until_statuses
from tests.tui.roll_harness import (
    ReplayApp,
    plain,
    replayed_run,
    rolled_back_events,
    until_roll_outcome,
    wait_until,
)
from tui.screens.roll import RollScreen


def footer_actions(app: Any) -> set[str]:
    """The actions the footer offers on the screen in view (shown and not hidden)."""
    return {
        active.binding.action
        for active in app.screen.active_bindings.values()
        if active.binding.show and active.binding.description
    }


def roll_screen(app: Any) -> RollScreen:
    screen = app.screen
    assert isinstance(screen, RollScreen)
    return screen


def read_only_notes(app: Any) -> list[str]:
    return [n.message for n in app._notifications if "read-only" in n.message]


async def test_the_rack_screen_hides_r_k_and_l_and_says_why_when_pressed(make_app: Any) -> None:
    app, _ = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        app.open_rack("acme/production")  # a Console rack: `l` (re-link) would apply
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RackScreen")
        offered = footer_actions(app)
        assert {"roll_rack_key", "instance_keyroll", "relink"}.isdisjoint(offered)
        assert {"back", "key_pairs", "watch"} <= offered  # reading stays offered
        screen = app.screen
        for key in ("r", "k", "l"):
            before = len(read_only_notes(app))
            await pilot.press(key)
            await wait_until(pilot, lambda b=before: len(read_only_notes(app)) > b, what=key)
            assert app.screen is screen  # no dialog opened
        assert app.session.rolls.all() == []


async def test_the_account_screen_hides_roll_and_paste_and_says_why(make_app: Any) -> None:
    app, _ = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        app.open_account()
        await wait_until(pilot, lambda: type(app.screen).__name__ == "AccountScreen")
        assert {"roll", "paste"}.isdisjoint(footer_actions(app))
        screen = app.screen
        for key in ("r", "p"):
            before = len(read_only_notes(app))
            await pilot.press(key)
            await wait_until(pilot, lambda b=before: len(read_only_notes(app)) > b, what=key)
            assert app.screen is screen
        assert app.session.rolls.all() == []


async def test_the_racks_screen_hides_switch_and_writes_no_file(make_app: Any) -> None:
    app, opener = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        assert "switch" not in footer_actions(app)
        cli_dir = opener.workspace.cli.path
        before = sorted(p.name for p in cli_dir.iterdir()) if cli_dir.exists() else []
        current = app.session.current_rack
        await pilot.press("down", "s")
        await wait_until(pilot, lambda: bool(read_only_notes(app)), what="the refusal")
        refused = len(read_only_notes(app))
        app.switch_rack("dev")  # the palette's "Switch to dev" calls this
        await wait_until(pilot, lambda: len(read_only_notes(app)) > refused, what="its refusal")
        assert app.session.current_rack == current
        after = sorted(p.name for p in cli_dir.iterdir()) if cli_dir.exists() else []
        assert after == before
        assert not any(n.title == "Switched" for n in app._notifications)


async def test_the_roll_screen_hides_retry_and_t_says_why() -> None:
    app = ReplayApp(replayed_run(rolled_back_events(), kind="instance-key"), read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_roll_outcome(pilot)
        assert "retry" not in footer_actions(app)
        assert "Press t" not in plain(screen.outcome)
        await pilot.press("t")
        await wait_until(pilot, lambda: bool(read_only_notes(app)), what="the refusal")
        assert app.screen is screen
