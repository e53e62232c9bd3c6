"""`pmsheets worker` as a real process: the Sheets emulator, a real SMTP server on 127.0.0.1, SIGTERM.

The only test that waits for real time, bounded by timeouts: the worker runs a cycle every
3 seconds and the weekly slot is set two minutes in the past, so its first cycle sends.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pytest

from pmsheets.ops.heartbeat import read_beat
from sheets_emulator import SheetsEmulator
from tests.builders import write_workbook
from tests.report_fixtures import sample_tables
from tests.smtp_server import HOST, running_server

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class WorkerProcess:
    """`pmsheets worker --log-format json` in a subprocess; its event lines collected as they come."""

    def __init__(self, config: Path) -> None:
        env = {**os.environ, "TZ": "UTC", "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "pmsheets", "--config", str(config), "worker", "--log-format", "json"]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._collect, args=(self.process.stderr,), daemon=True).start()

    def _collect(self, stream: IO[str] | None) -> None:
        assert stream is not None
        with stream:
            for line in stream:
                self.lines.put(line)

    def wait_for(self, condition: Callable[[list[dict[str, Any]]], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self.seen):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.process.poll() is not None and self.lines.empty()):
                pytest.fail(f"the worker never got there; its log: {self.seen}")
            try:
                line = self.lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            self.seen.append(json.loads(line) if line.startswith("{") else {"event": "raw", "message": line})

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.seen if line.get("event") == name]


@pytest.fixture
def worker_process() -> Iterator[Callable[[Path], WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(config: Path) -> WorkerProcess:
        started.append(WorkerProcess(config))
        return started[-1]

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(timeout=STOP_TIMEOUT)


def worker_config(tmp_path: Path, emulator: SheetsEmulator, smtp_port: int) -> Path:
    key = emulator.load_xlsx(write_workbook(tmp_path / "register.xlsx", sample_tables()))
    key_file = emulator.write_key_file(tmp_path / "key.json")
    key_file.chmod(0o600)
    slot = datetime.now(UTC) - timedelta(minutes=2)
    config = tmp_path / "pmsheets.yaml"
    config.write_text(
        f"""timezone: UTC
register:
  backend: google
  spreadsheet: {key}
  credentials: key.json
  api_endpoint: {emulator.url}
mail:
  transport: smtp
  smtp:
    host: {HOST}
    port: {smtp_port}
    security: none
    timeout: 10
reports:
  weekly:
    day: {slot.strftime("%A").lower()}
    time: "{slot:%H:%M}"
  overdue:
    to: [leads@example.com]
  escalation:
    to: [ops-review@example.com]
worker:
  sync_every_minutes: 0.05
  heartbeat: state/worker.heartbeat
""",
        encoding="utf-8",
    )
    return config


def test_worker_process_runs_cycles_sends_the_due_report_and_exits_0_on_sigterm(
    emulator: SheetsEmulator, tmp_path: Path, worker_process: Callable[[Path], WorkerProcess]
) -> None:
    with running_server() as smtp:
        worker = worker_process(worker_config(tmp_path, emulator, smtp.port))
        worker.wait_for(lambda seen: len([line for line in seen if line.get("event") == "cycle"]) >= 2, STARTUP_TIMEOUT)
        worker.process.send_signal(signal.SIGTERM)
        code = worker.process.wait(timeout=STOP_TIMEOUT)
        worker.wait_for(lambda seen: any(line.get("event") == "worker.stopped" for line in seen), STOP_TIMEOUT)
        subjects = sorted(" ".join(str(message.message["Subject"]).split()) for message in smtp.handler.received)

    assert code == 0
    assert [line["status"] for line in worker.events("cycle")][:2] == ["ok", "ok"]
    assert sorted(line["kind"] for line in worker.events("report.sent")) == ["escalation", "overdue"]
    assert len(subjects) == 2  # each report once, although several cycles ran
    assert subjects[0].startswith("Ops review escalations ")
    assert subjects[1].startswith("Overdue post-mortem work ")
    beat = read_beat(tmp_path / "state" / "worker.heartbeat")
    assert beat is not None
    assert beat.state == "stopped"
