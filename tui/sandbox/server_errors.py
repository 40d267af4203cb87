"""What the sandbox's HTTP servers do with an error in a connection's thread.

A client that hangs up (a timeout, a reset, a dashboard that quit mid-reply) is normal and
stays silent. Anything else is a sandbox bug: it goes to the `keyroll.sandbox` log rather
than socketserver's bare traceback on stderr, which would scribble over the dashboard.
"""

from __future__ import annotations

import logging
import ssl
import sys
from typing import Any

log = logging.getLogger("keyroll.sandbox")

CLIENT_GONE = (ConnectionError, TimeoutError, ssl.SSLError)


def report_request_error(client_address: Any) -> None:
    """Call from `handle_error`, inside the `except` that caught the error."""
    error = sys.exc_info()[1]
    if isinstance(error, CLIENT_GONE):
        return
    log.error("The sandbox failed to answer a request from %s.", client_address, exc_info=True)
