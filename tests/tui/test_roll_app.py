"""The roll screen and dialogs through the real app on the sandbox: keys in, screens out."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.tui.conftest import SIZE, until_statuses
from tests.tui.roll_harness import (
    click,
    hold_rolls_until,
    plain,
    screen_text,
    until_roll_outcome,
    until_shown,
    wait_until,
)
from tui.app import KeyrollApp
from tui.core.rolls.events import Outcome
from tui.screens.dialogs import ConfirmDialog, InstanceKeyrollDialog, RackKeyRollDialog
from tui.screens.rack import RackScreen
from tui.screens.roll import RollScreen

MakeApp = Callable[..., tuple[KeyrollApp, Any]]


def top(app: KeyrollApp, kind: type) -> Any:
    screen = app.screen
    assert isinstance(screen, kind), f"expected {kind.__name__}, the app shows {screen!r}"
    return screen


async def open_rack(pilot: Any, app: KeyrollApp, name: str) -> RackScreen:
    await until_statuses(pilot, app)
    app.open_rack(name)
    await wait_until(pilot, lambda: isinstance(app.screen, RackScreen), what="the rack screen")
    return top(app, RackScreen)


async def test_a_rack_key_roll_from_the_rack_screen_to_its_outcome(make_app: MakeApp) -> None:
    app, opener = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_rack(pilot, app, "dev")
        await pilot.press("r")
        await wait_until(  # on the stack before it has composed: wait for what it says
            pilot,
            lambda: isinstance(app.screen, RackKeyRollDialog) and "Dual-key" in screen_text(app),
            what="the dialog",
        )
        await click(pilot, "#rack-key-start")
        await wait_until(pilot, lambda: isinstance(app.screen, RollScreen), what="the roll")
        screen = top(app, RollScreen)
        run = screen.roll_run
        await until_roll_outcome(pilot, run)
        assert run.summary is not None and run.summary.outcome is Outcome.SUCCEEDED
        text = screen_text(app)
        assert "rack API key roll of dev via rack" in text and "SUCCEEDED" in text
        assert "The rack API key of dev was rolled (UPDATE_COMPLETE)." in text
        assert "Measured downtime: 0.0 s" in text
        assert screen.board.states.stack_status == "UPDATE_COMPLETE"
        key = opener.workspace.keystore.current(opener.sandbox.rack_host("dev"))
        assert key is not None and key.reveal() not in text
        assert key.reveal() not in "\n".join(screen.log_view.lines)
        await pilot.press("escape")
        assert isinstance(app.screen, RackScreen)
        assert app.session.rolls.latest_for("dev") is run


async def test_a_rolled_back_keyroll_shows_the_mismatch_and_t_retries_it(
    make_app: MakeApp,
) -> None:
    app, _ = make_app(scenario="rollback")
    async with app.run_test(size=SIZE) as pilot:
        await open_rack(pilot, app, "dev")
        await pilot.press("k")
        going_down = "myapp/web runs 1 of 1 process(es) and will go down"
        await wait_until(  # on the stack before it has composed: wait for what it says
            pilot,
            lambda: (
                isinstance(app.screen, InstanceKeyrollDialog) and going_down in screen_text(app)
            ),
            10.0,
            "the dialog's warning",
        )
        dialog = top(app, InstanceKeyrollDialog)
        dialog.query_one("#instance-key-typed").focus()
        await pilot.press(*"dev", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RollScreen), what="the roll")
        screen = top(app, RollScreen)
        first = screen.roll_run
        await until_roll_outcome(pilot, first)
        assert first.summary is not None and first.summary.outcome is Outcome.ROLLED_BACK
        text = screen_text(app)
        assert "ROLLED BACK" in text and "SSH key mismatch" in text
        assert "Failed resources:" in text and "resource signal" in text
        assert "Press t" in plain(screen.outcome)
        assert "Instances" in screen.board.states.resources
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the question")
        await click(pilot, "#confirm-yes")
        await wait_until(pilot, lambda: len(app.session.rolls.all()) == 2, what="the second roll")
        second = app.session.rolls.all()[1]
        assert (second.rack, second.kind, second.route) == ("dev", "instance-key", "rack")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, RollScreen) and app.screen.roll_run is second,
            what="the second roll's screen",
        )
        await wait_until(pilot, lambda: not second.running, what="the second roll's end")


async def test_a_preflight_refusal_allows_only_cancel(make_app: MakeApp) -> None:
    # a stepped world never moves on its own: the rack stays updating until the test ends
    app, opener = make_app(sandbox={"stepped": True})
    async with app.run_test(size=SIZE) as pilot:
        await open_rack(pilot, app, "dev")
        opener.sandbox.world.update_rack_parameters("dev", {"InstanceType": "t3.large"})
        await pilot.press("k")
        # the dialog is on the stack before it has composed: wait for what it says
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, InstanceKeyrollDialog)
                and "Rack dev is updating" in screen_text(app)
            ),
            10.0,
            "the dialog's refusal",
        )
        text = screen_text(app)
        assert "Rack dev is updating" in text and "cannot start" in text
        assert not app.screen.query("#instance-key-start")
        await pilot.press("escape")
        assert isinstance(app.screen, RackScreen) and app.session.rolls.all() == []


async def test_two_rolls_at_once_each_on_its_own_screen(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _ = make_app()
    let_go = threading.Event()  # the rolls start once both are seen running, each on its screen
    hold_rolls_until(monkeypatch, let_go)
    async with app.run_test(size=SIZE) as pilot:
        for name in ("dev", "acme/staging"):
            await open_rack(pilot, app, name)
            await pilot.press("r")
            await wait_until(
                pilot, lambda: isinstance(app.screen, RackKeyRollDialog), what="dialog"
            )
            await click(pilot, "#rack-key-start")
            await wait_until(
                pilot,
                lambda name=name: (
                    isinstance(app.screen, RollScreen) and app.screen.roll_run.rack == name
                ),
                what=f"the roll of {name}",
            )
            running = [r.rack for r in app.session.rolls.running()]
            await pilot.press("escape", "escape")
        assert running == ["dev", "acme/staging"]
        await wait_until(pilot, lambda: "2 rolls running" in screen_text(app), what="the count")
        dev = app.session.rolls.latest_for("dev")
        staging = app.session.rolls.latest_for("acme/staging")
        assert dev is not None and staging is not None
        app.open_roll(staging)
        await wait_until(pilot, lambda: isinstance(app.screen, RollScreen), what="staging's roll")
        screen = top(app, RollScreen)
        await wait_until(pilot, lambda: plain(screen.header_bar) != "", what="the header")
        assert screen.roll_run is staging and "via console" in plain(screen.header_bar)
        let_go.set()
        await wait_until(pilot, lambda: not dev.running and not staging.running, what="both ends")
        await until_roll_outcome(pilot, staging)
        # the screen showed staging's events only, though dev's roll ran beside it
        assert staging.summary is not None and dev.summary is not None
        assert dev.summary.outcome is Outcome.SUCCEEDED
        assert staging.summary.outcome is Outcome.SUCCEEDED
        assert screen._seen == len(staging.events)
        assert "dev" not in screen.board.states.roots
        await until_shown(pilot, "no roll running")
