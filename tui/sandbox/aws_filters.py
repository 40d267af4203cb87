"""EC2 and Auto Scaling `Filters`: names with `*`/`?` wildcards, values ORed, filters ANDed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from tui.sandbox.aws_query import EndpointError

# A filter's name -> the values an item has for it (`tag:<Key>` is handled apart).
Fields = Mapping[str, Callable[[dict[str, Any]], Iterable[str]]]


@lru_cache(maxsize=256)
def wildcard(pattern: str) -> re.Pattern[str]:
    """EC2's filter wildcards: `*` any run of characters, `?` one; `\\` escapes either."""
    out: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def matches(item: dict[str, Any], filters: list[dict[str, Any]], fields: Fields) -> bool:
    """Whether `item` passes every filter (any of a filter's values may match).

    An unknown filter name is `InvalidParameterValue`, as EC2 answers it.
    """
    for each in filters:
        name = str(each.get("Name", ""))
        patterns = [wildcard(str(v)) for v in each.get("Values") or []]
        have = list(_values(item, name, fields))
        if not any(p.match(v) for p in patterns for v in have):
            return False
    return True


def _values(item: dict[str, Any], name: str, fields: Fields) -> Iterable[str]:
    tags = item.get("Tags") or []
    if name.startswith("tag:"):
        key = name[4:]
        return [str(t.get("Value", "")) for t in tags if t.get("Key") == key]
    if name == "tag-key":
        return [str(t.get("Key", "")) for t in tags]
    if name == "tag-value":
        return [str(t.get("Value", "")) for t in tags]
    reader = fields.get(name)
    if reader is None:
        raise EndpointError(
            f"The filter '{name}' is invalid", code="InvalidParameterValue", http_status=400
        )
    return reader(item)


KEY_PAIR_FIELDS: Fields = {
    "key-name": lambda k: [k["KeyName"]],
    "key-pair-id": lambda k: [k["KeyPairId"]],
    "fingerprint": lambda k: [k["KeyFingerprint"]],
    "key-type": lambda k: [k.get("KeyType", "rsa")],
}

INSTANCE_FIELDS: Fields = {
    "instance-id": lambda i: [i["InstanceId"]],
    "instance-state-name": lambda i: [i["State"]["Name"]],
    "instance-state-code": lambda i: [str(i["State"]["Code"])],
    "instance-type": lambda i: [i["InstanceType"]],
    "key-name": lambda i: [i.get("KeyName", "")],
    "image-id": lambda i: [i["ImageId"]],
    "availability-zone": lambda i: [i["Placement"]["AvailabilityZone"]],
    "private-ip-address": lambda i: [i.get("PrivateIpAddress", "")],
}

GROUP_FIELDS: Fields = {
    "auto-scaling-group": lambda g: [g["AutoScalingGroupName"]],
}
