"""pages_per_poll: DescribeStackEvents pages per steady-state poll of a stack with 5,000 events.

keyroll's `StackEventTail` against the sandbox's AWS endpoint, which counts the requests it
receives; beside it, a naive tailer that re-reads the whole history every poll (the CDK's
old poller, aws-cdk#9795).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from tests.bench.common import Figure, exactly, spread
from tui.clients.aws_session import AwsTarget, client_for, forget_clients
from tui.clients.stack_events import StackEventTail
from tui.sandbox.runtime import Sandbox

HISTORY = 5000


def _naive_pages(target: AwsTarget, stack: str) -> int:
    client = client_for(target, "cloudformation")
    pages, token = 0, None
    while True:
        page = client.describe_stack_events(
            StackName=stack, **({"NextToken": token} if token else {})
        )
        pages += 1
        token = page.get("NextToken")
        if not token:
            return pages


def run(quick: bool) -> list[Figure]:
    polls = 10 if quick else 40
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    sandbox = Sandbox(speed=20.0, seed=3, history_events={"production": HISTORY})
    with sandbox, tempfile.TemporaryDirectory() as tmp:
        endpoint = sandbox.aws_endpoint
        credentials = endpoint.write_credentials(Path(tmp) / "credentials")
        target = AwsTarget(None, endpoint.region, endpoint.url, str(credentials))
        tail = StackEventTail(target, "production")
        tail.poll()  # the baseline: one page, whatever the history
        sandbox.world.instance_keyroll("production")
        seen = 0
        pages: list[float] = []
        for _ in range(polls):
            before = endpoint.requests["DescribeStackEvents"]
            seen += len(tail.poll())
            pages.append(endpoint.requests["DescribeStackEvents"] - before)
            time.sleep(0.05)
        ours = sum(pages) / polls
        before = endpoint.requests["DescribeStackEvents"]
        naive = _naive_pages(target, "production")
        assert endpoint.requests["DescribeStackEvents"] - before == naive
        forget_clients()
    detail = (
        f"pages per poll {spread(pages, 1).replace(' rounds', ' polls')}; {seen} new events; "
        f"a naive full read takes {naive} pages a poll"
    )
    return [
        exactly("pages_per_poll", ours, 1.0, detail),
        Figure("pages_per_poll_naive", float(naive), "(for comparison)", True),
    ]
