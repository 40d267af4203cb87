"""`keyroll key-pairs RACK`: the rack's unused key pairs, listed and deleted headless.

An instance keyroll leaves the key pair it replaced behind (as Convox's does); the command
lists it, never the one in use, and deletes it only with --delete-unused and a yes.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tests.e2e.conftest import Served, scenario_fixture
from tui.core.settings import AwsSettings, load_settings, save_settings

served = scenario_fixture("ok", 20.0)


@pytest.fixture(scope="module")
def left_behind(served: Served) -> str:
    """The key pair an instance keyroll of dev replaced: unused from then on."""
    before = served.keyroll("key-pairs", "dev", "--json")
    assert before.code == 0, before
    current = before.json["current_key"]
    rolled = served.keyroll("roll", "instance-key", "dev", "--force", "--json")
    assert rolled.code == 0, rolled
    return str(current)


def _pairs(served: Served) -> dict[str, object]:
    result = served.keyroll("key-pairs", "dev", "--json")
    assert result.code == 0, result
    data: dict[str, object] = result.json
    return data


def test_lists_the_unused_pairs_never_the_one_in_use(served: Served, left_behind: str) -> None:
    data = _pairs(served)
    unused = [p["name"] for p in data["unused"]]  # type: ignore[attr-defined]
    kept = {p["name"]: p["why"] for p in data["kept"]}  # type: ignore[attr-defined]
    assert left_behind in unused
    assert data["current_key"] != left_behind
    assert data["current_key"] not in unused
    assert kept[data["current_key"]] == "the stack's Key parameter"
    assert data["deleted"] is None
    text = served.keyroll("key-pairs", "dev")
    assert text.code == 0, text
    assert f"  {left_behind}" in text.stdout
    assert "keyroll key-pairs dev --delete-unused" in text.stdout


def test_deleting_is_refused_read_only_and_without_a_yes(served: Served, left_behind: str) -> None:
    read_only = served.keyroll("key-pairs", "dev", "--delete-unused", "--yes", "--read-only")
    assert read_only.code == 3, read_only
    assert "read-only" in read_only.stderr and read_only.stderr.count("\n") == 1
    no_terminal = served.keyroll("key-pairs", "dev", "--delete-unused")
    assert no_terminal.code == 3, no_terminal
    assert "--yes" in no_terminal.stderr and no_terminal.stderr.count("\n") == 1
    unused = [p["name"] for p in _pairs(served)["unused"]]  # type: ignore[attr-defined]
    assert left_behind in unused  # nothing was deleted


def test_delete_unused_with_yes_deletes_them_and_keeps_the_one_in_use(
    served: Served, left_behind: str
) -> None:
    current = _pairs(served)["current_key"]
    result = served.keyroll("key-pairs", "dev", "--delete-unused", "--yes", "--json")
    assert result.code == 0, result
    assert left_behind in result.json["deleted"]
    assert current not in result.json["deleted"]
    after = _pairs(served)
    assert after["unused"] == [] and after["current_key"] == current
    assert current in {p["name"] for p in after["kept"]}  # type: ignore[attr-defined]


def test_without_aws_access_it_says_so_and_exits_3(served: Served, tmp_path: Path) -> None:
    home = tmp_path / "keyroll"
    shutil.copytree(served.home, home)
    config = home / "config" / "config.toml"
    save_settings(replace(load_settings(config), aws=AwsSettings()), config)
    result = served.keyroll("key-pairs", "dev", env={"KEYROLL_HOME": str(home)})
    assert result.code == 3, result
    (line,) = result.stderr.strip().splitlines()
    assert "needs AWS access" in line and "credentials" in line, line
