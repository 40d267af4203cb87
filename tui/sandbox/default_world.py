"""The sandbox's default world: organization `acme` with two Console racks, and `dev`.

`acme/production` is HA with 3 instances and services of 3, 2, 1 and 3 processes (so the
"fewer than 3 processes" pre-flight has something to find); `acme/staging` is smaller and
not HA; `dev` is self-managed (not in the Console). Every key is random per start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tui.base.key_rules import generate_rack_key
from tui.sandbox.fleet import Ec2Instance
from tui.sandbox.instance_lifecycle import ZONES
from tui.sandbox.rack import Rack
from tui.sandbox.rack_template import TEMPLATE_DEFAULTS, VERSION
from tui.sandbox.stack import Stack, StackEvent, StackResource
from tui.sandbox.workloads import App, Process, Service
from tui.sandbox.world import ConsoleAccount, World, WorldOptions

ACCOUNT_EMAIL = "ops@acme.test"
ORGANIZATION = "acme"
REGION = "us-east-1"
LAUNCH_TEMPLATE_VERSION = 4


@dataclass(frozen=True)
class RackSpec:
    """What makes one default rack different from another."""

    name: str
    organization: str
    high_availability: bool
    instances: int
    apps: tuple[tuple[str, str, int], ...]  # (app, service, desired count)
    age_days: int


DEFAULT_RACKS = (
    RackSpec(
        "production",
        ORGANIZATION,
        True,
        3,
        (("web", "web", 3), ("api", "api", 2), ("worker", "worker", 1), ("docs", "web", 3)),
        412,
    ),
    RackSpec("staging", ORGANIZATION, False, 2, (("web", "web", 1), ("api", "api", 1)), 230),
    RackSpec("dev", "", False, 1, (("myapp", "web", 1),), 35),
)


def build_default_world(options: WorldOptions | None = None) -> World:
    """A new world with `acme/production`, `acme/staging` and the self-managed `dev`."""
    world = World(options)
    world.console = ConsoleAccount(ACCOUNT_EMAIL, ORGANIZATION, generate_rack_key())
    for spec in DEFAULT_RACKS:
        rack = build_rack(world, spec)
        world.add_rack(rack)
        if spec.organization:
            world.console.rack_keys[rack.full_name] = rack.api_keys[0]
    return world


def _resources(world: World, name: str, at: datetime) -> list[StackResource]:
    ids, acct = world.ids, world.account_id
    cluster = f"{name}-Cluster-{ids.alnum(12)}"
    ecs = f"arn:aws:ecs:{REGION}:{acct}"
    elb = f"arn:aws:elasticloadbalancing:{REGION}:{acct}"
    asg, hook = "AWS::AutoScaling::AutoScalingGroup", "AWS::AutoScaling::LifecycleHook"
    lt, task = "AWS::EC2::LaunchTemplate", "AWS::ECS::TaskDefinition"
    lb, api = "AWS::ElasticLoadBalancingV2::", f"app/{name}-api/{ids.hex(16)}"

    def cfn(logical: str) -> str:  # CloudFormation's generated physical names
        return f"{name}-{logical}-{ids.alnum(13)}"

    table = [
        ("Vpc", "AWS::EC2::VPC", "vpc-" + ids.hex(17)),
        ("CloudformationTopic", "AWS::SNS::Topic", f"arn:aws:sns:{REGION}:{acct}:{name}-events"),
        ("Settings", "AWS::S3::Bucket", f"{name}-settings-{ids.alnum(12).lower()}"),
        ("LogGroup", "AWS::Logs::LogGroup", cfn("LogGroup")),
        ("Cluster", "AWS::ECS::Cluster", cluster),
        ("RackApiSecret", "AWS::SSM::Parameter", f"{name}RackApiSecret"),
        ("InstancesLaunchTemplate", lt, "lt-" + ids.hex(17)),
        ("SpotInstanceLaunchTemplate", lt, "lt-" + ids.hex(17)),
        ("BuildLaunchTemplate", lt, "lt-" + ids.hex(17)),
        ("Instances", asg, cfn("Instances")),
        ("SpotInstances", asg, cfn("SpotInstances")),
        ("BuildInstances", asg, cfn("BuildInstances")),
        ("InstancesLifecycleLaunching", hook, cfn("InstancesLifecycleLaunching")),
        ("InstancesLifecycleTerminating", hook, cfn("InstancesLifecycleTerminating")),
        ("ApiBalancer", lb + "LoadBalancer", f"{elb}:loadbalancer/{api}"),
        (
            "ApiBalancerTargetGroup",
            lb + "TargetGroup",
            f"{elb}:targetgroup/{name}-api/{ids.hex(16)}",
        ),
        ("ApiBalancerListener443", lb + "Listener", f"{elb}:listener/{api}/{ids.hex(16)}"),
        (
            "ApiBalancerCertificate",
            "AWS::CertificateManager::Certificate",
            f"arn:aws:acm:{REGION}:{acct}:certificate/{ids.uuid()}",
        ),
        ("ApiWebTasks", task, f"{ecs}:task-definition/{name}-web:{ids.rng.randint(20, 60)}"),
        (
            "ApiMonitorTasks",
            task,
            f"{ecs}:task-definition/{name}-monitor:{ids.rng.randint(20, 60)}",
        ),
        ("ServiceWebApi", "AWS::ECS::Service", f"{ecs}:service/{cluster}/{cfn('ServiceWebApi')}"),
    ]
    return [
        StackResource(logical, physical, kind, "CREATE_COMPLETE", at)
        for logical, kind, physical in table
    ]


def _creation_events(world: World, stack: Stack) -> list[StackEvent]:
    """The events of the stack's creation, long ago."""
    events = []
    at = stack.created

    def add(logical: str, physical: str, kind: str, status: str, reason: str = "") -> None:
        nonlocal at
        at += timedelta(seconds=7)
        events.append(
            StackEvent(
                world.ids.uuid(),
                stack.stack_id,
                stack.name,
                logical,
                physical,
                kind,
                at,
                status,
                reason,
            )
        )

    root = (stack.name, stack.stack_id, "AWS::CloudFormation::Stack")
    add(*root, "CREATE_IN_PROGRESS", "User Initiated")
    for res in stack.resources.values():
        add(res.logical_id, "", res.resource_type, "CREATE_IN_PROGRESS")
        add(
            res.logical_id,
            res.physical_id,
            res.resource_type,
            "CREATE_IN_PROGRESS",
            "Resource creation Initiated",
        )
        add(res.logical_id, res.physical_id, res.resource_type, "CREATE_COMPLETE")
        res.timestamp = at
    add(*root, "CREATE_COMPLETE")
    return events


def build_rack(world: World, spec: RackSpec) -> Rack:
    """A rack as `spec` describes it, created `age_days` ago, every resource in place."""
    ids, start = world.ids, world.clock.start
    name = spec.name
    created = start - timedelta(days=spec.age_days, hours=ids.rng.randint(1, 20))
    stack_id = f"arn:aws:cloudformation:{REGION}:{world.account_id}:stack/{name}/{ids.uuid()}"
    rack_domain = f"rack.{name}-{ids.hex(8)}.{REGION}.convox.site"
    elb_id = f"{ids.alnum(12).lower()}-{ids.rng.randint(10**9, 10**10 - 1)}"
    router = f"{name}-router-{elb_id}.{REGION}.elb.amazonaws.com"
    key_suffix = ids.key_pair_suffix()
    key_name = f"{name}-keypair-{key_suffix}"
    api_key = generate_rack_key()
    params = {k: v for k, v in TEMPLATE_DEFAULTS.items() if v is not None}
    params.update(
        {
            "ApiCount": "2" if spec.high_availability else "1",
            "ClientId": ACCOUNT_EMAIL,
            "HighAvailability": "true" if spec.high_availability else "false",
            "InstanceCount": str(spec.instances),
            "NoHaInstanceCount": str(spec.instances),
            "OnDemandMinCount": str(spec.instances),
            "Key": key_name,
            "Version": VERSION,
        }
    )
    params.pop("Password", None)
    stack = Stack(
        name=name,
        stack_id=stack_id,
        status="CREATE_COMPLETE",
        created=created,
        parameters=params,
        password=api_key,
        outputs={},
        tags={"Name": name, "Rack": name, "System": "convox", "Type": "rack"},
        notification_arns=[],
    )
    for res in _resources(world, name, created):
        stack.resources[res.logical_id] = res
    stack.notification_arns = [stack.resources["CloudformationTopic"].physical_id]
    stack.outputs = {
        "Cluster": stack.resources["Cluster"].physical_id,
        "Dashboard": rack_domain,
        "Domain": router,
        "RackDomain": rack_domain,
        "Settings": stack.resources["Settings"].physical_id,
        "Version": VERSION,
        "Vpc": stack.resources["Vpc"].physical_id,
    }
    stack.events = _creation_events(world, stack)
    rack = Rack(
        name=name,
        organization=spec.organization,
        stack=stack,
        region=REGION,
        router_domain=router,
        rack_domain=rack_domain,
        account_id=world.account_id,
        launch_template_id=stack.resources["InstancesLaunchTemplate"].physical_id,
        launch_template_version=LAUNCH_TEMPLATE_VERSION,
        api_keys=[api_key],
    )
    pair = world.create_key_pair(key_name, rack=name)
    pair.created = created
    rack.instance_key = pair.private_key
    booted = start - timedelta(days=ids.rng.randint(3, 20))
    for n in range(spec.instances):
        rack.instances.append(
            Ec2Instance(
                instance_id=ids.instance_id(),
                private_ip=ids.private_ip(),
                launched=booted + timedelta(seconds=40 * n),
                launch_template_version=LAUNCH_TEMPLATE_VERSION,
                key_name=key_name,
                instance_type=params["InstanceType"],
                availability_zone=ZONES[n % len(ZONES)],
                lifecycle="InService",
                ec2_state="running",
                ecs_status="ACTIVE",
                agent_connected=True,
                cpu=round(ids.rng.uniform(0.1, 0.6), 2),
                memory=round(ids.rng.uniform(0.2, 0.7), 2),
            )
        )
    _place_workloads(world, rack, spec, booted)
    return rack


def _place_workloads(world: World, rack: Rack, spec: RackSpec, booted: datetime) -> None:
    ids, acct = world.ids, world.account_id
    hosts = rack.instances
    started = booted + timedelta(minutes=3)
    for offset, (app_name, service_name, count) in enumerate(spec.apps):
        release = "R" + ids.alnum(10)
        build = "B" + ids.alnum(10)
        app = rack.app(app_name)
        if app is None:
            app = App(
                app_name, release, [], {"Internal": "No", "LogRetention": "7", "RackUrl": "No"}
            )
            rack.apps.append(app)
        app.services.append(Service(service_name, count))
        repo = (
            f"{acct}.dkr.ecr.{REGION}.amazonaws.com/{rack.name}-{app_name}-{ids.alnum(6).lower()}"
        )
        family = (
            f"arn:aws:ecs:{REGION}:{acct}:task-definition/{rack.name}-{app_name}-{service_name}"
        )
        revision = ids.rng.randint(3, 40)
        for n in range(count):
            host = hosts[(offset + n) % len(hosts)]
            rack.processes.append(
                Process(
                    task_id=ids.task_id(),
                    app=app_name,
                    service=service_name,
                    release=app.release,
                    instance_id=host.instance_id,
                    started=started,
                    running_at=started,
                    image=f"{repo}:{service_name}.{build}",
                    task_definition=f"{family}:{revision}",
                    host_port=ids.rng.randint(32768, 60999),
                    container_port=3000,
                    command="bin/worker" if service_name == "worker" else "",
                    cpu=round(ids.rng.uniform(0.01, 0.3), 2),
                    memory=round(ids.rng.uniform(0.1, 0.5), 2),
                )
            )
    web_tasks = rack.stack.resources["ApiWebTasks"].physical_id
    monitor_tasks = rack.stack.resources["ApiMonitorTasks"].physical_id
    system = [("web", web_tasks)] * int(rack.stack.parameters["ApiCount"]) + [
        ("monitor", monitor_tasks)
    ]
    for n, (service, definition) in enumerate(system):
        rack.system_processes.append(
            Process(
                task_id=ids.task_id(),
                app=rack.name,
                service=service,
                release=VERSION,
                instance_id=hosts[n % len(hosts)].instance_id,
                started=started,
                running_at=started,
                image=f"convox/rack:{VERSION}",
                task_definition=definition,
                host_port=ids.rng.randint(32768, 60999),
                container_port=5443 if service == "web" else 0,
                command="api" if service == "web" else "monitor",
                system=True,
            )
        )
