"""EC2 key pairs for instance SSH keys, named `<rack>-keypair-NNNN` as Convox names them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from tui.base.secret import Secret
from tui.clients.aws_backoff import Backoff
from tui.clients.aws_errors import AwsError, error_code, translate
from tui.clients.aws_session import AwsTarget, client_for

NAME_TRIES = 10


@dataclass(frozen=True)
class KeyPairInfo:
    """An EC2 key pair as DescribeKeyPairs lists it (never its private key)."""

    name: str
    key_pair_id: str
    fingerprint: str
    created: datetime | None


def key_pair_name(rack: str, number: int) -> str:
    """The name Convox gives an instance key pair: `<rack>-keypair-NNNN`."""
    return f"{rack}-keypair-{number:04d}"


def create_key_pair(
    target: AwsTarget, rack: str, rng: random.Random | None = None
) -> tuple[str, Secret]:
    """Create `<rack>-keypair-NNNN` (random 1000-9999, another number if taken).

    Returns the name and the private key, which AWS shows only this once.
    """
    rng = rng if rng is not None else random.SystemRandom()
    client = client_for(target, "ec2")
    call = Backoff(max_retries=3).call
    for _ in range(NAME_TRIES):
        name = key_pair_name(rack, rng.randint(1000, 9999))
        try:
            reply = call("CreateKeyPair", client.create_key_pair, KeyName=name)
        except Exception as error:
            if error_code(error) == "InvalidKeyPair.Duplicate":
                continue
            raise translate(error, "CreateKeyPair") from None
        return name, Secret(reply["KeyMaterial"])
    raise AwsError(
        f"Every key pair name tried for {rack} is taken; delete unused {rack}-keypair-NNNN "
        "key pairs and try again."
    )


def list_key_pairs(target: AwsTarget, prefix: str) -> list[KeyPairInfo]:
    """Key pairs whose name starts with `prefix`, sorted by name."""
    client = client_for(target, "ec2")
    try:
        reply = Backoff(max_retries=3).call("DescribeKeyPairs", client.describe_key_pairs)
    except Exception as error:
        raise translate(error, "DescribeKeyPairs") from None
    found = [
        KeyPairInfo(
            name=raw.get("KeyName", ""),
            key_pair_id=raw.get("KeyPairId", ""),
            fingerprint=raw.get("KeyFingerprint", ""),
            created=raw.get("CreateTime"),
        )
        for raw in reply.get("KeyPairs") or []
        if str(raw.get("KeyName", "")).startswith(prefix)
    ]
    return sorted(found, key=lambda k: k.name)


def delete_key_pair(target: AwsTarget, name: str) -> None:
    """Delete the key pair `name` (EC2 treats a missing one as already deleted)."""
    client = client_for(target, "ec2")
    try:
        Backoff(max_retries=3).call("DeleteKeyPair", client.delete_key_pair, KeyName=name)
    except Exception as error:
        raise translate(error, "DeleteKeyPair") from None
