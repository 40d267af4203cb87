"""Instance replacement during an instance keyroll: batch n of m, old and new ids, services.

Hidden until the roll reports `InstanceProgress` or `ServiceProcesses` (a rack-key roll
replaces no instance).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.core.preflight import MIN_SAFE_PROCESSES
from tui.core.rolls.events import InstanceProgress, ServiceProcesses
from tui.widgets.theme import theme_style

NEW_STYLE, OLD_STYLE, GONE_STYLE = "complete", "warning", "gone"  # the theme's style names
SHORT_STYLE, RISK_STYLE = "failed", "warning"


def batch_bar(batch: int, batches: int) -> str:
    """`▰▰▱` for batch 2 of 3."""
    done = max(0, min(batch, batches))
    return "▰" * done + "▱" * (batches - done)


def instance_rows(progress: InstanceProgress) -> list[tuple[str, tuple[str, ...], str, str]]:
    """(label, ids, style name, what) rows; during a rollback the instances it launches have the
    old key pair, so "new" would mislead: only those from before the roll and the gone."""
    if progress.rolling_back:
        return [
            ("old ", progress.old_remaining, NEW_STYLE, "from before the roll, untouched"),
            ("gone", progress.terminated, GONE_STYLE, "terminated"),
        ]
    return [
        ("new ", progress.new_in_service, NEW_STYLE, "in service"),
        ("old ", progress.old_remaining, OLD_STYLE, "still running"),
        ("gone", progress.terminated, GONE_STYLE, "terminated"),
    ]


def rollback_words(progress: InstanceProgress) -> str:
    """The rollback's state: how many instances with the new key pair it still replaces, or
    that none is left (once the last one is gone it has no count to give)."""
    if progress.new_key_left:
        return f"rolling back: {progress.new_key_left} with the new key pair to replace"
    return "rolled back: no instance has the new key pair"


class InstanceReplacement(Static):
    """The newest `InstanceProgress` and each service's running/desired processes."""

    DEFAULT_CSS = """
    InstanceReplacement {
        height: auto;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        padding: 0 1;
        display: none;
    }
    InstanceReplacement.-active {
        display: block;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.progress: InstanceProgress | None = None
        self.services: dict[tuple[str, str], ServiceProcesses] = {}

    def feed(self, event: InstanceProgress | ServiceProcesses) -> None:
        """Keep the newest progress and each service's newest count; `redraw()` per batch."""
        if isinstance(event, InstanceProgress):
            self.progress = event
        else:
            self.services[(event.app, event.service)] = event

    def redraw(self) -> None:
        if self.progress is None and not self.services:
            return
        self.add_class("-active")
        self.update(self.render_progress())

    def render_progress(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        progress = self.progress
        text.append("instances  ", style="bold")
        if progress is None:
            text.append("waiting for the first batch", style="dim")
        else:
            if progress.rolling_back:
                text.append(rollback_words(progress) + "  ", style=theme_style(SHORT_STYLE))
            text.append(f"batch {progress.batch} of {progress.batches}  ")
            text.append(batch_bar(progress.batch, progress.batches), style=theme_style(NEW_STYLE))
            rows = instance_rows(progress)
            for label, ids, style, what in rows:
                if ids:
                    text.append(f"\n  {label} ", style="bold")
                    text.append(" ".join(ids), style=theme_style(style))
                    text.append(f"  {what}", style="dim")
        for (app, service), count in sorted(self.services.items()):
            style = (
                SHORT_STYLE
                if count.running < count.desired
                else RISK_STYLE
                if count.running < MIN_SAFE_PROCESSES
                else NEW_STYLE
            )
            text.append(f"\n  {app}/{service}", style="bold")
            text.append(f"  {count.running}/{count.desired} running", style=theme_style(style))
        return text
