"""Plain boto3 (no keyroll code) against the sandbox's AWS endpoint: botocore sends every
action in its query protocol and parses every answer, results and errors alike."""

from __future__ import annotations

import math
import socket
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError
from botocore.serialize import create_serializer

from tests.sandbox.test_aws_keyroll import STACK, AwsWorld, make_aws
from tui.sandbox.aws_query import parse_parameters
from tui.sandbox.aws_server import AwsEndpoint
from tui.sandbox.default_world import build_default_world
from tui.sandbox.world import WorldOptions

__all__ = ["make_aws"]  # a fixture, used by name

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


def client(env: AwsWorld, service: str, **overrides: Any) -> Any:
    """A boto3 client on the endpoint with its own credentials (or `overrides`)."""
    endpoint = env.endpoint
    options: dict[str, Any] = {
        "endpoint_url": endpoint.url,
        "region_name": endpoint.region,
        "aws_access_key_id": endpoint.access_key_id,
        "aws_secret_access_key": endpoint.secret_access_key.reveal(),
        "config": NO_RETRIES,
    }
    options.update(overrides)
    return boto3.client(service, **options)


def error_of(call: Callable[..., Any], **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """The HTTP status and parsed `Error` of a call that must fail."""
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]


# CloudFormation ----------------------------------------------------------------------------


def test_describe_stacks_masks_the_password_and_shows_the_stack(
    make_aws: Callable[..., AwsWorld],
) -> None:
    env = make_aws()
    cfn = client(env, "cloudformation")
    stacks = cfn.describe_stacks()["Stacks"]
    assert sorted(s["StackName"] for s in stacks) == ["dev", "production", "staging"]
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["Password"] == "****"
    assert parameters["Key"].startswith("production-keypair-")
    assert parameters["InstanceCount"] == "3" and parameters["HighAvailability"] == "true"
    assert stack["Capabilities"] == ["CAPABILITY_IAM"]
    assert stack["StackStatus"] == "CREATE_COMPLETE" and "LastUpdatedTime" not in stack
    assert stack["StackId"].startswith("arn:aws:cloudformation:us-east-1:")
    assert stack["Outputs"] and all(o["OutputValue"] for o in stack["Outputs"])
    assert {"Key": "Rack", "Value": STACK} in stack["Tags"]
    assert stack["DisableRollback"] is False and stack["CreationTime"].tzinfo is not None
    # by StackId too, as CloudFormation allows
    assert cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackName"] == STACK

    status, error = error_of(cfn.describe_stacks, StackName="nope")
    assert status == 400
    assert error == {
        "Type": "Sender",
        "Code": "ValidationError",
        "Message": "Stack with id nope does not exist",
    }


def test_update_stack_stamps_its_token_and_answers_cloudformation_errors(
    make_aws: Callable[..., AwsWorld],
) -> None:
    env = make_aws(speed=5.0)
    cfn = client(env, "cloudformation")
    current = cfn.describe_stacks(StackName=STACK)["Stacks"][0]["Parameters"]
    keep = [{"ParameterKey": p["ParameterKey"], "UsePreviousValue": True} for p in current]
    status, error = error_of(
        cfn.update_stack, StackName=STACK, UsePreviousTemplate=True, Parameters=keep
    )
    assert (status, error["Code"]) == (400, "InsufficientCapabilitiesException")
    assert error["Message"] == "Requires capabilities : [CAPABILITY_IAM]"
    status, error = error_of(
        cfn.update_stack,
        StackName=STACK,
        UsePreviousTemplate=True,
        Parameters=keep,
        Capabilities=["CAPABILITY_IAM"],
    )
    assert error["Message"] == "No updates are to be performed."
    status, error = error_of(cfn.update_stack, StackName=STACK, Parameters=keep)
    assert error["Message"] == "Either Template URL or Template Body must be specified."

    status, error = error_of(
        cfn.update_stack,
        StackName=STACK,
        UsePreviousTemplate=True,
        Parameters=[*keep, {"ParameterKey": "Nope", "ParameterValue": "x"}],
        Capabilities=["CAPABILITY_IAM"],
    )
    assert error["Message"] == "Parameters: [Nope] do not exist in the template"

    changed = [p for p in keep if p["ParameterKey"] != "InstanceType"]
    changed.append({"ParameterKey": "InstanceType", "ParameterValue": "t3.medium"})
    request = {
        "StackName": STACK,
        "UsePreviousTemplate": True,
        "Parameters": changed,
        "Capabilities": ["CAPABILITY_IAM"],
        "ClientRequestToken": "token-1",
    }
    stack_id = cfn.update_stack(**request)["StackId"]
    assert cfn.update_stack(**request)["StackId"] == stack_id  # a retry with the same token
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_IN_PROGRESS" and "LastUpdatedTime" in stack
    page = cfn.describe_stack_events(StackName=STACK)["StackEvents"]
    ours = [e for e in page if e.get("ClientRequestToken") == "token-1"]
    assert ours and ours[0] is page[0]  # the newest events are the update's
    assert ours[-1]["ResourceStatus"] == "UPDATE_IN_PROGRESS"
    assert ours[-1]["ResourceStatusReason"] == "User Initiated"

    request["ClientRequestToken"] = "token-2"
    status, error = error_of(cfn.update_stack, **request)
    assert (status, error["Code"]) == (400, "ValidationError")
    assert (
        error["Message"]
        == f"Stack:{stack_id} is in UPDATE_IN_PROGRESS state and can not be updated."
    )


def test_the_events_paginator_walks_every_page_newest_first(
    make_aws: Callable[..., AwsWorld],
) -> None:
    env = make_aws(history_events={STACK: 5000})
    cfn = client(env, "cloudformation")
    total = len(env.world.rack(STACK).stack.events)
    pages = list(cfn.get_paginator("describe_stack_events").paginate(StackName=STACK))
    events = [e for page in pages for e in page["StackEvents"]]
    assert len(pages) == math.ceil(total / 100) == env.endpoint.requests["DescribeStackEvents"]
    assert all(len(page["StackEvents"]) == 100 for page in pages[:-1])
    assert len(events) == total and len({e["EventId"] for e in events}) == total
    stamps = [e["Timestamp"] for e in events]
    assert stamps == sorted(stamps, reverse=True)
    assert events[-1]["ResourceStatus"] == "CREATE_IN_PROGRESS"
    status, error = error_of(cfn.describe_stack_events, StackName=STACK, NextToken="garbage")
    assert (status, error["Message"]) == (400, "Invalid NextToken")


def test_stack_resources_one_and_all(make_aws: Callable[..., AwsWorld]) -> None:
    env = make_aws()
    cfn = client(env, "cloudformation")
    resources = cfn.describe_stack_resources(StackName=STACK)["StackResources"]
    by_id = {r["LogicalResourceId"]: r for r in resources}
    assert by_id["Instances"]["ResourceType"] == "AWS::AutoScaling::AutoScalingGroup"
    assert by_id["Instances"]["ResourceStatus"] == "CREATE_COMPLETE"
    detail = cfn.describe_stack_resource(StackName=STACK, LogicalResourceId="Instances")
    detail = detail["StackResourceDetail"]
    assert detail["PhysicalResourceId"] == by_id["Instances"]["PhysicalResourceId"]
    assert detail["LastUpdatedTimestamp"] == by_id["Instances"]["Timestamp"]
    physical = by_id["Instances"]["PhysicalResourceId"]
    found = cfn.describe_stack_resources(PhysicalResourceId=physical)["StackResources"]
    assert [r["LogicalResourceId"] for r in found] == ["Instances"]
    status, error = error_of(cfn.describe_stack_resource, StackName=STACK, LogicalResourceId="Nope")
    assert status == 400
    assert error["Message"] == "Resource Nope does not exist for stack production"


def test_an_action_not_served_is_invalid_action(make_aws: Callable[..., AwsWorld]) -> None:
    env = make_aws()
    status, error = error_of(client(env, "cloudformation").list_stacks)
    assert (status, error["Code"]) == (400, "InvalidAction")
    assert error["Message"] == "The action ListStacks is not valid for this web service."


# EC2 -----------------------------------------------------------------------------------------


def test_key_pairs_through_ec2(make_aws: Callable[..., AwsWorld]) -> None:
    env = make_aws()
    ec2 = client(env, "ec2")
    made = ec2.create_key_pair(KeyName="production-keypair-0042")
    assert made["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert made["KeyPairId"].startswith("key-") and made["KeyFingerprint"].count(":") == 19
    status, error = error_of(ec2.create_key_pair, KeyName="production-keypair-0042")
    assert (status, error["Code"]) == (400, "InvalidKeyPair.Duplicate")
    assert error["Message"] == "The keypair 'production-keypair-0042' already exists."

    def names(**kwargs: Any) -> list[str]:
        return sorted(k["KeyName"] for k in ec2.describe_key_pairs(**kwargs)["KeyPairs"])

    everything = names()
    assert len(everything) == 4  # one per rack, and the new one
    ours = names(Filters=[{"Name": "key-name", "Values": ["production-keypair-*"]}])
    assert len(ours) == 2 and "production-keypair-0042" in ours
    assert names(Filters=[{"Name": "key-name", "Values": ["*-keypair-004?"]}]) == [
        "production-keypair-0042"
    ]
    assert names(Filters=[{"Name": "key-name", "Values": ["production-keypair-0"]}]) == []
    assert names(KeyPairIds=[made["KeyPairId"]]) == ["production-keypair-0042"]
    assert names(KeyNames=["production-keypair-0042"]) == ["production-keypair-0042"]
    status, error = error_of(ec2.describe_key_pairs, KeyNames=["missing"])
    assert (status, error["Code"]) == (400, "InvalidKeyPair.NotFound")
    assert error["Message"] == "The key pair 'missing' does not exist"
    status, error = error_of(ec2.describe_key_pairs, Filters=[{"Name": "bogus", "Values": ["x"]}])
    assert error["Code"] == "InvalidParameterValue"

    assert ec2.delete_key_pair(KeyName="production-keypair-0042")["Return"] is True
    assert ec2.delete_key_pair(KeyName="production-keypair-0042")["Return"] is True
    assert "production-keypair-0042" not in names()


def test_describe_instances_by_id_and_filters(make_aws: Callable[..., AwsWorld]) -> None:
    env = make_aws()
    ec2 = client(env, "ec2")

    def instances(**kwargs: Any) -> list[dict[str, Any]]:
        reply = ec2.describe_instances(**kwargs)
        return [i for r in reply["Reservations"] for i in r["Instances"]]

    everything = instances()
    assert len(everything) == 6  # 3 + 2 + 1 across the three racks
    production = instances(Filters=[{"Name": "tag:Rack", "Values": [STACK]}])
    assert len(production) == 3
    one = production[0]
    assert one["State"] == {"Code": 16, "Name": "running"}
    assert one["KeyName"].startswith("production-keypair-")
    assert one["LaunchTime"].tzinfo is not None and one["Placement"]["AvailabilityZone"]
    assert {"Key": "aws:cloudformation:stack-name", "Value": STACK} in one["Tags"]
    assert instances(InstanceIds=[one["InstanceId"]]) == [one]
    assert instances(Filters=[{"Name": "instance-id", "Values": [one["InstanceId"]]}]) == [one]
    both = instances(
        Filters=[
            {"Name": "tag:Rack", "Values": [STACK, "dev"]},
            {"Name": "instance-state-name", "Values": ["running"]},
        ]
    )
    assert len(both) == 4
    reply = ec2.describe_instances(InstanceIds=[one["InstanceId"]])
    assert reply["Reservations"][0]["ReservationId"].startswith("r-")
    assert reply["Reservations"][0]["OwnerId"] == env.world.account_id
    status, error = error_of(ec2.describe_instances, InstanceIds=["i-00000000000000000"])
    assert (status, error["Code"]) == (400, "InvalidInstanceID.NotFound")
    assert error["Message"] == "The instance ID 'i-00000000000000000' does not exist"


# Auto Scaling --------------------------------------------------------------------------------


def test_auto_scaling_groups_with_instances_and_tags(make_aws: Callable[..., AwsWorld]) -> None:
    env = make_aws()
    asg = client(env, "autoscaling")
    groups = asg.describe_auto_scaling_groups()["AutoScalingGroups"]
    assert len(groups) == 3
    stack_filter = [
        {"Name": "tag:aws:cloudformation:logical-id", "Values": ["Instances"]},
        {"Name": "tag:aws:cloudformation:stack-name", "Values": [STACK]},
    ]
    (group,) = asg.describe_auto_scaling_groups(Filters=stack_filter)["AutoScalingGroups"]
    name = group["AutoScalingGroupName"]
    assert name == env.world.rack(STACK).asg_name
    tags = {t["Key"]: t["Value"] for t in group["Tags"]}
    assert tags["aws:cloudformation:stack-name"] == STACK and tags["Rack"] == STACK
    assert tags["aws:cloudformation:stack-id"].startswith("arn:aws:cloudformation:")
    assert group["DesiredCapacity"] == 3 and len(group["Instances"]) == 3
    for member in group["Instances"]:
        assert member["LifecycleState"] == "InService" and member["HealthStatus"] == "Healthy"
        assert member["LaunchTemplate"]["Version"] == group["LaunchTemplate"]["Version"]
        assert member["ProtectedFromScaleIn"] is False
    assert asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"] == [
        group
    ]
    missing = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["nope"])
    assert missing["AutoScalingGroups"] == []  # unknown names are no error in Auto Scaling
    pages = list(
        asg.get_paginator("describe_auto_scaling_groups").paginate(PaginationConfig={"PageSize": 2})
    )
    assert [len(p["AutoScalingGroups"]) for p in pages] == [2, 1]


# Credentials, scenarios, lifecycle -----------------------------------------------------------


def test_credentials_are_checked_per_service(make_aws: Callable[..., AwsWorld]) -> None:
    env = make_aws()
    wrong = {"aws_access_key_id": "AKIAWRONGWRONGWRONG0", "aws_secret_access_key": "x"}
    status, error = error_of(client(env, "cloudformation", **wrong).describe_stacks)
    assert (status, error["Code"]) == (403, "InvalidClientTokenId")
    assert error["Message"] == "The security token included in the request is invalid."
    status, error = error_of(client(env, "autoscaling", **wrong).describe_auto_scaling_groups)
    assert (status, error["Code"]) == (403, "InvalidClientTokenId")
    status, error = error_of(client(env, "ec2", **wrong).describe_key_pairs)
    assert (status, error["Code"]) == (401, "AuthFailure")
    unsigned = Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1})
    status, error = error_of(client(env, "cloudformation", config=unsigned).describe_stacks)
    assert (status, error["Code"]) == (403, "MissingAuthenticationToken")
    status, error = error_of(client(env, "cloudformation", region_name="eu-west-1").describe_stacks)
    assert (status, error["Code"]) == (403, "SignatureDoesNotMatch")
    assert sum(env.endpoint.requests.values()) == 0


def test_throttle_scenario_refuses_a_seeded_share_of_cloudformation_calls(
    make_aws: Callable[..., AwsWorld],
) -> None:
    env = make_aws(scenario="throttle")
    cfn, ec2 = client(env, "cloudformation"), client(env, "ec2")
    refusals = []
    pattern = ""
    for _ in range(60):
        try:
            cfn.describe_stacks(StackName=STACK)
            pattern += "."
        except ClientError as error:
            refusals.append(error.response)
            pattern += "T"
    assert 10 <= len(refusals) <= 30  # about one in three
    # never more refusals in a row than keyroll's one-shot calls retry, and never a calm
    # stretch a roll's watch could pass through without meeting one
    assert "TTT" not in pattern and "...." not in pattern, pattern
    first = refusals[0]
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert first["Error"] == {"Type": "Sender", "Code": "Throttling", "Message": "Rate exceeded"}
    assert env.endpoint.throttled["DescribeStacks"] == len(refusals)
    for _ in range(20):
        ec2.describe_key_pairs()  # only CloudFormation is throttled
    assert sum(env.endpoint.throttled.values()) == len(refusals)


def test_the_endpoint_starts_stops_and_hands_out_its_credentials(tmp_path: Path) -> None:
    world = build_default_world(WorldOptions(seed=1))
    endpoint = AwsEndpoint(world)
    with endpoint:
        port = endpoint.port
        assert endpoint.url == f"http://127.0.0.1:{port}"
        info = endpoint.info()
        assert info["endpoint_url"] == endpoint.url and info["region"] == "us-east-1"
        assert info["access_key_id"] == endpoint.access_key_id
        assert info["access_key_id"].startswith("AKIA") and len(info["access_key_id"]) == 20
        assert len(info["secret_access_key"]) == 40
        assert info["secret_access_key"] not in repr(endpoint.secret_access_key)
        path = endpoint.write_credentials(tmp_path / "credentials", profile="sandbox")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        text = path.read_text()
        assert "[sandbox]" in text and info["secret_access_key"] in text
        cfn = boto3.client(
            "cloudformation",
            endpoint_url=endpoint.url,
            region_name=endpoint.region,
            aws_access_key_id=endpoint.access_key_id,
            aws_secret_access_key=endpoint.secret_access_key.reveal(),
            config=NO_RETRIES,
        )
        assert cfn.describe_stacks(StackName=STACK)["Stacks"]  # opens a keep-alive connection
    # A stopped endpoint answers nothing, not even on a connection boto3 kept open.
    with pytest.raises((EndpointConnectionError, ConnectionClosedError)):
        cfn.describe_stacks(StackName=STACK)
    with socket.socket() as probe:  # the port is free again
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    assert AwsEndpoint(world).access_key_id != endpoint.access_key_id  # random per start


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        (
            "cloudformation",
            "UpdateStack",
            {
                "StackName": "production",
                "UsePreviousTemplate": True,
                "Parameters": [
                    {"ParameterKey": "Key", "ParameterValue": "production-keypair-1234"},
                    {"ParameterKey": "Password", "UsePreviousValue": True},
                ],
                "Capabilities": ["CAPABILITY_IAM"],
                "ClientRequestToken": "t-1",
                "Tags": [{"Key": "Rack", "Value": "production"}],
            },
        ),
        (
            "ec2",
            "DescribeInstances",
            {
                "InstanceIds": ["i-1", "i-2"],
                "Filters": [
                    {"Name": "tag:Rack", "Values": ["production", "dev"]},
                    {"Name": "instance-state-name", "Values": ["running"]},
                ],
                "MaxResults": 50,
            },
        ),
        (
            "autoscaling",
            "DescribeAutoScalingGroups",
            {"AutoScalingGroupNames": ["a", "b"], "MaxRecords": 10, "Filters": []},
        ),
    ],
)
def test_request_parsing_reads_back_what_botocore_serialized(
    service: str, operation: str, params: dict[str, Any]
) -> None:
    model = botocore.session.get_session().get_service_model(service)
    protocol = model.metadata["protocol"]
    operation_model = model.operation_model(operation)
    body = create_serializer(protocol).serialize_to_request(params, operation_model)["body"]
    form = {str(k): str(v) for k, v in body.items()}
    assert parse_parameters(form, operation_model.input_shape, ec2=protocol == "ec2") == params
