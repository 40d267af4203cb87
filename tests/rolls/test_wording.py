"""One function words a roll's events (`tui/core/rolls/wording.describe`): the headless progress
printer and the dashboard's event log both print its words, each with its own clock and marks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

import pytest

from tui.base.secret import Secret
from tui.commands import roll_progress
from tui.core.rolls.events import (
    BackoffNotice,
    Finished,
    InstanceProgress,
    NewAccountKey,
    Note,
    Outcome,
    Phase,
    PhaseChanged,
    ProbeSeen,
    RollEvent,
    ServiceProcesses,
    StackEventSeen,
    StackEventSource,
)
from tui.core.rolls.wording import clock, describe
from tui.widgets import event_log

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
LEARNED = datetime(2026, 1, 2, 3, 0, 0, tzinfo=UTC)
STAMP = clock(AT)

# every kind of event, with the words `describe` gives it (None: it says nothing alone)
WORDED: list[tuple[RollEvent, str | None]] = [
    (PhaseChanged(Phase.WATCHING), "watching"),
    (PhaseChanged(Phase.UPDATE_REQUESTED, "Password"), "update-requested: Password"),
    (
        StackEventSeen(AT, "ServiceWebApi", "UPDATE_FAILED", "Circuit Breaker"),
        f"ServiceWebApi UPDATE_FAILED Circuit Breaker (CloudFormation {STAMP})",
    ),
    (
        StackEventSeen(AT, "dev", "updating", source=StackEventSource.RACK_STATUS),
        "dev updating (rack status, GET /system)",
    ),
    (Note("hello"), "hello"),
    (Note("the old key still works", "warning"), "warning: the old key still works"),
    (Note("boom", "error"), "error: boom"),
    (
        BackoffNotice(4.0, "AWS Throttling DescribeStackEvents"),
        "AWS Throttling DescribeStackEvents: waiting 4 s before asking AWS again",
    ),
    (
        InstanceProgress(1, 3, ("i-2", "i-3"), ("i-new",), ("i-1",)),
        "instances: batch 1 of 3: 2 old instance(s) left, 1 new in service",
    ),
    (ServiceProcesses("web", "web", 2, 3), "web/web: 2 of 3 process(es) running (below desired)"),
    (ServiceProcesses("web", "web", 3, 3), "web/web: 3 of 3 process(es) running"),
    (Finished(Outcome.ROLLED_BACK), "finished: rolled_back"),
    (Finished(None), "finished: stopped unfinished"),
    (ProbeSeen(True, 0.02, "running"), None),
    (NewAccountKey(Secret("NewAccountKey0123456789abcdefXYZ")), None),
]


def test_every_kind_of_event_is_worded_here() -> None:
    kinds = {type(event) for event, _ in WORDED}
    assert kinds == set(get_args(RollEvent)), "an event kind has no case in this test"


@pytest.mark.parametrize(("event", "words"), WORDED, ids=lambda v: type(v).__name__)
def test_the_words_of_each_event(event: RollEvent, words: str | None) -> None:
    assert describe(event) == words


def test_the_log_lines_a_stack_event_up_in_columns_with_the_same_words() -> None:
    event = StackEventSeen(AT, "Instances", "UPDATE_FAILED", "no signal")
    columns = describe(event, columns=True)
    assert columns == f"{'Instances':<30} UPDATE_FAILED  no signal  (CloudFormation {STAMP})"
    assert columns.split() == str(describe(event)).split()  # the same words, spaced apart
    rack = StackEventSeen(AT, "dev", "running", source=StackEventSource.RACK_STATUS)
    assert describe(rack, columns=True) == f"{'dev':<30} running  (rack status, GET /system)"


def test_a_rack_status_says_where_it_came_from_not_a_cloudformation_time() -> None:
    """Watched without AWS, the time is keyroll's own: the line names the rack's status."""
    rack = StackEventSeen(AT, "dev", "updating", source=StackEventSource.RACK_STATUS)
    assert "CloudFormation" not in str(describe(rack))
    assert "CloudFormation" not in str(event_log.event_line(rack, LEARNED))
    assert "CloudFormation" not in str(roll_progress.event_line(rack, LEARNED))


@pytest.mark.parametrize(("event", "words"), WORDED, ids=lambda v: type(v).__name__)
def test_the_printer_and_the_log_print_those_words(event: RollEvent, words: str | None) -> None:
    printed = roll_progress.event_line(event, LEARNED)
    logged = event_log.event_line(event, LEARNED)
    if isinstance(event, ProbeSeen | ServiceProcesses | NewAccountKey):
        # probes and processes: the printer prints their changes, the log leaves them to
        # the availability and fleet widgets; nobody prints a new key
        assert printed is None and logged is None
        return
    assert words is not None
    if isinstance(event, Finished):
        assert printed is None  # a headless run ends with its summary lines instead
    else:
        assert printed is not None and printed.startswith(clock(LEARNED))
        assert printed.endswith(f" {words}")
    assert logged is not None and logged.startswith(f"{clock(LEARNED)}  ")
    assert logged.endswith(str(describe(event, columns=True)))


def test_both_front_ends_take_their_words_from_describe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Swap the one wording function: both front ends' lines change with it."""
    calls: list[tuple[RollEvent, bool]] = []

    def fake(event: RollEvent, *, columns: bool = False) -> str:
        calls.append((event, columns))
        return "THE WORDS"

    monkeypatch.setattr(roll_progress, "describe", fake)
    monkeypatch.setattr(event_log, "describe", fake)
    event = Note("hello", "warning")
    assert roll_progress.event_line(event, LEARNED) == f"{clock(LEARNED)} THE WORDS"
    assert event_log.event_line(event, LEARNED) == f"{clock(LEARNED)}  THE WORDS"
    assert calls == [(event, False), (event, True)]
    printer_lines: list[str] = []
    printer = roll_progress.ProgressPrinter()
    printer.write = printer_lines.append  # type: ignore[method-assign]
    printer(ServiceProcesses("web", "web", 1, 3))
    assert len(printer_lines) == 1 and printer_lines[0].endswith(" THE WORDS")


def test_the_front_ends_mark_steps_their_own_way() -> None:
    step = PhaseChanged(Phase.WATCHING)
    assert roll_progress.event_line(step, LEARNED) == f"{clock(LEARNED)} step watching"
    assert event_log.event_line(step, LEARNED) == f"{clock(LEARNED)}  ── watching"
    assert event_log.event_line(Note("hello"), LEARNED) == f"{clock(LEARNED)}  · hello"
    assert roll_progress.event_line(Note("hello"), LEARNED) == f"{clock(LEARNED)} hello"
