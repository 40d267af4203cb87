"""The `rack` route of an instance keyroll: `POST /instances/keyroll` through the rack's
usual client (Console or direct). The rack makes `<rack>-keypair-NNNN`, saves its private
key as the rack's `instance-key`, and updates `Key`; if the update rolls back, that saved
key no longer matches the instances (an SSH key mismatch). A resumed roll goes through
`InstanceKeyRoute.resume` with this route's request, its test of `Key`, and its refusal of a
plan that names no old key pair."""

from __future__ import annotations

from collections.abc import Callable

from tui.base.errors import KeyrollError
from tui.clients.errors import ClientError
from tui.clients.models import System
from tui.clients.rack import RackClient
from tui.core.journal import RollRecord
from tui.core.preflight import check_instance_keyroll
from tui.core.rolls.base import LeftOpen, RollFailed, preflight_refusal
from tui.core.rolls.events import Outcome
from tui.core.rolls.instance_key.base import SSH_KEY_MISMATCH, InstanceKeyRoute
from tui.core.rolls.lost_answer import ROLLBACK_UNSEEN, Began, began_anyway


class RackRoute(InstanceKeyRoute):
    """The rack makes the key pair and keeps its private key."""

    def start(self) -> Outcome:
        roll = self.roll
        client = roll.target.client()
        try:
            report = check_instance_keyroll(roll.target.name, client)
        except ClientError as error:
            raise preflight_refusal(
                f"Pre-flight could not read {roll.target.name}: {error}"
            ) from None
        self.accept(report, self.batch_size_of(client))
        roll.old_key_name = report.key_name
        roll.old_ids = [i.id for i in report.instances]
        roll.begin(host=client.host)
        region = self.region(client)
        return self.request(client, region)

    def request(self, client: RackClient | None, region: str) -> Outcome:
        roll = self.roll
        if client is None:
            raise RollFailed(
                f"{roll.target.name}'s API does not answer; run the keyroll again when it does."
            )
        watch = self.watcher(client)
        watch.baseline(region_hint=region)
        self.step_update_requested()
        try:
            client.instance_keyroll()
        except ClientError as error:
            began = began_anyway(
                client,
                error,
                watch,
                lambda system: system.key_name != roll.old_key_name,
                within_s=roll.options.verify_s,
                poll_s=roll.options.poll_s,
                cancel=roll.cancel,
            )
            if began is Began.SILENT:
                raise LeftOpen(
                    f"The rack's answer to the keyroll was lost and {roll.target.name} has not "
                    "answered since: run `keyroll resume` to finish the roll."
                ) from None
            if began is not Began.YES:
                raise RollFailed(_not_begun(roll.target.name, error, began)) from None
            roll.note("The rack's answer to the keyroll was lost, but the update is under way.")
        watch.update_started = True
        self._learn_new_key_name(client)
        return self.watch_to_end(watch, client)

    def update_applied(self) -> Callable[[System], bool | None]:
        old = self.roll.old_key_name

        def applied(system: System) -> bool | None:
            return system.key_name != old

        return applied

    def key_changed(self, key_name: str) -> bool:
        return bool(key_name) and key_name != self.roll.old_key_name

    def explain_failure(self, outcome: Outcome, status: str) -> None:
        roll = self.roll
        if outcome is Outcome.ROLLED_BACK:
            roll.note(SSH_KEY_MISMATCH, "error")
        else:
            roll.note(
                f"The update of {roll.target.name} ended {status} and needs attention in "
                "CloudFormation; `convox instances ssh` may fail until a keyroll succeeds.",
                "error",
            )

    def after_verified(self, key_name: str) -> None:
        if key_name != self.roll.new_key_name:
            self.roll.remember_new_key_name(key_name)

    def check_resumable(self, record: RollRecord) -> None:
        if not self.roll.old_key_name:
            raise RollFailed(f"Roll {record.roll_id} names no key pair; it cannot be resumed.")

    def _learn_new_key_name(self, client: RackClient) -> None:
        try:
            key_name = client.system().key_name
        except KeyrollError:
            return
        if key_name and key_name != self.roll.old_key_name:
            self.roll.remember_new_key_name(key_name)


def _not_begun(rack: str, error: ClientError, began: Began) -> str:
    """Why an instance keyroll did not begin, or why keyroll cannot tell that it did."""
    if began is Began.UNSEEN:
        return (
            f"The rack's answer to the keyroll was lost ({error}) and {rack} rests with its old "
            f"key pair: either it never began or {ROLLBACK_UNSEEN}. Check `convox instances ssh`, "
            "then roll again."
        )
    return (
        f"The rack refused the keyroll ({error}); it may already have saved a new SSH key, so "
        f"check `convox instances ssh` and roll again once {rack} is stable."
    )
