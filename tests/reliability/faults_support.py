"""Fault injection for the reliability suite: lanes of rolls on a sandbox, faults switched on
and off at random moments, and the checks that follow every run.

A lane is one in-process sandbox with its keyroll home and Convox CLI dir; it runs rolls one
after another (the world carries over, as a real operator's does). Before each run a seeded
generator picks the route and the faults with their moments; a driver thread switches them
during the roll; afterwards every switch is off, the stacks come to rest and the run is
judged against the world itself, never against keyroll's own view of it.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tui.base.errors import KeyrollError
from tui.base.secret import Secret
from tui.core.convox_cli import CONFIG_ENV, CliConfig
from tui.core.keystore import Keystore
from tui.core.roll_targets import account_target, journal_for, target_for
from tui.core.rolls.account_key import AccountKeyRoll
from tui.core.rolls.base import Roll
from tui.core.rolls.events import Outcome
from tui.core.rolls.instance_key import InstanceKeyRoll
from tui.core.rolls.lost_answer import ROLLBACK_UNSEEN
from tui.core.rolls.rack_key import RackKeyRoll
from tui.core.rolls.resume import resume_all
from tui.core.rolls.summary import RollSummary
from tui.core.rolls.target import RollOptions
from tui.core.settings import AwsSettings, Settings, load_settings
from tui.sandbox.aws_throttle import ThrottleGate
from tui.sandbox.runtime import Sandbox
from tui.sandbox.write_config import write_config
from tui.services.workspace import Workspace

SPEED = 100.0  # a rack-key update (~20 simulated s) takes ~0.2 s
FAST = RollOptions(
    poll_s=0.05,
    probe_s=0.05,
    poll_jitter=0.0,
    verify_s=5.0,
    watch_timeout_s=60.0,
    backoff_schedule=(0.05, 0.1, 0.2, 0.4),
)
REST_TIMEOUT_S = 60.0

# The routes of every roll kind: (kind, route, racks it may run on).
ROUTES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("account-key", "console", ("",)),
    ("rack-key", "console", ("acme/staging",)),
    ("rack-key", "rack", ("dev",)),
    ("rack-key", "cloudformation", ("dev",)),
    ("instance-key", "rack", ("dev", "acme/staging")),
    ("instance-key", "cloudformation", ("dev",)),
)
PRIVATE_KEY_RACKS = ("dev", "staging", "acme/staging")
# What a Console roll says when the Console was left with a key the rack refuses.
ADVISED_RELINK = "--via cloudformation --relink"
FLAKY, THROTTLE, CONSOLE_DOWN, ROLLBACK = "rack-api", "throttle", "console-down", "rollback"


@dataclass
class Episode:
    """One fault, switched on `start_s` after the roll starts and off `stop_s` after."""

    kind: str
    start_s: float
    stop_s: float
    settings: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        extra = ",".join(f"{k}={v:.2f}" for k, v in sorted(self.settings.items()))
        return f"{self.kind}[{self.start_s:.2f}-{self.stop_s:.2f}s{',' + extra if extra else ''}]"


@dataclass
class Plan:
    """What one run does: which roll, on which rack, with AWS or not, and which faults."""

    number: int
    kind: str
    route: str
    rack: str
    aws: bool
    episodes: list[Episode]

    def describe(self) -> str:
        where = self.rack or "account"
        faults = " ".join(e.describe() for e in self.episodes) or "no fault"
        aws = "aws" if self.aws else "no-aws"
        return f"run {self.number}: {self.kind} {where} via {self.route} ({aws}); {faults}"


def applicable_faults(kind: str, route: str, rack: str, aws: bool) -> list[str]:
    """The faults that can reach this roll's path (a fault elsewhere would prove nothing)."""
    faults = []
    direct = rack == "dev" or route == "cloudformation"
    if direct:
        faults.append(FLAKY)
    if aws:
        faults.append(THROTTLE)
    if kind == "account-key" or rack.startswith("acme/"):
        faults.append(CONSOLE_DOWN)
    if kind != "account-key":
        faults.append(ROLLBACK)
    return faults


def make_plan(rng: random.Random, number: int, route_index: int) -> Plan:
    """Pick the rack, AWS access and the faults of run `number` on route `route_index`."""
    kind, route, racks = ROUTES[route_index % len(ROUTES)]
    rack = rng.choice(racks)
    aws = route == "cloudformation" or (kind != "account-key" and rng.random() < 0.5)
    choices = applicable_faults(kind, route, rack, aws)
    count = rng.choice([1, 1, 2, 2, 3]) if rng.random() > 0.08 else 0
    episodes = []
    for fault in rng.sample(choices, min(count, len(choices))):
        start = 0.0 if fault == ROLLBACK else rng.uniform(0.0, 0.6)
        length = rng.uniform(0.05, 1.5)
        settings: dict[str, float] = {}
        if fault == FLAKY:
            settings = {
                "share": rng.uniform(0.15, 0.6),
                "stall": rng.choice([0.05, 0.2, 0.5, 3.2]),  # 3.2: past the probe's timeout
                "lost": rng.uniform(0.0, 0.6),
            }
        elif fault == THROTTLE:
            settings = {"share": rng.uniform(0.2, 0.5)}
            length = rng.uniform(0.05, 0.8)
        elif fault == CONSOLE_DOWN and rng.random() < 0.15:
            length = rng.uniform(4.0, 7.0)  # longer than the account key's verification
        episodes.append(Episode(fault, start, start + length, settings))
    return Plan(number, kind, route, rack, aws, episodes)


@dataclass
class WorldState:
    """What the world itself holds: keys it accepts, stack statuses, key pairs."""

    console_key: Secret
    accepted: dict[str, list[Secret]]  # full rack name -> keys its API takes
    console_held: dict[str, Secret]  # org/name -> key the Console holds for it
    key_param: dict[str, str]
    status: dict[str, str]
    update_ids: dict[str, int]  # full rack name -> identity of its latest update
    key_pairs: dict[str, tuple[str, Secret]]  # name -> (rack it was made by, private key)


def world_state(sandbox: Sandbox) -> WorldState:
    world = sandbox.world
    with world.locked():
        racks = list(world.racks.values())
        return WorldState(
            console_key=world.console.api_key,
            accepted={r.full_name: list(r.api_keys) for r in racks},
            console_held=dict(world.console.rack_keys),
            key_param={r.full_name: r.stack.parameters.get("Key", "") for r in racks},
            status={r.full_name: r.stack.status for r in racks},
            update_ids={r.full_name: id(r.update) for r in racks},
            key_pairs={n: (p.rack, p.private_key) for n, p in world.key_pairs.items()},
        )


@dataclass
class Tally:
    """Counts over every run, from every lane (thread-safe)."""

    runs: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    episodes: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    left_open: int = 0
    unseen_rollbacks: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, report: RunReport) -> None:
        with self.lock:
            self.runs += 1
            self.faults.update(report.faults)
            self.episodes.update(e.kind for e in report.plan.episodes)
            self.outcomes[report.outcome] += 1
            self.left_open += report.left_open
            self.unseen_rollbacks += report.unseen_rollback
            self.lost += report.problems(report.lost)
            self.mismatched += report.problems(report.mismatched)


@dataclass
class RunReport:
    plan: Plan
    outcome: str
    faults: Counter[str]
    lost: list[str]
    mismatched: list[str]
    left_open: int = 0
    messages: list[str] = field(default_factory=list)
    unseen_rollback: bool = False

    def problems(self, found: list[str]) -> list[str]:
        """Each problem with the run that made it and the roll's last words."""
        said = " | ".join(self.messages[-2:])
        return [f"{self.plan.describe()} -> {self.outcome}: {p} [roll said: {said}]" for p in found]


class Lane:
    """One sandbox and one keyroll home, running planned rolls one after another."""

    def __init__(self, seed: int, directory: Path) -> None:
        self.sandbox = Sandbox(
            scenario="flaky", speed=SPEED, seed=seed, flaky_share=0.0, flaky_stall_seconds=0.2
        )
        self.directory = directory
        self._stack = ExitStack()

    def __enter__(self) -> Lane:
        self._stack.enter_context(self.sandbox)
        home, cli_dir = write_config(self.sandbox.info(), self.directory)
        self.settings = load_settings(home / "config" / "config.toml")
        self.keystore_path = home / "data" / "keystore.json"
        self.state_dir = home / "state"
        self.cli_dir = cli_dir
        self.console_host = self.sandbox.console_host
        self.hosts = {name: self.sandbox.rack_host(name) for name in self.sandbox.rack_apis}
        return self

    def __exit__(self, *exc: object) -> None:
        self.quiet()
        self._stack.close()

    def workspace(self, aws: bool) -> Workspace:
        settings: Settings = self.settings if aws else replace(self.settings, aws=AwsSettings())
        return Workspace(
            settings=settings,
            keystore=Keystore(self.keystore_path),
            state_dir=self.state_dir,
            cli=CliConfig(self.cli_dir),
            env={CONFIG_ENV: str(self.cli_dir)},
            sandbox=self.sandbox,
        )

    # switches -------------------------------------------------------------------------------

    def switch(self, episode: Episode, on: bool) -> None:
        gate, sandbox = self.sandbox.flaky, self.sandbox
        assert gate is not None
        if episode.kind == FLAKY:
            gate.resets = True
            gate.stall_seconds = episode.settings["stall"]
            gate.lost_answer_share = episode.settings["lost"] if on else 0.0
            gate.share = episode.settings["share"] if on else 0.0
        elif episode.kind == THROTTLE:
            seed = int(episode.settings["share"] * 1e6)
            gate_on = ThrottleGate(seed, share=episode.settings["share"]) if on else None
            sandbox.aws_endpoint.throttle = gate_on
        elif episode.kind == CONSOLE_DOWN:
            sandbox.console_api.down = on
        elif episode.kind == ROLLBACK:
            sandbox.world.fail_next_update(on)

    def quiet(self) -> None:
        """Every fault off."""
        gate = self.sandbox.flaky
        if gate is not None:
            gate.share, gate.lost_answer_share = 0.0, 0.0
        self.sandbox.aws_endpoint.throttle = None
        self.sandbox.console_api.down = False
        self.sandbox.world.fail_next_update(False)

    def wait_for_rest(self) -> None:
        """Until no stack of the world has an update still running."""
        world = self.sandbox.world
        deadline = time.monotonic() + REST_TIMEOUT_S
        while True:
            with world.locked():
                busy = [r.name for r in world.racks.values() if r.update and not r.update.done]
            if not busy:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the stacks of {busy} never came to rest")
            time.sleep(0.02)

    def fault_counts(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        gate = self.sandbox.flaky
        if gate is not None:
            counts.update({f"rack {k}": v for k, v in gate.injected.items()})
        counts["cloudformation throttle"] = sum(self.sandbox.aws_endpoint.throttled.values())
        counts["console down (503)"] = self.sandbox.console_api.refused_while_down
        counts["rollback"] = self.sandbox.world.forced_rollbacks
        return counts

    # one run --------------------------------------------------------------------------------

    def run(self, plan: Plan) -> RunReport:
        """Run one planned roll under its faults, then judge it against the world."""
        self.quiet()
        self.wait_for_rest()
        before, counts_before = world_state(self.sandbox), self.fault_counts()
        workspace = self.workspace(plan.aws)
        roll = self._roll(workspace, plan)
        stop = threading.Event()
        driver = threading.Thread(target=self._drive, args=(plan.episodes, stop), daemon=True)
        for episode in plan.episodes:
            if episode.start_s == 0.0:
                self.switch(episode, True)
        driver.start()
        try:
            summary = roll.run()
        finally:
            stop.set()
            driver.join()
            self.quiet()
        left_open = 0
        if summary.outcome is None:  # the roll said to resume it: do as it says
            left_open = 1
            summary = self._resume(plan)
        self.wait_for_rest()
        faults = self.fault_counts()
        faults.subtract(counts_before)
        mismatched = judge_outcome(self, plan, summary, before, world_state(self.sandbox))
        if any(ADVISED_RELINK in m for m in summary.messages):
            mismatched += self._follow_relink_advice(plan)
        lost, wrong_keys = judge_keys(self, before, world_state(self.sandbox))
        outcome = summary.outcome.value if summary.outcome else "unfinished"
        report = RunReport(plan, outcome, +faults, lost, mismatched + wrong_keys, left_open)
        report.messages = list(summary.messages)
        report.unseen_rollback = rollback_out_of_sight(plan, summary)
        return report

    def _follow_relink_advice(self, plan: Plan) -> list[str]:
        """Do what the roll advised when the Console was left with a key the rack refuses."""
        target = target_for(self.workspace(aws=True), plan.rack)
        summary = RackKeyRoll(target, "cloudformation", options=FAST, relink=True).run()
        self.wait_for_rest()
        if summary.outcome is not Outcome.SUCCEEDED:
            return [f"the advised re-link roll ended {summary.outcome}: {summary.messages[-1:]}"]
        return []

    def _roll(self, workspace: Workspace, plan: Plan) -> Roll:
        if plan.kind == "account-key":
            return AccountKeyRoll(account_target(workspace), plan.route, options=FAST)
        target = target_for(workspace, plan.rack)
        if plan.kind == "rack-key":
            return RackKeyRoll(target, plan.route, options=FAST)
        return InstanceKeyRoll(target, plan.route, options=FAST, force=True)

    def _drive(self, episodes: list[Episode], stop: threading.Event) -> None:
        started = time.monotonic()
        moments = sorted(
            [(e.start_s, e, True) for e in episodes if e.start_s > 0.0]
            + [(e.stop_s, e, False) for e in episodes],
            key=lambda m: m[0],
        )
        for at, episode, on in moments:
            if stop.wait(max(0.0, started + at - time.monotonic())):
                return
            self.switch(episode, on)

    def _resume(self, plan: Plan) -> RollSummary:
        workspace = self.workspace(plan.aws)
        journal = journal_for(workspace)
        done = list(
            resume_all(
                journal,
                lambda record: (
                    account_target(workspace)
                    if record.kind == "account-key"
                    else target_for(workspace, record.rack)
                ),
                options=lambda _t: FAST,
                confirm=lambda _q: True,
            )
        )
        summaries = [d for d in done if isinstance(d, RollSummary)]
        if len(summaries) != 1 or len(done) != 1:
            raise AssertionError(f"{plan.describe()}: resume finished {done!r}")
        return summaries[0]


def judge_keys(lane: Lane, before: WorldState, after: WorldState) -> tuple[list[str], list[str]]:
    """(keys lost, keys not where they belong): the world's keys against keyroll's files."""
    lost: list[str] = []
    wrong: list[str] = []
    try:
        keystore = Keystore(lane.keystore_path)
        auth = CliConfig(lane.cli_dir).auth()
    except KeyrollError as error:
        return [f"keyroll's files no longer parse: {error}"], []
    held = {e.key for host in keystore.hosts() for e in keystore.entries(host)}

    def check_host(host: str, accepted: list[Secret], what: str) -> None:
        current = keystore.current(host)
        for key in accepted:
            if key not in held:
                lost.append(f"{what} accepts a key keyroll does not hold")
        if current is None or current not in accepted:
            wrong.append(f"keyroll's current key for {what} is not one it accepts")
        if host in auth and auth[host] not in accepted:
            wrong.append(f"the Convox CLI's auth entry for {what} is not a key it accepts")

    check_host(lane.console_host, [after.console_key], "the Console")
    for name, keys in after.accepted.items():
        if "/" not in name:
            check_host(lane.hosts[name], keys, f"rack {name}")
        elif not any(after.console_held.get(name) == k for k in keys):
            # a Console rack's key is the Console's to hold (a Console roll never shows it)
            wrong.append(f"the Console holds no key {name} accepts")
    for name, (made_by, private) in after.key_pairs.items():
        if name in before.key_pairs or made_by:
            continue  # made before the run, or by the rack itself (it keeps that key)
        if not any(keystore.private_key(r, name) == private for r in PRIVATE_KEY_RACKS):
            lost.append(f"key pair {name} was made by keyroll but its private key is gone")
    unfinished = journal_for(lane.workspace(aws=False)).unfinished()
    if unfinished:
        wrong.append(f"{len(unfinished)} roll(s) left unfinished in the journal")
    return lost, wrong


def judge_outcome(
    lane: Lane, plan: Plan, summary: RollSummary, before: WorldState, after: WorldState
) -> list[str]:
    """What the roll and its journal say against what the world shows happened."""
    wrong: list[str] = []
    outcome = summary.outcome
    if summary.roll_id:
        recorded = journal_for(lane.workspace(plan.aws)).get(summary.roll_id).outcome
        if recorded != (outcome.value if outcome else None):
            wrong.append(f"the journal says {recorded}, the roll {outcome}")
    if plan.kind == "account-key":
        changed = after.console_key != before.console_key
        updated, status = False, ""
    else:
        name = plan.rack
        if plan.kind == "rack-key":
            changed = after.accepted[name] != before.accepted[name]
        else:
            changed = after.key_param[name] != before.key_param[name]
        updated = after.update_ids[name] != before.update_ids[name]
        status = after.status[name]
    said = outcome.value if outcome else "unfinished"
    if outcome is Outcome.SUCCEEDED:
        if not changed:
            wrong.append("succeeded, but the world did not change")
        if plan.kind != "account-key" and status != "UPDATE_COMPLETE":
            wrong.append(f"succeeded, but the stack is {status}")
    elif changed:
        wrong.append(f"{said}, but the world changed")
    if outcome is Outcome.REFUSED and updated:
        wrong.append("refused, but an update was requested")
    if outcome is Outcome.ROLLED_BACK and not (updated and status == "UPDATE_ROLLBACK_COMPLETE"):
        wrong.append(f"rolled back, but the stack is {status}")
    rolled_back = updated and status == "UPDATE_ROLLBACK_COMPLETE"
    if (
        rolled_back
        and outcome is not Outcome.ROLLED_BACK
        and not rollback_out_of_sight(plan, summary)
    ):
        wrong.append(f"the stack rolled back, but the roll says {said}")
    return wrong


def rollback_out_of_sight(plan: Plan, summary: RollSummary) -> bool:
    """A rollback keyroll could not see without AWS access, and said so.

    Through the Console, keyroll's only window is the Console's status of the rack, sampled
    between polls (or shut while the Console was down): `failed` with the re-link advice is all
    the truth it has. Straight to the rack, when the answer to the update request was lost and
    the rack rests as before, the update may never have begun or may have rolled back while the
    rack did not answer: `failed`, saying exactly that.
    """
    if plan.aws or summary.outcome is not Outcome.FAILED:
        return False
    if plan.route == "console":
        return any(ADVISED_RELINK in m for m in summary.messages)
    return plan.route == "rack" and any(ROLLBACK_UNSEEN in m for m in summary.messages)


def run_lanes(
    seed: int,
    lanes: int,
    runs_per_lane: int,
    tally: Tally,
    *,
    on_report: Callable[[RunReport], Any] | None = None,
) -> None:
    """Run `lanes` lanes in parallel threads, `runs_per_lane` planned runs each."""
    errors: list[BaseException] = []

    def lane_body(number: int) -> None:
        rng = random.Random(f"{seed}/{number}")
        try:
            with (
                tempfile.TemporaryDirectory(prefix="keyroll-faults-") as temp,
                Lane(rng.randrange(2**31), Path(temp)) as lane,
            ):
                for n in range(runs_per_lane):
                    plan = make_plan(rng, number * runs_per_lane + n, number + n)
                    report = lane.run(plan)
                    tally.add(report)
                    if on_report is not None:
                        on_report(report)
        except BaseException as error:  # surfaced by the caller with the lane's number
            errors.append(error)

    threads = [threading.Thread(target=lane_body, args=(n,)) for n in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
