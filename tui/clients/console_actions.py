"""Console actions that have no public API: the web Console's buttons, kept in one place.

The Console is closed source. The seeds describe what each button does, but not its HTTP
route: every path below is THIS PROJECT'S ASSUMPTION, served by keyroll's sandbox. Against
the real console.convox.com these calls may answer 404; keyroll then says so and points the
user at the web Console (and at keyroll's "paste a key rolled elsewhere" flow).
"""

from __future__ import annotations

from tui.base.secret import Secret
from tui.clients.console import ConsoleClient
from tui.clients.errors import NotFoundError
from tui.clients.models import MalformedReplyError

# Assumed route: the account page's "Roll API key" button.
ROLL_ACCOUNT_KEY_PATH = "/account/api-key/roll"
# Assumed route: the rack settings page's "Roll API key" button (brokered, key never shown).
ROLL_RACK_KEY_PATH = "/racks/{name}/api-key/roll"
# Assumed route: removing and re-adding a rack with its new key after a bypass roll.
RELINK_RACK_PATH = "/racks/{name}/relink"


class ConsoleActionUnavailable(NotFoundError):
    """The Console has no such route: the action must be done in the web Console."""


def _unavailable(what: str, console: ConsoleClient) -> ConsoleActionUnavailable:
    return ConsoleActionUnavailable(
        f"The Console at {console.host} offers no API to {what}; do it in the web Console, "
        "then paste the result into keyroll."
    )


def roll_account_key(console: ConsoleClient) -> Secret:
    """Regenerate the account API key; the new key is returned once and the old one dies."""
    try:
        reply = console._account.call("POST", ROLL_ACCOUNT_KEY_PATH)
    except NotFoundError:
        raise _unavailable("roll the account API key", console) from None
    body = reply.json("account key roll")
    if not isinstance(body, dict) or not isinstance(body.get("api_key"), str):
        raise MalformedReplyError(
            "The Console's account key roll reply has no 'api_key'; the old key may already be "
            "dead: open the web Console's account page to see the new key."
        )
    return Secret(body["api_key"])


def roll_rack_key(console: ConsoleClient, full_name: str) -> None:
    """Console's brokered rack-key roll: it generates, sets and stores a key never shown."""
    name = full_name.split("/", 1)[-1]
    try:
        console.rack(full_name).call("POST", ROLL_RACK_KEY_PATH.format(name=name))
    except NotFoundError:
        raise _unavailable(f"roll the API key of {full_name}", console) from None


def relink_rack(console: ConsoleClient, full_name: str, key: Secret) -> None:
    """Give the Console a rack's new key after the key was rolled around it."""
    name = full_name.split("/", 1)[-1]
    try:
        console.rack(full_name).call(
            "POST", RELINK_RACK_PATH.format(name=name), form={"password": key.reveal()}
        )
    except NotFoundError:
        raise _unavailable(f"re-link {full_name}", console) from None
