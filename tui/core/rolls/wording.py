"""A roll's events in words: the one place that says what an event says.

Both front ends print these words: the headless progress printer
(`tui/commands/roll_progress.py`) and the dashboard's event log (`tui/widgets/event_log.py`).
Each puts its own clock before them and sets some lines off its own way (the log with `──`
rules and `·`, the printer with `step`), and the log colours them; the words are these.
Nothing here ever sees a key: events hold only fingerprints and sentences.
"""

from __future__ import annotations

from datetime import datetime
from typing import assert_never

from tui.core.rolls.events import (
    BackoffNotice,
    Finished,
    InstanceProgress,
    NewAccountKey,
    Note,
    PhaseChanged,
    ProbeSeen,
    RollEvent,
    ServiceProcesses,
    StackEventSeen,
    StackEventSource,
)
from tui.core.rolls.instance_progress import progress_words
from tui.core.rolls.watch import wait_words

LOGICAL_WIDTH = 30  # in columns, a stack event's resource is padded to this width
RACK_STATUS_WORDS = "rack status, GET /system"


def clock(moment: datetime) -> str:
    """`09:30:04`, in this machine's local time."""
    return moment.astimezone().strftime("%H:%M:%S")


def source_words(event: StackEventSeen) -> str:
    """Where a stack event was read, as its line ends: CloudFormation's own time (its clock,
    or the sandbox's sped-up one, may run apart from keyroll's), or the rack's status."""
    if event.source is StackEventSource.RACK_STATUS:
        return f"({RACK_STATUS_WORDS})"
    return f"(CloudFormation {clock(event.timestamp)})"


def stack_words(event: StackEventSeen, *, columns: bool = False) -> str:
    """`Instances UPDATE_FAILED <reason> (CloudFormation 09:30:04)`; in `columns` (the event
    log, read down its columns) the resource is padded and the reason and the source are set
    apart by two spaces."""
    if not columns:
        return " ".join(
            part
            for part in (event.logical_id, event.status, event.reason, source_words(event))
            if part
        )
    text = f"{event.logical_id:<{LOGICAL_WIDTH}} {event.status}"
    if event.reason:
        text = f"{text}  {event.reason}"
    return f"{text}  {source_words(event)}"


def processes_words(event: ServiceProcesses) -> str:
    """`web/web: 2 of 3 process(es) running (below desired)`."""
    short = "" if event.running >= event.desired else " (below desired)"
    return (
        f"{event.app}/{event.service}: {event.running} of {event.desired} "
        f"process(es) running{short}"
    )


def describe(event: RollEvent, *, columns: bool = False) -> str | None:
    """What one event says, without a clock: the same words in every front end.

    None for the events that say nothing alone: a probe (the front ends report the changes
    of availability) and the new account key (the dashboard shows the key itself, once).
    `columns` lines a stack event up in columns for the event log; other events ignore it.
    """
    if isinstance(event, PhaseChanged):
        return f"{event.phase.value}: {event.detail}" if event.detail else event.phase.value
    if isinstance(event, StackEventSeen):
        return stack_words(event, columns=columns)
    if isinstance(event, Note):
        return event.text if event.level == "info" else f"{event.level}: {event.text}"
    if isinstance(event, BackoffNotice):
        return f"{event.reason}: waiting {wait_words(event.delay_s)} before asking AWS again"
    if isinstance(event, InstanceProgress):
        return f"instances: {progress_words(event)}"
    if isinstance(event, ServiceProcesses):
        return processes_words(event)
    if isinstance(event, Finished):
        return f"finished: {event.outcome.value if event.outcome else 'stopped unfinished'}"
    if isinstance(event, ProbeSeen | NewAccountKey):
        return None
    assert_never(event)  # mypy: a new kind of event needs its words here
