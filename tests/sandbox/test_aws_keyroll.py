"""keyroll's own AWS client (`tui.clients.aws`) against the sandbox's AWS endpoint over a world.

Every call goes through boto3 over a real loopback socket to `AwsEndpoint`; the world runs
`FAST` times faster than real time, so a one-minute instance keyroll takes a fraction of a
second. Back-off schedules are injected short so throttling costs milliseconds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.aws_support import scrub_aws_env
from tui.base.secret import Secret
from tui.clients import aws
from tui.clients.aws_session import AwsTarget, forget_clients
from tui.sandbox.aws_server import AwsEndpoint
from tui.sandbox.default_world import build_default_world
from tui.sandbox.world import World, WorldOptions

FAST = 200.0
STACK = "production"
ROLLING_REASONS = (
    "Rolling update initiated. Terminating 3 obsolete instance(s) in batches of 1, while "
    "keeping at least 3 instance(s) in service. Waiting on resource signals with a timeout "
    "of PT5M when new instances are added to the autoscaling group.",
    "Temporarily setting autoscaling group MinSize and DesiredCapacity to 4.",
)
SIGNAL_FAILURE = (
    "Instances: Failed to receive 1 resource signal(s) for the current batch. Each resource "
    "signal timeout is counted as a FAILURE."
)


@dataclass
class AwsWorld:
    """A world, its AWS endpoint, and an `AwsTarget` with the endpoint's credentials."""

    world: World
    endpoint: AwsEndpoint
    target: AwsTarget


def start_aws_world(tmp_path: Path, **options: Any) -> AwsWorld:
    """The default world (`options` are `WorldOptions`) with a running endpoint."""
    options.setdefault("speed", FAST)
    options.setdefault("seed", 7)
    world = build_default_world(WorldOptions(**options))
    endpoint = AwsEndpoint(world).start()
    credentials = endpoint.write_credentials(tmp_path / f"credentials-{endpoint.port}")
    target = AwsTarget(
        region=endpoint.region, endpoint_url=endpoint.url, credentials_file=str(credentials)
    )
    return AwsWorld(world, endpoint, target)


@pytest.fixture
def make_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., AwsWorld]]:
    """Start worlds with endpoints (no real AWS settings reach the test); every endpoint is
    stopped after the test."""
    scrub_aws_env(monkeypatch, tmp_path)
    started: list[AwsWorld] = []

    def make(**options: Any) -> AwsWorld:
        started.append(start_aws_world(tmp_path, **options))
        return started[-1]

    yield make
    for each in started:
        each.endpoint.stop()
    forget_clients()


def fast_backoff(notices: list[aws.ThrottleNotice] | None = None) -> aws.Backoff:
    """A back-off that waits 5 ms a step and reports each wait into `notices`."""
    return aws.Backoff(
        (0.005,), jitter=0, on_throttle=notices.append if notices is not None else None
    )


def watch(
    target: AwsTarget, token: str, requested_at: datetime, backoff: aws.Backoff, timeout: float = 20
) -> tuple[aws.StackEventTail, list[aws.StackEvent]]:
    """Tail the operation `token` started until it comes to rest; its events, oldest first."""
    tie = aws.OperationTie(requested_at=requested_at, client_request_token=token)
    tail = aws.StackEventTail(target, STACK, tie=tie, backoff=backoff)
    events: list[aws.StackEvent] = []
    deadline = time.monotonic() + timeout
    while tail.operation_ended is None:
        assert time.monotonic() < deadline, "the update did not come to rest in time"
        events += tail.poll()
        time.sleep(0.01)
    return tail, events


def reasons(events: list[aws.StackEvent], logical_id: str) -> list[str]:
    return [e.reason for e in events if e.logical_id == logical_id and e.reason]


def test_instance_keyroll_is_watched_to_update_complete_with_every_instance_replaced(
    make_aws: Callable[..., AwsWorld],
) -> None:
    env = make_aws()
    target = env.target
    requested = datetime.now(UTC)
    before = aws.rack_instances(target, STACK)
    # CloudFormation replaces the oldest instance first
    old_ids = [i.instance_id for i in sorted(before, key=lambda i: i.launched_at or requested)]
    assert len(old_ids) == 3 and {i.lifecycle_state for i in before} == {"InService"}
    old_version = int(before[0].launch_template_version)

    name, private_key = aws.create_key_pair(target, STACK, rng=random.Random(3))
    assert name.startswith(f"{STACK}-keypair-") and "PRIVATE KEY" in private_key.reveal()
    requested_at = datetime.now(UTC)
    token = aws.update_parameters(target, STACK, {"Key": name}, backoff=fast_backoff())
    tail, events = watch(target, token, requested_at, fast_backoff())

    assert tail.operation_ended is not None
    assert tail.operation_ended.status == "UPDATE_COMPLETE"
    assert all(e.client_request_token == token for e in events)
    assert events[0].is_stack_itself and events[0].status == "UPDATE_IN_PROGRESS"
    root = [e.status for e in events if e.is_stack_itself]
    assert root == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE"]

    said = reasons(events, "Instances")
    assert tuple(said[:2]) == ROLLING_REASONS
    batches = [said[2 + 4 * n : 6 + 4 * n] for n in range(3)]
    assert len(said) == 2 + 4 * 3
    new_ids = []
    for number, (old_id, batch) in enumerate(zip(old_ids, batches, strict=True), start=1):
        added, signal, terminating, terminated = batch
        assert added == (
            "New instance(s) added to autoscaling group - Waiting on 1 resource signal(s) "
            "with a timeout of PT5M."
        )
        assert signal.startswith("Received SUCCESS signal with UniqueId i-")
        new_ids.append(signal.rsplit(" ", 1)[1])
        assert (
            terminating == f"Terminating instance(s) [{old_id}]; replacing with 1 new instance(s)."
        )
        progress = round(100 * number / 3)
        assert (
            terminated == f"Successfully terminated instance(s) [{old_id}] (Progress {progress}%)."
        )

    snapshot = aws.describe_stack(target, STACK, fast_backoff())
    assert snapshot.status == "UPDATE_COMPLETE" and snapshot.outcome is aws.Outcome.SUCCEEDED
    assert snapshot.parameters["Key"] == name and snapshot.parameters["Password"] == "****"
    after = aws.rack_instances(target, STACK)
    assert sorted(i.instance_id for i in after) == sorted(new_ids)
    assert not set(new_ids) & set(old_ids)
    for instance in after:
        assert instance.lifecycle_state == "InService" and instance.health == "Healthy"
        assert instance.key_name == name
        assert int(instance.launch_template_version) == old_version + 1
    # One simulated second is one real second at the default speed: the roll's real length.
    took = (events[-1].timestamp - events[0].timestamp).total_seconds()
    assert 40 <= took <= 90


def test_password_roll_is_watched_to_update_complete_and_the_rack_takes_the_new_key(
    make_aws: Callable[..., AwsWorld],
) -> None:
    env = make_aws()
    new_key = Secret("Sandbox0Password0Roll0abcdefghijklmnopqrst")
    requested_at = datetime.now(UTC)
    token = aws.update_parameters(env.target, STACK, {"Password": new_key}, fast_backoff())
    tail, events = watch(env.target, token, requested_at, fast_backoff())

    assert tail.operation_ended is not None and tail.operation_ended.status == "UPDATE_COMPLETE"
    touched = {e.logical_id for e in events if e.status == "UPDATE_COMPLETE"}
    assert {"RackApiSecret", "ApiMonitorTasks", "ServiceWebApi"} <= touched
    assert "Instances" not in {e.logical_id for e in events}  # no instance is replaced
    assert env.world.rack(STACK).accepts(new_key.reveal())
    snapshot = aws.describe_stack(env.target, STACK, fast_backoff())
    assert snapshot.parameters["Password"] == "****"
    assert new_key.reveal() not in repr(snapshot)


def test_rollback_is_watched_to_update_rollback_complete_with_its_reasons(
    make_aws: Callable[..., AwsWorld],
) -> None:
    env = make_aws(scenario="rollback")
    old_key = aws.describe_stack(env.target, STACK, fast_backoff()).parameters["Key"]
    old_ids = {i.instance_id for i in aws.rack_instances(env.target, STACK)}
    name, _ = aws.create_key_pair(env.target, STACK, rng=random.Random(5))
    requested_at = datetime.now(UTC)
    token = aws.update_parameters(env.target, STACK, {"Key": name}, fast_backoff())
    tail, events = watch(env.target, token, requested_at, fast_backoff())

    assert tail.operation_ended is not None
    assert tail.operation_ended.status == "UPDATE_ROLLBACK_COMPLETE"
    assert aws.outcome_for(tail.operation_ended.status) is aws.Outcome.ROLLED_BACK
    assert aws.failure_messages(events) == [SIGNAL_FAILURE]
    root = [e.status for e in events if e.is_stack_itself]
    assert root == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]
    snapshot = aws.describe_stack(env.target, STACK, fast_backoff())
    assert snapshot.parameters["Key"] == old_key  # the instances keep the old SSH key
    after = aws.rack_instances(env.target, STACK)
    assert {i.key_name for i in after} == {old_key}
    assert len(after) == 3 and len(old_ids - {i.instance_id for i in after}) == 1


def test_throttling_is_survived_with_back_off_notices(make_aws: Callable[..., AwsWorld]) -> None:
    env = make_aws(scenario="throttle")
    notices: list[aws.ThrottleNotice] = []
    backoff = fast_backoff(notices)
    requested_at = datetime.now(UTC)
    token = aws.update_parameters(
        env.target, STACK, {"Password": Secret("Throttled0Roll0abcdefghijklmnopqrstuvw")}, backoff
    )
    tail, events = watch(env.target, token, requested_at, backoff)

    assert tail.operation_ended is not None and tail.operation_ended.status == "UPDATE_COMPLETE"
    refused = sum(env.endpoint.throttled.values())
    assert refused >= 2 and len(notices) == refused == backoff.throttled
    assert {n.code for n in notices} == {"Throttling"}
    assert {n.action for n in notices} <= {"DescribeStacks", "UpdateStack", "DescribeStackEvents"}
    assert notices[0].text() == "throttled, retrying in 0 s"
    # Every event was still seen once, in order, despite the refusals.
    assert len({e.event_id for e in events}) == len(events)
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)


def test_a_long_history_costs_one_page_per_steady_state_poll(
    make_aws: Callable[..., AwsWorld],
) -> None:
    env = make_aws(history_events={STACK: 5000}, speed=50.0)
    counted = env.endpoint.requests
    tail = aws.StackEventTail(env.target, STACK, backoff=fast_backoff())
    assert tail.poll() == []  # the baseline: one page of 100, not 51 pages of history
    assert counted["DescribeStackEvents"] == 1 and tail.pages_read == 1

    aws.update_parameters(
        env.target,
        STACK,
        {"Password": Secret("History0Roll0abcdefghijklmnopqrstuvwxyz")},
        fast_backoff(),
    )
    seen: list[aws.StackEvent] = []
    polls = 0
    while not (seen and seen[-1].is_terminal):
        before = counted["DescribeStackEvents"]
        seen += tail.poll()
        polls += 1
        assert counted["DescribeStackEvents"] == before + 1, "a steady-state poll read 2 pages"
        assert polls < 2000
        time.sleep(0.01)
    assert tail.pages_read == polls + 1
    assert seen[0].status == "UPDATE_IN_PROGRESS" and seen[-1].status == "UPDATE_COMPLETE"
    assert len(env.world.rack(STACK).stack.events) > 5000


def test_key_pairs_are_created_listed_and_deleted(make_aws: Callable[..., AwsWorld]) -> None:
    env = make_aws()
    existing = [k.name for k in aws.list_key_pairs(env.target, f"{STACK}-keypair-")]
    assert len(existing) == 1  # the key the rack's instances use
    first, _ = aws.create_key_pair(env.target, STACK, rng=random.Random(9))
    # The same number again is a duplicate: keyroll tries another name.
    second, second_key = aws.create_key_pair(env.target, STACK, rng=random.Random(9))
    assert first != second and second.startswith(f"{STACK}-keypair-")
    listed = aws.list_key_pairs(env.target, f"{STACK}-keypair-")
    assert [k.name for k in listed] == sorted([*existing, first, second])
    by_name = {k.name: k for k in listed}
    assert by_name[second].key_pair_id.startswith("key-")
    assert by_name[second].fingerprint == env.world.key_pairs[second].fingerprint
    assert env.world.key_pairs[second].private_key == second_key
    assert by_name[second].created is not None
    assert aws.list_key_pairs(env.target, "staging-keypair-") != listed

    aws.delete_key_pair(env.target, first)
    aws.delete_key_pair(env.target, first)  # already gone: still fine, as in EC2
    assert [k.name for k in aws.list_key_pairs(env.target, f"{STACK}-keypair-")] == sorted(
        [*existing, second]
    )


def test_a_wrong_access_key_is_refused(make_aws: Callable[..., AwsWorld], tmp_path: Path) -> None:
    env = make_aws()
    wrong = tmp_path / "wrong-credentials"
    wrong.write_text(
        "[default]\naws_access_key_id = AKIAWRONGWRONGWRONG0\naws_secret_access_key = x\n"
    )
    target = AwsTarget(
        region=env.endpoint.region, endpoint_url=env.endpoint.url, credentials_file=str(wrong)
    )
    with pytest.raises(aws.AwsCredentialsError, match="InvalidClientTokenId"):
        aws.describe_stack(target, STACK, aws.Backoff(max_retries=0))
    with pytest.raises(aws.AwsCredentialsError, match="AuthFailure"):
        aws.list_key_pairs(target, STACK)
    with pytest.raises(aws.AwsCredentialsError, match="InvalidClientTokenId"):
        aws.rack_instances(target, STACK)
    assert sum(env.endpoint.requests.values()) == 0  # nothing reached the world
    assert env.world.requests["DescribeStacks"] == 0


def test_busy_stack_and_no_op_updates_are_typed(make_aws: Callable[..., AwsWorld]) -> None:
    env = make_aws(stepped=True)  # the world stands still: the update is still running
    current = aws.describe_stack(env.target, STACK, fast_backoff()).parameters["Key"]
    with pytest.raises(aws.NoUpdateError, match="nothing to change"):
        aws.update_parameters(env.target, STACK, {"Key": current}, fast_backoff())

    aws.update_parameters(
        env.target,
        STACK,
        {"Password": Secret("Busy0Stack0Roll0abcdefghijklmnopqrstuvwx")},
        fast_backoff(),
    )
    with pytest.raises(aws.StackBusyError) as busy:
        aws.update_parameters(env.target, STACK, {"Key": current + "-other"}, fast_backoff())
    assert busy.value.status == "UPDATE_IN_PROGRESS"
    assert "wait for the running operation" in str(busy.value)
    with pytest.raises(aws.StackNotFoundError):
        aws.describe_stack(env.target, "no-such-stack", fast_backoff())
