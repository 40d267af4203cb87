"""After a rack-key roll: is the new key accepted, is the old one refused, who else must know."""

from __future__ import annotations

import threading
import time

from tui.base.secret import Secret
from tui.clients.errors import ClientError, WrongKeyError
from tui.clients.rack import RackClient


def accepts(url: str, key: Secret, *, verify: bool | str, timeout: float = 5.0) -> bool | None:
    """Does the rack at `url` accept `key`? None when the rack did not answer either way."""
    with RackClient(url, [key], verify=verify, timeout=timeout) as client:
        try:
            client.auth()
        except WrongKeyError:
            return False
        except ClientError:
            return None
    return True


def wait_until_accepted(
    url: str, key: Secret, *, verify: bool | str, within_s: float, cancel: threading.Event
) -> bool:
    """Ask until the rack accepts `key` or `within_s` runs out (an API restart may lag)."""
    deadline = time.monotonic() + within_s
    while True:
        if accepts(url, key, verify=verify):
            return True
        if time.monotonic() >= deadline or cancel.wait(min(1.0, within_s / 10 or 0.1)):
            return False


LINGERING_OLD_KEY = (
    "The rack still accepts the old key: its API processes kept the PASSWORD they started "
    "with. Restart the API service (`convox rack access key rotate` does, and also revokes "
    "rack JWTs), then check that the old key is refused."
)

AFTER_RACK_KEY_ROLL = (
    "Apps with RackUrl=Yes keep the old key in RACK_URL until they are released again, and "
    "JWTs from `convox rack access` stay valid until `convox rack access key rotate`."
)
