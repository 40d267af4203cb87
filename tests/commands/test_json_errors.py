"""With `--json` every error is one JSON object on stdout; the dashboard needs a terminal."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tui.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _only_error_object(out: str, exit_code: int) -> dict[str, Any]:
    """`out` is exactly one JSON object `{"error": <one sentence>, "exit": <status>}`."""
    data = json.loads(out)  # raises on anything but one JSON document
    assert isinstance(data, dict) and set(data) == {"error", "exit"}, data
    assert data["exit"] == exit_code
    assert isinstance(data["error"], str) and data["error"].strip()
    assert "\n" not in data["error"] and not data["error"].startswith("keyroll")
    return data


def test_a_bad_own_key_from_stdin_is_a_json_error(
    homes: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("A" * 51 + "\n"))
    assert main(["roll", "rack-key", "dev", "--value-from-stdin", "--json"]) == 2
    captured = capsys.readouterr()
    data = _only_error_object(captured.out, 2)
    assert "50" in data["error"]
    assert captured.err == f"keyroll: {data['error']}\n"  # the same sentence, for a person


@pytest.mark.parametrize(
    "argv",
    [
        ["switch", "nowhere", "--json"],
        ["--json", "switch", "nowhere"],
        ["roll", "rack-key", "--json"],  # RACK missing: argparse's own error
        ["--json", "roll", "rack-key", "dev", "--via", "carrier-pigeon"],
        ["--json", "nosuchcommand"],
    ],
)
def test_errors_and_bad_arguments_are_one_json_object(
    homes: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    _only_error_object(captured.out, 2)
    assert "Traceback" not in captured.err and "usage:" not in captured.out


def test_bad_arguments_without_json_keep_argparse_usage(
    homes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["roll", "rack-key"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "usage: keyroll roll rack-key" in captured.err
    assert captured.err.splitlines()[-1] == (
        "keyroll: Bad arguments for `keyroll roll rack-key`: the following arguments are "
        "required: RACK; run `keyroll roll rack-key --help` for the usage."
    )


def test_a_refusal_is_a_json_error_with_exit_3(
    homes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--read-only", "switch", "dev", "--json"]) == 3
    _only_error_object(capsys.readouterr().out, 3)


def test_an_interrupt_is_a_json_error_with_exit_130(
    homes: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui.commands.racks

    def interrupted(_args: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(tui.commands.racks, "run", interrupted)
    assert main(["racks", "--json"]) == 130
    _only_error_object(capsys.readouterr().out, 130)


def _keyroll_without_terminal(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CONVOX_", "RACK_URL", "KEYROLL"))
    }
    env.update(HOME=str(tmp_path / "home"), KEYROLL_HOME=str(tmp_path / "keyroll"))
    with open(os.devnull) as devnull:
        return subprocess.run(
            [sys.executable, "-m", "tui", *args],
            cwd=ROOT,
            env=env,
            stdin=devnull,
            capture_output=True,
            text=True,
            timeout=60,  # the full-screen app would wait for a key that never comes
        )


@pytest.mark.parametrize("as_json", [False, True])
def test_the_dashboard_without_a_terminal_names_the_headless_commands(
    tmp_path: Path, as_json: bool
) -> None:
    done = _keyroll_without_terminal(tmp_path, *(["--json"] if as_json else []))
    assert done.returncode == 2, done
    assert "\x1b" not in done.stdout + done.stderr  # no escape code of a full-screen app
    if as_json:
        sentence = _only_error_object(done.stdout, 2)["error"]
    else:
        assert done.stdout == ""
        sentence = done.stderr.removeprefix("keyroll: ")
    assert "terminal" in sentence
    for command in ("keyroll racks", "keyroll roll", "keyroll history"):
        assert command in sentence, sentence
    assert not (tmp_path / "keyroll").exists()  # refused before any file was made
