"""A CloudFormation stack as the sandbox models it: parameters, outputs, resources, events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tui.base.secret import Secret

# CloudFormation masks NoEcho parameters with this in DescribeStacks (and `GET /system` shows it).
NO_ECHO_MASK = "****"
# States in which CloudFormation accepts a new UpdateStack.
UPDATABLE_STATUSES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"})


@dataclass
class StackEvent:
    """One stack event, with CloudFormation's field names in `to_dict()`."""

    event_id: str
    stack_id: str
    stack_name: str
    logical_id: str
    physical_id: str
    resource_type: str
    timestamp: datetime
    status: str
    reason: str = ""
    client_request_token: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The event as DescribeStackEvents returns it (empty optional fields left out)."""
        out: dict[str, Any] = {
            "StackId": self.stack_id,
            "EventId": self.event_id,
            "StackName": self.stack_name,
            "LogicalResourceId": self.logical_id,
            "PhysicalResourceId": self.physical_id,
            "ResourceType": self.resource_type,
            "Timestamp": self.timestamp,
            "ResourceStatus": self.status,
        }
        if self.reason:
            out["ResourceStatusReason"] = self.reason
        if self.client_request_token:
            out["ClientRequestToken"] = self.client_request_token
        return out


@dataclass
class StackResource:
    """One resource of the stack: logical id, physical id, type and its latest status."""

    logical_id: str
    physical_id: str
    resource_type: str
    status: str
    timestamp: datetime
    reason: str = ""

    def to_dict(self, stack_name: str, stack_id: str) -> dict[str, Any]:
        """The resource as DescribeStackResources returns it."""
        out: dict[str, Any] = {
            "StackName": stack_name,
            "StackId": stack_id,
            "LogicalResourceId": self.logical_id,
            "PhysicalResourceId": self.physical_id,
            "ResourceType": self.resource_type,
            "Timestamp": self.timestamp,
            "ResourceStatus": self.status,
        }
        if self.reason:
            out["ResourceStatusReason"] = self.reason
        return out


@dataclass
class Stack:
    """A rack's root stack. `Password` lives apart from the other parameters, as a `Secret`."""

    name: str
    stack_id: str
    status: str
    created: datetime
    parameters: dict[str, str]
    password: Secret
    outputs: dict[str, str]
    tags: dict[str, str]
    notification_arns: list[str]
    resources: dict[str, StackResource] = field(default_factory=dict)
    events: list[StackEvent] = field(default_factory=list)
    status_reason: str = ""
    last_updated: datetime | None = None
    description: str = "Convox Rack"

    def parameter_values(self) -> dict[str, str | Secret]:
        """Every parameter with its real value (`Password` as the `Secret`)."""
        values: dict[str, str | Secret] = dict(self.parameters)
        values["Password"] = self.password
        return values

    def masked_parameters(self) -> dict[str, str]:
        """Every parameter as DescribeStacks shows it: the NoEcho `Password` as `****`."""
        shown = dict(self.parameters)
        shown["Password"] = NO_ECHO_MASK
        return dict(sorted(shown.items()))

    def to_dict(self) -> dict[str, Any]:
        """The stack as DescribeStacks returns it."""
        out: dict[str, Any] = {
            "StackId": self.stack_id,
            "StackName": self.name,
            "Description": self.description,
            "Parameters": [
                {"ParameterKey": k, "ParameterValue": v}
                for k, v in self.masked_parameters().items()
            ],
            "CreationTime": self.created,
            "StackStatus": self.status,
            "DisableRollback": False,
            "NotificationARNs": list(self.notification_arns),
            "Capabilities": ["CAPABILITY_IAM"],
            "Outputs": [
                {"OutputKey": k, "OutputValue": v} for k, v in sorted(self.outputs.items())
            ],
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(self.tags.items())],
            "EnableTerminationProtection": False,
            "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
        }
        if self.last_updated is not None:
            out["LastUpdatedTime"] = self.last_updated
        if self.status_reason:
            out["StackStatusReason"] = self.status_reason
        return out
