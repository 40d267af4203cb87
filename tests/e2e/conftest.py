"""End-to-end harness: `keyroll sandbox serve` in one process, `keyroll ...` commands in others.

Every command runs as a subprocess with `KEYROLL_HOME` and `CONVOX_CONFIG` pointing at the
files `serve --write-config` wrote, a temporary `HOME`, fast poll and probe intervals, and
no way for botocore to reach the instance-metadata address. Every output of every command
is checked for every key the world, the keystore or the test knows.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from tui.core.convox_cli import CliConfig
from tui.core.keystore import Keystore
from tui.core.settings import load_settings, save_settings
from tui.sandbox.runtime import Sandbox
from tui.sandbox.write_config import write_config

ROOT = Path(__file__).resolve().parents[2]
POLL_S, PROBE_S = 0.2, 0.1
COMMAND_TIMEOUT_S = 60.0


@dataclass
class Result:
    """One finished `keyroll` command."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    def __str__(self) -> str:  # shown by pytest when an assertion on it fails
        return f"keyroll {' '.join(self.args)} -> {self.code}\n{self.stdout}\n{self.stderr}"


@dataclass
class Served:
    """A running `keyroll sandbox serve` and the keyroll home and CLI dir it wrote."""

    info: dict[str, Any]
    directory: Path
    env: dict[str, str]
    process: subprocess.Popen[str] | None  # None: the sandbox runs in the test's process
    extra_keys: set[str] = field(default_factory=set)
    results: list[Result] = field(default_factory=list)

    # where things are -----------------------------------------------------------------------

    @property
    def home(self) -> Path:
        return self.directory / "keyroll"

    @property
    def cli(self) -> CliConfig:
        return CliConfig(self.directory / "convox")

    @property
    def keystore(self) -> Keystore:
        return Keystore(self.home / "data" / "keystore.json")

    @property
    def console(self) -> dict[str, Any]:
        return dict(self.info["console"])

    def rack(self, name: str) -> dict[str, Any]:
        return dict(next(r for r in self.info["racks"] if r["name"] == name))

    # running keyroll ------------------------------------------------------------------------

    def keyroll(self, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> Result:
        """Run `keyroll ARGS` to its end and check that no key shows in its output."""
        completed = subprocess.run(
            [sys.executable, "-m", "tui", *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
        )
        result = Result(tuple(args), completed.returncode, completed.stdout, completed.stderr)
        self.results.append(result)
        self.assert_no_key_in(result)
        assert "Traceback" not in result.stderr, str(result)
        return result

    def known_keys(self) -> set[str]:
        """Every key of this world: from serve's JSON, the keystore, and the test itself."""
        keys = {self.console["api_key"], *(r["api_key"] for r in self.info["racks"])}
        aws = self.info.get("aws") or {}
        keys |= {v for k, v in aws.items() if "secret" in k and isinstance(v, str)}
        store = self.keystore
        for host in store.hosts():
            keys |= {entry.key.reveal() for entry in store.entries(host)}
        for rack in store._data["private_keys"]:
            for name in store.private_key_names(rack):
                private = store.private_key(rack, name)
                if private is not None:
                    keys.add(private.reveal())
        return keys | self.extra_keys

    def assert_no_key_in(self, result: Result) -> None:
        for key in self.known_keys():
            assert key not in result.stdout, f"a key leaked to stdout of {result.args}"
            assert key not in result.stderr, f"a key leaked to stderr of {result.args}"

    # the world, seen directly (never through keyroll's own clients) -------------------------

    def cli_key(self, host: str) -> str:
        return self.cli.auth()[host].reveal()

    def current_key(self, host: str) -> str:
        key = self.keystore.current(host)
        assert key is not None, f"the keystore holds no current key for {host}"
        return key.reveal()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                assert self.process.wait(timeout=10) == 0
            finally:
                if self.process.poll() is None:
                    self.process.kill()
                    self.process.wait()


def http_status(
    url: str, path: str, key: str, *, headers: dict[str, str] | None = None, tries: int = 8
) -> int:
    """The status of `GET url+path` with Basic `convox:<key>`; 5xx and stalls are retried."""
    status = 0
    for _ in range(tries):
        try:
            with httpx.Client(verify=False, timeout=1.5) as client:
                status = client.get(url + path, auth=("convox", key), headers=headers).status_code
        except httpx.TimeoutException:
            status = 504
        if status < 500:
            return status
        time.sleep(0.1)
    return status


def base_env(tmp: Path) -> dict[str, str]:
    """A clean environment: no real AWS, Convox or keyroll setting leaks in."""
    aws = tmp / "aws"
    aws.mkdir(parents=True, exist_ok=True)
    (aws / "credentials").write_text("")
    (aws / "config").write_text("")
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials"),
        "AWS_CONFIG_FILE": str(aws / "config"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _written_env(env: dict[str, str], directory: Path) -> dict[str, str]:
    """After the sandbox wrote its files into `directory`: the tests' fast polls in keyroll's
    settings, and `env` pointing keyroll and the Convox CLI at those files."""
    config = directory / "keyroll" / "config" / "config.toml"
    settings = replace(load_settings(config), poll_active_s=POLL_S, probe_interval_s=PROBE_S)
    save_settings(settings, config)
    return {
        **env,
        "KEYROLL_HOME": str(directory / "keyroll"),
        "CONVOX_CONFIG": str(directory / "convox"),
    }


@contextmanager
def serve(tmp: Path, scenario: str, speed: float) -> Iterator[Served]:
    """`keyroll sandbox serve --write-config` in another process, until the block ends."""
    env = base_env(tmp)
    directory = tmp / "world"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui",
            "sandbox",
            "serve",
            "--write-config",
            str(directory),
            "--speed",
            str(speed),
            "--scenario",
            scenario,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, "sandbox serve printed nothing" + (
            process.stderr.read() if process.stderr else ""
        )
        info = json.loads(line)
        served = Served(info, directory, _written_env(env, directory), process)
        yield served
        served.stop()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@contextmanager
def serve_stepped(tmp: Path, scenario: str) -> Iterator[tuple[Served, Sandbox]]:
    """The same world and files as `serve`, but in this process on a stepped clock: the
    world stands still until the test advances it, whatever the commands it runs do."""
    env = base_env(tmp)
    directory = tmp / "world"
    with Sandbox(scenario=scenario, stepped=True) as sandbox:
        info = sandbox.info()
        write_config(info, directory)
        yield Served(info, directory, _written_env(env, directory), None), sandbox


def scenario_fixture(scenario: str, speed: float) -> Any:
    """A module-scoped fixture serving one sandbox `scenario` for every test of the module."""

    @pytest.fixture(scope="module")
    def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
        with serve(tmp_path_factory.mktemp(scenario), scenario, speed) as running:
            yield running

    return served
