"""The `cloudformation` route of an instance keyroll: keyroll creates the key pair, keeps
its private key in the keystore (journal `key-stored`) and only then updates `Key` with
UpdateStack. The rack's saved `instance-key` is left alone, so a rollback leaves no SSH
mismatch; it works when the rack's API does not answer (the services then need --force).
A resumed roll goes through `InstanceKeyRoute.resume` with this route's request and its test
of `Key`; only this route can stop after `key-stored`."""

from __future__ import annotations

from collections.abc import Callable

from tui.base.errors import KeyrollError, RefusedError
from tui.clients.aws_errors import AwsError
from tui.clients.errors import ClientError
from tui.clients.key_pairs import create_key_pair
from tui.clients.models import System
from tui.clients.rack import RackClient
from tui.clients.stack_status import describe_stack
from tui.clients.stack_update import update_parameters
from tui.core.preflight import PreflightReport, check_instance_keyroll
from tui.core.rolls.base import RollFailed
from tui.core.rolls.events import Outcome, Phase
from tui.core.rolls.instance_key.base import (
    KEY,
    STABLE_STACK_STATUSES,
    InstanceKeyRoute,
    batch_size_parameter,
)


class CloudFormationRoute(InstanceKeyRoute):
    """keyroll makes the key pair and keeps its private key; AWS updates the stack."""

    def start(self) -> Outcome:
        roll = self.roll
        target, stack = roll.target, roll.target.rack.stack
        client = self.reachable_client()
        region = self.region(client)
        aws = self.aws_target()
        try:
            snapshot = describe_stack(aws, stack)
        except AwsError as error:
            raise RefusedError(
                f"The cloudformation route needs AWS access to stack {stack}: {error}"
            ) from None
        if snapshot.status not in STABLE_STACK_STATUSES:
            raise RefusedError(
                f"Stack {stack} is {snapshot.status}; wait until it rests (UPDATE_COMPLETE), "
                "then start the keyroll (one now could leave the key and the instances "
                "mismatched)."
            )
        batch_size = batch_size_parameter(snapshot.parameters.get("InstanceUpdateBatchSize"), 1)
        report = self._preflight(client)
        if report is not None:
            self.accept(report, batch_size)
            roll.old_ids = [i.id for i in report.instances]
        else:
            roll.batch_size = batch_size
            roll.old_ids = self.aws_instance_ids()
        roll.old_key_name = snapshot.parameters.get(KEY, "")
        roll.begin(host=client.host if client else f"cloudformation:{stack}")
        try:
            name, private_key = create_key_pair(aws, stack)
        except AwsError as error:
            raise RollFailed(
                f"EC2 did not create a key pair ({error}); nothing changed on {target.name}."
            ) from None
        roll.new_key_name = name
        target.keystore.put_private_key(target.name, name, private_key)
        roll.step(Phase.KEY_STORED, new_key=private_key, message=f"key pair {name}")
        return self.request(client, region)

    def request(self, client: RackClient | None, region: str) -> Outcome:
        roll = self.roll
        watch = self.watcher(client)
        watch.baseline(region_hint=region)
        self.step_update_requested()
        try:
            update_parameters(self.aws_target(), roll.target.rack.stack, {KEY: roll.new_key_name})
        except KeyrollError as error:
            raise RollFailed(
                f"CloudFormation refused the update ({error}); nothing changed, and key pair "
                f"{roll.new_key_name} is unused (its private key stays in keyroll's keystore)."
            ) from None
        watch.update_started = True
        return self.watch_to_end(watch, client)

    def update_applied(self) -> Callable[[System], bool | None]:
        new = self.roll.new_key_name

        def applied(system: System) -> bool | None:
            return system.key_name == new

        return applied

    def key_changed(self, key_name: str) -> bool:
        return key_name == self.roll.new_key_name

    def explain_failure(self, outcome: Outcome, status: str) -> None:
        roll = self.roll
        roll.note(
            f"The update ended {status}: the instances keep key pair "
            f"{roll.old_key_name or '(none)'}, and this route left the rack's saved SSH key "
            "alone, so there is no SSH key mismatch and `convox instances ssh` works as "
            f"before; key pair {roll.new_key_name} is unused (its private key stays in "
            "keyroll's keystore)."
        )

    def after_verified(self, key_name: str) -> None:
        self.roll.note(
            f"`convox instances ssh` uses the rack's saved key, which this route does not "
            f"change: SSH with the private key of {key_name} that keyroll keeps, or roll "
            "again --via rack when the rack's API answers.",
            "warning",
        )

    def _preflight(self, client: RackClient | None) -> PreflightReport | None:
        """The rack API's pre-flight when it answers; without it, services need --force."""
        roll = self.roll
        problem = "it has no API keyroll can reach"
        if client is not None:
            try:
                return check_instance_keyroll(roll.target.name, client)
            except ClientError as error:
                problem = f"its API did not answer ({str(error).rstrip('.')})"
        if not roll.force:
            raise RefusedError(
                f"keyroll cannot check {roll.target.name}'s services for downtime risk because "
                f"{problem}; confirm with --force to roll anyway."
            )
        roll.note(
            f"Services on {roll.target.name} were not checked for downtime risk ({problem}); "
            "going on (forced).",
            "warning",
        )
        return None
