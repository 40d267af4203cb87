"""Unused instance key pairs: `<stack>-keypair-NNNN` that neither `Key` nor any instance uses.

Convox's keyroll never deletes the key pair it replaces, so they pile up. `judge_key_pairs`
decides (pure); `key_pair_report` and `delete_unused_key_pairs` do the AWS calls. A pair is
kept when it is the stack's current `Key`, when an instance of the rack still uses it, or
while the stack is moving (a rollback could bring an old `Key` back).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from tui.base.errors import BadInputError, KeyrollError, RefusedError
from tui.clients.aws_errors import AwsError
from tui.clients.aws_session import AwsTarget
from tui.clients.key_pairs import KeyPairInfo, delete_key_pair, list_key_pairs
from tui.clients.rack_instances import rack_instances
from tui.clients.stack_status import describe_stack

KEY_PARAMETER = "Key"
IN_USE_BY_PARAMETER = "the stack's Key parameter"


@dataclass(frozen=True)
class KeyPairVerdict:
    """One key pair of the rack and whether it may be deleted (`why` it is kept, if not)."""

    name: str
    created: datetime | None
    unused: bool
    why: str = ""


@dataclass
class KeyPairReport:
    """The rack's key pairs, judged; `unused` lists the names that may be deleted."""

    stack: str
    current_key: str
    verdicts: list[KeyPairVerdict] = field(default_factory=list)

    @property
    def unused(self) -> list[str]:
        return [v.name for v in self.verdicts if v.unused]


def rack_key_pair_pattern(stack: str) -> re.Pattern[str]:
    """Names Convox gives a rack's key pairs: `<stack>-keypair-NNNN` (v3: a unix time)."""
    return re.compile(rf"{re.escape(stack)}-keypair-\d+")


def judge_key_pairs(
    pairs: Iterable[KeyPairInfo],
    *,
    stack: str,
    current_key: str,
    instance_keys: Mapping[str, str],
) -> list[KeyPairVerdict]:
    """Which of `pairs` are the rack's and unused; `instance_keys` maps instance id to key name.

    Pairs not named `<stack>-keypair-NNNN` are left out: they are not the rack's to judge.
    """
    pattern = rack_key_pair_pattern(stack)
    users: dict[str, list[str]] = {}
    for instance_id, key_name in sorted(instance_keys.items()):
        users.setdefault(key_name, []).append(instance_id)
    verdicts = []
    for pair in sorted(pairs, key=lambda p: p.name):
        if not pattern.fullmatch(pair.name):
            continue
        if pair.name == current_key:
            verdicts.append(KeyPairVerdict(pair.name, pair.created, False, IN_USE_BY_PARAMETER))
        elif pair.name in users:
            ids = ", ".join(users[pair.name])
            verdicts.append(KeyPairVerdict(pair.name, pair.created, False, f"used by {ids}"))
        else:
            verdicts.append(KeyPairVerdict(pair.name, pair.created, True))
    return verdicts


def key_pair_report(aws: AwsTarget, stack: str) -> KeyPairReport:
    """Read the stack, its instances and its key pairs from AWS, and judge every pair.

    Raises `RefusedError` while the stack is moving and `KeyrollError` without AWS access.
    """
    try:
        snapshot = describe_stack(aws, stack)
        if not snapshot.outcome.is_final:
            raise RefusedError(
                f"Stack {stack} is {snapshot.status}; list key pairs for clean-up once it "
                "rests, since a rollback could bring an old key pair back into use."
            )
        instances = rack_instances(aws, stack)
        pairs = list_key_pairs(aws, f"{stack}-keypair-")
    except AwsError as error:
        raise KeyrollError(
            f"Listing {stack}'s key pairs needs AWS access to its account: {error}"
        ) from None
    current = snapshot.parameters.get(KEY_PARAMETER, "")
    keys = {i.instance_id: i.key_name for i in instances if i.key_name}
    verdicts = judge_key_pairs(pairs, stack=stack, current_key=current, instance_keys=keys)
    return KeyPairReport(stack, current, verdicts)


def delete_unused_key_pairs(
    aws: AwsTarget, stack: str, names: Iterable[str] | None = None
) -> list[str]:
    """Delete the unused key pairs named (all unused ones by default); returns those deleted.

    The pairs are judged afresh first, so a pair that came into use since it was listed is
    never deleted: naming one that is in use, or not the rack's, is refused before any call.
    """
    report = key_pair_report(aws, stack)
    unused = report.unused
    wanted = list(unused if names is None else dict.fromkeys(names))
    kept = {v.name: v.why for v in report.verdicts if not v.unused}
    for name in wanted:
        if name in kept:
            raise RefusedError(f"Key pair {name} is in use ({kept[name]}); keyroll keeps it.")
        if name not in unused:
            raise BadInputError(
                f"{name} is not one of {stack}'s key pairs; list them to see which are unused."
            )
    deleted: list[str] = []
    for name in wanted:
        try:
            delete_key_pair(aws, name)
        except AwsError as error:
            raise KeyrollError(
                f"Deleting key pair {name} failed after {len(deleted)} deletion(s): {error}"
            ) from None
        deleted.append(name)
    return deleted
