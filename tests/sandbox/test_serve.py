"""`keyroll sandbox serve` as a real subprocess: prints its JSON, stops cleanly on SIGINT."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def test_serve_prints_json_and_stops_on_sigint() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "sandbox", "serve", "--speed", "50", "--scenario", "slow"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert set(info) == {"console", "racks", "scenario", "speed", "aws"}
        assert (info["scenario"], info["speed"]) == ("slow", 50.0)
        assert set(info["aws"]) == {"endpoint_url", "region", "access_key_id", "secret_access_key"}
        assert info["aws"]["endpoint_url"].startswith("http://127.0.0.1:")
        assert set(info["console"]) == {"url", "host", "account", "api_key", "certificate"}
        names = [(r["name"], r["organization"], r["via_console"]) for r in info["racks"]]
        assert names == [
            ("acme/production", "acme", True),
            ("acme/staging", "acme", True),
            ("dev", "", False),
        ]
        console = info["console"]
        pinned = ssl.create_default_context(cadata=console["certificate"])  # printed to pin
        assert {r["certificate"] for r in info["racks"]} == {console["certificate"]}
        with httpx.Client(verify=pinned) as client:
            reply = client.get(f"{console['url']}/auth", auth=("convox", console["api_key"]))
            assert reply.json() == {"id": "ops@acme.test"}
            dev = info["racks"][2]
            assert client.get(f"{dev['url']}/auth", auth=("convox", dev["api_key"])).text == "ok\n"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert process.stderr is not None and "Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
