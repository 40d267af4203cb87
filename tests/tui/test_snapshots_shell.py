"""SVG snapshots of the shell's screens, on a seeded sandbox with a fixed account key.

Nothing on these screens depends on the run: no clock in the header, no loopback ports
(racks show their rack-domain, the account the words "the sandbox's Console"), instance
ages in whole days, journal times fixed by the records the tests write.
"""

from __future__ import annotations

from typing import Any

from tests.tui.conftest import SIZE, settled, until_statuses
from tests.tui.roll_harness import wait_until
from tui.core.journal import RollRecord, Step
from tui.screens.resume import ResumeScreen

STARTED = "2024-04-15T12:00:00+00:00"


async def home(pilot: Any) -> None:
    await until_statuses(pilot, pilot.app)
    await settled(pilot)


def test_racks(snap_compare: Any, make_app: Any) -> None:
    app, _ = make_app(fixed_account_key=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=home)


def test_racks_filtered(snap_compare: Any, make_app: Any) -> None:
    app, _ = make_app(fixed_account_key=True)

    async def filtered(pilot: Any) -> None:
        await home(pilot)
        await pilot.press("slash", *"acme")
        await pilot.press("enter")  # ends the filter: no blinking cursor
        await settled(pilot, 0.1)

    assert snap_compare(app, terminal_size=SIZE, run_before=filtered)


def test_racks_read_only(snap_compare: Any, make_app: Any) -> None:
    app, _ = make_app(fixed_account_key=True, read_only=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=home)


def test_rack_production(snap_compare: Any, make_app: Any) -> None:
    app, _ = make_app(fixed_account_key=True)

    async def rack(pilot: Any) -> None:
        await home(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(pilot.app.screen, "overview", None) is not None)
        await settled(pilot, 0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=rack)


def test_rack_read_only(snap_compare: Any, make_app: Any) -> None:
    app, _ = make_app(fixed_account_key=True, read_only=True)

    async def rack(pilot: Any) -> None:
        await home(pilot)
        await pilot.press("down", "down", "enter")
        await wait_until(pilot, lambda: getattr(pilot.app.screen, "overview", None) is not None)
        await settled(pilot, 0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=rack)


def test_account(snap_compare: Any, make_app: Any) -> None:
    app, _ = make_app(fixed_account_key=True)

    async def account(pilot: Any) -> None:
        await home(pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: getattr(pilot.app.screen, "overview", None) is not None)
        await settled(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=account)


def test_help(snap_compare: Any, make_app: Any) -> None:
    app, _ = make_app(fixed_account_key=True)

    async def help_screen(pilot: Any) -> None:
        await home(pilot)
        await pilot.press("question_mark")
        await settled(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=help_screen)


def test_resume_offered(snap_compare: Any, make_app: Any) -> None:
    app, _ = make_app(fixed_account_key=True)
    record = RollRecord(
        roll_id="20240415T120000-dev-rack-key-abc123",
        kind="rack-key",
        rack="dev",
        route="rack",
        started=STARTED,
        steps=(
            Step("planned", STARTED),
            Step("key-stored", STARTED),
            Step("update-requested", STARTED),
        ),
    )

    async def offered(pilot: Any) -> None:
        await home(pilot)
        pilot.app.push_screen(ResumeScreen([record]))
        await settled(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=offered)


# 80x24, the classic terminal: the same screens must work there ---------------------------

CLASSIC = (80, 24)


def test_racks_80x24(snap_compare: Any, make_app: Any) -> None:
    app, _ = make_app(fixed_account_key=True)
    assert snap_compare(app, terminal_size=CLASSIC, run_before=home)


def test_rack_production_80x24(snap_compare: Any, make_app: Any) -> None:
    app, _ = make_app(fixed_account_key=True)

    async def rack(pilot: Any) -> None:
        await home(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(pilot.app.screen, "overview", None) is not None)
        await settled(pilot, 0.3)

    assert snap_compare(app, terminal_size=CLASSIC, run_before=rack)


def test_account_80x24(snap_compare: Any, make_app: Any) -> None:
    app, _ = make_app(fixed_account_key=True)

    async def account(pilot: Any) -> None:
        await home(pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: getattr(pilot.app.screen, "overview", None) is not None)
        await settled(pilot)

    assert snap_compare(app, terminal_size=CLASSIC, run_before=account)


def test_help_80x24(snap_compare: Any, make_app: Any) -> None:
    app, _ = make_app(fixed_account_key=True)

    async def help_screen(pilot: Any) -> None:
        await home(pilot)
        await pilot.press("question_mark")
        await settled(pilot)

    assert snap_compare(app, terminal_size=CLASSIC, run_before=help_screen)
