"""The CloudFormation actions the endpoint serves, over the world's `CloudApi`.

Each handler takes the request's parameters as boto3 names them and returns the result
dict the operation's output shape describes; errors are the world's `CloudApiError`s,
whose messages are CloudFormation's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.sandbox.aws_query import EndpointError
from tui.sandbox.cloud_api import CloudApi
from tui.sandbox.cloud_errors import ValidationError

Handler = Callable[[CloudApi, dict[str, Any]], dict[str, Any]]


def describe_stacks(cloud: CloudApi, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeStacks: NoEcho `Password` shows `****`; every stack fits one page."""
    return {"Stacks": cloud.describe_stacks(params.get("StackName"))}


def describe_stack_events(cloud: CloudApi, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeStackEvents: newest first, 100 a page, `NextToken` to the next page."""
    events, token = cloud.describe_stack_events(_stack(params), params.get("NextToken"))
    result: dict[str, Any] = {"StackEvents": events}
    if token:
        result["NextToken"] = token
    return result


def describe_stack_resources(cloud: CloudApi, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeStackResources by stack name (or by a resource's physical id)."""
    stack = params.get("StackName")
    physical = params.get("PhysicalResourceId")
    if not stack and not physical:
        raise ValidationError("Either StackName or PhysicalResourceId must be specified.")
    if stack:
        resources = cloud.describe_stack_resources(stack, params.get("LogicalResourceId"))
    else:
        resources = _by_physical_id(cloud, str(physical))
    if physical:
        resources = [r for r in resources if r["PhysicalResourceId"] == physical]
    return {"StackResources": resources}


def describe_stack_resource(cloud: CloudApi, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeStackResource: one resource's detail (`LastUpdatedTimestamp`, not `Timestamp`)."""
    logical = params.get("LogicalResourceId")
    if not logical:
        raise _missing("LogicalResourceId")
    (resource,) = cloud.describe_stack_resources(_stack(params), logical)
    detail = dict(resource)
    detail["LastUpdatedTimestamp"] = detail.pop("Timestamp")
    detail["Metadata"] = "{}"
    detail["DriftInformation"] = {"StackResourceDriftStatus": "NOT_CHECKED"}
    return {"StackResourceDetail": detail}


def update_stack(cloud: CloudApi, params: dict[str, Any]) -> dict[str, Any]:
    """UpdateStack with the previous template; CloudFormation's errors for a busy stack, no
    change, missing capabilities or unknown parameters."""
    if params.get("TemplateBody") or params.get("TemplateURL"):
        if params.get("UsePreviousTemplate"):
            raise ValidationError(
                "You cannot specify both usePreviousTemplate and Template Body/Template URL"
            )
        raise ValidationError(
            "The sandbox keeps each rack's own template: update with UsePreviousTemplate."
        )
    if not params.get("UsePreviousTemplate"):
        raise ValidationError("Either Template URL or Template Body must be specified.")
    stack_id = cloud.update_stack(
        _stack(params),
        list(params.get("Parameters") or []),
        client_request_token=params.get("ClientRequestToken"),
        capabilities=list(params.get("Capabilities") or []),
    )
    return {"StackId": stack_id}


def _stack(params: dict[str, Any]) -> str:
    name = params.get("StackName")
    if not name:
        raise _missing("StackName")
    return str(name)


def _missing(name: str) -> EndpointError:
    # The query protocol's answer to a required field left out.
    return EndpointError(
        f"1 validation error detected: Value null at '{name[0].lower() + name[1:]}' failed to "
        "satisfy constraint: Member must not be null",
        code="ValidationError",
    )


def _by_physical_id(cloud: CloudApi, physical: str) -> list[dict[str, Any]]:
    for stack in cloud.describe_stacks():
        resources = cloud.describe_stack_resources(stack["StackName"])
        if any(r["PhysicalResourceId"] == physical for r in resources):
            return resources
    raise ValidationError(f"Stack for {physical} does not exist")


ACTIONS: dict[str, Handler] = {
    "DescribeStacks": describe_stacks,
    "DescribeStackEvents": describe_stack_events,
    "DescribeStackResources": describe_stack_resources,
    "DescribeStackResource": describe_stack_resource,
    "UpdateStack": update_stack,
}
