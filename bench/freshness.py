"""Benchmark: how soon a PM's edit shows on the Findings tab, and what an idle worker costs.

Run: .venv/bin/python bench/freshness.py [--incidents N] [--edits 20] [--idle-minutes 10]
(takes a while in real time: about a minute per edit plus the idle window; run it in the background.)

A real `pmsheets worker` process (the default `worker.sync_every_minutes`, 1) runs against the
Sheets emulator in this process. Each edit fills a blank Tracking link, as a PM would, at a random
moment of the worker's minute; the time until the Findings tab no longer lists that cell's
`action-link-missing` is measured by looking at the emulator's store (no API request). Then the
worker is left alone: the API requests it makes, by kind, and the CPU time it spends are counted
over the idle window and scaled to an hour. Targets (issue 16): max < 90 s; idle <= 60 cheap
metadata requests an hour and 0 writes.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.validate import build_tables, write_workbook
from pmsheets.core.schema import FINDINGS_CELL_COLUMN, FINDINGS_HEADERS, FINDINGS_TITLE
from pmsheets.register.google_session import client_for
from pmsheets.register.locate import quote_range
from sheets_emulator import SheetsEmulator
from sheets_emulator.testing import credentials_for

TICK = 0.2
TIMEOUT = 300.0


def findings_cells(emulator: SheetsEmulator, key: str, rule: str) -> set[str]:
    sheet = emulator.store.spreadsheet(key).sheet_by_title(FINDINGS_TITLE)
    if sheet is None:
        return set()
    rule_column = FINDINGS_HEADERS.index("Rule")
    return {str(row[FINDINGS_CELL_COLUMN]) for row in sheet.rows if len(row) > FINDINGS_CELL_COLUMN and row[rule_column] == rule}


def worker_config(folder: Path, emulator: SheetsEmulator, key: str) -> Path:
    emulator.write_key_file(folder / "key.json").chmod(0o600)
    config = folder / "pmsheets.yaml"
    config.write_text(
        f"""timezone: UTC
register:
  backend: google
  spreadsheet: {key}
  credentials: key.json
  api_endpoint: {emulator.url}
postmortems:
  dir: {folder / "postmortems"}
worker:
  heartbeat: {folder / "worker.heartbeat"}
""",
        encoding="utf-8",
    )
    return config


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until(condition: Any, timeout: float = TIMEOUT) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            msg = "timed out waiting for the worker"
            raise SystemExit(msg)
        time.sleep(TICK)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=2_000)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--idle-minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    chance = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as name, SheetsEmulator() as emulator:
        folder = Path(name)
        write_workbook(folder / "register.xlsx", build_tables(args.incidents, 4))
        key = emulator.load_xlsx(folder / "register.xlsx")
        pm = client_for(credentials_for(emulator), emulator.url)
        env = {**os.environ, "TZ": "UTC"}
        command = [sys.executable, "-m", "pmsheets", "--config", str(worker_config(folder, emulator, key)), "worker"]
        worker = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            wait_until(lambda: bool(findings_cells(emulator, key, "action-link-missing")))
            blank = sorted(findings_cells(emulator, key, "action-link-missing"), key=lambda cell: int(cell.split("!G")[1]))
            print(f"register: {args.incidents} incidents, {4 * args.incidents} actions; worker pid {worker.pid}; first cycle done")
            latencies = []
            for number, cell in enumerate(chance.sample(blank, args.edits), start=1):
                time.sleep(chance.uniform(0, 30))  # a random moment of the worker's minute
                pm.http_client.values_update(
                    key,
                    f"{quote_range('Actions')}!{cell.split('!')[1]}",
                    params={"valueInputOption": "RAW"},
                    body={"values": [[f"OPS-{number}"]]},
                )
                seconds = wait_until(lambda cell=cell: cell not in findings_cells(emulator, key, "action-link-missing"))
                latencies.append(seconds)
                print(f"edit {number:2d}: {cell} -> Findings tab after {seconds:5.1f} s", flush=True)
            print(f"edit -> Findings tab over {len(latencies)} edits: p50 {statistics.median(latencies):.1f} s, max {max(latencies):.1f} s")

            time.sleep(120)  # the cycle after the last write reads once more (its own write changed the version)
            before = {kind: emulator.count(kind) for kind in ("drive", "read", "write")}
            cpu_before = cpu_seconds(worker.pid)
            time.sleep(args.idle_minutes * 60)
            scale = 60 / args.idle_minutes
            counts = {kind: (emulator.count(kind) - before[kind]) * scale for kind in before}
            cpu = cpu_seconds(worker.pid) - cpu_before
            print(
                f"idle worker, per hour (over {args.idle_minutes:g} min): {counts['drive']:.0f} Drive files.get, "
                f"{counts['read']:.0f} Sheets reads, {counts['write']:.0f} writes; worker CPU {cpu * scale:.2f} s an hour "
                f"({cpu * 1000 / max(1.0, counts['drive'] / scale):.1f} ms a cycle, heartbeat included)"
            )
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
            pm.http_client.session.close()


if __name__ == "__main__":
    main()
