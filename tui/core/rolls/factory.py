"""The one place a roll is built: from its kind, target, route and options.

The dashboard's session, the headless `keyroll roll`, and resume (from a journal record)
all come here; no other module constructs a roll class. Each kind's module is imported on
use, so building one kind never loads the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.base.errors import BadInputError
from tui.core.rolls.events import RollEvent, RollKind

if TYPE_CHECKING:
    from tui.base.secret import Secret
    from tui.core.rolls.base import Roll
    from tui.core.rolls.target import RollOptions, RollTarget


def roll_kind(name: str) -> RollKind:
    """The kind a journal record or a command names; a clear error for any other word."""
    try:
        return RollKind(name)
    except ValueError:
        kinds = ", ".join(kind.value for kind in RollKind)
        raise BadInputError(f"'{name}' is not a kind of key keyroll rolls; use {kinds}.") from None


def build_roll(
    kind: RollKind | str,
    target: RollTarget,
    route: str,
    *,
    options: RollOptions | None = None,
    emit: Callable[[RollEvent], None] | None = None,
    cancel: threading.Event | None = None,
    own_key: Secret | None = None,
    relink: bool = False,
    force: bool = False,
) -> Roll:
    """The roll of `kind` on `target` by `route`, ready to `run()` or `run_resumed()`.

    `own_key` is the key the user gave (the account key pasted from the Console, or a rack
    key of their own); `relink` re-links a Console rack after a roll around the Console;
    `force` lets an instance keyroll start on a rack whose pre-flight checks warned.
    """
    kind = roll_kind(kind)
    if kind is RollKind.ACCOUNT_KEY:
        from tui.core.rolls.account_key import AccountKeyRoll

        return AccountKeyRoll(
            target, route, options=options, emit=emit, cancel=cancel, pasted=own_key
        )
    if kind is RollKind.RACK_KEY:
        from tui.core.rolls.rack_key.roll import RackKeyRoll

        return RackKeyRoll(
            target,
            route,
            options=options,
            emit=emit,
            cancel=cancel,
            own_key=own_key,
            relink=relink,
        )
    from tui.core.rolls.instance_key.roll import InstanceKeyRoll

    return InstanceKeyRoll(target, route, options=options, emit=emit, cancel=cancel, force=force)
