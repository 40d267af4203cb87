"""The roll screen's header: what is rolled where, the phase, elapsed time, and the outcome."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from tui.core.rolls.account_key import account_console_host
from tui.core.rolls.events import Outcome, RollKind
from tui.widgets.resource_board import CATEGORY_STYLE, category_of
from tui.widgets.theme import theme_style

KIND_WORDS: dict[str, str] = {  # by RollKind (a str)
    RollKind.RACK_KEY: "rack API key",
    RollKind.INSTANCE_KEY: "instance SSH key",
    RollKind.ACCOUNT_KEY: "account API key",
}


def target_words(name: str) -> str:
    """How a roll's target reads in a sentence: a rack's name, or the account on a Console
    (the journal calls an account-key roll's target `account@<console host>`)."""
    host = account_console_host(name)
    return name if host is None else f"your Console account ({host})"


OUTCOME_WORDS = {  # outcome -> (its words, the name of its badge's style in the theme)
    Outcome.SUCCEEDED: ("succeeded", "succeeded-badge"),
    Outcome.ROLLED_BACK: ("rolled back", "alarm-badge"),
    Outcome.FAILED: ("failed", "alarm-badge"),
    Outcome.REFUSED: ("refused", "refused-badge"),
}
STOPPED = ("stopped watching", "stopped-badge")


def elapsed_words(seconds: float) -> str:
    """`0:07`, `12:34`, `1:02:03`."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass
class HeaderState:
    """What the header shows; the screen fills it from the run's events."""

    rack: str
    kind: str
    route: str
    production: bool = False
    phase: str = "starting"
    stack_status: str = ""
    watched_with: str = ""
    elapsed_s: float = 0.0
    ended: bool = False
    outcome: Outcome | None = None


class RollHeader(Static):
    """Two lines: the roll, then its phase, elapsed time, stack status and outcome."""

    DEFAULT_CSS = """
    RollHeader {
        height: auto;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        padding: 0 1;
        background: $boost;
    }
    """

    def __init__(self, state: HeaderState, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.state = state

    def on_mount(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        self.update(self.render_header())

    def render_header(self) -> Text:
        s = self.state
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{KIND_WORDS.get(s.kind, s.kind)} roll", style="bold")
        text.append(" of ")
        text.append(target_words(s.rack), style="bold")
        text.append(f" via {s.route}")
        if s.production:
            text.append("  ")
            text.append(" PRODUCTION ", style=theme_style("production-badge"))
        if s.ended:
            words, style = OUTCOME_WORDS.get(s.outcome, STOPPED) if s.outcome else STOPPED
            text.append("  ")
            text.append(f" {words.upper()} ", style=theme_style(style))
        text.append("\nphase ", style="dim")
        text.append(s.phase, style="bold")
        text.append("   elapsed ", style="dim")
        text.append(elapsed_words(s.elapsed_s), style="bold")
        if s.stack_status:
            text.append("   stack ", style="dim")
            text.append(s.stack_status, style=CATEGORY_STYLE[category_of(s.stack_status)])
        if s.watched_with:
            text.append(f"   watched through {s.watched_with}", style="dim")
        return text
