"""`config.toml`: defaults, strict validation naming file/key/type, round trip, safe writes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tui.core import paths
from tui.core.settings import (
    RackSettings,
    Settings,
    SettingsError,
    load_settings,
    save_settings,
    with_racks,
)

FULL = """\
write_convox_cli = false
poll_active_s = 1
verify_tls = true

[aws]
profile = "ops"
region = "eu-west-1"

[console]
host = "console.example.com"
url = "https://127.0.0.1:4443"

[[racks]]
name = "production"
console = "acme"
production = true

[[racks]]
name = "dev"
host = "dev.example.com:5443"
aws_profile = "dev"
stack = "dev-stack"
read_only = true
"""


def test_keyroll_home_holds_every_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KEYROLL_HOME", str(tmp_path))
    assert paths.config_dir() == tmp_path / "config"
    assert paths.data_dir() == tmp_path / "data"
    assert paths.state_dir() == tmp_path / "state"
    assert paths.settings_file() == tmp_path / "config" / "config.toml"


def test_platform_dirs_without_keyroll_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEYROLL_HOME", raising=False)
    assert paths.config_dir().name == "keyroll"
    assert paths.data_dir().name == "keyroll"
    assert len({paths.config_dir(), paths.data_dir(), paths.state_dir()}) == 3


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "none.toml")
    assert settings == Settings()
    assert settings.write_convox_cli is True
    assert (settings.poll_active_s, settings.poll_idle_s, settings.probe_interval_s) == (
        2.0,
        30.0,
        1.0,
    )
    assert settings.verify_tls is None  # unset: tui/core/tls.py decides per host
    assert settings.console.base_url == "https://console.convox.com"


def test_full_file_parses_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(FULL)
    settings = load_settings(path)
    assert settings.write_convox_cli is False and settings.poll_active_s == 1.0
    assert settings.aws.profile == "ops" and settings.aws.credentials_file is None
    assert settings.console.base_url == "https://127.0.0.1:4443"
    production = settings.rack("acme/production")
    assert (
        production is not None and production.production and production.stack_name == "production"
    )
    dev = settings.rack("dev")
    assert dev == RackSettings(
        name="dev",
        host="dev.example.com:5443",
        aws_profile="dev",
        stack="dev-stack",
        read_only=True,
    )
    out = tmp_path / "out" / "config.toml"
    save_settings(settings, out)
    assert load_settings(out) == settings
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pol_active_s = 2\n", "'pol_active_s' is not a keyroll setting"),
        ('poll_idle_s = "soon"\n', "'poll_idle_s' must be a number"),
        ("verify_tls = 1\n", "'verify_tls' must be a boolean"),
        ("[aws]\nregion = 5\n", "'aws.region' must be a string"),
        ("[console]\nport = 5\n", "'console.port' is not a keyroll setting"),
        ('[[racks]]\nname = "a"\nproduction = "yes"\n', "'racks[0].production' must be a boolean"),
        ('[[racks]]\nhost = "h"\n', "'racks[0]' has no 'name'"),
        ('[[racks]]\nname = "a"\n[[racks]]\nname = "a"\n', "rack 'a' appears twice"),
        ("poll_active_s = 0\n", "'poll_active_s' must be a number above 0"),
    ],
)
def test_bad_values_name_the_file_key_and_type(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert expected in message
    assert str(path) in message
    assert caught.value.exit_code == 2


def test_syntax_error_names_file_and_line_and_save_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    broken = b'write_convox_cli = true\n\n[console\nhost = "x"\n'
    path.write_bytes(broken)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert f"{path} is not valid TOML at line 3 (" in str(caught.value)
    with pytest.raises(SettingsError):
        save_settings(with_racks(Settings(), (RackSettings(name="x", host="h"),)), path)
    assert path.read_bytes() == broken


def test_keymap_maps_binding_ids_to_keys_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    # a dotted key nests in TOML; a quoted one does not: both read as the same kind of id
    path.write_text('[keymap]\nrack.refresh = "f5"\n"racks.open" = "o, enter"\nquit = "ctrl+q"\n')
    settings = load_settings(path)
    assert settings.keymap == {"rack.refresh": "f5", "racks.open": "o,enter", "quit": "ctrl+q"}
    assert settings.path == path
    out = tmp_path / "out" / "config.toml"
    save_settings(settings, out)
    assert load_settings(out).keymap == settings.keymap
    assert load_settings(tmp_path / "none.toml").keymap == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('keymap = "f5"\n', "'keymap' must be a table ([keymap] with lines like"),
        ("[keymap]\nrack.refresh = 5\n", "'keymap.rack.refresh' must be a string of keys"),
        ('[keymap]\nquit = ""\n', "'keymap.quit' must be a string of keys"),
        ('[keymap]\nquit = "q,,x"\n', "'keymap.quit' must be a string of keys"),
    ],
)
def test_keymap_of_the_wrong_shape_names_the_file_and_id(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_keymap_with_an_unknown_id_names_the_file_the_id_and_the_known_ids(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\nrack.refrsh = "f5"\nquit = "ctrl+q"\n')
    settings = load_settings(path)  # the shape is right: the ids are the dashboard's to check
    Settings(keymap={"quit": "ctrl+q"}).check_keymap({"quit", "help"})  # every id known: fine
    with pytest.raises(SettingsError) as caught:
        settings.check_keymap({"quit", "help"})
    assert str(caught.value) == (
        f"In {path}, [keymap] names 'rack.refrsh', which is not the id of any keyroll key (the "
        'ids are help, quit; README.md, "Keys and colours", says what each does); fix it and '
        "start keyroll again."
    )
