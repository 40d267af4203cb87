"""Re-linking a Console rack with the key keyroll holds for the rack's own host, after a roll
that went around the Console: for `keyroll relink` and the rack screen."""

from __future__ import annotations

from tui.base.errors import BadInputError, KeyrollError, RefusedError
from tui.base.secret import Secret
from tui.clients.console_actions import relink_rack
from tui.clients.errors import ClientError
from tui.core.rolls.target import RollTarget


def key_to_link(target: RollTarget) -> tuple[str, Secret]:
    """The rack's own host and the current key keyroll holds for it."""
    if not target.via_console:
        raise BadInputError(
            f"{target.name} is not reached through a Console, so there is nothing to re-link."
        )
    host = target.direct_host
    if not host:
        raise BadInputError(
            f"keyroll knows no host for {target.name}'s own API, so it holds no key to re-link "
            "with; add `host` (its RackDomain) to the rack in keyroll's settings."
        )
    if target.keystore.pending(host) is not None:
        raise RefusedError(
            f"A roll of {target.name} is unfinished (its new key is pending); run "
            "`keyroll resume` first, then re-link."
        )
    key = target.keystore.current(host)
    if key is None:
        raise BadInputError(
            f"keyroll holds no key for {host}; roll {target.name} --via cloudformation first, "
            "or re-link it in the web Console."
        )
    return host, key


def relink(target: RollTarget) -> tuple[str, Secret, str]:
    """Re-link `target` in its Console and check the Console reaches it.

    Returns the rack's own host, the key linked, and the status the Console now reads.
    """
    host, key = key_to_link(target)
    with target.console() as console:
        relink_rack(console, target.name, key)
        try:
            status = console.rack(target.name).system().status
        except ClientError as error:
            raise KeyrollError(
                f"The Console took the key but cannot reach {target.name} yet ({error}); "
                "try `keyroll relink` again in a minute."
            ) from None
    return host, key, status
