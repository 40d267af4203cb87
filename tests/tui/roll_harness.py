"""Test harness for the roll screen and dialogs: a small app, sandbox workspaces, replays.

`RollHarness` is a test app that plays the app's part of the contract (a dashboard session
whose rolls run in a thread worker, their events published as the app's signals, a roll
screen opened on a run); the screen and dialogs under test are the product's.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual import messages, work
from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget

from tests.aws_support import scrub_aws_env
from tui.core.journal import RollRecord
from tui.core.roll_runs import Emit, RollRun
from tui.core.rolls import factory
from tui.core.rolls.base import Roll
from tui.core.rolls.events import (
    Finished,
    InstanceProgress,
    Note,
    Outcome,
    Phase,
    PhaseChanged,
    ProbeSeen,
    RollEvent,
    ServiceProcesses,
    StackEventSeen,
)
from tui.core.rolls.instance_key import SSH_KEY_MISMATCH
from tui.core.rolls.summary import RollSummary
from tui.core.rolls.target import RollOptions
from tui.core.session import DashboardSession
from tui.messages import DashboardSignals, OpenRoll, RollEnded, RollUpdate, RollUpdated
from tui.screens.roll import RollScreen
from tui.services.workspace import Workspace, open_workspace

FAST = RollOptions(poll_s=0.05, probe_s=0.05, verify_s=5.0)
T0 = datetime(2025, 3, 4, 9, 30, 0, tzinfo=UTC)


def isolate_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real AWS credentials, config or instance metadata reach a test; times in UTC."""
    scrub_aws_env(monkeypatch, tmp_path)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()  # event times render in local time: make it UTC for stable text


@pytest.fixture
def sandbox_workspaces() -> Iterator[Callable[..., Workspace]]:
    """Open in-process sandbox workspaces; each closes at the end of the test."""
    with ExitStack() as stack:

        def make(scenario: str = "ok", speed: float = 30.0) -> Workspace:
            args = argparse.Namespace(sandbox=True, scenario=scenario, speed=speed)
            return stack.enter_context(open_workspace(args))

        yield make


class RollHarness(App[None]):
    """A test app with the contract's roll API: a session, `start_roll`, `open_roll`, `rolls`."""

    def __init__(self, *, read_only: bool = False) -> None:
        super().__init__()
        self.session = DashboardSession(
            read_only=read_only, drive=self._run_roll, on_event=self._roll_event
        )
        self.signals = DashboardSignals(self)
        self.rolls = self.session.rolls
        self.opened: list[RollRun] = []

    def start_roll(
        self, rack: str, kind: str, route: str, make: Callable[[Emit, threading.Event], Roll]
    ) -> RollRun:
        """Run the roll the test's `make` builds (held or scripted) as the app runs one."""
        run = self.rolls.start(rack, kind, route, make, on_event=self._roll_event)
        self._run_roll(run, None)
        return run

    def _roll_event(self, run: RollRun, event: RollEvent) -> None:
        self.post_message(RollUpdated(run, event))

    @work(thread=True, exit_on_error=False, group="rolls", description="Running a roll")
    def _run_roll(self, run: RollRun, resume: RollRecord | None) -> None:
        assert run.roll is not None and resume is None
        self.session.roll_finished(run, run.roll.run())
        self.post_message(RollEnded(run))

    def open_roll(self, run: RollRun) -> None:
        self.opened.append(run)
        self.push_screen(RollScreen(self.session, self.signals, run))

    def on_open_roll(self, message: OpenRoll) -> None:
        self.open_roll(message.run)

    def on_roll_updated(self, message: RollUpdated) -> None:
        self.signals.roll_updated.publish(RollUpdate(message.run, message.event))

    def on_roll_ended(self, message: RollEnded) -> None:
        self.signals.roll_ended.publish(message.run)


class ReplayApp(App[None]):
    """Opens a roll screen on a run whose events were fed in beforehand."""

    def __init__(self, run: RollRun, *, read_only: bool = False) -> None:
        super().__init__()
        self.run_under_test = run
        self.session = DashboardSession(read_only=read_only, drive=self._no_roll)
        self.signals = DashboardSignals(self)

    def _no_roll(self, run: RollRun, resume: RollRecord | None) -> None:
        raise AssertionError("a replay starts no roll")

    def on_mount(self) -> None:
        self.push_screen(RollScreen(self.session, self.signals, self.run_under_test))


class FrozenRun(RollRun):
    """A run whose clock is fixed, for snapshots."""

    @property
    def elapsed_s(self) -> float:
        return 83.0


def replayed_run(
    events: list[RollEvent], *, kind: str = "rack-key", route: str = "rack"
) -> RollRun:
    """A run of `acme/staging` holding `events` (no roll object: a replay)."""
    run = FrozenRun(1, "acme/staging", kind, route)
    learned = T0  # as if each poll learned its stack events the moment they happened
    for event in events:
        if isinstance(event, StackEventSeen):
            learned = max(learned, event.timestamp)
        run.record(event, learned)
    return run


def stack_event(seconds: int, logical: str, status: str, reason: str = "") -> StackEventSeen:
    kind = "AWS::CloudFormation::Stack" if logical == "staging" else "AWS::ECS::Service"
    if logical.startswith("Instances"):
        kind = "AWS::AutoScaling::AutoScalingGroup"
    return StackEventSeen(T0 + timedelta(seconds=seconds), logical, status, reason, kind)


def mid_roll_events() -> list[RollEvent]:
    """An instance keyroll of acme/staging, halfway: batch 1 of 2 done, one outage."""
    events: list[RollEvent] = [
        PhaseChanged(Phase.PREFLIGHT),
        Note("Pre-flight on acme/staging: status running, 2 instance(s), 2 service(s) checked."),
        PhaseChanged(Phase.PLANNED),
        PhaseChanged(Phase.UPDATE_REQUESTED),
        PhaseChanged(Phase.WATCHING),
        stack_event(0, "staging", "UPDATE_IN_PROGRESS", "User Initiated"),
        stack_event(2, "InstancesLaunchTemplate", "UPDATE_IN_PROGRESS"),
        stack_event(4, "InstancesLaunchTemplate", "UPDATE_COMPLETE"),
        stack_event(5, "Instances", "UPDATE_IN_PROGRESS"),
        stack_event(
            6,
            "Instances",
            "UPDATE_IN_PROGRESS",
            "Rolling update initiated. Terminating 2 obsolete instance(s) in batches of 1.",
        ),
        InstanceProgress(1, 2, ("i-0aaa1111",), ("i-0ccc3333",), ("i-0bbb2222",)),
        ServiceProcesses("web", "web", 1, 1),
        ServiceProcesses("api", "api", 0, 1),
    ]
    for n in range(30):
        up = n not in (11, 12, 13)
        events.append(ProbeSeen(up, 0.02 + (n % 5) * 0.01, "running" if up else "refused"))
    return events


def rolled_back_events() -> list[RollEvent]:
    """The same keyroll, rolled back: a batch never signalled."""
    reason = (
        "Failed to receive 1 resource signal(s) for the current batch. Each resource signal "
        "timeout is counted as a FAILURE."
    )
    events = mid_roll_events()
    events += [
        stack_event(40, "Instances", "UPDATE_FAILED", reason),
        stack_event(41, "staging", "UPDATE_ROLLBACK_IN_PROGRESS", reason),
        stack_event(60, "staging", "UPDATE_ROLLBACK_COMPLETE"),
        Note("CloudFormation's reasons: " + reason, "info"),
        Note(SSH_KEY_MISMATCH, "error"),
        Note("Retry once the stack is stable: `keyroll roll instance-key acme/staging`."),
    ]
    summary = RollSummary(
        kind="instance-key",
        rack="acme/staging",
        via="rack",
        outcome=Outcome.ROLLED_BACK,
        downtime_s=3.0,
        longest_outage_s=3.0,
        probes=30,
        final_stack_status="UPDATE_ROLLBACK_COMPLETE",
        failure_reasons=[f"Instances: {reason}"],
    )
    events.append(Finished(Outcome.ROLLED_BACK, summary))
    return events


def plain(widget: Widget) -> str:
    """The text a Static-like widget shows."""
    content: Any = getattr(widget, "content", "")
    return str(getattr(content, "plain", content))


WAIT_S = 60.0
"""How long a wait may take before the test fails: a bound only a broken app reaches (every
wait ends on its condition, however loaded the machine)."""


async def wait_until(
    pilot: Pilot[Any],
    condition: Callable[[], bool],
    timeout: float = WAIT_S,
    what: str = "the condition",
) -> None:
    """Let the app run until `condition()` holds; fail naming `what` never happened."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await pilot.pause(0.05)


async def until_shown(pilot: Pilot[Any], *texts: str, timeout: float = WAIT_S) -> str:
    """Wait until the screen a person sees holds every one of `texts`; return its text."""
    shown = ""

    def holds() -> bool:
        nonlocal shown
        shown = screen_text(pilot.app)
        return all(text in shown for text in texts)

    await wait_until(pilot, holds, timeout, "the screen to show " + ", ".join(map(repr, texts)))
    return shown


async def until_roll_outcome(
    pilot: Pilot[Any], run: RollRun | None = None, timeout: float = WAIT_S
) -> RollScreen:
    """Wait until the roll screen on top (of `run`, when given) shows its outcome laid out on
    screen, not just marked shown (CI once read the screen in between and found no headline);
    return that screen."""

    def shown() -> bool:
        screen = pilot.app.screen
        if not isinstance(screen, RollScreen) or (run is not None and screen.roll_run is not run):
            return False
        if not screen.outcome.has_class("-shown") or layout_owed(pilot.app):
            return False
        screen_text(pilot.app)  # lays out what is owed, as the screen's next refresh would
        return screen.outcome.region.height > 0

    await wait_until(pilot, shown, timeout, "the roll's outcome on screen")
    screen = pilot.app.screen
    assert isinstance(screen, RollScreen)
    return screen


async def until_closed(app: App[Any], timeout: float = WAIT_S) -> None:
    """Wait until the app has closed by itself: its message loop ended, every message handled."""
    assert app._task is not None, "the app is not running"
    done, _ = await asyncio.wait([app._task], timeout=timeout)
    assert done, f"the app did not close within {timeout:.0f} s"


async def until_replayed(pilot: Pilot[Any]) -> RollScreen:
    """Wait until the roll screen on top has drawn every event its run holds; return it."""

    def drawn() -> bool:
        screen = pilot.app.screen
        return (
            isinstance(screen, RollScreen)
            and screen.is_mounted
            and screen._seen == len(screen.roll_run.events)
        )

    await wait_until(pilot, drawn, what="the roll screen to draw its run's events")
    screen = pilot.app.screen
    assert isinstance(screen, RollScreen)
    return screen


def held_before_end(
    gate: threading.Event, make: Callable[[Emit, threading.Event], Roll]
) -> Callable[[Emit, threading.Event], Roll]:
    """`make`, with a roll that reports its end (and so ends) only once `gate` is set: a test
    sees it running for as long as it needs, whatever the machine's speed."""

    def build(emit: Emit, cancel: threading.Event) -> Roll:
        def emit_held(event: RollEvent) -> None:
            if isinstance(event, Finished):
                assert gate.wait(WAIT_S), "the test never let the held roll end"
            emit(event)

        return make(emit_held, cancel)

    return build


def hold_rolls_until(monkeypatch: pytest.MonkeyPatch, gate: threading.Event) -> None:
    """Every roll the roll factory builds from now on starts only once `gate` is set (see
    `held_until`): for rolls the dashboard's session starts itself."""
    build_roll = factory.build_roll

    def held_build(*args: Any, **kwargs: Any) -> Roll:
        return held_until(gate, lambda _emit, _cancel: build_roll(*args, **kwargs))(
            kwargs["emit"], kwargs["cancel"]
        )

    monkeypatch.setattr(factory, "build_roll", held_build)


def held_until(
    gate: threading.Event, make: Callable[[Emit, threading.Event], Roll]
) -> Callable[[Emit, threading.Event], Roll]:
    """`make`, with a roll that starts only once `gate` is set: a test sees the rolls running
    for as long as it needs, whatever the machine's speed, then lets them go."""

    def build(emit: Emit, cancel: threading.Event) -> Roll:
        roll = make(emit, cancel)
        run = roll.run

        def run_once_let_go() -> Any:
            assert gate.wait(WAIT_S), "the test never let the held roll go"
            return run()

        roll.run = run_once_let_go  # type: ignore[method-assign]
        return roll

    return build


def layout_owed(app: App[Any]) -> bool:
    """Whether a widget's new size or content has yet to reach the screen: a widget still marked
    for layout (it tells the screen when it next idles), or its `Layout` message not yet handled.
    `screen_text` lays out only what the screen itself owes; a read right after `Static.update`
    once found a panel still 0 rows high (a loaded machine had not idled the widget yet)."""
    screen = app.screen
    if any(widget._layout_required for widget in screen.walk_children(with_self=False)):
        return True
    pending: Any = getattr(screen._message_queue, "_queue", ())
    return any(isinstance(message, messages.Layout) for message in list(pending))


def on_screen(widget: Widget) -> bool:
    """Whether the screen shows `widget` at the centre of its region (not under a border or
    another widget, not scrolled out, not squashed to nothing)."""
    region = widget.region
    if region.height == 0 or region.width == 0:
        return False
    try:
        shown, _ = widget.screen.get_widget_at(*region.center)
    except Exception:  # outside the screen
        return False
    return shown is widget or widget in shown.ancestors_with_self


async def click(pilot: Pilot[Any], selector: str) -> None:
    """Click the widget `selector` names once the screen shows it where it stays: a click on a
    dialog not yet laid out lands wherever the button was (a loaded machine once started no
    roll this way)."""

    def shown() -> bool:
        if layout_owed(pilot.app):
            return False
        screen_text(pilot.app)  # lays out what the screen owes
        widgets = pilot.app.screen.query(selector)
        return bool(widgets) and on_screen(widgets.first())

    await wait_until(pilot, shown, what=f"{selector} on screen")
    assert await pilot.click(selector), f"the click missed {selector}"


async def until_laid_out(pilot: Pilot[Any]) -> None:
    """Wait until no layout is owed below the screen (see `layout_owed`)."""
    await wait_until(pilot, lambda: not layout_owed(pilot.app), what="the screen's layout")


def screen_text(app: App[Any]) -> str:
    """Every character of the screen's next frame, as plain text (for asserts on what a person
    sees).

    A widget shown, hidden or resized reaches the compositor only when the screen's update timer
    next lays it out, which a loaded machine can put off past any fixed pause (CI once read a
    roll's outcome as shown but not yet on screen). A layout still owed is done first, as that
    timer would do it."""
    screen = app.screen
    if screen._layout_required:
        screen._refresh_layout(scroll=screen._scroll_required)
        screen._layout_required = screen._scroll_required = False
    width, height = app.size
    console = Console(file=StringIO(), width=width, height=height, record=True)
    update = screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    return console.export_text()
