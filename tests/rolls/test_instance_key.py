"""Instance keyrolls against the in-process sandbox: success, refusals, rollback, routes.

Each test runs with or without the sandbox's AWS endpoint: with it the watch reads
CloudFormation events, without it the rack's status and instance list.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.aws_support import aws_env
from tests.rolls.instance_key_support import (
    FAST,
    STEPPED,
    Recorder,
    aws_wired,
    fleet_polls,
    sandbox_workspace,
    scale_services,
    target,
    with_aws,
)
from tests.stepping import stepping
from tui.base.errors import BadInputError
from tui.core.roll_targets import journal_for
from tui.core.rolls.events import (
    InstanceProgress,
    Note,
    Outcome,
    PhaseChanged,
    ServiceProcesses,
)
from tui.core.rolls.instance_key import SSH_KEY_MISMATCH, InstanceKeyRoll
from tui.core.rolls.summary import RollSummary
from tui.sandbox.runtime import Sandbox

__all__ = ["aws_env", "with_aws"]  # fixtures, used by name
pytestmark = pytest.mark.usefixtures("aws_env")


def _world_state(sandbox: Sandbox, stack: str) -> tuple[str, list[str]]:
    """(Key parameter, live instance ids) as the sandbox world holds them."""
    with sandbox.world.locked():
        rack = sandbox.world.rack(stack)
        return rack.stack.parameters["Key"], [i.instance_id for i in rack.live_instances()]


def _no_secret_in(summary: RollSummary, sandbox: Sandbox) -> None:
    text = json.dumps(summary.to_json())
    assert "PRIVATE KEY" not in text
    for rack in sandbox.info()["racks"]:
        assert rack["api_key"] not in text
    assert sandbox.info()["console"]["api_key"] not in text


def test_staging_with_safe_services_rolls_without_force(tmp_path: Path, with_aws: bool) -> None:
    with sandbox_workspace(tmp_path, aws=with_aws, stepped=True) as ws:
        sandbox = ws.sandbox
        scale_services(sandbox, "staging", 3)
        old_key, old_ids = _world_state(sandbox, "staging")
        seen = Recorder()

        # every instance list is read before the world moves on: each batch is seen
        with stepping(sandbox.world, fleet_polls("staging"), polled_by="the roll's fleet watch"):
            roll = InstanceKeyRoll(target(ws, "acme/staging"), "rack", options=STEPPED, emit=seen)
            summary = roll.run()

        assert summary.outcome is Outcome.SUCCEEDED, summary.messages
        new_key, new_ids = _world_state(sandbox, "staging")
        assert (summary.watched_with == "cloudformation") is with_aws
        assert new_key != old_key and new_key.startswith("staging-keypair-")
        assert len(new_ids) == len(old_ids) == 2 and not set(new_ids) & set(old_ids)
        # the rack route: the rack saved the new pair's private key as its instance key
        with sandbox.world.locked():
            assert sandbox.world.rack("staging").instance_key == (
                sandbox.world.key_pairs[new_key].private_key
            )
        assert not any("Downtime risk" in m for m in summary.messages)
        assert any(f"replaced by {new_key}" in m for m in summary.messages)
        last = seen.of(InstanceProgress)[-1]
        assert last.batches == 2 and last.batch == 2
        assert last.old_remaining == () and set(last.terminated) == set(old_ids)
        assert set(last.new_in_service) <= set(new_ids) and last.new_in_service
        counts = {(e.app, e.service) for e in seen.of(ServiceProcesses)}
        assert counts == {("web", "web"), ("api", "api")}
        phases = [e.phase.value for e in seen.of(PhaseChanged)]
        assert phases == [
            "preflight",
            "planned",
            "update-requested",
            "watching",
            "verifying",
        ]
        # issue 12, item 12: the JSON summary holds the ids and batches the dashboard shows
        data = summary.to_json()
        assert data["instances_before"] == old_ids
        assert sorted(data["instances_after"]) == sorted(new_ids)
        batches = data["batches"]
        assert [b["batch"] for b in batches] == [1, 2], batches
        assert all(b["batches"] == 2 for b in batches)
        assert set(batches[0]["old_remaining"]) <= set(old_ids)
        assert batches[-1]["old_remaining"] == [] and batches[-1]["new_in_service"]
        assert set(batches[-1]["terminated"]) == set(old_ids)
        assert set(batches[0]) == {
            "batch",
            "batches",
            "new_in_service",
            "old_remaining",
            "terminated",
        }
        record = journal_for(ws).get(summary.roll_id)
        assert record.outcome == "succeeded" and record.kind == "instance-key"
        assert [s.name for s in record.steps][-1] == "outcome"
        assert old_key in (record.steps[1].message or "")
        assert f"new key pair {new_key}" in record.messages
        _no_secret_in(summary, sandbox)


def test_production_forced_lists_the_risks_and_replaces_every_instance(
    tmp_path: Path, with_aws: bool
) -> None:
    with sandbox_workspace(tmp_path, aws=with_aws) as ws:
        sandbox = ws.sandbox
        old_key, old_ids = _world_state(sandbox, "production")
        seen = Recorder()

        roll = InstanceKeyRoll(
            target(ws, "acme/production"), "rack", force=True, options=FAST, emit=seen
        )
        summary = roll.run()

        assert summary.outcome is Outcome.SUCCEEDED, summary.messages
        risks = [m for m in summary.messages if m.startswith("Downtime risk")]
        assert len(risks) == 2
        assert "api/api runs 2 of 2" in risks[0] and "worker/worker runs 1 of 1" in risks[1]
        assert any("Going on despite 2 service(s)" in m for m in summary.messages)
        notes = [e.text for e in seen.of(Note)]
        assert all(r in notes for r in risks)
        new_key, new_ids = _world_state(sandbox, "production")
        assert new_key != old_key and len(new_ids) == 3 and not set(new_ids) & set(old_ids)
        progress = seen.of(InstanceProgress)
        assert progress[-1].batches == 3 and progress[-1].old_remaining == ()
        assert [p.batch for p in progress] == sorted(p.batch for p in progress)
        assert summary.probes > 0 and summary.watched_with in ("cloudformation", "rack-api")
        if aws_wired(ws):
            assert summary.watched_with == "cloudformation"
            assert any(e.logical_id == "Instances" for e in summary.events)
        _no_secret_in(summary, sandbox)


def test_production_without_force_is_refused_naming_each_risky_service(
    tmp_path: Path, with_aws: bool
) -> None:
    with sandbox_workspace(tmp_path, aws=with_aws) as ws:
        sandbox = ws.sandbox
        before = _world_state(sandbox, "production")
        pairs_before = set(sandbox.world.key_pairs)

        summary = InstanceKeyRoll(target(ws, "acme/production"), "rack", options=FAST).run()

        assert summary.outcome is Outcome.REFUSED
        refusal = summary.messages[-1]
        assert "api/api (2)" in refusal and "worker/worker (1)" in refusal
        assert "--force" in refusal and refusal.endswith(".")
        assert _world_state(sandbox, "production") == before
        assert set(sandbox.world.key_pairs) == pairs_before
        assert journal_for(ws).records() == []  # refused before anything was planned


def test_refused_while_the_stack_is_updating(tmp_path: Path, with_aws: bool) -> None:
    with sandbox_workspace(tmp_path, aws=with_aws) as ws:
        sandbox = ws.sandbox
        scale_services(sandbox, "staging", 3)
        sandbox.world.update_rack_parameters("staging", {"InstanceType": "t3.medium"})
        pairs_before = set(sandbox.world.key_pairs)
        key_before = _world_state(sandbox, "staging")[0]

        summary = InstanceKeyRoll(
            target(ws, "acme/staging"), "rack", force=True, options=FAST
        ).run()

        assert summary.outcome is Outcome.REFUSED
        assert "is updating" in summary.messages[-1] and "wait until" in summary.messages[-1]
        assert set(sandbox.world.key_pairs) == pairs_before
        assert _world_state(sandbox, "staging")[0] == key_before
        assert journal_for(ws).records() == []


def test_rollback_reports_the_ssh_key_mismatch_with_reasons_and_a_retry(
    tmp_path: Path, with_aws: bool
) -> None:
    with sandbox_workspace(tmp_path, scenario="rollback", aws=with_aws, stepped=True) as ws:
        sandbox = ws.sandbox
        old_key, _ = _world_state(sandbox, "production")

        # every instance list is read before the world moves on: the batches are seen
        with stepping(sandbox.world, fleet_polls("production"), polled_by="the fleet watch"):
            summary = InstanceKeyRoll(
                target(ws, "acme/production"), "rack", force=True, options=STEPPED
            ).run()

        assert summary.outcome is Outcome.ROLLED_BACK
        assert (summary.watched_with == "cloudformation") is with_aws
        assert SSH_KEY_MISMATCH in summary.messages
        assert any("keyroll roll instance-key acme/production" in m for m in summary.messages)
        if summary.watched_with == "cloudformation":
            assert summary.final_stack_status == "UPDATE_ROLLBACK_COMPLETE"
            assert any("Failed to receive" in r for r in summary.failure_reasons)
            assert any(m.startswith("CloudFormation's reasons:") for m in summary.messages)
        else:
            assert any("reasons need AWS access" in m for m in summary.messages)
        # the mismatch is real: Key is back to the old pair, the rack saved another one's key
        with sandbox.world.locked():
            rack = sandbox.world.rack("production")
            assert rack.stack.parameters["Key"] == old_key
            assert rack.instance_key != sandbox.world.key_pairs[old_key].private_key
        record = journal_for(ws).get(summary.roll_id)
        assert record.outcome == "rolled_back"
        data = summary.to_json()
        assert data["instances_before"] and data["batches"], data
        assert data["instances_after"], data  # the instances the rollback left running


def test_cloudformation_route_on_the_sandbox_stores_the_private_key_first(
    tmp_path: Path,
) -> None:
    with sandbox_workspace(tmp_path, aws=True) as ws:
        assert aws_wired(ws)
        sandbox = ws.sandbox
        roll_target = target(ws, "acme/production")
        keystore_file = roll_target.keystore.path
        checked: list[bool] = []

        def at_request(event: object) -> None:
            if isinstance(event, PhaseChanged) and event.phase.value == "update-requested":
                stored = json.loads(keystore_file.read_text())["private_keys"]
                name = roll.new_key_name
                with sandbox.world.locked():
                    live_key = sandbox.world.rack("production").stack.parameters["Key"]
                checked.append(name in stored.get("acme/production", {}) and live_key != name)

        roll = InstanceKeyRoll(
            roll_target, "cloudformation", force=True, options=FAST, emit=at_request
        )
        summary = roll.run()

        assert checked == [True]
        assert summary.outcome is Outcome.SUCCEEDED, summary.messages
        new_key, _ = _world_state(sandbox, "production")
        assert new_key == roll.new_key_name
        with sandbox.world.locked():
            saved = sandbox.world.key_pairs[new_key].private_key
            rack_key = sandbox.world.rack("production").instance_key
        held = roll_target.keystore.private_key("acme/production", new_key)
        assert held is not None and held.reveal() == saved.reveal()
        assert rack_key.reveal() != saved.reveal()  # this route leaves the rack's saved key
        assert any("does not change" in w for w in summary.warnings)


def test_an_unknown_route_is_bad_input(tmp_path: Path) -> None:
    with sandbox_workspace(tmp_path) as ws, pytest.raises(BadInputError) as caught:
        InstanceKeyRoll(target(ws, "acme/staging"), "console", options=FAST)
    assert "rack or cloudformation" in str(caught.value)
