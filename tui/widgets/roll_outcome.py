"""The end of a roll in words: outcome, why, the failed resources' reasons, downtime, warnings."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from tui.core.rolls.account_key import is_account_name
from tui.core.rolls.events import Outcome, RollKind
from tui.core.rolls.instance_key import SSH_KEY_MISMATCH
from tui.core.rolls.summary import RollSummary
from tui.widgets.roll_header import KIND_WORDS, target_words
from tui.widgets.theme import theme_style

GOOD, BAD, WARN = "complete-bold", "failed", "warning"  # the theme's style names
RETRYABLE = frozenset({Outcome.ROLLED_BACK, Outcome.FAILED})
REASONS_NOTE = "CloudFormation's reasons:"  # the same reasons are listed under Failed resources


def headline(summary: RollSummary) -> tuple[str, str]:
    """(sentence, the name of its style in the theme) saying how the roll ended."""
    what = KIND_WORDS.get(summary.kind, "key")
    rack = target_words(summary.rack)
    whose = f"the {what} of {rack}" if is_account_name(summary.rack) else f"{rack}'s {what}"
    status = summary.final_stack_status
    at = f" ({status})" if status else ""
    outcome = summary.outcome
    if outcome is Outcome.SUCCEEDED:
        return f"The {what} of {rack} was rolled{at}.", GOOD
    if outcome is Outcome.ROLLED_BACK:
        kept = (
            "instances keep the old key pair"
            if summary.kind == RollKind.INSTANCE_KEY
            else ("old key stays current")
        )
        return f"The roll of {whose} rolled back{at}: the {kept}.", BAD
    if outcome is Outcome.FAILED:
        return f"The roll of {whose} failed{at}.", BAD
    if outcome is Outcome.REFUSED:
        return f"The roll of {whose} was refused before anything changed.", WARN
    return (
        f"Stopped watching {rack}: the journal keeps the roll, and `keyroll resume` (or the "
        "dashboard at its next start) finishes it.",
        WARN,
    )


def can_retry(summary: RollSummary) -> bool:
    """An instance keyroll that rolled back or failed may be started again with `t`."""
    return summary.kind == RollKind.INSTANCE_KEY and summary.outcome in RETRYABLE


def outcome_text(
    summary: RollSummary,
    errors: Sequence[str],
    *,
    retry: bool,
    closing: Sequence[str] = (),
) -> Text:
    """Everything the person needs once the roll is over, most important first.

    `errors` are the roll's error sentences; `closing` its last notes (what to know after).
    """
    sentence, style = headline(summary)
    text = Text()
    text.append(sentence, style=theme_style(style))
    for error in dict.fromkeys(errors):
        if error == SSH_KEY_MISMATCH:
            continue
        text.append(f"\n{error}")
    reasons = list(dict.fromkeys(summary.failure_reasons))
    if reasons:
        text.append("\nFailed resources:", style="bold")
        for reason in reasons:
            text.append(f"\n  • {reason}", style=theme_style(BAD))
    probes = summary.probes
    if not probes:  # refused, unfinished, or no probe ran: no claim of zero downtime
        text.append("\nMeasured downtime: ", style="bold")
        text.append("not measured")
    else:
        downtime = summary.downtime_s or 0.0
        longest = summary.longest_outage_s or 0.0
        text.append("\nMeasured downtime: ", style="bold")
        text.append(
            f"{downtime:.1f} s over {probes} probes (longest outage {longest:.1f} s)",
            style=theme_style(BAD if downtime else GOOD),
        )
    if summary.old_key_refused is True:
        text.append("\nThe rack refuses the old key.", style=theme_style(GOOD))
    for warning in dict.fromkeys(summary.warnings):
        text.append(f"\n⚠ {warning}", style=theme_style(WARN))
    if SSH_KEY_MISMATCH in errors:
        text.append(f"\n{SSH_KEY_MISMATCH}", style=theme_style(BAD))
    for note in dict.fromkeys(closing):
        if note not in errors and not note.startswith(REASONS_NOTE):
            text.append(f"\n{note}")
    if retry:
        text.append("\nPress ")
        text.append("t", style="bold reverse")
        text.append(" to start the same instance keyroll again (once the stack is stable).")
    return text


class RollOutcome(Static):
    """Hidden while the roll runs; at its end, `show(...)` fills it."""

    DEFAULT_CSS = """
    RollOutcome {
        height: auto;
        max-height: 12;
        overflow-y: auto;
        padding: 0 1;
        border: round $primary;
        border-title-color: $text;
        display: none;
    }
    RollOutcome.-shown {
        display: block;
    }
    RollOutcome.-bad {
        border: round $error;
    }
    """

    def show(
        self,
        summary: RollSummary,
        errors: Sequence[str],
        *,
        retry: bool,
        closing: Sequence[str] = (),
    ) -> None:
        self.border_title = "outcome"
        self.set_class(summary.outcome is not Outcome.SUCCEEDED, "-bad")
        self.add_class("-shown")
        self.update(outcome_text(summary, errors, retry=retry, closing=closing))
