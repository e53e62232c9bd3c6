"""What the flagged-cell highlight costs an office suite: a 10,000-row Incidents tab rendered with and without it.

The highlight is one conditional format per PM tab whose formula looks each cell up in the Findings tab's
Cell column (see pmsheets/register/findings_look.py), so the cost is in the spreadsheet application, not in
pmsheets. This bench builds a register of `--rows` incidents with about three findings each, writes the
Findings tab with the highlight on and off, and times headless LibreOffice printing the Incidents tab (every
cell of it, which evaluates the rule on every cell: more than a person scrolling ever asks for) to PDF.

    .venv/bin/python bench/highlight.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl

from pmsheets.core.check import findings_rows, validate
from pmsheets.core.policy import Policy
from pmsheets.core.schema import ParseSettings
from pmsheets.register.xlsx import XlsxRegister, create_register

START = datetime(2026, 1, 1, 9)
"""Typed into the workbook as local times (a workbook has no zone); checked as UTC."""


def build(path: Path, rows: int) -> int:
    incidents = [
        {
            "ID": f"INC-{n:05d}",
            "Title": f"Incident {n}",
            "Severity": "P0",
            "Detected at": START + timedelta(hours=n),
            "Resolved at": START + timedelta(hours=n + 1),
        }
        for n in range(rows)
    ]
    create_register(path, {"incidents": incidents})
    backend = XlsxRegister(path)
    checked = validate(
        backend.read().tables, as_of=(START + timedelta(days=800)).replace(tzinfo=UTC), policy=Policy(), settings=ParseSettings()
    )
    backend.write_findings(findings_rows(checked.findings, checked.register))
    return len(checked.findings)


def incidents_only(source: Path, target: Path, *, highlight: bool) -> None:
    shutil.copyfile(source, target)
    XlsxRegister(target).write_findings(_findings(target), highlight=highlight)
    workbook = openpyxl.load_workbook(target)
    for sheet in workbook.worksheets:
        sheet.sheet_state = "visible" if sheet.title == "Incidents" else "hidden"
    workbook.active = 0
    workbook.save(target)


def _findings(path: Path) -> list[list[str]]:
    rows = openpyxl.load_workbook(path, read_only=True)["Findings"].iter_rows(min_row=2, values_only=True)
    return [["" if value is None else str(value) for value in row] for row in rows]


def render_seconds(workbook: Path, folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=1800,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        register = folder / "register.xlsx"
        findings = build(register, args.rows)
        warm_up = folder / "warm-up.xlsx"
        create_register(warm_up)
        render_seconds(warm_up, folder)  # the first start of LibreOffice sets up its profile: not measured
        for highlight in (False, True):
            target = folder / f"incidents-{'on' if highlight else 'off'}.xlsx"
            incidents_only(register, target, highlight=highlight)
            seconds = render_seconds(target, folder)
            print(
                f"{args.rows:,} incidents, {findings:,} findings, highlight {'on ' if highlight else 'off'}: LibreOffice prints the tab in {seconds:.1f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
