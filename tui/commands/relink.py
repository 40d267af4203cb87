"""`keyroll relink RACK`: give the Console a rack's key after a roll that went around it.

After a `cloudformation`-route roll of a Console rack, the Console still holds the old key
and cannot reach the rack. This re-links the rack with the key keyroll holds for the rack's
own host, then checks that the Console reaches the rack again.
"""

from __future__ import annotations

import argparse

from tui.clients.console_actions import relink_rack
from tui.clients.errors import ClientError
from tui.commands.roll_progress import print_json
from tui.commands.roll_targets import target_for
from tui.commands.workspace import open_workspace
from tui.core.errors import EXIT_OK, BadInputError, KeyrollError, RefusedError, read_only_error
from tui.core.rolls.target import RollTarget
from tui.core.secret import Secret


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


def run(args: argparse.Namespace) -> int:
    """Re-link one Console rack with the key keyroll holds for it."""
    if getattr(args, "read_only", False):
        raise read_only_error(f"re-link {args.rack}")
    with open_workspace(args) as workspace:
        target = target_for(workspace, args.rack)
        host, key, status = relink(target)
    if getattr(args, "json", False):
        print_json(
            {
                "rack": target.name,
                "relinked": True,
                "host": host,
                "key_fingerprint": key.fingerprint(),
                "status": status,
            }
        )
    else:
        print(
            f"Re-linked {target.name} in the Console with the key keyroll holds for {host} "
            f"(fingerprint {key.fingerprint()}); the Console reaches it again ({status})."
        )
    return EXIT_OK
