"""Bad input, property-based: everything keyroll reads from outside gets a clear error.

`config.toml` (random TOML, near-valid settings), every Convox CLI file (random bytes, wrong
JSON types, huge values), own keys on stdin, rack host strings (settings `host`,
`CONVOX_HOST`, `RACK_URL`) and a real loopback server answering malformed JSON, wrong types,
huge bodies and HTML error pages. Each case ends in a value keyroll can use or in one
`KeyrollError` sentence (for a command: exit 2 with one `keyroll: ...` line); no file is
changed, byte for byte and mode. The count of cases tried is printed at the end of the run.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

import tui.clients.rack as rack_module
from tests.conftest import record_figure
from tests.reliability.input_support import (
    ALPHABET,
    CASES,
    PROFILE,
    Reply,
    ReplyServer,
    assert_clear_error,
    assert_command_error,
    assert_unchanged,
    bad_stdin_keys,
    hosts,
    json_values,
    profile,
    replies,
    snapshot,
    tried,
    write_file,
)
from tui.base.errors import EXIT_BAD_INPUT, KeyrollError
from tui.base.key_rules import KeyRuleError, validate_own_key
from tui.base.secret import Secret
from tui.clients.console import ConsoleClient
from tui.clients.errors import BadHostError
from tui.clients.http import ConvoxHttp, host_problem
from tui.clients.rack import RackClient
from tui.commands.roll import read_key
from tui.core.convox_cli import (
    CliConfig,
    CliFileError,
    SwitchTarget,
    resolve,
    switch,
    update_auth_everywhere,
)
from tui.core.inventory import build_inventory, fetch_statuses
from tui.core.keystore import Keystore
from tui.core.settings import (
    MAX_INTERVAL_S,
    ConsoleSettings,
    RackSettings,
    Settings,
    SettingsError,
    load_settings,
    parse_settings,
    save_settings,
)
from tui.sandbox.write_config import write_config

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "AccountKeyBadInput0123456789abcdefghijKLMN"
RACK_KEY = "RackKeyBadInput0123456789abcdefghijklmnOPQ"
NEW_KEY = Secret("NewKeyBadInput0123456789abcdefghijklmnoRST")
CONSOLE = "127.0.0.1:1"  # loopback, nothing listens: a Console call is refused at once
MODES = st.sampled_from([0o600, 0o640, 0o644])

PLAIN_FILES = ("host", "rack", "id", "console")
MAP_FILES = ("auth", "racks", "self-managed", "session")
CLI_FILES = (*PLAIN_FILES, *MAP_FILES, "current")


@pytest.fixture(scope="module", autouse=True)
def _print_counts() -> Iterator[None]:
    """After the module: how many cases were tried, by kind (shown in the run's summary)."""
    yield
    detail = ", ".join(f"{kind} {n}" for kind, n in sorted(CASES.items()))
    record_figure(
        f"bad input: {sum(CASES.values())} cases tried ({detail}); each a clear error or a "
        "usable value, no traceback, no file changed"
    )


@pytest.fixture(autouse=True)
def _no_retry_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reads of a 5xx are retried as in the product, without the pause between tries."""
    monkeypatch.setattr(rack_module, "RETRY_PAUSE_S", 0.0)


# config.toml ----------------------------------------------------------------------------------

toml_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),  # NaN and infinities included: TOML has them
    st.text(max_size=20),
    st.just("x" * 100_000),
    st.datetimes(),
    st.lists(st.integers(), max_size=3),
)


def _value(kind: str) -> st.SearchStrategy[Any]:
    good: dict[str, st.SearchStrategy[Any]] = {
        "bool": st.booleans(),
        "float": st.one_of(st.floats(min_value=0.001, max_value=1e5), st.integers(1, 100)),
        "str": st.one_of(st.text(min_size=1, max_size=20), hosts),
        "verify": st.one_of(st.booleans(), st.text(max_size=20)),
    }
    return st.one_of(good[kind], good[kind], toml_scalars)


TOP = {
    "write_convox_cli": "bool",
    "poll_active_s": "float",
    "poll_idle_s": "float",
    "probe_interval_s": "float",
    "verify_tls": "verify",
}
RACK = {
    "name": "str",
    "host": "str",
    "console": "str",
    "stack": "str",
    "region": "str",
    "production": "bool",
    "read_only": "bool",
}
SECTION = {"profile": "str", "region": "str", "endpoint_url": "str", "host": "str", "url": "str"}


def _table(schema: dict[str, str]) -> st.SearchStrategy[dict[str, Any]]:
    known = st.fixed_dictionaries({}, optional={k: _value(v) for k, v in schema.items()})
    unknown = st.dictionaries(st.text(min_size=1, max_size=8), toml_scalars, max_size=1)
    return st.tuples(known, unknown, st.integers(0, 9)).map(
        lambda t: {**t[0], **t[1]} if t[2] == 0 else t[0]
    )


near_valid_settings = st.builds(
    lambda top, aws, console, racks: {
        **top,
        **({"aws": aws} if aws is not None else {}),
        **({"console": console} if console is not None else {}),
        **({"racks": racks} if racks is not None else {}),
    },
    _table(TOP),
    st.one_of(st.none(), _table(SECTION), toml_scalars),
    st.one_of(st.none(), _table(SECTION)),
    st.one_of(st.none(), st.lists(_table(RACK), max_size=3), toml_scalars),
)

random_toml = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.sampled_from(
        [
            "a = " + "[" * 3000 + "]" * 3000,
            "[racks]\nname = 1",
            "[[racks]]\n[[racks]]",
            'verify_tls = "\\u0000"',
            "poll_active_s = nan",
            "poll_idle_s = -inf",
            '[console]\nurl = "https://[::1"',
            "racks = 7",
            "a.b.c.d.e.f = 1",
            "\ufeffwrite_convox_cli = true",
        ]
    ),
)


def _check_settings(settings: Settings) -> None:
    """What a successful parse promises the rest of keyroll."""
    for value in (settings.poll_active_s, settings.poll_idle_s, settings.probe_interval_s):
        assert math.isfinite(value) and 0 < value <= MAX_INTERVAL_S
    names = [rack.full_name for rack in settings.racks]
    assert len(names) == len(set(names))
    for rack in settings.racks:
        assert rack.name.strip()


def _load_and_save(tmp_path: Path, data: bytes, mode: int) -> None:
    """Load `data` as config.toml; when it is refused, saving must refuse too, file untouched."""
    path = tmp_path / "config" / "config.toml"
    write_file(path, data, mode)
    before = snapshot(tmp_path)
    try:
        settings = load_settings(path)
    except KeyrollError as error:
        message = assert_clear_error(error)
        assert str(path) in message
        with pytest.raises(KeyrollError):
            save_settings(Settings(), path)  # a broken file is never overwritten
        assert_unchanged(before, tmp_path)
        return
    _check_settings(settings)
    assert_unchanged(before, tmp_path)


@PROFILE
@given(text=random_toml, mode=MODES)
def test_random_config_toml(tmp_path_factory: pytest.TempPathFactory, text: str, mode: int) -> None:
    tried("config.toml")
    _load_and_save(tmp_path_factory.mktemp("toml"), text.encode("utf-8", "surrogatepass"), mode)


@PROFILE
@given(data=near_valid_settings, mode=MODES)
def test_near_valid_settings(
    tmp_path_factory: pytest.TempPathFactory, data: dict[str, Any], mode: int
) -> None:
    tried("config.toml")
    _load_and_save(tmp_path_factory.mktemp("near"), tomli_w.dumps(data).encode(), mode)


def test_non_utf8_settings(tmp_path: Path) -> None:
    tried("config.toml")
    _load_and_save(tmp_path, b"write_convox_cli = true\n# \xff\xfe\n", 0o644)


# Convox CLI files -----------------------------------------------------------------------------


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


cli_contents = st.one_of(
    st.binary(max_size=120),
    json_values.map(_json_bytes),  # wrong JSON types
    st.dictionaries(st.text(max_size=12), json_values, max_size=4).map(_json_bytes),
    st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=4).map(_json_bytes),
    st.sampled_from(
        [
            b"x" * 3_000_000,  # huge value
            _json_bytes({CONSOLE: "k" * 2_000_000}),
            _json_bytes({"name": "n" * 1_000_000, "type": "console"}),
            b"[" * 100_000,
            b"{" + b'"a":{' * 50_000,
            b"\xef\xbb\xbf{}",  # a BOM
            b"\x00\x00",
            b"null",
            b"   \n",
        ]
    ),
)


def _cli_dir(root: Path, v3: bool) -> CliConfig:
    """A Convox CLI config dir as `convox login` (v2) or the v3 CLI leaves it."""
    config = CliConfig(root / "convox")
    config.write_map("auth", {CONSOLE: ACCOUNT, "127.0.0.1:2": RACK_KEY})
    config.write_map("self-managed", {"dev": "127.0.0.1:2"})
    config.write_plain("id", "ops@acme.test")
    if v3:
        config.write_plain("console", CONSOLE)
        config.write_current("acme/production")
    else:
        config.write_plain("host", CONSOLE)
        config.write_map("racks", {CONSOLE: "acme/production"})
    return config


def _reader(config: CliConfig, name: str) -> Callable[[], object]:
    readers: dict[str, Callable[[], object]] = {
        "host": config.host,
        "rack": config.rack,
        "id": config.account_id,
        "console": config.console,
        "auth": config.auth,
        "racks": config.racks,
        "self-managed": config.self_managed,
        "session": config.session,
        "current": config.current,
    }
    return readers[name]


@PROFILE
@given(name=st.sampled_from(CLI_FILES), content=cli_contents, mode=MODES, v3=st.booleans())
def test_convox_cli_files(
    tmp_path_factory: pytest.TempPathFactory, name: str, content: bytes, mode: int, v3: bool
) -> None:
    tried("Convox CLI files")
    root = tmp_path_factory.mktemp("cli")
    config = _cli_dir(root, v3)
    target = config.path / name
    write_file(target, content, mode)
    env = {"CONVOX_CONFIG": str(config.path), "HOME": str(root / "home")}
    before = snapshot(root)

    # reading: each reader gives a value or one sentence, and reads never write
    broken = False
    try:
        _reader(config, name)()
    except KeyrollError as error:
        assert isinstance(error, CliFileError) or error.exit_code == EXIT_BAD_INPUT
        assert str(target) in assert_clear_error(error, ACCOUNT, RACK_KEY)
        broken = True
    current = resolve(config, env=env, cwd=root)
    for problem in current.problems:
        assert_clear_error(KeyrollError(problem), ACCOUNT, RACK_KEY)
    assert current.endpoint_host is None or isinstance(current.endpoint_host, str)
    settings = Settings(console=ConsoleSettings(host=CONSOLE, url=f"https://{CONSOLE}"))
    inventory = build_inventory(settings, Keystore(root / "keystore.json"), config)
    for problem in inventory.problems:
        assert ACCOUNT not in problem and RACK_KEY not in problem and "\n" not in problem
    assert_unchanged(before, root)

    # writing: a switch and a key roll's auth rewrite either work or stop with one sentence;
    # the file that could not be read is never rewritten
    for write in (
        lambda: switch(config, SwitchTarget("acme/staging", console_host=CONSOLE), env=env),
        lambda: update_auth_everywhere(CONSOLE, NEW_KEY, env),
    ):
        try:
            written = write()
        except KeyrollError as error:
            assert_clear_error(error, ACCOUNT, RACK_KEY, NEW_KEY.reveal())
            continue
        if isinstance(written, tuple):  # update_auth_everywhere: (files, problems)
            for problem in written[1]:
                assert_clear_error(KeyrollError(problem), ACCOUNT, NEW_KEY.reveal())
    if broken:
        assert target.read_bytes() == content, f"the broken {name} was rewritten"
        assert target.stat().st_mode & 0o777 == mode


# own keys on stdin ----------------------------------------------------------------------------

any_key_text = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=ALPHABET, max_size=60),
    st.text(alphabet=ALPHABET + " \t\r\n-_+/=", max_size=60),
)


@profile(300)
@given(text=any_key_text)
def test_validate_own_key(text: str) -> None:
    tried("own keys")
    raw = text.strip("\r\n")
    valid = 1 <= len(raw) <= 50 and all(c in ALPHABET for c in raw)
    try:
        key = validate_own_key(text)
    except KeyRuleError as error:
        assert not valid, f"{raw!r} keeps the rules but was refused"
        assert error.exit_code == EXIT_BAD_INPUT
        assert_clear_error(error, raw)
        return
    assert valid, f"{raw!r} breaks a rule but was accepted"
    assert key.reveal() == raw


@PROFILE
@given(text=any_key_text)
def test_read_key_from_stdin(text: str) -> None:
    tried("own keys")
    try:
        key = read_key(io.StringIO(text), "rack-key")
    except KeyrollError as error:
        assert error.exit_code == EXIT_BAD_INPUT
        assert_clear_error(error, text.strip())
        return
    assert 1 <= len(key) <= 50 and all(c in ALPHABET for c in key.reveal())


def _home(root: Path) -> dict[str, str]:
    """A keyroll home and Convox CLI dir (nothing listening behind them) and the env to use
    them from a `keyroll` subprocess."""
    info = {
        "console": {"host": CONSOLE, "url": f"https://{CONSOLE}", "api_key": ACCOUNT},
        "racks": [{"name": "dev", "host": "127.0.0.1:2", "api_key": RACK_KEY}],
    }
    home, cli = write_config(info, root / "world")
    (root / "home").mkdir(exist_ok=True)
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(root / "home"),
        "KEYROLL_HOME": str(home),
        "CONVOX_CONFIG": str(cli),
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _keyroll(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@profile(4)
@given(text=bad_stdin_keys)
def test_keyroll_roll_rack_key_value_from_stdin(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    tried("commands")
    root = tmp_path_factory.mktemp("stdin")
    env = _home(root)
    before = snapshot(root)
    result = _keyroll(env, "roll", "rack-key", "dev", "--value-from-stdin", stdin=text)
    assert result.returncode == EXIT_BAD_INPUT, result.stderr
    assert result.stdout == ""
    assert_command_error(result.stderr, ACCOUNT, RACK_KEY, text.strip())
    assert_unchanged(before, root)


@pytest.mark.parametrize(
    ("where", "content", "args"),
    [
        ("config", b"poll_active_s = \n", ("racks",)),
        ("config", b"a = " + b"[" * 3000 + b"]" * 3000 + b"\n", ("history",)),
        ("config", b"verify_tls = 1\n", ("roll", "rack-key", "dev")),
        ("cli-racks", b"[" * 100_000, ("switch", "dev")),
        ("cli-auth", b"\xff\xfe", ("switch", "dev")),
    ],
    ids=["syntax", "nested", "wrong-type", "racks-nested", "auth-not-utf8"],
)
def test_commands_on_broken_files(
    tmp_path: Path, where: str, content: bytes, args: tuple[str, ...]
) -> None:
    tried("commands")
    env = _home(tmp_path)
    if where == "config":
        path = Path(env["KEYROLL_HOME"]) / "config" / "config.toml"
    else:
        path = Path(env["CONVOX_CONFIG"]) / where.removeprefix("cli-")
    write_file(path, content, 0o640)
    before = snapshot(tmp_path)
    result = _keyroll(env, *args)
    assert result.returncode == EXIT_BAD_INPUT, result.stderr
    assert str(path) in assert_command_error(result.stderr, ACCOUNT, RACK_KEY)
    assert_unchanged(before, tmp_path)


# rack host strings ----------------------------------------------------------------------------


def _assert_host_refused_or_callable(host: str) -> None:
    """A host keyroll cannot call is BadHostError (exit 2) before any connection."""
    url = host if "://" in host else f"https://{host}"
    problem = host_problem(url)
    client = ConvoxHttp(url)  # building a client never raises
    if problem is None:
        import httpx

        parsed = httpx.URL(url)
        assert parsed.host and (parsed.port is None or 0 < parsed.port < 65536)
        return
    with pytest.raises(BadHostError) as caught:
        client.request("GET", "/system", [Secret(RACK_KEY)])
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert_clear_error(caught.value, RACK_KEY, "secret@")


@PROFILE
@given(host=hosts)
def test_rack_host_in_settings(host: str) -> None:
    tried("host strings")
    text = tomli_w.dumps({"racks": [{"name": "r", "host": host}]})
    try:
        settings = parse_settings(text, Path("config.toml"))
    except SettingsError as error:
        assert_clear_error(error)
        return
    rack = settings.racks[0]
    assert rack.host == host
    _assert_host_refused_or_callable(host)
    if host_problem(f"https://{host}") is not None:  # never a connection, so never the network
        inventory = build_inventory(
            Settings(
                console=ConsoleSettings(host=CONSOLE, url=f"https://{CONSOLE}"),
                racks=(RackSettings(name="r", host=host),),
            ),
            Keystore(Path("/nonexistent/keystore.json")),
        )
        status = fetch_statuses(inventory)["r"]
        assert status.status == "unknown" and status.error is not None
        assert_clear_error(KeyrollError(status.error))


@PROFILE
@given(host=hosts, rack_url=hosts, scheme=st.sampled_from(["https://", "http://", "", "ftp://"]))
def test_convox_host_and_rack_url(
    tmp_path_factory: pytest.TempPathFactory, host: str, rack_url: str, scheme: str
) -> None:
    tried("host strings")
    root = tmp_path_factory.mktemp("env")
    config = CliConfig(root)
    before = snapshot(root)
    env = {k: v for k, v in (("CONVOX_HOST", host), ("RACK_URL", scheme + rack_url)) if v}
    current = resolve(config, env=env, cwd=root)
    assert current.endpoint_host is None or isinstance(current.endpoint_host, str)
    if current.host:
        _assert_host_refused_or_callable(current.host)
    assert_unchanged(before, root)


# a server that answers badly ------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_server() -> Iterator[ReplyServer]:
    with ReplyServer() as server:
        yield server


def _rack(url: str, *keys: Secret) -> RackClient:
    return RackClient(url, list(keys) or [Secret(RACK_KEY)])


CALLS: dict[str, Callable[[str], object]] = {
    "rack GET /auth": lambda url: _rack(url).auth(),
    "rack GET /system": lambda url: _rack(url).system(),
    "rack GET /instances": lambda url: _rack(url).instances(),
    "rack GET /apps": lambda url: _rack(url).apps(),
    "rack GET services": lambda url: _rack(url).services("web"),
    "rack GET processes": lambda url: _rack(url).processes("web"),
    "rack PUT /system": lambda url: _rack(url, NEW_KEY, Secret(RACK_KEY)).update_parameters(
        {"Password": NEW_KEY}
    ),
    "rack POST keyroll": lambda url: _rack(url).instance_keyroll(),
    "console GET /auth": lambda url: ConsoleClient(url, Secret(ACCOUNT)).auth(),
    "console GET /racks": lambda url: ConsoleClient(url, Secret(ACCOUNT)).racks(),
    "console proxied /system": lambda url: (
        ConsoleClient(url, Secret(ACCOUNT)).rack("acme/production", take_connection=True).system()
    ),
}


@profile(250)
@given(reply=replies, call=st.sampled_from(sorted(CALLS)))
def test_server_replies(bad_server: ReplyServer, reply: Reply, call: str) -> None:
    tried("server replies")
    bad_server.reply = reply
    try:
        result = CALLS[call](bad_server.url)
    except KeyrollError as error:
        assert_clear_error(error, RACK_KEY, ACCOUNT, NEW_KEY.reveal())
        return
    assert reply.status < 400, f"{call} took a {reply.status} as success"
    if isinstance(result, list) or call.endswith("GET /system"):
        # a model came out: the body must have been JSON (a 204 carries no body at all)
        assert reply.status != 204, f"{call} read a model from a 204"
        json.loads(reply.body)
