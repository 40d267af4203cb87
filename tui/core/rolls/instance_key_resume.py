"""Resuming an instance keyroll from the step where the journal left it.

Split from `instance_key.py`: the roll's own routes live there; here is only what a restart
needs to find out (which key pairs and instances the roll planned, whether the update is
running, done, or never sent) before it settles the roll the same way a live roll does.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING

from tui.base.errors import KeyrollError
from tui.clients.rack import RackClient
from tui.clients.stack_status import describe_stack
from tui.core.journal import RollRecord
from tui.core.rolls.base import Confirm, RollFailed
from tui.core.rolls.events import Outcome, Phase
from tui.core.rolls.watch import MODE_CLOUDFORMATION, MOVING_RACK_STATUSES, UpdateWatch

if TYPE_CHECKING:
    from tui.core.rolls.instance_key import InstanceKeyRoll

# The plan the journal keeps with `update-requested`, so a resumed roll can judge the result.
PLAN = re.compile(r"old key pair (?P<old>\S*); new key pair (?P<new>\S*); instances (?P<ids>\S*)")


def parse_plan(record: RollRecord) -> tuple[str, str, list[str]]:
    """(old key pair, new key pair or '', old instance ids) from a roll's journal steps."""
    for step in reversed(record.steps):
        match = PLAN.search(step.message or "")
        if match:
            new = "" if match["new"] == "-" else match["new"]
            ids = [] if match["ids"] == "-" else match["ids"].split(",")
            return match["old"], new, ids
    return "", "", []


def continue_instance_key(roll: InstanceKeyRoll, record: RollRecord, confirm: Confirm) -> Outcome:
    """Finish an instance keyroll from its last journal step (for `keyroll resume`).

    Before the update was requested it asks `confirm` whether to request it now; after,
    it watches a moving stack to its end, or judges a resting one from `Key` (against
    the journal's key pair names) and the stack's status.
    """
    name = roll.target.name
    old, new, ids = parse_plan(record)
    roll.old_key_name, roll.old_ids = old, ids
    roll.new_key_name = new or _stored_key_name(roll, record)
    client = roll._reachable_client()
    region = roll._region(client)
    last = record.last_step
    if last == "planned":
        raise RollFailed(
            f"Roll {record.roll_id} stopped before the update was requested; nothing "
            f"changed on {name}: start a new keyroll."
        )
    if last == Phase.KEY_STORED.value:
        return _resume_before_request(roll, record, confirm, client, region)
    if roll.route == "rack" and not old:
        raise RollFailed(f"Roll {record.roll_id} names no key pair; it cannot be resumed.")
    roll.batch_size = roll._batch_size_of(client) if client else 1
    watch = roll._watcher(client)
    moving, status = _stack_state(roll, watch, client)
    if moving:
        return roll._watch_to_end(watch, client)
    roll.summary.final_stack_status = status
    key_name, _now_ids = roll._current_state(client)
    applied = key_name == new if roll.route == "cloudformation" else key_name not in ("", old)
    if applied:
        if last != Phase.VERIFYING.value:
            roll.step(Phase.VERIFYING)
        return roll._verify(client)
    if "ROLLBACK" in status or last in (Phase.WATCHING.value, Phase.VERIFYING.value):
        return roll._settle(Outcome.ROLLED_BACK, client)
    # `update-requested` and no sign of the update: it may never have been sent
    question = (
        f"Roll {record.roll_id} was about to request {name}'s keyroll when it stopped, "
        "and the stack shows no sign of it. Request it now?"
    )
    if not confirm(question):
        raise RollFailed(
            f"Abandoned: {name} still uses key pair {old or '(none)'}; if the request had "
            "reached the rack, its saved SSH key may not match, so run a new keyroll."
        )
    return _request_again(roll, client, region)


def _resume_before_request(
    roll: InstanceKeyRoll,
    record: RollRecord,
    confirm: Confirm,
    client: RackClient | None,
    region: str,
) -> Outcome:
    name = roll.target.name
    if not roll.new_key_name:
        raise RollFailed(
            f"The private key of roll {record.roll_id} is not in the keystore; nothing "
            f"changed on {name}: start a new keyroll."
        )
    question = (
        f"Roll {record.roll_id} created key pair {roll.new_key_name} for {name} and stored "
        "its private key, but never requested the update. Request it now?"
    )
    if not confirm(question):
        raise RollFailed(
            f"Abandoned before the update was requested: nothing changed on {name}, and key "
            f"pair {roll.new_key_name} is unused (its private key stays in the keystore)."
        )
    if not roll.old_key_name:
        roll.old_key_name, roll.old_ids = roll._current_state(client)
    return roll._request_by_cloudformation(client, region)


def _request_again(roll: InstanceKeyRoll, client: RackClient | None, region: str) -> Outcome:
    if roll.route == "rack":
        if client is None:
            raise RollFailed(
                f"{roll.target.name}'s API does not answer; run the keyroll again when it does."
            )
        return roll._request_by_rack(client, region)
    return roll._request_by_cloudformation(client, region)


def _stack_state(
    roll: InstanceKeyRoll, watch: UpdateWatch, client: RackClient | None
) -> tuple[bool, str]:
    """Is the stack still moving, and its status (CloudFormation's, else the rack's)."""
    mode = watch.baseline(region_hint=roll._region(client))
    if mode == MODE_CLOUDFORMATION and watch.aws is not None:
        snapshot = describe_stack(watch.aws, roll.target.rack.stack)
        return not snapshot.outcome.is_final, snapshot.status
    status = "unknown"
    if client is not None:
        with contextlib.suppress(KeyrollError):
            status = client.system().status
    return status in MOVING_RACK_STATUSES, status


def _stored_key_name(roll: InstanceKeyRoll, record: RollRecord) -> str:
    """The key pair whose private key the journal recorded as stored, if the keystore has it."""
    if not record.new_key:
        return ""
    keystore = roll.target.keystore
    for name in keystore.private_key_names(roll.target.name):
        key = keystore.private_key(roll.target.name, name)
        if key is not None and key.fingerprint() == record.new_key:
            return name
    return ""
