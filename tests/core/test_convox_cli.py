"""Convox CLI files: discovery under a temporary HOME, resolution order, writes that read back."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tui.base.errors import RefusedError
from tui.base.secret import Secret
from tui.core import convox_cli
from tui.core.convox_cli import (
    CliConfig,
    CliFileError,
    SwitchTarget,
    find_dirs,
    go_json,
    primary_dir,
    resolve,
    switch,
    update_auth_everywhere,
)

CONSOLE = "console.convox.com"
RACK_HOST = "rack.dev.example.convox.site"
ACCOUNT = "AccountKey0123456789abcdefghijklmnopqrstu"
RACK_KEY = "RackKey0123456789abcdefghijklmnopqrstuvw"
ENV_NAMES = ("CONVOX_CONFIG", "CONVOX_HOST", "CONVOX_PASSWORD", "RACK_URL", "CONVOX_RACK")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary HOME with no Convox env vars and an empty working dir."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


def v2_dir(path: Path, *, rack: str = "acme/production") -> Path:
    """A dir as `convox login` then `convox switch` leave it."""
    path.mkdir(parents=True)
    (path / "auth").write_text(json.dumps({CONSOLE: ACCOUNT, RACK_HOST: RACK_KEY}, indent=2))
    (path / "host").write_text(f"{CONSOLE}\n")
    (path / "racks").write_text(json.dumps({CONSOLE: rack}, indent=2))
    (path / "self-managed").write_text(json.dumps({"dev": RACK_HOST}))
    (path / "id").write_text("ops@example.com")
    (path / "session").write_text(json.dumps({CONSOLE: "sess-1"}))
    return path


def test_discovery_order_of_every_layout(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    legacy = v2_dir(home / ".convox")
    v3 = home / ".config" / "convox"
    v3.mkdir(parents=True)
    (v3 / "console").write_text(CONSOLE)
    macos = v2_dir(home / "Library" / "Preferences" / "convox2")
    v2 = v2_dir(home / ".config" / "convox2")
    assert [(d.path, d.origin) for d in find_dirs()] == [
        (v2, "convox2"),
        (macos, "convox2-macos"),
        (legacy, "legacy"),
        (v3, "v3"),
    ]
    assert primary_dir().path == v2
    explicit = v2_dir(home / "elsewhere")
    monkeypatch.setenv("CONVOX_CONFIG", str(explicit))
    assert find_dirs()[0].path == explicit and primary_dir().origin == "CONVOX_CONFIG"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    xdg = v2_dir(home / "xdg" / "convox2")
    assert [d.path for d in find_dirs()][:2] == [explicit, xdg]


def test_legacy_dir_is_used_when_it_is_the_only_one(home: Path) -> None:
    legacy = v2_dir(home / ".convox")
    (legacy / "racks").unlink()
    (legacy / "rack").write_text("personal/dev\n")
    current = resolve()
    assert current.directory == legacy
    assert (current.host, current.host_from) == (CONSOLE, "host file")
    assert current.password == Secret(ACCOUNT) and current.password_from == "auth file"
    assert (current.rack, current.rack_from) == ("personal/dev", "rack file")
    assert current.endpoint == Secret(f"https://convox:{ACCOUNT}@{CONSOLE}")
    assert current.endpoint_host == CONSOLE


def test_v3_dir_reads_console_and_current(home: Path) -> None:
    v3 = home / ".config" / "convox"
    v3.mkdir(parents=True)
    (v3 / "console").write_text(CONSOLE)
    (v3 / "auth").write_text(json.dumps({CONSOLE: ACCOUNT}))
    (v3 / "current").write_text(json.dumps({"name": "acme/staging", "type": "console"}))
    config = CliConfig(find_dirs()[0])
    assert config.is_v3
    current = resolve(config)
    assert (current.host, current.host_from) == (CONSOLE, "console file")
    assert (current.rack, current.rack_from) == ("acme/staging", "current file")
    switch(config, SwitchTarget("acme/production", console_host=CONSOLE))
    assert json.loads((v3 / "current").read_text()) == {
        "name": "acme/production",
        "type": "console",
    }
    assert resolve(config).rack == "acme/production"


def test_resolution_order_with_every_env_var(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    v2_dir(home / ".config" / "convox2")
    (home / ".config" / "convox2" / "rack").write_text("old/gen1")
    assert resolve().rack_from == "racks file"
    work = Path.cwd()
    (work / ".convox").mkdir()
    (work / ".convox" / "rack").write_text("acme/pinned\n")
    assert (resolve().rack, resolve().rack_from) == ("acme/pinned", "./.convox/rack")
    monkeypatch.setenv("CONVOX_RACK", "acme/env")
    assert (resolve().rack, resolve().rack_from) == ("acme/env", "CONVOX_RACK")
    assert resolve(rack_flag="acme/flag").rack_from == "--rack"
    monkeypatch.setenv("CONVOX_HOST", RACK_HOST)
    current = resolve()
    assert (current.host, current.host_from) == (RACK_HOST, "CONVOX_HOST")
    assert current.password == Secret(RACK_KEY) and current.password_from == "auth file"
    monkeypatch.setenv("CONVOX_PASSWORD", "p@ss word/1")
    current = resolve()
    assert current.password_from == "CONVOX_PASSWORD"
    assert current.endpoint == Secret(f"https://convox:p%40ss+word%2F1@{RACK_HOST}")
    monkeypatch.setenv("CONVOX_RACK", "local/dev")
    assert resolve().endpoint == Secret("https://rack.dev")
    monkeypatch.setenv("RACK_URL", "https://jwt:tok@rack.x.convox.site")
    current = resolve()
    assert current.endpoint_from == "RACK_URL"
    assert current.endpoint_host == "rack.x.convox.site"
    assert "tok" not in repr(current)


def test_convox_host_without_password_is_allowed(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVOX_HOST", "other.example.com")
    current = resolve()
    assert current.host == "other.example.com" and current.password is None
    assert current.endpoint == Secret("https://convox:@other.example.com")


def test_malformed_auth_names_file_and_line_and_other_files_still_work(home: Path) -> None:
    cli = v2_dir(home / ".config" / "convox2")
    broken = b'{\n  "console.convox.com": "abc",\n  "x": \n}'
    (cli / "auth").write_bytes(broken)
    config = CliConfig(find_dirs()[0])
    with pytest.raises(CliFileError) as caught:
        config.auth()
    assert f"{cli / 'auth'} is not valid JSON at line 4" in str(caught.value)
    current = resolve(config)
    assert current.host == CONSOLE and current.rack == "acme/production"
    assert current.password is None and len(current.problems) == 1
    with pytest.raises(CliFileError):
        config.write_auth(CONSOLE, Secret("new"))
    with pytest.raises(CliFileError):
        switch(config, SwitchTarget("dev", rack_host=RACK_HOST))
    written, problems = update_auth_everywhere(CONSOLE, Secret("new"))
    assert written == [] and len(problems) == 1
    assert (cli / "auth").read_bytes() == broken


def test_non_string_value_names_its_line(home: Path) -> None:
    cli = home / ".config" / "convox2"
    cli.mkdir(parents=True)
    (cli / "racks").write_text('{\n  "a": "x",\n  "b": 7\n}')
    with pytest.raises(CliFileError) as caught:
        CliConfig(cli).racks()
    assert "'b' at line 3" in str(caught.value)


def test_writes_match_the_cli_format_and_modes(home: Path) -> None:
    cli = CliConfig(primary_dir())
    assert cli.path == home / ".config" / "convox2"
    cli.write_auth("b.example.com", Secret("k2"))
    cli.write_auth("a.example.com", Secret("k<1>&"))
    text = (cli.path / "auth").read_text()
    assert text == '{\n  "a.example.com": "k\\u003c1\\u003e\\u0026",\n  "b.example.com": "k2"\n}'
    assert cli.auth()["a.example.com"] == Secret("k<1>&")
    assert stat.S_IMODE((cli.path / "auth").stat().st_mode) == 0o600
    assert stat.S_IMODE(cli.path.stat().st_mode) == 0o700
    assert go_json({}) == "{}"


def test_switch_to_a_console_rack_reads_back(home: Path) -> None:
    cli_path = v2_dir(home / ".config" / "convox2", rack="acme/staging")
    config = CliConfig(cli_path)
    written = switch(config, SwitchTarget("acme/production", console_host=CONSOLE))
    assert written == ["racks"]
    assert json.loads((cli_path / "racks").read_text()) == {CONSOLE: "acme/production"}
    current = resolve(config)
    assert (current.host, current.rack) == (CONSOLE, "acme/production")
    assert current.password == Secret(ACCOUNT)


def test_switch_to_a_direct_rack_writes_host_racks_and_missing_auth(home: Path) -> None:
    cli_path = v2_dir(home / ".config" / "convox2")
    config = CliConfig(cli_path)
    new_host = "127.0.0.1:5443"
    written = switch(config, SwitchTarget("lab", rack_host=new_host, key=Secret("LabKey1")))
    assert written == ["host", "racks", "auth"]
    assert (cli_path / "host").read_text() == new_host
    assert json.loads((cli_path / "racks").read_text()) == {
        CONSOLE: "acme/production",
        new_host: "lab",
    }
    current = resolve(config)
    assert (current.host, current.rack, current.password) == (new_host, "lab", Secret("LabKey1"))
    back = switch(config, SwitchTarget("acme/production", console_host=CONSOLE))
    assert back == ["host", "racks"]
    assert resolve(config).host == CONSOLE and resolve(config).password == Secret(ACCOUNT)


def test_switch_with_convox_host_set_is_refused_for_a_direct_rack(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = CliConfig(v2_dir(home / ".config" / "convox2"))
    monkeypatch.setenv("CONVOX_HOST", CONSOLE)
    before = (config.path / "host").read_bytes()
    with pytest.raises(RefusedError) as caught:
        switch(config, SwitchTarget("dev", rack_host=RACK_HOST))
    assert "CONVOX_HOST" in str(caught.value)
    assert (config.path / "host").read_bytes() == before


def test_update_auth_everywhere_rewrites_only_dirs_that_hold_the_host(home: Path) -> None:
    v2 = v2_dir(home / ".config" / "convox2")
    legacy = home / ".convox"
    legacy.mkdir()
    (legacy / "auth").write_text(json.dumps({"other.example.com": "x"}))
    written, problems = update_auth_everywhere(CONSOLE, Secret("NewAccountKey"))
    assert written == [v2 / "auth"] and problems == []
    assert CliConfig(v2).auth()[CONSOLE] == Secret("NewAccountKey")
    assert CliConfig(v2).auth()[RACK_HOST] == Secret(RACK_KEY)
    assert json.loads((legacy / "auth").read_text()) == {"other.example.com": "x"}
    assert convox_cli.CONFIG_ENV == "CONVOX_CONFIG"
