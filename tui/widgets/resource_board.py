"""A Rain-like board of the stack's resources during a roll: pending, in progress, complete, failed.

`ResourceStates` folds `StackEventSeen` events into each resource's latest status (plain
logic, tested on its own); `ResourceBoard` draws the counts and one coloured row a resource.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from tui.core.rolls.events import StackEventSeen
from tui.widgets.theme import ThemeStyles

PENDING, IN_PROGRESS, COMPLETE, FAILED = "pending", "in progress", "complete", "failed"
CATEGORIES = (PENDING, IN_PROGRESS, COMPLETE, FAILED)
# Rain's colours: in progress blue, complete green, failed or rollback red.
CATEGORY_STYLE = ThemeStyles(
    {PENDING: "pending", IN_PROGRESS: "in-progress", COMPLETE: "complete", FAILED: "failed"}
)
# Without AWS access the watch reports the rack's own status words (`GET /system`).
RACK_STATUS_CATEGORY = {
    "updating": IN_PROGRESS,
    "converging": IN_PROGRESS,
    "running": COMPLETE,
    "rollback": FAILED,
    "failed": FAILED,
}
STACK_TYPE = "AWS::CloudFormation::Stack"


def category_of(status: str) -> str:
    """The board's category of a CloudFormation status (or of a rack status word)."""
    if status in RACK_STATUS_CATEGORY:
        return RACK_STATUS_CATEGORY[status]
    if "FAILED" in status or "ROLLBACK" in status:
        return FAILED
    if status.endswith("_IN_PROGRESS"):
        return IN_PROGRESS
    if status.endswith("_COMPLETE"):
        return COMPLETE
    return PENDING


@dataclass
class ResourceState:
    """One resource's latest status in this roll."""

    logical_id: str
    status: str
    reason: str = ""
    resource_type: str = ""
    category: str = PENDING
    rolled_back: bool = False  # changed back by the stack's rollback
    failure: str = ""  # why it failed, kept through the rollback that follows


class ResourceStates:
    """The latest status of every resource the roll has seen, and of the stack itself.

    `roots` name the stack itself: its stack name and, watched through the rack API, the
    rack's name. Once the stack rolls back, every resource that already completed is pending
    again until CloudFormation rolls it back.
    """

    def __init__(self, roots: Iterable[str]) -> None:
        self.roots = frozenset(roots)
        self.stack_status = ""
        self.resources: dict[str, ResourceState] = {}

    def is_root(self, event: StackEventSeen) -> bool:
        if event.logical_id not in self.roots:
            return False
        return event.resource_type in ("", STACK_TYPE)

    def feed(self, event: StackEventSeen) -> None:
        """Fold one event in."""
        if self.is_root(event):
            self.stack_status = event.status
            if event.status == "UPDATE_ROLLBACK_IN_PROGRESS":
                for state in self.resources.values():
                    if state.category == COMPLETE:
                        state.category = PENDING
                        state.reason = "waiting to be rolled back"
            return
        before = self.resources.get(event.logical_id)
        state = ResourceState(
            event.logical_id,
            event.status,
            event.reason,
            event.resource_type,
            category_of(event.status),
        )
        if before is not None and before.failure:
            state.category, state.failure = FAILED, before.failure
        elif state.category == FAILED:
            state.failure = event.reason or event.status
        if "ROLLBACK" in self.stack_status and state.category == COMPLETE:
            state.rolled_back = True
        self.resources[event.logical_id] = state

    def counts(self) -> dict[str, int]:
        """How many resources are in each category, in board order."""
        counts = dict.fromkeys(CATEGORIES, 0)
        for state in self.resources.values():
            counts[state.category] += 1
        return counts


def counts_text(counts: dict[str, int]) -> Text:
    """`● 1 pending  ● 2 in progress  ...`, each in its category's colour."""
    text = Text()
    for category in CATEGORIES:
        if text:
            text.append("  ")
        text.append(f"● {counts[category]} {category}", style=CATEGORY_STYLE[category])
    return text


class ResourceBoard(Static):
    """The stack's resources in this roll, coloured by category, newest status each."""

    DEFAULT_CSS = """
    ResourceBoard {
        height: auto;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        padding: 0 1;
    }
    """

    def __init__(self, roots: Iterable[str], *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.states = ResourceStates(roots)

    def feed(self, event: StackEventSeen) -> None:
        """Fold one event in; call `redraw()` once per batch."""
        self.states.feed(event)

    def redraw(self) -> None:
        self.update(self.render_board())

    def render_board(self) -> Text:
        states = self.states
        text = counts_text(states.counts())
        if not states.resources:
            text.append("\nno resource events yet", style="dim")
        width = max((len(s.logical_id) for s in states.resources.values()), default=0)
        status_width = max((len(s.status) for s in states.resources.values()), default=0)
        for state in states.resources.values():
            style = CATEGORY_STYLE[FAILED if state.rolled_back else state.category]
            text.append("\n")
            text.append(f"{state.logical_id:<{width}}  ", style="bold")
            text.append(f"{state.status:<{status_width}}", style=style)
            if state.failure:
                text.append(f" failed: {state.failure}", style=CATEGORY_STYLE[FAILED])
            elif state.rolled_back:
                text.append(" rolled back", style=style)
            elif state.reason:
                text.append(f" {state.reason}", style="dim")
        text.no_wrap = True
        text.overflow = "ellipsis"
        return text
