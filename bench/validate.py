"""Benchmark: load + check a register of 10,000 incidents and 40,000 actions.

Run: .venv/bin/python bench/validate.py [--incidents N] [--actions-per-incident K]
Prints workbook build time (not counted), load time (openpyxl read), parse time, check time,
rows per second for the checks alone, and peak memory (tracemalloc and process max RSS).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pmsheets.core import policy
from pmsheets.core.schema import ACTIONS, INCIDENTS, ParseSettings, parse
from pmsheets.gc_pause import paused_gc
from pmsheets.register.xlsx import XlsxRegister

AS_OF = datetime(2026, 11, 27, 9, tzinfo=ZoneInfo("UTC"))


def build_tables(incidents: int, per_incident: int) -> dict[str, list[list[object]]]:
    """Varied rows so most rules run their full path (deadlines, overdue actions, links)."""
    base = AS_OF.replace(tzinfo=None)
    incident_rows: list[list[object]] = [[c.header for c in INCIDENTS.columns]]
    action_rows: list[list[object]] = [[c.header for c in ACTIONS.columns]]
    statuses = ["Not started", "Draft", "Reviewed", "Closed"]
    for i in range(incidents):
        resolved = base - timedelta(hours=7 * (i % 400))
        incident_rows.append(
            [
                f"INC-{i:06d}",
                f"Incident {i}",
                f"P{i % 3}",
                resolved - timedelta(minutes=40),
                resolved,
                ["None", "Trivial", "Non-trivial"][i % 3],
                i % 40,
                "Yes" if i % 7 == 0 else "No",
                "No",
                None,
                "Owner A" if i % 11 else None,
                "Responder B",
                "C, D",
                statuses[i % 4],
                (resolved + timedelta(days=1)).date() if i % 4 else None,
                (resolved + timedelta(days=4)).date() if i % 4 >= 2 else None,
                (resolved + timedelta(days=20)).date() if i % 4 == 3 else None,
                "https://docs.example.com/pm" if i % 5 else None,
                "Summary text",
                "Root cause text",
            ]
        )
        for k in range(per_incident):
            n = i * per_incident + k
            action_rows.append(
                [
                    f"ACT-{n:07d}",
                    f"INC-{i:06d}",
                    "Add an alert for the failure mode",
                    ["Short-term", "Long-term"][n % 2],
                    "Owner E" if n % 13 else None,
                    (base + timedelta(days=(n % 90) - 45)).date(),
                    ["OPS-1", "https://tracker.example.com/1", "ask later", None][n % 4],
                    ["Open", "In progress", "Done", "Won't do"][n % 4],
                    None,
                ]
            )
    return {"Incidents": incident_rows, "Actions": action_rows}


def write_workbook(path: Path, tables: dict[str, list[list[object]]]) -> None:
    workbook = openpyxl.Workbook(write_only=True)
    for title, rows in tables.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--actions-per-incident", type=int, default=4)
    args = parser.parse_args()
    tables = build_tables(args.incidents, args.actions_per_incident)
    rows = sum(len(t) - 1 for t in tables.values())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "register.xlsx"
        started = time.perf_counter()
        write_workbook(path, tables)
        build = time.perf_counter() - started
        del tables

        # Timed without tracemalloc (it slows allocation-heavy code several times over), and
        # with the cyclic GC paused around parse and check exactly as validation.validate does.
        started = time.perf_counter()
        raw = XlsxRegister(path).read().tables
        loaded = time.perf_counter()
        with paused_gc():
            parsed = parse(raw, ParseSettings())
            parsed_at = time.perf_counter()
            findings = policy.check(parsed.register, AS_OF, policy.Policy())
            checked = time.perf_counter()
        del raw, parsed, findings

        tracemalloc.start()
        parsed = parse(XlsxRegister(path).read().tables, ParseSettings())
        findings = policy.check(parsed.register, AS_OF, policy.Policy())
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    check_s = checked - parsed_at
    print(f"register: {args.incidents} incidents, {rows - args.incidents} actions ({rows} rows)")
    print(f"build workbook (not counted): {build:.2f} s")
    print(f"load (openpyxl read): {loaded - started:.2f} s")
    print(f"parse (cells -> records): {parsed_at - loaded:.2f} s")
    print(f"check (policy rules): {check_s:.3f} s = {rows / check_s:,.0f} rows/s ({len(findings)} findings)")
    print(f"load + parse + check: {checked - started:.2f} s")
    print(f"peak traced memory: {peak / 2**20:.0f} MiB; process max RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
