"""The live roll screen: a real rack-key roll against the sandbox, replays, keys, and load."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual import events

from tests.conftest import record_figure
from tests.tui.roll_harness import (
    FAST,
    T0,
    WAIT_S,
    ReplayApp,
    RollHarness,
    click,
    held_before_end,
    isolate_aws,
    mid_roll_events,
    plain,
    replayed_run,
    rolled_back_events,
    sandbox_workspaces,
    until_replayed,
    until_roll_outcome,
    wait_until,
)
from tui.core.roll_runs import Emit, RollRun
from tui.core.roll_targets import target_for
from tui.core.rolls.base import Roll
from tui.core.rolls.events import Note, Phase, PhaseChanged, ProbeSeen, StackEventSeen
from tui.core.rolls.rack_key import RackKeyRoll
from tui.messages import RollUpdated
from tui.screens.dialogs import ConfirmDialog
from tui.screens.roll import RollScreen
from tui.services.workspace import Workspace

__all__ = ["sandbox_workspaces"]  # the fixture is used by name


@pytest.fixture(autouse=True)
def _no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_aws(monkeypatch, tmp_path)


def rack_key_maker(ws: Workspace, rack: str, route: str) -> Callable[[Emit, threading.Event], Roll]:
    target = target_for(ws, rack)

    def make(emit: Emit, cancel: threading.Event) -> Roll:
        return RackKeyRoll(target, route, options=FAST, emit=emit, cancel=cancel)

    return make


async def key_latency(app: RollHarness, screen: RollScreen, key: str) -> float:
    """Seconds from a key arriving as a terminal sends it to the follow toggle it triggers."""
    before = screen.log_view.follow
    event = events.Key(key, key)
    event.set_sender(app)
    assert app._driver is not None
    pressed = time.monotonic()
    app._driver.send_message(event)
    while screen.log_view.follow is before:
        assert time.monotonic() - pressed < 30.0, "the key was never handled"
        await asyncio.sleep(0.002)
    return time.monotonic() - pressed


def roll_screen(app: RollHarness | ReplayApp) -> RollScreen:
    screen = app.screen
    assert isinstance(screen, RollScreen)
    return screen


async def test_a_live_rack_key_roll_is_shown_from_start_to_outcome(
    sandbox_workspaces: Callable[..., Workspace],
) -> None:
    ws = sandbox_workspaces(speed=30.0)
    app = RollHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        run = app.start_roll("dev", "rack-key", "rack", rack_key_maker(ws, "dev", "rack"))
        app.open_roll(run)
        screen = await until_roll_outcome(pilot, run)
        header = plain(screen.header_bar)
        assert "rack API key roll of dev via rack" in header
        assert "SUCCEEDED" in header and "phase done" in header
        outcome = plain(screen.outcome)
        assert "The rack API key of dev was rolled" in outcome
        assert "Measured downtime: 0.0 s" in outcome  # dual-key: no outage
        assert "The rack refuses the old key." in outcome
        lines = list(screen.log_view.lines)
        assert any("── watching" in line for line in lines)
        assert any("finished: succeeded" in line for line in lines)
        # the sandbox's AWS endpoint serves the stack's events: the board follows them
        assert "watched through CloudFormation" in header
        board = screen.board.states
        assert board.stack_status == "UPDATE_COMPLETE"
        assert board.counts()["complete"] >= 1 and board.counts()["failed"] == 0
        assert "ServiceWebApi" in plain(screen.board)
        assert "down" in plain(screen.availability) and "probes" in plain(screen.availability)
        # no key value is ever on screen
        key = ws.keystore.current(ws.sandbox.rack_host("dev"))
        assert key is not None
        assert all(key.reveal() not in line for line in lines)
        assert key.reveal() not in outcome
        # escape goes back; the run stays in the app's registry
        await pilot.press("escape")
        assert not isinstance(app.screen, RollScreen)
        assert app.rolls.get(run.run_id) is run


async def test_escape_leaves_the_roll_running_and_reopening_replays_it(
    sandbox_workspaces: Callable[..., Workspace],
) -> None:
    ws = sandbox_workspaces(speed=5.0)
    app = RollHarness()
    may_end = threading.Event()  # the roll runs on, but ends only once the test has seen it
    async with app.run_test(size=(120, 40)) as pilot:
        make = held_before_end(may_end, rack_key_maker(ws, "dev", "rack"))
        run = app.start_roll("dev", "rack-key", "rack", make)
        app.open_roll(run)
        await wait_until(pilot, lambda: any(isinstance(e, ProbeSeen) for e in run.events))
        await pilot.press("escape")
        assert run.running
        seen_while_away = len(run.events)
        await wait_until(pilot, lambda: len(run.events) > seen_while_away + 3)
        app.open_roll(run)
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, RollScreen) and app.screen._seen >= seen_while_away + 3,
            what="the reopened screen to replay the events seen while away",
        )
        screen = roll_screen(app)
        # every event so far is rendered from the run's history, then followed
        assert screen._seen >= seen_while_away + 3
        assert any("── planned" in line for line in screen.log_view.lines)
        may_end.set()
        await until_roll_outcome(pilot, run)
        assert "SUCCEEDED" in plain(screen.header_bar)


async def test_c_stops_watching_and_the_journal_keeps_the_roll(
    sandbox_workspaces: Callable[..., Workspace],
) -> None:
    ws = sandbox_workspaces(speed=1.0)
    app = RollHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        run = app.start_roll("dev", "rack-key", "rack", rack_key_maker(ws, "dev", "rack"))
        app.open_roll(run)
        await wait_until(pilot, lambda: any(isinstance(e, ProbeSeen) for e in run.events))
        await pilot.press("c")
        assert run.cancel.is_set()
        screen = await until_roll_outcome(pilot, run)
        assert "STOPPED WATCHING" in plain(screen.header_bar)
        assert "journal keeps the roll" in plain(screen.outcome)
        assert run.summary is not None and run.summary.outcome is None
        from tui.core.roll_targets import journal_for

        assert [r.roll_id for r in journal_for(ws).unfinished()] == [run.summary.roll_id]
        # once the roll is over, c is no longer offered
        assert screen.check_action("stop_watching", ()) is False


async def test_a_rolled_back_keyroll_shows_the_mismatch_and_offers_the_retry() -> None:
    run = replayed_run(rolled_back_events(), kind="instance-key")
    app = ReplayApp(run)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_roll_outcome(pilot, run)
        outcome = plain(screen.outcome)
        assert "rolled back (UPDATE_ROLLBACK_COMPLETE)" in outcome
        assert "SSH key mismatch" in outcome
        assert "Failed to receive 1 resource signal(s)" in outcome
        assert "Measured downtime: 3.0 s over 30 probes" in outcome
        assert "Press t" in outcome
        board = screen.board.states
        assert board.stack_status == "UPDATE_ROLLBACK_COMPLETE"
        assert board.resources["Instances"].category == "failed"
        assert board.resources["InstancesLaunchTemplate"].category == "pending"  # to roll back
        assert "batch 1 of 2" in plain(screen.fleet)
        assert "api/api  0/1 running" in plain(screen.fleet)
        assert screen.check_action("retry", ()) is True


async def test_t_starts_the_same_instance_keyroll_again_after_a_rollback(
    sandbox_workspaces: Callable[..., Workspace],
) -> None:
    from tui.core.rolls.instance_key import InstanceKeyRoll

    ws = sandbox_workspaces(scenario="rollback", speed=40.0)
    target = target_for(ws, "dev")

    def make(emit: Emit, cancel: threading.Event) -> Roll:
        return InstanceKeyRoll(target, "rack", options=FAST, force=True, emit=emit, cancel=cancel)

    app = RollHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        first = app.start_roll("dev", "instance-key", "rack", make)
        app.open_roll(first)
        screen = await until_roll_outcome(pilot, first)
        assert first.summary is not None and first.summary.outcome.value == "rolled_back"
        outcome = plain(screen.outcome)
        assert "SSH key mismatch" in outcome and "Press t" in outcome
        assert "ROLLED BACK" in plain(screen.header_bar)
        await pilot.press("t")
        assert isinstance(app.screen, ConfirmDialog)
        assert "again via rack" in plain(app.screen.query_one("#confirm-question"))
        await click(pilot, "#confirm-yes")
        await wait_until(pilot, lambda: len(app.rolls.all()) == 2)
        second = app.rolls.all()[1]
        assert (second.rack, second.kind, second.route) == ("dev", "instance-key", "rack")
        assert isinstance(second.roll, InstanceKeyRoll) and second.roll.force
        await wait_until(pilot, lambda: roll_screen(app).roll_run is second)
        await wait_until(pilot, lambda: not second.running, what="the second roll's end")


async def test_read_only_hides_the_retry() -> None:
    run = replayed_run(rolled_back_events(), kind="instance-key")
    app = ReplayApp(run, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_roll_outcome(pilot, run)
        assert screen.check_action("retry", ()) is False  # hidden; `t` says why
        await pilot.press("t")
        assert app.screen is screen


async def test_a_rack_key_roll_offers_no_retry_and_f_pauses_following() -> None:
    run = replayed_run(mid_roll_events())
    app = ReplayApp(run)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_replayed(pilot)
        assert screen.check_action("retry", ()) is False  # hidden: nothing to retry
        assert screen.check_action("stop_watching", ()) is True
        assert screen.log_view.follow
        await pilot.press("f")
        assert not screen.log_view.follow and "paused" in str(screen.log_view.border_title)
        await pilot.press("f")
        assert screen.log_view.follow
        # the outage shows in the log as two transitions, and in the timeline's estimate
        lines = list(screen.log_view.lines)
        assert sum("stopped answering" in line for line in lines) == 1
        assert sum("answers again" in line for line in lines) == 1
        assert "3 down" in plain(screen.availability)
        assert "outage ≈ 3.0 s  longest 3.0 s" in plain(screen.availability)
        assert "09:30:06  Instances" in "\n".join(lines)


async def test_a_rack_down_from_the_first_probe_is_logged_before_it_answers_again() -> None:
    """The Console route switches keys before the rack does: the first probe may fail. The
    log says so, rather than showing "answers again" out of nowhere."""
    events: list[Any] = [
        PhaseChanged(Phase.WATCHING),
        ProbeSeen(False, 0.0, "401"),
        ProbeSeen(False, 0.0, "401"),
        ProbeSeen(True, 0.01, "running"),
        ProbeSeen(True, 0.01, "running"),
    ]
    app = ReplayApp(replayed_run(events, route="console"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await until_replayed(pilot)
        lines = [line for line in screen.log_view.lines if "the rack" in line]
        assert [line.split("  ", 1)[1].strip() for line in lines] == [
            "error: the rack stopped answering (401)",
            "· the rack answers again (running)",
        ]


async def test_ten_thousand_events_at_two_thousand_a_second_keep_keys_responsive() -> None:
    """Feed 10,000 events from a thread at 2,000/s while pressing keys: every press is handled
    while the flood lasts, every event lands, the log stays capped. The times are reported,
    not judged (a shared machine): `python -m tests.bench flood` measures them. At each quarter
    the flood waits for a press handled since the last one, so that presses land mid-flood on
    any machine (a slow one once fit fewer than three into the flood)."""
    run = RollRun(1, "acme/staging", "rack-key", "rack")
    app = RollHarness()
    total, rate = 10_000, 2_000
    quarters = {total * k // 4 for k in (1, 2, 3)}
    handled = threading.Semaphore(0)  # one release a press handled
    async with app.run_test(size=(120, 40)) as pilot:
        app.open_roll(run)
        screen = await until_replayed(pilot)

        def feed() -> None:
            start = time.monotonic()
            for n in range(total):
                if n in quarters and not handled.acquire(timeout=WAIT_S):
                    return  # no press handled mid-flood: the wait for every event fails
                if n % 3 == 0:
                    event: object = ProbeSeen(True, 0.02)
                elif n % 3 == 1:
                    event = StackEventSeen(T0, f"Resource{n % 40}", "UPDATE_IN_PROGRESS", "r")
                else:
                    event = Note(f"note {n}")
                run.events.append(event)  # type: ignore[arg-type]
                app.post_message(RollUpdated(run, event))  # type: ignore[arg-type]
                if n % 100 == 99:  # pace to `rate` events a second
                    time.sleep(max(0.0, start + (n + 1) / rate - time.monotonic()))

        feeder = threading.Thread(target=feed)
        started = time.monotonic()
        feeder.start()
        latencies = []
        while feeder.is_alive():
            latencies.append(await key_latency(app, screen, "f"))
            handled.release()
            await asyncio.sleep(0.05)
        feeder.join()
        feed_s = time.monotonic() - started
        await wait_until(pilot, lambda: screen._seen == total, what="every event drawn")
        caught_up_s = time.monotonic() - started
        assert len(screen.log_view.lines) == screen.log_view.max_lines  # capped
        assert len(screen.board.states.resources) == 40
        assert len(screen.availability.timeline.probes) == (total + 2) // 3
        worst = max(latencies)
        median = sorted(latencies)[len(latencies) // 2]
        assert len(latencies) >= 3  # presses kept being handled while the flood lasted
        record_figure(
            f"roll screen, 10,000 events at {rate}/s: fed in {feed_s:.2f} s, rendered after "
            f"{caught_up_s:.2f} s; {len(latencies)} key presses, median "
            f"{median * 1000:.0f} ms, worst {worst * 1000:.0f} ms"
        )


async def test_the_log_stamps_each_event_with_the_moment_keyroll_learned_it() -> None:
    """Replayed with the moments the run recorded: the log shows those, not CloudFormation's
    clock, which ran ahead (the sandbox's speed) and would put events in the future."""
    learned = datetime(2025, 3, 4, 9, 30, 0, tzinfo=UTC)
    ahead = learned + timedelta(minutes=20)
    run = replayed_run([])
    run.record(PhaseChanged(Phase.WATCHING), learned)
    run.record(StackEventSeen(ahead, "staging", "UPDATE_IN_PROGRESS"), learned)
    run.record(Note("keyroll's own line"), learned + timedelta(seconds=2))
    app = ReplayApp(run)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: len(roll_screen(app).log_view.lines) == 3)
        lines = list(roll_screen(app).log_view.lines)
    mine, later, theirs = (
        t.astimezone().strftime("%H:%M:%S")
        for t in (learned, learned + timedelta(seconds=2), ahead)
    )
    assert lines[0] == f"{mine}  ── watching"
    assert lines[1].startswith(f"{mine}  staging ")
    assert lines[1].endswith(f"(CloudFormation {theirs})")
    assert lines[2] == f"{later}  · keyroll's own line"


async def test_long_event_lines_wrap_under_their_text_and_nothing_scrolls_sideways() -> None:
    reason = "Resource handler returned message: " + "the service could not stabilize " * 6
    run = replayed_run([StackEventSeen(T0, "ServiceWebApi", "UPDATE_FAILED", reason.strip())])
    app = ReplayApp(run)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = roll_screen(app)
        await wait_until(pilot, lambda: len(screen.log_view.lines) > 1)
        log = screen.log_view
        width = log.scrollable_content_region.width
        lines = list(log.lines)
        assert all(len(line) <= width for line in lines)
        assert all(line.startswith(" " * 10) for line in lines[1:])  # under the text
        assert " ".join(lines).split() == log.entries[0].split()  # no word lost
        assert not log.show_horizontal_scrollbar  # its thumb was a stray "▉" in the pane
        await pilot.resize_terminal(120, 40)
        await wait_until(pilot, lambda: log.scrollable_content_region.width > width)
        await wait_until(pilot, lambda: len(log.lines) < len(lines))  # wrapped anew, wider
