"""Where to reach AWS (`AwsTarget`) and one cached boto3 client per target and service.

boto3 is imported inside `client_for`, never at module import, so the dashboard's first
frame does not wait for it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
# One attempt: throttling and retries are ours (interruptible back-off), never botocore's.
BOTOCORE_MAX_ATTEMPTS = 1


@dataclass(frozen=True)
class AwsTarget:
    """Where to connect: a profile and region on the standard credential chain, or an endpoint.

    `credentials_file` points botocore at a shared credentials file (the sandbox writes one).
    """

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    credentials_file: str | None = None


class _HideRequestParams(logging.Filter):
    """Drops botocore's debug lines that print every request's parameters (Password included)
    and every response body (CreateKeyPair's holds the new private SSH key)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Making request", "Response body"))


_QUIETED_LOGGERS = ("botocore.endpoint", "botocore.parsers")


_clients: dict[tuple[AwsTarget, str], Any] = {}
_lock = threading.Lock()


def client_for(target: AwsTarget, service: str) -> Any:
    """The boto3 client for `service` at `target`, made once and shared (clients are thread-safe).

    Raises `AwsError` when the profile or region cannot be resolved.
    """
    key = (target, service)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _make_client(target, service)
            _clients[key] = client
        return client


def forget_clients() -> None:
    """Drop every cached client, e.g. after the user changed a rack's AWS settings."""
    with _lock:
        _clients.clear()


def _make_client(target: AwsTarget, service: str) -> Any:
    import boto3
    import botocore.session
    from botocore.config import Config

    from tui.clients.aws_errors import translate

    for name in _QUIETED_LOGGERS:
        log = logging.getLogger(name)
        if not any(isinstance(f, _HideRequestParams) for f in log.filters):
            log.addFilter(_HideRequestParams())
    core = botocore.session.Session()
    if target.credentials_file:
        core.set_config_variable("credentials_file", target.credentials_file)
    config = Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"mode": "standard", "total_max_attempts": BOTOCORE_MAX_ATTEMPTS},
        max_pool_connections=4,
    )
    try:
        session = boto3.session.Session(
            botocore_session=core, profile_name=target.profile, region_name=target.region
        )
        return session.client(service, endpoint_url=target.endpoint_url, config=config)
    except Exception as error:
        raise translate(error, f"connecting to {service}") from None
