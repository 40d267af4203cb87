"""Writing AWS query-protocol XML: results along the operation's output shape, and errors.

CloudFormation and Auto Scaling wrap a result as `<XResponse><XResult>...</XResult>
<ResponseMetadata>`, lists as `<member>`; EC2 puts the members under `<XResponse>` beside a
`<requestId>`, lists as `<item>`, names in lowerCamel (the shapes' location names). Errors:
`<ErrorResponse><Error><Type>..` for the first two, `<Response><Errors><Error>..` for EC2.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from tui.sandbox.clock import iso

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def result_xml(operation: Any, result: dict[str, Any], request_id: str, *, ec2: bool) -> str:
    """The success body of `operation` (a botocore `OperationModel`) returning `result`.

    Raises `ValueError` when `result` holds a field the output shape does not have, so a
    misnamed field is a loud bug, never a silently missing value.
    """
    name = operation.name
    namespace = _namespace(operation)
    shape = operation.output_shape
    inner = _members(shape, result) if shape is not None else ""
    if ec2:
        return (
            f'{XML_DECLARATION}<{name}Response xmlns="{namespace}">'
            f"<requestId>{request_id}</requestId>{inner}</{name}Response>"
        )
    wrapper = shape.serialization.get("resultWrapper") if shape is not None else None
    body = f"<{wrapper}>{inner}</{wrapper}>" if wrapper else inner
    return (
        f'<{name}Response xmlns="{namespace}">{body}'
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        f"</{name}Response>\n"
    )


def error_xml(
    namespace: str, code: str, message: str, request_id: str, *, ec2: bool, sender: bool = True
) -> str:
    """An error body as the service sends it (`sender`: the client's fault, else AWS's)."""
    if ec2:
        return (
            f"{XML_DECLARATION}<Response><Errors><Error><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
    kind = "Sender" if sender else "Receiver"
    return (
        f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>\n"
    )


def service_namespace(service_model: Any) -> str:
    """The XML namespace of a service's responses, with the trailing slash AWS writes."""
    namespace = str(service_model.metadata.get("xmlNamespace", ""))
    if not namespace:
        namespace = f"http://{service_model.endpoint_prefix}.amazonaws.com/doc/"
        namespace += f"{service_model.api_version}/"
    return namespace if namespace.endswith("/") else namespace + "/"


def _namespace(operation: Any) -> str:
    return service_namespace(operation.service_model)


def _members(shape: Any, value: dict[str, Any]) -> str:
    parts: list[str] = []
    for name, item in value.items():
        if item is None:
            continue
        member = shape.members.get(name)
        if member is None:
            raise ValueError(f"{shape.name} has no member {name}")
        if member.type_name == "list" and member.serialization.get("flattened"):
            tag = member.member.serialization.get("name") or member.serialization.get("name", name)
            parts.extend(_element(tag, member.member, each) for each in item)
        else:
            parts.append(_element(member.serialization.get("name", name), member, item))
    return "".join(parts)


def _element(tag: str, shape: Any, value: Any) -> str:
    return f"<{tag}>{_content(shape, value)}</{tag}>"


def _content(shape: Any, value: Any) -> str:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise ValueError(f"{shape.name} needs a dict, not {type(value).__name__}")
        return _members(shape, value)
    if kind == "list":
        tag = shape.member.serialization.get("name", "member")
        return "".join(_element(tag, shape.member, each) for each in value)
    if kind == "map":
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        return "".join(
            f"<entry>{_element(key_tag, shape.key, k)}{_element(value_tag, shape.value, v)}</entry>"
            for k, v in value.items()
        )
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp" and isinstance(value, datetime):
        return iso(value)
    return escape(str(value))
