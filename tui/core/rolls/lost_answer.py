"""After a rack's answer to an update request was lost: did the update begin all the same?

A timeout, a 502 or a reset connection says nothing about whether the rack took the request.
The request is never sent twice (a second PUT meets "is in UPDATE_IN_PROGRESS state" or starts
a second update; a second keyroll makes another key pair), so keyroll asks instead: first the
rack (is it moving, or does it show the change already?), then CloudFormation, because a fast
update can run and roll back while the rack does not answer and leave it resting as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import Enum

from tui.clients.errors import ClientError, ServerError, TimeoutError_, UnreachableError
from tui.clients.models import System
from tui.clients.rack import PASSING_STATUSES, RackClient
from tui.core.rolls.watch import MOVING_RACK_STATUSES, UpdateWatch

# In the sentence a roll ends with when only CloudFormation could have told (no AWS access).
ROLLBACK_UNSEEN = "the update rolled back while it did not answer (only CloudFormation could tell)"


class Began(Enum):
    YES = "yes"  # the rack moves or shows the change, or CloudFormation saw the update begin
    NO = "no"  # the rack said no, or CloudFormation shows no update since the baseline
    UNSEEN = "unseen"  # the rack rests as before and nothing else can tell (no AWS access)
    SILENT = "silent"  # the rack did not answer within the verify time


def answer_was_lost(error: ClientError) -> bool:
    """True when `error` leaves open whether the rack took the request."""
    if isinstance(error, ServerError):
        return error.status in PASSING_STATUSES
    return isinstance(error, TimeoutError_ | UnreachableError)


def began_anyway(
    client: RackClient,
    error: ClientError,
    watch: UpdateWatch,
    changed: Callable[[System], bool],
    *,
    within_s: float,
    poll_s: float,
    cancel: threading.Event,
) -> Began:
    """Did the update that `error` answered begin? `changed(system)`: does the rack show it?"""
    if not answer_was_lost(error):
        return Began.NO
    deadline = time.monotonic() + within_s
    while True:
        try:
            system = client.system(retries=0)
        except ClientError:
            if time.monotonic() >= deadline or cancel.wait(poll_s):
                return Began.SILENT
            continue
        if system.status in MOVING_RACK_STATUSES or changed(system):
            return Began.YES
        seen = watch.began()
        if seen is None:
            return Began.UNSEEN
        return Began.YES if seen else Began.NO
