"""Realistic AWS and ECS identifiers, drawn from one seeded random source."""

from __future__ import annotations

import random
import uuid


class IdMaker:
    """Makes instance ids, task ids, uuids and private IPs; seeded for reproducible worlds."""

    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)
        self._ips: set[str] = set()

    def hex(self, length: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    def instance_id(self) -> str:
        """An EC2 instance id: `i-` and 17 hex digits."""
        return "i-" + self.hex(17)

    def task_id(self) -> str:
        """An ECS task id: 32 hex digits."""
        return self.hex(32)

    def uuid(self) -> str:
        """A random UUID4 string (event ids, request tokens)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def private_ip(self) -> str:
        """A private address in the rack's VPC (10.0.0.0/16), never the same twice."""
        while True:
            ip = f"10.0.{self.rng.choice((1, 2, 3))}.{self.rng.randint(4, 250)}"
            if ip not in self._ips:
                self._ips.add(ip)
                return ip

    def key_pair_suffix(self) -> int:
        """The NNNN of `<rack>-keypair-NNNN`: a random number from 1000 to 9999."""
        return self.rng.randint(1000, 9999)

    def account_id(self) -> str:
        """A 12-digit AWS account id."""
        return str(self.rng.randint(100000000000, 999999999999))

    def alnum(self, length: int) -> str:
        """Upper-case letters and digits, like the suffixes CloudFormation gives physical ids."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return "".join(self.rng.choice(alphabet) for _ in range(length))
