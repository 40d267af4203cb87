"""The dashboard session without a terminal: on the in-process sandbox, real servers.

The session is driven the way the app drives it, but in the test's own thread: its driver
runs the roll to its end at once, so each test reads the finished run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.aws_support import scrub_aws_env
from tui.base.errors import BadInputError, KeyrollError, RefusedError
from tui.core.journal import RollRecord
from tui.core.roll_runs import RollRun
from tui.core.roll_targets import inventory_for
from tui.core.rolls.events import Finished, Outcome, RollEvent, RollKind
from tui.core.rolls.rack_key import RackKeyRoll
from tui.core.session import READ_ONLY_SENTENCE, STILL_OPENING, DashboardSession
from tui.core.settings import RackSettings
from tui.core.workspace import Workspace
from tui.services.workspace import open_workspace

FAST_SETTINGS = {"poll_active_s": 0.05, "poll_idle_s": 60.0, "probe_interval_s": 0.05}


@pytest.fixture(autouse=True)
def _no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    scrub_aws_env(monkeypatch, tmp_path)


@pytest.fixture
def workspace() -> Iterator[Workspace]:
    """A sandbox workspace (fast clock) whose settings poll and probe quickly."""
    with ExitStack() as stack:
        args = argparse.Namespace(sandbox=True, scenario="ok", speed=100.0)
        ws = stack.enter_context(open_workspace(args))
        ws.settings = replace(ws.settings, **FAST_SETTINGS)
        yield ws


class Driver:
    """Runs each roll the session starts to its end, in the calling thread; keeps what it ran."""

    def __init__(self) -> None:
        self.session: DashboardSession | None = None
        self.driven: list[tuple[RollRun, RollRecord | None]] = []
        self.run_rolls = True

    def __call__(self, run: RollRun, resume: RollRecord | None) -> None:
        self.driven.append((run, resume))
        if not self.run_rolls:
            return
        assert self.session is not None and run.roll is not None
        self.session.roll_finished(run, run.roll.run())


def opened_session(
    workspace: Workspace, *, read_only: bool = False, **options: Any
) -> tuple[DashboardSession, Driver]:
    driver = Driver()
    session = DashboardSession(read_only=read_only, drive=driver, **options)
    driver.session = session
    session.open(workspace, inventory_for(workspace), {}, None)
    return session, driver


def test_a_roll_started_through_the_session_runs_to_its_end(workspace: Workspace) -> None:
    seen: list[tuple[int, RollEvent]] = []
    session, driver = opened_session(
        workspace, on_event=lambda run, event: seen.append((run.run_id, event))
    )
    host = workspace.sandbox.rack_host("dev")
    old = workspace.keystore.current(host)
    target = session.target_for("dev")
    run = session.start_roll(RollKind.RACK_KEY, target, "rack")
    assert driver.driven == [(run, None)]
    assert isinstance(run.roll, RackKeyRoll)  # built by the roll factory
    assert (run.rack, run.kind, run.route) == ("dev", "rack-key", "rack")
    assert run.roll.options.poll_s == 0.05  # the settings' intervals
    assert run.summary is not None and run.summary.outcome is Outcome.SUCCEEDED
    assert not run.running and session.rolls.running() == []
    assert session.rolls.latest_for("dev") is run
    # every event reached the run and the session's sink, in order
    assert run.events and isinstance(run.events[-1], Finished)
    assert [event for _, event in seen] == run.events
    assert {run_id for run_id, _ in seen} == {run.run_id}
    new = workspace.keystore.current(host)
    assert new is not None and old is not None and new.reveal() != old.reveal()


def test_starting_a_roll_hurries_its_rack_status(workspace: Workspace) -> None:
    session, driver = opened_session(workspace)
    driver.run_rolls = False  # registered, not run: the test looks at the schedule only
    names = [r.name for r in session.inventory.racks] if session.inventory else []
    now = time.monotonic()
    session.schedule.polled(names, set(), now)
    assert session.schedule.due(names, now) == []
    run = session.start_roll(RollKind.RACK_KEY, session.target_for("dev"), "rack")
    assert run.running and session.rolls.running_on("dev") is run
    assert session.schedule.due(names, time.monotonic()) == ["dev"]


def test_read_only_refuses_every_roll_and_says_why(workspace: Workspace) -> None:
    session, driver = opened_session(workspace, read_only=True)
    assert session.roll_refusal(None) == READ_ONLY_SENTENCE
    rack = session.find_rack("dev")
    assert rack is not None and session.roll_refusal(rack) == READ_ONLY_SENTENCE
    target = session.target_for("dev")  # reading is allowed
    with pytest.raises(RefusedError, match="read-only"):
        session.start_roll(RollKind.RACK_KEY, target, "rack")
    assert session.rolls.all() == [] and driver.driven == []


def test_a_rack_marked_read_only_is_refused_by_name(workspace: Workspace) -> None:
    session, _ = opened_session(workspace)
    dev = session.find_rack("dev")
    assert dev is not None and session.roll_refusal(dev) is None
    marked = replace(dev, settings=RackSettings(name="dev", read_only=True))
    refusal = session.roll_refusal(marked)
    assert refusal is not None and "dev is marked read_only" in refusal
    assert session.roll_refusal(None) is None  # the account key is not a rack


def test_target_for_an_unknown_rack_names_it(workspace: Workspace) -> None:
    session, _ = opened_session(workspace)
    with pytest.raises(BadInputError, match="Could not find rack 'nowhere'"):
        session.target_for("nowhere")
    assert session.target_for("dev").name == "dev"


def test_targets_wait_for_the_workspace(workspace: Workspace) -> None:
    session = DashboardSession(drive=Driver())
    with pytest.raises(KeyrollError, match=STILL_OPENING):
        session.target_for("dev")
    with pytest.raises(KeyrollError, match=STILL_OPENING):
        session.account_target()
    assert session.poll_due() is None  # nothing to poll yet


def test_roll_options_follow_the_settings_with_overrides(workspace: Workspace) -> None:
    session, _ = opened_session(workspace)
    target = session.target_for("dev")
    options = session.roll_options(target, wait=False)
    assert (options.poll_s, options.probe_s, options.wait) == (0.05, 0.05, False)
    assert session.schedule.active_s == 0.05 and session.schedule.idle_s == 60.0


def test_a_journal_record_is_resumed_with_its_own_kind_and_route(workspace: Workspace) -> None:
    session, driver = opened_session(workspace)
    driver.run_rolls = False  # the record is handed to the driver, which resumes it
    record = RollRecord(
        roll_id="r-1", kind="rack-key", rack="dev", route="rack", started="", steps=()
    )
    run = session.start_roll(
        record.kind, session.target_for(record.rack), record.route, resume=record
    )
    assert driver.driven == [(run, record)]
    assert isinstance(run.roll, RackKeyRoll) and run.kind == "rack-key"


def test_a_kind_that_is_no_kind_is_refused(workspace: Workspace) -> None:
    session, driver = opened_session(workspace)
    with pytest.raises(BadInputError, match="'ssh-key' is not a kind"):
        session.start_roll("ssh-key", session.target_for("dev"), "rack")
    assert session.rolls.all() == [] and driver.driven == []


def test_statuses_are_polled_when_due_and_not_after_close(workspace: Workspace) -> None:
    session, _ = opened_session(workspace)
    names = {r.name for r in session.inventory.racks} if session.inventory else set()
    first = session.poll_due()
    assert first is not None and set(first) == names
    assert {s.status for s in first.values()} >= {"running"}
    session.statuses_polled(first)
    assert session.statuses == first
    assert session.poll_due() == {}  # none due again before the idle interval
    assert 0.0 < session.next_poll_s(cap=0.5) <= 0.5
    session.close()
    assert session.poll_due(now=time.monotonic() + 3600) is None


def test_close_stops_watching_running_rolls(workspace: Workspace) -> None:
    session, driver = opened_session(workspace)
    driver.run_rolls = False
    run = session.start_roll(RollKind.RACK_KEY, session.target_for("dev"), "rack")
    assert not run.cancel.is_set()
    session.close()
    assert run.cancel.is_set()


def test_the_session_module_loads_no_textual_and_no_roll_engine() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tui.core.session\n"
        "print(sorted(m for m in ('textual', 'tui.core.rolls.events', 'tui.core.journal', "
        "'httpx', 'boto3') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
