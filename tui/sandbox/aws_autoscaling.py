"""The Auto Scaling action the endpoint serves: DescribeAutoScalingGroups, over `CloudApi`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.sandbox.aws_filters import GROUP_FIELDS, matches
from tui.sandbox.aws_query import EndpointError
from tui.sandbox.cloud_api import CloudApi

Handler = Callable[[CloudApi, dict[str, Any]], dict[str, Any]]
MAX_RECORDS = 100  # Auto Scaling's largest page


def describe_auto_scaling_groups(cloud: CloudApi, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeAutoScalingGroups by name and `Filters` (`tag:<key>`, `tag-key`, `tag-value`).

    Unknown names are left out without an error, as Auto Scaling does; `MaxRecords` and
    `NextToken` page the result.
    """
    groups = cloud.describe_auto_scaling_groups()
    names = params.get("AutoScalingGroupNames")
    if names:
        groups = [g for g in groups if g["AutoScalingGroupName"] in names]
    filters = params.get("Filters") or []
    groups = [g for g in groups if matches(g, filters, GROUP_FIELDS)]
    limit = int(params.get("MaxRecords") or MAX_RECORDS)
    if not 1 <= limit <= MAX_RECORDS:
        raise EndpointError(
            f"1 validation error detected: Value '{limit}' at 'maxRecords' failed to satisfy "
            f"constraint: Member must have value less than or equal to {MAX_RECORDS}",
            code="ValidationError",
        )
    start = _offset(params.get("NextToken"))
    page = groups[start : start + limit]
    result: dict[str, Any] = {"AutoScalingGroups": page}
    if start + limit < len(groups):
        result["NextToken"] = f"groups-{start + limit}"
    return result


def _offset(token: Any) -> int:
    if not token:
        return 0
    text = str(token)
    if text.startswith("groups-") and text[7:].isdigit():
        return int(text[7:])
    raise EndpointError("The token provided is not valid.", code="InvalidNextToken")


ACTIONS: dict[str, Handler] = {
    "DescribeAutoScalingGroups": describe_auto_scaling_groups,
}
