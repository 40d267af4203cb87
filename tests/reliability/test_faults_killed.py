"""SIGKILL of keyroll itself, at a random journal step or a random moment, then
`keyroll resume --yes`: the roll finishes and nothing is lost.

Two `keyroll sandbox serve` worlds run side by side: `ok`, and `rollback` (every update
fails). Each run starts a real `keyroll roll ...` process, kills it (the test-only
`KEYROLL_TEST_CRASH_AFTER=<step>`, or SIGKILL from here after a random delay), resumes,
then asks the world over HTTP and AWS which key it takes and how its stack rests.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from tests.conftest import record_figure
from tests.e2e.conftest import COMMAND_TIMEOUT_S, ROOT, Result, Served, http_status, serve

SEED = int(os.environ.get("KEYROLL_FAULTS_SEED", "20261122"))
RUNS_PER_WORLD = 12
SPEED = 25.0
# (kind, route, the command's arguments, the journal steps this route records)
ROUTES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("account-key", "console", ("account-key",), ("update-requested", "key-stored", "verifying")),
    (
        "rack-key",
        "console",
        ("rack-key", "staging", "--via", "console", "--wait"),
        ("planned", "update-requested", "watching", "verifying"),
    ),
    (
        "rack-key",
        "rack",
        ("rack-key", "dev", "--via", "rack", "--wait"),
        ("planned", "key-stored", "update-requested", "watching", "verifying"),
    ),
    (
        "rack-key",
        "cloudformation",
        ("rack-key", "dev", "--via", "cloudformation", "--wait"),
        ("planned", "key-stored", "update-requested", "watching", "verifying"),
    ),
    (
        "instance-key",
        "rack",
        ("instance-key", "dev", "--via", "rack", "--force", "--wait"),
        ("planned", "update-requested", "watching", "verifying"),
    ),
    (
        "instance-key",
        "cloudformation",
        ("instance-key", "dev", "--via", "cloudformation", "--force", "--wait"),
        ("planned", "key-stored", "update-requested", "watching", "verifying"),
    ),
)
EXIT_FOR = {"succeeded": 0, "rolled_back": 1, "failed": 1, "refused": 3, "unfinished": 0}


@dataclass
class Counts:
    """What the runs of both worlds did (thread-safe)."""

    runs: int = 0
    kills: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class KillWorld:
    """One served world and the checks of a killed-and-resumed roll on it."""

    def __init__(self, served: Served, scenario: str) -> None:
        self.served, self.scenario = served, scenario
        aws = served.info["aws"]
        self.cloudformation = boto3.client(
            "cloudformation",
            endpoint_url=aws["endpoint_url"],
            region_name=aws["region"],
            aws_access_key_id=aws["access_key_id"],
            aws_secret_access_key=aws["secret_access_key"],
        )

    def stack(self, name: str) -> dict[str, Any]:
        stack: dict[str, Any] = self.cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        return stack

    def wait_for_rest(self) -> None:
        deadline = time.monotonic() + 60
        while any(self.stack(s)["StackStatus"].endswith("IN_PROGRESS") for s in ("dev", "staging")):
            assert time.monotonic() < deadline, "the stacks never came to rest"
            time.sleep(0.1)

    def key_param(self, stack: str) -> str:
        params = self.stack(stack)["Parameters"]
        return str(next(p["ParameterValue"] for p in params if p["ParameterKey"] == "Key"))

    def state(self) -> dict[str, str]:
        """What a run may change: the keys keyroll holds as current, `Key`, stack updates."""
        store = self.served.keystore
        console, dev = self.served.console["host"], self.served.rack("dev")["host"]
        return {
            "account": (store.current(console) or _none()).fingerprint(),
            "dev": (store.current(dev) or _none()).fingerprint(),
            "dev Key": self.key_param("dev"),
            "dev updated": str(self.stack("dev").get("LastUpdatedTime", "")),
            "staging updated": str(self.stack("staging").get("LastUpdatedTime", "")),
        }

    def routes(self) -> list[int]:
        # a rolled-back Console roll leaves the Console with a key the rack refuses, which
        # another route must repair; in the rollback world every repair rolls back too
        return [i for i, r in enumerate(ROUTES) if self.scenario == "ok" or r[1] != "console"]

    def run(self, rng: random.Random, number: int, counts: Counts) -> None:
        kind, route, args, steps = ROUTES[rng.choice(self.routes())]
        timed = rng.random() < 0.4
        step = rng.choice(steps)
        delay = rng.uniform(0.5, 1.6)
        what = f"run {number} ({self.scenario}): {kind} via {route}, " + (
            f"SIGKILL after {delay:.2f} s" if timed else f"SIGKILL after step {step}"
        )
        self.wait_for_rest()
        before = self.state()
        code, out = self._roll(args, None if timed else step, delay if timed else None)
        problems: list[str] = []
        killed = code == -signal.SIGKILL
        if killed:
            resumed = self.served.keyroll("resume", "--yes", "--json")
            outcomes = [r["outcome"] for r in resumed.json["resumed"]]
            expected_code = max((EXIT_FOR[o] for o in outcomes), default=0)
            if resumed.code != expected_code:
                problems.append(f"resume exited {resumed.code} for outcomes {outcomes}")
            outcome = outcomes[-1] if outcomes else "never journaled"
        else:
            outcome = json.loads(out)["outcome"]
            if code != EXIT_FOR[outcome]:
                problems.append(f"the roll exited {code} for outcome {outcome}")
        self.wait_for_rest()
        lost, wrong = self.judge(kind, route, outcome, before)
        with counts.lock:
            counts.runs += 1
            counts.kills["SIGKILL at a step" if not timed else "SIGKILL at a moment"] += killed
            counts.outcomes[outcome] += 1
            counts.lost += [f"{what} -> {outcome}: {p}" for p in lost]
            counts.mismatched += [f"{what} -> {outcome}: {p}" for p in problems + wrong]

    def _roll(
        self, args: tuple[str, ...], step: str | None, delay: float | None
    ) -> tuple[int, str]:
        env = dict(self.served.env)
        if step is not None:
            env["KEYROLL_TEST_CRASH_AFTER"] = step
        process = subprocess.Popen(
            [sys.executable, "-m", "tui", "roll", *args, "--json"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if delay is not None:
            try:
                process.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=COMMAND_TIMEOUT_S)
        result = Result(("roll", *args), process.returncode, out, err)
        self.served.assert_no_key_in(result)
        assert "Traceback" not in err, str(result)
        return process.returncode, out

    def judge(
        self, kind: str, route: str, outcome: str, before: dict[str, str]
    ) -> tuple[list[str], list[str]]:
        """(keys lost, mismatches) after the run, asked of the world itself."""
        lost: list[str] = []
        wrong: list[str] = []
        served, store = self.served, self.served.keystore
        for name, host, url in (
            ("the Console", served.console["host"], served.console["url"]),
            ("rack dev", served.rack("dev")["host"], served.rack("dev")["url"]),
        ):
            current = store.current(host)
            if current is None or http_status(url, "/auth", current.reveal()) != 200:
                held = [e.key for e in store.entries(host)]
                if not any(http_status(url, "/auth", k.reveal()) == 200 for k in held):
                    lost.append(f"{name} accepts no key keyroll holds")
                else:
                    wrong.append(f"keyroll's current key for {name} is not the one it accepts")
            elif served.cli_key(host) != current.reveal():
                wrong.append(f"the Convox CLI's auth entry for {name} is not the key it accepts")
            if store.pending(host) is not None:
                wrong.append(f"a pending key for {name} was left behind")
        if self.scenario == "ok":
            console = served.console
            staging = http_status(
                console["url"],
                "/system",
                served.current_key(console["host"]),
                headers={"Rack": "acme/staging"},
            )
            if staging != 200:
                wrong.append(f"the Console no longer reaches acme/staging ({staging})")
        unfinished = [
            p.name
            for p in (served.home / "state" / "rolls").glob("*.json")
            if json.loads(p.read_text()).get("outcome") is None
        ]
        if unfinished:
            wrong.append(f"{len(unfinished)} roll(s) left unfinished after resume")
        after = self.state()
        rack = "staging" if route == "console" and kind == "rack-key" else "dev"
        changed = {
            "account-key": after["account"] != before["account"],
            "rack-key": after[f"{rack} updated"] != before[f"{rack} updated"]
            and self.stack(rack)["StackStatus"] == "UPDATE_COMPLETE",
            "instance-key": after["dev Key"] != before["dev Key"],
        }[kind]
        status = self.stack(rack)["StackStatus"] if kind != "account-key" else ""
        if outcome == "succeeded" and not changed:
            wrong.append("succeeded, but the world did not change")
        if outcome != "succeeded" and changed:
            wrong.append(f"{outcome}, but the world changed")
        if outcome == "rolled_back" and status != "UPDATE_ROLLBACK_COMPLETE":
            wrong.append(f"rolled back, but the stack is {status}")
        return lost, wrong


def _none() -> Any:
    from tui.base.secret import Secret

    return Secret("")


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[KillWorld]]:
    with (
        serve(tmp_path_factory.mktemp("ok"), "ok", SPEED) as ok,
        serve(tmp_path_factory.mktemp("rollback"), "rollback", SPEED) as rollback,
    ):
        yield [KillWorld(ok, "ok"), KillWorld(rollback, "rollback")]


def test_killed_rolls_are_finished_by_resume_and_lose_nothing(worlds: list[KillWorld]) -> None:
    counts = Counts()
    errors: list[BaseException] = []

    def lane(number: int, world: KillWorld) -> None:
        rng = random.Random(f"{SEED}/kill/{world.scenario}")
        try:
            for n in range(RUNS_PER_WORLD):
                world.run(rng, number * RUNS_PER_WORLD + n, counts)
        except BaseException as error:  # re-raised below, in the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=lane, args=(n, w)) for n, w in enumerate(worlds)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    kills = ", ".join(f"{k} {n}" for k, n in sorted(counts.kills.items()))
    outcomes = ", ".join(f"{k} {n}" for k, n in sorted(counts.outcomes.items()))
    record_figure(
        f"faults (seed {SEED}): {counts.runs} subprocess runs killed and resumed; {kills}; "
        f"outcomes: {outcomes}; keys lost: {len(counts.lost)}; "
        f"outcomes mismatched: {len(counts.mismatched)}"
    )
    assert counts.runs == RUNS_PER_WORLD * len(worlds)
    assert sum(counts.kills.values()) >= counts.runs // 2
    assert not counts.lost, "\n".join(counts.lost)
    assert not counts.mismatched, "\n".join(counts.mismatched)
