"""Benchmark: the Excel snapshot of 10,000 incidents / 40,000 actions against pandas.DataFrame.to_excel.

Run: .venv/bin/python bench/export.py [--incidents N] [--actions-per-incident K]
(pandas comes with the bench extra: pip install -e '.[bench]').

Each contender runs in its own fresh process on the same register (built and checked before
the clock starts, not counted) and writes the same rows (Incidents, Actions, Overdue,
Findings); pandas gets them as DataFrames through openpyxl, its default .xlsx engine.
Reported: wall time of the write, and peak memory as the rise of the process's max RSS
over its size just before the write (C allocations included, unlike tracemalloc).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from validate import AS_OF, build_tables

from pmsheets.core import policy
from pmsheets.core.overdue import Overdue, escalation_report, find_overdue
from pmsheets.core.schema import parse
from pmsheets.outputs.snapshot import (
    ACTION_COLUMNS,
    FINDING_COLUMNS,
    INCIDENT_COLUMNS,
    OVERDUE_COLUMNS,
    Places,
    action_rows,
    finding_rows,
    incident_rows,
    overdue_rows,
    write_snapshot,
)
from pmsheets.outputs.xlsx_stream import SheetLink


def prepared(incidents: int, per_incident: int) -> tuple[Overdue, list[policy.Finding]]:
    register = parse(build_tables(incidents, per_incident)).register
    rules = policy.Policy()
    return find_overdue(register, as_of=AS_OF, policy=rules), policy.check(register, AS_OF, rules)


def with_snapshot(path: Path, overdue: Overdue, findings: Sequence[policy.Finding]) -> None:
    write_snapshot(path, overdue=overdue, findings=findings)


def with_pandas(path: Path, overdue: Overdue, findings: Sequence[policy.Finding]) -> None:
    import pandas as pd

    sheets = {
        "Incidents": (INCIDENT_COLUMNS, incident_rows(overdue)),
        "Actions": (ACTION_COLUMNS, action_rows(overdue)),
        "Overdue": (OVERDUE_COLUMNS, overdue_rows(escalation_report(overdue))),
        "Findings": (FINDING_COLUMNS, finding_rows(findings, Places(overdue.context.register))),
    }
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for title, (columns, rows) in sheets.items():
            frame = pd.DataFrame([_naive(row) for row in rows], columns=[c.header for c in columns])
            frame.to_excel(writer, sheet_name=title, index=False)


def _naive(row: Iterable[Any]) -> list[Any]:
    """Excel has no time zones; pandas refuses aware datetimes, the snapshot converts them too. A row link is its text."""
    return [v.replace(tzinfo=None) if isinstance(v, datetime) and v.tzinfo else str(v) if isinstance(v, SheetLink) else v for v in row]


CONTENDERS: dict[str, Callable[[Path, Overdue, Sequence[policy.Finding]], None]] = {
    "snapshot (streamed rows)": with_snapshot,
    "pandas to_excel": with_pandas,
}


def _rss_kib() -> int:
    with Path("/proc/self/statm").open(encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() // 1024


def measure(name: str, incidents: int, per_incident: int) -> dict[str, Any]:
    overdue, findings = prepared(incidents, per_incident)
    if name == "pandas to_excel":
        import pandas  # noqa: F401  loaded before the measurement, so its import does not count as the export's memory
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "out.xlsx"
        before = _rss_kib()
        start = time.perf_counter()
        CONTENDERS[name](path, overdue, findings)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        size = path.stat().st_size
    return {"name": name, "seconds": seconds, "peak_mib": max(peak - before, 0) / 1024, "file_mib": size / 2**20, "findings": len(findings)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--actions-per-incident", type=int, default=4)
    parser.add_argument("--one", choices=list(CONTENDERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.incidents, args.actions_per_incident)))
        return
    sizes = ["--incidents", str(args.incidents), "--actions-per-incident", str(args.actions_per_incident)]
    results = [
        json.loads(subprocess.run([sys.executable, __file__, "--one", name, *sizes], check=True, capture_output=True, text=True).stdout)
        for name in CONTENDERS
    ]
    print(f"{args.incidents:,} incidents, {args.incidents * args.actions_per_incident:,} actions, {results[0]['findings']:,} findings")
    print(f"{'writer':<24}{'wall s':>9}{'peak MiB':>11}{'file MiB':>10}")
    for r in results:
        print(f"{r['name']:<24}{r['seconds']:>9.2f}{r['peak_mib']:>11.1f}{r['file_mib']:>10.1f}")
    ours, theirs = results
    print(
        f"snapshot vs pandas: {theirs['seconds'] / ours['seconds']:.2f}x faster, {ours['peak_mib'] / max(theirs['peak_mib'], 0.1):.2f} of its peak memory"
    )


if __name__ == "__main__":
    main()
