"""`write_config`: a keyroll home and a Convox CLI dir that keyroll and the CLI rules read back."""

from __future__ import annotations

import configparser
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.core.convox_fake import ACCOUNT_KEY, DEV_KEY, ConvoxFake, convox_fake
from tui.base.secret import Secret
from tui.cli import main
from tui.core.convox_cli import CliConfig, resolve
from tui.core.keystore import Keystore
from tui.core.settings import load_settings
from tui.core.tls import ROLE_CONSOLE, ROLE_RACK, verify_for
from tui.sandbox.write_config import write_config

__all__ = ["convox_fake"]
AWS_SECRET = "sandboxSecretAccessKey0123456789"


def sandbox_info(fake: ConvoxFake, aws: bool = True) -> dict[str, Any]:
    """An `info()` dict shaped as the sandbox's, pointing at the fake Console and rack."""
    console_url = f"https://{fake.console_host}"
    return {
        "console": {
            "url": console_url,
            "host": fake.console_host,
            "account": "ops@example.com",
            "api_key": ACCOUNT_KEY,
            "certificate": fake.certificate,
        },
        "racks": [
            {
                "name": "acme/production",
                "organization": "acme",
                "stack": "production",
                "url": console_url,
                "host": fake.console_host,
                "api_key": "ProductionKey0123456789",
                "via_console": True,
                "certificate": fake.certificate,
            },
            {
                "name": "acme/staging",
                "organization": "acme",
                "stack": "staging",
                "url": console_url,
                "host": fake.console_host,
                "api_key": "StagingKey0123456789",
                "via_console": True,
                "certificate": fake.certificate,
            },
            {
                "name": "dev",
                "organization": "",
                "stack": "dev",
                "url": f"https://{fake.rack_host}",
                "host": fake.rack_host,
                "api_key": DEV_KEY,
                "via_console": False,
                "certificate": fake.certificate,
            },
        ],
        "scenario": "ok",
        "speed": 10.0,
        "aws": {
            "endpoint_url": "https://127.0.0.1:1",
            "region": "us-east-1",
            "access_key_id": "AKIASANDBOX",
            "secret_access_key": AWS_SECRET,
        }
        if aws
        else None,
    }


def test_keyroll_home_and_cli_dir(tmp_path: Path, convox_fake: ConvoxFake) -> None:
    home, cli_dir = write_config(sandbox_info(convox_fake), tmp_path)
    assert (home, cli_dir) == (tmp_path / "keyroll", tmp_path / "convox")

    config_text = (home / "config" / "config.toml").read_text()
    assert AWS_SECRET not in config_text and ACCOUNT_KEY not in config_text
    settings = load_settings(home / "config" / "config.toml")
    assert settings.console.host == convox_fake.console_host
    assert settings.console.base_url == f"https://{convox_fake.console_host}"
    dev = settings.rack("dev")
    production = settings.rack("acme/production")
    assert dev is not None and dev.host == convox_fake.rack_host and not dev.production
    assert production is not None and production.console == "acme" and production.production
    assert settings.rack("acme/staging") is not None
    assert settings.aws.endpoint_url == "https://127.0.0.1:1"
    assert settings.aws.region == "us-east-1"

    credentials = Path(settings.aws.credentials_file or "")
    assert credentials.parent == home and stat.S_IMODE(credentials.stat().st_mode) == 0o600
    parser = configparser.ConfigParser()
    parser.read(credentials)
    assert parser["default"]["aws_secret_access_key"] == AWS_SECRET

    keystore = Keystore(home / "data" / "keystore.json")
    assert keystore.current(convox_fake.console_host) == Secret(ACCOUNT_KEY)
    assert keystore.current(convox_fake.rack_host) == Secret(DEV_KEY)
    assert stat.S_IMODE(keystore.path.stat().st_mode) == 0o600

    cli = CliConfig(cli_dir)
    assert cli.auth() == {
        convox_fake.console_host: Secret(ACCOUNT_KEY),
        convox_fake.rack_host: Secret(DEV_KEY),
    }
    assert cli.racks() == {convox_fake.console_host: "acme/production"}
    assert cli.self_managed() == {"dev": convox_fake.rack_host}
    assert cli.account_id() == "ops@example.com"
    current = resolve(cli, env={}, cwd=tmp_path)
    assert (current.host, current.rack) == (convox_fake.console_host, "acme/production")
    assert current.password == Secret(ACCOUNT_KEY)
    for path in cli_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads((cli_dir / "auth").read_text())  # plain JSON the CLI can read
    assert stat.S_IMODE(cli_dir.stat().st_mode) == 0o700


def test_each_server_is_pinned_to_its_own_certificate(
    tmp_path: Path, convox_fake: ConvoxFake
) -> None:
    home, _ = write_config(sandbox_info(convox_fake), tmp_path)
    settings = load_settings(home / "config" / "config.toml")
    pins = {
        "console": settings.console.verify_tls,
        **{rack.full_name: rack.verify_tls for rack in settings.racks},
    }
    files = {
        "console": "console.pem",
        "acme/production": "acme-production.pem",
        "acme/staging": "acme-staging.pem",
        "dev": "dev.pem",
    }
    assert pins == {name: str(home / "certificates" / file) for name, file in files.items()}
    for file in files.values():
        pem = home / "certificates" / file
        assert pem.read_text() == convox_fake.certificate
        assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert settings.verify_tls is None  # the top-level value stays the user's
    assert verify_for(settings, convox_fake.console_host, ROLE_CONSOLE) == pins["console"]
    assert verify_for(settings, convox_fake.rack_host, ROLE_RACK) == pins["dev"]


def test_without_a_certificate_nothing_is_pinned(tmp_path: Path, convox_fake: ConvoxFake) -> None:
    info = sandbox_info(convox_fake)
    for server in (info["console"], *info["racks"]):
        del server["certificate"]
    home, _ = write_config(info, tmp_path)
    settings = load_settings(home / "config" / "config.toml")
    assert settings.console.verify_tls is None
    assert {rack.verify_tls for rack in settings.racks} == {None}
    assert not (home / "certificates").exists()


def test_without_aws_there_is_no_credentials_file(tmp_path: Path, convox_fake: ConvoxFake) -> None:
    home, _ = write_config(sandbox_info(convox_fake, aws=False), tmp_path)
    settings = load_settings(home / "config" / "config.toml")
    assert settings.aws.credentials_file is None and settings.aws.endpoint_url is None
    assert not (home / "aws-credentials").exists()


def test_racks_command_reads_what_write_config_wrote(
    tmp_path: Path,
    convox_fake: ConvoxFake,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home, cli_dir = write_config(sandbox_info(convox_fake), tmp_path)
    monkeypatch.setenv("KEYROLL_HOME", str(home))
    monkeypatch.setenv("CONVOX_CONFIG", str(cli_dir))
    for name in ("CONVOX_HOST", "CONVOX_PASSWORD", "RACK_URL", "CONVOX_RACK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["racks", "--json"]) == 0
    racks = {r["name"]: r for r in json.loads(capsys.readouterr().out)["racks"]}
    assert sorted(racks) == ["acme/production", "acme/staging", "dev"]
    assert racks["acme/production"]["sources"] == ["console", "keyroll"]
    assert racks["dev"]["sources"] == ["convox-cli", "keyroll"]
    assert {r["status"] for r in racks.values()} == {"running", "updating"}


def test_plain_console_rack_names_are_accepted(tmp_path: Path, convox_fake: ConvoxFake) -> None:
    info = sandbox_info(convox_fake)
    info["racks"][0]["name"] = "production"
    home, _ = write_config(info, tmp_path)
    production = load_settings(home / "config" / "config.toml").rack("acme/production")
    assert production is not None and production.production


@pytest.mark.parametrize("scenario", ["ok", "console-down"])
def test_racks_and_switch_against_the_in_process_sandbox(
    scenario: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("KEYROLL_HOME", "CONVOX_HOST", "CONVOX_PASSWORD", "RACK_URL", "CONVOX_RACK"):
        monkeypatch.delenv(name, raising=False)
    real_cli = tmp_path / "real-convox"
    monkeypatch.setenv("CONVOX_CONFIG", str(real_cli))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert main(["racks", "--sandbox", "--scenario", scenario, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    racks = {r["name"]: r for r in data["racks"]}
    assert racks["dev"]["status"] == "running"
    assert racks["dev"]["sources"] == ["convox-cli", "keyroll"]
    production = racks["acme/production"]
    assert production["production"] is True
    # `racks` names acme/production on the Console's host, as `convox switch` writes it
    assert production["current"] is True
    assert [r["name"] for r in data["racks"] if r["current"]] == ["acme/production"]
    if scenario == "ok":
        assert production["sources"] == ["console", "keyroll"]
        assert production["status"] == "running" and data["problems"] == []
    else:
        assert production["sources"] == ["convox-cli", "keyroll"]
        assert production["status"] == "unknown" and "503" in production["error"]
        assert production["status_reason"] == "the Console does not answer"
        assert len(data["problems"]) == 1
    assert main(["switch", "--sandbox", "dev"]) == 0
    assert capsys.readouterr().out.startswith("Switched to dev")
    assert not real_cli.exists() and not (tmp_path / "home").exists()
