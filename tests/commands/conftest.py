"""A keyroll home and a Convox CLI dir on the HTTPS fake Console and rack, for command tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.convox_fake import ConvoxFake, convox_fake
from tests.core.test_inventory import world

__all__ = ["convox_fake", "homes", "snapshot"]


@pytest.fixture
def homes(tmp_path: Path, convox_fake: ConvoxFake, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`tmp_path/keyroll` (KEYROLL_HOME) and `tmp_path/convox` (CONVOX_CONFIG), no CONVOX_* env."""
    settings, _keystore, _cli = world(tmp_path, convox_fake)
    (tmp_path / "keyroll" / "config").mkdir(parents=True)
    (tmp_path / "keyroll" / "config" / "config.toml").write_text(settings.to_toml())
    monkeypatch.setenv("KEYROLL_HOME", str(tmp_path / "keyroll"))
    monkeypatch.setenv("CONVOX_CONFIG", str(tmp_path / "convox"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("CONVOX_HOST", "CONVOX_PASSWORD", "RACK_URL", "CONVOX_RACK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root`, by relative path, with its bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }
