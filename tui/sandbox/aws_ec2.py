"""The EC2 actions the endpoint serves: key pairs and instances, over the world's `CloudApi`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from tui.sandbox.aws_filters import INSTANCE_FIELDS, KEY_PAIR_FIELDS, matches
from tui.sandbox.aws_query import EndpointError
from tui.sandbox.cloud_api import CloudApi
from tui.sandbox.cloud_errors import KeyPairNotFoundError

Handler = Callable[[CloudApi, dict[str, Any]], dict[str, Any]]
KEY_NAME_LIMIT = 255


def create_key_pair(cloud: CloudApi, params: dict[str, Any]) -> dict[str, Any]:
    """CreateKeyPair: an RSA key pair; the private key goes out this once, as `KeyMaterial`."""
    name = str(params.get("KeyName") or "")
    if not name:
        raise EndpointError(
            "The request must contain the parameter KeyName", code="MissingParameter"
        )
    if len(name) > KEY_NAME_LIMIT:
        raise EndpointError(
            f"Value ({name[:32]}...) for parameter keyName is invalid. Length exceeds maximum "
            f"of {KEY_NAME_LIMIT} ASCII characters",
            code="InvalidParameterValue",
        )
    if params.get("KeyType", "rsa") != "rsa" or params.get("KeyFormat", "pem") != "pem":
        raise EndpointError(
            "The sandbox makes RSA key pairs in PEM format only.", code="InvalidParameterValue"
        )
    return cloud.create_key_pair(name)


def describe_key_pairs(cloud: CloudApi, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeKeyPairs by name or id, with `Filters` (`key-name` wildcards and more)."""
    pairs = cloud.describe_key_pairs(params.get("KeyNames"))
    wanted_ids = params.get("KeyPairIds")
    if wanted_ids:
        known = {p["KeyPairId"] for p in pairs}
        missing = [i for i in wanted_ids if i not in known]
        if missing:
            raise KeyPairNotFoundError(f"The key pair ID '{missing[0]}' does not exist")
        pairs = [p for p in pairs if p["KeyPairId"] in wanted_ids]
    filters = params.get("Filters") or []
    return {"KeyPairs": [p for p in pairs if matches(p, filters, KEY_PAIR_FIELDS)]}


def delete_key_pair(cloud: CloudApi, params: dict[str, Any]) -> dict[str, Any]:
    """DeleteKeyPair by name or id; like EC2, an unknown name is deleted already."""
    name = params.get("KeyName")
    pair_id = params.get("KeyPairId")
    if not name and not pair_id:
        raise EndpointError(
            "The request must contain the parameter KeyName or KeyPairId",
            code="MissingParameter",
        )
    if not name:
        found = [p for p in cloud.describe_key_pairs() if p["KeyPairId"] == pair_id]
        if not found:
            raise KeyPairNotFoundError(f"The key pair ID '{pair_id}' does not exist")
        name, pair_id = found[0]["KeyName"], found[0]["KeyPairId"]
    cloud.delete_key_pair(str(name))
    result: dict[str, Any] = {"Return": True}
    if pair_id:
        result["KeyPairId"] = pair_id
    return result


def describe_instances(cloud: CloudApi, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeInstances by id and `Filters` (`instance-id`, `tag:Rack`, state, ...), one
    reservation per instance as an Auto Scaling group launches them."""
    found = cloud.describe_instances(params.get("InstanceIds"))
    filters = params.get("Filters") or []
    chosen = [i for i in found if matches(i, filters, INSTANCE_FIELDS)]
    account = cloud.world.account_id
    return {
        "Reservations": [
            {
                "ReservationId": _reservation_id(i["InstanceId"]),
                "OwnerId": account,
                "RequesterId": "226008221399",  # the Auto Scaling service's account
                "Groups": [],
                "Instances": [i],
            }
            for i in chosen
        ]
    }


def _reservation_id(instance_id: str) -> str:
    """A stable `r-` id per instance, so two calls agree."""
    return "r-" + hashlib.sha256(instance_id.encode()).hexdigest()[:17]


ACTIONS: dict[str, Handler] = {
    "CreateKeyPair": create_key_pair,
    "DescribeKeyPairs": describe_key_pairs,
    "DeleteKeyPair": delete_key_pair,
    "DescribeInstances": describe_instances,
}
