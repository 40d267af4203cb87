"""The files a command works on: the user's own, or a throwaway set pointing at the sandbox.

With `--sandbox` a command starts the in-process sandbox, writes a keyroll home and a Convox
CLI config dir for it into a temporary directory, and works only there: the user's real
keystore and CLI files are never read or written, and of their settings only `[keymap]` is
read, so the keys a person chose work on the sandbox too.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from tui.base.errors import KeyrollError
from tui.core import paths
from tui.core.convox_cli import CONFIG_ENV, CliConfig, primary_dir
from tui.core.keystore import Keystore
from tui.core.settings import Settings, load_settings
from tui.core.workspace import Workspace


def _real(env: Mapping[str, str]) -> Workspace:
    return Workspace(
        settings=load_settings(paths.settings_file()),
        keystore=Keystore(paths.keystore_file()),
        state_dir=paths.state_dir(),
        cli=CliConfig(primary_dir(env)),
        env=env,
    )


@contextmanager
def _sandbox(args: argparse.Namespace) -> Iterator[Workspace]:
    from tui.sandbox.runtime import Sandbox

    sandbox = Sandbox(scenario=getattr(args, "scenario", "ok"), speed=getattr(args, "speed", 1.0))
    with sandbox_workspace(sandbox) as workspace:
        yield workspace


def with_own_keymap(settings: Settings) -> Settings:
    """`settings` with the `[keymap]` of the user's own settings file, which an error about it
    then names; unchanged when that file has none or cannot be read (the sandbox does not
    depend on the user's files; the user's own dashboard names that error)."""
    try:
        own = load_settings(paths.settings_file())
    except KeyrollError:
        return settings
    return replace(settings, keymap=own.keymap, path=own.path) if own.keymap else settings


@contextmanager
def sandbox_workspace(sandbox: Any) -> Iterator[Workspace]:
    """Start `sandbox` (a `tui.sandbox.runtime.Sandbox`) and yield a throwaway workspace on it."""
    from tui.sandbox.write_config import write_config

    with ExitStack() as stack:
        temp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="keyroll-sandbox-")))
        stack.enter_context(sandbox)
        home, cli_dir = write_config(sandbox.info(), temp)
        # The sandbox's own env: CONVOX_* of the user's shell must not leak into it.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONVOX_", "RACK_URL"))}
        env[CONFIG_ENV] = str(cli_dir)
        yield Workspace(
            settings=with_own_keymap(load_settings(home / "config" / "config.toml")),
            keystore=Keystore(home / "data" / "keystore.json"),
            state_dir=home / "state",
            cli=CliConfig(cli_dir),
            env=env,
            sandbox=sandbox,
        )


@contextmanager
def open_workspace(args: argparse.Namespace) -> Iterator[Workspace]:
    """The workspace for `args`: the sandbox's with `--sandbox`, else the user's."""
    read_only = bool(getattr(args, "read_only", False))
    if getattr(args, "sandbox", False):
        with _sandbox(args) as workspace:
            workspace.read_only = read_only
            yield workspace
    else:
        workspace = _real(os.environ)
        workspace.read_only = read_only
        yield workspace


def starts_on_sandbox(env: Mapping[str, str] | None = None) -> bool:
    """Whether the dashboard should start on the sandbox: nothing to show from the user's files.

    True when no Convox CLI config dir exists and keyroll's settings name no racks and its
    keystore holds no keys. A settings or keystore file that cannot be read is not "nothing":
    the dashboard then opens the user's files and shows the error.
    """
    from tui.core.convox_cli import find_dirs

    env = os.environ if env is None else env
    if find_dirs(env):
        return False
    try:
        settings = load_settings(paths.settings_file())
        keystore_hosts = Keystore(paths.keystore_file()).hosts()
    except KeyrollError:
        return False
    return not settings.racks and not keystore_hosts
