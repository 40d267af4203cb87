"""Typed failures of the Convox clients, each with one sentence that says what to do."""

from __future__ import annotations

from tui.base.errors import BadInputError, KeyrollError


class ClientError(KeyrollError):
    """A call to a rack or to the Console did not succeed."""


class WrongKeyError(ClientError):
    """401 `invalid authentication`: no key the client holds was accepted."""


class ForbiddenError(ClientError):
    """401 `you are unauthorized to access this`: the key lacks the role for the call."""


class SessionRequiredError(ClientError):
    """The Console wants an interactive session login (`WWW-Authenticate: Session`)."""


class UnknownHostError(ClientError):
    """404 `unknown host`: the rack's load balancer does not serve this host name."""


class NotFoundError(ClientError):
    """404 for a route or object (an app, a rack) that does not exist."""


class ServerError(ClientError):
    """The rack or Console answered 5xx (or another error) with its own text."""

    def __init__(self, message: str, status: int, text: str) -> None:
        super().__init__(message)
        self.status = status
        self.text = text


class TimeoutError_(ClientError):
    """No answer within the timeout."""


class UnreachableError(ClientError):
    """The connection was refused, reset, or the host name does not resolve."""


class TlsError(ClientError):
    """The TLS handshake failed: the certificate does not verify, or is not the pinned one."""


class BadHostError(BadInputError, ClientError):
    """A host that cannot be called at all (not a host name, a bad port): bad input, exit 2."""
