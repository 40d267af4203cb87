"""The event tail and UpdateStack against a scripted CloudFormation endpoint on loopback.

moto serves every event in one page and never stamps tokens or operation ids on events, so
paging, ties, nested stacks, throttling and the busy-stack error are scripted here: boto3
talks the real query protocol to a real HTTP server whose replies the test sets.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from tests.clients.conftest import T0, ScriptedCfn
from tui.base.secret import MASK, Secret
from tui.clients import aws

NEW = Secret("NewPassw0rd0123456789abcdefghijklmnop")
Scripted = tuple[ScriptedCfn, aws.AwsTarget]


def at(seconds: int) -> datetime:
    """A time `seconds` after the scripted history's start."""
    return T0 + timedelta(seconds=seconds)


def _history(script: ScriptedCfn, stack: str, count: int) -> None:
    for n in range(count):
        script.add_event(stack, "UPDATE_COMPLETE", f"Res{n % 7}", reason=f"old {n}")


def _fast_backoff(notices: list[aws.ThrottleNotice] | None = None) -> aws.Backoff:
    return aws.Backoff(
        (0.01, 0.02, 0.04), jitter=0, on_throttle=notices.append if notices is not None else None
    )


def test_steady_state_poll_is_one_page_whatever_the_history(aws_scripted: Scripted) -> None:
    script, target = aws_scripted
    _history(script, "rack", 1000)  # ten pages of 100
    tail = aws.StackEventTail(target, "rack", backoff=_fast_backoff())

    assert tail.poll() == []
    assert tail.pages_read == 1
    for _ in range(3):
        assert tail.poll() == []
    assert tail.pages_read == 4

    for n in range(3):
        script.add_event("rack", "UPDATE_IN_PROGRESS", "Instances", reason=f"new {n}")
    new = tail.poll()
    assert [e.reason for e in new] == ["new 0", "new 1", "new 2"]
    assert tail.pages_read == 5
    assert len(script.calls) == 5  # one call a page, no hidden re-reads


def test_a_burst_larger_than_a_page_is_read_to_the_last_seen_event_once(
    aws_scripted: Scripted,
) -> None:
    script, target = aws_scripted
    _history(script, "rack", 1000)
    tail = aws.StackEventTail(target, "rack", backoff=_fast_backoff())
    tail.poll()

    for n in range(250):
        script.add_event("rack", "UPDATE_IN_PROGRESS", "Instances", reason=f"burst {n}")
    new = tail.poll()

    assert [e.reason for e in new] == [f"burst {n}" for n in range(250)]
    assert len({e.event_id for e in new}) == 250
    assert tail.pages_read == 1 + 3  # 100 + 100 + 50 new, then the seen event ends it
    assert tail.poll() == [] and tail.pages_read == 5


def test_since_reads_history_back_to_that_time_only(aws_scripted: Scripted) -> None:
    script, target = aws_scripted
    _history(script, "rack", 1000)  # event n at T0 + n seconds
    tail = aws.StackEventTail(target, "rack", since=T0 + timedelta(seconds=750))

    events = tail.poll()

    assert [e.reason for e in events] == [f"old {n}" for n in range(750, 1000)]
    assert tail.pages_read == 3  # pages down to T0+700s, not all ten


def test_tie_by_client_request_token(aws_scripted: Scripted) -> None:
    script, target = aws_scripted
    _history(script, "rack", 150)
    requested_at = T0 + timedelta(seconds=150)
    script.add_event("rack", "UPDATE_COMPLETE", "Other", token="someone-else")
    script.add_event("rack", "UPDATE_IN_PROGRESS", token="keyroll-1", reason="User Initiated")
    script.add_event("rack", "UPDATE_IN_PROGRESS", "ServiceWebApi", token="keyroll-1")
    script.add_event("rack", "UPDATE_COMPLETE", "ServiceWebApi", token="keyroll-1")
    script.add_event("rack", "UPDATE_COMPLETE", token="keyroll-1")
    script.add_event("rack", "UPDATE_IN_PROGRESS", token="later-operation")
    tie = aws.OperationTie(requested_at=requested_at, client_request_token="keyroll-1")
    tail = aws.StackEventTail(target, "rack", tie=tie)

    events = tail.poll()

    assert [(e.logical_id, e.status) for e in events] == [
        ("rack", "UPDATE_IN_PROGRESS"),
        ("ServiceWebApi", "UPDATE_IN_PROGRESS"),
        ("ServiceWebApi", "UPDATE_COMPLETE"),
        ("rack", "UPDATE_COMPLETE"),
    ]
    assert all(e.client_request_token == "keyroll-1" for e in events)
    assert tail.operation_started == events[0] and tail.operation_ended == events[-1]


def test_tie_by_operation_id_from_last_operations(aws_scripted: Scripted) -> None:
    script, target = aws_scripted
    script.parameters["rack"] = {"Password": "****"}
    operation_id = aws.describe_stack(target, "rack").last_operation_id("UPDATE_STACK")
    assert operation_id == "op-123"
    script.add_event("rack", "UPDATE_COMPLETE", "Old", operation_id="op-100")
    script.add_event("rack", "UPDATE_IN_PROGRESS", operation_id="op-123")
    script.add_event("rack", "UPDATE_ROLLBACK_IN_PROGRESS", operation_id="op-123")
    script.add_event(
        "rack",
        "UPDATE_FAILED",
        "Instances",
        reason="Failed to receive 1 resource signal(s)",
        operation_id="op-123",
    )
    script.add_event("rack", "UPDATE_ROLLBACK_COMPLETE", operation_id="op-123")
    tail = aws.StackEventTail(
        target, "rack", tie=aws.OperationTie(requested_at=T0, operation_id=operation_id)
    )

    events = tail.poll()

    assert [e.status for e in events] == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_FAILED",
        "UPDATE_ROLLBACK_COMPLETE",
    ]
    assert aws.outcome_for(tail.operation_ended.status if tail.operation_ended else "") is (
        aws.Outcome.ROLLED_BACK
    )
    assert aws.failure_messages(events) == ["Instances: Failed to receive 1 resource signal(s)"]


def test_tie_without_ids_starts_at_the_root_update_after_the_request(
    aws_scripted: Scripted,
) -> None:
    script, target = aws_scripted
    script.add_event("rack", "UPDATE_IN_PROGRESS", at=at(50))  # an earlier operation
    script.add_event("rack", "UPDATE_COMPLETE", "Res", at=at(95))
    script.add_event("rack", "UPDATE_COMPLETE", at=at(97))
    script.add_event("rack", "UPDATE_IN_PROGRESS", at=at(101), reason="User Initiated")
    script.add_event("rack", "UPDATE_IN_PROGRESS", "ApiWebTasks", at=at(102))
    tail = aws.StackEventTail(target, "rack", tie=aws.OperationTie(requested_at=at(100)))

    first = tail.poll()
    assert [(e.logical_id, e.reason) for e in first] == [
        ("rack", "User Initiated"),
        ("ApiWebTasks", ""),
    ]
    script.add_event("rack", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", at=at(110))
    script.add_event("rack", "UPDATE_COMPLETE", at=at(111))
    script.add_event("rack", "UPDATE_IN_PROGRESS", at=at(200))  # a later operation
    second = tail.poll()
    assert [e.status for e in second] == ["UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE"]
    assert tail.operation_ended == second[-1]


def test_nested_stacks_get_their_own_tail(aws_scripted: Scripted) -> None:
    script, target = aws_scripted
    child = "arn:aws:cloudformation:us-east-1:123456789012:stack/rack-Api-XYZ/1"
    script.add_event(child, "UPDATE_COMPLETE", "Old", at=at(1))  # child history
    script.add_event("rack", "UPDATE_IN_PROGRESS", at=at(100))
    script.add_event(
        "rack",
        "UPDATE_IN_PROGRESS",
        "Api",
        resource_type="AWS::CloudFormation::Stack",
        physical_id=child,
        at=at(101),
    )
    tail = aws.StackEventTail(target, "rack", tie=aws.OperationTie(requested_at=at(100)))
    assert [e.logical_id for e in tail.poll()] == ["rack", "Api"]

    # The nested stack's events carry its name, not the ARN the tail calls it by.
    nested = "rack-Api-XYZ"
    script.add_event(child, "UPDATE_IN_PROGRESS", stack_name=nested, at=at(102))
    script.add_event(child, "UPDATE_COMPLETE", "ServiceWebApi", stack_name=nested, at=at(104))
    script.add_event(child, "UPDATE_COMPLETE", stack_name=nested, at=at(105))
    script.add_event(
        "rack",
        "UPDATE_COMPLETE",
        "Api",
        resource_type="AWS::CloudFormation::Stack",
        physical_id=child,
        at=at(106),
    )
    script.add_event("rack", "UPDATE_COMPLETE", at=at(107))

    events = tail.poll()

    assert [(e.stack_name, e.logical_id, e.status) for e in events] == [
        ("rack-Api-XYZ", "rack-Api-XYZ", "UPDATE_IN_PROGRESS"),
        ("rack-Api-XYZ", "ServiceWebApi", "UPDATE_COMPLETE"),
        ("rack-Api-XYZ", "rack-Api-XYZ", "UPDATE_COMPLETE"),
        ("rack", "Api", "UPDATE_COMPLETE"),
        ("rack", "rack", "UPDATE_COMPLETE"),
    ]
    assert set(tail.nested) == {child}
    pages = tail.pages_read
    tail.poll()
    assert tail.pages_read == pages + 1  # the nested stack is at rest: no call for it


def test_throttled_tail_backs_off_reports_it_and_goes_on(aws_scripted: Scripted) -> None:
    script, target = aws_scripted
    _history(script, "rack", 10)
    notices: list[aws.ThrottleNotice] = []
    tail = aws.StackEventTail(target, "rack", backoff=_fast_backoff(notices))
    tail.poll()
    script.add_event("rack", "UPDATE_IN_PROGRESS", reason="after throttling")
    script.errors += [("Throttling", "Rate exceeded"), ("Throttling", "Rate exceeded")]

    events = tail.poll()

    assert [e.reason for e in events] == ["after throttling"]
    assert [(n.action, n.attempt, n.delay) for n in notices] == [
        ("DescribeStackEvents", 1, 0.01),
        ("DescribeStackEvents", 2, 0.02),
    ]


def test_update_request_on_the_wire(aws_scripted: Scripted) -> None:
    script, target = aws_scripted
    # Real AWS shows a NoEcho value as ****: it must never be sent back as a value.
    script.parameters["rack"] = {"Password": "****", "Key": "rack-keypair-1234", "Version": "2024"}

    token = aws.update_parameters(target, "rack", {"Password": NEW})

    sent = script.calls[-1]
    assert sent["Action"] == "UpdateStack"
    assert sent["UsePreviousTemplate"] == "true"
    assert sent["ClientRequestToken"] == token
    assert sent["Capabilities.member.1"] == "CAPABILITY_IAM"
    params = {
        sent[f"Parameters.member.{n}.ParameterKey"]: (
            sent.get(f"Parameters.member.{n}.ParameterValue"),
            sent.get(f"Parameters.member.{n}.UsePreviousValue"),
        )
        for n in (1, 2, 3)
    }
    assert params == {
        "Password": (NEW.reveal(), None),
        "Key": (None, "true"),
        "Version": (None, "true"),
    }
    assert "****" not in sent.values()


@pytest.mark.parametrize("status", ["UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_FAILED"])
def test_busy_stack_is_stack_busy_error(aws_scripted: Scripted, status: str) -> None:
    script, target = aws_scripted
    script.parameters["rack"] = {"Password": "****"}
    arn = "arn:aws:cloudformation:us-east-1:123456789012:stack/rack/x"

    original = script.reply

    def busy_on_update(form: dict[str, str]) -> tuple[int, str]:
        if form.get("Action") == "UpdateStack":
            script.errors.append(
                ("ValidationError", f"Stack:{arn} is in {status} state and can not be updated.")
            )
        return original(form)

    script.reply = busy_on_update  # type: ignore[method-assign]
    with pytest.raises(aws.StackBusyError) as caught:
        aws.update_parameters(target, "rack", {"Password": NEW})
    assert caught.value.status == status
    message = str(caught.value)
    assert status in message and "wait for the running operation" in message
    assert message.endswith(".") and message.count(". ") == 0


def test_access_denied_says_what_to_set(aws_scripted: Scripted) -> None:
    script, target = aws_scripted
    script.errors.append(
        ("AccessDenied", "User: arn:aws:iam::1:user/x is not authorized to perform: DescribeStacks")
    )
    with pytest.raises(aws.AwsCredentialsError) as caught:
        aws.describe_stack(target, "rack")
    assert "AccessDenied" in str(caught.value) and "AWS_PROFILE" in str(caught.value)


def test_a_key_echoed_by_aws_never_reaches_the_error_message(aws_scripted: Scripted) -> None:
    script, target = aws_scripted
    script.parameters["rack"] = {"Password": "****"}
    original = script.reply

    def echo_on_update(form: dict[str, str]) -> tuple[int, str]:
        if form.get("Action") == "UpdateStack":
            value = form["Parameters.member.1.ParameterValue"]
            script.errors.append(
                ("ValidationError", f"Parameter value {value} is not allowed. Fix it.")
            )
        return original(form)

    script.reply = echo_on_update  # type: ignore[method-assign]
    with pytest.raises(aws.AwsError) as caught:
        aws.update_parameters(target, "rack", {"Password": NEW})
    message = str(caught.value)
    assert NEW.reveal() not in message and MASK in message
    assert NEW.reveal() not in repr(caught.value)


def test_botocore_debug_logging_never_shows_the_new_key(
    aws_scripted: Scripted, caplog: pytest.LogCaptureFixture
) -> None:
    script, target = aws_scripted
    script.parameters["rack"] = {"Password": "****", "Key": "k"}
    with caplog.at_level(logging.DEBUG):
        aws.update_parameters(target, "rack", {"Password": NEW})
    assert script.calls[-1]["Parameters.member.1.ParameterValue"] == NEW.reveal()
    assert any(r.name.startswith("botocore") for r in caplog.records)  # logging was on
    assert NEW.reveal() not in caplog.text
