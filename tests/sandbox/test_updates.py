"""Stack updates on the sandbox clock, driven through the Rack API and read as CloudFormation."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.sandbox.conftest import events, rack_client, rack_key, stack_status, wait_until
from tests.stepping import step_until
from tui.base.key_rules import generate_rack_key
from tui.sandbox.runtime import Sandbox

ROOT_OK = ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE"]
ROOT_ROLLBACK = [
    "UPDATE_IN_PROGRESS",
    "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE",
]


def _update_events(sandbox: Sandbox, before: int) -> list[dict[str, object]]:
    return events(sandbox)[before:]


def _root(evts: list[dict[str, object]]) -> list[object]:
    return [e["ResourceStatus"] for e in evts if e["LogicalResourceId"] == "production"]


def test_instance_keyroll_replaces_every_instance_batch_by_batch(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(stepped=True)
    before = len(events(sandbox))
    with rack_client(sandbox) as client:
        old_ids = {i["id"] for i in client.get("/instances").json()}
        old_key = client.get("/system").json()["parameters"]["Key"]
        reply = client.post("/instances/keyroll")
        assert (reply.status_code, reply.text) == (200, "ok\n")
        seen = {client.get("/system").json()["status"]}
        step_until(sandbox.world, lambda: stack_status(sandbox) == "UPDATE_COMPLETE")
        system = client.get("/system").json()
        new_ids = {i["id"] for i in client.get("/instances").json()}
    assert "updating" in seen and system["status"] == "running"
    assert system["parameters"]["Key"] != old_key
    assert system["parameters"]["Key"] in sandbox.world.key_pairs
    assert len(new_ids) == 3 and not new_ids & old_ids
    evts = _update_events(sandbox, before)
    assert _root(evts) == ROOT_OK
    assert evts[0]["ResourceStatusReason"] == "User Initiated"
    reasons = [
        str(e.get("ResourceStatusReason", ""))
        for e in evts
        if e["LogicalResourceId"] == "Instances"
    ]
    assert reasons[1].startswith("Rolling update initiated. Terminating 3 obsolete instance(s) in ")
    assert "Temporarily setting autoscaling group MinSize and DesiredCapacity to 4." in reasons
    assert sum(r.startswith("Received SUCCESS signal with UniqueId i-") for r in reasons) == 3
    progress = [r.rsplit("(", 1)[1] for r in reasons if r.startswith("Successfully terminated")]
    assert progress == ["Progress 33%).", "Progress 67%).", "Progress 100%)."]
    order = [e["LogicalResourceId"] for e in evts if e["ResourceStatus"] == "UPDATE_COMPLETE"]
    assert order.index("InstancesLaunchTemplate") < order.index("Instances")
    assert order.index("Instances") < order.index("ApiWebTasks") < order.index("ServiceWebApi")
    stamps = [e["Timestamp"] for e in evts]
    assert stamps == sorted(stamps)
    assert all(len(str(e["EventId"])) == 36 for e in evts)
    # the settings bucket's instance key is the new pair's private key
    rack = sandbox.world.rack("production")
    pair = sandbox.world.key_pairs[system["parameters"]["Key"]]
    assert rack.instance_key == pair.private_key
    assert pair.private_key.reveal().startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert len(pair.fingerprint.split(":")) == 20


def test_keyroll_takes_about_a_minute_at_speed_one(sandbox: Sandbox) -> None:
    world = sandbox.world
    world.instance_keyroll("production")
    update = world.rack("production").update
    assert update is not None
    seconds = (update.ends_at - update.steps[0].at).total_seconds()
    assert 50 <= seconds <= 75


def test_slow_scenario_triples_an_update(make_sandbox: Callable[..., Sandbox]) -> None:
    world = make_sandbox(scenario="slow", speed=1).world
    world.update_rack_parameters("production", {"Password": generate_rack_key()})
    update = world.rack("production").update
    assert update is not None
    assert 60 <= (update.ends_at - update.steps[0].at).total_seconds() <= 90


def test_a_service_with_one_process_is_briefly_down(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(stepped=True)  # every state is read before time moves on
    statuses: set[str] = set()
    min_running = {"web": 3, "worker": 1}
    with rack_client(sandbox) as client:
        client.post("/instances/keyroll")

        def rested() -> bool:
            for app in ("web", "worker"):
                procs = client.get(f"/apps/{app}/processes").json()
                running = sum(p["status"] == "running" for p in procs)
                min_running[app] = min(min_running[app], running)
                statuses.update(p["status"] for p in procs)
            return stack_status(sandbox) == "UPDATE_COMPLETE"

        step_until(sandbox.world, rested, what="the keyroll's end")
    assert min_running["worker"] == 0  # its only process moved: an outage
    assert min_running["web"] >= 2  # three spread processes: never down
    assert "pending" in statuses


def test_password_roll_old_key_works_until_the_api_service_is_replaced(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sandbox = make_sandbox(stepped=True)  # every state is sampled before time moves on
    old = rack_key(sandbox)
    new = generate_rack_key().reveal()
    before = len(events(sandbox))
    timeline: list[tuple[int, int, str]] = []
    with rack_client(sandbox, key=old) as by_old, rack_client(sandbox, key=new) as by_new:
        reply = by_old.put("/system", data={"parameters": f"Password={new}"})
        assert (reply.status_code, reply.text) == (200, "ok\n")

        def rested() -> bool:
            if stack_status(sandbox) == "UPDATE_COMPLETE":
                return True
            api = sandbox.world.cloud.describe_stack_resources("production", "ServiceWebApi")
            service = api[0]["ResourceStatus"]
            timeline.append(
                (by_old.get("/auth").status_code, by_new.get("/auth").status_code, service)
            )
            return False

        step_until(sandbox.world, rested, what="the password update's end")
        # the last sample, after the update
        timeline.append((by_old.get("/auth").status_code, by_new.get("/auth").status_code, ""))
        assert timeline[-1][:2] == (401, 200)
        assert by_new.get("/system").json()["parameters"]["Password"] == "****"
    olds = [o for o, _, _ in timeline]
    assert olds[0] == 200 and 401 in olds
    assert olds == sorted(olds)  # accepted, then refused: never back
    # Exactly one key works at any moment; the two requests of one sample may straddle the
    # switch (old accepted, then new accepted), which can happen once at most.
    straddles = [(o, n) for o, n, _ in timeline if (o, n) == (200, 200)]
    assert len(straddles) <= 1
    assert all((o, n) in {(200, 401), (401, 200), (200, 200)} for o, n, _ in timeline)
    assert any(o == 200 and s == "UPDATE_IN_PROGRESS" for o, _, s in timeline)
    evts = _update_events(sandbox, before)
    assert _root(evts) == ROOT_OK
    touched = {e["LogicalResourceId"] for e in evts} - {"production"}
    assert touched == {"RackApiSecret", "ApiMonitorTasks", "ServiceWebApi"}
    assert new not in str(evts) and new not in str(sandbox.world.cloud.describe_stacks())
    assert 20 <= (evts[-1]["Timestamp"] - evts[0]["Timestamp"]).total_seconds() <= 30  # type: ignore[operator]


def test_old_key_lingers_scenario(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(scenario="old-key-lingers")
    old, new = rack_key(sandbox), generate_rack_key().reveal()
    with rack_client(sandbox, key=old) as by_old, rack_client(sandbox, key=new) as by_new:
        by_old.put("/system", data={"parameters": f"Password={new}"})
        wait_until(lambda: stack_status(sandbox) == "UPDATE_COMPLETE")
        assert by_new.get("/auth").status_code == 200
        assert by_old.get("/auth").status_code == 200


def test_keyroll_rollback(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(scenario="rollback", stepped=True)  # every status is read
    before = len(events(sandbox))
    rack = sandbox.world.rack("production")
    with rack_client(sandbox) as client:
        old_key = client.get("/system").json()["parameters"]["Key"]
        version = rack.launch_template_version
        client.post("/instances/keyroll")
        seen = set()

        def rested() -> bool:
            if stack_status(sandbox) == "UPDATE_ROLLBACK_COMPLETE":
                return True
            seen.add(client.get("/system").json()["status"])
            return False

        step_until(sandbox.world, rested, what="the rollback's end")
        system = client.get("/system").json()
        instances = client.get("/instances").json()
    assert "rollback" in seen and system["status"] == "running"
    assert system["parameters"]["Key"] == old_key
    evts = _update_events(sandbox, before)
    assert _root(evts) == ROOT_ROLLBACK
    failed = [e for e in evts if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert [e["LogicalResourceId"] for e in failed] == ["Instances"]
    assert failed[0]["ResourceStatusReason"] == (
        "Failed to receive 1 resource signal(s) for the current batch. Each resource signal "
        "timeout is counted as a FAILURE."
    )
    rollback = next(e for e in evts if e["ResourceStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS")
    assert (
        rollback["ResourceStatusReason"]
        == "The following resource(s) failed to update: [Instances]. "
    )
    # one batch succeeded before the failure: it was replaced back; all run the old key
    assert len(instances) == 3
    assert rack.launch_template_version == version
    assert {i.key_name for i in rack.live_instances()} == {old_key}
    # like the real rack, the saved instance key is the new pair's: the SSH key mismatch
    assert rack.instance_key != sandbox.world.key_pairs[old_key].private_key


def test_password_rollback_keeps_the_old_key(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(scenario="rollback")
    old, new = rack_key(sandbox), generate_rack_key().reveal()
    before = len(events(sandbox))
    with rack_client(sandbox, key=old) as by_old, rack_client(sandbox, key=new) as by_new:
        by_old.put("/system", data={"parameters": f"Password={new}"})
        wait_until(lambda: stack_status(sandbox) == "UPDATE_ROLLBACK_COMPLETE")
        assert by_old.get("/auth").status_code == 200
        assert by_new.get("/auth").status_code == 401
    evts = _update_events(sandbox, before)
    assert _root(evts) == ROOT_ROLLBACK
    failed = [e["LogicalResourceId"] for e in evts if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert failed == ["ServiceWebApi"]
    assert sandbox.world.rack("production").stack.password.reveal() == old


def test_concurrent_update_and_no_op_errors(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(stepped=True)  # the first keyroll's update stays in progress
    arn = sandbox.world.rack("production").stack.stack_id
    with rack_client(sandbox) as client:
        same = client.put("/system", data={"parameters": "InstanceType=t3.small"})
        assert same.status_code == 500
        assert same.text.startswith("ValidationError: No updates are to be performed.")
        unknown = client.put("/system", data={"parameters": "Nope=1"})
        assert unknown.status_code == 500
        assert "Parameters: [Nope] do not exist in the template" in unknown.text
        assert client.post("/instances/keyroll").status_code == 200
        key_after_first = sandbox.world.rack("production").instance_key
        second = client.post("/instances/keyroll")
        assert second.status_code == 500
        assert (
            f"ValidationError: Stack:{arn} is in UPDATE_IN_PROGRESS state and can not be updated."
            in second.text
        )
        # the rack saved the second key pair anyway: it does not undo on failure
        assert sandbox.world.rack("production").instance_key != key_after_first
        assert len([k for k in sandbox.world.key_pairs if k.startswith("production-")]) == 3


def test_update_stack_without_previous_values_resets_to_defaults(sandbox: Sandbox) -> None:
    cloud = sandbox.world.cloud
    with pytest.raises(Exception, match=r"Parameters: \[Password, Version\] must have values"):
        cloud.update_stack(
            "production",
            [{"ParameterKey": "Key", "ParameterValue": "x"}],
            capabilities=["CAPABILITY_IAM"],
        )
    with pytest.raises(Exception, match="Requires capabilities"):
        cloud.update_stack("production", [{"ParameterKey": "Key", "ParameterValue": "x"}])
    params = [
        {"ParameterKey": k, "UsePreviousValue": True} for k in ("Password", "Version", "Key")
    ] + [{"ParameterKey": "InstanceType", "ParameterValue": "t3.medium"}]
    stack_id = cloud.update_stack(
        "production", params, client_request_token="tok-1", capabilities=["CAPABILITY_IAM"]
    )
    # a retry with the same token is the same request
    assert cloud.update_stack("production", params, client_request_token="tok-1") == stack_id
    wait_until(lambda: stack_status(sandbox) == "UPDATE_COMPLETE")
    shown = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in cloud.describe_stacks("production")[0]["Parameters"]
    }
    assert shown["InstanceType"] == "t3.medium"
    assert shown["InstanceCount"] == "3" and shown["Password"] == "****"
    evts = events(sandbox)
    mine = [e for e in evts if e.get("ClientRequestToken") == "tok-1"]
    assert mine and mine[0]["ResourceStatus"] == "UPDATE_IN_PROGRESS"
    assert sandbox.world.requests["UpdateStack"] == 4


def test_history_paging_and_request_counts(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(history_events={"production": 5000})
    cloud = sandbox.world.cloud
    first, token = cloud.describe_stack_events("production")
    assert len(first) == 100 and token is not None
    total = len(events(sandbox))
    assert total > 5000
    assert sandbox.world.requests["DescribeStackEvents"] == 1 + -(-total // 100)
    stamps = [e["Timestamp"] for e in first]
    assert stamps == sorted(stamps, reverse=True)
    # a new event does not shift pages already handed out
    sandbox.world.update_rack_parameters("production", {"Password": generate_rack_key()})
    second, _ = cloud.describe_stack_events("production", token)
    assert second[0]["Timestamp"] <= first[-1]["Timestamp"]
    assert {e["EventId"] for e in second}.isdisjoint({e["EventId"] for e in first})
    newest, _ = cloud.describe_stack_events("production")
    assert newest[0]["ResourceStatusReason"] == "User Initiated"


def test_aws_shaped_reads(sandbox: Sandbox) -> None:
    cloud = sandbox.world.cloud
    stack = cloud.describe_stacks("production")[0]
    assert stack["Capabilities"] == ["CAPABILITY_IAM"]
    assert stack["StackId"].startswith("arn:aws:cloudformation:us-east-1:")
    outputs = {o["OutputKey"] for o in stack["Outputs"]}
    assert {"RackDomain", "Dashboard"} <= outputs
    resources = {r["LogicalResourceId"]: r for r in cloud.describe_stack_resources("production")}
    assert resources["Instances"]["ResourceType"] == "AWS::AutoScaling::AutoScalingGroup"
    assert resources["RackApiSecret"]["PhysicalResourceId"] == "productionRackApiSecret"
    groups = cloud.describe_auto_scaling_groups([resources["Instances"]["PhysicalResourceId"]])
    assert [i["LifecycleState"] for i in groups[0]["Instances"]] == ["InService"] * 3
    ec2 = cloud.describe_instances(rack="production")
    assert {i["State"]["Name"] for i in ec2} == {"running"}
    pairs = cloud.describe_key_pairs()
    assert sorted(p["KeyName"].split("-keypair-")[0] for p in pairs) == [
        "dev",
        "production",
        "staging",
    ]
    made = cloud.create_key_pair("extra")
    assert made["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    cloud.delete_key_pair("extra")
    with pytest.raises(Exception, match="does not exist"):
        cloud.describe_key_pairs(["extra"])
