"""Status words, roll outcomes and badges in Rain's colours, and the banner of the app's modes.

In progress blue, complete green, failed or rolled back red; production in its own colour
so nobody mistakes it for staging (k9s's production skin).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from tui.core.session import DashboardSession

IN_PROGRESS_STYLE = "bold #5fafff"
COMPLETE_STYLE = "#5fd75f"
FAILED_STYLE = "bold #ff5f5f"
UNKNOWN_STYLE = "#d7af5f"
MUTED_STYLE = "#8a8a8a"
PRODUCTION_STYLE = "bold #ffffff on #af005f"
READ_ONLY_STYLE = "bold #000000 on #d7af5f"

STATUS_STYLES = {
    "running": COMPLETE_STYLE,
    "updating": IN_PROGRESS_STYLE,
    "converging": IN_PROGRESS_STYLE,
    "creating": IN_PROGRESS_STYLE,
    "deleting": IN_PROGRESS_STYLE,
    "rollback": FAILED_STYLE,
    "failed": FAILED_STYLE,
}
OUTCOME_STYLES = {
    "succeeded": COMPLETE_STYLE,
    "rolled_back": FAILED_STYLE,
    "failed": FAILED_STYLE,
    "refused": UNKNOWN_STYLE,
    "running": IN_PROGRESS_STYLE,
    "unfinished": IN_PROGRESS_STYLE,
}
OUTCOME_WORDS = {"rolled_back": "rolled back"}


def status_text(status: str) -> Text:
    """A rack status word (`running`, `updating`, ...) in its colour; `…` while unknown yet."""
    if not status:
        return Text("…", style=MUTED_STYLE)
    return Text(status, style=STATUS_STYLES.get(status, UNKNOWN_STYLE))


def outcome_text(outcome: str | None) -> Text:
    """A roll outcome in its colour; None reads `unfinished`."""
    word = outcome or "unfinished"
    return Text(OUTCOME_WORDS.get(word, word), style=OUTCOME_STYLES.get(word, UNKNOWN_STYLE))


def production_badge(production: bool) -> Text:
    """` PRODUCTION ` on its own colour, or nothing."""
    return Text(" PRODUCTION ", style=PRODUCTION_STYLE) if production else Text("")


def read_only_badge(read_only: bool) -> Text:
    """` READ-ONLY ` for a rack keyroll may not roll, or nothing."""
    return Text(" READ-ONLY ", style=READ_ONLY_STYLE) if read_only else Text("")


def mode_banner_text(*, sandboxed: bool, automatic: bool, scenario: str, read_only: bool) -> str:
    """The banner line for the app's modes, or "" when it runs on real racks, read-write."""
    parts = []
    if sandboxed:
        why = (
            "no Convox config and no keyroll racks were found, so keyroll started on its sandbox"
            if automatic
            else "--sandbox"
        )
        parts.append(
            f"SANDBOX ({why}): these racks are simulated on this machine "
            f"(scenario {scenario}); nothing real is touched."
        )
    if read_only:
        parts.append("READ-ONLY: nothing is rolled, switched or deleted; those keys are off.")
    return "\n".join(parts)


class ModeBanner(Static):
    """One line under the header saying the racks are simulated, or that nothing rolls."""

    def __init__(self, session: DashboardSession, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session

    def on_mount(self) -> None:
        session = self.session
        text = mode_banner_text(
            sandboxed=session.sandboxed,
            automatic=session.auto_sandbox,
            scenario=session.scenario,
            read_only=session.read_only,
        )
        self.update(text)
        self.display = bool(text)
        self.set_class(session.sandboxed, "-sandbox")
        self.set_class(session.read_only, "-read-only")


def age_text(iso: str | None, now: datetime | None = None) -> str:
    """How long ago an ISO time was, in the largest whole unit: `40s`, `12m`, `5h`, `3d`."""
    if not iso:
        return "-"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def when_text(iso: str | None) -> str:
    """An ISO time as `2024-04-15 12:00 UTC` (journal times are UTC)."""
    if not iso:
        return "-"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
