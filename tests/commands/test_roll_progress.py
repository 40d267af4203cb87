"""The headless roll's output: which events print, how, and the closing line."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from tui.commands.roll_progress import (
    ProgressPrinter,
    event_line,
    exit_code_for,
    next_step,
    print_summary,
)
from tui.core.rolls.events import (
    BackoffNotice,
    Finished,
    InstanceProgress,
    Note,
    Outcome,
    Phase,
    PhaseChanged,
    ProbeSeen,
    ServiceProcesses,
    StackEventSeen,
)
from tui.core.rolls.summary import RollSummary


def printed(*events: object, quiet: bool = False) -> list[str]:
    out = io.StringIO()
    printer = ProgressPrinter(quiet=quiet, stream=out)
    for event in events:
        printer(event)  # type: ignore[arg-type]
    return out.getvalue().splitlines()


def test_availability_prints_only_its_changes() -> None:
    lines = printed(
        ProbeSeen(True, 0.01, "running"),
        ProbeSeen(True, 0.01, "running"),
        ProbeSeen(False, 3.0, "no answer in 3 s"),
        ProbeSeen(False, 3.0, "no answer in 3 s"),
        ProbeSeen(True, 0.02, "running"),
        ProbeSeen(True, 0.02, "running"),
    )
    assert len(lines) == 2
    assert lines[0].endswith("availability: DOWN (no answer in 3 s)")
    assert "availability: up again after " in lines[1] and lines[1].endswith("(20 ms)")


def test_stack_events_phases_backoff_notes_and_processes() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    stamp = at.astimezone().strftime("%H:%M:%S")
    lines = printed(
        PhaseChanged(Phase.WATCHING),
        StackEventSeen(at, "ServiceWebApi", "UPDATE_FAILED", "Circuit Breaker"),
        BackoffNotice(4.0, "AWS Throttling DescribeStackEvents"),
        Note("the old key still works", "warning"),
        ServiceProcesses("web", "web", 2, 3),
        ServiceProcesses("web", "web", 2, 3),
        ServiceProcesses("web", "web", 3, 3),
        Finished(Outcome.SUCCEEDED, {}),
    )
    assert lines[0].endswith(" step watching")
    assert lines[1].endswith(
        f" ServiceWebApi UPDATE_FAILED Circuit Breaker (CloudFormation {stamp})"
    )
    assert lines[2].endswith(
        "AWS Throttling DescribeStackEvents: waiting 4 s before asking AWS again"
    )
    assert lines[3].endswith(" warning: the old key still works")
    assert lines[4].endswith("web/web: 2 of 3 process(es) running (below desired)")
    assert lines[5].endswith("web/web: 3 of 3 process(es) running")
    assert len(lines) == 6


def test_every_line_carries_the_moment_keyroll_learned_it() -> None:
    """One clock: keyroll's. CloudFormation's time (the sandbox's sped-up clock here, ahead of
    this machine's) stays in the stack event's line as its detail."""
    learned = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    ahead = datetime(2026, 1, 2, 3, 40, 0, tzinfo=UTC)
    mine, theirs = (t.astimezone().strftime("%H:%M:%S") for t in (learned, ahead))
    stack = event_line(StackEventSeen(ahead, "Instances", "UPDATE_IN_PROGRESS"), learned)
    assert stack == f"{mine} Instances UPDATE_IN_PROGRESS (CloudFormation {theirs})"
    assert event_line(PhaseChanged(Phase.WATCHING), learned) == f"{mine} step watching"
    assert event_line(Note("hello"), learned) == f"{mine} hello"


def test_a_back_off_delay_is_rounded() -> None:
    lines = printed(BackoffNotice(1.72173, "AWS Throttling"), BackoffNotice(8.4, "AWS Throttling"))
    assert lines[0].endswith("AWS Throttling: waiting 1.7 s before asking AWS again")
    assert lines[1].endswith("AWS Throttling: waiting 8 s before asking AWS again")


def test_instance_batches_say_what_a_rollback_does() -> None:
    forward = InstanceProgress(1, 3, ("i-2", "i-3"), ("i-new",), ("i-1",))
    assert str(event_line(forward)).endswith(
        "batch 1 of 3: 2 old instance(s) left, 1 new in service"
    )
    back = InstanceProgress(
        1, 1, ("i-2", "i-3"), ("i-back",), ("i-1",), rolling_back=True, new_key_left=1
    )
    line = str(event_line(back))
    assert line.endswith(
        "rolling back, batch 1 of 1: 1 instance(s) with the new key pair still to replace by "
        "ones with the old key pair, 2 from before the roll untouched"
    )


def test_json_mode_prints_no_progress() -> None:
    assert printed(PhaseChanged(Phase.PLANNED), Note("hello"), quiet=True) == []


def test_summary_line_and_exit_codes() -> None:
    summary = RollSummary(kind="rack-key", rack="dev", via="rack", outcome=Outcome.ROLLED_BACK)
    summary.failure_reasons.append("ServiceWebApi: Circuit Breaker")
    summary.downtime_s, summary.longest_outage_s, summary.probes = 1.25, 1.0, 12
    out = io.StringIO()
    print_summary(summary, as_json=False, stream=out)
    reason, last = out.getvalue().splitlines()
    assert reason == "reason: ServiceWebApi: Circuit Breaker"
    assert last.startswith("rolled_back: rack-key roll of dev via rack; downtime 1.2 s")
    assert "Next: the old key stays in use" in last
    codes = [exit_code_for(o) for o in (*Outcome, None)]
    assert codes == [0, 1, 1, 3, 0]


def test_a_roll_that_measured_nothing_says_so_instead_of_claiming_zero() -> None:
    """Issue 12, item 6: refused and detached rolls printed 'downtime 0.0 s ... 0 probes'."""
    refused = RollSummary(kind="rack-key", rack="dev", via="rack", outcome=Outcome.REFUSED)
    detached = RollSummary(kind="instance-key", rack="dev", via="rack")
    probed_nothing = RollSummary(kind="rack-key", rack="dev", via="rack")
    probed_nothing.record_availability(0.0, 0.0, 0)
    probed_nothing.outcome = Outcome.SUCCEEDED
    for summary in (refused, detached, probed_nothing):
        out = io.StringIO()
        print_summary(summary, as_json=False, stream=out)
        last = out.getvalue().splitlines()[-1]
        assert "downtime not measured" in last, last
        assert "0.0 s" not in last and "probes" not in last, last
        data = summary.to_json()
        assert (data["downtime_s"], data["longest_outage_s"], data["probes"]) == (None, None, 0)


def test_a_measured_roll_keeps_its_figures_even_at_zero_downtime() -> None:
    summary = RollSummary(kind="rack-key", rack="dev", via="rack", outcome=Outcome.SUCCEEDED)
    summary.record_availability(0.0, 0.0, 14)
    out = io.StringIO()
    print_summary(summary, as_json=False, stream=out)
    assert "downtime 0.0 s (longest outage 0.0 s, 14 probes)" in out.getvalue()
    assert (summary.to_json()["downtime_s"], summary.to_json()["probes"]) == (0.0, 14)


def test_a_detached_direct_rack_key_roll_says_the_cli_keeps_the_old_key() -> None:
    direct = RollSummary(kind="rack-key", rack="dev", via="rack")
    assert next_step(direct) == (
        "the Convox CLI keeps the old key for dev (which the rack refuses once the update "
        "completes) until `keyroll resume` finishes the roll."
    )
    through_console = RollSummary(kind="rack-key", rack="acme/staging", via="console")
    assert "Convox CLI" not in next_step(through_console)
    assert "keyroll resume" in next_step(through_console)


def test_an_account_key_summary_says_where_the_key_went() -> None:
    summary = RollSummary(
        kind="account-key", rack="account@c", via="console", outcome=Outcome.SUCCEEDED
    )
    summary.key_saved_to = "/home/u/.local/share/keyroll/keystore.json"
    summary.cli_auth_files = ["/home/u/.config/convox2/auth", "/home/u/.convox/auth"]
    out = io.StringIO()
    print_summary(summary, as_json=False, stream=out)
    assert out.getvalue().splitlines()[0] == (
        "new key: saved in keyroll's keystore /home/u/.local/share/keyroll/keystore.json and "
        "in the Convox CLI's auth files /home/u/.config/convox2/auth, /home/u/.convox/auth."
    )
    summary.cli_auth_files = []
    assert "no Convox CLI auth file was rewritten" in to_text(summary)
    data = summary.to_json()
    assert data["key_saved_to"].endswith("keystore.json") and data["cli_auth_files"] == []
    rack = RollSummary(kind="rack-key", rack="dev", via="rack").to_json()
    assert "key_saved_to" not in rack and "batches" not in rack


def to_text(summary: RollSummary) -> str:
    out = io.StringIO()
    print_summary(summary, as_json=False, stream=out)
    return out.getvalue()
