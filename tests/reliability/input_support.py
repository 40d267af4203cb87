"""Bad input for the reliability suite: hypothesis strategies for everything keyroll reads from
outside, a real loopback HTTP server whose replies a test chooses, file snapshots, and the
check that an error is one clear sentence.

Strategies stay small on purpose: each example must run in milliseconds so a few hundred of
them fit in well under a minute on two shared cores.
"""

from __future__ import annotations

import http.server
import json
import os
import string
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tui.base.errors import KeyrollError
from tui.base.secret import Secret

# Repeatable in CI: the same examples every run, no example database, no deadline (2 shared
# cores make timings noisy). Hypothesis also draws constants from the product modules loaded in
# the process, so a run under xdist can still meet examples a lone run does not: to explore
# further by hand, KEYROLL_BAD_INPUT_EXPLORE=N runs N times the examples from a random seed
# (`--hypothesis-seed=S` repeats one).
EXPLORE = int(os.environ.get("KEYROLL_BAD_INPUT_EXPLORE", "0") or 0)
PROFILE = settings(
    derandomize=not EXPLORE,
    database=None,
    deadline=None,
    max_examples=100 * max(1, EXPLORE),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def profile(max_examples: int) -> settings:
    """`PROFILE` with another number of examples."""
    return settings(PROFILE, max_examples=max_examples * max(1, EXPLORE))


MAX_SENTENCE = 600
HUGE = 2_000_000  # bytes: "huge" next to the few hundred bytes a Convox reply has

CASES: Counter[str] = Counter()


def tried(kind: str) -> None:
    """Count one case of `kind` (the module prints the counts at its end)."""
    CASES[kind] += 1


# errors ---------------------------------------------------------------------------------------


def assert_clear_error(error: BaseException, *secrets: str) -> str:
    """`error` is a `KeyrollError` whose message is one printable sentence holding no secret."""
    assert isinstance(error, KeyrollError), f"{type(error).__name__}: {error}"
    message = str(error)
    assert message, "an empty error message"
    assert "\n" not in message and "\r" not in message, message
    assert message.endswith((".", "?")), message
    assert len(message) <= MAX_SENTENCE, f"{len(message)} characters: {message[:200]}"
    assert message.isprintable(), repr(message[:200])
    assert "Traceback" not in message
    for secret in secrets:
        if len(secret) >= 8:  # a short value could appear in any sentence by chance
            assert secret not in message, "a key is in the error message"
    return message


def assert_command_error(stderr: str, *secrets: str) -> str:
    """A command's stderr is exactly one `keyroll: <sentence>` line, no traceback."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("keyroll: "), stderr
    assert "Traceback" not in stderr
    message = KeyrollError(lines[0].removeprefix("keyroll: "))
    return assert_clear_error(message, *secrets)


# files ----------------------------------------------------------------------------------------

Snapshot = dict[str, tuple[bytes | None, int]]


def snapshot(root: Path) -> Snapshot:
    """Every file and dir under `root`: bytes (None for a dir) and mode, by relative path."""
    found: Snapshot = {".": (None, root.stat().st_mode & 0o7777)}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            mode = path.stat().st_mode & 0o7777
            data = None if path.is_dir() else path.read_bytes()
            found[str(path.relative_to(root))] = (data, mode)
    return found


def assert_unchanged(before: Snapshot, root: Path) -> None:
    """No file or dir under `root` appeared, vanished, or changed a byte or its mode."""
    after = snapshot(root)
    assert sorted(after) == sorted(before), f"files changed: {sorted(set(after) ^ set(before))}"
    for name, (data, mode) in before.items():
        assert after[name][1] == mode, f"{name} mode {after[name][1]:o}, was {mode:o}"
        assert after[name][0] == data, f"{name} was rewritten"


def write_file(path: Path, data: bytes, mode: int) -> None:
    """Write `data` to `path` with exactly `mode` (whatever the umask)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, mode)


# strategies -----------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def _truncated(value: Any) -> st.SearchStrategy[bytes]:
    text = _dumps(value)
    return st.integers(min_value=0, max_value=max(0, len(text) - 1)).map(lambda n: text[:n])


HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center>"
    b"<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)
AWS_ELB_PAGE = b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head></html>"


def huge_bodies() -> st.SearchStrategy[bytes]:
    """Bodies far larger than any Convox reply: long strings, long lists, long garbage."""
    return st.sampled_from(
        [
            b"x" * HUGE,
            _dumps({"name": "r" * HUGE, "status": "running"}),
            _dumps([{"id": f"i-{n:08x}", "status": "active"} for n in range(40_000)]),
            _dumps({"error": "e" * HUGE}),
            b"\xff\xfe" * (HUGE // 2),
            b"[" * 200_000 + b"]" * 200_000,
        ]
    )


def bodies() -> st.SearchStrategy[bytes]:
    """What a broken or hostile server may send instead of a Convox reply."""
    return st.one_of(
        json_values.map(_dumps),  # valid JSON of the wrong shape
        json_values.flatmap(_truncated),  # JSON cut short
        st.binary(max_size=200),
        st.text(max_size=200).map(str.encode),
        st.sampled_from([HTML_PAGE, AWS_ELB_PAGE, b"", b"ok", b"null", b"{}", b"[]"]),
        huge_bodies(),
        st.dictionaries(
            st.sampled_from(["name", "status", "id", "parameters", "organization", "error"]),
            json_values,
            max_size=4,
        ).map(_dumps),  # the right names with the wrong types
    )


@dataclass(frozen=True)
class Reply:
    """One reply the test server gives: status, content type, body."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


replies = st.builds(
    Reply,
    status=st.sampled_from([200, 200, 200, 201, 204, 302, 400, 401, 403, 404, 418, 500, 502, 503]),
    content_type=st.sampled_from(["application/json", "text/html", "text/plain", ""]),
    body=bodies(),
    headers=st.sampled_from(
        [(), (("WWW-Authenticate", "Basic realm=convox"),), (("WWW-Authenticate", "Session"),)]
    ),
)

# Keys the user might pipe in that break the rack's rules (never a valid one: each would roll).
ALPHABET = string.ascii_letters + string.digits
bad_stdin_keys = st.one_of(
    st.text(alphabet=ALPHABET, min_size=51, max_size=400),
    st.text(min_size=1, max_size=60).filter(lambda s: any(c not in ALPHABET for c in s.strip())),
    st.sampled_from(["", "\n", "\r\n", "key one\n", "abc\ndef\n", "ключ", "a" * 10_000]),
).filter(lambda s: _invalid_key(s))


def _invalid_key(text: str) -> bool:
    value = text.rstrip("\r\n")
    if "\n" in value:
        return True
    raw = value.strip("\r\n")
    return not (1 <= len(raw) <= 50 and all(c in ALPHABET for c in raw))


hosts = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\A[a-z0-9.\-]{0,20}(:[0-9a-z\-]{0,7})?\Z", fullmatch=True),
    st.sampled_from(
        [
            "rack.example.com:99999",
            "[::1",
            "[::1]:0",
            "host:port",
            "a" * 64 + ".example.com",
            "é" * 100,
            "convox:secret@rack.example.com:-1",
            "rack example.com",
            "\x00",
            "%00",
            "127.0.0.1:65536",
        ]
    ),
)


# the server -----------------------------------------------------------------------------------


@dataclass
class ReplyServer:
    """A real HTTP server on 127.0.0.1 (a free port) that answers every request with `reply`."""

    reply: Reply = field(default_factory=lambda: Reply(200, "application/json", b"{}"))
    requests: int = 0

    def __post_init__(self) -> None:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                owner.requests += 1
                reply = owner.reply
                self.send_response(reply.status)
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_PUT = do_POST = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                """A client that hangs up on a huge body is expected: no traceback on stderr.
                (On Python 3.11 a traceback printed by this thread while pytest formats a
                failure races on the interpreter's AST state and crashes pytest's reporter.)"""
                error = sys.exc_info()[1]
                if not isinstance(error, ConnectionError | TimeoutError):
                    super().handle_error(request, client_address)

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ReplyServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class KeysSeen:
    """Every key value a test handed to keyroll, to search errors for."""

    values: set[str] = field(default_factory=set)

    def add(self, *keys: Secret | str) -> None:
        for key in keys:
            self.values.add(key.reveal() if isinstance(key, Secret) else key)


def serving(server: ReplyServer) -> Iterator[ReplyServer]:
    """A fixture body: run `server` for the test's duration."""
    with server:
        yield server
