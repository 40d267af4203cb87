"""Tail a stack's events the way cfn-tail does: newest-first pages, only down to what was seen.

A steady-state `poll()` is one DescribeStackEvents call and one page whatever the stack's
history (never re-read it all: aws-cdk#9795). Nested stacks get their own tail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tui.clients.aws_backoff import Backoff
from tui.clients.aws_errors import translate
from tui.clients.aws_session import AwsTarget, client_for

STACK_TYPE = "AWS::CloudFormation::Stack"
# Our clock and AWS's may differ a little; an operation may start this long "before" we asked.
DEFAULT_SKEW = timedelta(seconds=10)
ROOT_START = ("UPDATE_IN_PROGRESS",)
NESTED_START = ("UPDATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS")
TERMINAL_SUFFIXES = ("_COMPLETE", "_FAILED")


@dataclass(frozen=True)
class StackEvent:
    """One CloudFormation stack event, as DescribeStackEvents gives it."""

    event_id: str
    stack_name: str
    logical_id: str
    physical_id: str
    resource_type: str
    status: str
    reason: str
    timestamp: datetime
    client_request_token: str | None
    operation_id: str | None = None

    @property
    def is_stack_itself(self) -> bool:
        """True for the stack's own status events (not one of its resources)."""
        return self.resource_type == STACK_TYPE and self.logical_id == self.stack_name

    @property
    def is_terminal(self) -> bool:
        """True when this is the stack itself reaching a status it rests in."""
        return self.is_stack_itself and self.status.endswith(TERMINAL_SUFFIXES)

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> StackEvent:
        """Parse one entry of DescribeStackEvents' `StackEvents`."""
        stamp = raw.get("Timestamp")
        if not isinstance(stamp, datetime):
            stamp = datetime.now(UTC)
        elif stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        return cls(
            event_id=str(raw.get("EventId", "")),
            stack_name=str(raw.get("StackName", "")),
            logical_id=str(raw.get("LogicalResourceId", "")),
            physical_id=str(raw.get("PhysicalResourceId", "") or ""),
            resource_type=str(raw.get("ResourceType", "")),
            status=str(raw.get("ResourceStatus", "")),
            reason=str(raw.get("ResourceStatusReason", "") or ""),
            timestamp=stamp,
            client_request_token=raw.get("ClientRequestToken") or None,
            operation_id=raw.get("OperationId") or None,
        )


@dataclass(frozen=True)
class OperationTie:
    """Which operation a tail follows: by OperationId, else request token, else first start event.

    `requested_at` is when we sent the request; the operation's first root event is the first
    of `start_statuses` at or after it (less `skew`), used when events carry neither id.
    """

    requested_at: datetime
    operation_id: str | None = None
    client_request_token: str | None = None
    start_statuses: tuple[str, ...] = ROOT_START
    skew: timedelta = DEFAULT_SKEW

    @property
    def earliest(self) -> datetime:
        """No event of the operation can be older than this."""
        return self.requested_at - self.skew


@dataclass
class _TieState:
    started: bool = False
    start_event: StackEvent | None = None
    end_event: StackEvent | None = None
    ids: set[str] = field(default_factory=set)


class StackEventTail:
    """New events of one stack (and its nested stacks), oldest first, each returned once.

    The first `poll()` sets the baseline: with neither `since` nor `tie`, events already there
    are not new; with `since`, events from that time on are; with `tie`, the events of that
    operation are. `pages_read` counts DescribeStackEvents pages, nested tails included.
    """

    def __init__(
        self,
        target: AwsTarget,
        stack_name: str,
        *,
        since: datetime | None = None,
        tie: OperationTie | None = None,
        follow_nested: bool = True,
        backoff: Backoff | None = None,
    ) -> None:
        self.target = target
        self.stack_name = stack_name
        self.since = since if since is None or since.tzinfo else since.replace(tzinfo=UTC)
        self.tie = tie
        self.follow_nested = follow_nested
        self.backoff = backoff if backoff is not None else Backoff()
        self._own_pages = 0
        self._seen: set[str] = set()
        self._baselined = False
        self._tie_state = _TieState()
        self.nested: dict[str, StackEventTail] = {}

    @property
    def pages_read(self) -> int:
        """DescribeStackEvents pages read so far by this tail and its nested tails."""
        return self._own_pages + sum(t.pages_read for t in self.nested.values())

    @property
    def operation_started(self) -> StackEvent | None:
        """The root event that opened the tied operation, once seen."""
        return self._tie_state.start_event

    @property
    def operation_ended(self) -> StackEvent | None:
        """The root event where the tied operation came to rest, once seen."""
        return self._tie_state.end_event

    def poll(self) -> list[StackEvent]:
        """Events that are new since the last poll, oldest first (nested stacks' merged in).

        Raises `AwsError` (throttling is waited out through the tail's `Backoff`).
        """
        fresh = self._read_new()
        first = not self._baselined
        self._baselined = True
        if first and self.tie is None and self.since is None:
            return []
        floor = self.tie.earliest if self.tie is not None else self.since
        if first and floor is not None:
            fresh = [e for e in fresh if e.timestamp >= floor]
        mine = [e for e in fresh if self._belongs(e)] if self.tie is not None else fresh
        if self.follow_nested:
            for event in mine:
                self._maybe_follow(event)
        merged = list(mine)
        for child in self.nested.values():
            if child.operation_ended is None:  # a nested stack at rest costs no more calls
                merged += child.poll()
        merged.sort(key=lambda e: e.timestamp)  # stable: ties keep parent-then-child order
        return merged

    def _read_new(self) -> list[StackEvent]:
        """Newest-first pages down to the first event already seen; returned oldest first."""
        client = client_for(self.target, "cloudformation")
        floor = self.tie.earliest if self.tie is not None else self.since
        first = not self._baselined
        newest_first: list[StackEvent] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"StackName": self.stack_name}
            if token:
                kwargs["NextToken"] = token
            try:
                page = self.backoff.call(
                    "DescribeStackEvents", client.describe_stack_events, **kwargs
                )
            except Exception as error:
                raise translate(error, "DescribeStackEvents", self.stack_name) from None
            self._own_pages += 1
            reached_seen = False
            for raw in page.get("StackEvents") or []:
                event = StackEvent.from_api(raw)
                if event.event_id in self._seen:
                    reached_seen = True
                    break
                newest_first.append(event)
            token = page.get("NextToken")
            if reached_seen or not token:
                break
            # A first poll needs history only back to its floor; with no floor, one page.
            if first and (floor is None or not newest_first or newest_first[-1].timestamp < floor):
                break
        self._seen.update(e.event_id for e in newest_first)
        return newest_first[::-1]

    def _belongs(self, event: StackEvent) -> bool:
        tie = self.tie
        state = self._tie_state
        assert tie is not None
        if state.end_event is not None:
            return False
        if tie.operation_id and event.operation_id:
            ours = event.operation_id == tie.operation_id
        elif tie.client_request_token and event.client_request_token:
            ours = event.client_request_token == tie.client_request_token
        else:
            if (
                not state.started
                and event.is_stack_itself
                and event.status in tie.start_statuses
                and event.timestamp >= tie.earliest
            ):
                state.started = True
            ours = state.started
        if ours and not state.started:
            state.started = True
        if ours and state.start_event is None and event.is_stack_itself:
            state.start_event = event
        if ours and event.is_terminal:
            state.end_event = event
        return ours

    def _maybe_follow(self, event: StackEvent) -> None:
        if event.resource_type != STACK_TYPE or event.is_stack_itself:
            return
        child_id = event.physical_id
        if not child_id or child_id in self.nested or child_id == self.stack_name:
            return
        # The nested stack's operation starts when its resource event says so.
        self.nested[child_id] = StackEventTail(
            self.target,
            child_id,
            tie=OperationTie(requested_at=event.timestamp, start_statuses=NESTED_START),
            follow_nested=True,
            backoff=self.backoff,
        )
