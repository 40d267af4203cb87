"""Secrets: no key shows anywhere keyroll writes text, files are private, pinned TLS holds.

One test runs every roll kind and route against an in-process sandbox through the headless
commands (`--json`), then drives every dashboard screen and dialog, with every logger
(botocore and httpx included) captured at debug level; it searches all of that, every
journal file and the settings file for every key the world and the keystore know. The only
place a key may show is the reveal-once dialog, and the new account key must show there.
Then the modes of every file keyroll wrote (0600 files in 0700 dirs), and TLS pinning
(`verify_tls = "<pem>"`), through the clients and end to end through `keyroll` commands.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tests.conftest import record_figure
from tests.reliability.secrets_support import (
    KnownKeys,
    debug_logging,
    files_under,
    leaks,
    modes,
    workspace_opener,
)
from tests.tui.conftest import dashboard_args, until_statuses, wait_for
from tests.tui.roll_harness import screen_text
from tui import cli
from tui.app import KeyrollApp
from tui.base.secret import Secret
from tui.clients.errors import TlsError
from tui.clients.rack import RackClient
from tui.commands import history, racks, relink, resume, roll, switch
from tui.core.settings import load_settings, save_settings
from tui.sandbox.certificate import make_certificate
from tui.sandbox.runtime import Sandbox
from tui.sandbox.write_config import write_config
from tui.services.workspace import Workspace, sandbox_workspace

ROOT = Path(__file__).resolve().parents[2]
SPEED = 200.0  # sandbox clock: a minute of rack time in 0.3 s
SIZE = (120, 40)
OWN_KEY = "OwnKeyForTheSecretsSuite0123456789abcdefXYZ"
PASTED_KEY = "PastedAccountKeyFromTheWebConsole0123456789QR"
COMMAND_MODULES = (history, racks, relink, resume, roll, switch)


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real AWS, keyroll home or Convox CLI dir; returns the test's AWS dir."""
    aws = tmp_path / "aws"
    aws.mkdir()
    for name in ("credentials", "config"):
        (aws / name).write_text("")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(aws / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws / "config"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "CONVOX_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KEYROLL_HOME", str(tmp_path / "unused-home"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return aws


class Evidence:
    """Every text keyroll produced, by where it came from."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, where: str, text: str) -> None:
        self.texts.append((where, text))


class Headless:
    """Runs `keyroll ... --json` in-process on the test's workspace and keeps its output."""

    def __init__(
        self,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
        evidence: Evidence,
        gather: Callable[[], None],
    ) -> None:
        self.capsys, self.monkeypatch = capsys, monkeypatch
        self.evidence, self.gather = evidence, gather

    def __call__(self, *argv: str, stdin: str = "") -> dict[str, Any]:
        self.gather()
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = cli.main([*argv, "--json"])
        out, err = self.capsys.readouterr()
        self.evidence.add(f"keyroll {' '.join(argv)} --json", out + err)
        self.gather()
        assert code == 0, f"keyroll {' '.join(argv)} exited {code}: {out}{err}"
        data: dict[str, Any] = json.loads(out)
        return data


async def _drive_dashboard(
    workspace: Workspace, sandbox: Sandbox, evidence: Evidence, shots: Path, known: KnownKeys
) -> tuple[str, str]:
    """Every screen and dialog, captured as text and as an SVG; returns the reveal dialog's
    text and SVG (the one place a key may show)."""
    app = KeyrollApp(dashboard_args(speed=SPEED), opener=workspace_opener(workspace))
    reveal: tuple[str, str] = ("", "")

    async with app.run_test(size=SIZE) as pilot:

        async def capture(name: str) -> tuple[str, str]:
            await pilot.pause(0.1)
            text = screen_text(app)
            path = Path(app.save_screenshot(f"{name}.svg", str(shots)))
            svg = path.read_text()
            if name != "reveal-once":
                evidence.add(f"screen {name}", text)
                evidence.add(f"screenshot {name}.svg", svg)
            known.gather(sandbox, workspace.keystore)
            return text, svg

        async def on(screen: str, timeout: float = 20.0) -> None:
            await wait_for(pilot, lambda: type(app.screen).__name__ == screen, timeout, screen)

        await on("ResumeScreen")  # the roll left open by `roll ... --no-wait`
        await capture("resume")
        await pilot.press("escape")
        await on("RacksScreen")
        await until_statuses(pilot, app, timeout=40)
        await capture("racks")
        await pilot.press("question_mark")
        await on("HelpScreen")
        await capture("help")
        await pilot.press("escape")
        await on("RacksScreen")

        app.open_rack("acme/production")
        await on("RackScreen")
        await wait_for(pilot, lambda: app.screen.overview is not None, 20, "the overview")
        await capture("rack-production")
        await pilot.press("k")
        await on("InstanceKeyrollDialog")
        await capture("instance-keyroll-dialog")
        await pilot.press("escape")
        await on("RackScreen")
        await pilot.press("escape")
        await on("RacksScreen")

        app.open_rack("dev")
        await on("RackScreen")
        await wait_for(pilot, lambda: app.screen.overview is not None, 20, "the overview")
        await capture("rack-dev")
        await pilot.press("c")
        await on("KeyPairsDialog")
        await capture("key-pairs-dialog")
        await pilot.press("escape")
        await on("RackScreen")
        await pilot.press("r")
        await on("RackKeyRollDialog")
        await capture("rack-key-dialog")
        await pilot.click("#rack-key-start")
        await on("RollScreen")
        await capture("roll-running")
        run = app.session.rolls.all()[0]
        await wait_for(pilot, lambda: not run.running, 60, "the dashboard's roll")
        await capture("roll-finished")
        await pilot.press("escape")
        await on("RackScreen")
        await pilot.press("escape")
        await on("RacksScreen")

        await pilot.press("a")
        await on("AccountScreen")
        await wait_for(pilot, lambda: app.screen.overview is not None, 20, "the account")
        await capture("account")
        await pilot.press("p")
        await on("PasteKeyDialog")
        await capture("paste-key-dialog")
        await pilot.press("escape")
        await on("AccountScreen")
        await pilot.press("r")
        await on("ConfirmDialog")
        await capture("confirm-dialog")
        await pilot.press("enter")
        await on("KeyRevealDialog", 30)
        reveal = await capture("reveal-once")
        await pilot.press("escape")
        await on("AccountScreen")
        screen = app.screen
        new = sandbox.world.console.api_key
        await wait_for(pilot, lambda: screen.overview.fingerprint == new.fingerprint(), 20)
        await capture("account-after-roll")
        app.exit(0)
    return reveal


async def test_no_key_shows_anywhere_but_the_reveal_once_dialog(
    tmp_path: Path,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox = Sandbox(seed=11, speed=SPEED)
    known = KnownKeys()
    known.add("own key", OWN_KEY)
    known.add("pasted account key", PASTED_KEY)
    evidence = Evidence()
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with ExitStack() as stack:
        logs = stack.enter_context(debug_logging())
        workspace = stack.enter_context(sandbox_workspace(sandbox))
        workspace.settings = replace(
            workspace.settings, poll_active_s=0.05, poll_idle_s=1.0, probe_interval_s=0.05
        )
        for module in COMMAND_MODULES:
            monkeypatch.setattr(module, "open_workspace", workspace_opener(workspace))

        def gather() -> None:
            known.gather(sandbox, workspace.keystore)

        keyroll = Headless(capsys, monkeypatch, evidence, gather)

        # every roll kind and route, headless
        keyroll("racks")
        keyroll("roll", "account-key")
        with sandbox.world.locked():  # rolled in the web Console, then pasted into keyroll
            sandbox.world.console.api_key = Secret(PASTED_KEY)
        keyroll("roll", "account-key", "--value-from-stdin", stdin=PASTED_KEY + "\n")
        keyroll("roll", "rack-key", "acme/staging", "--via", "console", "--wait")
        keyroll("roll", "rack-key", "dev", "--via", "rack", "--wait")
        keyroll("roll", "rack-key", "dev", "--via", "cloudformation", "--wait")
        keyroll("roll", "rack-key", "dev", "--value-from-stdin", "--wait", stdin=OWN_KEY)
        assert sandbox.world.rack("dev").api_keys[0].reveal() == OWN_KEY
        keyroll("roll", "rack-key", "acme/staging", "--via", "cloudformation", "--wait")
        keyroll("relink", "acme/staging")
        keyroll("roll", "instance-key", "dev", "--via", "rack", "--force", "--wait")
        keyroll("roll", "instance-key", "dev", "--via", "cloudformation", "--force", "--wait")
        keyroll("roll", "instance-key", "acme/staging", "--force", "--wait")
        left_open = keyroll("roll", "rack-key", "dev", "--via", "rack", "--no-wait")

        reveal_text, reveal_svg = await _drive_dashboard(workspace, sandbox, evidence, shots, known)

        resumed = keyroll("resume", "--yes")
        keyroll("history")
        keyroll("switch", "dev")
        keyroll("racks")
        gather()

        journal = files_under(workspace.state_dir)
        for path in journal:
            evidence.add(f"file {path.relative_to(workspace.state_dir.parent)}", path.read_text())
        settings_file = workspace.state_dir.parent / "config" / "config.toml"
        evidence.add("settings file", settings_file.read_text())
        evidence.add("debug logs", logs.text)
        written_root = workspace.cli.path.parent
        wrong_modes = modes(written_root)
        written = len(files_under(written_root))
        records = [json.loads(p.read_text()) for p in journal if p.parent.name == "rolls"]

    needles = known.needles()
    found = {where: leaks(text, needles) for where, text in evidence.texts}
    found = {where: what for where, what in found.items() if what}
    assert found == {}, f"keys leaked: {found}"

    new_account = sandbox.world.console.api_key.reveal()
    assert new_account in reveal_text, "the reveal-once dialog does not show the new key"
    assert leaks(reveal_text, needles) == [known.values[new_account]]
    assert leaks(reveal_svg, needles) == [known.values[new_account]]
    assert wrong_modes == [], wrong_modes

    # the run covered what it claims: every kind and route, rolls left open and resumed
    assert {r["kind"] for r in records} == {"account-key", "rack-key", "instance-key"}
    assert {(r["kind"], r["route"]) for r in records} >= {
        ("account-key", "console"),
        ("rack-key", "console"),
        ("rack-key", "rack"),
        ("rack-key", "cloudformation"),
        ("instance-key", "rack"),
        ("instance-key", "cloudformation"),
    }
    assert left_open["outcome"] == "unfinished", left_open
    assert [r["roll_id"] for r in resumed["resumed"]] == [left_open["roll_id"]]
    assert resumed["resumed"][0]["outcome"] == "succeeded"
    assert len(logs.lines) > 100 and any(line.startswith("botocore") for line in logs.lines)
    assert any(line.startswith(("httpx", "httpcore")) for line in logs.lines)
    record_figure(
        f"secrets: {len(needles)} key forms ({len(known.values)} keys) searched in "
        f"{len(evidence.texts)} texts ({len(logs.lines)} debug log lines, "
        f"{sum(1 for w, _ in evidence.texts if w.startswith('screenshot'))} screenshots, "
        f"{len(journal)} state files): 0 leaks outside the reveal-once dialog; "
        f"{written} files written, all 0600 in 0700 dirs"
    )


# TLS pinning ----------------------------------------------------------------------------------


@pytest.fixture
def served(isolated: Path) -> Iterator[Sandbox]:
    with Sandbox(seed=3, speed=SPEED) as sandbox:
        yield sandbox


def test_a_pinned_client_refuses_another_certificate(served: Sandbox, tmp_path: Path) -> None:
    assert served.certificate is not None
    other = make_certificate(tmp_path)
    url = f"https://{served.rack_host('dev')}"
    key = served.world.rack("dev").api_keys[0]
    with RackClient(url, [key], verify=str(served.certificate.cert_path)) as pinned:
        assert pinned.system().name == "dev"  # its own certificate: accepted
    with RackClient(url, [key], verify=str(other.cert_path)) as wrong:
        with pytest.raises(TlsError) as caught:
            wrong.system(retries=0)
    message = str(caught.value)
    host = served.rack_host("dev")
    assert message.startswith(f"The certificate of the rack at {host} is not the one pinned")
    assert "self-signed certificate" in message and message.endswith(".")
    assert key.reveal() not in message
    with pytest.raises(TlsError, match="cannot be read"):
        RackClient(url, [key], verify=str(tmp_path / "missing.pem"))


def _keyroll(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_verify_tls_pins_a_certificate_end_to_end(
    served: Sandbox, tmp_path: Path, isolated: Path
) -> None:
    assert served.certificate is not None
    home, cli_dir = write_config(served.info(), tmp_path / "world")
    config = home / "config" / "config.toml"
    other = make_certificate(tmp_path)
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(tmp_path / "home"),
        "KEYROLL_HOME": str(home),
        "CONVOX_CONFIG": str(cli_dir),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": str(isolated / "credentials"),
        "AWS_CONFIG_FILE": str(isolated / "config"),
    }
    dev_key = served.world.rack("dev").api_keys[0]

    def pin_dev(pem: Path) -> None:  # the rack's own entry: it overrides the top-level value
        settings = load_settings(config)
        racks = tuple(
            replace(r, verify_tls=str(pem)) if r.name == "dev" else r for r in settings.racks
        )
        save_settings(replace(settings, racks=racks), config)

    # pinned to another certificate: the rack is refused, the roll stops before any change
    pin_dev(other.cert_path)
    listed = _keyroll(env, "racks", "--json")
    assert listed.returncode == 0, listed.stderr
    statuses = {r["name"]: r for r in json.loads(listed.stdout)["racks"]}
    assert statuses["dev"]["status"] == "unknown"
    assert "is not the one pinned" in statuses["dev"]["error"]
    rolled = _keyroll(env, "roll", "rack-key", "dev", "--via", "rack", "--wait", "--json")
    assert rolled.returncode != 0 and "Traceback" not in rolled.stderr
    assert "is not the one pinned" in rolled.stdout + rolled.stderr
    assert served.world.rack("dev").api_keys == [dev_key]  # the rack was never asked

    # pinned to the rack's own certificate: the same commands work
    text = config.read_text()
    assert tomli_w.dumps({"verify_tls": str(other.cert_path)}).strip() in text
    pin_dev(served.certificate.cert_path)
    listed = _keyroll(env, "racks", "--json")
    statuses = {r["name"]: r for r in json.loads(listed.stdout)["racks"]}
    assert statuses["dev"]["status"] == "running", statuses["dev"]
    rolled = _keyroll(env, "roll", "rack-key", "dev", "--via", "rack", "--wait", "--json")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert json.loads(rolled.stdout)["outcome"] == "succeeded"
    assert served.world.rack("dev").api_keys[0] != dev_key
