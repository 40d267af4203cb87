"""The roll's event log: one line an event, written in batches, capped, following the tail.

Writing 10,000 lines one at a time blocks Textual's loop for seconds; one `write_lines`
batch takes a fraction of that. So lines are buffered by `push` and flushed by the caller
once per batch (`flush`), and the widget keeps only the newest `max_lines` (the run keeps
every event).
"""

from __future__ import annotations

import re
import textwrap
from collections import deque
from collections.abc import Iterable
from datetime import datetime

from rich.highlighter import Highlighter
from rich.text import Text
from textual.widgets import Log

from tui.core.rolls.events import (
    Finished,
    InstanceProgress,
    Note,
    PhaseChanged,
    ProbeSeen,
    RollEvent,
    ServiceProcesses,
)
from tui.core.rolls.wording import clock as clock_words
from tui.core.rolls.wording import describe
from tui.widgets.resource_board import CATEGORY_STYLE, category_of
from tui.widgets.theme import ThemeStyles

MAX_LINES = 2000
TIME_WIDTH = 8
BLANK_TIME = " " * TIME_WIDTH
CONTINUED = " " * (TIME_WIDTH + 2)  # a wrapped line goes on under the text, after the time
MIN_WRAP_WIDTH = 30  # narrower than this (before the first layout) lines are not wrapped
LEVEL_STYLE = ThemeStyles({"warning:": "warning-bold", "error:": "failed", "throttled": "warning"})
TIME = re.compile(r"^\d\d:\d\d:\d\d")
STACK_LINE = re.compile(r"^[\d: ]{8}  \S+ +(?P<status>[A-Z]+(?:_[A-Z]+)+)\b")
MARKER = re.compile(r"^[\d: ]{8}  (?P<word>warning:|error:)")
# a throttle notice as `describe` words it: `<reason>: waiting N s before asking AWS again`
THROTTLE = re.compile(r"^[\d: ]{8}  (?P<word>[^:]+): waiting .+ before asking AWS again")


def clock(moment: datetime | None) -> str:
    """`09:30:04` in local time, or blanks when the moment is unknown."""
    return clock_words(moment) if moment is not None else BLANK_TIME


def event_text(event: RollEvent) -> str | None:
    """What one event says in the log, without a time: its words (`describe`), lined up in
    columns, a milestone after a `──` rule and an info note after `·`. None for the events
    other widgets show (probes, services)."""
    if isinstance(event, ProbeSeen | ServiceProcesses):
        return None
    words = describe(event, columns=True)
    if words is None:
        return None
    if isinstance(event, PhaseChanged | InstanceProgress | Finished):
        return f"── {words}"
    if isinstance(event, Note) and event.level == "info":
        return f"· {words}"
    return words


def event_line(event: RollEvent, learned: datetime | None = None) -> str | None:
    """The log line of one event, stamped with the moment keyroll `learned` it.

    One clock for every line: keyroll's. CloudFormation's clock (the sandbox's, sped up; or
    AWS's, skewed) would interleave with it and put events in the future.
    """
    text = event_text(event)
    return None if text is None else f"{clock(learned)}  {text}"


def wrap_line(line: str, width: int) -> list[str]:
    """`line` cut to `width` columns, its continuations indented under the text."""
    if width < MIN_WRAP_WIDTH or len(line) <= width:
        return [line]
    return textwrap.wrap(
        line,
        width,
        subsequent_indent=CONTINUED,
        break_on_hyphens=False,
        drop_whitespace=True,
    ) or [line]


class StatusHighlighter(Highlighter):
    """Dims the time; colours a stack event's status by category, and warning/error/throttle
    markers."""

    def highlight(self, text: Text) -> None:
        plain = text.plain
        if TIME.match(plain):
            text.stylize("dim", 0, TIME_WIDTH)
        match = STACK_LINE.match(plain)
        if match:
            status = match["status"]
            text.stylize(CATEGORY_STYLE[category_of(status)], *match.span("status"))
            return
        marker = MARKER.match(plain)
        if marker:
            text.stylize(LEVEL_STYLE[marker["word"]], *marker.span("word"))
            return
        throttle = THROTTLE.match(plain)
        if throttle:
            text.stylize(LEVEL_STYLE["throttled"], *throttle.span("word"))


class EventLog(Log):
    """The roll's events as lines, wrapped to the width; `push` buffers, `flush` writes."""

    DEFAULT_CSS = """
    EventLog {
        height: 1fr;
        border: round $primary 50%;
        border-title-color: $text-muted;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        scrollbar-background: $panel;
        scrollbar-color: $primary 60%;
    }
    """

    def __init__(self, *, max_lines: int = MAX_LINES, id: str | None = None) -> None:
        super().__init__(max_lines=max_lines, highlight=True, auto_scroll=True, id=id)
        self.highlighter = StatusHighlighter()
        self._buffer: list[str] = []
        self.entries: deque[str] = deque(maxlen=max_lines)  # the lines as written, unwrapped
        self._wrapped_to = 0
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
            self.entries.extend(batch)
            self._write(batch)
        return count

    def _write(self, lines: Iterable[str]) -> None:
        width = self._wrap_width()
        self._wrapped_to = width
        wrapped = [part for line in lines for part in wrap_line(line, width)]
        # Log follows only while already at the end; a resize or an early write
        # (before layout) would stop it for good, so follow explicitly instead
        self.write_lines(wrapped, scroll_end=False)
        if self.follow:
            self.scroll_end(animate=False, x_axis=False)

    def _wrap_width(self) -> int:
        return self.scrollable_content_region.width

    def on_resize(self) -> None:
        if self._wrap_width() != self._wrapped_to and self.entries:
            self.clear()  # the lines wrap anew to the new width
            self._write(list(self.entries))
        elif self.follow:
            self.scroll_end(animate=False, x_axis=False)
