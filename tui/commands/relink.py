"""`keyroll relink RACK`: give the Console a rack's key after a roll that went around it.

After a `cloudformation`-route roll of a Console rack, the Console still holds the old key
and cannot reach the rack. This re-links the rack with the key keyroll holds for the rack's
own host, then checks that the Console reaches the rack again.
"""

from __future__ import annotations

import argparse

from tui.base.errors import EXIT_OK, read_only_error
from tui.commands.roll_progress import print_json
from tui.core.roll_targets import target_for
from tui.services.relink import relink
from tui.services.workspace import open_workspace


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
