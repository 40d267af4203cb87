"""The app against the sandbox: first frame, modes, worker failures, two rolls, resume at start."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import DataTable

from tests.tui.conftest import SIZE, dashboard_args, until_statuses
from tests.tui.roll_harness import (
    WAIT_S,
    hold_rolls_until,
    screen_text,
    until_closed,
    until_shown,
    wait_until,
)
from tui.app import InventoryReloaded, KeyrollApp, StatusesFetched, rolls_running_text
from tui.base.errors import BadInputError
from tui.core.journal import Journal
from tui.core.roll_runs import RollRun
from tui.core.roll_targets import target_for
from tui.core.rolls.events import Outcome, RollKind
from tui.core.rolls.rack_key import RackKeyRoll
from tui.core.rolls.target import RollOptions
from tui.core.status_schedule import StatusSchedule
from tui.screens.racks import RacksScreen
from tui.services.workspace import Workspace, starts_on_sandbox

ROOT = Path(__file__).resolve().parents[2]


def start_rack_key_roll(app: KeyrollApp, rack: str, route: str) -> RollRun:
    return app.session.start_roll(RollKind.RACK_KEY, app.session.target_for(rack), route)


def read_only_notes(app: KeyrollApp) -> list[str]:
    return [n.message for n in app._notifications if "read-only" in n.message]


def test_importing_the_app_loads_no_boto3() -> None:
    code = "import sys, tui.app, tui.screens.racks; print('boto3' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


async def test_first_frame_comes_before_the_workspace_opens(make_app: Any) -> None:
    """The banner and the header show while the workspace (and every network call) waits."""
    app, opener = make_app()
    release = threading.Event()
    real_open = opener.__call__

    @contextmanager
    def slow(args: Any) -> Iterator[Workspace]:
        release.wait(WAIT_S)  # held until the test has read the first frame
        with real_open(args) as workspace:
            yield workspace

    app._opener = slow
    async with app.run_test(size=SIZE) as pilot:
        await until_shown(
            pilot, "SANDBOX (--sandbox): these racks are simulated", "no roll running"
        )
        assert app.session.inventory is None
        assert app.query_one("#racks", DataTable).loading
        release.set()
        await until_statuses(pilot, app)
        assert app.query_one("#racks", DataTable).row_count == 3


async def test_a_failed_workspace_is_one_notification_with_its_sentence() -> None:
    sentence = "The settings file is broken at line 3; fix that line and start keyroll again."

    @contextmanager
    def broken(args: Any) -> Iterator[Workspace]:
        raise BadInputError(sentence)
        yield  # pragma: no cover

    app = KeyrollApp(dashboard_args(), opener=broken)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app._notifications), what="a notification")
        messages = [n.message for n in app._notifications]
        assert messages == [sentence]
        # also where the racks would be (drawn on the next refresh after the notification)
        await wait_until(pilot, lambda: sentence in screen_text(app), what="the sentence")
        assert "Traceback" not in screen_text(app)


def test_starts_on_the_sandbox_only_when_nothing_is_configured(tmp_path: Path) -> None:
    assert starts_on_sandbox()
    home = tmp_path / "home"
    (home / ".convox").mkdir(parents=True)
    assert not starts_on_sandbox()
    (home / ".convox").rmdir()
    config = tmp_path / "keyroll-home" / "config"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('[[racks]]\nname = "dev"\nhost = "rack.example"\n')
    assert not starts_on_sandbox()
    (config / "config.toml").write_text("this is = = not toml")
    assert not starts_on_sandbox()  # a broken file is shown as an error, not hidden


async def test_the_dashboard_command_starts_on_the_sandbox_by_itself(monkeypatch: Any) -> None:
    """`keyroll` with nothing configured: the app is built with auto-sandbox and says so."""
    from tui import dashboard

    built: list[KeyrollApp] = []

    def fake_run(self: KeyrollApp) -> int:
        built.append(self)
        return 0

    monkeypatch.setattr(KeyrollApp, "run", fake_run)
    args = dashboard_args(sandbox=False)
    assert dashboard.run(args) == 0
    assert built[0].session.sandboxed and built[0].session.auto_sandbox


async def test_read_only_hides_every_roll_action(make_app: Any) -> None:
    from tui.palette import palette_commands

    app, _ = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        assert "READ-ONLY: nothing is rolled, switched or deleted" in screen_text(app)
        commands = {c.text: c for c in palette_commands(app.session, app)}
        assert "Roll the API key of dev (disabled)" in commands
        assert "Instance keyroll of acme/production (disabled)" in commands
        assert "Roll the account key (disabled)" in commands
        assert "Switch to dev (disabled)" in commands  # a switch writes the CLI's files
        app.open_rack("dev")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RackScreen")
        bindings = {b.binding.action: b.enabled for b in app.screen.active_bindings.values()}
        assert "roll_rack_key" not in bindings and "instance_keyroll" not in bindings  # hidden
        assert bindings["back"] is True
        before = len(read_only_notes(app))
        await pilot.press("r", "k")
        await wait_until(
            pilot, lambda: len(read_only_notes(app)) == before + 2, what="r, k refused"
        )
        assert type(app.screen).__name__ == "RackScreen"  # no dialog opened
        assert app.session.rolls.all() == []
        commands["Roll the API key of dev (disabled)"].run()
        await wait_until(pilot, lambda: len(read_only_notes(app)) == before + 3, what="its refusal")
        try:
            start_rack_key_roll(app, "dev", "rack")
        except Exception as error:
            assert "read-only" in str(error)
        else:
            raise AssertionError("start_roll ran in read-only mode")


async def test_two_rolls_at_once_are_counted_in_the_header(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, opener = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        both_seen = threading.Event()  # the rolls start once the header has counted them
        hold_rolls_until(monkeypatch, both_seen)
        first = start_rack_key_roll(app, "dev", "rack")
        second = start_rack_key_roll(app, "acme/staging", "console")
        await until_shown(pilot, "2 rolls running")
        assert app.sub_title == "2 rolls running"
        both_seen.set()
        await wait_until(pilot, lambda: not first.running and not second.running, what="both rolls")
        assert first.summary is not None and first.summary.outcome is Outcome.SUCCEEDED
        assert second.summary is not None and second.summary.outcome is Outcome.SUCCEEDED

        def both_told() -> bool:
            told = sum("succeeded" in n.message for n in app._notifications)
            text = screen_text(app)
            return told >= 2 and "no roll running" in text and text.count("rack-key succeeded") >= 2

        await wait_until(pilot, both_told, what="both rolls' ends in the table and notifications")
        text = screen_text(app)
        assert "no roll running" in text
        assert text.count("rack-key succeeded") == 2
        assert sum("succeeded" in n.message for n in app._notifications) == 2
        # the dev rack answers the new key: the status poller keeps reading it
        assert opener.sandbox is not None
        world_key = opener.sandbox.world.rack("dev").api_keys[0]
        assert opener.workspace is not None
        host = opener.sandbox.rack_host("dev")
        assert opener.workspace.keystore.current(host) == world_key


async def test_unfinished_rolls_are_offered_for_resume_at_start(make_app: Any) -> None:
    app, opener = make_app()

    def leave_a_roll_unfinished(workspace: Workspace) -> None:
        target = target_for(workspace, "dev")
        options = RollOptions.from_settings(workspace.settings, wait=False)
        summary = RackKeyRoll(target, "rack", options=options).run()
        assert summary.outcome is None  # detached once the update was requested

    opener.before_yield = leave_a_roll_unfinished
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ResumeScreen")

        def dev_row(text: str) -> str:
            return next((ln for ln in text.splitlines() if "rack  " in ln and "dev" in ln), "")

        await wait_until(
            pilot,
            lambda: "watching" in dev_row(screen_text(app)),
            what="the dialog over the racks table with dev's unfinished roll",
        )
        text = screen_text(app)
        assert "1 roll did not finish" in text
        assert "rack-key unfinished" in text  # the racks table under the dialog
        row = dev_row(text)
        assert "rack-key" in row and "watching" in row
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.session.rolls.all()) == 1, what="the resumed roll")
        run = app.session.rolls.all()[0]
        assert (run.rack, run.kind, run.route) == ("dev", "rack-key", "rack")
        await wait_until(pilot, lambda: not run.running, what="the resumed roll to end")
        assert run.summary is not None and run.summary.outcome is Outcome.SUCCEEDED
        assert any("Resuming roll" in getattr(e, "text", "") for e in run.events)
        assert opener.workspace is not None
        journal = Journal(opener.workspace.state_dir / "rolls", opener.workspace.keystore)
        assert journal.unfinished() == []


async def test_resume_later_leaves_the_journal_alone(make_app: Any) -> None:
    app, opener = make_app()

    def leave_a_roll_unfinished(workspace: Workspace) -> None:
        target = target_for(workspace, "dev")
        options = RollOptions.from_settings(workspace.settings, wait=False)
        RackKeyRoll(target, "rack", options=options).run()

    opener.before_yield = leave_a_roll_unfinished
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ResumeScreen")
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RacksScreen")
        assert app.session.rolls.all() == []
        assert opener.workspace is not None
        journal = Journal(opener.workspace.state_dir / "rolls", opener.workspace.keystore)
        assert len(journal.unfinished()) == 1


def test_status_schedule_polls_rolling_racks_every_active_interval() -> None:
    schedule = StatusSchedule(active_s=2.0, idle_s=30.0)
    racks = ["dev", "prod"]
    assert schedule.due(racks, now=0.0) == racks  # never polled: due at once
    schedule.polled(racks, active={"dev"}, now=0.0)
    assert schedule.due(racks, now=1.9) == []
    assert schedule.due(racks, now=2.0) == ["dev"]
    schedule.polled(["dev"], active={"dev"}, now=2.0)
    assert schedule.due(racks, now=29.9) == ["dev"]
    assert schedule.due(racks, now=30.0) == ["dev", "prod"]
    schedule.hurry("prod", now=3.0)  # a roll just started on prod
    assert schedule.due(racks, now=3.0) == ["prod"]
    assert schedule.wait_s(racks, now=3.0, cap=0.5) == 0.0
    schedule.polled(["prod"], active={"dev", "prod"}, now=3.0)
    assert schedule.wait_s(racks, now=3.0, cap=5.0) == 1.0  # dev at 4.0, prod at 5.0
    assert rolls_running_text(0) == "no roll running"
    assert rolls_running_text(1) == "1 roll running"


async def test_the_app_polls_with_the_settings_intervals(make_app: Any) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        assert (app.session.schedule.active_s, app.session.schedule.idle_s) == (0.2, 1.0)
        run = start_rack_key_roll(app, "dev", "rack")
        assert (
            app.session.schedule.interval_of("dev", {r.rack for r in app.session.rolls.running()})
            == 0.2
        )
        await wait_until(pilot, lambda: not run.running, what="the roll")


async def test_keys_typed_after_q_are_dropped_while_keyroll_closes(make_app: Any) -> None:
    """ "q" then "r" at once on a rack: the app closes cleanly (the "r" once opened the roll
    dialog during shutdown, which crashed with a traceback)."""
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        app.open_rack("dev")
        await wait_until(
            pilot,
            lambda: getattr(app.screen, "overview", None) is not None,
            what="dev's rack screen",
        )
        assert app._driver is not None
        for key in ("q", "r"):  # straight to the driver: no pause between keys
            event = events.Key(key, key)
            event.set_sender(app)
            app._driver.send_message(event)
        await until_closed(app)  # both keys handled: the loop ends after the last message
    assert app.return_code == 0
    assert app._exception is None
    assert not any(type(s).__name__ == "RackKeyRollDialog" for s in app.screen_stack)


async def test_a_status_poll_reaching_a_screen_still_composing_waits_for_it(
    make_app: Any,
) -> None:
    """A poll or the opened workspace landing between the racks screen's push and its mount (a
    loaded machine at start) queried widgets that were not there yet: NoMatches, the app down.
    The screen now gets the call once it has mounted."""
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        polled = {"dev": replace(app.session.statuses["dev"], status="updating")}
        screen = RacksScreen(app.session, app.signals)
        app.push_screen(screen)
        assert not screen.is_mounted
        app.on_statuses_fetched(StatusesFetched(polled))  # what the poller's message does
        app.on_inventory_reloaded(InventoryReloaded(app.session.inventory, app.session.last_rolls))
        await wait_until(pilot, lambda: screen.is_mounted, what="the new racks screen")
        await wait_until(pilot, lambda: "updating" in screen_text(app), what="the polled status")
    assert app._exception is None


async def test_a_status_poll_arriving_during_shutdown_reaches_no_screen(make_app: Any) -> None:
    """The poller's last message can arrive while the app takes its screens apart."""
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        polled = {"dev": replace(app.session.statuses["dev"], status="updating")}
        # one poll's statuses are published just before the shutdown: their callback waits in
        # the screen's queue
        app.signals.statuses_changed.publish(polled)
        app._running = False  # where App._shutdown begins, before it prunes the screens
        app.on_statuses_fetched(StatusesFetched(polled))  # and one arrives after: no publish
        app.on_inventory_reloaded(InventoryReloaded(app.session.inventory, app.session.last_rolls))
        await pilot.pause()  # the screen's queue comes round: the callbacks drop the news
        status = app.screen.query_one("#racks", DataTable).get_cell("dev", "status")
        assert "updating" not in str(status)
        app._running = True
    assert app._exception is None
