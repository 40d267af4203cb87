"""The roll widgets' own logic: status categories, the board's rollback, probes, lines, words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from rich.text import Text

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
from tui.widgets.availability import DOWN_BAR, ProbeTimeline
from tui.widgets.event_log import StatusHighlighter, event_line
from tui.widgets.instance_progress import batch_bar, rollback_words
from tui.widgets.resource_board import (
    CATEGORY_STYLE,
    COMPLETE,
    FAILED,
    IN_PROGRESS,
    PENDING,
    ResourceStates,
    category_of,
)
from tui.widgets.roll_header import elapsed_words, target_words
from tui.widgets.roll_outcome import can_retry, headline, outcome_text

AT = datetime(2025, 3, 4, 9, 30, 0, tzinfo=UTC)
STACK = "AWS::CloudFormation::Stack"


def seen(
    logical: str, status: str, reason: str = "", kind: str = "AWS::ECS::Service"
) -> StackEventSeen:
    return StackEventSeen(AT, logical, status, reason, STACK if logical == "prod" else kind)


def test_categories_follow_rain_and_the_rack_status_words() -> None:
    assert category_of("UPDATE_IN_PROGRESS") == IN_PROGRESS
    assert category_of("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") == IN_PROGRESS
    assert category_of("UPDATE_COMPLETE") == COMPLETE
    assert category_of("UPDATE_FAILED") == FAILED
    assert category_of("UPDATE_ROLLBACK_IN_PROGRESS") == FAILED
    assert category_of("UPDATE_ROLLBACK_COMPLETE") == FAILED
    assert category_of("updating") == IN_PROGRESS and category_of("running") == COMPLETE
    assert category_of("rollback") == FAILED
    assert category_of("") == PENDING


def test_the_board_through_an_update_that_rolls_back() -> None:
    board = ResourceStates({"prod", "acme/prod"})
    board.feed(seen("prod", "UPDATE_IN_PROGRESS", "User Initiated"))
    board.feed(seen("Template", "UPDATE_COMPLETE"))
    board.feed(seen("Instances", "UPDATE_IN_PROGRESS"))
    assert board.stack_status == "UPDATE_IN_PROGRESS" and "prod" not in board.resources
    assert board.counts() == {PENDING: 0, IN_PROGRESS: 1, COMPLETE: 1, FAILED: 0}
    board.feed(seen("Instances", "UPDATE_FAILED", "Failed to receive 1 resource signal(s)"))
    board.feed(seen("prod", "UPDATE_ROLLBACK_IN_PROGRESS"))
    # what already completed must now be rolled back: pending again
    assert board.resources["Template"].category == PENDING
    board.feed(seen("Template", "UPDATE_COMPLETE"))
    board.feed(seen("Instances", "UPDATE_COMPLETE"))
    template, instances = board.resources["Template"], board.resources["Instances"]
    assert template.category == COMPLETE and template.rolled_back
    # a failure stays on the board through the rollback, with its reason
    assert instances.category == FAILED and "resource signal" in instances.failure
    assert board.counts() == {PENDING: 0, IN_PROGRESS: 0, COMPLETE: 1, FAILED: 1}
    # without AWS the rack's own status is the root
    board.feed(StackEventSeen(AT, "acme/prod", "running", "rack status (GET /system)"))
    assert board.stack_status == "running"


def test_probe_timeline_counts_outages_and_draws_them_red() -> None:
    line = ProbeTimeline(interval_s=0.5)
    for up in (True, False, False, True, False, True):
        line.add(ProbeSeen(up, 0.1 if up else 2.0))
    assert line.down == 3 and line.longest_down_run == 2
    assert line.outage_s == 1.5 and line.longest_outage_s == 1.0
    assert line.last_latency_ms == 100
    bars = line.sparkline(4)
    assert bars.plain[1] == DOWN_BAR and len(bars.plain) == 4
    assert line.sparkline(0).plain == ""


def stamp(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")


def test_event_lines_and_their_colours() -> None:
    learned = datetime(2025, 3, 4, 9, 29, 58, tzinfo=UTC)
    line = event_line(seen("Instances", "UPDATE_FAILED", "no signal"), learned)
    assert line is not None and line.startswith(f"{stamp(learned)}  Instances ")
    assert line.endswith(f"UPDATE_FAILED  no signal  (CloudFormation {stamp(AT)})")
    text = Text(line)
    StatusHighlighter().highlight(text)
    start = line.index("UPDATE_FAILED")
    assert any(s.start == start and s.style == CATEGORY_STYLE[FAILED] for s in text.spans)
    assert event_line(PhaseChanged(Phase.WATCHING)) == " " * 10 + "── watching"
    assert "warning: slow" in str(event_line(Note("slow", "warning")))
    assert "waiting 8 s before asking AWS again" in str(
        event_line(BackoffNotice(8.0, "AWS Throttling"))
    )
    assert "finished: stopped unfinished" in str(event_line(Finished(None)))
    assert event_line(ProbeSeen(True, 0.1)) is None
    assert event_line(ServiceProcesses("web", "web", 1, 2)) is None


def test_every_log_line_carries_the_one_clock_of_when_keyroll_learned_it() -> None:
    """The sandbox's sped-up clock (or AWS's, skewed) would put events in the future between
    keyroll's own lines: every line starts with keyroll's moment, CloudFormation's time is
    the stack event's detail."""
    learned = datetime(2025, 3, 4, 9, 30, 5, tzinfo=UTC)
    ahead = StackEventSeen(
        datetime(2025, 3, 4, 9, 51, 0, tzinfo=UTC), "Instances", "UPDATE_IN_PROGRESS"
    )
    lines = [
        event_line(event, learned)
        for event in (
            PhaseChanged(Phase.WATCHING),
            ahead,
            Note("slow", "warning"),
            BackoffNotice(2.0),
            Finished(None),
        )
    ]
    assert all(line is not None and line.startswith(f"{stamp(learned)}  ") for line in lines)
    assert str(lines[1]).endswith(f"(CloudFormation {stamp(ahead.timestamp)})")
    for line in lines:  # the time is dimmed on every line; markers keep their colour
        text = Text(str(line))
        StatusHighlighter().highlight(text)
        assert any(s.start == 0 and s.end == 8 and s.style == "dim" for s in text.spans)
    warning = Text(str(lines[2]))
    StatusHighlighter().highlight(warning)
    assert any(s.style == "bold #ffd75f" for s in warning.spans)


def test_a_back_off_delay_is_rounded_for_people() -> None:
    assert "waiting 1.7 s before asking AWS again" in str(
        event_line(BackoffNotice(1.72173, "AWS Throttling"))
    )
    assert "waiting 9 s before asking AWS again" in str(
        event_line(BackoffNotice(8.6, "AWS Throttling"))
    )


def test_words_of_the_header_and_the_outcome() -> None:
    assert elapsed_words(7.9) == "0:07" and elapsed_words(754) == "12:34"
    assert elapsed_words(3723) == "1:02:03"
    assert batch_bar(2, 3) == "▰▰▱" and batch_bar(5, 3) == "▰▰▰"
    summary = RollSummary(kind="rack-key", rack="dev", via="rack", outcome=Outcome.ROLLED_BACK)
    assert "the old key stays current" in headline(summary)[0]
    assert not can_retry(summary)
    keyroll = replace(summary, kind="instance-key", failure_reasons=["a", "a"], probes=4)
    assert can_retry(keyroll) and "keep the old key pair" in headline(keyroll)[0]
    text = outcome_text(keyroll, ["boom"], retry=True, closing=["after", "boom"]).plain
    assert text.count("• a") == 1  # reasons are de-duplicated, as Rain does
    assert "Measured downtime: 0.0 s over 4 probes" in text and "Press t" in text
    assert text.count("boom") == 1 and text.index("after") > text.index("Measured")
    refused = replace(summary, outcome=Outcome.REFUSED, downtime_s=None, probes=0)
    assert "Measured downtime: not measured" in outcome_text(refused, [], retry=False).plain


def test_an_account_roll_reads_as_your_console_account_not_its_journal_name() -> None:
    account = RollSummary(kind="account-key", rack="account@console.convox.com", via="console")
    assert target_words("account@console.convox.com") == "your Console account (console.convox.com)"
    assert target_words("acme/production") == "acme/production"
    assert headline(replace(account, outcome=Outcome.SUCCEEDED))[0] == (
        "The account API key of your Console account (console.convox.com) was rolled."
    )
    assert headline(replace(account, outcome=Outcome.FAILED))[0] == (
        "The roll of the account API key of your Console account (console.convox.com) failed."
    )
    assert headline(RollSummary("rack-key", "dev", "rack", outcome=Outcome.FAILED))[0] == (
        "The roll of dev's rack API key failed."
    )


def test_a_rollback_says_how_many_new_instances_are_left_then_that_none_is() -> None:
    during = InstanceProgress(2, 3, (), ("i-new",), (), rolling_back=True, new_key_left=1)
    assert rollback_words(during) == "rolling back: 1 with the new key pair to replace"
    done = InstanceProgress(3, 3, (), (), ("i-new",), rolling_back=True, new_key_left=0)
    assert rollback_words(done) == "rolled back: no instance has the new key pair"
    assert "0" not in rollback_words(done)
