"""The rack's instances from its `Instances` Auto Scaling group, with each one's SSH key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.clients.aws_backoff import Backoff
from tui.clients.aws_errors import AwsError, error_code, translate
from tui.clients.aws_session import AwsTarget, client_for

ASG_LOGICAL_ID = "Instances"


@dataclass(frozen=True)
class RackInstance:
    """One instance of the rack's ASG: where it is in its lifecycle and what it was built from."""

    instance_id: str
    lifecycle_state: str
    health: str
    launch_template_id: str
    launch_template_version: str
    availability_zone: str
    instance_type: str
    key_name: str
    launched_at: datetime | None


def instances_group_name(target: AwsTarget, stack: str) -> str:
    """The physical name of the stack's `Instances` ASG, from the stack or else from ASG tags."""
    backoff = Backoff(max_retries=3)
    cfn = client_for(target, "cloudformation")
    try:
        reply = backoff.call(
            "DescribeStackResource",
            cfn.describe_stack_resource,
            StackName=stack,
            LogicalResourceId=ASG_LOGICAL_ID,
        )
        physical = reply.get("StackResourceDetail", {}).get("PhysicalResourceId")
        if physical:
            return str(physical)
    except Exception as error:
        if error_code(error) != "ValidationError" or "does not exist for stack" not in str(error):
            raise translate(error, "DescribeStackResource", stack) from None
    asg = client_for(target, "autoscaling")
    filters = [
        {"Name": "tag:aws:cloudformation:logical-id", "Values": [ASG_LOGICAL_ID]},
        {"Name": "tag:aws:cloudformation:stack-name", "Values": [stack]},
    ]
    try:
        groups = backoff.call(
            "DescribeAutoScalingGroups", asg.describe_auto_scaling_groups, Filters=filters
        ).get("AutoScalingGroups", [])
    except Exception as error:
        raise translate(error, "DescribeAutoScalingGroups", stack) from None
    if not groups:
        raise AwsError(
            f"The stack {stack} has no Instances Auto Scaling group; check that it is a Convox "
            "rack stack."
        )
    return str(groups[0]["AutoScalingGroupName"])


def rack_instances(target: AwsTarget, stack: str) -> list[RackInstance]:
    """The `Instances` ASG's instances with launch template version, lifecycle and health.

    DescribeInstances adds each instance's key name and launch time, so a keyroll's old and
    new instances can be told apart.
    """
    name = instances_group_name(target, stack)
    backoff = Backoff(max_retries=3)
    asg = client_for(target, "autoscaling")
    try:
        groups = backoff.call(
            "DescribeAutoScalingGroups",
            asg.describe_auto_scaling_groups,
            AutoScalingGroupNames=[name],
        ).get("AutoScalingGroups", [])
    except Exception as error:
        raise translate(error, "DescribeAutoScalingGroups", stack) from None
    members: list[dict[str, Any]] = groups[0].get("Instances", []) if groups else []
    details = _ec2_details(target, [m["InstanceId"] for m in members], backoff)
    found = []
    for member in members:
        template = member.get("LaunchTemplate") or {}
        ec2 = details.get(member["InstanceId"], {})
        found.append(
            RackInstance(
                instance_id=member["InstanceId"],
                lifecycle_state=member.get("LifecycleState", ""),
                health=member.get("HealthStatus", ""),
                launch_template_id=template.get("LaunchTemplateId", ""),
                launch_template_version=str(template.get("Version", "")),
                availability_zone=member.get("AvailabilityZone", ""),
                instance_type=member.get("InstanceType", "") or ec2.get("InstanceType", ""),
                key_name=ec2.get("KeyName", ""),
                launched_at=ec2.get("LaunchTime"),
            )
        )
    return sorted(found, key=lambda i: i.instance_id)


def _ec2_details(
    target: AwsTarget, instance_ids: list[str], backoff: Backoff
) -> dict[str, dict[str, Any]]:
    if not instance_ids:
        return {}
    ec2 = client_for(target, "ec2")
    try:
        reply = backoff.call("DescribeInstances", ec2.describe_instances, InstanceIds=instance_ids)
    except Exception as error:
        raise translate(error, "DescribeInstances") from None
    return {
        instance["InstanceId"]: instance
        for reservation in reply.get("Reservations", [])
        for instance in reservation.get("Instances", [])
    }
