"""Two keyroll processes started on the same rack at once: exactly one rolls, the other
refuses with the lock's message (exit 3), and the keystore comes out whole and right."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import COMMAND_TIMEOUT_S, ROOT, Result, Served, http_status, serve
from tui.core.keystore import Keystore

LOCK_MESSAGE = "is being rolled by another keyroll process"
RACK_KEY = ("roll", "rack-key", "dev", "--wait", "--json")
INSTANCE_KEY = ("roll", "instance-key", "dev", "--force", "--wait", "--json")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    # slow enough that a roll holds the rack for seconds while the other process starts
    with serve(tmp_path_factory.mktemp("concurrency"), "ok", 5.0) as running:
        yield running


def start_both(served: Served, first: tuple[str, ...], second: tuple[str, ...]) -> list[Result]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tui", *args],
            cwd=ROOT,
            env=served.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in (first, second)
    ]
    results = []
    for args, process in zip((first, second), processes, strict=True):
        out, err = process.communicate(timeout=COMMAND_TIMEOUT_S)
        result = Result(args, process.returncode, out, err)
        served.assert_no_key_in(result)
        assert "Traceback" not in err, str(result)
        results.append(result)
    return results


@pytest.mark.parametrize(
    "second", [RACK_KEY, INSTANCE_KEY], ids=["rack-key-twice", "rack-key-and-instance-key"]
)
def test_one_rolls_the_other_refuses_and_the_keystore_stays_whole(
    served: Served, second: tuple[str, ...]
) -> None:
    dev = served.rack("dev")
    host = dev["host"]
    journal = served.home / "state" / "rolls"
    records_before = set(journal.glob("*.json")) if journal.is_dir() else set()
    results = start_both(served, RACK_KEY, second)
    codes = sorted(r.code for r in results)
    assert codes == [0, 3], "\n".join(map(str, results))
    rolled = next(r for r in results if r.code == 0)
    refused = next(r for r in results if r.code == 3)
    assert rolled.json["outcome"] == "succeeded"
    assert refused.json["outcome"] == "refused"
    message = refused.json["messages"][-1]
    assert LOCK_MESSAGE in message and "wait for that roll to finish" in message
    # only the roll that ran wrote a journal record; the refused one left no trace
    new_records = set(journal.glob("*.json")) - records_before
    assert len(new_records) == 1
    (record,) = (json.loads(p.read_text()) for p in new_records)
    assert record["outcome"] == "succeeded" and record["roll_id"] == rolled.json["roll_id"]
    # the keystore parses and holds, as current, the key the rack takes; the CLI agrees
    store = Keystore(served.home / "data" / "keystore.json")
    current = store.current(host)
    assert current is not None and store.pending(host) is None
    assert http_status(dev["url"], "/auth", current.reveal()) == 200
    assert served.cli_key(host) == current.reveal()
