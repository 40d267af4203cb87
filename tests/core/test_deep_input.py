"""Regressions: input nested too deeply, numbers no clock can wait, and a RACK_URL with a bad
port are clear errors naming the file, never a traceback; the file is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.core.convox_cli import CliConfig, CliFileError, resolve
from tui.core.journal import Journal, JournalError
from tui.core.keystore import Keystore, KeystoreError
from tui.core.settings import SettingsError, load_settings, parse_settings

DEEP_JSON = "[" * 50_000 + "]" * 50_000
DEEP_TOML = "a = " + "[" * 5_000 + "]" * 5_000 + "\n"


def _one_sentence(message: str, path: Path | str) -> None:
    assert "\n" not in message and message.endswith(".")
    assert str(path) in message


def test_settings_nested_too_deeply(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(DEEP_TOML)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    _one_sentence(str(caught.value), path)
    assert path.read_text() == DEEP_TOML


@pytest.mark.parametrize("value", ["nan", "inf", "1e308", "86401"])
def test_intervals_no_clock_can_wait_are_refused(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(f"poll_idle_s = {value}\n", Path("config.toml"))
    assert "'poll_idle_s' must be a number of seconds up to 86400" in str(caught.value)


def test_a_day_is_still_a_valid_interval() -> None:
    assert parse_settings("poll_idle_s = 86400\n", Path("c.toml")).poll_idle_s == 86400.0


def test_verify_tls_takes_a_certificate_path() -> None:
    settings = parse_settings('verify_tls = "~/racks.pem"\n', Path("c.toml"))
    assert settings.verify_tls == "~/racks.pem"
    assert 'verify_tls = "~/racks.pem"' in settings.to_toml()
    with pytest.raises(SettingsError, match=r"'verify_tls' must be a boolean .* PEM certificate"):
        parse_settings("verify_tls = 3\n", Path("c.toml"))
    with pytest.raises(SettingsError, match="'verify_tls' must not be empty"):
        parse_settings('verify_tls = " "\n', Path("c.toml"))


@pytest.mark.parametrize("name", ["auth", "racks", "self-managed", "session", "current"])
def test_convox_cli_files_nested_too_deeply(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(DEEP_JSON)
    config = CliConfig(tmp_path)
    read = config.current if name == "current" else lambda: config.mapping(name)
    with pytest.raises(CliFileError) as caught:
        read()
    _one_sentence(str(caught.value), path)
    assert path.read_text() == DEEP_JSON


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://convox:k@rack.example.com:99999", "rack.example.com:99999"),
        ("https://[::1", "[::1"),
        ("https://convox:k@h:-5", "h:-5"),
    ],
)
def test_a_rack_url_with_a_bad_port_is_shown_as_written(
    tmp_path: Path, url: str, shown: str
) -> None:
    current = resolve(CliConfig(tmp_path), env={"RACK_URL": url}, cwd=tmp_path)
    assert current.endpoint_host == shown


def test_keystore_nested_too_deeply(tmp_path: Path) -> None:
    path = tmp_path / "keystore.json"
    path.write_text(DEEP_JSON)
    with pytest.raises(KeystoreError) as caught:
        Keystore(path).hosts()
    _one_sentence(str(caught.value), path)
    assert path.read_text() == DEEP_JSON


def test_journal_record_nested_too_deeply(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "rolls")
    journal.directory.mkdir()
    path = journal.directory / "20250101T000000-dev-rack-key-abcdef.json"
    path.write_text(DEEP_JSON)
    with pytest.raises(JournalError) as caught:
        journal.get(path.stem)
    _one_sentence(str(caught.value), path)
    assert path.read_text() == DEEP_JSON


def test_control_characters_from_files_never_reach_the_terminal(tmp_path: Path) -> None:
    (tmp_path / "auth").write_text('{"\\u001b[2J' + "h" * 500 + '": 1}')
    with pytest.raises(CliFileError) as caught:
        CliConfig(tmp_path).auth()
    message = str(caught.value)
    assert "\x1b" not in message and "\\u001b[2J" in message and len(message) < 300
    with pytest.raises(SettingsError) as refused:
        parse_settings('"\\u0007bell" = 1\n', Path("c.toml"))
    assert "\x07" not in str(refused.value) and "\\u0007bell" in str(refused.value)
