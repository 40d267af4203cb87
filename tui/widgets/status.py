"""Status words, roll outcomes and badges in Rain's colours, and the banner of the app's modes.

In progress blue, complete green, failed or rolled back red; production in its own colour
so nobody mistakes it for staging (k9s's production skin). The colours are the theme's
(`tui/widgets/theme.py`); the tables below name its styles.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from tui.widgets.theme import theme_style

if TYPE_CHECKING:
    from tui.core.session import DashboardSession

STATUS_STYLES = {  # rack status -> the name of its style in the theme
    "running": "complete",
    "updating": "in-progress",
    "converging": "in-progress",
    "creating": "in-progress",
    "deleting": "in-progress",
    "rollback": "failed",
    "failed": "failed",
}
OUTCOME_STYLES = {  # roll outcome -> the name of its style in the theme
    "succeeded": "complete",
    "rolled_back": "failed",
    "failed": "failed",
    "refused": "unknown",
    "running": "in-progress",
    "unfinished": "in-progress",
}
OUTCOME_WORDS = {"rolled_back": "rolled back"}


def status_text(status: str) -> Text:
    """A rack status word (`running`, `updating`, ...) in its colour; `…` while unknown yet."""
    if not status:
        return Text("…", style=theme_style("muted"))
    return Text(status, style=theme_style(STATUS_STYLES.get(status, "unknown")))


def outcome_text(outcome: str | None) -> Text:
    """A roll outcome in its colour; None reads `unfinished`."""
    word = outcome or "unfinished"
    style = theme_style(OUTCOME_STYLES.get(word, "unknown"))
    return Text(OUTCOME_WORDS.get(word, word), style=style)


def production_badge(production: bool) -> Text:
    """` PRODUCTION ` on its own colour, or nothing."""
    return Text(" PRODUCTION ", style=theme_style("production-badge")) if production else Text("")


def read_only_badge(read_only: bool) -> Text:
    """` READ-ONLY ` for a rack keyroll may not roll, or nothing."""
    return Text(" READ-ONLY ", style=theme_style("read-only-badge")) if read_only else Text("")


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
