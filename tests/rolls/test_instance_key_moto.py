"""The `cloudformation` route against moto's server: the private key is stored before UpdateStack.

The rack's own API is a closed loopback port here (the reason to take this route), so the
roll works from AWS alone. moto completes an update at once without replacing instances,
so the roll must not claim success: it reports the instances that kept the old key.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.aws_support import aws_env, moto_target, moto_url, rack_template
from tests.rolls.instance_key_support import FAST
from tui.base.secret import Secret
from tui.clients import aws
from tui.core.inventory import VIA_DIRECT, Inventory, RackEntry
from tui.core.journal import Journal
from tui.core.keystore import Keystore
from tui.core.rolls.events import Outcome, Phase, PhaseChanged, RollEvent
from tui.core.rolls.instance_key import InstanceKeyRoll
from tui.core.rolls.target import RollTarget
from tui.core.settings import Settings

__all__ = ["aws_env", "moto_url"]  # fixtures, used by name

TEMPLATE = rack_template(
    {
        "Password": {"Type": "String", "NoEcho": True},
        "Key": {"Type": "String", "Default": ""},
        "InstanceUpdateBatchSize": {"Type": "Number", "Default": "1"},
    },
    desired=2,
    max_size=4,
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _target(tmp_path: Path, name: str, aws_target: aws.AwsTarget) -> RollTarget:
    host = f"127.0.0.1:{_closed_port()}"
    entry = RackEntry(name=name, via=VIA_DIRECT, host=host, sources=("keyroll",), aws=aws_target)
    keystore = Keystore(tmp_path / "data" / "keystore.json")
    keystore.set_current(host, Secret("RackKey0123456789abcdefghijklmnopqrstuv"))
    return RollTarget(
        rack=entry,
        inventory=Inventory(racks=[entry]),
        keystore=keystore,
        journal=Journal(tmp_path / "rolls", keystore),
        settings=Settings(),
        locks_dir=tmp_path / "locks",
    )


@pytest.fixture
def moto_rack(aws_env: Path, moto_url: str) -> tuple[str, aws.AwsTarget]:
    """A fresh rack stack in moto (Key `<name>-keypair-1000`, an Instances group of two)."""
    target = moto_target(aws_env, moto_url)
    name = f"rack{uuid.uuid4().hex[:8]}"
    aws.client_for(target, "ec2").create_key_pair(KeyName=f"{name}-keypair-1000")
    aws.client_for(target, "cloudformation").create_stack(
        StackName=name,
        TemplateBody=json.dumps(TEMPLATE),
        Parameters=[
            {"ParameterKey": "Password", "ParameterValue": "x" * 40},
            {"ParameterKey": "Key", "ParameterValue": f"{name}-keypair-1000"},
            {"ParameterKey": "InstanceUpdateBatchSize", "ParameterValue": "1"},
        ],
    )
    return name, target


def test_private_key_and_journal_are_written_before_the_key_parameter_changes(
    tmp_path: Path, moto_rack: tuple[str, aws.AwsTarget]
) -> None:
    name, aws_target = moto_rack
    target = _target(tmp_path, name, aws_target)
    old_ids = {i.instance_id for i in aws.rack_instances(aws_target, name)}
    at_request: dict[str, Any] = {}

    def emit(event: RollEvent) -> None:
        if isinstance(event, PhaseChanged) and event.phase is Phase.UPDATE_REQUESTED:
            at_request["keystore"] = json.loads(target.keystore.path.read_text())
            at_request["journal"] = json.loads(
                (tmp_path / "rolls" / f"{roll.roll_id}.json").read_text()
            )
            at_request["key"] = aws.describe_stack(aws_target, name).parameters["Key"]

    options = dataclasses.replace(FAST, verify_s=0.5)
    roll = InstanceKeyRoll(target, "cloudformation", force=True, options=options, emit=emit)
    summary = roll.run()

    new = roll.new_key_name
    assert new.startswith(f"{name}-keypair-") and new != f"{name}-keypair-1000"
    # before UpdateStack: the private key on disk, the journal's key-stored step, old Key live
    stored = at_request["keystore"]["private_keys"][name][new]["key"]
    assert "PRIVATE KEY" in stored
    steps = [s["step"] for s in at_request["journal"]["steps"]]
    assert steps == ["planned", "key-stored", "update-requested"]
    assert at_request["journal"]["new_key"] == Secret(stored).fingerprint()
    assert at_request["key"] == f"{name}-keypair-1000"
    # after: the stack names the new pair and the keystore still holds its private key
    assert aws.describe_stack(aws_target, name).parameters["Key"] == new
    assert new in {k.name for k in aws.list_key_pairs(aws_target, f"{name}-keypair-")}
    held = target.keystore.private_key(name, new)
    assert held is not None and held.reveal() == stored
    # moto replaced no instance: the roll says so instead of claiming success
    assert summary.outcome is Outcome.FAILED
    assert summary.watched_with == "cloudformation"
    assert "still run" in summary.messages[-1]
    assert all(i in summary.messages[-1] for i in old_ids)
    assert any("were not checked for downtime risk" in w for w in summary.warnings)
    assert stored not in json.dumps(summary.to_json())


def test_without_force_an_unreachable_rack_api_refuses_the_route(
    tmp_path: Path, moto_rack: tuple[str, aws.AwsTarget]
) -> None:
    name, aws_target = moto_rack
    target = _target(tmp_path, name, aws_target)

    summary = InstanceKeyRoll(target, "cloudformation", options=FAST).run()

    assert summary.outcome is Outcome.REFUSED
    assert "cannot check" in summary.messages[-1] and "--force" in summary.messages[-1]
    assert aws.describe_stack(aws_target, name).parameters["Key"] == f"{name}-keypair-1000"
    assert target.keystore.private_key_names(name) == []


def test_without_aws_access_the_route_is_refused_in_one_sentence(
    tmp_path: Path, aws_env: Path, moto_url: str
) -> None:
    empty = aws_env / "empty-credentials"
    empty.write_text("")
    no_access = aws.AwsTarget(
        region="us-east-1", endpoint_url=moto_url, credentials_file=str(empty)
    )
    target = _target(tmp_path, "rack-without-access", no_access)

    summary = InstanceKeyRoll(target, "cloudformation", force=True, options=FAST).run()

    assert summary.outcome is Outcome.REFUSED
    message = summary.messages[-1]
    assert message.startswith("The cloudformation route needs AWS access to stack")
    assert message.endswith(".") and "Traceback" not in message


class Stopped(BaseException):
    """Stands in for the process dying right after a journal step."""


@pytest.mark.parametrize("answer", [True, False])
def test_resume_after_key_stored_asks_before_requesting_the_update(
    tmp_path: Path, moto_rack: tuple[str, aws.AwsTarget], answer: bool
) -> None:
    name, aws_target = moto_rack
    target = _target(tmp_path, name, aws_target)

    def stop(event: RollEvent) -> None:
        if isinstance(event, PhaseChanged) and event.phase is Phase.KEY_STORED:
            raise Stopped

    first = InstanceKeyRoll(target, "cloudformation", force=True, options=FAST, emit=stop)
    with pytest.raises(Stopped):
        first.run()
    (record,) = target.journal.unfinished()
    new = first.new_key_name
    assert record.last_step == "key-stored" and target.keystore.private_key(name, new)
    asked: list[str] = []

    def confirm(question: str) -> bool:
        asked.append(question)
        return answer

    options = dataclasses.replace(FAST, verify_s=0.3)
    resumed = InstanceKeyRoll(target, "cloudformation", options=options)
    summary = resumed.run_resumed(record, confirm)

    assert len(asked) == 1 and new in asked[0] and "Request it now?" in asked[0]
    key_now = aws.describe_stack(aws_target, name).parameters["Key"]
    if answer:
        assert key_now == new
        assert summary.outcome is Outcome.FAILED  # moto replaces no instance (see above)
        assert "still run" in summary.messages[-1]
    else:
        assert key_now == f"{name}-keypair-1000"
        assert summary.outcome is Outcome.FAILED and "Abandoned" in summary.messages[-1]
    held = target.keystore.private_key(name, new)  # no key is ever lost
    assert held is not None and held.fingerprint() == record.new_key
    assert target.journal.get(record.roll_id).outcome == "failed"
