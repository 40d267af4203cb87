"""What both routes of an instance keyroll share.

Both refuse to start while the stack is moving, and while any service runs fewer than
three processes unless forced. The watch reports batch n of m, old and new instance ids
and per-service running processes; success means `Key` changed and every instance is new.
A resumed roll reads back the plan the journal kept with `update-requested` (which key
pairs and instances), finds out whether the update is running, done, or never sent, and
then settles the roll the same way a live roll does.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from tui.base.errors import KeyrollError, RefusedError
from tui.clients.aws_errors import AwsError
from tui.clients.aws_session import AwsTarget
from tui.clients.models import System
from tui.clients.rack import RackClient
from tui.clients.rack_instances import rack_instances
from tui.clients.stack_events import StackEvent
from tui.clients.stack_status import describe_stack
from tui.core.journal import RollRecord
from tui.core.preflight import PreflightReport
from tui.core.rolls.base import Confirm, RollFailed
from tui.core.rolls.events import Outcome, Phase
from tui.core.rolls.fleet_watch import FleetWatch
from tui.core.rolls.instance_key.plan import parse_plan, plan_message, plan_words
from tui.core.rolls.instance_progress import InstanceTracker
from tui.core.rolls.watch import MODE_CLOUDFORMATION, MOVING_RACK_STATUSES, UpdateWatch

if TYPE_CHECKING:
    from tui.core.rolls.instance_key.roll import InstanceKeyRoll

KEY = "Key"
ASG_LOGICAL_ID = "Instances"
STABLE_STACK_STATUSES = frozenset(
    {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"}
)
SSH_KEY_MISMATCH = (
    "SSH key mismatch: the rack's saved key no longer matches the instances; "
    "`convox instances ssh` fails until a keyroll succeeds."
)


def batch_size_parameter(value: str | None, default: int) -> int:
    """`InstanceUpdateBatchSize` as a number of at least one (`default` when unreadable)."""
    try:
        return max(1, int(value or default))
    except ValueError:
        return default


class InstanceKeyRoute:
    """One way to roll a rack's instance key; what differs by route is how the update is
    requested, how `Key` shows it took, and what a failure or a success leaves behind."""

    def __init__(self, roll: InstanceKeyRoll) -> None:
        self.roll = roll
        self.tracker = InstanceTracker([])
        self.tracker_lock = threading.Lock()
        self.fleet: FleetWatch | None = None
        self.region_hint = ""

    # what each route defines ---------------------------------------------------------------

    def start(self) -> Outcome:
        """The roll's steps after the pre-flight event, to its outcome."""
        raise TypeError(f"{type(self).__name__} must define start()")

    def request(self, client: RackClient | None, region: str) -> Outcome:
        """Request the update (recording the plan first), then watch it to its end."""
        raise TypeError(f"{type(self).__name__} must define request()")

    def update_applied(self) -> Callable[[System], bool | None]:
        """The watch's test that the rack took the update, from what it knows now."""
        raise TypeError(f"{type(self).__name__} must define update_applied()")

    def key_changed(self, key_name: str) -> bool:
        """Does `Key` (as read now) show the update took?"""
        raise TypeError(f"{type(self).__name__} must define key_changed()")

    def explain_failure(self, outcome: Outcome, status: str) -> None:
        """Say what the failed update left: keys, instances, and SSH."""
        raise TypeError(f"{type(self).__name__} must define explain_failure()")

    def after_verified(self, key_name: str) -> None:
        """What the route does once `Key` changed and every instance is new."""

    def check_resumable(self, record: RollRecord) -> None:
        """Raise `RollFailed` when the journal's plan is not enough to resume this route."""

    # pre-flight ----------------------------------------------------------------------------

    def accept(self, report: PreflightReport, batch_size: int) -> None:
        """Report the pre-flight as notes and in the summary; refuse when it says so."""
        roll = self.roll
        roll.preflight = report
        roll.batch_size = batch_size
        name = roll.target.name
        roll.note(
            f"Pre-flight on {name}: status {report.status or 'unknown'}, key pair "
            f"{report.key_name or '(none)'}, {len(report.instances)} instance(s), "
            f"{report.services_checked} service(s) checked."
        )
        for risk in report.risks:
            roll.note(f"Downtime risk: {risk.sentence()}.")
        for warning in report.warnings:
            roll.note(f"Pre-flight: {warning}.", "warning")
        refusal = report.refusal(forced=roll.force)
        if refusal:
            raise RefusedError(refusal)
        if report.risks:
            roll.note(
                f"Going on despite {len(report.risks)} service(s) at risk of downtime (forced)."
            )

    # requesting ----------------------------------------------------------------------------

    def step_update_requested(self) -> None:
        """`step(UPDATE_REQUESTED)`, with the plan in the journal's words for a resume and in
        the person's words on screen."""
        roll = self.roll
        old, new, ids = roll.old_key_name, roll.new_key_name, roll.old_ids
        roll.step(
            Phase.UPDATE_REQUESTED,
            message=plan_message(old, new, ids),
            detail=plan_words(old, new, ids),
        )

    # watching ------------------------------------------------------------------------------

    def watcher(self, client: RackClient | None) -> UpdateWatch:
        roll = self.roll
        self.tracker = InstanceTracker(roll.old_ids, roll.batch_size)
        roll.summary.instances_before = list(roll.old_ids)
        return roll.watcher(client, applied=self.update_applied(), on_stack_event=self._stack_event)

    def _stack_event(self, event: StackEvent) -> None:
        if event.logical_id != ASG_LOGICAL_ID or not event.reason:
            return
        with self.tracker_lock:
            was_rolling_back = self.tracker.rolling_back
            progress = self.tracker.feed_reason(event.reason)
            now_rolling_back = self.tracker.rolling_back
        if now_rolling_back and not was_rolling_back:
            self.roll.note(
                "CloudFormation is rolling back: the new instances are being replaced by "
                "instances with the old key pair.",
                "warning",
            )
        if progress is not None:
            self.roll.emit(progress)

    def watch_to_end(self, watch: UpdateWatch, client: RackClient | None) -> Outcome:
        roll = self.roll
        if client is not None:
            roll.start_probe(client)
            self._start_fleet(client)
        try:
            roll.step(Phase.WATCHING)
            roll.detach_if_not_waiting()
            outcome = roll.record_watch(watch.run())
        finally:
            self._stop_fleet()
        return self.settle(outcome, client)

    def _start_fleet(self, client: RackClient) -> None:
        try:
            apps = [a.name for a in client.apps()]
        except KeyrollError:
            apps = []
        self.fleet = FleetWatch(
            client,
            apps,
            self.tracker,
            self.roll.emit,
            interval=self.roll.options.poll_s,
            tracker_lock=self.tracker_lock,
        )
        self.fleet.start()

    def _stop_fleet(self) -> None:
        if self.fleet is None:
            return
        self.fleet.stop()
        for dip in self.fleet.dips():
            self.roll.note(f"During the roll, {dip}.")
        self.fleet = None

    # the outcome ---------------------------------------------------------------------------

    def settle(self, outcome: Outcome, client: RackClient | None) -> Outcome:
        roll = self.roll
        if outcome is Outcome.SUCCEEDED:
            roll.step(Phase.VERIFYING)
            return self.verify(client)
        reasons = roll.summary.failure_reasons
        if reasons:
            roll.note(f"CloudFormation's reasons: {'; '.join(r.rstrip('.') for r in reasons)}.")
        elif roll.summary.watched_with != MODE_CLOUDFORMATION:
            roll.note("The failed resources' reasons need AWS access (CloudFormation events).")
        status = roll.summary.final_stack_status or outcome.value
        self.current_state(client)  # the instances the failed update left, for the summary
        self.explain_failure(outcome, status)
        roll.note(f"Retry once the stack is stable: `{roll.retry_command()}`.")
        return outcome

    def verify(self, client: RackClient | None) -> Outcome:
        """Success needs `Key` changed and no instance from before the roll still running."""
        roll = self.roll
        deadline = time.monotonic() + roll.options.verify_s
        while True:
            key_name, instance_ids = self.current_state(client)
            changed = self.key_changed(key_name)
            leftovers = [i for i in roll.old_ids if i in instance_ids]
            if changed and not leftovers and instance_ids:
                break
            if time.monotonic() >= deadline or roll.cancel.wait(min(1.0, roll.options.poll_s)):
                raise RollFailed(self._verify_failure(key_name, leftovers, instance_ids))
        roll.note(
            f"Key pair {roll.old_key_name or '(none)'} replaced by {key_name}; all "
            f"{len(instance_ids)} instance(s) are new and none from before the roll still runs."
        )
        self.after_verified(key_name)
        return Outcome.SUCCEEDED

    def _verify_failure(self, key_name: str, leftovers: list[str], ids: list[str]) -> str:
        roll = self.roll
        name = roll.target.name
        if not key_name or key_name == roll.old_key_name:
            return (
                f"CloudFormation finished but {name}'s Key parameter still names "
                f"{roll.old_key_name or '(none)'}; check the stack's events, then run "
                f"`{roll.retry_command()}` again."
            )
        if not ids:
            return (
                f"The Key parameter now names {key_name} but keyroll could not list {name}'s "
                "instances to check that they were replaced; check them with `convox instances`."
            )
        return (
            f"The Key parameter now names {key_name} but {len(leftovers)} instance(s) from "
            f"before the roll still run ({', '.join(leftovers)}) with the old key; check the "
            f"Instances group, then run `{roll.retry_command()}` again."
        )

    def current_state(self, client: RackClient | None) -> tuple[str, list[str]]:
        """(Key parameter, instance ids) from the rack's API, else from AWS."""
        roll = self.roll
        if client is not None:
            try:
                key_name, instances = client.system().key_name, client.instances()
            except KeyrollError:
                pass
            else:
                with self.tracker_lock:
                    progress = self.tracker.feed_instances(instances)
                if progress is not None:
                    roll.emit(progress)  # the last replacement may land after the watch ends
                roll.summary.instances_after = [i.id for i in instances]
                return key_name, roll.summary.instances_after
        try:
            snapshot = describe_stack(self.aws_target(), roll.target.rack.stack)
        except AwsError:
            return "", []
        roll.summary.instances_after = self.aws_instance_ids()
        return snapshot.parameters.get(KEY, ""), roll.summary.instances_after

    # resume --------------------------------------------------------------------------------

    def resume(self, record: RollRecord, confirm: Confirm) -> Outcome:
        """Finish an instance keyroll from its last journal step (for `keyroll resume`).

        Before the update was requested it asks `confirm` whether to request it now; after,
        it watches a moving stack to its end, or judges a resting one from `Key` (against
        the journal's key pair names) and the stack's status.
        """
        roll = self.roll
        name = roll.target.name
        old, new, ids = parse_plan(record)
        roll.old_key_name, roll.old_ids = old, ids
        roll.new_key_name = new or self._stored_key_name(record)
        client = self.reachable_client()
        region = self.region(client)
        last = record.last_step
        if last == "planned":
            raise RollFailed(
                f"Roll {record.roll_id} stopped before the update was requested; nothing "
                f"changed on {name}: start a new keyroll."
            )
        if last == Phase.KEY_STORED.value:
            return self._resume_before_request(record, confirm, client, region)
        self.check_resumable(record)
        roll.batch_size = self.batch_size_of(client) if client else 1
        watch = self.watcher(client)
        moving, status = self._stack_state(watch, client)
        if moving:
            return self.watch_to_end(watch, client)
        roll.summary.final_stack_status = status
        key_name, _now_ids = self.current_state(client)
        if self.key_changed(key_name):
            if last != Phase.VERIFYING.value:
                roll.step(Phase.VERIFYING)
            return self.verify(client)
        if "ROLLBACK" in status or last in (Phase.WATCHING.value, Phase.VERIFYING.value):
            return self.settle(Outcome.ROLLED_BACK, client)
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
        return self.request(client, region)

    def _resume_before_request(
        self,
        record: RollRecord,
        confirm: Confirm,
        client: RackClient | None,
        region: str,
    ) -> Outcome:
        """After `key-stored` (only the cloudformation route stores a key pair first)."""
        roll = self.roll
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
            roll.old_key_name, roll.old_ids = self.current_state(client)
        return self.request(client, region)

    def _stack_state(self, watch: UpdateWatch, client: RackClient | None) -> tuple[bool, str]:
        """Is the stack still moving, and its status (CloudFormation's, else the rack's)."""
        mode = watch.baseline(region_hint=self.region(client))
        if mode == MODE_CLOUDFORMATION and watch.aws is not None:
            snapshot = describe_stack(watch.aws, self.roll.target.rack.stack)
            return not snapshot.outcome.is_final, snapshot.status
        status = "unknown"
        if client is not None:
            with contextlib.suppress(KeyrollError):
                status = client.system().status
        return status in MOVING_RACK_STATUSES, status

    def _stored_key_name(self, record: RollRecord) -> str:
        """The key pair whose private key the journal recorded as stored, if the keystore
        has it."""
        if not record.new_key:
            return ""
        target = self.roll.target
        keystore = target.keystore
        for name in keystore.private_key_names(target.name):
            key = keystore.private_key(target.name, name)
            if key is not None and key.fingerprint() == record.new_key:
                return name
        return ""

    # reaching the rack and AWS -------------------------------------------------------------

    def reachable_client(self) -> RackClient | None:
        """The rack as keyroll normally reaches it, or None when it cannot be reached."""
        try:
            client = self.roll.target.client()
        except KeyrollError:
            return None
        try:
            client.system()
        except KeyrollError:
            client.close()
            return None
        return client

    def region(self, client: RackClient | None) -> str:
        """The rack's region as its API reports it (remembered for AWS calls)."""
        if client is not None:
            with contextlib.suppress(KeyrollError):
                self.region_hint = client.system().region or self.region_hint
        return self.region_hint

    def batch_size_of(self, client: RackClient | None) -> int:
        if client is None:
            return 1
        try:
            return batch_size_parameter(
                client.system().parameters.get("InstanceUpdateBatchSize"), 1
            )
        except KeyrollError:
            return 1

    def aws_target(self) -> AwsTarget:
        """The rack's AWS target, with the rack's region when the settings give none."""
        aws = self.roll.target.aws
        return replace(aws, region=self.region_hint) if not aws.region and self.region_hint else aws

    def aws_instance_ids(self) -> list[str]:
        try:
            instances = rack_instances(self.aws_target(), self.roll.target.rack.stack)
        except AwsError:
            return []
        return [i.instance_id for i in instances if i.lifecycle_state != "Terminated"]
