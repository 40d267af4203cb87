"""The simulated Convox world: one object, one lock, behind every sandbox server.

Everything that reads the world goes through `World.locked()`, which first applies every
update step that is due on the world's clock; progress is therefore lazy and deterministic.
The AWS-shaped API for a query-protocol endpoint is `World.cloud` (`tui.sandbox.cloud_api`).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tui.base.key_rules import generate_rack_key
from tui.base.secret import Secret
from tui.sandbox.clock import Clock, SteppedClock
from tui.sandbox.cloud_errors import (
    KeyPairDuplicateError,
    ValidationError,
)
from tui.sandbox.fleet import KeyPair, make_key_material
from tui.sandbox.identifiers import IdMaker
from tui.sandbox.rack import Rack
from tui.sandbox.rack_template import TEMPLATE_DEFAULTS
from tui.sandbox.stack import UPDATABLE_STATUSES, StackEvent
from tui.sandbox.updates import build_update

SCENARIOS = ("ok", "rollback", "throttle", "flaky", "console-down", "slow", "old-key-lingers")
SLOW_FACTOR = 3.0


class InsufficientCapabilitiesError(ValidationError):
    """CloudFormation's `InsufficientCapabilitiesException`: CAPABILITY_IAM was not given."""

    code = "InsufficientCapabilitiesException"


@dataclass
class WorldOptions:
    """How the world behaves: scenario, clock speed, randomness, and test switches."""

    scenario: str = "ok"
    speed: float = 1.0
    seed: int | None = None
    old_key_lingers: bool = False  # also on under scenario `old-key-lingers`
    history_events: Mapping[str, int] = field(default_factory=dict)  # stack name -> N old events
    stepped: bool = False  # a clock that stands still until a test advances it (`speed` unused)

    @property
    def update_scale(self) -> float:
        """How many times longer than normal every update takes."""
        return SLOW_FACTOR if self.scenario == "slow" else 1.0

    @property
    def lingers(self) -> bool:
        return self.old_key_lingers or self.scenario == "old-key-lingers"


@dataclass
class ConsoleAccount:
    """The Console's side: the account, its key, and the rack keys the Console holds."""

    email: str
    organization: str
    api_key: Secret
    rack_keys: dict[str, Secret] = field(default_factory=dict)  # org/name -> key
    session_required: bool = False  # answer 401 `WWW-Authenticate: Session` to every call


class World:
    """Organizations, racks with their stacks, instances, apps and key pairs, and a clock."""

    def __init__(self, options: WorldOptions | None = None) -> None:
        self.options = options or WorldOptions()
        if self.options.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.options.scenario!r}")
        self.clock: Clock | SteppedClock = (
            SteppedClock() if self.options.stepped else Clock(self.options.speed)
        )
        self.ids = IdMaker(self.options.seed)
        self.lock = threading.RLock()
        # notified (under `lock`) on every counted request and every advance of a stepped clock
        self.changed = threading.Condition(self.lock)
        self.racks: dict[str, Rack] = {}  # by stack name
        self.key_pairs: dict[str, KeyPair] = {}
        self.console = ConsoleAccount("", "", Secret(""))
        self.requests: Counter[str] = Counter()
        self.failing_next_update = False  # the test hook `fail_next_update()` sets it
        self.forced_rollbacks = 0
        self.account_id = self.ids.account_id()
        from tui.sandbox.cloud_api import CloudApi  # the AWS view needs a built World

        self.cloud = CloudApi(self)

    # reading ------------------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[datetime]:
        """Hold the world's lock with every due update step applied; yields simulated now."""
        with self.lock:
            now = self.clock.now()
            self._advance(now)
            yield now

    def _advance(self, now: datetime) -> None:
        for rack in self.racks.values():
            if rack.update is not None:
                rack.update.advance(now)

    def count(self, operation: str) -> None:
        """Count one request of `operation` (e.g. `DescribeStackEvents`, `rack GET /system`)."""
        with self.lock:
            self.requests[operation] += 1
            self.changed.notify_all()

    # a stepped clock ----------------------------------------------------------------------

    def _stepped_clock(self) -> SteppedClock:
        if not isinstance(self.clock, SteppedClock):
            raise TypeError("only a world made with `stepped=True` can be advanced")
        return self.clock

    def advance(self, seconds: float) -> datetime:
        """Move a stepped world `seconds` forward and apply every update step now due."""
        with self.lock:
            now = self._stepped_clock().advance(seconds)
            self._advance(now)
            self.changed.notify_all()
            return now

    def advance_to(self, moment: datetime) -> datetime:
        """Move a stepped world to `moment` and apply every update step now due."""
        with self.lock:
            now = self._stepped_clock().advance_to(moment)
            self._advance(now)
            self.changed.notify_all()
            return now

    def next_due(self) -> datetime | None:
        """When the next update step of any rack happens (simulated), or None if none waits."""
        with self.locked():
            due = [
                rack.update.steps[rack.update.applied].at
                for rack in self.racks.values()
                if rack.update is not None and not rack.update.done
            ]
        return min(due, default=None)

    def wait_for(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Block until `condition()` (called under the world's lock, after each counted request
        or advance) holds, or `timeout` real seconds pass; whether it holds."""
        with self.changed:
            return self.changed.wait_for(condition, timeout)

    def rack(self, name: str) -> Rack:
        """A rack by stack name, `org/name`, or StackId ARN; `ValidationError` if none."""
        with self.lock:
            for rack in self.racks.values():
                if name in (rack.name, rack.full_name, rack.stack.stack_id):
                    return rack
        raise ValidationError(f"Stack with id {name} does not exist")

    def console_racks(self) -> list[Rack]:
        """The racks the Console lists: those of the account's organization."""
        with self.lock:
            return [r for r in self.racks.values() if r.organization == self.console.organization]

    def rack_status(self, rack: Rack) -> str:
        """`GET /system`'s status: the stack's, or `converging` while instances come and go."""
        from tui.sandbox.rack_status import rack_status_for

        status = rack_status_for(rack.stack.status)
        if status == "running" and any(i.lifecycle != "InService" for i in rack.live_instances()):
            return "converging"
        return status

    # writing ------------------------------------------------------------------------------

    def add_rack(self, rack: Rack) -> None:
        with self.lock:
            self.racks[rack.name] = rack
            extra = self.options.history_events.get(rack.name, 0)
            if extra:
                self.seed_history(rack.name, extra)

    def update_stack(
        self,
        stack_name: str,
        parameters: list[dict[str, Any]],
        *,
        client_request_token: str | None = None,
        capabilities: list[str] | None = None,
    ) -> str:
        """CloudFormation UpdateStack with the previous template; returns the StackId.

        `parameters` items have `ParameterKey` and either `ParameterValue` (a str, or a
        `Secret` for `Password`) or `UsePreviousValue: True`. A parameter left out takes the
        template's default, as in CloudFormation. Raises `ValidationError` with
        CloudFormation's own messages.
        """
        with self.locked() as now:
            rack = self.rack(stack_name)
            stack = rack.stack
            if client_request_token and rack.update and rack.update.token == client_request_token:
                return stack.stack_id  # a retried request: CloudFormation is idempotent on it
            if stack.status not in UPDATABLE_STATUSES:
                raise ValidationError(
                    f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
                )
            if "CAPABILITY_IAM" not in (capabilities or []):
                raise InsufficientCapabilitiesError("Requires capabilities : [CAPABILITY_IAM]")
            given = {str(p["ParameterKey"]): p for p in parameters}
            unknown = [k for k in given if k not in TEMPLATE_DEFAULTS]
            if unknown:
                raise ValidationError(
                    f"Parameters: [{', '.join(unknown)}] do not exist in the template"
                )
            previous = stack.parameter_values()
            values: dict[str, str | Secret] = {}
            missing = []
            for key, default in TEMPLATE_DEFAULTS.items():
                item = given.get(key)
                if item is not None and item.get("UsePreviousValue"):
                    values[key] = previous[key]
                elif item is not None and "ParameterValue" in item:
                    raw = item["ParameterValue"]
                    values[key] = Secret(raw) if key == "Password" else str(raw)
                elif default is not None:
                    values[key] = default
                else:
                    missing.append(key)
            if missing:
                raise ValidationError(f"Parameters: [{', '.join(missing)}] must have values")
            changed = {k: v for k, v in values.items() if v != previous.get(k)}
            if not changed:
                raise ValidationError("No updates are to be performed.")
            token = client_request_token or ""
            forced, self.failing_next_update = self.failing_next_update, False
            self.forced_rollbacks += forced
            for key, value in values.items():
                if isinstance(value, Secret):
                    stack.password = value
                else:
                    stack.parameters[key] = value
            stack.last_updated = now
            rack.update = build_update(
                rack,
                self.ids,
                now,
                changed=changed,
                previous={k: previous[k] for k in changed},
                token=token,
                scale=self.options.update_scale,
                rolls_back=forced or self.options.scenario == "rollback",
                old_key_lingers=self.options.lingers,
            )
            rack.update.advance(now)
            self.changed.notify_all()
            return stack.stack_id

    def fail_next_update(self, fail: bool = True) -> None:
        """Test hook: the next accepted update fails and rolls back, whatever the scenario.

        `fail=False` takes the order back if no update consumed it.
        """
        with self.lock:
            self.failing_next_update = fail

    def update_rack_parameters(self, rack_name: str, changes: Mapping[str, str | Secret]) -> None:
        """What the rack API's `PUT /system` does: UpdateStack with every other parameter's
        previous value, `CAPABILITY_IAM`, no request token (`provider/aws/helpers.go`)."""
        with self.lock:
            rack = self.rack(rack_name)
            items: list[dict[str, Any]] = [
                {"ParameterKey": key, "UsePreviousValue": True}
                for key in rack.stack.parameter_values()
                if key not in changes
            ]
            items += [{"ParameterKey": k, "ParameterValue": v} for k, v in changes.items()]
            self.update_stack(rack.name, items, capabilities=["CAPABILITY_IAM"])

    def create_key_pair(self, name: str, *, rack: str = "") -> KeyPair:
        """EC2 CreateKeyPair: a new RSA key pair; `InvalidKeyPair.Duplicate` if the name exists."""
        material, fingerprint = make_key_material()  # slow: outside the lock
        with self.locked() as now:
            if name in self.key_pairs:
                raise KeyPairDuplicateError(f"The keypair '{name}' already exists.")
            pair = KeyPair(
                name=name,
                key_pair_id="key-" + self.ids.hex(17),
                fingerprint=fingerprint,
                private_key=material,
                created=now,
                rack=rack,
            )
            self.key_pairs[name] = pair
            return pair

    def instance_keyroll(self, rack_name: str) -> KeyPair:
        """The rack's `POST /instances/keyroll`: a new key pair, saved as the rack's instance
        key, then UpdateStack with `Key`. Like the real rack, it does not check the stack's
        state first and keeps the saved key if the update is refused."""
        rack = self.rack(rack_name)
        while True:
            name = f"{rack.name}-keypair-{self.ids.key_pair_suffix()}"
            if name not in self.key_pairs:
                break
        pair = self.create_key_pair(name, rack=rack.name)
        with self.lock:
            rack.instance_key = pair.private_key
        self.update_rack_parameters(rack.name, {"Key": name})
        return pair

    def seed_history(self, stack_name: str, count: int) -> None:
        """Add `count` old events (past parameter updates) between the stack's creation and
        the world's start, for tests and benchmarks of event paging over a long history."""
        with self.lock:
            rack = self.rack(stack_name)
            stack = rack.stack
            base = max((e.timestamp for e in stack.events), default=stack.created)
            base = min(base, self.clock.start - timedelta(days=1))
            gap = (self.clock.start - timedelta(hours=1) - base) / (count + 1)
            at = len([e for e in stack.events if e.timestamp <= base])
            cycle = [
                (stack.name, "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated"),
                ("RackApiSecret", "AWS::SSM::Parameter", "UPDATE_IN_PROGRESS", ""),
                ("RackApiSecret", "AWS::SSM::Parameter", "UPDATE_COMPLETE", ""),
                (
                    stack.name,
                    "AWS::CloudFormation::Stack",
                    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
                    "",
                ),
                (stack.name, "AWS::CloudFormation::Stack", "UPDATE_COMPLETE", ""),
            ]
            physical = {
                stack.name: stack.stack_id,
                "RackApiSecret": stack.resources["RackApiSecret"].physical_id,
            }
            old: list[StackEvent] = []
            shift = -count % len(cycle)  # the newest old event is a finished update
            for n in range(count):
                logical, kind, status, reason = cycle[(n + shift) % len(cycle)]
                old.append(
                    StackEvent(
                        event_id=self.ids.uuid(),
                        stack_id=stack.stack_id,
                        stack_name=stack.name,
                        logical_id=logical,
                        physical_id=physical[logical],
                        resource_type=kind,
                        timestamp=base + gap * (n + 1),
                        status=status,
                        reason=reason,
                    )
                )
            stack.events[at:at] = old

    def new_rack_key(self) -> Secret:
        """A random rack key of the kind Console and keyroll generate."""
        return generate_rack_key()
