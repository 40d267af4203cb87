"""Contract tests of the AWS client against moto's server (real AWS wire protocol on loopback).

moto 5.2.5 completes an update at once, emits only the root stack's own events, never sets
ClientRequestToken/OperationId on events and never returns LastOperations; the scripted
endpoint in test_aws_events.py covers what moto cannot produce.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.aws_support import rack_template
from tui.base.errors import BadInputError
from tui.base.secret import Secret
from tui.clients import aws

OLD = Secret("OldPassw0rd0123456789abcdefghijklmnop")
NEW = Secret("NewPassw0rd0123456789abcdefghijklmnop")

TEMPLATE = rack_template(
    {
        "Password": {"Type": "String", "NoEcho": True, "MinLength": 1, "MaxLength": 50},
        "Key": {"Type": "String", "Default": ""},
        "InstanceCount": {"Type": "Number", "Default": "3"},
        "InstanceType": {"Type": "String", "Default": "t3.small"},
        "Version": {"Type": "String"},
    },
    desired=3,  # test_rack_instances_come_from_the_instances_group counts three
    max_size=4,
)
PARAMETERS = {
    "Password": OLD.reveal(),
    "Key": "rack-keypair-1234",
    "InstanceCount": "4",
    "InstanceType": "t3.medium",
    "Version": "20240415123456",
}


def _create_stack(target: aws.AwsTarget, name: str, template: dict[str, Any] = TEMPLATE) -> None:
    aws.client_for(target, "cloudformation").create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()],
    )


def _moto_stack(name: str) -> Any:
    """The stack as moto holds it: its real parameter values, NoEcho or not."""
    from moto.cloudformation.models import cloudformation_backends

    backend = cloudformation_backends["123456789012"]["us-east-1"]
    return next(s for s in backend.stacks.values() if s.name == name)


def test_update_parameters_changes_only_password_and_keeps_every_other_value(
    aws_moto: aws.AwsTarget,
) -> None:
    _create_stack(aws_moto, "keep-others")
    template_before = _moto_stack("keep-others").template

    token = aws.update_parameters(aws_moto, "keep-others", {"Password": NEW})

    assert token.startswith("keyroll-") and len(token) <= 128
    stack = _moto_stack("keep-others")
    assert stack.stack_parameters["Password"] == NEW.reveal()
    others = {k: str(v) for k, v in stack.stack_parameters.items() if k != "Password"}
    assert others == {k: v for k, v in PARAMETERS.items() if k != "Password"}
    assert stack.template == template_before
    snapshot = aws.describe_stack(aws_moto, "keep-others")
    assert snapshot.status == "UPDATE_COMPLETE"
    assert snapshot.outcome is aws.Outcome.SUCCEEDED


def test_each_update_returns_a_fresh_request_token(aws_moto: aws.AwsTarget) -> None:
    _create_stack(aws_moto, "tokens")
    first = aws.update_parameters(aws_moto, "tokens", {"Password": NEW})
    second = aws.update_parameters(aws_moto, "tokens", {"Password": OLD})
    assert first != second


def test_unchanged_values_raise_no_update_error(aws_moto: aws.AwsTarget) -> None:
    _create_stack(aws_moto, "no-change")
    with pytest.raises(aws.NoUpdateError) as caught:
        aws.update_parameters(aws_moto, "no-change", {"Key": PARAMETERS["Key"]})
    message = str(caught.value)
    assert "nothing to change" in message and "no-change" in message
    assert message.count(". ") == 0 and message.endswith(".")


def test_unknown_parameter_is_bad_input_before_anything_is_sent(aws_moto: aws.AwsTarget) -> None:
    _create_stack(aws_moto, "bad-name")
    with pytest.raises(BadInputError) as caught:
        aws.update_parameters(aws_moto, "bad-name", {"Pasword": NEW})
    assert caught.value.exit_code == 2
    assert "no parameter named Pasword" in str(caught.value)
    assert _moto_stack("bad-name").stack_parameters["Password"] == OLD.reveal()


def test_missing_stack_is_a_clear_error(aws_moto: aws.AwsTarget) -> None:
    with pytest.raises(aws.StackNotFoundError) as caught:
        aws.update_parameters(aws_moto, "no-such-rack", {"Password": NEW})
    assert str(caught.value).startswith("The stack no-such-rack does not exist")


def test_tail_reads_one_page_at_steady_state_and_returns_new_events_oldest_first(
    aws_moto: aws.AwsTarget,
) -> None:
    _create_stack(aws_moto, "long-history")
    for n in range(40):  # 80 update events on top of the create's
        aws.update_parameters(aws_moto, "long-history", {"InstanceCount": str(5 + n)})
    tail = aws.StackEventTail(aws_moto, "long-history")

    assert tail.poll() == []  # the baseline: history is not new
    assert tail.pages_read == 1
    assert tail.poll() == []
    assert tail.pages_read == 2

    aws.update_parameters(aws_moto, "long-history", {"Password": NEW})
    new = tail.poll()
    assert tail.pages_read == 3
    assert [e.status for e in new] == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]
    assert new[0].timestamp <= new[1].timestamp
    assert all(e.is_stack_itself for e in new)
    assert new[1].is_terminal
    assert tail.poll() == []  # nothing returned twice
    assert tail.pages_read == 4


def test_tail_tied_to_an_update_by_its_start_event(aws_moto: aws.AwsTarget) -> None:
    _create_stack(aws_moto, "tied")
    aws.update_parameters(aws_moto, "tied", {"InstanceCount": "6"})  # an earlier operation
    requested_at = datetime.now(UTC)
    token = aws.update_parameters(aws_moto, "tied", {"Password": NEW})
    tail = aws.StackEventTail(
        aws_moto,
        "tied",
        tie=aws.OperationTie(requested_at=requested_at, client_request_token=token),
    )

    events = tail.poll()

    assert [e.status for e in events] == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]
    assert tail.operation_started == events[0]
    assert tail.operation_ended == events[1]
    assert aws.outcome_for(events[-1].status) is aws.Outcome.SUCCEEDED
    aws.update_parameters(aws_moto, "tied", {"InstanceCount": "7"})  # a later operation
    assert tail.poll() == []


def test_key_pairs_create_list_delete(aws_moto: aws.AwsTarget) -> None:
    name, private_key = aws.create_key_pair(aws_moto, "kp-rack")
    assert name.startswith("kp-rack-keypair-") and 1000 <= int(name[-4:]) <= 9999
    assert isinstance(private_key, Secret)
    assert "PRIVATE KEY" in private_key.reveal()
    assert "PRIVATE" not in repr(private_key)

    listed = aws.list_key_pairs(aws_moto, "kp-rack-keypair-")
    assert [k.name for k in listed] == [name]
    assert listed[0].fingerprint

    aws.delete_key_pair(aws_moto, name)
    assert aws.list_key_pairs(aws_moto, "kp-rack-keypair-") == []


def test_key_pair_name_taken_is_retried_with_another_number(aws_moto: aws.AwsTarget) -> None:
    first_pick = random.Random(42).randint(1000, 9999)
    taken = f"dup-rack-keypair-{first_pick}"
    aws.client_for(aws_moto, "ec2").create_key_pair(KeyName=taken)

    name, _ = aws.create_key_pair(aws_moto, "dup-rack", rng=random.Random(42))

    assert name != taken and name.startswith("dup-rack-keypair-")
    assert {k.name for k in aws.list_key_pairs(aws_moto, "dup-rack-")} == {taken, name}


def test_rack_instances_come_from_the_instances_group(aws_moto: aws.AwsTarget) -> None:
    _create_stack(aws_moto, "with-asg")
    assert aws.instances_group_name(aws_moto, "with-asg")
    instances = aws.rack_instances(aws_moto, "with-asg")
    assert len(instances) == 3
    for instance in instances:
        assert instance.instance_id.startswith("i-")
        assert instance.lifecycle_state == "InService"
        assert instance.health == "Healthy"
        assert instance.launch_template_id.startswith("lt-")
        assert instance.launch_template_version == "1"
        assert instance.launched_at is not None


def test_no_credentials_gives_one_sentence_saying_what_to_set(
    aws_env: Path, aws_moto_url: str
) -> None:
    empty = aws_env / "empty-credentials"
    empty.write_text("")
    target = aws.AwsTarget(
        region="us-east-1", endpoint_url=aws_moto_url, credentials_file=str(empty)
    )
    with pytest.raises(aws.AwsCredentialsError) as caught:
        aws.describe_stack(target, "any")
    message = str(caught.value)
    assert "No AWS credentials" in message and "AWS_PROFILE" in message
    assert message.endswith(".") and message.count(". ") == 0


def test_unknown_profile_gives_a_clear_error(aws_moto: aws.AwsTarget) -> None:
    target = aws.AwsTarget(
        profile="nobody",
        region="us-east-1",
        endpoint_url=aws_moto.endpoint_url,
        credentials_file=aws_moto.credentials_file,
    )
    with pytest.raises(aws.AwsCredentialsError) as caught:
        aws.client_for(target, "cloudformation")
    assert "profile" in str(caught.value)


def test_one_client_per_target_and_service(aws_moto: aws.AwsTarget) -> None:
    cfn = aws.client_for(aws_moto, "cloudformation")
    assert aws.client_for(aws_moto, "cloudformation") is cfn
    assert aws.client_for(aws_moto, "ec2") is not cfn
    other = aws.AwsTarget(
        region="eu-west-1",
        endpoint_url=aws_moto.endpoint_url,
        credentials_file=aws_moto.credentials_file,
    )
    assert aws.client_for(other, "cloudformation") is not cfn
    config = cfn.meta.config
    assert config.connect_timeout <= 5 and config.read_timeout <= 15
    assert config.retries["total_max_attempts"] == 1


def test_importing_the_client_does_not_import_boto3() -> None:
    code = "import sys, tui.clients.aws; print('boto3' in sys.modules, 'botocore' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
