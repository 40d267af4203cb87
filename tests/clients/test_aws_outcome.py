"""Outcome rules over every CloudFormation stack status, failure messages, and the back-off."""

from __future__ import annotations

import gzip
import json
import random
import threading
from datetime import UTC, datetime
from pathlib import Path

import botocore
import pytest
from botocore.exceptions import ClientError

from tui.clients.aws_backoff import Backoff, CancelledError, ThrottleNotice
from tui.clients.aws_errors import AwsThrottledError
from tui.clients.stack_events import StackEvent
from tui.clients.stack_status import Outcome, failure_messages, outcome_for


def _all_stack_statuses() -> list[str]:
    """Every StackStatus value botocore's CloudFormation model knows."""
    data = Path(botocore.__file__).parent / "data" / "cloudformation" / "2010-05-15"
    model = json.loads(gzip.decompress((data / "service-2.json.gz").read_bytes()))
    return list(model["shapes"]["StackStatus"]["enum"])


EXPECTED = {
    "CREATE_IN_PROGRESS": Outcome.MOVING,
    "CREATE_FAILED": Outcome.FAILED,
    "CREATE_COMPLETE": Outcome.SUCCEEDED,
    "ROLLBACK_IN_PROGRESS": Outcome.MOVING,
    "ROLLBACK_FAILED": Outcome.NEEDS_ATTENTION,
    "ROLLBACK_COMPLETE": Outcome.ROLLED_BACK,
    "DELETE_IN_PROGRESS": Outcome.MOVING,
    "DELETE_FAILED": Outcome.NEEDS_ATTENTION,
    "DELETE_COMPLETE": Outcome.FAILED,
    "UPDATE_IN_PROGRESS": Outcome.MOVING,
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": Outcome.MOVING,
    "UPDATE_COMPLETE": Outcome.SUCCEEDED,
    "UPDATE_FAILED": Outcome.NEEDS_ATTENTION,
    "UPDATE_ROLLBACK_IN_PROGRESS": Outcome.MOVING,
    "UPDATE_ROLLBACK_FAILED": Outcome.NEEDS_ATTENTION,
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": Outcome.MOVING,
    "UPDATE_ROLLBACK_COMPLETE": Outcome.ROLLED_BACK,
    "REVIEW_IN_PROGRESS": Outcome.MOVING,
    "IMPORT_IN_PROGRESS": Outcome.MOVING,
    "IMPORT_COMPLETE": Outcome.SUCCEEDED,
    "IMPORT_ROLLBACK_IN_PROGRESS": Outcome.MOVING,
    "IMPORT_ROLLBACK_FAILED": Outcome.NEEDS_ATTENTION,
    "IMPORT_ROLLBACK_COMPLETE": Outcome.ROLLED_BACK,
}


def test_every_known_status_has_the_expected_outcome() -> None:
    statuses = _all_stack_statuses()
    assert set(statuses) == set(EXPECTED), "botocore knows a status this table lacks"
    assert {s: outcome_for(s) for s in statuses} == EXPECTED


def test_the_roll_rules_of_the_design() -> None:
    assert outcome_for("UPDATE_COMPLETE") is Outcome.SUCCEEDED
    rolled_back = outcome_for("UPDATE_ROLLBACK_COMPLETE")
    assert rolled_back is Outcome.ROLLED_BACK
    assert rolled_back.is_failure and rolled_back.is_final
    assert outcome_for("UPDATE_ROLLBACK_FAILED") is Outcome.NEEDS_ATTENTION
    for cleanup in (
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    ):
        assert outcome_for(cleanup) is Outcome.MOVING
        assert not outcome_for(cleanup).is_final
    assert not Outcome.SUCCEEDED.is_failure and Outcome.SUCCEEDED.is_final


def test_unknown_statuses_are_read_by_their_suffix() -> None:
    assert outcome_for("SOMETHING_NEW_IN_PROGRESS") is Outcome.MOVING
    assert outcome_for("SOMETHING_NEW") is Outcome.NEEDS_ATTENTION


def _event(logical: str, status: str, reason: str) -> StackEvent:
    return StackEvent(
        event_id=f"{logical}-{status}-{reason}",
        stack_name="rack",
        logical_id=logical,
        physical_id="",
        resource_type="AWS::AutoScaling::AutoScalingGroup",
        status=status,
        reason=reason,
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        client_request_token=None,
    )


def test_failure_messages_are_deduplicated_in_order_and_drop_cancellations() -> None:
    signal = "Failed to receive 1 resource signal(s) for the current batch."
    events = [
        _event("Instances", "UPDATE_IN_PROGRESS", "Rolling update initiated."),
        _event("ApiWebTasks", "UPDATE_FAILED", "Resource update cancelled"),
        _event("Instances", "UPDATE_FAILED", signal),
        _event("Instances", "UPDATE_FAILED", signal),
        _event("ServiceWebApi", "UPDATE_FAILED", "Service did not stabilize"),
        _event("Instances", "UPDATE_FAILED", ""),
    ]
    assert failure_messages(events) == [
        f"Instances: {signal}",
        "ServiceWebApi: Service did not stabilize",
    ]
    only_cancelled = [_event("ApiWebTasks", "UPDATE_FAILED", "Resource update cancelled")] * 2
    assert failure_messages(only_cancelled) == ["ApiWebTasks: Resource update cancelled"]
    assert failure_messages([]) == []


def _throttle(code: str = "Throttling") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "Rate exceeded"}}, "DescribeStackEvents")


def test_backoff_schedule_doubles_to_32_and_repeats_the_last_step() -> None:
    backoff = Backoff(jitter=0)
    assert [backoff.delay_for(n) for n in range(7)] == [2, 4, 8, 16, 32, 32, 32]


def test_backoff_jitter_stays_within_its_fraction() -> None:
    backoff = Backoff(jitter=0.2, rng=random.Random(7))
    delays = [backoff.delay_for(2) for _ in range(200)]
    assert all(6.4 <= d <= 9.6 for d in delays)
    assert len(set(delays)) > 100  # spread, not one fixed value


def test_backoff_reports_each_wait_and_then_returns_the_answer() -> None:
    notices: list[ThrottleNotice] = []
    codes = iter(["Throttling", "ThrottlingException", "RequestLimitExceeded"])

    def call() -> str:
        code = next(codes, None)
        if code:
            raise _throttle(code)
        return "answer"

    backoff = Backoff((0.001, 0.002), jitter=0, on_throttle=notices.append)
    assert backoff.call("DescribeStackEvents", call) == "answer"
    assert [(n.attempt, n.delay, n.code) for n in notices] == [
        (1, 0.001, "Throttling"),
        (2, 0.002, "ThrottlingException"),
        (3, 0.002, "RequestLimitExceeded"),
    ]
    assert ThrottleNotice("X", 3, 8.2, "Throttling").text() == "throttled, retrying in 8 s"


class WaitsRecorded(threading.Event):
    """An event that records each wait on it: (timeout asked, whether it was set)."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[tuple[float | None, bool]] = []

    def wait(self, timeout: float | None = None) -> bool:
        woke = super().wait(timeout)
        self.waits.append((timeout, woke))
        return woke


def test_backoff_wait_is_cancelled_at_once_by_its_event() -> None:
    stop = WaitsRecorded()

    def call() -> str:
        raise _throttle()

    backoff = Backoff((30.0,), jitter=0, stop=stop, on_throttle=lambda _n: stop.set())
    with pytest.raises(CancelledError) as caught:
        backoff.call("DescribeStackEvents", call)
    # the 30 s wait was on the stop event, which woke it: cancelled, not waited out
    assert stop.waits == [(30.0, True)]
    assert "cancelled" in str(caught.value)


def test_backoff_gives_up_after_max_retries_with_one_sentence() -> None:
    def call() -> str:
        raise _throttle()

    with pytest.raises(AwsThrottledError) as caught:
        Backoff((0.001,), jitter=0, max_retries=2).call("UpdateStack", call)
    assert str(caught.value) == "AWS kept throttling UpdateStack; wait a minute and try again."


def test_backoff_lets_other_errors_through_untouched() -> None:
    error = ClientError({"Error": {"Code": "ValidationError", "Message": "x"}}, "UpdateStack")

    def call() -> str:
        raise error

    with pytest.raises(ClientError) as caught:
        Backoff((0.001,), jitter=0).call("UpdateStack", call)
    assert caught.value is error
