"""Reading an AWS query-protocol request: who signed it, for which service, and its parameters.

botocore sends `Action=...&Version=...` form bodies whose keys follow the operation's input
shape (`Parameters.member.1.ParameterKey` for CloudFormation, `Filter.1.Value.1` for EC2).
`parse_parameters` walks the same shape back, so a handler gets the dict a boto3 caller
passed (`{"Parameters": [{"ParameterKey": ...}]}`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from tui.sandbox.cloud_errors import CloudApiError

# `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/cloudformation/aws4_request, ...`
_CREDENTIAL = re.compile(
    r"Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/"
    r"aws4_request"
)


class EndpointError(CloudApiError):
    """An error the endpoint itself answers (auth, throttling, unknown action, bad input)."""

    def __init__(self, message: str, *, code: str, http_status: int = 400) -> None:
        super().__init__(message, code=code)
        self.http_status = http_status


@dataclass(frozen=True)
class CredentialScope:
    """The SigV4 credential scope of a request's `Authorization` header."""

    access_key_id: str
    date: str
    region: str
    service: str


def credential_scope(authorization: str) -> CredentialScope | None:
    """The scope a SigV4 `Authorization` header names, or None if it is not SigV4."""
    if not authorization.startswith("AWS4-HMAC-SHA256"):
        return None
    found = _CREDENTIAL.search(authorization)
    if found is None:
        return None
    return CredentialScope(
        found.group("key"), found.group("date"), found.group("region"), found.group("service")
    )


def read_form(body: bytes) -> dict[str, str]:
    """The url-encoded form body, one value per key (the last, as AWS reads repeated keys)."""
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[-1] for key, values in fields.items()}


def parse_parameters(form: dict[str, str], shape: Any, *, ec2: bool) -> dict[str, Any]:
    """The operation's input as boto3 names it, read from the flat form along `shape`.

    `ec2` selects EC2's flavour of the protocol (lists always flattened, capitalized
    location names). Raises `EndpointError` (`MalformedInput`) for a value of the wrong type.
    """
    if shape is None:
        return {}
    keys = set(form)
    parsed = _structure(form, keys, shape, "", ec2)
    return parsed or {}


def _serialized_name(shape: Any, default: str, ec2: bool) -> str:
    """The name botocore's query (or EC2) serializer gives a member on the wire."""
    if ec2:
        if "queryName" in shape.serialization:
            return str(shape.serialization["queryName"])
        name = shape.serialization.get("name")
        return name[0].upper() + name[1:] if name else default
    return str(shape.serialization.get("name", default))


def _has_prefix(keys: set[str], prefix: str) -> bool:
    start = prefix + "."
    return any(key.startswith(start) for key in keys)


def _structure(form: dict[str, str], keys: set[str], shape: Any, prefix: str, ec2: bool) -> Any:
    if prefix and not _has_prefix(keys, prefix):
        return None
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        wire = _serialized_name(member, name, ec2)
        value = _value(form, keys, member, f"{prefix}.{wire}" if prefix else wire, ec2)
        if value is not None:
            out[name] = value
    return out


def _value(form: dict[str, str], keys: set[str], shape: Any, key: str, ec2: bool) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _structure(form, keys, shape, key, ec2)
    if kind == "list":
        return _list(form, keys, shape, key, ec2)
    if kind == "map":
        return _map(form, keys, shape, key, ec2)
    if key not in form:
        return None
    raw = form[key]
    try:
        if kind == "boolean":
            return raw.lower() == "true"
        if kind in ("integer", "long"):
            return int(raw)
        if kind in ("float", "double"):
            return float(raw)
    except ValueError:
        raise EndpointError(
            f"Invalid value for parameter {key}, expected a {kind}.", code="MalformedInput"
        ) from None
    return raw


def _list(form: dict[str, str], keys: set[str], shape: Any, key: str, ec2: bool) -> Any:
    if form.get(key) == "" and not _has_prefix(keys, key):
        return []  # the query protocol sends an empty list as `Name=`
    if ec2 or shape.serialization.get("flattened"):
        item_prefix = key
    else:
        item_prefix = f"{key}.{shape.member.serialization.get('name', 'member')}"
    items = []
    index = 1
    while True:
        item = _value(form, keys, shape.member, f"{item_prefix}.{index}", ec2)
        if item is None:
            break
        items.append(item)
        index += 1
    return items or None


def _map(form: dict[str, str], keys: set[str], shape: Any, key: str, ec2: bool) -> Any:
    entry_prefix = key if shape.serialization.get("flattened") else f"{key}.entry"
    key_name = _serialized_name(shape.key, "key", ec2)
    value_name = _serialized_name(shape.value, "value", ec2)
    out: dict[str, Any] = {}
    index = 1
    while f"{entry_prefix}.{index}.{key_name}" in form:
        entry = f"{entry_prefix}.{index}"
        out[form[f"{entry}.{key_name}"]] = _value(
            form, keys, shape.value, f"{entry}.{value_name}", ec2
        )
        index += 1
    return out or None
