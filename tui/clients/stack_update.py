"""UpdateStack that changes only the named parameters and keeps every other value."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from tui.base.errors import BadInputError
from tui.base.secret import Secret
from tui.clients.aws_backoff import Backoff
from tui.clients.aws_errors import translate
from tui.clients.aws_session import AwsTarget, client_for
from tui.clients.stack_status import describe_stack


def new_request_token() -> str:
    """A fresh ClientRequestToken: CloudFormation stamps it on the update's events."""
    return f"keyroll-{uuid.uuid4().hex}"


def update_parameters(
    target: AwsTarget,
    stack: str,
    changes: Mapping[str, str | Secret],
    backoff: Backoff | None = None,
) -> str:
    """Update `stack` with `changes`, every other parameter `UsePreviousValue`; return the token.

    The template is the previous one and the capabilities are those the stack already has.
    A `Secret` value is revealed only into the request. Raises `NoUpdateError`,
    `StackBusyError`, `StackNotFoundError`, `AwsCredentialsError` or `BadInputError`.
    """
    current = describe_stack(target, stack, backoff)
    unknown = sorted(set(changes) - set(current.parameters))
    if unknown:
        raise BadInputError(
            f"The stack {stack} has no parameter named {', '.join(unknown)}; check the name."
        )
    parameters: list[dict[str, Any]] = []
    for key in current.parameters:
        if key in changes:
            value = changes[key]
            raw = value.reveal() if isinstance(value, Secret) else value
            parameters.append({"ParameterKey": key, "ParameterValue": raw})
        else:
            parameters.append({"ParameterKey": key, "UsePreviousValue": True})
    token = new_request_token()
    request: dict[str, Any] = {
        "StackName": stack,
        "UsePreviousTemplate": True,
        "Parameters": parameters,
        "ClientRequestToken": token,
    }
    if current.capabilities:
        request["Capabilities"] = list(current.capabilities)
    secrets = [v for v in changes.values() if isinstance(v, Secret)]
    client = client_for(target, "cloudformation")
    try:
        (backoff or Backoff(max_retries=3)).call("UpdateStack", client.update_stack, **request)
    except Exception as error:
        raise translate(error, "UpdateStack", stack, secrets) from None
    finally:
        # Drop our only reference to the revealed values as soon as the request is gone.
        parameters.clear()
        request.clear()
    return token
