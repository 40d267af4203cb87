"""Every roll and route against `keyroll sandbox serve --scenario ok`, through the headless CLI."""

from __future__ import annotations

import secrets
import string

import httpx

from tests.e2e.conftest import Served, http_status, scenario_fixture

SPEED = 20.0
served = scenario_fixture("ok", SPEED)
measured: dict[str, float] = {}


def _alnum(n: int) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


def _system(url: str, key: str, rack: str | None = None) -> dict[str, object]:
    headers = {"Rack": rack} if rack else None
    with httpx.Client(verify=False, timeout=5) as client:
        reply = client.get(url + "/system", auth=("convox", key), headers=headers)
    reply.raise_for_status()
    data: dict[str, object] = reply.json()
    return data


def _assert_rack_key_rolled(served: Served, rack: str, before: str) -> str:
    """The keystore, the CLI's auth file and the rack agree on a new key; the old one is dead."""
    info = served.rack(rack)
    host, url = info["host"], info["url"]
    current = served.current_key(host)
    assert current != before
    assert served.cli_key(host) == current
    assert served.keystore.pending(host) is None
    assert http_status(url, "/auth", current) == 200
    assert http_status(url, "/auth", before) == 401
    return current


def test_direct_rack_key_roll_with_dual_key_measures_no_downtime(served: Served) -> None:
    dev = served.rack("dev")
    before = served.current_key(dev["host"])
    result = served.keyroll("roll", "rack-key", "dev", "--via", "rack", "--wait", "--json")
    summary = result.json
    assert result.code == 0, result
    assert (summary["kind"], summary["rack"], summary["via"]) == ("rack-key", "dev", "rack")
    assert summary["outcome"] == "succeeded"
    assert summary["probes"] > 3
    assert summary["downtime_s"] == 0.0, summary
    assert summary["longest_outage_s"] == 0.0
    assert summary["old_key_refused"] is True
    assert summary["events"], "the watch reported no event"
    assert set(summary["events"][0]) == {"time", "logical_id", "status", "reason"}
    assert summary["roll_id"] and summary["started_at"] and summary["finished_at"]
    _assert_rack_key_rolled(served, "dev", before)
    measured["dual_key"] = summary["downtime_s"]
    print(f"\ndev rack-key roll, dual-key on: downtime {summary['downtime_s']} s")


def test_the_same_roll_without_dual_key_measures_the_outage(served: Served) -> None:
    dev = served.rack("dev")
    before = served.current_key(dev["host"])
    result = served.keyroll(
        "roll", "rack-key", "dev", "--wait", "--json", env={"KEYROLL_TEST_DUAL_KEY": "off"}
    )
    summary = result.json
    assert result.code == 0, result
    assert summary["outcome"] == "succeeded"
    assert summary["downtime_s"] > 0.0, summary
    assert summary["longest_outage_s"] > 0.0
    _assert_rack_key_rolled(served, "dev", before)
    measured["no_dual_key"] = summary["downtime_s"]
    print(
        f"\ndev rack-key roll, dual-key on: {measured.get('dual_key')} s; dual-key off: "
        f"{summary['downtime_s']} s at speed {SPEED:g} "
        f"(= {summary['downtime_s'] * SPEED:.0f} s of simulated time)"
    )


def test_own_key_from_stdin_prints_progress_lines(served: Served) -> None:
    dev = served.rack("dev")
    before = served.current_key(dev["host"])
    own = _alnum(44)
    served.extra_keys.add(own)
    result = served.keyroll("roll", "rack-key", "dev", "--value-from-stdin", "--wait", stdin=own)
    assert result.code == 0, result
    lines = result.stdout.splitlines()
    for step in ("planned", "key-stored", "update-requested", "watching", "verifying"):
        assert any(line.endswith(f"step {step}") for line in lines), result
    assert any(" dev updating " in line or " UPDATE_IN_PROGRESS" in line for line in lines)
    assert lines[-1].startswith("succeeded: rack-key roll of dev via rack; downtime 0.0 s")
    assert _assert_rack_key_rolled(served, "dev", before) == own


def test_an_own_key_that_breaks_a_rule_exits_2_and_changes_nothing(served: Served) -> None:
    dev = served.rack("dev")
    before = served.current_key(dev["host"])
    journal = served.home / "state" / "rolls"
    rolls = len(list(journal.glob("*.json")))
    bad = "bad key " + _alnum(20)
    served.extra_keys.add(bad)
    result = served.keyroll("roll", "rack-key", "dev", "--value-from-stdin", stdin=bad + "\n")
    assert result.code == 2, result
    assert "letters A-Z, a-z and digits 0-9" in result.stderr
    assert result.stderr.count("\n") == 1  # one sentence, no traceback
    assert served.current_key(dev["host"]) == before == served.cli_key(dev["host"])
    assert len(list(journal.glob("*.json"))) == rolls


def test_a_short_own_key_needs_allow_short_key(served: Served) -> None:
    """Issue 12, item 13: an own key of 3 characters was rolled without a word."""
    dev = served.rack("dev")
    before = served.current_key(dev["host"])
    rolls = len(list((served.home / "state" / "rolls").glob("*.json")))
    short = _alnum(12)
    served.extra_keys.add(short)
    refused = served.keyroll("roll", "rack-key", "dev", "--value-from-stdin", stdin=short + "\n")
    assert refused.code == 2, refused
    assert refused.stdout == ""
    (line,) = refused.stderr.strip().splitlines()
    assert "12 characters" in line and "32" in line and "--allow-short-key" in line, line
    assert served.current_key(dev["host"]) == before == served.cli_key(dev["host"])
    assert len(list((served.home / "state" / "rolls").glob("*.json"))) == rolls

    result = served.keyroll(
        "roll", "rack-key", "dev", "--value-from-stdin", "--allow-short-key", stdin=short
    )
    assert result.code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0].startswith("warning: ") and "12 characters" in lines[0], result
    assert lines[-1].startswith("succeeded: rack-key roll of dev"), result
    assert _assert_rack_key_rolled(served, "dev", before) == short


def test_console_route_keeps_the_console_linked(served: Served) -> None:
    console = served.console
    account = served.current_key(console["host"])
    result = served.keyroll("roll", "rack-key", "staging", "--wait", "--json")
    summary = result.json
    assert result.code == 0, result
    assert (summary["rack"], summary["via"], summary["outcome"]) == (
        "acme/staging",
        "console",
        "succeeded",
    )
    # the Console holds the rack's key: keyroll's account key and the CLI's are untouched
    assert served.current_key(console["host"]) == account == served.cli_key(console["host"])
    assert http_status(console["url"], "/system", account, headers={"Rack": "acme/staging"}) == 200
    staging = served.rack("acme/staging")
    assert http_status(staging["url"], "/auth", staging["api_key"]) == 401  # rolled


def test_instance_key_roll_through_the_rack(served: Served) -> None:
    dev = served.rack("dev")
    key = served.current_key(dev["host"])
    old_name = _system(dev["url"], key)["parameters"]["Key"]  # type: ignore[index]
    result = served.keyroll("roll", "instance-key", "dev", "--force", "--wait", "--json")
    summary = result.json
    assert result.code == 0, result
    assert (summary["kind"], summary["via"], summary["outcome"]) == (
        "instance-key",
        "rack",
        "succeeded",
    )
    new_name = _system(dev["url"], key)["parameters"]["Key"]  # type: ignore[index]
    assert new_name != old_name and str(new_name).startswith("dev-keypair-")
    # the headless JSON holds what the dashboard shows: the instances and the batches
    before, after = summary["instances_before"], summary["instances_after"]
    assert before and after and not set(before) & set(after), summary
    assert summary["batches"] and summary["batches"][-1]["old_remaining"] == []
    assert set(summary["batches"][-1]["terminated"]) == set(before)
    assert served.cli_key(dev["host"]) == key  # an instance keyroll leaves API keys alone


def test_cloudformation_route_then_relink(served: Served) -> None:
    console = served.console
    account = served.current_key(console["host"])
    production = served.rack("acme/production")
    result = served.keyroll(
        "roll", "rack-key", "production", "--via", "cloudformation", "--wait", "--json"
    )
    summary = result.json
    assert result.code == 0, result
    assert (summary["via"], summary["outcome"]) == ("cloudformation", "succeeded")
    assert summary["watched_with"] == "cloudformation"
    assert any("keyroll relink" in w for w in summary["warnings"]), summary
    new = served.current_key(production["host"])
    assert http_status(production["url"], "/auth", new) == 200
    assert http_status(production["url"], "/auth", production["api_key"]) == 401
    proxied = {"Rack": "acme/production"}
    assert http_status(console["url"], "/system", account, headers=proxied) == 502
    relinked = served.keyroll("relink", "production", "--json")
    assert relinked.code == 0, relinked
    assert relinked.json["relinked"] is True
    assert http_status(console["url"], "/system", account, headers=proxied) == 200


def test_instance_key_roll_through_cloudformation(served: Served) -> None:
    result = served.keyroll(
        "roll", "instance-key", "staging", "--via", "cloudformation", "--force", "--wait", "--json"
    )
    summary = result.json
    assert result.code == 0, result
    assert (summary["via"], summary["outcome"]) == ("cloudformation", "succeeded")
    names = served.keystore.private_key_names("acme/staging")
    assert any(name.startswith("staging-keypair-") for name in names), names


def test_account_key_roll_rewrites_the_cli(served: Served) -> None:
    console = served.console
    before = served.current_key(console["host"])
    result = served.keyroll("roll", "account-key", "--json")
    summary = result.json
    assert result.code == 0, result
    assert (summary["kind"], summary["via"], summary["outcome"]) == (
        "account-key",
        "console",
        "succeeded",
    )
    assert summary["rack"] == f"account@{console['host']}"
    assert summary["old_key_refused"] is True
    new = served.current_key(console["host"])
    assert new != before
    assert served.cli_key(console["host"]) == new
    assert served.keystore.pending(console["host"]) is None
    assert http_status(console["url"], "/auth", new) == 200
    assert http_status(console["url"], "/auth", before) == 401
    # the Console still proxies every rack with the new account key
    assert http_status(console["url"], "/system", new, headers={"Rack": "acme/staging"}) == 200
    # where the new key went (issue 12, item 12): keyroll's keystore and the CLI's auth file
    assert summary["key_saved_to"] == str(served.keystore.path)
    assert summary["cli_auth_files"] == [str(served.cli.path / "auth")]


def test_a_text_account_key_roll_says_where_the_key_went(served: Served) -> None:
    result = served.keyroll("roll", "account-key")
    assert result.code == 0, result
    where = [line for line in result.stdout.splitlines() if line.startswith("new key: ")]
    assert where == [
        f"new key: saved in keyroll's keystore {served.keystore.path} and in the Convox "
        f"CLI's auth file {served.cli.path / 'auth'}."
    ], result


def test_a_key_rolled_in_the_web_ui_is_pasted_and_saved(served: Served) -> None:
    console = served.console
    held = served.current_key(console["host"])
    with httpx.Client(verify=False, timeout=5) as client:  # the web Console's button
        reply = client.post(console["url"] + "/account/api-key/roll", auth=("convox", held))
    reply.raise_for_status()
    rolled = reply.json()["api_key"]
    served.extra_keys.add(rolled)

    wrong = served.keyroll("roll", "account-key", "--value-from-stdin", stdin=held + "\n")
    assert wrong.code == 2, wrong
    assert "refused the pasted key (nothing was saved)" in wrong.stderr
    assert served.current_key(console["host"]) == held == served.cli_key(console["host"])

    result = served.keyroll("roll", "account-key", "--value-from-stdin", stdin=rolled + "\n")
    assert result.code == 0, result
    assert result.stdout.splitlines()[-1].startswith("succeeded: account-key roll")
    assert served.current_key(console["host"]) == rolled == served.cli_key(console["host"])


def test_read_only_refuses_every_roll(served: Served) -> None:
    dev = served.rack("dev")
    before = served.current_key(dev["host"])
    for args in (("rack-key", "dev"), ("instance-key", "dev"), ("account-key",)):
        result = served.keyroll("roll", *args, "--read-only", "--json")
        assert result.code == 3, result
        assert result.json["outcome"] == "refused"
        assert "read-only" in result.json["messages"][0]
        # a refused roll measured nothing and says so instead of claiming zero downtime
        assert result.json["downtime_s"] is None, result
        assert (result.json["longest_outage_s"], result.json["probes"]) == (None, 0)
    text = served.keyroll("roll", "rack-key", "dev", "--read-only")
    assert "downtime not measured" in text.stdout and "0.0 s" not in text.stdout, text
    assert served.current_key(dev["host"]) == before == served.cli_key(dev["host"])


def test_history_lists_every_roll_with_its_measured_downtime(served: Served) -> None:
    result = served.keyroll("history", "--json")
    assert result.code == 0, result
    rolls = result.json["rolls"]
    kinds = {(r["kind"], r["rack"], r["via"], r["outcome"]) for r in rolls}
    assert ("rack-key", "dev", "rack", "succeeded") in kinds
    assert ("rack-key", "acme/staging", "console", "succeeded") in kinds
    assert ("account-key", f"account@{served.console['host']}", "console", "succeeded") in kinds
    dev = [r for r in rolls if r["rack"] == "dev" and r["kind"] == "rack-key"]
    assert sorted(r["downtime_s"] for r in dev)[-1] == measured["no_dual_key"]
    assert all(r["duration_s"] is not None and r["duration_s"] >= 0 for r in rolls)
    text = served.keyroll("history", "dev")
    assert text.code == 0, text
    header, *rows = text.stdout.splitlines()
    assert header.split() == [
        "STARTED",
        "ENDED",
        "RACK",
        "KIND",
        "VIA",
        "OUTCOME",
        "TOOK",
        "DOWNTIME",
    ]
    assert rows and all(" dev " in row for row in rows)


def test_the_default_roll_waits_and_leaves_the_cli_working(served: Served) -> None:
    """Issue 12, item 1: `roll rack-key dev` with no flag returned before the CLI's auth was
    rewritten, so the CLI held a key the rack refused once the update completed."""
    dev = served.rack("dev")
    before = served.current_key(dev["host"])
    result = served.keyroll("roll", "rack-key", "dev")
    assert result.code == 0, result
    assert result.stdout.splitlines()[-1].startswith("succeeded: rack-key roll of dev"), result
    cli_key = served.cli_key(dev["host"])
    assert cli_key != before
    assert http_status(dev["url"], "/system", cli_key) == 200
    assert _assert_rack_key_rolled(served, "dev", before) == cli_key


def test_wait_stays_accepted_as_the_default(served: Served) -> None:
    dev = served.rack("dev")
    before = served.current_key(dev["host"])
    result = served.keyroll("roll", "rack-key", "dev", "--wait", "--json")
    assert result.code == 0, result
    assert result.json["outcome"] == "succeeded"
    _assert_rack_key_rolled(served, "dev", before)


def test_no_wait_returns_once_the_update_is_requested(served: Served) -> None:
    result = served.keyroll("roll", "rack-key", "staging", "--no-wait", "--json")
    summary = result.json
    assert result.code == 0, result
    assert summary["outcome"] == "unfinished"
    assert any("keyroll resume" in m for m in summary["messages"])
    # nothing measured: no claim of zero downtime
    assert (summary["downtime_s"], summary["longest_outage_s"], summary["probes"]) == (
        None,
        None,
        0,
    )
    history = served.keyroll("history", "staging", "--json").json["rolls"]
    assert history[0]["outcome"] == "unfinished"
    assert history[0]["last_step"] == "watching"
    racks = {r["name"]: r for r in served.keyroll("racks", "--json").json["racks"]}
    assert racks["acme/staging"]["roll_unfinished"] is True
    assert racks["dev"]["roll_unfinished"] is False
    assert racks["acme/staging"]["status"]  # the rack's own status stays beside it
    table = served.keyroll("racks").stdout.splitlines()
    staging = next(line for line in table if "acme/staging" in line and "roll" in line)
    assert "roll unfinished" in staging and "running" not in staging, table
    finished = served.keyroll("resume", "--yes", "--json")
    assert finished.code == 0, finished
    after = {r["name"]: r for r in served.keyroll("racks", "--json").json["racks"]}
    assert after["acme/staging"]["roll_unfinished"] is False


def test_a_detached_direct_roll_says_the_cli_keeps_the_old_key(served: Served) -> None:
    dev = served.rack("dev")
    before = served.current_key(dev["host"])
    result = served.keyroll("roll", "rack-key", "dev", "--no-wait")
    assert result.code == 0, result
    last = result.stdout.splitlines()[-1]
    assert last.startswith("started (not waiting): rack-key roll of dev"), result
    assert "not measured" in last and "0.0 s" not in last, result
    assert "the Convox CLI keeps the old key" in last and "`keyroll resume`" in last, result
    assert served.cli_key(dev["host"]) == before
    finished = served.keyroll("resume", "--yes")
    assert finished.code == 0, finished
    _assert_rack_key_rolled(served, "dev", before)
