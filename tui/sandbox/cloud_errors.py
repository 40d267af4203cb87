"""Errors the simulated AWS services raise, typed so an endpoint can map each to its wire error."""

from __future__ import annotations

from tui.base.errors import KeyrollError


class CloudApiError(KeyrollError):
    """An AWS API error: `code` is the query-protocol error code, `http_status` its status.

    The message is AWS's own text, word for word, so clients see what real AWS says.
    """

    code = "InternalFailure"
    http_status = 500

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ValidationError(CloudApiError):
    """CloudFormation's `ValidationError` (HTTP 400): bad parameters, wrong state, no change."""

    code = "ValidationError"
    http_status = 400


class KeyPairNotFoundError(CloudApiError):
    """EC2 `InvalidKeyPair.NotFound` (HTTP 400)."""

    code = "InvalidKeyPair.NotFound"
    http_status = 400


class KeyPairDuplicateError(CloudApiError):
    """EC2 `InvalidKeyPair.Duplicate` (HTTP 400)."""

    code = "InvalidKeyPair.Duplicate"
    http_status = 400


class InstanceNotFoundError(CloudApiError):
    """EC2 `InvalidInstanceID.NotFound` (HTTP 400)."""

    code = "InvalidInstanceID.NotFound"
    http_status = 400


class AutoScalingGroupNotFoundError(CloudApiError):
    """Auto Scaling `ValidationError` for a group name that does not exist (HTTP 400)."""

    code = "ValidationError"
    http_status = 400
