"""Racks stay listed when the Console does not answer; a legacy login to a rack is a rack; the
Convox CLI's current rack is keyroll's current rack until keyroll is told another.

Against the sandbox's real HTTPS Console and racks; the Console is taken down at run time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.commands.conftest import snapshot
from tests.core.convox_fake import closed_port
from tests.sandbox.conftest import make_sandbox
from tui.cli import main
from tui.core.convox_cli import CliConfig
from tui.core.inventory import (
    CONSOLE_SILENT,
    SOURCE_LAST_SEEN,
    VIA_CONSOLE,
    VIA_DIRECT,
    build_inventory,
    fetch_statuses,
    is_rack_host,
)
from tui.core.inventory_record import InventoryRecord, SeenRacks
from tui.core.keystore import Keystore
from tui.core.settings import Settings
from tui.sandbox.runtime import Sandbox

__all__ = ["make_sandbox"]
UNVERIFIED = Settings(verify_tls=False)  # the sandbox's certificates are self-signed


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Iterator[Sandbox]:
    sandbox = make_sandbox()
    yield sandbox
    sandbox.console_api.down = False


def _logged_in(tmp_path: Path, sandbox: Sandbox, current: str | None) -> CliConfig:
    """A Convox CLI dir as `convox login <console>` (and `convox switch current`) leave it."""
    console = sandbox.info()["console"]
    cli = CliConfig(tmp_path / "convox")
    cli.write_map("auth", {console["host"]: console["api_key"]})
    cli.write_plain("host", console["host"])
    if current:
        cli.write_map("racks", {console["host"]: current})
    return cli


def test_console_racks_stay_listed_while_the_console_does_not_answer(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    cli = _logged_in(tmp_path, sandbox, "acme/staging")
    keystore = Keystore(tmp_path / "keystore.json")
    record = InventoryRecord(tmp_path / "state" / "inventory.json")
    seen = build_inventory(UNVERIFIED, keystore, cli, record=record)
    console_racks = sorted(r.name for r in seen.racks if r.via == VIA_CONSOLE)
    assert console_racks == ["acme/production", "acme/staging"], seen.racks
    text = record.path.read_text()
    assert sandbox.info()["console"]["api_key"] not in text  # names and hosts, never a key
    assert all(r["api_key"] not in text for r in sandbox.info()["racks"])

    sandbox.console_api.down = True
    before = snapshot(tmp_path)
    down = build_inventory(UNVERIFIED, keystore, cli, record=record)
    assert snapshot(tmp_path) == before  # nothing new seen: the record is not rewritten
    by_name = {r.name: r for r in down.racks}
    assert sorted(n for n, r in by_name.items() if r.via == VIA_CONSOLE) == console_racks
    assert by_name["acme/staging"].sources == ("convox-cli", SOURCE_LAST_SEEN)
    assert by_name["acme/production"].sources == (SOURCE_LAST_SEEN,)
    assert any("rack list is missing" in p for p in down.problems)
    assert down.cli_current == "acme/staging"
    statuses = fetch_statuses(down)
    for name in console_racks:
        assert statuses[name].status == "unknown"
        assert statuses[name].shown == f"unknown: {CONSOLE_SILENT}"
        assert "503" in (statuses[name].error or "")


def test_without_a_record_the_clis_current_rack_still_stays(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    cli = _logged_in(tmp_path, sandbox, "acme/production")
    sandbox.console_api.down = True
    inventory = build_inventory(UNVERIFIED, Keystore(tmp_path / "keystore.json"), cli)
    assert [(r.name, r.sources) for r in inventory.racks] == [("acme/production", ("convox-cli",))]
    assert inventory.cli_current == "acme/production"


def test_a_read_only_record_is_never_written(tmp_path: Path, sandbox: Sandbox) -> None:
    cli = _logged_in(tmp_path, sandbox, None)
    record = InventoryRecord(tmp_path / "state" / "inventory.json", writable=False)
    build_inventory(UNVERIFIED, Keystore(tmp_path / "keystore.json"), cli, record=record)
    assert not record.path.exists()


def _legacy_home(tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`~/.convox` as the gen-1 CLI left a login straight to rack dev: host, auth, rack."""
    dev = next(r for r in sandbox.info()["racks"] if r["name"] == "dev")
    legacy = tmp_path / "home" / ".convox"
    cli = CliConfig(legacy)
    cli.write_plain("host", dev["host"])
    cli.write_map("auth", {dev["host"]: dev["api_key"]})
    cli.write_plain("rack", "dev")
    home = tmp_path / "keyroll"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("verify_tls = false\n")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KEYROLL_HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for name in ("CONVOX_CONFIG", "CONVOX_HOST", "CONVOX_PASSWORD", "RACK_URL", "CONVOX_RACK"):
        monkeypatch.delenv(name, raising=False)
    return Path(dev["host"])


def test_a_legacy_login_to_a_rack_lists_that_rack(
    tmp_path: Path,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    host = str(_legacy_home(tmp_path, sandbox, monkeypatch))
    assert main(["racks", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["via"], r["host"]) for r in data["racks"]] == [
        ("dev", VIA_DIRECT, host)
    ], data
    dev = data["racks"][0]
    assert (
        dev["status"] == "running" and dev["current"] is True and dev["sources"] == ["convox-cli"]
    )
    record = json.loads((tmp_path / "keyroll" / "state" / "inventory.json").read_text())
    assert record["rack_hosts"] == {host: "dev"}


def test_a_remembered_rack_login_stays_a_rack_while_it_does_not_answer(tmp_path: Path) -> None:
    closed = f"127.0.0.1:{closed_port()}"
    cli = CliConfig(tmp_path / "convox")
    cli.write_plain("host", closed)
    cli.write_map("auth", {closed: "DevRackKey0123456789abcdefghijklmnopqrst"})
    record = InventoryRecord(tmp_path / "inventory.json")
    record.save(SeenRacks(rack_hosts={closed: "dev"}), [])
    inventory = build_inventory(UNVERIFIED, Keystore(tmp_path / "ks.json"), cli, record=record)
    assert [(r.name, r.via, r.host) for r in inventory.racks] == [("dev", VIA_DIRECT, closed)]
    assert inventory.cli_current == "dev"
    assert fetch_statuses(inventory)["dev"].reason == ""  # a rack down, not a Console


@pytest.mark.parametrize(
    ("host", "rack"),
    [
        ("rack.myrack-1234.us-east-1.convox.site", True),
        ("myrack-1234567890.us-east-1.elb.amazonaws.com", True),
        ("MYRACK-1.eu-west-1.ELB.amazonaws.com:443", True),
        ("console.convox.com", False),
        ("console.example.com", False),
        ("127.0.0.1:5443", False),
    ],
)
def test_rack_host_shapes(host: str, rack: bool) -> None:
    assert is_rack_host(host) is rack
