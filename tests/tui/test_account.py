"""The account screen against the sandbox: the key masked, rolled and shown once, or pasted."""

from __future__ import annotations

from typing import Any

from tests.tui.conftest import SIZE, until_statuses
from tests.tui.roll_harness import screen_text, until_shown, wait_until
from tui.base.secret import Secret
from tui.core.rolls.account_key import AccountKeyRoll
from tui.core.rolls.events import Note, Outcome


async def open_account(app: Any, pilot: Any) -> Any:
    await until_statuses(pilot, app)
    await pilot.press("a")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "AccountScreen")
    screen = app.screen
    await wait_until(pilot, lambda: screen.overview is not None and screen.overview.account)
    await until_shown(pilot, screen.overview.account)
    return screen


async def test_the_account_key_is_shown_masked(make_app: Any) -> None:
    app, opener = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_account(app, pilot)
        key = opener.sandbox.world.console.api_key
        text = screen_text(app)
        assert "ops@acme.test" in text
        assert f"**********{key.reveal()[-4:]}" in text
        assert key.fingerprint() in text
        assert key.reveal() not in text


async def test_r_rolls_the_key_and_shows_the_new_one_once(make_app: Any) -> None:
    app, opener = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_account(app, pilot)
        world = opener.sandbox.world
        old = world.console.api_key
        await pilot.press("r")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog")
        assert "Roll the API key of the ops@acme.test account?" in screen_text(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "KeyRevealDialog")
        new = world.console.api_key
        assert new != old
        await until_shown(pilot, new.reveal())  # once, in the dialog
        run = app.session.rolls.all()[0]
        assert run.summary is not None and run.summary.outcome is Outcome.SUCCEEDED
        assert isinstance(run.roll, AccountKeyRoll) and run.roll.new_key is None
        host = opener.sandbox.console_host
        assert opener.workspace.keystore.current(host) == new
        auth = (opener.workspace.cli.path / "auth").read_text()
        assert new.reveal() in auth and old.reveal() not in auth  # the Convox CLI keeps working
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "AccountScreen")
        screen = app.screen
        await wait_until(pilot, lambda: screen.overview.fingerprint == new.fingerprint())
        text = await until_shown(pilot, new.fingerprint(), "succeeded")
        assert new.reveal() not in text  # masked for good
        assert f"**********{new.reveal()[-4:]}" in text
        for event in run.events:  # nothing the roll reported holds the key
            assert new.reveal() not in repr(event)
        assert all(new.reveal() not in n.message for n in app._notifications)


async def test_p_saves_a_key_rolled_in_the_web_console(make_app: Any) -> None:
    app, opener = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_account(app, pilot)
        world = opener.sandbox.world
        rolled_elsewhere = Secret("WebConsoleRolledThisKey0123456789abcdEF77")
        world.console.api_key = rolled_elsewhere  # the web Console rolled it: keyroll's is dead
        await pilot.press("p")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "PasteKeyDialog")
        await pilot.press(*rolled_elsewhere.reveal())
        assert rolled_elsewhere.reveal() not in screen_text(app)  # masked while typed
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: bool(app.session.rolls.all()) and not app.session.rolls.all()[0].running
        )
        run = app.session.rolls.all()[0]
        assert run.summary is not None and run.summary.outcome is Outcome.SUCCEEDED
        host = opener.sandbox.console_host
        assert opener.workspace.keystore.current(host) == rolled_elsewhere
        assert type(app.screen).__name__ == "AccountScreen"  # nothing to reveal: it is yours
        screen = app.screen
        await wait_until(
            pilot, lambda: screen.overview.fingerprint == rolled_elsewhere.fingerprint()
        )


async def test_p_refuses_a_key_the_console_does_not_accept(make_app: Any) -> None:
    app, opener = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_account(app, pilot)
        held = opener.sandbox.world.console.api_key
        await pilot.press("p")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "PasteKeyDialog")
        await pilot.press(*"NotTheAccountKeyAtAll0123456789abcdefGH12", "enter")
        await wait_until(
            pilot, lambda: bool(app.session.rolls.all()) and not app.session.rolls.all()[0].running
        )
        run = app.session.rolls.all()[0]
        assert run.summary is not None and run.summary.outcome is Outcome.FAILED
        refused = [e.text for e in run.events if isinstance(e, Note) and e.level == "error"]
        assert refused and "refused the pasted key (nothing was saved)" in refused[0]
        assert opener.workspace.keystore.current(opener.sandbox.console_host) == held
        await wait_until(pilot, lambda: any("refused" in n.message for n in app._notifications))
        await until_shown(pilot, "refused the pasted key")
