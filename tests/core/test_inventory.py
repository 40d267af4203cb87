"""The rack inventory against a real HTTPS Console and rack: merge, sources, live status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.core.convox_fake import (
    ACCOUNT_KEY,
    DEV_KEY,
    MEET_S,
    STATUS_REQUESTS,
    ConvoxFake,
    convox_fake,
)
from tui.base.secret import Secret
from tui.cli import main
from tui.core.convox_cli import CliConfig, resolve
from tui.core.current_rack import current_rack
from tui.core.inventory import VIA_CONSOLE, VIA_DIRECT, build_inventory, fetch_statuses
from tui.core.keystore import Keystore
from tui.core.settings import ConsoleSettings, RackSettings, Settings

__all__ = ["convox_fake"]


def world(tmp_path: Path, fake: ConvoxFake) -> tuple[Settings, Keystore, CliConfig]:
    """keyroll settings naming three racks, a CLI dir naming two, and a keystore with one key."""
    settings = Settings(
        console=ConsoleSettings(
            host=fake.console_host,
            url=f"https://{fake.console_host}",
            verify_tls=fake.certificate,
        ),
        racks=(
            RackSettings(name="production", console="acme", production=True),
            RackSettings(name="dev", host=fake.rack_host, read_only=True),
            RackSettings(name="dead", host=fake.closed_host, aws_profile="lab"),
        ),
    )
    keystore = Keystore(tmp_path / "keyroll" / "data" / "keystore.json")
    keystore.set_current(fake.rack_host, Secret(DEV_KEY))
    keystore.set_current(fake.closed_host, Secret("DeadRackKey0123456789"))
    cli = CliConfig(tmp_path / "convox")
    cli.write_map("auth", {fake.console_host: ACCOUNT_KEY, fake.rack_host: DEV_KEY})
    cli.write_plain("host", fake.console_host)
    cli.write_map("self-managed", {"dev": fake.rack_host})
    return settings, keystore, cli


def test_merged_inventory_with_sources_and_concurrent_status(
    tmp_path: Path, convox_fake: ConvoxFake
) -> None:
    settings, keystore, cli = world(tmp_path, convox_fake)
    inventory = build_inventory(settings, keystore, cli)
    assert inventory.problems == []
    by_name = {r.name: r for r in inventory.racks}
    assert sorted(by_name) == ["acme/production", "acme/staging", "dead", "dev"]
    assert by_name["acme/production"].sources == ("console", "keyroll")
    assert by_name["acme/production"].via == VIA_CONSOLE and by_name["acme/production"].production
    assert by_name["acme/staging"].sources == ("console",)
    assert by_name["dev"].sources == ("convox-cli", "keyroll") and by_name["dev"].read_only
    assert by_name["dev"].via == VIA_DIRECT and by_name["dev"].host == convox_fake.rack_host
    assert by_name["dead"].aws.profile == "lab" and by_name["dead"].stack == "dead"
    assert ACCOUNT_KEY not in repr(inventory) and DEV_KEY not in repr(inventory)

    STATUS_REQUESTS.most, STATUS_REQUESTS.meet = 0, 3  # the three racks that answer
    try:
        statuses = fetch_statuses(inventory, timeout=2 * MEET_S)
    finally:
        STATUS_REQUESTS.meet = 0
    assert statuses["acme/production"].status == "running"
    assert statuses["acme/staging"].status == "updating"
    assert statuses["dev"].status == "running" and statuses["dev"].version == "20240415123456"
    assert statuses["dead"].status == "unknown"
    assert "refused the connection" in (statuses["dead"].error or "")
    # Each answers once all three are asked: asked one after another, they would come one at
    # a time (each after MEET_S), not three at once.
    assert STATUS_REQUESTS.most == 3


def test_an_auth_only_host_is_listed_and_named_by_keyroll_when_it_knows_it(
    tmp_path: Path, convox_fake: ConvoxFake
) -> None:
    settings, keystore, cli = world(tmp_path, convox_fake)
    (cli.path / "self-managed").unlink()
    inventory = build_inventory(Settings(console=settings.console), keystore, cli)
    assert convox_fake.rack_host in [r.name for r in inventory.racks]
    named = build_inventory(settings, keystore, cli)
    assert "dev" in [r.name for r in named.racks]
    assert convox_fake.rack_host not in [r.name for r in named.racks]


def test_a_malformed_cli_file_is_a_problem_not_a_crash(
    tmp_path: Path, convox_fake: ConvoxFake
) -> None:
    settings, keystore, cli = world(tmp_path, convox_fake)
    (cli.path / "self-managed").write_text("{oops")
    inventory = build_inventory(settings, keystore, cli)
    assert len(inventory.problems) == 1 and "self-managed" in inventory.problems[0]
    assert "line 1" in inventory.problems[0]
    assert "dev" in [r.name for r in inventory.racks]


def test_wrong_console_key_leaves_console_racks_unknown(
    tmp_path: Path, convox_fake: ConvoxFake
) -> None:
    settings, keystore, cli = world(tmp_path, convox_fake)
    cli.write_auth(convox_fake.console_host, Secret("WrongKey"))
    inventory = build_inventory(settings, keystore, cli)
    assert any("rack list is missing" in p for p in inventory.problems)
    statuses = fetch_statuses(inventory)
    assert statuses["acme/production"].status == "unknown"
    assert statuses["acme/production"].error


@pytest.fixture
def homes(tmp_path: Path, convox_fake: ConvoxFake, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings, _keystore, cli = world(tmp_path, convox_fake)
    (tmp_path / "keyroll" / "config").mkdir(parents=True)
    (tmp_path / "keyroll" / "config" / "config.toml").write_text(settings.to_toml())
    monkeypatch.setenv("KEYROLL_HOME", str(tmp_path / "keyroll"))
    monkeypatch.setenv("CONVOX_CONFIG", str(cli.path))
    for name in ("CONVOX_HOST", "CONVOX_PASSWORD", "RACK_URL", "CONVOX_RACK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_racks_command_json(homes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["racks", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    racks = {r["name"]: r for r in data["racks"]}
    assert racks["dev"]["status"] == "running" and racks["dev"]["sources"] == [
        "convox-cli",
        "keyroll",
    ]
    assert racks["dead"]["status"] == "unknown" and "refused" in racks["dead"]["error"]
    assert racks["acme/production"]["production"] is True
    assert ACCOUNT_KEY not in json.dumps(data) and DEV_KEY not in json.dumps(data)


def test_racks_command_table(homes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["racks"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["NAME", "STATUS", "VIA", "SOURCES", "HOST"]
    assert "acme/production [production]  running" in out
    assert "dead: " in out and "refused the connection" in out


def test_switch_command_for_keyroll_and_the_cli(
    homes: Path, capsys: pytest.CaptureFixture[str], convox_fake: ConvoxFake
) -> None:
    cli = CliConfig(homes / "convox")
    assert main(["switch", "prod"]) == 0
    assert capsys.readouterr().out.startswith("Switched to acme/production")
    assert current_rack(homes / "keyroll" / "state") == "acme/production"
    assert resolve(cli).rack == "acme/production"
    assert main(["switch", "dev", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["convox_cli"]["written"] == ["host", "racks"]
    current = resolve(cli)
    assert (current.host, current.rack) == (convox_fake.rack_host, "dev")
    assert current.password == Secret(DEV_KEY)
    assert main(["racks", "--json"]) == 0
    racks = {r["name"]: r for r in json.loads(capsys.readouterr().out)["racks"]}
    assert racks["dev"]["current"] is True


def test_switch_errors_are_one_sentence(homes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["switch", "acme"]) == 2
    err = capsys.readouterr().err
    assert "Ambiguous rack name 'acme' matches acme/production, acme/staging" in err
    assert "Traceback" not in err
    assert main(["switch", "nowhere"]) == 2
    assert "Could not find rack 'nowhere'" in capsys.readouterr().err


def test_switch_leaves_the_cli_alone_when_turned_off(
    homes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = homes / "keyroll" / "config" / "config.toml"
    text = config.read_text()
    assert "write_convox_cli = true" in text
    config.write_text(text.replace("write_convox_cli = true", "write_convox_cli = false"))
    before = {p.name: p.read_bytes() for p in (homes / "convox").iterdir()}
    assert main(["switch", "staging"]) == 0
    assert {p.name: p.read_bytes() for p in (homes / "convox").iterdir()} == before
    assert current_rack(homes / "keyroll" / "state") == "acme/staging"
