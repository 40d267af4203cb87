"""A stack's status read as a roll's outcome, and the stack as DescribeStacks shows it."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.clients.aws_backoff import Backoff
from tui.clients.aws_errors import StackNotFoundError, translate
from tui.clients.aws_session import AwsTarget, client_for

if TYPE_CHECKING:
    from tui.clients.stack_events import StackEvent


class Outcome(enum.Enum):
    """What a stack status means for a roll that updated the stack."""

    SUCCEEDED = "succeeded"
    MOVING = "moving"
    ROLLED_BACK = "rolled back"
    FAILED = "failed"
    NEEDS_ATTENTION = "needs attention"

    @property
    def is_final(self) -> bool:
        """True when the stack will not move again without someone acting."""
        return self is not Outcome.MOVING

    @property
    def is_failure(self) -> bool:
        """True for every final outcome except success."""
        return self.is_final and self is not Outcome.SUCCEEDED


_OUTCOMES: dict[str, Outcome] = {
    "UPDATE_COMPLETE": Outcome.SUCCEEDED,
    "CREATE_COMPLETE": Outcome.SUCCEEDED,
    "IMPORT_COMPLETE": Outcome.SUCCEEDED,
    # The rack reads `running` again, but the new values were not applied.
    "UPDATE_ROLLBACK_COMPLETE": Outcome.ROLLED_BACK,
    "IMPORT_ROLLBACK_COMPLETE": Outcome.ROLLED_BACK,
    "ROLLBACK_COMPLETE": Outcome.ROLLED_BACK,
    "CREATE_FAILED": Outcome.FAILED,
    "DELETE_COMPLETE": Outcome.FAILED,
    # Stuck: CloudFormation waits for someone to continue the rollback or fix resources.
    "UPDATE_ROLLBACK_FAILED": Outcome.NEEDS_ATTENTION,
    "UPDATE_FAILED": Outcome.NEEDS_ATTENTION,
    "ROLLBACK_FAILED": Outcome.NEEDS_ATTENTION,
    "DELETE_FAILED": Outcome.NEEDS_ATTENTION,
    "IMPORT_ROLLBACK_FAILED": Outcome.NEEDS_ATTENTION,
}


def outcome_for(stack_status: str) -> Outcome:
    """The roll outcome a root stack status stands for; any `*_IN_PROGRESS` is still moving.

    `*_CLEANUP_IN_PROGRESS` is moving too: the stack is not done until cleanup ends. A status
    this table does not know is moving if it ends in `_IN_PROGRESS`, else needs attention.
    """
    if stack_status.endswith("_IN_PROGRESS"):
        return Outcome.MOVING
    return _OUTCOMES.get(stack_status, Outcome.NEEDS_ATTENTION)


CANCELLED_REASONS = ("Resource update cancelled", "Resource creation cancelled")


def failure_messages(events: Iterable[StackEvent]) -> list[str]:
    """The failed resources' reasons, de-duplicated in the order they happened (Rain's Messages).

    Each line is `LogicalId: reason`. "Resource ... cancelled" lines are dropped when a real
    reason exists, since they only echo that something else failed.
    """
    lines: list[str] = []
    cancelled: list[str] = []
    for event in events:
        if not event.status.endswith("_FAILED") or not event.reason:
            continue
        line = f"{event.logical_id}: {event.reason}"
        target = cancelled if event.reason.startswith(CANCELLED_REASONS) else lines
        if line not in target:
            target.append(line)
    return lines or cancelled


@dataclass(frozen=True)
class StackSnapshot:
    """A root stack as DescribeStacks shows it; NoEcho parameters read `****`."""

    name: str
    stack_id: str
    status: str
    reason: str
    parameters: dict[str, str]
    capabilities: tuple[str, ...]
    last_operations: tuple[tuple[str, str], ...]

    @property
    def outcome(self) -> Outcome:
        """The roll outcome of the current status."""
        return outcome_for(self.status)

    def last_operation_id(self, operation_type: str = "UPDATE_STACK") -> str | None:
        """The id of the latest operation of this type, where the API returns LastOperations."""
        for kind, operation_id in self.last_operations:
            if kind == operation_type:
                return operation_id
        return None


def describe_stack(
    target: AwsTarget, stack_name: str, backoff: Backoff | None = None
) -> StackSnapshot:
    """The stack's status, parameters, capabilities and last operations (one DescribeStacks)."""
    client = client_for(target, "cloudformation")
    call = (backoff or Backoff(max_retries=3)).call
    try:
        reply = call("DescribeStacks", client.describe_stacks, StackName=stack_name)
    except Exception as error:
        raise translate(error, "DescribeStacks", stack_name) from None
    stacks = reply.get("Stacks") or []
    if not stacks:
        raise StackNotFoundError(
            f"The stack {stack_name} does not exist in this account and region; check the "
            "rack's stack name, AWS profile and region."
        )
    raw = stacks[0]
    return StackSnapshot(
        name=raw.get("StackName", stack_name),
        stack_id=raw.get("StackId", ""),
        status=raw.get("StackStatus", ""),
        reason=raw.get("StackStatusReason", "") or "",
        parameters={
            p["ParameterKey"]: p.get("ParameterValue", "") for p in raw.get("Parameters") or []
        },
        capabilities=tuple(raw.get("Capabilities") or ()),
        last_operations=tuple(
            (op.get("OperationType", ""), op.get("OperationId", ""))
            for op in raw.get("LastOperations") or []
        ),
    )
