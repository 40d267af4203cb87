"""The rack's availability during a roll: a sparkline of probes (up and latency, or down).

`ProbeTimeline` counts the probes and their outages (plain logic); `AvailabilityTimeline`
draws the newest probes as one row of bars, green by latency, red when the rack was down,
with the outage total and the longest outage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.widgets import Static

from tui.core.rolls.events import ProbeSeen
from tui.widgets.theme import theme_style

BARS = "▁▂▃▄▅▆▇█"
DOWN_BAR = "█"
UP_STYLE, DOWN_STYLE, SLOW_STYLE = "complete", "failed", "warning"  # the theme's style names
SLOW_S = 1.0  # a probe slower than this is drawn in yellow


@dataclass
class ProbeTimeline:
    """Every probe of a roll, with its outages counted in probes."""

    interval_s: float = 1.0
    probes: list[ProbeSeen] = field(default_factory=list)
    down: int = 0
    longest_down_run: int = 0
    _run: int = 0

    def add(self, probe: ProbeSeen) -> None:
        self.probes.append(probe)
        if probe.up:
            self._run = 0
            return
        self.down += 1
        self._run += 1
        self.longest_down_run = max(self.longest_down_run, self._run)

    @property
    def outage_s(self) -> float:
        """Estimated unavailability: down probes times the probe interval."""
        return self.down * self.interval_s

    @property
    def longest_outage_s(self) -> float:
        return self.longest_down_run * self.interval_s

    @property
    def last_latency_ms(self) -> int | None:
        last = next((p for p in reversed(self.probes) if p.up), None)
        return round(last.latency_s * 1000) if last else None

    def sparkline(self, width: int) -> Text:
        """The newest `width` probes: bar height by latency, red full bars when down."""
        shown = self.probes[-width:] if width > 0 else []
        top = max((p.latency_s for p in shown if p.up), default=0.0) or 1.0
        text = Text(no_wrap=True)
        for probe in shown:
            if not probe.up:
                text.append(DOWN_BAR, style=theme_style(DOWN_STYLE))
                continue
            level = min(len(BARS) - 1, int(probe.latency_s / top * (len(BARS) - 1)))
            slow = probe.latency_s >= SLOW_S
            text.append(BARS[level], style=theme_style(SLOW_STYLE if slow else UP_STYLE))
        return text


class AvailabilityTimeline(Static):
    """Probe sparkline and outage figures; `measured(...)` shows the roll's final numbers."""

    DEFAULT_CSS = """
    AvailabilityTimeline {
        height: auto;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        padding: 0 1;
    }
    """

    def __init__(self, interval_s: float = 1.0, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.timeline = ProbeTimeline(interval_s)
        self._measured: tuple[float, float] | None = None

    def feed(self, probe: ProbeSeen) -> None:
        """Add one probe; call `redraw()` once per batch."""
        self.timeline.add(probe)

    def measured(self, downtime_s: float, longest_s: float) -> None:
        """The roll's own measurement at its end replaces the estimate."""
        self._measured = (downtime_s, longest_s)

    def redraw(self) -> None:
        self.update(self.render_timeline(max(10, self.content_size.width)))

    def on_resize(self) -> None:
        self.redraw()

    def render_timeline(self, width: int) -> Text:
        line = self.timeline
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("availability  ", style="bold")
        if not line.probes:
            text.append("no probes yet", style="dim")
            return text
        text.append(f"{len(line.probes)} probes  ")
        text.append(f"{line.down} down", style=theme_style(DOWN_STYLE if line.down else UP_STYLE))
        latency = line.last_latency_ms
        if latency is not None:
            text.append(f"  latency {latency} ms", style="dim")
        if self._measured is not None:
            total, longest = self._measured
            label = "measured downtime"
        else:
            total, longest = line.outage_s, line.longest_outage_s
            label = "outage ≈"
        style = theme_style(DOWN_STYLE if total else UP_STYLE)
        text.append(f"\n{label} {total:.1f} s  longest {longest:.1f} s", style=style)
        text.append("\n")
        text.append_text(line.sparkline(width))
        return text
