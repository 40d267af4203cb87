"""Unused `<stack>-keypair-NNNN` key pairs: the pure decision, then listing and deleting in moto."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.aws_support import aws_env, moto_target, moto_url, rack_template
from tui.base.errors import BadInputError, KeyrollError, RefusedError
from tui.clients import aws
from tui.core.key_pair_cleanup import (
    IN_USE_BY_PARAMETER,
    delete_unused_key_pairs,
    judge_key_pairs,
    key_pair_report,
)

__all__ = ["aws_env", "moto_url"]  # fixtures, used by name


def _pair(name: str) -> aws.KeyPairInfo:
    return aws.KeyPairInfo(name, f"key-{name}", "fp", datetime(2025, 1, 1, tzinfo=UTC))


def test_the_current_key_and_keys_instances_use_are_kept_and_others_are_unused() -> None:
    pairs = [
        _pair("prod-keypair-3000"),
        _pair("prod-keypair-1000"),
        _pair("prod-keypair-2000"),
        _pair("prod-keypair-1713900000"),  # the v3 CLI's unix-time suffix
        _pair("prod-keypair-old"),  # not a Convox name
        _pair("prod-staging-keypair-4000"),  # another rack's
        _pair("personal"),
    ]
    verdicts = judge_key_pairs(
        pairs,
        stack="prod",
        current_key="prod-keypair-2000",
        instance_keys={"i-0b": "prod-keypair-1000", "i-0a": "prod-keypair-1000"},
    )
    by_name = {v.name: v for v in verdicts}
    assert list(by_name) == [
        "prod-keypair-1000",
        "prod-keypair-1713900000",
        "prod-keypair-2000",
        "prod-keypair-3000",
    ]
    assert not by_name["prod-keypair-1000"].unused
    assert by_name["prod-keypair-1000"].why == "used by i-0a, i-0b"
    assert not by_name["prod-keypair-2000"].unused
    assert by_name["prod-keypair-2000"].why == IN_USE_BY_PARAMETER
    assert by_name["prod-keypair-3000"].unused and by_name["prod-keypair-1713900000"].unused


# KeyName follows the Key parameter, so the instances launched at create keep `-1000`
TEMPLATE = rack_template(
    {"Key": {"Type": "String", "Default": ""}}, desired=2, max_size=3, key_name=True
)


@pytest.fixture
def aws_target(aws_env: Path, moto_url: str) -> aws.AwsTarget:
    return moto_target(aws_env, moto_url)


@pytest.fixture
def rack(aws_target: aws.AwsTarget) -> str:
    """A stack whose instances use `-1000`, whose Key is now `-2000`, with `-3000` unused."""
    stack = f"rack{uuid.uuid4().hex[:8]}"
    ec2 = aws.client_for(aws_target, "ec2")
    for number in (1000, 2000, 3000):
        ec2.create_key_pair(KeyName=f"{stack}-keypair-{number}")
    ec2.create_key_pair(KeyName=f"{stack}-bastion")
    aws.client_for(aws_target, "cloudformation").create_stack(
        StackName=stack,
        TemplateBody=json.dumps(TEMPLATE),
        Parameters=[{"ParameterKey": "Key", "ParameterValue": f"{stack}-keypair-1000"}],
    )
    # moto applies the new Key at once without replacing instances: they keep -1000
    aws.update_parameters(aws_target, stack, {"Key": f"{stack}-keypair-2000"})
    return stack


def test_report_lists_only_the_pair_nothing_uses(aws_target: aws.AwsTarget, rack: str) -> None:
    report = key_pair_report(aws_target, rack)

    assert report.current_key == f"{rack}-keypair-2000"
    assert report.unused == [f"{rack}-keypair-3000"]
    kept = {v.name: v.why for v in report.verdicts if not v.unused}
    assert kept[f"{rack}-keypair-2000"] == IN_USE_BY_PARAMETER
    assert kept[f"{rack}-keypair-1000"].startswith("used by i-")
    assert f"{rack}-bastion" not in {v.name for v in report.verdicts}


def test_delete_removes_only_unused_pairs(aws_target: aws.AwsTarget, rack: str) -> None:
    deleted = delete_unused_key_pairs(aws_target, rack)

    assert deleted == [f"{rack}-keypair-3000"]
    left = {k.name for k in aws.list_key_pairs(aws_target, rack)}
    assert left == {f"{rack}-keypair-1000", f"{rack}-keypair-2000", f"{rack}-bastion"}
    assert delete_unused_key_pairs(aws_target, rack) == []


def test_naming_a_pair_in_use_or_not_the_racks_is_refused_before_any_delete(
    aws_target: aws.AwsTarget, rack: str
) -> None:
    with pytest.raises(RefusedError) as in_use:
        delete_unused_key_pairs(aws_target, rack, [f"{rack}-keypair-3000", f"{rack}-keypair-2000"])
    assert "in use" in str(in_use.value) and IN_USE_BY_PARAMETER in str(in_use.value)
    with pytest.raises(BadInputError):
        delete_unused_key_pairs(aws_target, rack, [f"{rack}-bastion"])
    left = {k.name for k in aws.list_key_pairs(aws_target, f"{rack}-keypair-")}
    assert len(left) == 3  # nothing was deleted


def test_without_aws_access_the_error_is_one_sentence(
    aws_target: aws.AwsTarget, tmp_path: Path
) -> None:
    empty = tmp_path / "empty-credentials"
    empty.write_text("")
    no_access = aws.AwsTarget(
        region="us-east-1", endpoint_url=aws_target.endpoint_url, credentials_file=str(empty)
    )
    with pytest.raises(KeyrollError) as caught:
        key_pair_report(no_access, "any-rack")
    message = str(caught.value)
    assert message.startswith("Listing any-rack's key pairs needs AWS access")
    assert message.endswith(".") and "\n" not in message
