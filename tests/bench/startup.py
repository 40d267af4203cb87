"""startup_ratio: the dashboard's first frame with 50 racks, over a bare Textual app's.

Each run is a fresh interpreter (`first_frame.py`), so imports count as they do for a user.
The keyroll home names 50 direct racks, each pointing at a loopback socket that listens and
never answers (connections sit in its backlog), so a status poll on the path to the first
frame would show. The two kinds of run alternate, several rounds; each round's ratio runs
from the moment the process is started to its first painted frame, and the figure is the
median of the rounds' ratios. Both kinds read compiled bytecode (written by the warm-up under
a private `PYTHONPYCACHEPREFIX`), as an installed keyroll does.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests.bench.common import Figure, at_most, median, spread
from tui.base.key_rules import generate_rack_key
from tui.core.keystore import Keystore
from tui.core.settings import RackSettings, Settings

RACKS = 50
CHILD = Path(__file__).with_name("first_frame.py")
CHILD_TIMEOUT_S = 60.0
CLEARED_ENV = (
    "CONVOX_CONFIG",
    "CONVOX_HOST",
    "CONVOX_PASSWORD",
    "CONVOX_RACK",
    "RACK_URL",
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "XDG_CONFIG_HOME",
    "TEXTUAL_PRESS",
    "PYTHONDONTWRITEBYTECODE",  # a user's install has its bytecode: the warm-up writes it
)


@contextmanager
def silent_racks(count: int) -> Iterator[list[str]]:
    """`count` loopback hosts that accept connections into a backlog and never answer."""
    with ExitStack() as stack:
        hosts = []
        for _ in range(count):
            listener = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            listener.bind(("127.0.0.1", 0))
            listener.listen(64)
            hosts.append(f"127.0.0.1:{listener.getsockname()[1]}")
        yield hosts


def bench_env(root: Path, hosts: list[str]) -> dict[str, str]:
    """A keyroll home with one `[[racks]]` and one held key per host, and no real AWS or Convox."""
    home = root / "keyroll-home"
    settings = Settings(
        racks=tuple(RackSettings(f"rack{n:02d}", host=host) for n, host in enumerate(hosts))
    )
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(settings.to_toml())
    keystore = Keystore(home / "data" / "keystore.json")
    for host in hosts:
        keystore.set_current(host, generate_rack_key())
    aws = root / "aws"
    aws.mkdir()
    for name in ("credentials", "config"):
        (aws / name).write_text("")
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    env.update(
        KEYROLL_HOME=str(home),
        HOME=str(root / "home"),
        AWS_SHARED_CREDENTIALS_FILE=str(aws / "credentials"),
        AWS_CONFIG_FILE=str(aws / "config"),
        AWS_EC2_METADATA_DISABLED="true",
        # Both kinds of run read (after the warm-up) compiled bytecode from here, as an
        # installed keyroll and Textual do, without writing into the source tree.
        PYTHONPYCACHEPREFIX=str(root / "pycache"),
    )
    return env


def first_frame_s(kind: str, env: dict[str, str]) -> tuple[float, int, bool]:
    """Seconds from starting a `kind` child to its first frame, the table's rows, boto3 loaded."""
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(CHILD), kind],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    words = done.stdout.split()
    if done.returncode != 0 or len(words) != 4 or words[1] != "1":
        raise RuntimeError(f"the {kind} start-up run failed: {done.stdout}{done.stderr[-2000:]}")
    return float(words[0]) - began, int(words[2]), words[3] == "1"


def run(quick: bool) -> list[Figure]:
    rounds = 25 if quick else 41  # 15 quick rounds landed once in 5 runs above 1.25
    ours: list[float] = []
    bare: list[float] = []
    rows: list[int] = []
    boto3_loaded = False
    with silent_racks(RACKS) as hosts, tempfile.TemporaryDirectory() as tmp:
        env = bench_env(Path(tmp), hosts)
        first_frame_s("bare", env)  # warm-up: bytecode caches and the page cache
        first_frame_s("dashboard", env)
        for n in range(rounds):  # alternate which goes first, so drift hits both alike
            order = ("bare", "dashboard") if n % 2 == 0 else ("dashboard", "bare")
            for kind in order:
                seconds, count, boto3 = first_frame_s(kind, env)
                if kind == "bare":
                    bare.append(seconds)
                else:
                    ours.append(seconds)
                    rows.append(count)
                    boto3_loaded |= boto3
    ratios = [o / b for o, b in zip(ours, bare, strict=True)]
    ratio = median(ratios)
    detail = (
        f"round ratios {spread(ratios)}; dashboard {median(ours) * 1000:.0f} ms, bare "
        f"Textual {median(bare) * 1000:.0f} ms; racks rows in the dashboard's first frame: "
        f"{min(rows)}-{max(rows)}; "
        f"boto3 imported by then: {'yes' if boto3_loaded else 'no'}"
    )
    return [at_most("startup_ratio", ratio, 1.25, detail)]
