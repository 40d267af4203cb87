"""The roll's event log: one line an event, written in batches, capped, following the tail.

Writing 10,000 lines one at a time blocks Textual's loop for seconds; one `write_lines`
batch takes a fraction of that. So lines are buffered by `push` and flushed by the caller
once per batch (`flush`), and the widget keeps only the newest `max_lines` (the run keeps
every event).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich.highlighter import Highlighter
from rich.text import Text
from textual.widgets import Log

from tui.core.rolls.events import (
    BackoffNotice,
    Finished,
    InstanceProgress,
    Note,
    PhaseChanged,
    RollEvent,
    StackEventSeen,
)
from tui.widgets.resource_board import CATEGORY_STYLE, category_of

MAX_LINES = 2000
LOGICAL_WIDTH = 30
BLANK_TIME = " " * 8
LEVEL_WORD = {"info": "·", "warning": "warning:", "error": "error:"}
LEVEL_STYLE = {"warning:": "bold #ffd75f", "error:": "bold #ff5f5f", "throttled": "#ffd75f"}
STACK_LINE = re.compile(r"^\d\d:\d\d:\d\d  \S+ +(?P<status>\S+)")
MARKER = re.compile(r"^ {8}  (?P<word>warning:|error:|throttled)")


def event_line(event: RollEvent) -> str | None:
    """The log line of one event, or None for events other widgets show (probes, services)."""
    if isinstance(event, StackEventSeen):
        when = event.timestamp.astimezone().strftime("%H:%M:%S")
        line = f"{when}  {event.logical_id:<{LOGICAL_WIDTH}} {event.status}"
        return f"{line}  {event.reason}" if event.reason else line
    if isinstance(event, PhaseChanged):
        detail = f": {event.detail}" if event.detail else ""
        return f"{BLANK_TIME}  ── {event.phase.value}{detail}"
    if isinstance(event, Note):
        return f"{BLANK_TIME}  {LEVEL_WORD.get(event.level, '·')} {event.text}"
    if isinstance(event, BackoffNotice):
        return f"{BLANK_TIME}  throttled ({event.reason}), retrying in {event.delay_s:g} s"
    if isinstance(event, InstanceProgress):
        return (
            f"{BLANK_TIME}  ── instances: batch {event.batch} of {event.batches}, "
            f"{len(event.new_in_service)} new in service, {len(event.old_remaining)} old left"
        )
    if isinstance(event, Finished):
        outcome = event.outcome.value if event.outcome else "stopped unfinished"
        return f"{BLANK_TIME}  ── finished: {outcome}"
    return None


class StatusHighlighter(Highlighter):
    """Colours a stack event's status by category, and warning/error/throttle markers."""

    def highlight(self, text: Text) -> None:
        plain = text.plain
        match = STACK_LINE.match(plain)
        if match:
            status = match["status"]
            text.stylize(CATEGORY_STYLE[category_of(status)], *match.span("status"))
            text.stylize("dim", 0, 8)
            return
        marker = MARKER.match(plain)
        if marker:
            text.stylize(LEVEL_STYLE[marker["word"]], *marker.span("word"))


class EventLog(Log):
    """The roll's events as lines; `push` buffers, `flush` writes the batch in one call."""

    DEFAULT_CSS = """
    EventLog {
        height: 1fr;
        border: round $primary 50%;
        border-title-color: $text-muted;
    }
    """

    def __init__(self, *, max_lines: int = MAX_LINES, id: str | None = None) -> None:
        super().__init__(max_lines=max_lines, highlight=True, auto_scroll=True, id=id)
        self.highlighter = StatusHighlighter()
        self._buffer: list[str] = []
        self.border_title = "events"

    @property
    def follow(self) -> bool:
        """Whether new lines scroll the log to its end."""
        return self.auto_scroll

    @follow.setter
    def follow(self, value: bool) -> None:
        self.auto_scroll = value
        self.border_title = "events" if value else "events (paused: f follows again)"
        if value:
            self.scroll_end(animate=False)

    def push(self, lines: Iterable[str]) -> None:
        self._buffer.extend(lines)

    def flush(self) -> int:
        """Write the buffered lines in one batch; returns how many were buffered."""
        count = len(self._buffer)
        if count:
            # lines the cap would drop at once are never written
            batch = self._buffer[-self.max_lines :] if self.max_lines else self._buffer
            self._buffer = []
            # Log follows only while already at the end; a resize or an early write
            # (before layout) would stop it for good, so follow explicitly instead
            self.write_lines(batch, scroll_end=False)
            if self.follow:
                self.scroll_end(animate=False, x_axis=False)
        return count

    def on_resize(self) -> None:
        if self.follow:
            self.scroll_end(animate=False, x_axis=False)
