"""Rolling a rack's instance SSH key (the stack's `Key`): by the rack, or by CloudFormation.

- `rack`: `POST /instances/keyroll` through the rack's usual client (Console or direct); the
  rack makes `<rack>-keypair-NNNN`, saves its private key as the rack's `instance-key`, and
  updates `Key`. If the update rolls back, that saved key no longer matches the instances.
- `cloudformation`: keyroll creates the key pair, keeps its private key in the keystore
  (journal `key-stored`) and only then updates `Key` with UpdateStack. The rack's saved
  `instance-key` is left alone, so a rollback leaves no SSH mismatch.

Both refuse to start while the stack is moving, and while any service runs fewer than
three processes unless forced. The watch reports batch n of m, old and new instance ids
and per-service running processes; success means `Key` changed and every instance is new.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import replace
from typing import Any

from tui.base.errors import BadInputError, KeyrollError, RefusedError
from tui.clients.aws_errors import AwsError
from tui.clients.aws_session import AwsTarget
from tui.clients.errors import ClientError
from tui.clients.key_pairs import create_key_pair
from tui.clients.models import System
from tui.clients.rack import RackClient
from tui.clients.rack_instances import rack_instances
from tui.clients.stack_events import StackEvent
from tui.clients.stack_status import describe_stack
from tui.clients.stack_update import update_parameters
from tui.core.journal import RollRecord
from tui.core.preflight import PreflightReport, check_instance_keyroll
from tui.core.rolls.base import Confirm, LeftOpen, Roll, RollFailed, preflight_refusal
from tui.core.rolls.events import InstanceProgress, Outcome, Phase, PhaseChanged, RollEvent
from tui.core.rolls.fleet_watch import FleetWatch
from tui.core.rolls.instance_progress import InstanceTracker
from tui.core.rolls.lost_answer import ROLLBACK_UNSEEN, Began, began_anyway
from tui.core.rolls.watch import MODE_CLOUDFORMATION, UpdateWatch

ROUTES = ("rack", "cloudformation")
KEY = "Key"
ASG_LOGICAL_ID = "Instances"
STABLE_STACK_STATUSES = frozenset(
    {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"}
)
SSH_KEY_MISMATCH = (
    "SSH key mismatch: the rack's saved key no longer matches the instances; "
    "`convox instances ssh` fails until a keyroll succeeds."
)


def plan_message(old: str, new: str, instance_ids: list[str]) -> str:
    """The journal message of `update-requested` (names and ids only, never a key).

    A resumed roll reads it back with `instance_key_resume.parse_plan`.
    """
    return (
        f"old key pair {old}; new key pair {new or '-'}; instances {','.join(instance_ids) or '-'}"
    )


def plan_words(old: str, new: str, instance_ids: list[str]) -> str:
    """The same plan as the person watching reads it (the rack route learns the new key
    pair's name only once the rack has made it)."""
    replacement = new or "a new key pair the rack makes"
    ids = ", ".join(instance_ids) or "none listed"
    return (
        f"key pair {old or '(none)'} to be replaced by {replacement}; "
        f"{len(instance_ids)} instance(s) to replace: {ids}"
    )


class InstanceKeyRoll(Roll):
    """Roll one rack's instance SSH key by the `rack` or the `cloudformation` route.

    `force=True` goes on despite services with fewer than three running processes (the
    headless `--force`; the dashboard asks for a typed confirmation first).
    """

    kind = "instance-key"

    def __init__(self, *args: Any, force: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.route not in ROUTES:
            raise BadInputError(
                f"'{self.route}' is not a route for an instance keyroll; use rack or "
                "cloudformation."
            )
        self.force = force
        self.preflight: PreflightReport | None = None
        self.old_key_name = ""
        self.new_key_name = ""
        self.old_ids: list[str] = []
        self.batch_size = 1
        self.tracker = InstanceTracker([])
        self._tracker_lock = threading.Lock()
        self.fleet: FleetWatch | None = None
        self._region_hint = ""

    def emit(self, event: RollEvent) -> None:
        if isinstance(event, InstanceProgress):
            self.summary.record_batch(event)
        super().emit(event)

    # the routes ----------------------------------------------------------------------------

    def execute(self) -> Outcome:
        self.emit(PhaseChanged(Phase.PREFLIGHT))
        if self.route == "rack":
            return self._via_rack()
        return self._via_cloudformation()

    def _via_rack(self) -> Outcome:
        client = self.target.client()
        try:
            report = check_instance_keyroll(self.target.name, client)
        except ClientError as error:
            raise preflight_refusal(
                f"Pre-flight could not read {self.target.name}: {error}"
            ) from None
        self._accept(report, self._batch_size_of(client))
        self.old_key_name = report.key_name
        self.old_ids = [i.id for i in report.instances]
        self.begin(host=client.host)
        region = self._region(client)
        return self._request_by_rack(client, region)

    def _via_cloudformation(self) -> Outcome:
        target, stack = self.target, self.target.rack.stack
        client = self._reachable_client()
        region = self._region(client)
        aws = self._aws_target()
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
        batch_size = _int(snapshot.parameters.get("InstanceUpdateBatchSize"), 1)
        report = self._preflight_for_cloudformation(client)
        if report is not None:
            self._accept(report, batch_size)
            self.old_ids = [i.id for i in report.instances]
        else:
            self.batch_size = batch_size
            self.old_ids = self._aws_instance_ids()
        self.old_key_name = snapshot.parameters.get(KEY, "")
        self.begin(host=client.host if client else f"cloudformation:{stack}")
        try:
            name, private_key = create_key_pair(aws, stack)
        except AwsError as error:
            raise RollFailed(
                f"EC2 did not create a key pair ({error}); nothing changed on {target.name}."
            ) from None
        self.new_key_name = name
        target.keystore.put_private_key(target.name, name, private_key)
        self.step(Phase.KEY_STORED, new_key=private_key, message=f"key pair {name}")
        return self._request_by_cloudformation(client, region)

    def _request_by_rack(self, client: RackClient, region: str) -> Outcome:
        watch = self._watcher(client)
        watch.baseline(region_hint=region)
        self._step_update_requested()
        try:
            client.instance_keyroll()
        except ClientError as error:
            began = began_anyway(
                client,
                error,
                watch,
                lambda system: system.key_name != self.old_key_name,
                within_s=self.options.verify_s,
                poll_s=self.options.poll_s,
                cancel=self.cancel,
            )
            if began is Began.SILENT:
                raise LeftOpen(
                    f"The rack's answer to the keyroll was lost and {self.target.name} has not "
                    "answered since: run `keyroll resume` to finish the roll."
                ) from None
            if began is not Began.YES:
                raise RollFailed(_not_begun(self.target.name, error, began)) from None
            self.note("The rack's answer to the keyroll was lost, but the update is under way.")
        watch.update_started = True
        self._learn_new_key_name(client)
        return self._watch_to_end(watch, client)

    def _request_by_cloudformation(self, client: RackClient | None, region: str) -> Outcome:
        stack = self.target.rack.stack
        watch = self._watcher(client)
        watch.baseline(region_hint=region)
        self._step_update_requested()
        try:
            update_parameters(self._aws_target(), stack, {KEY: self.new_key_name})
        except KeyrollError as error:
            raise RollFailed(
                f"CloudFormation refused the update ({error}); nothing changed, and key pair "
                f"{self.new_key_name} is unused (its private key stays in keyroll's keystore)."
            ) from None
        watch.update_started = True
        return self._watch_to_end(watch, client)

    # pre-flight ----------------------------------------------------------------------------

    def _accept(self, report: PreflightReport, batch_size: int) -> None:
        """Report the pre-flight as notes and in the summary; refuse when it says so."""
        self.preflight = report
        self.batch_size = batch_size
        name = self.target.name
        self.note(
            f"Pre-flight on {name}: status {report.status or 'unknown'}, key pair "
            f"{report.key_name or '(none)'}, {len(report.instances)} instance(s), "
            f"{report.services_checked} service(s) checked."
        )
        for risk in report.risks:
            self.note(f"Downtime risk: {risk.sentence()}.")
        for warning in report.warnings:
            self.note(f"Pre-flight: {warning}.", "warning")
        refusal = report.refusal(forced=self.force)
        if refusal:
            raise RefusedError(refusal)
        if report.risks:
            self.note(
                f"Going on despite {len(report.risks)} service(s) at risk of downtime (forced)."
            )

    def _preflight_for_cloudformation(self, client: RackClient | None) -> PreflightReport | None:
        """The rack API's pre-flight when it answers; without it, services need --force."""
        problem = "it has no API keyroll can reach"
        if client is not None:
            try:
                return check_instance_keyroll(self.target.name, client)
            except ClientError as error:
                problem = f"its API did not answer ({str(error).rstrip('.')})"
        if not self.force:
            raise RefusedError(
                f"keyroll cannot check {self.target.name}'s services for downtime risk because "
                f"{problem}; confirm with --force to roll anyway."
            )
        self.note(
            f"Services on {self.target.name} were not checked for downtime risk ({problem}); "
            "going on (forced).",
            "warning",
        )
        return None

    # watching ------------------------------------------------------------------------------

    def _watcher(self, client: RackClient | None) -> UpdateWatch:
        self.tracker = InstanceTracker(self.old_ids, self.batch_size)
        self.summary.instances_before = list(self.old_ids)
        if self.route == "rack":
            old = self.old_key_name

            def applied(system: System) -> bool | None:
                return system.key_name != old
        else:
            new = self.new_key_name

            def applied(system: System) -> bool | None:
                return system.key_name == new

        return self.watcher(client, applied=applied, on_stack_event=self._stack_event)

    def _stack_event(self, event: StackEvent) -> None:
        if event.logical_id != ASG_LOGICAL_ID or not event.reason:
            return
        with self._tracker_lock:
            was_rolling_back = self.tracker.rolling_back
            progress = self.tracker.feed_reason(event.reason)
            now_rolling_back = self.tracker.rolling_back
        if now_rolling_back and not was_rolling_back:
            self.note(
                "CloudFormation is rolling back: the new instances are being replaced by "
                "instances with the old key pair.",
                "warning",
            )
        if progress is not None:
            self.emit(progress)

    def _watch_to_end(self, watch: UpdateWatch, client: RackClient | None) -> Outcome:
        if client is not None:
            self.start_probe(client)
            self._start_fleet(client)
        try:
            self.step(Phase.WATCHING)
            self.detach_if_not_waiting()
            outcome = self.record_watch(watch.run())
        finally:
            self._stop_fleet()
        return self._settle(outcome, client)

    def _start_fleet(self, client: RackClient) -> None:
        try:
            apps = [a.name for a in client.apps()]
        except KeyrollError:
            apps = []
        self.fleet = FleetWatch(
            client,
            apps,
            self.tracker,
            self.emit,
            interval=self.options.poll_s,
            tracker_lock=self._tracker_lock,
        )
        self.fleet.start()

    def _stop_fleet(self) -> None:
        if self.fleet is None:
            return
        self.fleet.stop()
        for dip in self.fleet.dips():
            self.note(f"During the roll, {dip}.")
        self.fleet = None

    # the outcome ---------------------------------------------------------------------------

    def _settle(self, outcome: Outcome, client: RackClient | None) -> Outcome:
        name = self.target.name
        if outcome is Outcome.SUCCEEDED:
            self.step(Phase.VERIFYING)
            return self._verify(client)
        reasons = self.summary.failure_reasons
        if reasons:
            self.note(f"CloudFormation's reasons: {'; '.join(r.rstrip('.') for r in reasons)}.")
        elif self.summary.watched_with != MODE_CLOUDFORMATION:
            self.note("The failed resources' reasons need AWS access (CloudFormation events).")
        status = self.summary.final_stack_status or outcome.value
        self._current_state(client)  # the instances the failed update left, for the summary
        if self.route == "rack":
            if outcome is Outcome.ROLLED_BACK:
                self.note(SSH_KEY_MISMATCH, "error")
            else:
                self.note(
                    f"The update of {name} ended {status} and needs attention in CloudFormation; "
                    "`convox instances ssh` may fail until a keyroll succeeds.",
                    "error",
                )
        else:
            self.note(
                f"The update ended {status}: the instances keep key pair "
                f"{self.old_key_name or '(none)'}, and this route left the rack's saved SSH key "
                "alone, so there is no SSH key mismatch and `convox instances ssh` works as "
                f"before; key pair {self.new_key_name} is unused (its private key stays in "
                "keyroll's keystore)."
            )
        self.note(f"Retry once the stack is stable: `{self.retry_command()}`.")
        return outcome

    def _verify(self, client: RackClient | None) -> Outcome:
        """Success needs `Key` changed and no instance from before the roll still running."""
        deadline = time.monotonic() + self.options.verify_s
        while True:
            key_name, instance_ids = self._current_state(client)
            changed = (
                key_name == self.new_key_name
                if self.route == "cloudformation"
                else bool(key_name) and key_name != self.old_key_name
            )
            leftovers = [i for i in self.old_ids if i in instance_ids]
            if changed and not leftovers and instance_ids:
                break
            if time.monotonic() >= deadline or self.cancel.wait(min(1.0, self.options.poll_s)):
                raise RollFailed(self._verify_failure(key_name, leftovers, instance_ids))
        if self.route == "rack" and key_name != self.new_key_name:
            self._remember_new_key_name(key_name)
        self.note(
            f"Key pair {self.old_key_name or '(none)'} replaced by {key_name}; all "
            f"{len(instance_ids)} instance(s) are new and none from before the roll still runs."
        )
        if self.route == "cloudformation":
            self.note(
                f"`convox instances ssh` uses the rack's saved key, which this route does not "
                f"change: SSH with the private key of {key_name} that keyroll keeps, or roll "
                "again --via rack when the rack's API answers.",
                "warning",
            )
        return Outcome.SUCCEEDED

    def _verify_failure(self, key_name: str, leftovers: list[str], ids: list[str]) -> str:
        name = self.target.name
        if not key_name or key_name == self.old_key_name:
            return (
                f"CloudFormation finished but {name}'s Key parameter still names "
                f"{self.old_key_name or '(none)'}; check the stack's events, then run "
                f"`{self.retry_command()}` again."
            )
        if not ids:
            return (
                f"The Key parameter now names {key_name} but keyroll could not list {name}'s "
                "instances to check that they were replaced; check them with `convox instances`."
            )
        return (
            f"The Key parameter now names {key_name} but {len(leftovers)} instance(s) from "
            f"before the roll still run ({', '.join(leftovers)}) with the old key; check the "
            f"Instances group, then run `{self.retry_command()}` again."
        )

    def _current_state(self, client: RackClient | None) -> tuple[str, list[str]]:
        """(Key parameter, instance ids) from the rack's API, else from AWS."""
        if client is not None:
            try:
                key_name, instances = client.system().key_name, client.instances()
            except KeyrollError:
                pass
            else:
                with self._tracker_lock:
                    progress = self.tracker.feed_instances(instances)
                if progress is not None:
                    self.emit(progress)  # the last replacement may land after the watch ends
                self.summary.instances_after = [i.id for i in instances]
                return key_name, self.summary.instances_after
        try:
            snapshot = describe_stack(self._aws_target(), self.target.rack.stack)
        except AwsError:
            return "", []
        self.summary.instances_after = self._aws_instance_ids()
        return snapshot.parameters.get(KEY, ""), self.summary.instances_after

    # resume --------------------------------------------------------------------------------

    def continue_from(self, record: RollRecord, confirm: Confirm) -> Outcome:
        """Finish an instance keyroll from its last journal step (for `keyroll resume`).

        Before the update was requested it asks `confirm` whether to request it now; after,
        it watches a moving stack to its end, or judges a resting one from `Key` (against
        the journal's key pair names) and the stack's status.
        """
        from tui.core.rolls.instance_key_resume import continue_instance_key

        return continue_instance_key(self, record, confirm)

    # helpers -------------------------------------------------------------------------------

    def _step_update_requested(self) -> None:
        """`step(UPDATE_REQUESTED)`, with the plan in the journal's words for a resume and in
        the person's words on screen."""
        old, new, ids = self.old_key_name, self.new_key_name, self.old_ids
        self.target.journal.step(
            self.roll_id, Phase.UPDATE_REQUESTED.value, message=plan_message(old, new, ids)
        )
        self._phase(Phase.UPDATE_REQUESTED, plan_words(old, new, ids))

    def retry_command(self) -> str:
        """The headless command that starts this keyroll again as it was started (a forced
        roll needs `--force` again, or the pre-flight refuses it)."""
        via = f" --via {self.route}" if self.route != ROUTES[0] else ""
        force = " --force" if self.force else ""
        return f"keyroll roll instance-key {self.target.name}{via}{force}"

    def _reachable_client(self) -> RackClient | None:
        """The rack as keyroll normally reaches it, or None when it cannot be reached."""
        try:
            client = self.target.client()
        except KeyrollError:
            return None
        try:
            client.system()
        except KeyrollError:
            client.close()
            return None
        return client

    def _region(self, client: RackClient | None) -> str:
        """The rack's region as its API reports it (remembered for AWS calls)."""
        if client is not None:
            with contextlib.suppress(KeyrollError):
                self._region_hint = client.system().region or self._region_hint
        return self._region_hint

    def _batch_size_of(self, client: RackClient | None) -> int:
        if client is None:
            return 1
        try:
            return _int(client.system().parameters.get("InstanceUpdateBatchSize"), 1)
        except KeyrollError:
            return 1

    def _aws_target(self) -> AwsTarget:
        """The rack's AWS target, with the rack's region when the settings give none."""
        aws = self.target.aws
        return (
            replace(aws, region=self._region_hint) if not aws.region and self._region_hint else aws
        )

    def _aws_instance_ids(self) -> list[str]:
        try:
            instances = rack_instances(self._aws_target(), self.target.rack.stack)
        except AwsError:
            return []
        return [i.instance_id for i in instances if i.lifecycle_state != "Terminated"]

    def _learn_new_key_name(self, client: RackClient) -> None:
        try:
            key_name = client.system().key_name
        except KeyrollError:
            return
        if key_name and key_name != self.old_key_name:
            self._remember_new_key_name(key_name)

    def _remember_new_key_name(self, key_name: str) -> None:
        self.new_key_name = key_name
        if self.roll_id:
            self.target.journal.note(self.roll_id, f"new key pair {key_name}")


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value or default))
    except ValueError:
        return default


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
