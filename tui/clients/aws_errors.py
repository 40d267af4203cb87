"""Typed AWS failures, each one sentence saying what to do, and the translation from botocore."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tui.base.errors import KeyrollError
from tui.base.secret import MASK, Secret

THROTTLE_CODES = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded"})
ACCESS_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthFailure",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
    }
)
_BUSY = re.compile(r"is in (?P<status>[A-Z_]+) state and can ?not be updated")
_MAX_AWS_TEXT = 160


class AwsError(KeyrollError):
    """An AWS call did not succeed."""


class AwsCredentialsError(AwsError):
    """No usable AWS credentials, or they lack the permission for the call."""


class AwsUnreachableError(AwsError):
    """The AWS endpoint did not answer (connection refused, timeout, DNS)."""


class StackNotFoundError(AwsError):
    """The CloudFormation stack does not exist in this account and region."""


class NoUpdateError(AwsError):
    """CloudFormation says the update changes nothing ("No updates are to be performed")."""


class StackBusyError(AwsError):
    """The stack is in a state that cannot be updated (another operation is running)."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


class AwsThrottledError(AwsError):
    """AWS kept throttling a call after every back-off step, or the wait was cancelled."""


def _clean(text: str, secrets: Iterable[Secret]) -> str:
    """AWS text cut to one short clause, with any key value we sent masked out."""
    for secret in secrets:
        value = secret.reveal()
        if value:
            text = text.replace(value, MASK)
    # One sentence: AWS's own sentences become clauses.
    text = " ".join(text.split()).rstrip(".").replace(". ", "; ")
    return text if len(text) <= _MAX_AWS_TEXT else text[: _MAX_AWS_TEXT - 3] + "..."


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore `ClientError`, or "" for any other exception."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def is_throttle(error: BaseException) -> bool:
    """True when the error is AWS asking us to slow down."""
    return error_code(error) in THROTTLE_CODES


def translate(
    error: Exception, action: str, stack: str | None = None, secrets: Iterable[Secret] = ()
) -> AwsError:
    """The `AwsError` that says in one sentence what went wrong with `action` and what to do."""
    from botocore import exceptions as bx  # lazy: boto3 stays off the first frame

    if isinstance(error, AwsError):
        return error
    secrets = tuple(secrets)
    if isinstance(error, bx.ProfileNotFound):
        return AwsCredentialsError(
            f"The AWS profile named in keyroll's settings does not exist ({action}); "
            "set the rack's AWS profile to one in your AWS config."
        )
    if isinstance(error, bx.NoRegionError):
        return AwsCredentialsError(
            f"No AWS region is set for {action}; set the rack's region or AWS_REGION."
        )
    if isinstance(error, bx.NoCredentialsError | bx.PartialCredentialsError):
        return AwsCredentialsError(
            f"No AWS credentials were found for {action}; set AWS_PROFILE (or the rack's AWS "
            "profile) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
        )
    if isinstance(error, bx.ConnectTimeoutError | bx.ReadTimeoutError):
        return AwsUnreachableError(
            f"AWS did not answer {action} in time; check the network and try again."
        )
    if isinstance(error, bx.EndpointConnectionError | bx.ConnectionClosedError):
        return AwsUnreachableError(
            f"The AWS endpoint for {action} cannot be reached; check the network or the "
            "endpoint URL."
        )
    code = error_code(error)
    message = ""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        message = str(response.get("Error", {}).get("Message", ""))
    where = f"stack {stack}" if stack else "AWS"
    if code in ACCESS_CODES:
        return AwsCredentialsError(
            f"AWS refused {action} ({code}); set AWS_PROFILE to credentials allowed to call it "
            "or renew expired credentials."
        )
    if code in THROTTLE_CODES:
        return AwsThrottledError(f"AWS kept throttling {action}; wait a minute and try again.")
    if "No updates are to be performed" in message:
        return NoUpdateError(
            f"CloudFormation found nothing to change in {where}: the parameters already have "
            "these values."
        )
    busy = _BUSY.search(message)
    if busy:
        status = busy.group("status")
        return StackBusyError(
            f"The {where} is in {status} and cannot be updated now; wait for the running "
            "operation to finish and try again.",
            status,
        )
    if code == "ValidationError" and "does not exist" in message:
        return StackNotFoundError(
            f"The {where} does not exist in this account and region; check the rack's stack "
            "name, AWS profile and region."
        )
    if isinstance(error, bx.BotoCoreError | bx.ClientError):
        detail = _clean(message or str(error), secrets)
        label = f"{code}: " if code else ""
        return AwsError(f"AWS refused {action} ({label}{detail}); check the rack's AWS settings.")
    return AwsError(
        f"{action} failed with {error.__class__.__name__}; check the rack's AWS settings."
    )
