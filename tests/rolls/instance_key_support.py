"""Shared set-up for the instance keyroll tests: a seeded sandbox workspace, no real AWS."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from tui.core.convox_cli import CONFIG_ENV, CliConfig
from tui.core.keystore import Keystore
from tui.core.roll_targets import target_for
from tui.core.rolls.events import RollEvent
from tui.core.rolls.target import RollOptions, RollTarget
from tui.core.settings import load_settings
from tui.sandbox.aws_server import AwsEndpoint
from tui.sandbox.runtime import Sandbox
from tui.sandbox.write_config import write_config
from tui.services.workspace import Workspace

SPEED = 60.0  # a three-instance keyroll (about 60 simulated seconds) takes about 1 s
FAST = RollOptions(poll_s=0.1, probe_s=0.1, poll_jitter=0.0, verify_s=5.0)
# In a stepped world each step waits for two fleet polls: a shorter interval, a shorter test.
STEPPED = RollOptions(poll_s=0.05, probe_s=0.1, poll_jitter=0.0, verify_s=5.0)


@contextmanager
def sandbox_workspace(
    directory: Path,
    *,
    scenario: str = "ok",
    speed: float = SPEED,
    seed: int = 7,
    aws: bool = False,
    stepped: bool = False,
) -> Iterator[Workspace]:
    """A started sandbox and a workspace (keyroll home, CLI dir) for it under `directory`.

    With `aws`, keyroll's settings point at the sandbox's AWS endpoint (started here if the
    runtime does not start it); without, they have no AWS and watches use the rack's status.
    With `stepped`, the world's clock stands still until the test advances it
    (`tests/stepping.py`); `speed` is then unused.
    """
    with (
        Sandbox(scenario=scenario, speed=speed, seed=seed, stepped=stepped) as sandbox,
        ExitStack() as stack,
    ):
        if aws and not sandbox.aws:
            sandbox.aws = stack.enter_context(AwsEndpoint(sandbox.world)).info()
        elif not aws:
            sandbox.aws = None
        home, cli_dir = write_config(sandbox.info(), directory)
        yield Workspace(
            settings=load_settings(home / "config" / "config.toml"),
            keystore=Keystore(home / "data" / "keystore.json"),
            state_dir=home / "state",
            cli=CliConfig(cli_dir),
            env={CONFIG_ENV: str(cli_dir)},
            sandbox=sandbox,
        )


def fleet_polls(stack: str) -> str:
    """The request counter of an instance roll's fleet watch: only its thread lists the
    rack's instances while the roll watches, one request after another."""
    return f"{stack} GET /instances"


def target(workspace: Workspace, name: str) -> RollTarget:
    return target_for(workspace, name)


def aws_wired(workspace: Workspace) -> bool:
    """Whether keyroll's settings reach the sandbox's AWS endpoint (watches read events)."""
    return bool(workspace.settings.aws.endpoint_url)


@pytest.fixture(params=[False, True], ids=["rack-status", "cloudformation-events"])
def with_aws(request: pytest.FixtureRequest) -> bool:
    """Run a test once without AWS access and once with the sandbox's AWS endpoint."""
    return bool(request.param)


def scale_services(sandbox: Sandbox, stack: str, count: int) -> None:
    """Give every service of a sandbox rack `count` running processes, spread over instances."""
    world = sandbox.world
    with world.locked():
        rack = world.rack(stack)
        hosts = [i.instance_id for i in rack.live_instances()]
        for app in rack.apps:
            for service in app.services:
                service.count = count
                mine = [
                    p for p in rack.processes if p.app == app.name and p.service == service.name
                ]
                for n in range(len(mine), count):
                    rack.processes.append(
                        dataclasses.replace(
                            mine[0], task_id=world.ids.task_id(), instance_id=hosts[n % len(hosts)]
                        )
                    )


class Recorder:
    """Collects a roll's events; `of(kind)` lists those of one type."""

    def __init__(self) -> None:
        self.events: list[RollEvent] = []

    def __call__(self, event: RollEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]
