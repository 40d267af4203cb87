"""Write a keyroll home and a Convox CLI config dir that point at a running sandbox.

`directory/keyroll` is a keyroll home (set `KEYROLL_HOME` to it): settings with the Console,
the direct rack and the Console racks, each pinned to its server's self-signed certificate
(PEM files under `certificates/`), an AWS shared-credentials file beside them, and a
keystore with the account key and the direct rack's key. `directory/convox` is a v2 Convox
CLI config dir (set `CONVOX_CONFIG` to it), as `convox login` and `convox rack install`
would have left it.
"""

from __future__ import annotations

import configparser
import io
from pathlib import Path
from typing import Any

from tui.base.secret import Secret
from tui.core.convox_cli import CliConfig
from tui.core.files import write_private
from tui.core.keystore import Keystore
from tui.core.settings import AwsSettings, ConsoleSettings, RackSettings, Settings

PRODUCTION_NAMES = frozenset({"production"})


def _first(data: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _aws(info: dict[str, Any], home: Path) -> AwsSettings:
    """The `[aws]` table; the access key goes to a 0600 credentials file, never config.toml."""
    aws = info.get("aws")
    if not isinstance(aws, dict):
        return AwsSettings()
    access = _first(aws, "access_key_id", "aws_access_key_id")
    secret = _first(aws, "secret_access_key", "aws_secret_access_key")
    credentials_file: str | None = None
    if access and secret:
        parser = configparser.ConfigParser()
        parser["default"] = {"aws_access_key_id": access, "aws_secret_access_key": secret}
        text = io.StringIO()
        parser.write(text)
        path = home / "aws-credentials"
        write_private(path, text.getvalue(), tighten_dir=True)
        credentials_file = str(path)
    return AwsSettings(
        region=_first(aws, "region", "region_name"),
        endpoint_url=_first(aws, "endpoint_url", "url", "endpoint"),
        credentials_file=credentials_file,
    )


def _pin(info: dict[str, Any], home: Path, name: str) -> str | None:
    """Write the server's self-signed PEM under `home/certificates` and return its path (the
    `verify_tls` that trusts it alone); None when `info` carries no certificate."""
    pem = info.get("certificate")
    if not isinstance(pem, str) or not pem:
        return None
    path = home / "certificates" / f"{name.replace('/', '-')}.pem"
    write_private(path, pem, tighten_dir=True)
    return str(path)


def write_config(info: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    """Write `directory/keyroll` and `directory/convox` for the sandbox `info` describes.

    Returns (keyroll home, Convox CLI config dir).
    """
    home = directory / "keyroll"
    cli_dir = directory / "convox"
    console = info["console"]
    console_host = console["host"]
    account_key = Secret(console["api_key"])

    racks: list[RackSettings] = []
    direct: list[dict[str, Any]] = []
    console_racks: list[str] = []
    for rack in info["racks"]:
        if rack.get("via_console"):
            org = rack["organization"]
            # `info()` names a Console rack by its full name; keyroll's settings split it.
            name = rack["name"].split("/", 1)[1] if "/" in rack["name"] else rack["name"]
            racks.append(
                RackSettings(
                    name=name,
                    console=org,
                    host=rack["host"],  # its own API, for a roll that bypasses the Console
                    stack=rack.get("stack") or None,
                    production=name in PRODUCTION_NAMES,
                    verify_tls=_pin(rack, home, rack["name"]),
                )
            )
            console_racks.append(f"{org}/{name}")
        else:
            direct.append(rack)
            racks.append(
                RackSettings(
                    name=rack["name"],
                    host=rack["host"],
                    stack=rack.get("stack") or None,
                    production=rack["name"] in PRODUCTION_NAMES,
                    verify_tls=_pin(rack, home, rack["name"]),
                )
            )
    settings = Settings(
        console=ConsoleSettings(
            host=console_host, url=console["url"], verify_tls=_pin(console, home, "console")
        ),
        aws=_aws(info, home),
        racks=tuple(racks),
    )
    write_private(home / "config" / "config.toml", settings.to_toml(), tighten_dir=True)

    keystore = Keystore(home / "data" / "keystore.json")
    keystore.set_current(console_host, account_key)
    for rack in direct:
        keystore.set_current(rack["host"], Secret(rack["api_key"]))

    cli = CliConfig(cli_dir)
    auth = {console_host: account_key.reveal()}
    auth.update({rack["host"]: rack["api_key"] for rack in direct})
    cli.write_map("auth", auth)
    cli.write_plain("host", console_host)
    current = "acme/production" if "acme/production" in console_racks else None
    current = current or (console_racks[0] if console_racks else None)
    if current:
        cli.write_map("racks", {console_host: current})
    cli.write_map("self-managed", {rack["name"]: rack["host"] for rack in direct})
    account = console.get("account")
    if isinstance(account, str) and account:
        cli.write_plain("id", account)
    return home, cli_dir
