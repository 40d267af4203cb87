"""AWS test scaffolding: no real AWS settings reach a test, and moto's server on loopback.

Import the fixtures (`aws_env`, `moto_url`) into the test module or conftest that uses them;
`scrub_aws_env` does the same as `aws_env` where a fixture already has the monkeypatch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tui.clients.aws_session import AwsTarget, forget_clients

# Every setting through which real AWS credentials, a profile or a region could reach botocore.
AWS_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_SHARED_CREDENTIALS_FILE",
)
MOTO_REGION = "us-east-1"


def scrub_aws_env(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    """Unset `AWS_ENV`, point the config and shared credentials files at missing files in
    `directory`, keep botocore off instance metadata (169.254.*) and drop cached clients."""
    for name in AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(directory / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(directory / "no-aws-credentials"))
    forget_clients()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No real AWS settings reach a test (`scrub_aws_env` on tmp_path); returns tmp_path."""
    scrub_aws_env(monkeypatch, tmp_path)
    return tmp_path


def write_credentials(path: Path) -> str:
    """A shared credentials file with fake keys, 0600 like the real one."""
    path.write_text("[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    path.chmod(0o600)
    return str(path)


@contextmanager
def running_moto() -> Iterator[str]:
    """moto's server on a free loopback port while the block runs; yields its URL.

    moto keeps its state per process, not per server: tests give their stacks unique names.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's server for one test module."""
    with running_moto() as url:
        yield url


def moto_target(directory: Path, url: str) -> AwsTarget:
    """An `AwsTarget` on moto's server at `url`, with a fake credentials file in `directory`."""
    credentials = write_credentials(directory / "credentials")
    return AwsTarget(region=MOTO_REGION, endpoint_url=url, credentials_file=credentials)


def rack_template(
    parameters: dict[str, Any], *, desired: int, max_size: int, key_name: bool = False
) -> dict[str, Any]:
    """A rack-like CloudFormation template that moto runs: `parameters`, a launch template
    (its KeyName the `Key` parameter when `key_name`) and an `Instances` auto-scaling group
    of `desired` instances, at most `max_size`."""
    launch_data: dict[str, Any] = {"ImageId": "ami-12c6146b", "InstanceType": "t3.small"}
    if key_name:
        launch_data["KeyName"] = {"Ref": "Key"}
    return {
        "Parameters": parameters,
        "Resources": {
            "InstancesLaunchTemplate": {
                "Type": "AWS::EC2::LaunchTemplate",
                "Properties": {"LaunchTemplateData": launch_data},
            },
            "Instances": {
                "Type": "AWS::AutoScaling::AutoScalingGroup",
                "Properties": {
                    "MinSize": "1",
                    "MaxSize": str(max_size),
                    "DesiredCapacity": str(desired),
                    "AvailabilityZones": [MOTO_REGION + "a"],
                    "LaunchTemplate": {
                        "LaunchTemplateId": {"Ref": "InstancesLaunchTemplate"},
                        "Version": {
                            "Fn::GetAtt": ["InstancesLaunchTemplate", "LatestVersionNumber"]
                        },
                    },
                },
            },
        },
    }
