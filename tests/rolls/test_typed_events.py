"""Typed roll events: a stack event names its source, `Finished` carries the roll's summary,
a new account key arrives in its own event and is handed over once."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.aws_support import scrub_aws_env
from tui.base.secret import Secret
from tui.clients.stack_status import Outcome as StackOutcome
from tui.core.roll_targets import account_target
from tui.core.rolls.account_key import AccountKeyRoll
from tui.core.rolls.events import (
    Finished,
    NewAccountKey,
    Outcome,
    RollEvent,
    StackEventSeen,
    StackEventSource,
)
from tui.core.rolls.summary import RollSummary
from tui.core.rolls.target import RollOptions
from tui.core.rolls.watch import MODE_RACK_API, UpdateWatch
from tui.services.workspace import Workspace, open_workspace

FAST = RollOptions(poll_s=0.0, probe_s=0.05, verify_s=3.0)
KEY = "NewAccountKey0123456789abcdefXYZ"


@pytest.fixture(autouse=True)
def _no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    scrub_aws_env(monkeypatch, tmp_path)


@dataclass
class Status:
    status: str


class StatusSequence:
    """A rack client whose `GET /system` reads the given statuses in turn, then the last."""

    def __init__(self, *statuses: str) -> None:
        self.statuses = list(statuses)

    def system(self, **_: Any) -> Status:
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return Status(status)


def test_a_watch_without_aws_says_its_events_come_from_the_rack_status() -> None:
    events: list[RollEvent] = []
    watch = UpdateWatch(
        rack="dev",
        stack="dev",
        aws=None,
        client=StatusSequence("running", "updating", "updating", "running"),  # type: ignore[arg-type]
        options=FAST,
        emit=events.append,
        cancel=threading.Event(),
    )
    assert watch.baseline() == MODE_RACK_API
    result = watch.run()
    assert result.mode == MODE_RACK_API and result.outcome is StackOutcome.SUCCEEDED
    seen = [e for e in events if isinstance(e, StackEventSeen)]
    assert [e.status for e in seen] == ["updating", "running"]
    assert all(e.source is StackEventSource.RACK_STATUS for e in seen)
    assert all(e.reason == "" for e in seen)  # where it came from is the field, not the text


def test_a_stack_event_comes_from_cloudformation_unless_it_says_otherwise() -> None:
    """The rolls build CloudFormation's events without naming a source: that is the default."""
    event = StackEventSeen(datetime.now(UTC), "Instances", "UPDATE_IN_PROGRESS", "r", "AWS::X")
    assert event.source is StackEventSource.CLOUDFORMATION


def test_a_new_key_is_handed_over_once_and_stays_masked() -> None:
    key = Secret(KEY)
    event = NewAccountKey(key)
    assert KEY not in repr(event) and event.held == key
    assert event.take() == key
    assert event.held is None and event.take() is None
    assert repr(event) == "NewAccountKey(taken)"


@pytest.fixture
def ws() -> Iterator[Workspace]:
    with ExitStack() as stack:
        args = argparse.Namespace(sandbox=True, scenario="ok", speed=100.0)
        yield stack.enter_context(open_workspace(args))


def test_an_account_roll_reports_its_new_key_in_an_event_and_its_summary_at_the_end(
    ws: Workspace,
) -> None:
    events: list[RollEvent] = []
    roll = AccountKeyRoll(account_target(ws), "console", options=FAST, emit=events.append)
    summary = roll.run()
    assert summary.outcome is Outcome.SUCCEEDED, summary.messages
    handed = [e for e in events if isinstance(e, NewAccountKey)]
    assert len(handed) == 1
    with ws.sandbox.world.locked():
        new = ws.sandbox.world.console.api_key
    assert roll.new_key == new  # until the dashboard takes it from the event
    assert handed[0].take() == new
    assert roll.new_key is None  # the event handed it over: the roll keeps no reference
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.outcome is Outcome.SUCCEEDED
    assert isinstance(finished.summary, RollSummary) and finished.summary is summary


def test_a_pasted_key_is_not_handed_back(ws: Workspace) -> None:
    from tui.clients.console import ConsoleClient
    from tui.clients.console_actions import roll_account_key

    with ws.sandbox.world.locked():
        held = ws.sandbox.world.console.api_key
    with ConsoleClient(ws.settings.console.base_url, held) as console:
        rolled = roll_account_key(console)  # rolled in the web UI: the user has it
    events: list[RollEvent] = []
    roll = AccountKeyRoll(
        account_target(ws), "console", options=FAST, emit=events.append, pasted=rolled
    )
    assert roll.run().outcome is Outcome.SUCCEEDED
    assert not any(isinstance(e, NewAccountKey) for e in events)
