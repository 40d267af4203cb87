"""Fixtures: a real sandbox on loopback ports, and httpx clients that talk to it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tui.sandbox.runtime import Sandbox

FAST = 200.0  # speed factor: a one-minute instance keyroll takes 0.3 s


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes with the given options; all are stopped after the test."""
    started: list[Sandbox] = []

    def make(**options: Any) -> Sandbox:
        options.setdefault("speed", FAST)
        options.setdefault("seed", 7)
        sandbox = Sandbox(**options).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox()


def rack_key(sandbox: Sandbox, name: str = "acme/production") -> str:
    return next(r["api_key"] for r in sandbox.info()["racks"] if r["name"] == name)


def rack_client(
    sandbox: Sandbox, name: str = "acme/production", key: str | None = None, **kw: Any
) -> httpx.Client:
    """An httpx client on a rack's own port with Basic `convox:<key>`."""
    host = sandbox.rack_host(name)
    return httpx.Client(
        base_url=f"https://{host}",
        verify=False,
        auth=("convox", key if key is not None else rack_key(sandbox, name)),
        **kw,
    )


def console_client(sandbox: Sandbox, key: str | None = None, **kw: Any) -> httpx.Client:
    info = sandbox.info()["console"]
    return httpx.Client(
        base_url=info["url"], verify=False, auth=("convox", key or info["api_key"]), **kw
    )


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll `condition` until true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def stack_status(sandbox: Sandbox, stack: str = "production") -> str:
    return str(sandbox.world.cloud.describe_stacks(stack)[0]["StackStatus"])


def events(sandbox: Sandbox, stack: str = "production") -> list[dict[str, Any]]:
    """Every event of the stack, oldest first, read page by page like a tailer."""
    out: list[dict[str, Any]] = []
    token = None
    while True:
        page, token = sandbox.world.cloud.describe_stack_events(stack, token)
        out.extend(page)
        if token is None:
            return list(reversed(out))
