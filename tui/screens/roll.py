"""The live roll screen: phase, resources, events, availability, instances, and the outcome.

The run keeps every event; the screen renders from `run.events` when it opens and then
follows. An update message arms a timer: `BURST_S` (the rest of the poll's events come in
the meantime) when the last draw is older than `FLUSH_S`, else the rest of `FLUSH_S`. So a
poll's events show at once, and however fast events arrive, the widgets redraw at most ten
times a second, each time with the whole batch.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header

from tui.core.roll_runs import RollRun
from tui.core.rolls.events import (
    BackoffNotice,
    Finished,
    InstanceProgress,
    Note,
    PhaseChanged,
    ProbeSeen,
    RollEvent,
    ServiceProcesses,
    StackEventSeen,
    StackEventSource,
)
from tui.core.rolls.summary import RollSummary
from tui.core.rolls.watch import MODE_CLOUDFORMATION, wait_words
from tui.core.session import READ_ONLY_SENTENCE, DashboardSession
from tui.messages import DashboardSignals, OpenRoll, RollUpdate
from tui.screens import breakpoints
from tui.screens.dialogs import ConfirmDialog
from tui.screens.in_view import in_view
from tui.screens.refused_keys import REFUSE_ACTION
from tui.widgets.availability import AvailabilityTimeline
from tui.widgets.event_log import EventLog, clock, event_line
from tui.widgets.instance_progress import InstanceReplacement
from tui.widgets.resource_board import ResourceBoard
from tui.widgets.roll_header import HeaderState, RollHeader, target_words
from tui.widgets.roll_outcome import RollOutcome, can_retry

FLUSH_S = 0.1  # at most ten redraws a second, whatever the event rate
BURST_S = 0.02  # a poll's events arrive one message each: wait this long for the rest
WATCHED_BY_CLOUDFORMATION = "CloudFormation"
WATCHED_BY_RACK = "the rack's status (CloudFormation events need AWS access)"


class RollScreen(Screen[None]):
    """One roll, live: `escape` goes back while it goes on, `c` stops watching it."""

    VERTICAL_BREAKPOINTS = breakpoints.VERTICAL  # also in test apps, which set none
    HORIZONTAL_BREAKPOINTS = breakpoints.HORIZONTAL

    DEFAULT_CSS = """
    RollScreen #roll-top {
        height: auto;
        max-height: 13;
    }
    RollScreen #roll-board {
        width: 1fr;
        height: auto;
        max-height: 13;
        border: round $primary 50%;
        border-title-color: $text-muted;
    }
    RollScreen #roll-side {
        width: 1fr;
        height: auto;
        max-height: 13;
        border: round $primary 50%;
        border-title-color: $text-muted;
        scrollbar-size-vertical: 1;
    }
    /* a short terminal: the panels give way so the log keeps some rows beside the outcome */
    RollScreen.-short #roll-top, RollScreen.-short #roll-board, RollScreen.-short #roll-side {
        max-height: 8;
    }
    RollScreen.-short #roll-log {
        min-height: 5;
    }
    RollScreen.-short #roll-outcome {
        max-height: 7;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "back",
            "Back",
            id="roll.back",
            tooltip="Go back; the roll goes on and the header counts it.",
        ),
        Binding(
            "f",
            "toggle_follow",
            "Follow",
            id="roll.follow",
            tooltip="Follow the newest events, or pause to read back.",
        ),
        Binding(
            "c",
            "stop_watching",
            "Stop watching",
            id="roll.stop",
            tooltip="Stop watching this roll; the journal keeps it for resume.",
        ),
        Binding(
            "t",
            "retry",
            "Retry keyroll",
            id="roll.retry",
            tooltip="Start the same instance keyroll again.",
        ),
        Binding("t", REFUSE_ACTION, "", show=False),  # read-only: `t` says why it does nothing
    ]

    def __init__(self, session: DashboardSession, signals: DashboardSignals, run: RollRun) -> None:
        super().__init__()
        self.session = session
        self.signals = signals
        self.roll_run = run
        roll = run.roll
        rack = roll.target.rack if roll is not None else None
        self.header_state = HeaderState(
            rack=run.rack,
            kind=run.kind,
            route=run.route,
            production=bool(rack and rack.production),
        )
        roots = {run.rack, rack.stack if rack else run.rack.rsplit("/", 1)[-1]}
        self.board = ResourceBoard(roots, id="roll-resources")
        self.availability = AvailabilityTimeline(
            roll.options.probe_s if roll is not None else 1.0, id="roll-availability"
        )
        self.fleet = InstanceReplacement(id="roll-instances")
        self.log_view = EventLog(id="roll-log")
        self.header_bar = RollHeader(self.header_state, id="roll-header")
        self.outcome = RollOutcome(id="roll-outcome")
        self.errors: list[str] = []
        self.closing: list[str] = []
        self._seen = 0
        self._last_up: bool | None = None
        self._flush_timer: Timer | None = None
        self._drawn_at = float("-inf")  # time.monotonic() of the last draw
        self._ticker: Timer | None = None
        self._ended = False

    # layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.header_bar
        with Horizontal(id="roll-top"):
            board_box = VerticalScroll(self.board, id="roll-board")
            board_box.border_title = "resources"
            yield board_box
            side = VerticalScroll(self.availability, self.fleet, id="roll-side")
            side.border_title = "rack"
            yield side
        yield self.log_view
        yield self.outcome
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"roll · {target_words(self.roll_run.rack)}"
        self.signals.listen(self, self.signals.roll_updated, self.roll_updated)
        self.signals.listen(self, self.signals.roll_ended, self.roll_ended)
        self._drain()
        if not self._ended:
            self._ticker = self.set_interval(1.0, self._tick)
        self.log_view.focus()

    # following the run ---------------------------------------------------------------------

    def roll_updated(self, update: RollUpdate) -> None:
        if update.run is not self.roll_run or self._flush_timer is not None:
            return
        if not in_view(self):
            return
        if len(self.roll_run.events) == self._seen:
            return  # an earlier message of the same burst drew this event already
        wait = max(BURST_S, self._drawn_at + FLUSH_S - time.monotonic())
        self._flush_timer = self.set_timer(wait, self._drain)

    def roll_ended(self, run: RollRun) -> None:
        if run is self.roll_run and in_view(self):
            self._drain()

    def _tick(self) -> None:
        self.header_state.elapsed_s = self.roll_run.elapsed_s
        self.header_bar.redraw()

    def _drain(self) -> None:
        """Fold every event not yet shown into the widgets, then redraw each once."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        self._drawn_at = time.monotonic()
        events = self.roll_run.events
        first = self._seen
        fresh = events[first : len(events)]
        self._seen += len(fresh)
        lines: list[str] = []
        finished: Finished | None = None
        for index, event in enumerate(fresh, first):
            line = self._fold(event, self.roll_run.learned(index))
            if line is not None:
                lines.append(line)
            if isinstance(event, Finished):
                finished = event
        if fresh:
            self.log_view.push(lines)
            self.log_view.flush()
            self.board.redraw()
            self.availability.redraw()
            self.fleet.redraw()
        self.header_state.stack_status = self.board.states.stack_status
        self._tick()
        if finished is not None and not self._ended:
            self._end(finished)

    def _fold(self, event: RollEvent, learned: datetime | None) -> str | None:
        """Give one event to its widget; returns its log line (stamped `learned`), if any."""
        state = self.header_state
        if isinstance(event, StackEventSeen):
            self.board.feed(event)
            rack_api = event.source is StackEventSource.RACK_STATUS
            state.watched_with = WATCHED_BY_RACK if rack_api else WATCHED_BY_CLOUDFORMATION
        elif isinstance(event, ProbeSeen):
            self.availability.feed(event)
            return self._probe_line(event, learned)
        elif isinstance(event, InstanceProgress | ServiceProcesses):
            self.fleet.feed(event)
        elif isinstance(event, PhaseChanged):
            state.phase = event.phase.value
            self.closing = []  # only the notes after the last step close the roll
        elif isinstance(event, Note) and event.level == "error":
            self.errors.append(event.text)
        elif isinstance(event, Note) and event.level == "info":
            self.closing.append(event.text)
        elif isinstance(event, BackoffNotice):
            self.notify(
                f"AWS throttled the watch; retrying in {wait_words(event.delay_s)}.",
                severity="warning",
                timeout=min(8.0, max(3.0, event.delay_s)),
            )
        return event_line(event, learned)

    def _probe_line(self, probe: ProbeSeen, learned: datetime | None) -> str | None:
        """A log line only when the rack starts or stops answering (or does not answer the
        first probe: the Console route switches keys before the rack does)."""
        was, self._last_up = self._last_up, probe.up
        if was == probe.up or (was is None and probe.up):
            return None
        if probe.up:
            return f"{clock(learned)}  · the rack answers again ({probe.detail or 'up'})"
        return f"{clock(learned)}  error: the rack stopped answering ({probe.detail or 'down'})"

    def _end(self, finished: Finished) -> None:
        self._ended = True
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        run = self.roll_run
        summary = finished.summary or RollSummary(
            kind=run.kind, rack=run.rack, via=run.route, outcome=finished.outcome
        )
        state = self.header_state
        state.ended, state.outcome = True, finished.outcome
        state.phase = "done" if finished.outcome is not None else "stopped"
        state.stack_status = summary.final_stack_status or state.stack_status
        watched = summary.watched_with
        if watched:
            state.watched_with = (
                WATCHED_BY_CLOUDFORMATION if watched == MODE_CLOUDFORMATION else WATCHED_BY_RACK
            )
        self.header_bar.redraw()
        if summary.probes:
            self.availability.measured(summary.downtime_s or 0.0, summary.longest_outage_s or 0.0)
            self.availability.redraw()
        retry = self._retry_allowed() and not self.session.read_only
        self.outcome.show(summary, self.errors, retry=retry, closing=self.closing)
        self.refresh_bindings()

    # actions -------------------------------------------------------------------------------

    def _retry_allowed(self) -> bool:
        finished = self.roll_run.finished
        return finished is not None and finished.summary is not None and can_retry(finished.summary)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what cannot apply, and the retry in read-only mode (then `t` says why)."""
        read_only = self.session.read_only
        if action == "stop_watching":
            return self.roll_run.running and not self._ended
        if action == "retry":
            return self._retry_allowed() and not read_only
        if action == REFUSE_ACTION:
            return self._retry_allowed() and read_only
        return True

    def action_refuse(self) -> None:
        self.notify(READ_ONLY_SENTENCE, severity="warning")

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_toggle_follow(self) -> None:
        self.log_view.follow = not self.log_view.follow

    def action_stop_watching(self) -> None:
        if self.roll_run.cancel.is_set():
            return
        self.roll_run.cancel.set()
        self.notify(
            f"Stopping the watch of {self.roll_run.rack}; the update goes on, and the journal "
            "keeps the roll for resume.",
            title="Stop watching",
        )

    def action_retry(self) -> None:
        run = self.roll_run
        production = self.header_state.production
        question = (
            f"Start the instance keyroll of {run.rack} again via {run.route}? CloudFormation "
            "replaces every instance once more."
        )
        self.app.push_screen(
            ConfirmDialog(question, run.rack if production else None), self._retry_confirmed
        )

    def _retry_confirmed(self, confirmed: bool | None) -> None:
        from tui.core.rolls.instance_key import InstanceKeyRoll

        old = self.roll_run.roll
        if not confirmed or not isinstance(old, InstanceKeyRoll):
            return
        run = self.session.start_roll(
            old.kind, old.target, old.route, options=old.options, force=old.force
        )
        self.app.pop_screen()
        self.app.post_message(OpenRoll(run))
