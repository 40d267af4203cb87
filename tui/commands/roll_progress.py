"""How a headless roll speaks: progress lines as they happen, a summary line, or one JSON object.

Nothing here ever sees a key: events and summaries hold only fingerprints and sentences.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime
from typing import Any, TextIO

from tui.base.errors import EXIT_FAILED, EXIT_OK, EXIT_REFUSED
from tui.core.rolls.events import (
    Finished,
    Outcome,
    PhaseChanged,
    ProbeSeen,
    RollEvent,
    RollKind,
    ServiceProcesses,
)
from tui.core.rolls.summary import RollSummary
from tui.core.rolls.wording import clock, describe

EXIT_FOR_OUTCOME = {
    Outcome.SUCCEEDED: EXIT_OK,
    Outcome.ROLLED_BACK: EXIT_FAILED,
    Outcome.FAILED: EXIT_FAILED,
    Outcome.REFUSED: EXIT_REFUSED,
}


def exit_code_for(outcome: Outcome | None) -> int:
    """0 success (or started with --no-wait), 1 failed or rolled back, 3 refused."""
    if outcome is None:
        return EXIT_OK
    return EXIT_FOR_OUTCOME[outcome]


def event_line(event: RollEvent, at: datetime | None = None) -> str | None:
    """The progress line of one event (None for events that print nothing by themselves):
    the event's words (`describe`), a step marked as one.

    Every line carries one clock, keyroll's: the moment it learned the event (`at`, now by
    default). A stack event keeps CloudFormation's own time at its end, since that clock (AWS's,
    or the sandbox's sped-up one) may run apart from this machine's.
    """
    if isinstance(event, ProbeSeen | ServiceProcesses | Finished):
        return None  # changes of availability and processes only; the summary ends the run
    words = describe(event)
    if words is None:
        return None
    step = "step " if isinstance(event, PhaseChanged) else ""
    return f"{clock(at or datetime.now())} {step}{words}"


class ProgressPrinter:
    """The roll's `emit` callback for headless runs: prints lines unless `--json` is on.

    Availability is printed only when it changes (down, then up again), not every probe;
    a service's running processes only when their number changes.
    """

    def __init__(self, *, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self._up: bool | None = None
        self._down_since: datetime | None = None
        self._running: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()  # the probe reports from its own thread

    def __call__(self, event: RollEvent) -> None:
        if self.quiet:
            return
        if isinstance(event, ProbeSeen):
            line = self._availability(event)
        elif isinstance(event, ServiceProcesses):
            line = self._processes(event)
        else:
            line = event_line(event)
        if line is not None:
            self.write(line)

    def write(self, line: str) -> None:
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    def _processes(self, event: ServiceProcesses) -> str | None:
        service = (event.app, event.service)
        if self._running.get(service) == event.running:
            return None
        self._running[service] = event.running
        return f"{clock(datetime.now())} {describe(event)}"

    def _availability(self, event: ProbeSeen) -> str | None:
        was, self._up = self._up, event.up
        if event.up == (was if was is not None else True):
            return None
        if not event.up:
            self._down_since = datetime.now()
            return f"{clock(datetime.now())} availability: DOWN ({event.detail or 'no answer'})"
        since = self._down_since
        gap = f" after {(datetime.now() - since).total_seconds():.1f} s" if since else ""
        return (
            f"{clock(datetime.now())} availability: up again{gap} ({event.latency_s * 1000:.0f} ms)"
        )


def _seconds(value: float) -> str:
    return f"{value:.1f} s"


def unfinished_sentence(summary: RollSummary) -> str:
    """What an unfinished roll (detached, interrupted, left open) leaves, in one sentence."""
    if summary.kind == RollKind.RACK_KEY and summary.via != "console":
        # the roll's last steps rewrite the CLI's auth; the Console route keeps the key itself
        return (
            f"the Convox CLI keeps the old key for {summary.rack} (which the rack refuses once "
            "the update completes) until `keyroll resume` finishes the roll."
        )
    return f"run `keyroll resume` to watch it to the end (or `keyroll history {summary.rack}`)."


def next_step(summary: RollSummary) -> str:
    """What the person should do now, in one sentence."""
    outcome = summary.outcome
    if outcome is None:
        return unfinished_sentence(summary)
    if outcome is Outcome.SUCCEEDED:
        if summary.warnings:
            return "read the warning(s) above and act on them."
        return "nothing; the new key is in use."
    if outcome is Outcome.ROLLED_BACK:
        return "the old key stays in use; fix the failure reason(s) above, then roll again."
    last = summary.messages[-1] if summary.messages else ""
    return last or "read the message(s) above."


def summary_lines(summary: RollSummary) -> list[str]:
    """The closing lines of a text run: failure reasons, then one summary line."""
    lines = [f"reason: {reason}" for reason in summary.failure_reasons]
    if summary.key_saved_to is not None:
        lines.append(f"new key: {key_places(summary)}")
    outcome = summary.outcome.value if summary.outcome else "started (not waiting)"
    refused = {True: "; old key refused", False: "; old key STILL ACCEPTED", None: ""}
    lines.append(
        f"{outcome}: {summary.kind} roll of {summary.rack} via {summary.via}; "
        f"{downtime_text(summary)}{refused[summary.old_key_refused]}. "
        f"Next: {next_step(summary)}"
    )
    return lines


def key_places(summary: RollSummary) -> str:
    """Where an account-key roll put the new key: keyroll's keystore, the CLI's auth files."""
    files = summary.cli_auth_files
    keystore = f"saved in keyroll's keystore {summary.key_saved_to}"
    if not files:
        return f"{keystore}; no Convox CLI auth file was rewritten."
    plural = "file" if len(files) == 1 else "files"
    return f"{keystore} and in the Convox CLI's auth {plural} {', '.join(files)}."


def downtime_text(summary: RollSummary) -> str:
    """The measured downtime, or that nothing was measured (never a claimed 0.0 s)."""
    if not summary.measured or summary.downtime_s is None:
        return "downtime not measured"
    return (
        f"downtime {_seconds(summary.downtime_s)} (longest outage "
        f"{_seconds(summary.longest_outage_s or 0.0)}, {summary.probes} probes)"
    )


def print_summary(summary: RollSummary, *, as_json: bool, stream: TextIO | None = None) -> None:
    """End a roll's output: one JSON object with `--json`, else the summary lines."""
    out = stream or sys.stdout
    if as_json:
        out.write(json.dumps(summary.to_json(), indent=2) + "\n")
    else:
        out.write("\n".join(summary_lines(summary)) + "\n")
    out.flush()


def print_json(data: Any, stream: TextIO | None = None) -> None:
    """One JSON object on stdout, for scripts."""
    out = stream or sys.stdout
    out.write(json.dumps(data, indent=2) + "\n")
    out.flush()
