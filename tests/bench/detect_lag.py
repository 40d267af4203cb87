"""detect_lag_ratio: how soon keyroll knows a roll ended, over the Convox CLI's `--wait` rule.

Both watch the same sandbox update at once. keyroll: its `UpdateWatch` (2 s polls). The CLI
(`pkg/helpers/provider.go`): sleep 5 s, then `GET /system` every 5 s until two `running`
reads in a row. All intervals are divided by the same factor so a run takes seconds; the
figure is the ratio of the two lags' medians over the rounds (each lag's spread is printed).
"""

from __future__ import annotations

import threading
import time

from tests.bench.common import Figure, at_most, median, spread
from tui.base.key_rules import generate_rack_key
from tui.base.secret import Secret
from tui.clients.rack import RackClient
from tui.core.rolls.target import RollOptions
from tui.core.rolls.watch import UpdateWatch
from tui.sandbox.runtime import Sandbox

SCALE = 10.0  # every interval, keyroll's and the CLI's, divided by this
KEYROLL_POLL_S = 2.0 / SCALE
CLI_FIRST_SLEEP_S = 5.0 / SCALE
CLI_POLL_S = 5.0 / SCALE
SPEED = 8.0  # a 24 s simulated password roll lasts about 3 s


def _final_at(sandbox: Sandbox, stack: str, done: threading.Event, out: list[float]) -> None:
    """The moment the stack reaches its final status, seen from inside the world."""
    while not done.is_set():
        status = sandbox.world.cloud.describe_stacks(stack)[0]["StackStatus"]
        if status in ("UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"):
            out.append(time.perf_counter())
            return
        time.sleep(0.001)


def _cli_rule(client: RackClient, out: list[float]) -> None:
    time.sleep(CLI_FIRST_SLEEP_S)
    running_in_a_row = 0
    while running_in_a_row < 2:
        running_in_a_row = running_in_a_row + 1 if client.system().status == "running" else 0
        if running_in_a_row < 2:
            time.sleep(CLI_POLL_S)
    out.append(time.perf_counter())


def _one_roll(sandbox: Sandbox, key: Secret) -> tuple[float, float]:
    info = next(r for r in sandbox.info()["racks"] if r["name"] == "dev")
    new = generate_rack_key()
    ours = RackClient(info["url"], [new, key])
    cli = RackClient(info["url"], [new, key])
    watch = UpdateWatch(
        rack="dev",
        stack="dev",
        aws=None,
        client=ours,
        options=RollOptions(poll_s=KEYROLL_POLL_S, poll_jitter=0.1),
        emit=lambda _event: None,
        cancel=threading.Event(),
    )
    watch.baseline()
    final: list[float] = []
    cli_done: list[float] = []
    done = threading.Event()
    watcher = threading.Thread(target=_final_at, args=(sandbox, "dev", done, final))
    cli_thread = threading.Thread(target=_cli_rule, args=(cli, cli_done))
    sandbox.world.update_rack_parameters("dev", {"Password": new})
    watcher.start()
    cli_thread.start()
    watch.run()
    ours_at = time.perf_counter()
    cli_thread.join()
    done.set()
    watcher.join()
    ours.close()
    cli.close()
    return ours_at - final[0], cli_done[0] - final[0]


def run(quick: bool) -> list[Figure]:
    rounds = 15 if quick else 31
    lags_ours, lags_cli = [], []
    with Sandbox(speed=SPEED, seed=5) as sandbox:
        key = Secret(next(r for r in sandbox.info()["racks"] if r["name"] == "dev")["api_key"])
        for _ in range(rounds):
            ours, cli = _one_roll(sandbox, key)
            with sandbox.world.locked():
                key = sandbox.world.rack("dev").api_keys[0]
            lags_ours.append(max(ours, 0.0))
            lags_cli.append(cli)
    ratio = median(lags_ours) / median(lags_cli)
    ours_s = [lag * SCALE for lag in lags_ours]
    cli_s = [lag * SCALE for lag in lags_cli]
    detail = (
        f"ratio of the medians; after the final event, in real-rack seconds: keyroll "
        f"{spread(ours_s, 1)}, CLI {spread(cli_s, 1)}"
    )
    return [at_most("detect_lag_ratio", ratio, 0.3, detail)]
