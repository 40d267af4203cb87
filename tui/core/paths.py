"""Where keyroll keeps its files: the platform's config, data and state dirs, or `KEYROLL_HOME`."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "keyroll"
HOME_ENV = "KEYROLL_HOME"


def _home() -> Path | None:
    home = os.environ.get(HOME_ENV, "")
    return Path(home).expanduser() if home else None


def config_dir() -> Path:
    """Settings (`config.toml`): `$KEYROLL_HOME/config` or the platform's user config dir."""
    home = _home()
    return home / "config" if home else platformdirs.user_config_path(APP_NAME)


def data_dir() -> Path:
    """The keystore: `$KEYROLL_HOME/data` or the platform's user data dir."""
    home = _home()
    return home / "data" if home else platformdirs.user_data_path(APP_NAME)


def state_dir() -> Path:
    """The roll journal and rack locks: `$KEYROLL_HOME/state` or the platform's user state dir."""
    home = _home()
    return home / "state" if home else platformdirs.user_state_path(APP_NAME)


def settings_file() -> Path:
    """keyroll's settings file."""
    return config_dir() / "config.toml"


def keystore_file() -> Path:
    """The keystore file (JSON, 0600)."""
    return data_dir() / "keystore.json"


def journal_dir() -> Path:
    """The directory of roll records, one JSON file per roll."""
    return state_dir() / "rolls"


def locks_dir() -> Path:
    """The directory of per-rack lock files."""
    return state_dir() / "locks"
