"""keyroll's AWS client (boto3, imported lazily): one import for the rest of keyroll.

The pieces live in small modules: `aws_session` (where to connect), `aws_errors`,
`aws_backoff` (throttling), `stack_status`, `stack_events`, `stack_update`, `key_pairs`,
`rack_instances`.
"""

from __future__ import annotations

from tui.clients.aws_backoff import Backoff, CancelledError, ThrottleNotice
from tui.clients.aws_errors import (
    AwsCredentialsError,
    AwsError,
    AwsThrottledError,
    AwsUnreachableError,
    NoUpdateError,
    StackBusyError,
    StackNotFoundError,
)
from tui.clients.aws_session import AwsTarget, client_for, forget_clients
from tui.clients.key_pairs import KeyPairInfo, create_key_pair, delete_key_pair, list_key_pairs
from tui.clients.rack_instances import RackInstance, instances_group_name, rack_instances
from tui.clients.stack_events import OperationTie, StackEvent, StackEventTail
from tui.clients.stack_status import (
    Outcome,
    StackSnapshot,
    describe_stack,
    failure_messages,
    outcome_for,
)
from tui.clients.stack_update import update_parameters

__all__ = [
    "AwsCredentialsError",
    "AwsError",
    "AwsTarget",
    "AwsThrottledError",
    "AwsUnreachableError",
    "Backoff",
    "CancelledError",
    "KeyPairInfo",
    "NoUpdateError",
    "OperationTie",
    "Outcome",
    "RackInstance",
    "StackBusyError",
    "StackEvent",
    "StackEventTail",
    "StackNotFoundError",
    "StackSnapshot",
    "ThrottleNotice",
    "client_for",
    "create_key_pair",
    "delete_key_pair",
    "describe_stack",
    "failure_messages",
    "forget_clients",
    "instances_group_name",
    "list_key_pairs",
    "outcome_for",
    "rack_instances",
    "update_parameters",
]
