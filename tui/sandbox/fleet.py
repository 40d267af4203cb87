"""EC2 in the sandbox: the rack's instances and its key pairs (with real RSA key material)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tui.base.secret import Secret

# EC2 state codes DescribeInstances reports with each state name.
EC2_STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48}
AMI_ID = "ami-0c1b4dff690b5d229"


@dataclass
class Ec2Instance:
    """One instance of the rack's `Instances` auto scaling group, with its ECS agent state."""

    instance_id: str
    private_ip: str
    launched: datetime
    launch_template_version: int
    key_name: str
    instance_type: str
    availability_zone: str
    lifecycle: str = "Pending"  # ASG LifecycleState: Pending, InService, Terminating, Terminated
    ec2_state: str = "pending"  # EC2 state name: pending, running, shutting-down, terminated
    ecs_status: str = ""  # ECS container instance status: "" until registered, ACTIVE, DRAINING
    agent_connected: bool = False
    cpu: float = 0.0
    memory: float = 0.0

    @property
    def listed(self) -> bool:
        """Whether the rack's `GET /instances` still shows it (not yet terminated)."""
        return self.ec2_state != "terminated"

    @property
    def schedulable(self) -> bool:
        """Whether ECS may place a new task on it."""
        return self.lifecycle == "InService" and self.ecs_status == "ACTIVE"

    def to_ec2_dict(self, rack: str, asg_name: str, template_id: str) -> dict[str, Any]:
        """The instance as EC2 DescribeInstances returns it (one item of `Instances`)."""
        return {
            "InstanceId": self.instance_id,
            "ImageId": AMI_ID,
            "InstanceType": self.instance_type,
            "KeyName": self.key_name,
            "LaunchTime": self.launched,
            "Placement": {"AvailabilityZone": self.availability_zone, "Tenancy": "default"},
            "PrivateIpAddress": self.private_ip,
            "PrivateDnsName": f"ip-{self.private_ip.replace('.', '-')}.ec2.internal",
            "State": {"Code": EC2_STATE_CODES[self.ec2_state], "Name": self.ec2_state},
            "Tags": [
                {"Key": "Name", "Value": rack},
                {"Key": "Rack", "Value": rack},
                {"Key": "aws:autoscaling:groupName", "Value": asg_name},
                {"Key": "aws:cloudformation:stack-name", "Value": rack},
                {"Key": "aws:cloudformation:logical-id", "Value": "Instances"},
                {"Key": "aws:ec2launchtemplate:id", "Value": template_id},
                {
                    "Key": "aws:ec2launchtemplate:version",
                    "Value": str(self.launch_template_version),
                },
            ],
        }

    def to_asg_dict(self, template_id: str, template_name: str) -> dict[str, Any]:
        """The instance as one item of an auto scaling group's `Instances`."""
        return {
            "InstanceId": self.instance_id,
            "InstanceType": self.instance_type,
            "AvailabilityZone": self.availability_zone,
            "LifecycleState": self.lifecycle,
            "HealthStatus": "Healthy",
            "LaunchTemplate": {
                "LaunchTemplateId": template_id,
                "LaunchTemplateName": template_name,
                "Version": str(self.launch_template_version),
            },
            "ProtectedFromScaleIn": False,
        }


@dataclass
class KeyPair:
    """An EC2 key pair; `private_key` is the PEM CreateKeyPair returned once."""

    name: str
    key_pair_id: str
    fingerprint: str
    private_key: Secret
    created: datetime
    rack: str

    def to_dict(self) -> dict[str, Any]:
        """The key pair as DescribeKeyPairs returns it (never the private key)."""
        return {
            "KeyPairId": self.key_pair_id,
            "KeyFingerprint": self.fingerprint,
            "KeyName": self.name,
            "KeyType": "rsa",
            "Tags": [],
            "CreateTime": self.created,
        }


def make_key_material() -> tuple[Secret, str]:
    """A new RSA 2048 private key as PEM, and its fingerprint the way EC2 computes it.

    For a key pair EC2 creates, the fingerprint is the SHA-1 of the DER PKCS#8 private key,
    written as colon-separated hex.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    digest = hashlib.sha1(der, usedforsecurity=False).hexdigest()
    fingerprint = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
    return Secret(pem), fingerprint
