"""The world seen through AWS: the CloudFormation, EC2 and Auto Scaling calls keyroll makes.

Plain dicts in AWS's field names (times as `datetime`), ready for a query-protocol
endpoint to serialize. Every call is counted in `World.requests` under its operation name.
Errors are `tui.sandbox.cloud_errors` types carrying AWS's code and message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui.sandbox.cloud_errors import (
    AutoScalingGroupNotFoundError,
    InstanceNotFoundError,
    KeyPairNotFoundError,
    ValidationError,
)

if TYPE_CHECKING:
    from tui.sandbox.world import World

EVENTS_PAGE_SIZE = 100  # CloudFormation's page size for DescribeStackEvents


class CloudApi:
    """AWS operations over one `World`; each method is named after its AWS operation."""

    def __init__(self, world: World) -> None:
        self.world = world

    # CloudFormation --------------------------------------------------------------------

    def describe_stacks(self, stack_name: str | None = None) -> list[dict[str, Any]]:
        """DescribeStacks: one stack by name or StackId, or every rack stack."""
        world = self.world
        world.count("DescribeStacks")
        with world.locked():
            if stack_name:
                return [world.rack(stack_name).stack.to_dict()]
            return [r.stack.to_dict() for r in world.racks.values()]

    def describe_stack_events(
        self, stack_name: str, next_token: str | None = None, *, page_size: int = EVENTS_PAGE_SIZE
    ) -> tuple[list[dict[str, Any]], str | None]:
        """DescribeStackEvents: one page, newest first, and the NextToken of the next page.

        A token pins the history as it was at the first page, so events that arrive while
        a reader pages never shift the older pages.
        """
        world = self.world
        world.count("DescribeStackEvents")
        with world.locked():
            events = world.rack(stack_name).stack.events
            if next_token:
                try:
                    total_text, offset_text = next_token.split(".", 1)
                    total, offset = int(total_text), int(offset_text)
                except ValueError:
                    raise ValidationError("Invalid NextToken") from None
                if not 0 <= offset <= total <= len(events):
                    raise ValidationError("Invalid NextToken")
            else:
                total, offset = len(events), 0
            # newest first: index `total - 1 - offset` downwards
            end = total - offset
            start = max(0, end - page_size)
            page = [e.to_dict() for e in reversed(events[start:end])]
            token = f"{total}.{offset + len(page)}" if start > 0 else None
            return page, token

    def describe_stack_resources(
        self, stack_name: str, logical_resource_id: str | None = None
    ) -> list[dict[str, Any]]:
        """DescribeStackResources: every resource of the stack, or one by logical id."""
        world = self.world
        world.count("DescribeStackResources")
        with world.locked():
            stack = world.rack(stack_name).stack
            resources = list(stack.resources.values())
            if logical_resource_id is not None:
                resources = [r for r in resources if r.logical_id == logical_resource_id]
                if not resources:
                    raise ValidationError(
                        f"Resource {logical_resource_id} does not exist for stack {stack.name}"
                    )
            return [r.to_dict(stack.name, stack.stack_id) for r in resources]

    def update_stack(
        self,
        stack_name: str,
        parameters: list[dict[str, Any]],
        *,
        client_request_token: str | None = None,
        capabilities: list[str] | None = None,
    ) -> str:
        """UpdateStack with UsePreviousTemplate; returns the StackId (see `World.update_stack`)."""
        self.world.count("UpdateStack")
        return self.world.update_stack(
            stack_name,
            parameters,
            client_request_token=client_request_token,
            capabilities=capabilities,
        )

    # EC2 -----------------------------------------------------------------------------------

    def create_key_pair(self, key_name: str) -> dict[str, Any]:
        """CreateKeyPair: the new pair with its `KeyMaterial` (a PEM, revealed: it goes on the
        wire once, as AWS sends it)."""
        self.world.count("CreateKeyPair")
        pair = self.world.create_key_pair(key_name)
        return {
            "KeyName": pair.name,
            "KeyFingerprint": pair.fingerprint,
            "KeyMaterial": pair.private_key.reveal(),
            "KeyPairId": pair.key_pair_id,
        }

    def describe_key_pairs(self, key_names: list[str] | None = None) -> list[dict[str, Any]]:
        """DescribeKeyPairs: every pair, or the named ones (`InvalidKeyPair.NotFound` if any
        name is unknown)."""
        world = self.world
        world.count("DescribeKeyPairs")
        with world.locked():
            if not key_names:
                return [p.to_dict() for p in sorted(world.key_pairs.values(), key=lambda p: p.name)]
            for name in key_names:
                if name not in world.key_pairs:
                    raise KeyPairNotFoundError(f"The key pair '{name}' does not exist")
            return [world.key_pairs[name].to_dict() for name in key_names]

    def delete_key_pair(self, key_name: str) -> None:
        """DeleteKeyPair: like EC2, deleting a name that does not exist succeeds."""
        world = self.world
        world.count("DeleteKeyPair")
        with world.locked():
            world.key_pairs.pop(key_name, None)

    def describe_instances(
        self, instance_ids: list[str] | None = None, *, rack: str | None = None
    ) -> list[dict[str, Any]]:
        """DescribeInstances as a flat list (one reservation per instance is fine for clients);
        `rack` filters on the `Rack` tag."""
        world = self.world
        world.count("DescribeInstances")
        with world.locked():
            found: list[dict[str, Any]] = []
            for each in world.racks.values():
                if rack and rack not in (each.name, each.full_name):
                    continue
                for instance in sorted(each.instances, key=lambda i: i.launched):
                    if instance_ids and instance.instance_id not in instance_ids:
                        continue
                    found.append(
                        instance.to_ec2_dict(each.name, each.asg_name, each.launch_template_id)
                    )
            if instance_ids:
                missing = set(instance_ids) - {i["InstanceId"] for i in found}
                if missing:
                    raise InstanceNotFoundError(
                        f"The instance ID '{sorted(missing)[0]}' does not exist"
                    )
            return found

    # Auto Scaling --------------------------------------------------------------------------

    def describe_auto_scaling_groups(self, names: list[str] | None = None) -> list[dict[str, Any]]:
        """DescribeAutoScalingGroups: each rack's `Instances` group with its instances'
        lifecycle states (unknown names are left out, as AWS does)."""
        world = self.world
        world.count("DescribeAutoScalingGroups")
        with world.locked():
            groups = []
            for rack in world.racks.values():
                if names and rack.asg_name not in names:
                    continue
                groups.append(self._group(rack))
            if names and not groups:
                raise AutoScalingGroupNotFoundError(
                    f"AutoScalingGroup name not found - {', '.join(names)}"
                )
            return groups

    def _group(self, rack: Any) -> dict[str, Any]:
        members = [i for i in rack.instances if i.lifecycle != "Terminated"]
        desired = sum(1 for i in members if i.lifecycle in ("Pending", "InService"))
        count = len([i for i in members if i.lifecycle == "InService"]) or desired
        arn = (
            f"arn:aws:autoscaling:{rack.region}:{rack.account_id}:autoScalingGroup:"
            f"{rack.stack.stack_id.rsplit('/', 1)[-1]}:autoScalingGroupName/{rack.asg_name}"
        )
        return {
            "AutoScalingGroupName": rack.asg_name,
            "AutoScalingGroupARN": arn,
            "LaunchTemplate": {
                "LaunchTemplateId": rack.launch_template_id,
                "LaunchTemplateName": rack.launch_template_name,
                "Version": str(rack.launch_template_version),
            },
            "MinSize": count,
            "MaxSize": max(count, desired) + 1,
            "DesiredCapacity": desired,
            "DefaultCooldown": 300,
            "AvailabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c"],
            "HealthCheckType": "EC2",
            "HealthCheckGracePeriod": 0,
            "Instances": [
                i.to_asg_dict(rack.launch_template_id, rack.launch_template_name) for i in members
            ],
            "CreatedTime": rack.stack.created,
            "TerminationPolicies": ["NewestInstance"],
            "Tags": [
                {
                    "ResourceId": rack.asg_name,
                    "ResourceType": "auto-scaling-group",
                    "Key": key,
                    "Value": value,
                    "PropagateAtLaunch": True,
                }
                for key, value in (
                    ("Rack", rack.name),
                    ("aws:cloudformation:logical-id", "Instances"),
                    ("aws:cloudformation:stack-id", rack.stack.stack_id),
                    ("aws:cloudformation:stack-name", rack.stack.name),
                )
            ],
        }
