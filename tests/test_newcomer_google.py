"""The newcomer path to the google backend: `pmsheets emulator --load` in one process, validate in another."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from tests.cli_helpers import run

AS_OF = "2026-11-27T09:00:00+00:00"


def test_emulator_command_serves_a_workbook_to_the_google_backend(tmp_path: Path) -> None:
    workbook = tmp_path / "demo.xlsx"
    run("init", "--xlsx", str(workbook), "--demo", "--as-of", AS_OF)
    server = subprocess.Popen(
        [sys.executable, "-m", "pmsheets", "emulator", "--load", str(workbook), "--key-out", str(tmp_path / "key.json")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split(" at ")[1].strip()
        key = server.stdout.readline().split(": ")[1].strip()
        config = tmp_path / "pmsheets.yaml"
        config.write_text(
            f"timezone: UTC\nregister:\n  backend: google\n  spreadsheet: {key}\n  credentials: key.json\n  api_endpoint: {url}\n",
            encoding="utf-8",
        )
        code, out, err = run("--config", str(config), "validate", "--write", "--as-of", AS_OF, "--format", "json")
        assert code == 1, err
        assert json.loads(out)["counts"]["error"] > 10
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
        if server.stdout is not None:
            server.stdout.close()
