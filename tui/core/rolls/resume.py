"""Finishing the rolls a crash (or a roll started without --wait) left unfinished."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tui.base.errors import KeyrollError
from tui.core.journal import Journal, RollRecord
from tui.core.rolls.base import Confirm
from tui.core.rolls.events import RollEvent
from tui.core.rolls.factory import build_roll
from tui.core.rolls.summary import RollSummary
from tui.core.rolls.target import RollOptions, RollTarget


@dataclass(frozen=True)
class Unresumable:
    """A journal record keyroll cannot resume here, and why (one sentence)."""

    record: RollRecord
    reason: str


def unfinished(journal: Journal) -> list[RollRecord]:
    """The rolls the journal holds open, oldest first."""
    return sorted(journal.unfinished(), key=lambda r: r.started)


def resume_all(
    journal: Journal,
    target_for: Callable[[RollRecord], RollTarget],
    *,
    options: Callable[[RollTarget], RollOptions],
    confirm: Confirm,
    emit: Callable[[RollRecord, RollEvent], None] | None = None,
    cancel: threading.Event | None = None,
) -> Iterator[RollSummary | Unresumable]:
    """Resume every unfinished roll in turn, yielding each one's summary as it ends."""
    for record in unfinished(journal):
        try:
            target = target_for(record)
        except KeyrollError as error:
            yield Unresumable(record, f"Roll {record.roll_id} of {record.rack}: {error}")
            continue
        roll = build_roll(
            record.kind,
            target,
            record.route,
            options=options(target),
            emit=_for_record(emit, record),
            cancel=cancel,
        )
        yield roll.run_resumed(record, confirm)


def _for_record(
    emit: Callable[[RollRecord, RollEvent], None] | None, record: RollRecord
) -> Callable[[RollEvent], None] | None:
    if emit is None:
        return None

    def forward(event: RollEvent) -> None:
        emit(record, event)

    return forward
