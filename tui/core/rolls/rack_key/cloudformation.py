"""The `cloudformation` route of a rack-key roll: UpdateStack with only `Password` changed,
for when the Console or the rack API is down. keyroll stores the new key before it asks;
a Console rack must be re-linked afterwards (`--relink` does it). A resumed roll goes through
`OwnKeyRoute.resume`, which asks again with `send_update` below."""

from __future__ import annotations

from tui.base.errors import KeyrollError, RefusedError
from tui.base.key_rules import generate_rack_key
from tui.base.secret import Secret
from tui.clients.aws_errors import AwsError
from tui.clients.rack import RackClient
from tui.clients.stack_status import describe_stack
from tui.clients.stack_update import update_parameters
from tui.core.rolls.base import RollFailed
from tui.core.rolls.events import Outcome, Phase
from tui.core.rolls.rack_key.base import PASSWORD, STABLE_STACK_STATUSES, OwnKeyRoute


class CloudFormationRoute(OwnKeyRoute):
    """UpdateStack through AWS, around the Console and the rack's API."""

    def start(self) -> Outcome:
        roll = self.roll
        target = roll.target
        stack = target.rack.stack
        try:
            snapshot = describe_stack(target.aws, stack)
        except AwsError as error:
            raise RefusedError(
                f"The cloudformation route needs AWS access to stack {stack}: {error}"
            ) from None
        if snapshot.status not in STABLE_STACK_STATUSES:
            raise RefusedError(
                f"Stack {stack} is {snapshot.status}; wait until it rests in UPDATE_COMPLETE, "
                "then start the roll."
            )
        host = target.direct_host
        key_host = host or f"cloudformation:{stack}"
        self.refuse_if_pending(key_host)
        held = target.keystore.keys_for(key_host)
        old = held[0] if held else None
        new = roll.own_key or generate_rack_key()
        roll.begin(host=key_host, old_key=old)
        target.keystore.add_pending(key_host, new)
        roll.step(Phase.KEY_STORED, new_key=new)
        client = target.direct_client([new, *held]) if host else None
        watch = roll.watcher(client)
        watch.baseline()
        roll.step(Phase.UPDATE_REQUESTED)
        try:
            update_parameters(target.aws, stack, {PASSWORD: new})
        except KeyrollError as error:
            target.keystore.retire_pending(key_host, new)
            raise RollFailed(
                f"CloudFormation refused the update ({error}); nothing changed."
            ) from None
        watch.update_started = True
        if client is not None:
            if not roll.options.dual_key:
                client.set_keys([new])
            roll.start_probe(client)
        return self.watch_and_settle(watch, host, new, old, key_host=key_host)

    def send_update(self, client: RackClient | None, new: Secret, old: Secret | None) -> None:
        target = self.roll.target
        update_parameters(target.aws, target.rack.stack, {PASSWORD: new})
