"""Messages the app's workers post; screens and widgets handle them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # the roll engine's types: not loaded for the first frame
    from tui.core.roll_runs import RollRun
    from tui.core.rolls.events import RollEvent


class RollUpdated(Message):
    """A roll reported an event (posted from the roll's thread; the history is on the run)."""

    def __init__(self, run: RollRun, event: RollEvent) -> None:
        super().__init__()
        self.run = run
        self.event = event


class RollEnded(Message):
    """A roll's thread finished; `run.summary` holds the outcome."""

    def __init__(self, run: RollRun) -> None:
        super().__init__()
        self.run = run
