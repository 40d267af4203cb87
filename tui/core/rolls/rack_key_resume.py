"""Resuming a rack-key roll from the step where the journal left it.

Split from `rack_key.py`: the roll's own routes live there; here is only what a restart
needs to find out (is the update running, done, or never sent?) before it settles the roll
the same way a live roll does.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING

from tui.base.errors import KeyrollError
from tui.base.secret import Secret
from tui.clients.errors import ClientError
from tui.clients.models import System
from tui.clients.rack import RackClient
from tui.clients.stack_status import describe_stack
from tui.clients.stack_update import update_parameters
from tui.core.journal import RollRecord
from tui.core.rolls.base import Confirm, RollFailed
from tui.core.rolls.events import Outcome, Phase
from tui.core.rolls.key_checks import accepts
from tui.core.rolls.rack_key import PASSWORD
from tui.core.rolls.watch import MOVING_RACK_STATUSES, UpdateWatch

if TYPE_CHECKING:
    from tui.core.rolls.rack_key import RackKeyRoll


def continue_rack_key(roll: RackKeyRoll, record: RollRecord, confirm: Confirm) -> Outcome:
    """Finish a rack-key roll from its last journal step; no key is ever dropped."""
    if roll.route == "console":
        return _continue_console(roll, record)
    key_host = record.host
    if not key_host:
        raise RollFailed(f"Roll {record.roll_id} names no host; it cannot be resumed.")
    keystore = roll.target.keystore
    new = keystore.pending(key_host)
    current = keystore.current(key_host)
    if new is None or new.fingerprint() != record.new_key:
        if current is not None and current.fingerprint() == record.new_key:
            roll.note("The new key was already verified and made current before the stop.")
            host = roll.target.direct_host
            if host:
                roll._rewrite_cli(host, current)
            return Outcome.SUCCEEDED
        raise RollFailed(
            f"The pending key of roll {record.roll_id} is not in the keystore; the old key "
            "stays current. Start a new roll."
        )
    old = current
    host = roll.target.direct_host
    client = roll.target.direct_client([new, old] if old else [new]) if host else None
    last = record.last_step
    if last in ("planned", Phase.KEY_STORED.value):
        question = (
            f"Roll {record.roll_id} stored a new key for {roll.target.name} but never "
            "requested the update. Request it now?"
        )
        if not confirm(question):
            keystore.retire_pending(key_host, new)
            raise RollFailed(
                "Abandoned before the update was requested: nothing changed on the rack, "
                "the old key stays current and the unused new key was retired."
            )
        return _request_again(roll, client, host, new, old, key_host)
    if last == Phase.VERIFYING.value:
        roll.summary.final_stack_status = "UPDATE_COMPLETE"
        return roll._settle(Outcome.SUCCEEDED, host, new, old, key_host=key_host)
    # update-requested or watching: the update may be running, done, or never sent.
    if client is not None:
        roll.start_probe(client)
    watch = roll.watcher(client, applied=_applied_check(roll, host, new))
    moving, status = _stack_state(roll, watch, client)
    if moving:
        if last != Phase.WATCHING.value:
            roll.step(Phase.WATCHING)
        return roll._settle(roll.record_watch(watch.run()), host, new, old, key_host=key_host)
    applied = _applied_check(roll, host, new)(None)
    roll.summary.final_stack_status = status
    if applied:
        return roll._settle(Outcome.SUCCEEDED, host, new, old, key_host=key_host)
    if "ROLLBACK" in status:
        keystore.retire_pending(key_host, new)
        roll.note("The update rolled back; the old key stays current and the new one was retired.")
        return Outcome.ROLLED_BACK
    question = (
        f"Roll {record.roll_id} stopped as it requested the update of {roll.target.name}, "
        "and the rack shows no sign of it. Request it now?"
    )
    if not confirm(question):
        keystore.retire_pending(key_host, new)
        raise RollFailed(
            "Abandoned: the update never took effect, the old key stays current and the "
            "unused new key was retired."
        )
    if client is not None:
        roll.stop_probe()
    return _request_again(roll, client, host, new, old, key_host)


def _applied_check(
    roll: RackKeyRoll, host: str | None, new: Secret
) -> Callable[[System | None], bool | None]:
    if host is None:
        return lambda _system: None
    url = f"https://{host}"
    return lambda _system: accepts(url, new, verify=roll.target.verify)


def _stack_state(
    roll: RackKeyRoll, watch: UpdateWatch, client: RackClient | None
) -> tuple[bool, str]:
    """Is the stack still moving, and its status (CloudFormation's, else the rack's)."""
    region = ""
    if client is not None:
        try:
            system = client.system()
            region = system.region
        except ClientError:
            system = None
    else:
        system = None
    mode = watch.baseline(region_hint=region)
    if mode == "cloudformation" and watch.aws is not None:
        snapshot = describe_stack(watch.aws, roll.target.rack.stack)
        return not snapshot.outcome.is_final, snapshot.status
    status = system.status if system else "unknown"
    return status in MOVING_RACK_STATUSES, status


def _request_again(
    roll: RackKeyRoll,
    client: RackClient | None,
    host: str | None,
    new: Secret,
    old: Secret | None,
    key_host: str,
) -> Outcome:
    watch = roll.watcher(client, applied=_applied_check(roll, host, new))
    region = ""
    if client is not None:
        with suppress(ClientError):
            region = client.system().region
    watch.baseline(region_hint=region)
    roll.step(Phase.UPDATE_REQUESTED)
    try:
        if roll.route == "rack":
            assert client is not None and old is not None
            client.set_keys([old])
            client.update_parameters({PASSWORD: new})
            client.set_keys([new, old])
        else:
            update_parameters(roll.target.aws, roll.target.rack.stack, {PASSWORD: new})
    except KeyrollError as error:
        roll.target.keystore.retire_pending(key_host, new)
        raise RollFailed(f"The update was refused ({error}); nothing changed.") from None
    watch.update_started = True
    if client is not None:
        roll.start_probe(client)
    return roll._watch_and_settle(watch, host, new, old, key_host=key_host)


def _continue_console(roll: RackKeyRoll, record: RollRecord) -> Outcome:
    with roll.target.console() as console:
        proxied = console.rack(roll.target.name)
        if record.last_step == "planned":
            raise RollFailed(
                "The Console roll was never requested before the stop; nothing changed."
            )
        watch = roll._console_watcher(console, proxied)
        watch.baseline()
        # a roll stopped while watching had its request answered: the update was under way
        watch.update_started = record.last_step in (Phase.WATCHING, Phase.VERIFYING)
        roll.start_probe(proxied)
        try:
            return roll._finish_console(console, proxied, roll.record_watch(watch.run()))
        finally:
            roll.stop_probe()
