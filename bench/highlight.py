"""What the flagged-cell highlight costs an office suite: a 10,000-row Incidents tab rendered with and without it.

The highlight is one conditional format per PM tab whose ranges are the flagged cells and whose formula is a
constant (see pmsheets/register/findings_look.py), so the cost is in the spreadsheet application, not in
pmsheets. This bench builds a register of `--rows` incidents with about five findings each, writes the
Findings tab with the highlight on and off, and times headless LibreOffice printing the Incidents tab (every
cell of it: more than a person scrolling ever asks for) to PDF. It also prints how many ranges the rule has
and the size of its sqref. `--every 2` keeps the findings of every other incident only, so that no two
flagged cells sit one below the other and the rule has a range per flagged cell or row: the worst case for
the number of ranges.

(Before the ranges-as-cells rule, the formula looked each cell up in the Findings tab's Cell column:
1,000 incidents took 21.6 s instead of 6.7 s, and 10,000 did not finish in 5 minutes.)

    .venv/bin/python bench/highlight.py [--rows 10000] [--every 1]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl

from pmsheets.core.check import findings_rows, validate
from pmsheets.core.policy import Policy
from pmsheets.core.schema import ParseSettings
from pmsheets.register.xlsx import XlsxRegister, create_register

START = datetime(2026, 1, 1, 9)
"""Typed into the workbook as local times (a workbook has no zone); checked as UTC."""


def build(path: Path, rows: int) -> None:
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


def incidents_only(source: Path, target: Path, *, highlight: bool, every: int) -> tuple[int, int, int]:
    """A copy of the register with only the Incidents tab visible; the findings written, and the highlight rule's
    ranges and sqref bytes on the tab."""
    shutil.copyfile(source, target)
    findings = _findings(target)
    if every > 1:
        findings = [row for row in findings if int(row[2].removeprefix("INC-") or 0) % every == 0]
    XlsxRegister(target).write_findings(findings, highlight=highlight)
    rule = _highlight_sqref(target)
    workbook = openpyxl.load_workbook(target)
    for sheet in workbook.worksheets:
        sheet.sheet_state = "visible" if sheet.title == "Incidents" else "hidden"
    workbook.active = 0
    workbook.save(target)
    return len(findings), len(rule.split()), len(rule)


def _highlight_sqref(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()  # Incidents, the first tab
    found = re.search(r'<conditionalFormatting sqref="([^"]*)"><cfRule[^>]*><formula>N\(', sheet)
    return found.group(1) if found else ""


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
    parser.add_argument("--every", type=int, default=1, help="keep the findings of every n-th incident only")
    parser.add_argument("--repeat", type=int, default=3, help="prints of each workbook, alternating off and on; the median is shown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        register = folder / "register.xlsx"
        build(register, args.rows)
        warm_up = folder / "warm-up.xlsx"
        create_register(warm_up)
        render_seconds(warm_up, folder)  # the first start of LibreOffice sets up its profile: not measured
        targets = {}
        for highlight in (False, True):
            target = folder / f"incidents-{'on' if highlight else 'off'}.xlsx"
            targets[highlight] = (target, *incidents_only(register, target, highlight=highlight, every=args.every))
        times: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.repeat):  # alternating, so a change in the machine's load falls on both
            for highlight, (target, *_) in targets.items():
                times[highlight].append(render_seconds(target, folder))
        for highlight, (_target, written, ranges, sqref) in targets.items():
            rule = f" (rule: {ranges:,} ranges, sqref {sqref:,} bytes)" if highlight else ""
            runs = ", ".join(f"{seconds:.1f}" for seconds in times[highlight])
            print(
                f"{args.rows:,} incidents, {written:,} findings, every {args.every}, highlight {'on ' if highlight else 'off'}: "
                f"LibreOffice prints the tab in {statistics.median(times[highlight]):.1f} s (median of {runs}){rule}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
